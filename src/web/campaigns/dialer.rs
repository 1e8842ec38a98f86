//! The Dialer tab (R-DIAL-VIEW, R-DIAL-RULES): a live status panel that htmx polls (and the
//! page embeds, so it reads without JavaScript) with Start / Stop / Resume, the rules form,
//! and the regional rules for the campaign's leads, loaded after the page as they read a
//! sample of the leads' numbers.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::CampaignHeader;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::{FlashKind, TypedSession};
use crate::domain::dialing::rules::{DialerRules, LeadOrder};
use crate::domain::dialing::{FLOOR, Profile, RetryPolicy, WeeklyWindows};
use crate::domain::lead::LeadStatus;
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::dialer::{self, COUNT_CAP, DialerState, DialerView};
use crate::web::LocalTimes;
use crate::web::htmx::HxRequest;
use crate::web::{PageCtx, redirect_with_flash, respond, respond_with_status};

/// The live part of the tab: state, controls, counts and lists.
#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_dialer_status.html")]
struct StatusPanel {
    ctx: LocalTimes,
    view: DialerView,
    state: Shown,
    /// Blocked leads of every reason.
    blocked_total: i64,
    /// The start and stop forms are inside the panel, so its fragment carries the token too.
    csrf_token: String,
}

impl StatusPanel {
    fn new(ctx: LocalTimes, view: DialerView, csrf_token: String) -> StatusPanel {
        let state = Shown::from(view.state.clone());
        let blocked_total = view.blocked.iter().map(|(_, n)| n).sum();
        StatusPanel { ctx, view, state, blocked_total, csrf_token }
    }

    /// A count as the tab shows it: digits grouped, and `10,000+` past what the service
    /// counts to.
    fn count(count: &i64) -> String {
        let digits = (*count).min(COUNT_CAP).to_string();
        let mut text = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                text.push(',');
            }
            text.push(digit);
        }
        if *count > COUNT_CAP {
            text.push('+');
        }
        text
    }
}

/// The dialer's state as the tab words it: a pause by the circuit breaker waits for a
/// person to resume; whatever else stops a switched-on dialer (the campaign's status, a
/// configuration problem) is a block that lifts when its cause does.
#[derive(PartialEq)]
enum Shown {
    Off,
    Running,
    Paused(String),
    Blocked(String),
}

impl From<DialerState> for Shown {
    fn from(state: DialerState) -> Shown {
        match state {
            DialerState::Off => Shown::Off,
            DialerState::Running => Shown::Running,
            // The dialer words a breaker pause `paused: <why>`.
            DialerState::Stopped(reason) => match reason.strip_prefix("paused: ") {
                Some(why) => Shown::Paused(sentence(why)),
                None => Shown::Blocked(sentence(&reason)),
            },
        }
    }
}

impl Shown {
    fn label(&self) -> &'static str {
        match self {
            Shown::Off => "Off",
            Shown::Running => "Running",
            Shown::Paused(_) => "Paused",
            Shown::Blocked(_) => "Blocked",
        }
    }

    /// Off, or paused by the breaker (the button then reads "Resume"); a blocked dialer is
    /// already on.
    fn can_start(&self) -> bool {
        matches!(self, Shown::Off | Shown::Paused(_))
    }

    /// The badge's extra class.
    fn badge(&self) -> &'static str {
        match self {
            Shown::Off => "",
            Shown::Running => " badge-ok",
            Shown::Paused(_) => " badge-danger",
            Shown::Blocked(_) => " badge-warn",
        }
    }
}

/// The dialer's reasons and some of the rules' problems start in lower case, as they also
/// end other sentences.
fn sentence(reason: &str) -> String {
    let mut chars = reason.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// Where a whole-number field's value goes in the rules.
type Slot = fn(&mut DialerRules) -> &mut u32;

/// The form's whole-number fields: name, what messages call it, the unit they ask for, and
/// where the value goes.
const WHOLE: [(&str, &str, &str, Slot); 10] = [
    ("attempts_total", "Attempts per lead", "", |r| &mut r.max_attempts_total),
    ("attempts_per_day", "Attempts per lead per day", "", |r| &mut r.max_attempts_per_day),
    ("busy", "Busy retry", " of minutes", |r| &mut r.retry.busy_minutes),
    ("no_answer", "No-answer retry", " of minutes", |r| &mut r.retry.no_answer_minutes),
    ("voicemail", "Voicemail retry", " of minutes", |r| &mut r.retry.voicemail_minutes),
    ("failed", "Failed-call retry", " of minutes", |r| &mut r.retry.failed_minutes),
    ("concurrent", "Calls at once", "", |r| &mut r.max_concurrent_calls),
    ("per_minute", "New calls per minute", "", |r| &mut r.max_calls_per_minute),
    ("breaker_calls", "Circuit breaker", " of calls", |r| &mut r.breaker.window_calls),
    ("breaker_percent", "Circuit breaker failure rate", " of percent", |r| &mut r.breaker.failure_percent),
];

/// The rules form as typed, kept for showing it again.
#[derive(Default)]
struct RulesForm {
    /// The text fields by name.
    text: HashMap<String, String>,
    dialable: Vec<String>,
    require_consent: bool,
    zone_fallback: bool,
}

impl RulesForm {
    fn from_rules(rules: &DialerRules) -> RulesForm {
        let mut text = HashMap::from([
            ("windows".to_owned(), rules.windows.to_text()),
            ("order".to_owned(), rules.order.as_str().to_owned()),
            ("backoff".to_owned(), rules.retry.backoff_factor.to_string()),
            ("jitter".to_owned(), rules.retry.jitter_percent.to_string()),
        ]);
        let mut copy = rules.clone();
        for (name, _, _, slot) in WHOLE {
            text.insert(name.to_owned(), slot(&mut copy).to_string());
        }
        RulesForm {
            text,
            dialable: rules.dialable.iter().map(|s| s.as_str().to_owned()).collect(),
            require_consent: rules.require_consent,
            zone_fallback: rules.campaign_zone_fallback,
        }
    }

    /// The posted pairs: the status checkboxes repeat their name, and an unticked box is
    /// not sent at all.
    fn from_pairs(pairs: Vec<(String, String)>) -> RulesForm {
        let mut form = RulesForm::default();
        for (name, value) in pairs {
            match name.as_str() {
                "dialable" => form.dialable.push(value),
                "require_consent" => form.require_consent = true,
                "zone_fallback" => form.zone_fallback = true,
                _ => {
                    form.text.insert(name, value);
                }
            }
        }
        form
    }

    fn text(&self, name: &str) -> &str {
        self.text.get(name).map_or("", String::as_str)
    }

    fn dials(&self, status: &LeadStatus) -> bool {
        self.dialable.iter().any(|code| code == status.as_str())
    }

    /// The statuses offered: those that can be dialed, and any other that was ticked (so
    /// it stays visible beside the message that refuses it).
    fn status_choices(&self) -> Vec<LeadStatus> {
        LeadStatus::ALL.iter().copied().filter(|s| !s.is_final() || self.dials(s)).collect()
    }

    /// The rules, or every problem at once: a field that does not read gets its message
    /// and the default in its place, so the rules' own checks still speak about the rest.
    fn rules(&self) -> Result<DialerRules, Vec<String>> {
        let (d, mut r) = (DialerRules::default(), Reader::default());
        let windows = WeeklyWindows::parse(self.text("windows")).map_err(|e| format!("Calling windows: {e}"));
        let dialable = self
            .dialable
            .iter()
            .map(|code| LeadStatus::from_code(code).ok_or_else(|| format!("Lead statuses: “{code}” is not a status")));
        let order =
            LeadOrder::from_code(self.text("order")).ok_or_else(|| "Lead order: choose one from the list".into());
        let backoff = match self.text("backoff").trim().replace(',', ".").parse::<f64>() {
            Ok(factor) if factor.is_finite() => Ok(factor),
            _ => Err("Backoff factor: enter a number such as 1.5".to_owned()),
        };
        let jitter = self
            .text("jitter")
            .trim()
            .parse()
            .map_err(|_| "Jitter: enter a whole number of percent from 0 to 50".into());
        let mut rules = DialerRules {
            windows: r.or(windows, d.windows),
            dialable: r.or(dialable.collect(), d.dialable),
            order: r.or(order, d.order),
            retry: RetryPolicy {
                backoff_factor: r.or(backoff, d.retry.backoff_factor),
                jitter_percent: r.or(jitter, d.retry.jitter_percent),
                ..d.retry
            },
            require_consent: self.require_consent,
            campaign_zone_fallback: self.zone_fallback,
            ..d
        };
        for (name, what, unit, slot) in WHOLE {
            let value = r.whole(self.text(name), what, unit, *slot(&mut rules));
            *slot(&mut rules) = value;
        }
        let mut problems = r.problems;
        problems.extend(rules.validate().err().unwrap_or_default());
        if problems.is_empty() { Ok(rules) } else { Err(problems) }
    }
}

/// Collects the message of each field that does not read.
#[derive(Default)]
struct Reader {
    problems: Vec<String>,
}

impl Reader {
    fn or<T>(&mut self, value: Result<T, String>, fallback: T) -> T {
        value.unwrap_or_else(|problem| {
            self.problems.push(problem);
            fallback
        })
    }

    fn whole(&mut self, text: &str, what: &str, unit: &str, fallback: u32) -> u32 {
        let value = text.trim().parse().map_err(|_| format!("{what}: enter a whole number{unit}"));
        self.or(value, fallback)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/dialer.html")]
struct DialerPage {
    ctx: PageCtx,
    header: CampaignHeader,
    status: StatusPanel,
    form: RulesForm,
    /// Why the rules were not saved, one problem a line.
    problems: Vec<String>,
    /// Why starting or stopping was refused.
    switch_error: Option<String>,
    orders: &'static [LeadOrder],
    floor: String,
}

/// What the person asked for and was refused, shown beside its form.
enum Refused {
    Nothing,
    Rules(RulesForm, Vec<String>),
    Switch(String),
}

impl DialerPage {
    fn new(ctx: PageCtx, view: DialerView, refused: Refused) -> DialerPage {
        let header = CampaignHeader { campaign: view.campaign.clone(), tab: "dialer" };
        let (form, problems, switch_error) = match refused {
            Refused::Nothing => (RulesForm::from_rules(&view.rules), Vec::new(), None),
            Refused::Rules(form, problems) => (form, problems, None),
            Refused::Switch(message) => (RulesForm::from_rules(&view.rules), Vec::new(), Some(message)),
        };
        let status = StatusPanel::new(ctx.times(), view, ctx.csrf_token.clone());
        DialerPage {
            ctx,
            header,
            status,
            form,
            problems,
            switch_error,
            orders: LeadOrder::ALL,
            floor: FLOOR.to_string(),
        }
    }
}

/// The tab again with what was refused, answered 422.
async fn refused(
    req: &HttpRequest,
    state: &AppState,
    ctx: PageCtx,
    id: CampaignId,
    refused: Refused,
) -> Result<HttpResponse, AppError> {
    let view = dialer::view(&state.ctx, id).await?;
    Ok(respond_with_status(DialerPage::new(ctx, view, refused), req, StatusCode::UNPROCESSABLE_ENTITY))
}

fn tab(id: CampaignId) -> String {
    format!("/campaigns/{id}/dialer")
}

#[get("/{id}/dialer")]
pub(super) async fn dialer_tab(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<DialerPage, AppError> {
    let view = dialer::view(&state.ctx, path.into_inner()).await?;
    Ok(DialerPage::new(ctx, view, Refused::Nothing))
}

#[get("/{id}/dialer/status")]
pub(super) async fn status_panel(
    req: HttpRequest,
    state: web::Data<AppState>,
    times: LocalTimes,
    path: web::Path<CampaignId>,
) -> Result<StatusPanel, AppError> {
    let view = dialer::view(&state.ctx, path.into_inner()).await?;
    Ok(StatusPanel::new(times, view, TypedSession::from_request(&req).csrf_token()?))
}

#[post("/{id}/dialer/rules")]
pub(super) async fn save_rules(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<CampaignId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = RulesForm::from_pairs(form.into_inner());
    let saved = match form.rules() {
        Ok(rules) => dialer::save_rules(&state.ctx, user.actor(), id, rules).await,
        Err(problems) => Err(AppError::Validation(problems.join("\n"))),
    };
    match saved {
        Ok(()) => redirect_with_flash(
            &req,
            &tab(id),
            FlashKind::Success,
            "Dialer rules saved; waiting leads are rescheduled under them.",
        ),
        Err(e) => {
            let problems = e.user_message().ok_or(e)?.lines().map(sentence).collect();
            refused(&req, &state, ctx, id, Refused::Rules(form, problems)).await
        }
    }
}

/// Start (also Resume after a pause) and Stop.
#[post("/{id}/dialer/{switch:start|stop}")]
pub(super) async fn switch(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<(CampaignId, String)>,
) -> Result<HttpResponse, AppError> {
    let (id, switch) = path.into_inner();
    let done = if switch == "start" {
        dialer::start(&state.ctx, user.actor(), id).await.map(|()| "Dialer started.")
    } else {
        dialer::stop(&state.ctx, user.actor(), id).await.map(|()| "Dialer stopped; calls in flight finish.")
    };
    match done {
        Ok(message) => redirect_with_flash(&req, &tab(id), FlashKind::Success, message),
        Err(e) => refused(&req, &state, ctx, id, Refused::Switch(e.user_message().ok_or(e)?)).await,
    }
}

/// The regional profiles that apply to the campaign's leads, strictest first.
#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_dialer_profiles.html")]
struct ProfilesPanel {
    profiles: Vec<(&'static Profile, usize)>,
}

/// The same panel as a page of its own, for browsers without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_dialer_profiles_page.html")]
struct ProfilesPage {
    ctx: PageCtx,
    campaign_id: CampaignId,
    panel: ProfilesPanel,
}

#[get("/{id}/dialer/profiles")]
pub(super) async fn profiles(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, AppError> {
    let campaign_id = path.into_inner();
    let panel = ProfilesPanel { profiles: dialer::profiles(&state.ctx, campaign_id).await? };
    if HxRequest::from_http(&req).wants_fragment() {
        Ok(respond(panel, &req))
    } else {
        Ok(respond(ProfilesPage { ctx, campaign_id, panel }, &req))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dial_view_counts_are_grouped_and_stop_at_the_cap() {
        assert_eq!(StatusPanel::count(&7), "7");
        assert_eq!(StatusPanel::count(&1234), "1,234");
        assert_eq!(StatusPanel::count(&COUNT_CAP), "10,000");
        assert_eq!(StatusPanel::count(&(COUNT_CAP + 1)), "10,000+");
    }
}
