//! Lead list latency with a large table, and CSV import throughput.
//!
//! Seeds BENCH_LEADS leads (default 1,000,000) into one campaign of a fresh database
//! (SQLite in a temp dir, or VOXDIAL_BENCH_DATABASE_URL), starts the real app, and times
//! HTTP requests for list pages (first, deep, filtered, searched, sorted), a lead page and
//! the campaign pages, reporting p50/p99. Then imports a BENCH_IMPORT_ROWS-row CSV (default
//! 100,000) through the imports service, as the web upload does, and reports rows per second.
//!
//!     cargo bench --bench lead_pages
//!     BENCH_LEADS=200000 cargo bench --bench lead_pages

use std::ops::ControlFlow;
use std::time::Instant;

mod support;

use support::harness::env_number;

use diesel::prelude::*;
use support::pages::{login, ms, start_app, time_page};
use support::{add_campaign, seed_lead, seed_leads};
use voxdial::audit::Actor;
use voxdial::db;
use voxdial::db::schema::leads;
use voxdial::ids::LeadId;
use voxdial::imports::{self, DuplicateMode, Upload, sheet::Mapping};

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let lead_count = env_number("BENCH_LEADS", 1_000_000);
    let import_rows = env_number("BENCH_IMPORT_ROWS", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let (base, ctx) = start_app(dir.path()).await;
    let (campaign_id, other_id) = {
        let mut conn = ctx.db.get().unwrap();
        let now = ctx.clock.now();
        let campaign_id = add_campaign(&mut conn, "Big campaign", now);
        let other_id = add_campaign(&mut conn, "Import target", now);
        eprintln!("seeding {lead_count} leads…");
        seed_leads(&mut conn, campaign_id, lead_count, now);
        (campaign_id, other_id)
    };

    let client = login(&base, &ctx).await;

    let middle = {
        let mut conn = ctx.db.get().unwrap();
        let max = leads::table
            .filter(leads::campaign_id.eq(campaign_id))
            .select(diesel::dsl::max(leads::id))
            .first::<Option<LeadId>>(&mut conn)
            .unwrap()
            .unwrap();
        LeadId::new(max.get() - lead_count as i64 / 2)
    };
    let list = format!("/campaigns/{campaign_id}/leads");
    let pages = [
        ("campaign leads, first page", list.clone()),
        ("campaign leads, deep page (after the middle)", format!("{list}?after={middle}")),
        ("campaign leads, deep page backwards", format!("{list}?before={middle}")),
        ("campaign leads, status = callback", format!("{list}?status=callback")),
        ("campaign leads, test leads only", format!("{list}?test=yes")),
        ("campaign leads, by name", format!("{list}?sort=name")),
        ("campaign leads, by name, deep page", format!("{list}?sort=name&after={middle}:maria%20rossi")),
        ("campaign leads, search \"nuno sa\"", format!("{list}?q=nuno+sa")),
        ("campaign leads, search by phone prefix", format!("{list}?q=%2B1212250")),
        ("all leads, first page", "/leads".to_owned()),
        ("all leads, search \"olga ber\"", "/leads?q=olga+ber".to_owned()),
        ("lead page", format!("/leads/{middle}")),
        ("campaign overview", format!("/campaigns/{campaign_id}")),
        ("campaign list", "/campaigns".to_owned()),
        ("dashboard", "/".to_owned()),
    ];
    println!("\nLead pages with {lead_count} leads in one campaign (sequential HTTP requests, 200 each):");
    println!("{:<48} {:>10} {:>10}", "page", "p50", "p99");
    for (name, path) in &pages {
        let (p50, p99) = time_page(&client, &base, path, 200).await;
        println!("{name:<48} {:>10} {:>10}", ms(p50), ms(p99));
    }

    // Import throughput through the imports service, as the web upload and the CLI use it:
    // upload, the guessed mapping confirmed, then the worker timed.
    let mut csv = String::from("First Name,Last Name,Phone,Email,Company,Plan\n");
    let now = ctx.clock.now();
    for n in 0..import_rows {
        let lead = seed_lead(other_id, n + 5_000_000, now);
        csv.push_str(&format!(
            "{},{},{},{},{},gold\n",
            lead.first_name,
            lead.last_name,
            lead.phone,
            lead.email.unwrap(),
            lead.company.unwrap()
        ));
    }
    let actor = Actor::system("bench");
    let mut file = tempfile::tempfile().expect("temporary file");
    std::io::Write::write_all(&mut file, csv.as_bytes()).expect("writing the bench file");
    let upload = Upload { file_name: "bench.csv".into(), file };
    let id = imports::upload(&ctx, &actor, other_id, upload).await.expect("upload");
    let view = imports::view(&ctx, other_id, id, None).await.expect("import view");
    let mapping = Mapping(view.columns.into_iter().map(|c| c.target).collect());
    imports::start(&ctx, &actor, other_id, id, mapping, DuplicateMode::Skip).await.expect("start");
    let (elapsed, inserted) = tokio::task::spawn_blocking(move || {
        let start = Instant::now();
        let claimed = imports::work(&ctx, id, ctx.clock.now(), &mut |_| ControlFlow::Continue(())).expect("import");
        assert!(claimed, "the bench's import was claimed");
        let elapsed = start.elapsed();
        let import = db::imports::find(&mut ctx.db.get().unwrap(), id).unwrap();
        (elapsed, import.inserted_rows)
    })
    .await
    .unwrap();
    println!(
        "\nCSV import of {import_rows} rows into a campaign (table already holding {lead_count} leads): {:.1} s, {:.0} rows/s, {inserted} inserted",
        elapsed.as_secs_f64(),
        import_rows as f64 / elapsed.as_secs_f64()
    );
}
