//! "Call now" obeys the same law as the dialer: never outside the legal floor or the lead's
//! regional rules (no override), and a person confirms before calling a lead the dialer
//! would not call now (paused campaign, outside its windows, no consent on record).

use chrono::{DateTime, Utc};

use super::Refusal;
use crate::db::campaigns::Campaign;
use crate::db::leads::Lead;
use crate::db::{self, DbConnection};
use crate::domain::campaign::CampaignStatus;
use crate::domain::dialing::schedule::{CallingRules, Verdict, verdict};
use crate::domain::dialing::windows::WeeklyWindows;
use crate::domain::dialing::{FLOOR, profile_for_number};
use crate::domain::lead::{ZoneSource, lead_zone};
use crate::error::AppError;

/// The lead's zone for a call by hand: its own, else the number's, else the campaign's (a
/// person decides, so the campaign's zone stands in; the message says so).
fn zone_of(lead: &Lead, campaign: &Campaign) -> (chrono_tz::Tz, bool) {
    match lead_zone(lead.timezone, &lead.phone, Some(campaign.timezone)) {
        Some(zone) => (zone.zone, zone.source == ZoneSource::Campaign),
        None => (campaign.timezone, true),
    }
}

/// `06:04 on Sunday` in the lead's zone.
fn local(at: DateTime<Utc>, zone: chrono_tz::Tz) -> String {
    at.with_timezone(&zone).format("%H:%M on %A").to_string()
}

/// The refusal when the floor or the lead's regional profile forbids calling now.
pub fn outside_hours(lead: &Lead, campaign: &Campaign, now: DateTime<Utc>) -> Option<Refusal> {
    let (zone, assumed) = zone_of(lead, campaign);
    let every_day = WeeklyWindows::every_day(FLOOR);
    let rules = CallingRules { campaign: &every_day, profile: profile_for_number(lead.phone.as_str()) };
    match verdict(&rules, zone, now) {
        Verdict::Open { .. } => None,
        Verdict::Closed { reason, opens_at } => Some(Refusal::OutsideCallingHours {
            local_time: local(now, zone),
            zone: if assumed {
                format!("{} (the campaign's zone; the lead's own is unknown)", zone.name())
            } else {
                zone.name().to_owned()
            },
            reason: reason.describe(),
            opens: opens_at.map(|at| local(at, zone)),
        }),
    }
}

/// What a person should know before calling this lead by hand now.
pub fn warnings(
    conn: &mut DbConnection,
    lead: &Lead,
    campaign: &Campaign,
    now: DateTime<Utc>,
) -> Result<Vec<String>, AppError> {
    let mut warnings = Vec::new();
    let dialer = db::dialer::find(conn, campaign.id)?;
    if campaign.status == CampaignStatus::Paused {
        warnings.push("The campaign is paused.".to_owned());
    } else if let Some(reason) = dialer.as_ref().and_then(|d| d.paused_reason.as_ref()) {
        warnings.push(format!("The campaign's dialer is paused: {reason}."));
    }
    if let Some(dialer) = &dialer {
        let (zone, _) = zone_of(lead, campaign);
        let windows =
            CallingRules { campaign: &dialer.calling_windows, profile: profile_for_number(lead.phone.as_str()) };
        if !verdict(&windows, zone, now).is_open() {
            warnings.push(format!(
                "It is {} for this lead, outside the campaign's calling windows ({}).",
                local(now, zone),
                dialer.calling_windows.to_text()
            ));
        }
    }
    if lead.consent_at.is_none() && lead.consent_source.is_none() {
        warnings.push("There is no consent record for this lead.".to_owned());
    }
    Ok(warnings)
}
