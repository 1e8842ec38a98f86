//! Command-line operations that share the library with the server.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, bail};

use crate::audit::{self, Actor};
use crate::auth::password;
use crate::config::Settings;
use crate::db::{self, Db, write_tx};
use crate::domain::user::{Email, NewPassword, PersonName, Role};
use crate::error::AppError;

/// Applies pending migrations and reports them.
pub fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = Db::connect(&settings.database_url, 1)?;
    let applied = db.migrate()?;
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        for version in applied {
            println!("Applied {version}");
        }
    }
    Ok(())
}

/// Creates a user. The password comes from a prompt (twice) on a terminal, or from the
/// first line of standard input otherwise; never from the command line.
pub fn create_user(settings: &Settings, email: &str, name: &str, role: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    let name = PersonName::parse(name).map_err(anyhow::Error::msg)?;
    let role = Role::parse(role).map_err(anyhow::Error::msg)?;
    let (password, confirmation) = read_password()?;
    let password =
        NewPassword::parse(&password, &confirmation, Some(&email)).map_err(anyhow::Error::msg)?;
    let hash = password::hash_blocking(password.expose())?;

    let db = Db::connect(&settings.database_url, 1)?;
    db.migrate()?;
    let mut conn = db.get()?;
    let id = write_tx(&mut conn, |conn| {
        let id = match db::users::insert(conn, &email, &name, &hash, role) {
            Err(e) if db::is_unique_violation(&e) => {
                return Err(AppError::conflict(format!(
                    "a user with the email {email} already exists"
                )));
            }
            other => other?,
        };
        let summary = format!(
            "Added {} <{}> as {} from the command line",
            name.as_str(),
            email,
            role.label()
        );
        audit::record(
            conn,
            &Actor::system("command line"),
            "user.create",
            "user",
            Some(id),
            &summary,
        )?;
        Ok(id)
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Created {} user {} <{}> (id {id}).",
        role.as_str(),
        name.as_str(),
        email
    );
    Ok(())
}

fn read_password() -> anyhow::Result<(String, String)> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let second =
            rpassword::prompt_password("Repeat password: ").context("reading the password")?;
        return Ok((first, second));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok((password.clone(), password))
}
