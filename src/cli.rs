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
    let password = NewPassword::parse(&password, &confirmation, Some(&email)).map_err(anyhow::Error::msg)?;
    let hash = password::hash_blocking(password.expose())?;

    let db = Db::connect(&settings.database_url, 1)?;
    db.migrate()?;
    let mut conn = db.get()?;
    let id = write_tx(&mut conn, |conn| {
        let Some(id) = db::unless_duplicate(conn, |c| db::users::insert(c, &email, &name, &hash, role))? else {
            return Err(AppError::conflict(format!("a user with the email {email} already exists")));
        };
        let summary = format!("Added {} <{}> as {} from the command line", name.as_str(), email, role.label());
        audit::record(conn, &Actor::system("command line"), "user.create", "user", Some(id), &summary)?;
        Ok(id)
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("Created {} user {} <{}> (id {id}).", role.as_str(), name.as_str(), email);
    Ok(())
}

fn read_password() -> anyhow::Result<(String, String)> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let second = rpassword::prompt_password("Repeat password: ").context("reading the password")?;
        return Ok((first, second));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok((password.clone(), password))
}

/// Imports a CSV file into a campaign with the same mapping guess and import code as the
/// web upload, showing progress on the terminal.
pub fn import_leads(
    settings: &Settings,
    file: &std::path::Path,
    campaign_name: &str,
    duplicates: &str,
    error_report: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use crate::imports::{self, DuplicateMode, sheet::Mapping};

    let mode = DuplicateMode::parse(duplicates).map_err(anyhow::Error::msg)?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let db = Db::connect(&settings.database_url, 2)?;
    db.migrate()?;
    let mut conn = db.get()?;
    let Some(campaign) = db::campaigns::find_by_name(&mut conn, campaign_name)? else {
        let names: Vec<String> = db::campaigns::names(&mut conn)?.into_iter().map(|(_, n)| n).collect();
        bail!(
            "no campaign named “{campaign_name}”; campaigns: {}",
            if names.is_empty() { "none yet".into() } else { names.join(", ") }
        );
    };
    let file_name = file.file_name().map_or_else(|| "leads.csv".into(), |n| n.to_string_lossy().into_owned());
    let import_id = write_tx(&mut conn, |c| imports::create_draft(c, campaign.id, None, &file_name, &bytes))?
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let import = db::imports::find(&mut conn, import_id)?;
    let sheet = imports::sheet_of(&mut conn, &import)?;
    let headers = sheet.headers().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mapping = Mapping::from_json(&import.column_mapping).map_err(anyhow::Error::msg)?;
    println!("{} rows, {}-separated. Columns:", import.total_rows, sheet.delimiter_label());
    for (header, target) in headers.iter().zip(&mapping.0) {
        println!("  {header} → {}", target.label());
    }
    write_tx(&mut conn, |c| imports::queue(c, &import, &mapping, mode))?.map_err(anyhow::Error::msg)?;

    let owner = format!("cli-{}", std::process::id());
    let now = db::now();
    if write_tx(&mut conn, |c| db::imports::claim(c, import_id, &owner, now, now + chrono::Duration::seconds(60)))? != 1
    {
        bail!("a running voxdial server took this import first; follow it on the campaign's Leads tab");
    }
    let bar = indicatif::ProgressBar::new(import.total_rows as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
            .expect("valid progress template"),
    );
    imports::run(&mut conn, import_id, &owner, &mut |progress| {
        bar.set_position(progress.processed_rows as u64);
        std::ops::ControlFlow::Continue(())
    })?;
    bar.finish();

    let done = db::imports::find(&mut conn, import_id)?;
    println!(
        "Imported into “{}”: {} new, {} updated, {} skipped as duplicates, {} with errors.",
        campaign.name, done.inserted_rows, done.updated_rows, done.skipped_rows, done.failed_rows
    );
    if done.failed_rows > 0 {
        let report = imports::error_report(&mut conn, import_id)?;
        match error_report {
            Some(path) => {
                std::fs::write(path, &report).with_context(|| format!("writing {}", path.display()))?;
                println!("The error report is in {}.", path.display());
            }
            None => {
                let text = String::from_utf8_lossy(&report);
                for line in text.lines().skip(1).take(20) {
                    println!("  {line}");
                }
                println!("(use --error-report FILE to save every error)");
            }
        }
    }
    Ok(())
}
