//! The command line: `voxdial migrate` and `voxdial user create` (password from stdin).

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::LazyLock;

use voxdial::crypto::MasterKey;

use crate::helpers::{PASSWORD, TestDatabase, assert_is_redirect_to, spawn_app_with};

/// The installation key every command of these tests runs with.
static KEY: LazyLock<String> = LazyLock::new(|| MasterKey::generate().encode());

fn voxdial(database: &TestDatabase, args: &[&str], stdin: &str) -> std::process::Output {
    voxdial_with_key(database, &KEY, args, stdin)
}

fn voxdial_with_key(database: &TestDatabase, key: &str, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voxdial"))
        .args(args)
        .env("VOXDIAL_DATABASE_URL", database.url())
        .env("VOXDIAL_SECRET_KEY", key)
        .env("RUST_BACKTRACE", "1")
        .env("VOXDIAL_LOG_FILTER", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running voxdial");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn migrate_then_create_a_user_who_can_log_in() {
    let database = TestDatabase::create();
    let migrated = voxdial(&database, &["migrate"], "");
    assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
    assert!(String::from_utf8_lossy(&migrated.stdout).contains("Applied"));
    let again = voxdial(&database, &["migrate"], "");
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));

    let created = voxdial(
        &database,
        &["user", "create", "--email", "ops@example.com", "--name", "Ops Person", "--role", "admin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    assert!(String::from_utf8_lossy(&created.stdout).contains("Created admin user Ops Person"));

    let duplicate = voxdial(
        &database,
        &["user", "create", "--email", "ops@example.com", "--name", "Ops"],
        &format!("{PASSWORD}\n"),
    );
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));

    let weak = voxdial(&database, &["user", "create", "--email", "weak@example.com", "--name", "Weak"], "short\n");
    assert!(!weak.status.success());
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 10 characters"));

    // The same database served by the app: the CLI user logs in.
    let url = database.url().to_owned();
    let app = spawn_app_with(|s| {
        s.database_url = url;
        s.secret_key = Some(KEY.clone());
    })
    .await;
    assert_is_redirect_to(&app.login("ops@example.com", PASSWORD).await, "/");
    drop(app);
}

#[test]
fn the_password_is_never_a_command_line_argument() {
    let output = Command::new(env!("CARGO_BIN_EXE_voxdial")).args(["user", "create", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--email") && !help.contains("--password"), "{help}");
}

/// One line a person can act on, a non-zero status, and no backtrace even when
/// `RUST_BACKTRACE` asks for one.
fn assert_one_line_error(output: &std::process::Output, expected: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert_eq!(output.status.code(), Some(1));
    let lines: Vec<&str> = stderr.lines().filter(|line| !line.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("voxdial: ") && lines[0].contains(expected), "{stderr}");
    assert!(!stderr.contains("backtrace") && !stderr.contains("panicked"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_errors_are_one_line_without_a_backtrace() {
    let database = TestDatabase::create();
    assert!(voxdial(&database, &["migrate"], "").status.success());
    let missing = voxdial(&database, &["leads", "import", "/nonexistent/leads.csv", "--campaign", "Spring"], "");
    assert_one_line_error(&missing, "/nonexistent/leads.csv");
    let file = std::env::temp_dir().join(format!("voxdial-cli-{}.csv", std::process::id()));
    std::fs::write(&file, "phone\n+12125550123\n").unwrap();
    let unknown = voxdial(&database, &["leads", "import", file.to_str().unwrap(), "--campaign", "Nope"], "");
    std::fs::remove_file(&file).unwrap();
    assert_one_line_error(&unknown, "no campaign named “Nope”");
    let bad_role = voxdial(&database, &["user", "create", "--email", "not-an-email", "--name", "X"], "");
    assert_one_line_error(&bad_role, "email");
}

#[tokio::test(flavor = "multi_thread")]
async fn several_instances_share_one_key_or_refuse_to_start() {
    let database = TestDatabase::create();
    let first = voxdial(
        &database,
        &["user", "create", "--email", "ops@example.com", "--name", "Ops"],
        &format!("{PASSWORD}\n"),
    );
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));

    // A command with another key stops before touching anything.
    let other_key = MasterKey::generate().encode();
    let stranger = voxdial_with_key(
        &database,
        &other_key,
        &["user", "create", "--email", "two@example.com", "--name", "Two"],
        &format!("{PASSWORD}\n"),
    );
    assert_one_line_error(&stranger, "does not match the one this database was set up with");

    // So does a server.
    let url = database.url().to_owned();
    let mut settings = crate::helpers::test_settings(&database);
    settings.database_url = url.clone();
    settings.secret_key = Some(other_key);
    let refused = voxdial::app::Application::build(settings).await.err().expect("a server with another key refuses");
    assert!(format!("{refused:#}").contains("does not match"), "{refused:#}");

    // With the same key, a second instance starts.
    let app = spawn_app_with(|s| {
        s.database_url = url;
        s.secret_key = Some(KEY.clone());
    })
    .await;
    assert_is_redirect_to(&app.login("ops@example.com", PASSWORD).await, "/");
}
