use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use voxdial::app::Application;
use voxdial::config::Settings;
use voxdial::provider::simulator::CallLength;

/// voxdial: AI voice agents calling your leads, under your control.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (TOML); `VOXDIAL_*` environment variables override it.
    #[arg(long, global = true, env = "VOXDIAL_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server and background tasks (the default).
    Serve {
        /// Seed a demo workspace and call through the built-in provider simulator.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage team members.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Work with leads.
    Leads {
        #[command(subcommand)]
        command: LeadsCommand,
    },
    /// Work with the auto-dialer.
    Dialer {
        #[command(subcommand)]
        command: DialerCommand,
    },
}

#[derive(Subcommand)]
enum DialerCommand {
    /// Dry run: the real dialer over a scratch copy of a campaign, with a simulated clock and
    /// provider. Writes every dial with the lead's local time; the database is only read.
    Simulate {
        #[arg(long)]
        campaign: String,
        /// When the simulated period starts (RFC 3339, e.g. 2026-11-02T00:00:00Z).
        #[arg(long)]
        start: String,
        /// How many days to simulate.
        #[arg(long)]
        days: u32,
        /// How the calls end, in percent adding up to 100: outcome codes or opt_out.
        #[arg(long, default_value = voxdial::dialer::simulate::DEFAULT_MIX)]
        outcomes: String,
        /// Seeds the outcome draws: the same seed gives the same run.
        #[arg(long, default_value_t = voxdial::dialer::simulate::DEFAULT_SEED)]
        seed: u64,
        /// The CSV file for every dial.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum LeadsCommand {
    /// Import a CSV file (UTF-8; comma, semicolon or tab separated) into a campaign.
    Import {
        file: PathBuf,
        #[arg(long)]
        campaign: String,
        /// What to do with a row whose phone is already a lead of the campaign.
        #[arg(long, default_value = "skip", value_parser = ["skip", "update"])]
        duplicates: String,
        /// Write every row error to this CSV file.
        #[arg(long)]
        error_report: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from a prompt or standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "member", value_parser = ["admin", "member"])]
        role: String,
    },
}

/// Errors end the program with one line on standard error and a non-zero status: they are
/// messages for the person at the terminal (a missing file, an unknown campaign), not crashes,
/// so no backtrace even when `RUST_BACKTRACE` is set.
fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("voxdial: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<()> {
    // Crash tests stop the process at named points, configured by `FAILPOINTS`.
    #[cfg(feature = "failpoints")]
    let _failpoints = fail::FailScenario::setup();
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    voxdial::telemetry::init(&settings.log_filter, settings.log_format == "json");
    #[cfg(feature = "failpoints")]
    if !fail::list().is_empty() {
        tracing::warn!(configured = ?fail::list(), "fail points configured: for tests only");
    }
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(settings, demo),
        Command::Migrate => voxdial::cli::migrate(&settings),
        Command::User { command: UserCommand::Create { email, name, role } } => {
            voxdial::cli::create_user(&settings, &email, &name, &role)
        }
        Command::Leads { command: LeadsCommand::Import { file, campaign, duplicates, error_report } } => {
            voxdial::cli::import_leads(&settings, &file, &campaign, &duplicates, error_report.as_deref())
        }
        Command::Dialer { command: DialerCommand::Simulate { campaign, start, days, outcomes, seed, out } } => {
            voxdial::cli::simulate_dialer(&settings, &campaign, &start, days, &outcomes, seed, &out)
        }
    }
}

fn serve(mut settings: Settings, demo: bool) -> anyhow::Result<()> {
    if demo && settings.database_url == Settings::default().database_url {
        // Keep the demo's data apart from a real workspace.
        settings.database_url = "voxdial-demo.db".into();
    }
    tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(async {
        let app = Application::build(settings).await?;
        let _demo = if demo {
            // Demo calls last as long as real ones would, so their times and durations agree.
            let demo = voxdial::demo::start(&app.ctx(), CallLength::Scripted).await?;
            let url = &app.state().public_url;
            println!("\nvoxdial demo is running at {url}");
            match &demo.new_admin_password {
                Some(password) => println!(
                    "Log in as {} with the password {password} (shown only this once).",
                    voxdial::demo::ADMIN_EMAIL
                ),
                None => println!(
                    "Log in as {} with the password printed when the demo was first started.",
                    voxdial::demo::ADMIN_EMAIL
                ),
            }
            println!("Open the campaign's Leads tab, pick a lead and press Call now.");
            println!("Simulated calls take as long as real ones, up to a minute or so.\n");
            Some(demo)
        } else {
            None
        };
        app.run_until_stopped().await
    })
}
