//! The schema: both backends end up with the same tables, columns and indexes (pinned in
//! tests/schema_snapshot.txt, checked on whichever backend the suite runs on); migrations
//! revert and re-apply; SQLite connections are configured; the database enforces the rules.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use voxdial::db::{self, DbConnection};

use crate::helpers::spawn_app;

#[derive(QueryableByName)]
struct ColumnInfo {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Integer)]
    not_null: i32,
}

#[derive(QueryableByName)]
struct IndexInfo {
    #[diesel(sql_type = Text)]
    table_name: String,
    #[diesel(sql_type = Text)]
    index_name: String,
}

fn normalise_type(declared: &str, column: &str) -> String {
    match (declared.to_lowercase().as_str(), column) {
        ("integer", "id") | ("bigint", _) => "bigint",
        ("integer", _) => "integer",
        ("text", _) => "text",
        ("boolean", _) => "boolean",
        ("timestamp", _) | ("timestamp without time zone", _) => "timestamp",
        ("double precision", _) => "double",
        ("blob", _) | ("bytea", _) => "binary",
        (other, _) => panic!("unexpected column type {other} for {column}"),
    }
    .to_owned()
}

/// One line per column and per index, sorted.
fn describe(conn: &mut DbConnection) -> String {
    let (columns, indexes): (Vec<ColumnInfo>, Vec<IndexInfo>) = match conn {
        DbConnection::Sqlite(c) => (
            diesel::sql_query(
                "SELECT m.name AS table_name, p.name AS column_name, p.type AS data_type,
                        CASE WHEN p.pk > 0 THEN 1 ELSE p.\"notnull\" END AS not_null
                 FROM sqlite_master m JOIN pragma_table_info(m.name) p
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap(),
            diesel::sql_query(
                "SELECT tbl_name AS table_name, name AS index_name FROM sqlite_master
                 WHERE type = 'index' AND sql IS NOT NULL",
            )
            .load(c)
            .unwrap(),
        ),
        DbConnection::Pg(c) => (
            diesel::sql_query(
                "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS data_type,
                        CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS not_null
                 FROM information_schema.columns
                 WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations'",
            )
            .load(c)
            .unwrap(),
            // Indexes created by CREATE INDEX, not those backing PRIMARY KEY/UNIQUE constraints.
            diesel::sql_query(
                "SELECT i.tablename::text AS table_name, i.indexname::text AS index_name FROM pg_indexes i
                 WHERE i.schemaname = 'public'
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            )
            .load(c)
            .unwrap(),
        ),
    };
    let mut lines: Vec<String> = columns
        .iter()
        .map(|c| {
            let null = if c.not_null == 1 { "not null" } else { "null" };
            format!("{}.{} {} {}", c.table_name, c.column_name, normalise_type(&c.data_type, &c.column_name), null)
        })
        .chain(indexes.iter().map(|i| format!("index {} on {}", i.index_name, i.table_name)))
        .collect();
    lines.sort();
    lines.join("\n") + "\n"
}

fn snapshot_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schema_snapshot.txt")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_migrated_schema_matches_the_snapshot_shared_by_both_backends() {
    let app = spawn_app().await;
    let actual = app.with_conn(describe);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(snapshot_path(), &actual).unwrap();
    }
    let expected = std::fs::read_to_string(snapshot_path()).expect("tests/schema_snapshot.txt");
    if actual != expected {
        let diff: Vec<_> = actual
            .lines()
            .filter(|l| !expected.contains(l))
            .map(|l| format!("+ {l}"))
            .chain(expected.lines().filter(|l| !actual.contains(l)).map(|l| format!("- {l}")))
            .collect();
        panic!(
            "the {} schema differs from tests/schema_snapshot.txt:\n{}",
            if app.database.is_postgres() { "PostgreSQL" } else { "SQLite" },
            diff.join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn migrations_revert_and_apply_again() {
    let app = spawn_app().await;
    let before = app.with_conn(describe);
    app.with_conn(|c| db::revert_all_migrations(c).unwrap());
    let empty = app.with_conn(describe);
    assert!(empty.trim().is_empty(), "everything reverted: {empty}");
    app.with_conn(|c| db::run_migrations(c).unwrap());
    assert_eq!(app.with_conn(describe), before);
}

#[derive(QueryableByName)]
struct Pragma {
    #[diesel(sql_type = Text)]
    value: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn every_pooled_sqlite_connection_is_configured() {
    let app = spawn_app().await;
    if app.database.is_postgres() {
        return;
    }
    // Hold several connections at once so more than the first is checked.
    let mut conns: Vec<_> = (0..3).map(|_| app.conn()).collect();
    for conn in &mut conns {
        let DbConnection::Sqlite(c) = &mut **conn else { unreachable!() };
        let read = |c: &mut diesel::SqliteConnection, sql: &str| -> String {
            diesel::sql_query(sql).get_result::<Pragma>(c).unwrap().value
        };
        assert_eq!(read(c, "SELECT journal_mode AS value FROM pragma_journal_mode"), "wal");
        assert_eq!(read(c, "SELECT CAST(foreign_keys AS TEXT) AS value FROM pragma_foreign_keys"), "1");
        assert_eq!(read(c, "SELECT CAST(timeout AS TEXT) AS value FROM pragma_busy_timeout"), "5000");
    }
}

/// Inserts a campaign and a lead directly, returning the lead's id and its campaign's.
fn campaign_with_lead(conn: &mut DbConnection) -> (i64, i64) {
    use voxdial::db::schema::{campaigns, leads};
    let now = db::now();
    let campaign_id: i64 = diesel::insert_into(campaigns::table)
        .values((
            campaigns::name.eq("Spring"),
            campaigns::status.eq("draft"),
            campaigns::timezone.eq("America/New_York"),
            campaigns::default_region.eq("US"),
            campaigns::created_at.eq(now),
            campaigns::updated_at.eq(now),
        ))
        .returning(campaigns::id)
        .get_result(conn)
        .unwrap();
    let lead_id: i64 = diesel::insert_into(leads::table)
        .values((
            leads::campaign_id.eq(campaign_id),
            leads::first_name.eq("Ana"),
            leads::last_name.eq("Lima"),
            leads::phone.eq("+14155550100"),
            leads::status.eq("new"),
            leads::search_name.eq("ana lima"),
            leads::search_last_name.eq(""),
            leads::search_email.eq(""),
            leads::search_company.eq(""),
            leads::created_at.eq(now),
            leads::updated_at.eq(now),
        ))
        .returning(leads::id)
        .get_result(conn)
        .unwrap();
    (campaign_id, lead_id)
}

fn insert_call(conn: &mut DbConnection, campaign_id: i64, lead_id: i64, status: &str) -> QueryResult<i64> {
    use voxdial::db::schema::interactions as i;
    let now = db::now();
    diesel::insert_into(i::table)
        .values((
            i::direction.eq("outbound"),
            i::origin.eq("manual"),
            i::lead_id.eq(lead_id),
            i::campaign_id.eq(campaign_id),
            i::contact_type.eq("first"),
            i::attempt_number.eq(1),
            i::counts_as_attempt.eq(true),
            i::to_number.eq("+14155550100"),
            i::status.eq(status),
            i::created_at.eq(now),
            i::updated_at.eq(now),
        ))
        .returning(i::id)
        .get_result(conn)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_database_refuses_a_second_live_call_for_a_lead() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let (campaign_id, lead_id) = campaign_with_lead(&mut conn);

    let first = insert_call(&mut conn, campaign_id, lead_id, "dialing").unwrap();
    let second = insert_call(&mut conn, campaign_id, lead_id, "dialing").unwrap_err();
    assert!(db::is_unique_violation(&second), "{second:?}");
    assert!(db::is_unique_violation(&insert_call(&mut conn, campaign_id, lead_id, "in_progress").unwrap_err()));
    // Finished calls do not count; once the live one ends, a new call may start.
    insert_call(&mut conn, campaign_id, lead_id, "completed").unwrap();
    use voxdial::db::schema::interactions as i;
    diesel::update(i::table.find(first)).set(i::status.eq("completed")).execute(&mut *conn).unwrap();
    insert_call(&mut conn, campaign_id, lead_id, "dialing").unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn foreign_keys_and_check_constraints_are_enforced() {
    let app = spawn_app().await;
    let mut conn = app.conn();
    let (campaign_id, lead_id) = campaign_with_lead(&mut conn);
    assert!(insert_call(&mut conn, campaign_id, 9_999, "dialing").is_err(), "unknown lead");
    assert!(insert_call(&mut conn, campaign_id, lead_id, "ringing").is_err(), "unknown status");
}
