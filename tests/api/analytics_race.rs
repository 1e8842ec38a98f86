//! Rollup writers racing on PostgreSQL (R-ANALYTICS): concurrent transactions that change
//! the same rollup keys never wait on or deadlock over a shared row.

use diesel::prelude::*;
use voxdial::db;
use voxdial::db::schema::interactions;
use voxdial::domain::lead::LeadStatus;

use crate::analytics_rollups::assert_rollups_match;
use crate::call_setup::{add_lead, call_setup, dialing_call, insert_dialing_call};

/// On PostgreSQL, two transactions that touch the same rollup keys in opposite orders — a
/// dialer claim (a lead's status, then a new call) against a webhook settle (a call's outcome,
/// then its lead's status) — must both commit: each writes its own rows, so neither waits on
/// the other. (SQLite has one writer at a time, so there is nothing to race there.)
#[tokio::test(flavor = "multi_thread")]
async fn r_analytics_rollup_writers_in_opposite_orders_never_wait_on_or_deadlock_each_other() {
    let app = crate::helpers::spawn_app().await;
    if !app.database.is_postgres() {
        return;
    }
    let s = call_setup(&app).await;
    let mut leads_ = Vec::new();
    for n in 0..3 {
        leads_.push(
            add_lead(&app, s.campaign, &[("first_name", "Race"), ("phone", &format!("+1212555{:04}", 400 + n))]).await,
        );
    }
    // Two leads with the same funnel key (contacted, called, not reached), and a live call
    // of the second created now, in the current quarter hour.
    let now = chrono::Utc::now().naive_utc();
    app.with_conn(|c| {
        db::leads::set_status(c, &leads_[..2], LeadStatus::Contacted, now).unwrap();
        for lead in &leads_[..2] {
            db::leads::record_attempt(c, *lead, now).unwrap();
        }
    });
    let live = dialing_call(&app, &s, leads_[1], "+12125550401");

    let barrier = std::sync::Barrier::new(2);
    let (pool_a, pool_b) = (app.ctx().db.clone(), app.ctx().db.clone());
    let (claim, settle) = std::thread::scope(|scope| {
        let claim = scope.spawn(|| {
            let mut conn = pool_a.get().unwrap();
            db::write_tx(&mut conn, |c| -> diesel::QueryResult<()> {
                db::leads::set_status(c, &leads_[..1], LeadStatus::Unreachable, now)?;
                barrier.wait();
                insert_dialing_call(c, &s, leads_[2], "+12125550402");
                Ok(())
            })
        });
        let settle = scope.spawn(|| {
            let mut conn = pool_b.get().unwrap();
            db::write_tx(&mut conn, |c| -> diesel::QueryResult<()> {
                diesel::update(interactions::table.find(live))
                    .set((interactions::status.eq("completed"), interactions::outcome.eq("callback")))
                    .execute(c)?;
                barrier.wait();
                db::leads::set_status(c, &leads_[1..2], LeadStatus::Callback, now)?;
                Ok(())
            })
        });
        (claim.join().unwrap(), settle.join().unwrap())
    });
    assert!(claim.is_ok() && settle.is_ok(), "both commit: {claim:?} {settle:?}");
    assert_rollups_match(&app, "the two writers");
}
