use std::path::PathBuf;

use clap::{Parser, Subcommand};
use voxdial::app::Application;
use voxdial::config::Settings;

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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref())?;
    voxdial::telemetry::init(&settings.log_filter, settings.log_format == "json");
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(settings, demo),
        Command::Migrate => voxdial::cli::migrate(&settings),
        Command::User { command: UserCommand::Create { email, name, role } } => {
            voxdial::cli::create_user(&settings, &email, &name, &role)
        }
        Command::Leads { command: LeadsCommand::Import { file, campaign, duplicates, error_report } } => {
            voxdial::cli::import_leads(&settings, &file, &campaign, &duplicates, error_report.as_deref())
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
            let demo = voxdial::demo::start(&app.ctx(), std::time::Duration::from_secs(4)).await?;
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
            println!("Open the campaign's Leads tab, pick a lead and press Call now.\n");
            Some(demo)
        } else {
            None
        };
        app.run_until_stopped().await
    })
}
