//! Analytics (R-ANALYTICS): one campaign's calls, or all campaigns', over a period of the
//! reader's days: calls per day by outcome, headline rates, agents and prompt versions side
//! by side, and reach rate by the lead's local hour and weekday.

use std::collections::BTreeMap;

use chrono_tz::Tz;

use crate::db::analytics::{self as queries, DayCalls, Scope};
use crate::db::{self, campaigns::Campaign};
use crate::domain::analytics::{Funnel, HeatMap, Period, Tally};
use crate::domain::daily_calls::{self, DailyCalls};
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
    /// The campaign's (or every campaign's) live leads as they stand now.
    pub funnel: Funnel,
    pub agents: Vec<Compared>,
    pub versions: Vec<Compared>,
    pub heat: HeatMap,
}

/// The report for `period`, its days as the reader in `zone` has them.
pub async fn report(ctx: &Ctx, campaign: Option<CampaignId>, period: Period, zone: Tz) -> Result<Report, AppError> {
    let edges = daily_calls::day_edges(period.first, period.days(), zone);
    let scope = Scope { start: edges[0], end: edges[edges.len() - 1], campaign };
    // Three independent reads on their own connections at once: a long period reads tens of
    // thousands of rollup rows, and the cores share them.
    let days_and_leads = ctx.db.run(move |conn| {
        let campaign = campaign.map(|id| db::campaigns::find(conn, id)).transpose()?;
        let days = queries::calls_by_day(conn, &edges, scope.campaign)?;
        Ok((campaign, days, Funnel::of(&queries::funnel(conn, scope.campaign)?)))
    });
    let compared = ctx.db.run(move |conn| {
        let (mut agents, mut versions) = (BTreeMap::new(), BTreeMap::new());
        for group in queries::groups(conn, scope)? {
            agents.entry(group.agent).or_insert_with(Tally::default).add(&group.tally);
            versions.entry(group.version).or_insert_with(Tally::default).add(&group.tally);
        }
        let agent_ids: Vec<_> = agents.keys().flatten().copied().collect();
        let agent_names = queries::agent_names(conn, &agent_ids)?;
        let version_ids: Vec<_> = versions.keys().flatten().copied().collect();
        let version_names = queries::version_names(conn, &version_ids)?;
        Ok((named(agents, &agent_names, "No agent"), named(versions, &version_names, "No prompt version")))
    });
    let heat = ctx.db.run(move |conn| {
        let mut heat = HeatMap::default();
        for (week_hour, calls, reached) in queries::reach_by_week_hour(conn, scope)? {
            heat.add(week_hour, calls, reached);
        }
        Ok(heat)
    });
    let ((campaign, days, funnel), (agents, versions), heat) = tokio::try_join!(days_and_leads, compared, heat)?;
    let mut total = Tally::default();
    for day in &days {
        total.add(&day.tally);
    }
    let counted: Vec<_> = days.iter().map(DayCalls::counted).collect();
    Ok(Report {
        campaign,
        period,
        daily: DailyCalls::new(period.first, period.days(), &counted),
        total,
        funnel,
        agents,
        versions,
        heat,
    })
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
