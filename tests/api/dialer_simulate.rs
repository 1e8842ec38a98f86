//! The dialer's dry run (R-DIAL-SIM) through its library API and the command line, and the
//! compliance simulation (R-DIAL-SAFE): a week of the real dialer over 100,000 leads around the
//! world, every dial checked again against the rules.

mod seeding;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDateTime};
use chrono_tz::Tz;
use diesel::prelude::*;
use voxdial::db;
use voxdial::db::schema::{campaign_dialer_rules, campaigns, interactions, leads, suppression_entries};
use voxdial::dialer::simulate::{self, CSV_COLUMNS, Dial, DialCsv, OutcomeMix, SimOptions, SimSummary};
use voxdial::domain::dialing::WeeklyWindows;
use voxdial::domain::dialing::rules::{DialBlock, DialerRules};

use crate::call_setup::app_with_scripted_provider;
use crate::helpers::TestApp;
use seeding::{GROUPS, Violations, campaign_with, seed, utc, violations};

/// Every row the dry run must leave alone, as text.
fn snapshot(app: &TestApp) -> Vec<String> {
    app.with_conn(|conn| {
        let all_leads: Vec<db::leads::Lead> =
            leads::table.order(leads::id).select(db::leads::Lead::as_select()).load(conn).unwrap();
        let mut rows: Vec<String> = all_leads.iter().map(|lead| format!("{lead:?}")).collect();
        let count = |n: i64, what: &str| format!("{what}: {n}");
        rows.push(count(interactions::table.count().get_result(conn).unwrap(), "interactions"));
        rows.push(count(suppression_entries::table.count().get_result(conn).unwrap(), "do-not-call entries"));
        let dialer: Vec<(bool, Option<NaiveDateTime>, f64)> = campaign_dialer_rules::table
            .select((
                campaign_dialer_rules::enabled,
                campaign_dialer_rules::pace_at,
                campaign_dialer_rules::pace_tokens,
            ))
            .load(conn)
            .unwrap();
        rows.push(format!("dialer: {dialer:?}"));
        let statuses: Vec<(String, Option<String>)> =
            campaigns::table.select((campaigns::status, campaigns::blocking_error_code)).load(conn).unwrap();
        rows.push(format!("campaigns: {statuses:?}"));
        rows
    })
}

async fn simulate(app: &TestApp, options: SimOptions) -> (Vec<Dial>, SimSummary) {
    let mut dials = Vec::new();
    let summary = simulate::run(app.ctx(), options, &mut |dial| dials.push(dial)).await.expect("the dry run");
    (dials, summary)
}

fn blocked(summary: &SimSummary, reason: DialBlock) -> usize {
    summary.blocked.iter().find(|(r, _)| *r == reason).map_or(0, |(_, n)| *n)
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_sim_a_dry_run_keeps_every_rule_and_leaves_the_source_alone() {
    let (app, _) = app_with_scripted_provider().await;
    let windows = WeeklyWindows::parse("Mon-Fri 09:00-18:00; Sat 10:00-14:00").unwrap();
    let rules = DialerRules {
        windows: windows.clone(),
        max_concurrent_calls: 5,
        max_calls_per_minute: 60,
        ..DialerRules::default()
    };
    let campaign = campaign_with(&app, rules, true).await;
    // The US and Europe: the first 13 groups.
    let start = utc("2026-11-02T00:00:00Z");
    let seeded = seed(&app, campaign, &GROUPS[..13], 208, (103, 70), |_| start.naive_utc());
    assert_eq!((seeded.do_not_call.len(), seeded.toll_free.len()), (3, 2));
    let before = snapshot(&app);

    let options = SimOptions::new(campaign, start, Duration::days(3));
    let (dials, summary) = simulate(&app, options.clone()).await;
    println!("{summary}");
    assert_eq!(summary.leads, 208);
    assert!(dials.len() > 150, "only {} dials", dials.len());
    assert_eq!(violations(&dials, &windows, &seeded), Violations::default());
    assert!(dials.iter().all(|d| !seeded.toll_free.contains(d.phone.as_str())));
    assert_eq!(blocked(&summary, DialBlock::NoTimezone), 2, "the toll-free numbers");
    assert!(blocked(&summary, DialBlock::DoNotCall) >= 3, "{:?}", summary.blocked);
    assert!(summary.notes.iter().any(|n| n.contains("switched off")), "{:?}", summary.notes);
    assert_eq!(summary.dials_per_day.iter().map(|(_, n)| n).sum::<usize>(), dials.len());

    assert_eq!(snapshot(&app), before, "the source database is unchanged");
    let (again, _) = simulate(&app, options).await;
    assert_eq!(again, dials, "the same run dials the same leads at the same times with the same outcomes");

    let mut csv = DialCsv::new(Vec::new()).unwrap();
    for dial in &dials {
        csv.write(dial).unwrap();
    }
    let bytes = csv.finish().unwrap();
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(reader.headers().unwrap(), CSV_COLUMNS.as_slice());
    for (row, dial) in reader.records().zip(&dials) {
        let row = row.unwrap();
        assert_eq!(row[0], dial.lead_id.to_string());
        assert_eq!(row[1], *dial.phone.as_str());
        assert_eq!(DateTime::parse_from_rfc3339(&row[2]).unwrap(), dial.at);
        assert_eq!(DateTime::parse_from_rfc3339(&row[3]).unwrap(), dial.at, "the same instant on the lead's clock");
        assert_eq!(row[4].parse::<Tz>().ok(), dial.zone);
        assert_eq!(row[5], dial.attempt_number.to_string());
        assert_eq!(row[6], *dial.outcome.as_str());
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_sim_opt_outs_and_retries_go_through_the_call_ending_code() {
    let (app, _) = app_with_scripted_provider().await;
    let windows = WeeklyWindows::parse("daily 08:00-21:00").unwrap();
    let rules = DialerRules { windows, max_attempts_total: 3, max_attempts_per_day: 3, ..DialerRules::default() };
    let campaign = campaign_with(&app, rules, true).await;
    let start = utc("2026-11-02T00:00:00Z");
    seed(&app, campaign, &GROUPS, 40, (1000, 1000), |_| start.naive_utc());

    let everyone_opts_out = SimOptions {
        outcomes: OutcomeMix::parse("opt_out=100").unwrap(),
        ..SimOptions::new(campaign, start, Duration::days(2))
    };
    let (dials, summary) = simulate(&app, everyone_opts_out).await;
    assert_eq!(dials.len(), 40, "each lead once: an opt-out ends calling");
    let opted_out = summary.statuses.iter().find(|(s, _)| s.as_str() == "do_not_call").map(|(_, n)| *n);
    assert_eq!(opted_out, Some(40));

    let nobody_answers = SimOptions {
        outcomes: OutcomeMix::parse("busy=100").unwrap(),
        ..SimOptions::new(campaign, start, Duration::days(2))
    };
    let (dials, summary) = simulate(&app, nobody_answers).await;
    assert_eq!(dials.len(), 120, "three attempts each, the busy retry delay apart");
    let by_lead: BTreeMap<_, Vec<&Dial>> = dials.iter().fold(BTreeMap::new(), |mut map, dial| {
        map.entry(dial.lead_id).or_insert_with(Vec::new).push(dial);
        map
    });
    for calls in by_lead.values() {
        assert_eq!(calls.iter().map(|d| d.attempt_number).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(calls.windows(2).all(|pair| pair[1].at - pair[0].at >= Duration::minutes(27)), "{calls:?}");
    }
    assert_eq!(blocked(&summary, DialBlock::MaxAttempts), 40);
    let no_dnc = app.with_conn(|c| suppression_entries::table.count().get_result::<i64>(c).unwrap());
    assert_eq!(no_dnc, 0, "the opt-outs of the first run stayed in its scratch copy");
}

fn voxdial(app: &TestApp, args: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_voxdial"))
        .args(args)
        .env("VOXDIAL_DATABASE_URL", app.database.url())
        .env("VOXDIAL_SECRET_KEY", app.state.settings.secret_key.clone().unwrap())
        // Only the command's own words on standard error (a failpoints build warns at start).
        .env("VOXDIAL_LOG_FILTER", "error")
        // As on a person's terminal: the test runner asks for backtraces.
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .output()
        .expect("running voxdial")
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_sim_the_command_writes_every_dial_and_explains_mistakes() {
    let (app, _) = app_with_scripted_provider().await;
    let campaign = campaign_with(&app, DialerRules::default(), true).await;
    let start = utc("2026-11-02T00:00:00Z");
    seed(&app, campaign, &GROUPS, 32, (1000, 1000), |_| start.naive_utc());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dials.csv").display().to_string();
    let args = |campaign: &str, start: &str, outcomes: &str, out: &str| -> Vec<String> {
        let args = ["dialer", "simulate", "--campaign", campaign, "--start", start, "--days", "1"];
        args.iter().chain(&["--outcomes", outcomes, "--out", out]).map(|arg| arg.to_string()).collect()
    };
    let (monday, mix) = ("2026-11-02T00:00:00Z", "no_answer=60,busy=20,voicemail=20");

    let done = voxdial(&app, &args("Worldwide", monday, mix, &out));
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    assert!(stdout.contains("Dials per day") && stdout.contains("Wall time"), "{stdout}");
    let csv = std::fs::read_to_string(&out).unwrap();
    assert_eq!(csv.lines().next(), Some(CSV_COLUMNS.join(",").as_str()));
    assert!(csv.lines().count() > 32, "{csv}");

    let mistakes = [
        (args("Nope", monday, mix, &out), "no campaign named “Nope”; campaigns: Worldwide"),
        (args("Worldwide", "monday", mix, &out), "--start “monday” is not an RFC 3339 time"),
        (args("Worldwide", monday, "busy=50", &out), "--outcomes: the shares add up to 50%, not 100%"),
        (args("Worldwide", monday, mix, "/nonexistent/dials.csv"), "cannot write /nonexistent/dials.csv"),
    ];
    for (args, message) in mistakes {
        let failed = voxdial(&app, &args);
        let stderr = String::from_utf8_lossy(&failed.stderr);
        assert!(!failed.status.success());
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "one line, no backtrace: {stderr}");
    }
}

/// R-DIAL-SAFE across the world and a daylight-saving change. The dry run always works on
/// SQLite, so this runs in the SQLite pass of the suite only (VOXDIAL_TEST_POSTGRES_URL
/// unset): the PostgreSQL pass would seed the same leads only to copy them out again.
#[tokio::test(flavor = "multi_thread")]
async fn r_dial_safe_compliance_simulation_over_100k_leads() {
    if std::env::var_os("VOXDIAL_TEST_POSTGRES_URL").is_some() {
        return;
    }
    let began = Instant::now();
    let (app, _) = app_with_scripted_provider().await;
    // Sunday windows meet Alabama's no-Sunday rule and Texas' Sunday-noon start.
    let windows = WeeklyWindows::parse("Mon-Fri 09:00-18:00; Sat 10:00-14:00; Sun 12:00-17:00").unwrap();
    let mut rules = DialerRules {
        windows: windows.clone(),
        max_attempts_total: 2,
        max_attempts_per_day: 1,
        max_concurrent_calls: 10,
        max_calls_per_minute: 300,
        ..DialerRules::default()
    };
    // Retries without jitter land together, so the run has fewer distinct moments to step.
    rules.retry.jitter_percent = 0;
    // Without a prompt template: rendering has no say in when a lead is called.
    let campaign = campaign_with(&app, rules, false).await;
    // As in a campaign whose rules were saved long ago: the dialer is done rescheduling.
    app.with_conn(|conn| {
        diesel::update(campaign_dialer_rules::table.find(campaign))
            .set(campaign_dialer_rules::reschedule_after_id.eq(None::<voxdial::ids::LeadId>))
            .execute(conn)
            .unwrap()
    });
    // Thursday to Thursday: the US leave daylight saving on Sunday 2026-11-01.
    let start = utc("2026-10-29T00:00:00Z");
    // The leads come due on the hour over 36 weeks, as in a campaign that is worked for
    // months: about 2,800 of them in the simulated week (and their retries); the rest wait.
    let due = |n: usize| (start + Duration::hours((n as i64 * 7919) % (36 * 7 * 24))).naive_utc();
    let seeded = seed(&app, campaign, &GROUPS, 100_000, (53, 37), due);
    let seeded_in = began.elapsed();

    let (dials, summary) = simulate(&app, SimOptions::new(campaign, start, Duration::days(7))).await;
    println!("{summary}");
    assert_eq!(summary.leads, 100_000);
    assert_eq!(violations(&dials, &windows, &seeded), Violations::default());
    assert!(dials.iter().all(|d| !seeded.toll_free.contains(d.phone.as_str())), "a toll-free number without a zone");
    let zones: BTreeSet<&str> = dials.iter().filter_map(|d| d.zone).map(|z| z.name()).collect();
    for group in GROUPS {
        assert!(zones.contains(group.zone), "no dial in {} ({})", group.name, group.zone);
    }
    let after_the_change = dials.iter().filter(|d| d.at >= utc("2026-11-01T07:00:00Z")).count();
    assert!(after_the_change > 1000, "{after_the_change} dials after the US change");
    assert!(dials.iter().any(|d| d.attempt_number == 2), "retries are dialed too");
    assert!(blocked(&summary, DialBlock::NoTimezone) > 0 && blocked(&summary, DialBlock::DoNotCall) > 0);
    println!(
        "compliance simulation: {} dials checked; seeding {:.1} s, dry run {:.1} s, whole test {:.1} s",
        dials.len(),
        seeded_in.as_secs_f64(),
        summary.wall_time.as_secs_f64(),
        began.elapsed().as_secs_f64()
    );
}
