//! The command line: `voxdial migrate` and `voxdial user create` (password from stdin).

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::helpers::{PASSWORD, TestDatabase, assert_is_redirect_to, spawn_app_with};

fn voxdial(database: &TestDatabase, args: &[&str], stdin: &str) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_voxdial"))
        .args(args)
        .env("VOXDIAL_DATABASE_URL", database.url())
        .env("VOXDIAL_SECRET_KEY", voxdial::crypto::MasterKey::generate().encode())
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
    let app = spawn_app_with(|s| s.database_url = url).await;
    assert_is_redirect_to(&app.login("ops@example.com", PASSWORD).await, "/");
    drop(app);
}

#[test]
fn the_password_is_never_a_command_line_argument() {
    let output = Command::new(env!("CARGO_BIN_EXE_voxdial")).args(["user", "create", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--email") && !help.contains("--password"), "{help}");
}
