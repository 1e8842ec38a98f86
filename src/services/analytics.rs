//! Analytics (R-ANALYTICS): one campaign's calls, or all campaigns', over a period of the
//! reader's days: calls per day by outcome, headline rates, agents and prompt versions side
//! by side, and reach rate by the lead's local hour and weekday.

use std::collections::BTreeMap;

use chrono::TimeZone as _;
use chrono_tz::Tz;

use crate::db::analytics::{self as queries, Scope};
use crate::db::{self, campaigns::Campaign};
use crate::domain::analytics::{HeatMap, Period, Tally};
use crate::domain::daily_calls::{self, DailyCalls};
use crate::domain::lead::lead_zone;
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::Ctx;

/// One agent's or prompt version's calls; the name says "none" for calls made without one.
pub struct Compared {
    pub name: String,
    pub tally: Tally,
}

pub struct Report {
    /// The campaign, for its page; `None` across campaigns.
    pub campaign: Option<Campaign>,
    pub period: Period,
    pub daily: DailyCalls,
    pub total: Tally,
    /// Distinct leads called, and of them those interested.
    pub leads_called: i64,
    pub leads_interested: i64,
    pub agents: Vec<Compared>,
    pub versions: Vec<Compared>,
    pub heat: HeatMap,
}

/// The report for `period`, its days as the reader in `zone` has them.
pub async fn report(ctx: &Ctx, campaign: Option<CampaignId>, period: Period, zone: Tz) -> Result<Report, AppError> {
    let edges = daily_calls::day_edges(period.first, period.days(), zone);
    let scope = Scope { start: edges[0], end: edges[edges.len() - 1], campaign };
    ctx.db
        .run(move |conn| {
            let campaign = campaign.map(|id| db::campaigns::find(conn, id)).transpose()?;
            let counted = db::dashboard::calls_by_day(conn, &edges, scope.campaign)?;
            let groups = queries::groups(conn, scope)?;
            let (leads_called, leads_interested) = queries::leads(conn, scope)?;

            let mut total = Tally::default();
            let (mut agents, mut versions) = (BTreeMap::new(), BTreeMap::new());
            for group in &groups {
                total.add(&group.tally);
                agents.entry(group.agent).or_insert_with(Tally::default).add(&group.tally);
                versions.entry(group.version).or_insert_with(Tally::default).add(&group.tally);
            }
            let agent_ids: Vec<_> = agents.keys().flatten().copied().collect();
            let agent_names = queries::agent_names(conn, &agent_ids)?;
            let version_ids: Vec<_> = versions.keys().flatten().copied().collect();
            let version_names = queries::version_names(conn, &version_ids)?;
            let agents = named(agents, &agent_names, "No agent");
            let versions = named(versions, &version_names, "No prompt version");

            let mut heat = HeatMap::default();
            for hour in queries::calls_by_hour(conn, scope)? {
                let zone = lead_zone(hour.lead_zone, &hour.phone, Some(hour.campaign_zone))
                    .map_or(hour.campaign_zone, |found| found.zone);
                heat.add(zone.from_utc_datetime(&hour.hour).naive_local(), hour.calls, hour.reached);
            }
            Ok(Report {
                campaign,
                period,
                daily: DailyCalls::new(period.first, period.days(), &counted),
                total,
                leads_called,
                leads_interested,
                agents,
                versions,
                heat,
            })
        })
        .await
}

/// Each tally under its name ("#id" for one deleted since), calls without one under `none`.
fn named<I: Copy + PartialEq + std::fmt::Display>(
    tallies: BTreeMap<Option<I>, Tally>,
    names: &[(I, String)],
    none: &str,
) -> Vec<Compared> {
    let name =
        |id: I| names.iter().find(|(found, _)| *found == id).map_or_else(|| format!("#{id}"), |(_, n)| n.clone());
    tallies.into_iter().map(|(id, tally)| Compared { name: id.map_or_else(|| none.to_owned(), name), tally }).collect()
}
