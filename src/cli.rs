//! Command-line operations that share the library with the server.

use std::io::{BufRead as _, IsTerminal as _};

use anyhow::{Context as _, bail};

use crate::app::{Dependencies, services_context};
use crate::audit::Actor;
use crate::auth::password::PasswordHasher;
use crate::config::Settings;
use crate::crypto::MasterKey;
use crate::db::{Backend, Db, sqlite_path};
use crate::domain::user::{Email, NewPassword, PersonName, Role};
use crate::error::AppError;
use crate::services::team::{self, NewMember};
use crate::services::{Ctx, InstanceId};

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
    // What a migration could not compute in SQL; a server does it in the background too.
    let filled = crate::db::analytics::backfill_week_hours(&mut *db.get()?)?;
    if filled > 0 {
        println!("Gave {filled} earlier calls their lead's local weekday and hour");
    }
    Ok(())
}

/// The services' context for a command: the configured database (migrated) and key.
fn command_context(settings: &Settings) -> anyhow::Result<Ctx> {
    let db = Db::connect(&settings.database_url, 2)?;
    db.migrate()?;
    let ctx = context_on(settings, db)?;
    runtime()?.block_on(crate::services::installation::require_matching_key(&ctx))?;
    Ok(ctx)
}

/// The services' context for a command that only reads the configured database: no
/// migrations, and a missing SQLite file is an error instead of a new empty database.
fn reading_context(settings: &Settings) -> anyhow::Result<Ctx> {
    let url = &settings.database_url;
    if Backend::from_url(url) == Backend::Sqlite && !std::path::Path::new(sqlite_path(url)).exists() {
        bail!("there is no database at {}; point database_url at the installation's database", sqlite_path(url));
    }
    context_on(settings, Db::connect(url, 2)?)
}

fn context_on(settings: &Settings, db: Db) -> anyhow::Result<Ctx> {
    let key = MasterKey::load_or_create(settings)?;
    let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{}", settings.bind));
    let deps = Dependencies {
        instance_id: Some(InstanceId(format!("cli-{}", std::process::id()))),
        ..Dependencies::default()
    };
    Ok(services_context(settings, db, &key, public_url, deps))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?)
}

/// Creates a user. The password comes from a prompt (twice) on a terminal, or from the
/// first line of standard input otherwise; never from the command line.
pub fn create_user(settings: &Settings, email: &str, name: &str, role: &str) -> anyhow::Result<()> {
    let email = Email::parse(email).map_err(anyhow::Error::msg)?;
    let name = PersonName::parse(name).map_err(anyhow::Error::msg)?;
    let role = Role::parse(role).map_err(anyhow::Error::msg)?;
    let (password, confirmation) = read_password()?;
    let password = NewPassword::parse(&password, &confirmation, Some(&email)).map_err(anyhow::Error::msg)?;
    let ctx = command_context(settings)?;
    let member = NewMember { name: name.clone(), email: email.clone(), role, password };
    let hasher = PasswordHasher::new(1);
    let id = runtime()?
        .block_on(team::add(&ctx, &hasher, Actor::system("command line"), member))
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

/// Imports a CSV file into a campaign through the import service, with the same mapping
/// guess and rules as the web upload, showing progress on the terminal.
pub fn import_leads(
    settings: &Settings,
    file: &std::path::Path,
    campaign_name: &str,
    duplicates: &str,
    error_report: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use std::ops::ControlFlow;

    use crate::imports::{self, DuplicateMode, Upload, sheet::Mapping};

    let mode = DuplicateMode::parse(duplicates).map_err(anyhow::Error::msg)?;
    let opened = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
    let file_name = file.file_name().map_or_else(|| "leads.csv".into(), |n| n.to_string_lossy().into_owned());
    let ctx = command_context(settings)?;
    let actor = Actor::system("command line");
    let runtime = runtime()?;
    let failed = |e: AppError| anyhow::anyhow!("{e}");

    let campaign = runtime.block_on(imports::campaign_named(&ctx, campaign_name)).map_err(failed)?;
    let upload = Upload { file_name, file: opened };
    let (import_id, draft) = runtime
        .block_on(async {
            let import_id = imports::upload(&ctx, &actor, campaign.id, upload).await?;
            Ok((import_id, imports::view(&ctx, campaign.id, import_id, None).await?))
        })
        .map_err(failed)?;
    let rows = crate::domain::plural::counted(draft.import.total_rows, "row");
    println!("{rows}, {}-separated, encoding {}. Columns:", draft.delimiter, draft.encoding);
    for column in &draft.columns {
        println!("  {} → {}", column.header, column.target.label());
    }
    let mapping = Mapping(draft.columns.into_iter().map(|c| c.target).collect());
    runtime.block_on(imports::start(&ctx, &actor, campaign.id, import_id, mapping, mode)).map_err(failed)?;

    let bar = indicatif::ProgressBar::new(draft.import.total_rows as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  eta {eta}")
            .expect("valid progress template"),
    );
    let claimed = imports::work(&ctx, import_id, ctx.clock.now(), &mut |progress| {
        bar.set_position(progress.processed_rows as u64);
        ControlFlow::Continue(())
    })
    .map_err(failed)?;
    if !claimed {
        bail!("a running voxdial server took this import first; follow it on the campaign's Leads tab");
    }
    bar.finish();

    let done = runtime.block_on(imports::progress(&ctx, campaign.id, import_id)).map_err(failed)?;
    println!(
        "Imported into “{}”: {} new, {} updated, {} skipped as duplicates, {} with errors.",
        campaign.name, done.inserted_rows, done.updated_rows, done.skipped_rows, done.failed_rows
    );
    if done.failed_rows > 0 {
        let report = runtime.block_on(imports::error_report(&ctx, campaign.id, import_id)).map_err(failed)?;
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

/// Runs the dialer over a scratch copy of a campaign (R-DIAL-SIM) from `start` for `days`,
/// writes every dial to `out` as CSV and prints the summary. The database is only read.
pub fn simulate_dialer(
    settings: &Settings,
    campaign_name: &str,
    start: &str,
    days: u32,
    outcomes: &str,
    seed: u64,
    out: &std::path::Path,
) -> anyhow::Result<()> {
    use chrono::{DateTime, Duration, Utc};

    use crate::dialer::simulate::{self, DialCsv, OutcomeMix, SimOptions};

    const MAX_DAYS: u32 = 92;
    let start = DateTime::parse_from_rfc3339(start)
        .map_err(|_| anyhow::anyhow!("--start “{start}” is not an RFC 3339 time such as 2026-11-02T08:00:00Z"))?
        .with_timezone(&Utc);
    if !(1..=MAX_DAYS).contains(&days) {
        bail!("--days must be between 1 and {MAX_DAYS}");
    }
    let outcomes = OutcomeMix::parse(outcomes).map_err(|problem| anyhow::anyhow!("--outcomes: {problem}"))?;
    let ctx = reading_context(settings)?;
    let runtime = runtime()?;
    let failed = |e: AppError| anyhow::anyhow!("{}", e.with_causes());
    let campaign = runtime.block_on(crate::imports::campaign_named(&ctx, campaign_name)).map_err(failed)?;
    let cannot_write = |e: &dyn std::fmt::Display| anyhow::anyhow!("cannot write {}: {e}", out.display());
    let file = std::fs::File::create(out).map_err(|e| cannot_write(&e))?;
    let mut csv = DialCsv::new(std::io::BufWriter::new(file)).map_err(|e| cannot_write(&e))?;

    let period = Duration::days(i64::from(days));
    let bar = indicatif::ProgressBar::new(period.num_minutes() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {msg}  eta {eta}").expect("valid progress template"),
    );
    let (mut dials, mut write_error) = (0, None);
    let options = SimOptions { outcomes, seed, ..SimOptions::new(campaign.id, start, period) };
    let mut sink = |dial: simulate::Dial| {
        dials += 1;
        bar.set_position((dial.at - start).num_minutes() as u64);
        bar.set_message(format!("{dials} dials, at {}", dial.at.format("%a %Y-%m-%d %H:%M UTC")));
        if let Err(e) = csv.write(&dial) {
            write_error.get_or_insert(e);
        }
    };
    // Ctrl-C drops the run, and with it the scratch database, rather than leave it behind.
    let summary = runtime.block_on(async {
        tokio::select! {
            done = simulate::run(&ctx, options, &mut sink) => done.map_err(failed),
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("stopped before the end of the period")),
        }
    })?;
    bar.finish_and_clear();
    if let Some(e) = write_error {
        return Err(cannot_write(&e));
    }
    csv.finish().map_err(|e| cannot_write(&e))?;
    println!("{summary}");
    println!("Every dial is in {}.", out.display());
    Ok(())
}
