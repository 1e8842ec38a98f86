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
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage team members.
    User {
        #[command(subcommand)]
        command: UserCommand,
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
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate => voxdial::cli::migrate(&settings),
        Command::User {
            command: UserCommand::Create { email, name, role },
        } => voxdial::cli::create_user(&settings, &email, &name, &role),
    }
}

fn serve(settings: Settings) -> anyhow::Result<()> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(async {
            let app = Application::build(settings).await?;
            app.run_until_stopped().await
        })
}
