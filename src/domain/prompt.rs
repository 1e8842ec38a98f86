//! Voice prompt templates (R-PROMPT, R-PROMPT-VARS): minijinja with strict undefined, no
//! HTML escaping (the text goes to a language model, not a browser), bounded work per render.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Datelike as _, Timelike as _};
use chrono_tz::Tz;
use minijinja::value::{Object, ObjectRepr, Value};
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use super::interaction::ContactType;
pub use super::prompt_error::TemplateError;
use super::prompt_error::locate;

/// The variables a template sees, for the editor's reference panel.
pub const VARIABLES: &[(&str, &str)] = &[
    ("lead.first_name, lead.last_name, lead.full_name", "the lead's name"),
    ("lead.phone", "the lead's number in E.164 form"),
    ("lead.email, lead.company", "contact details (empty when unknown)"),
    ("lead.timezone", "the lead's IANA timezone (empty when unknown)"),
    ("lead.status", "the lead's status, e.g. new, callback, qualified"),
    ("lead.is_test", "true for test leads"),
    ("lead.attempt_count", "calls made to this lead so far"),
    ("lead.<custom field>", "every custom field of the lead (also under lead.custom)"),
    ("campaign.name, campaign.description", "the campaign"),
    ("agent.name", "the name the voice agent speaks as, e.g. Ava (its label when it has no spoken name)"),
    ("agent.label", "the agent's label in voxdial, e.g. Ava — sales (not meant to be spoken)"),
    ("contact_type", "new, first or returning"),
    ("attempt_number", "1 for the first call to this lead, then 2, 3…"),
    ("previous_interactions", "earlier calls, newest first: each has date, outcome, summary"),
    ("now", "the current time in the lead's timezone; also now.date, now.time, now.weekday, now.hour"),
];

/// The template text to render.
#[derive(Debug, Clone, Copy)]
pub struct PromptSource<'a> {
    pub system_prompt: &'a str,
    pub first_message: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPrompt {
    pub system_prompt: String,
    pub first_message: Option<String>,
}

/// The lead as templates see it.
#[derive(Debug, Clone, Serialize)]
pub struct LeadVars {
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: String,
    pub company: String,
    pub timezone: String,
    pub status: String,
    pub is_test: bool,
    pub attempt_count: i32,
    pub custom: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PreviousInteraction {
    pub date: String,
    pub outcome: String,
    pub summary: String,
}

/// The voice agent as templates see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentVars {
    /// What the voice says its name is.
    pub name: String,
    /// The agent's label in voxdial.
    pub label: String,
}

impl AgentVars {
    /// An agent with a label and an optional spoken name; without one it speaks as its
    /// label, so templates written before spoken names existed render as they did.
    pub fn new(label: &str, spoken_name: &str) -> AgentVars {
        let spoken = spoken_name.trim();
        AgentVars { name: if spoken.is_empty() { label } else { spoken }.to_owned(), label: label.to_owned() }
    }
}

/// Everything a render needs (R-PROMPT-VARS).
#[derive(Debug, Clone)]
pub struct PromptContext {
    pub lead: LeadVars,
    pub campaign_name: String,
    pub campaign_description: String,
    pub agent: AgentVars,
    pub contact_type: ContactType,
    pub attempt_number: i32,
    pub previous_interactions: Vec<PreviousInteraction>,
    pub now: DateTime<Tz>,
}

/// The current time in the lead's zone; prints as e.g. "Tuesday 24 November 2026, 09:30 (America/New_York)".
#[derive(Debug)]
struct Now(DateTime<Tz>);

impl Object for Now {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let t = &self.0;
        Some(match key.as_str()? {
            "date" => Value::from(t.format("%Y-%m-%d").to_string()),
            "time" => Value::from(t.format("%H:%M").to_string()),
            "weekday" => Value::from(t.format("%A").to_string()),
            "hour" => Value::from(t.hour()),
            "minute" => Value::from(t.minute()),
            "day" => Value::from(t.day()),
            "month" => Value::from(t.month()),
            "year" => Value::from(t.year()),
            "timezone" => Value::from(t.timezone().name()),
            "iso" => Value::from(t.to_rfc3339()),
            _ => return None,
        })
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0.format("%A %-d %B %Y, %H:%M"), self.0.timezone().name())
    }
}

impl PromptContext {
    fn to_value(&self) -> Value {
        // Custom fields sit beside the columns (columns win on a clash) and under lead.custom.
        let mut lead: BTreeMap<String, Value> =
            self.lead.custom.iter().map(|(k, v)| (k.clone(), Value::from(minijinja::value::Serde(v)))).collect();
        let columns = Value::from(minijinja::value::Serde(&self.lead));
        if let Ok(keys) = columns.try_iter() {
            for key in keys {
                if let Some(name) = key.as_str()
                    && let Ok(value) = columns.get_attr(name)
                {
                    lead.insert(name.to_owned(), value);
                }
            }
        }
        lead.insert(
            "full_name".into(),
            Value::from(format!("{} {}", self.lead.first_name, self.lead.last_name).trim().to_owned()),
        );
        minijinja::context! {
            lead => Value::from(lead),
            campaign => minijinja::context! { name => &self.campaign_name, description => &self.campaign_description },
            agent => minijinja::context! { name => &self.agent.name, label => &self.agent.label },
            contact_type => self.contact_type.as_str(),
            attempt_number => self.attempt_number,
            previous_interactions => Value::from(minijinja::value::Serde(&self.previous_interactions)),
            now => Value::from_object(Now(self.now)),
        }
    }
}

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    // User-written templates: bound loops and recursion.
    env.set_fuel(Some(50_000));
    env.set_recursion_limit(50);
    env
}

fn render_part(env: &Environment<'_>, part: &'static str, source: &str, ctx: &Value) -> Result<String, TemplateError> {
    env.render_str(source, ctx).map_err(|err| locate(part, source, &err))
}

/// Renders both parts of a template for one context.
pub fn render(source: PromptSource<'_>, ctx: &PromptContext) -> Result<RenderedPrompt, TemplateError> {
    let env = environment();
    let value = ctx.to_value();
    let system_prompt = render_part(&env, "system prompt", source.system_prompt, &value)?;
    let first_message = source
        .first_message
        .filter(|m| !m.trim().is_empty())
        .map(|m| render_part(&env, "first message", m, &value))
        .transpose()?;
    Ok(RenderedPrompt { system_prompt, first_message })
}

/// Renders the template for every contact type, so an error hiding in one branch is found
/// before a call needs that branch.
pub fn check_all_branches(source: PromptSource<'_>, base: &PromptContext) -> Result<(), TemplateError> {
    for &contact_type in ContactType::ALL {
        let mut ctx = base.clone();
        ctx.contact_type = contact_type;
        if contact_type != ContactType::Returning {
            ctx.previous_interactions.clear();
        } else if ctx.previous_interactions.is_empty() {
            ctx.previous_interactions = sample_history();
        }
        render(source, &ctx).map_err(|mut e| {
            e.message = format!("{} (with contact_type = {})", e.message, contact_type.as_str());
            e
        })?;
    }
    Ok(())
}

fn sample_history() -> Vec<PreviousInteraction> {
    vec![PreviousInteraction {
        date: "2026-11-02".into(),
        outcome: "callback".into(),
        summary: "Asked to be called back next week about pricing.".into(),
    }]
}

/// The built-in sample lead for previews and save-time checks.
pub fn sample_context(contact_type: ContactType, now: DateTime<Tz>) -> PromptContext {
    let mut custom = serde_json::Map::new();
    custom.insert("source".into(), serde_json::Value::from("Website form"));
    PromptContext {
        lead: LeadVars {
            first_name: "Ana".into(),
            last_name: "Lima".into(),
            phone: "+14155550123".into(),
            email: "ana.lima@example.com".into(),
            company: "Lima Logistics".into(),
            timezone: now.timezone().name().into(),
            status: "new".into(),
            is_test: true,
            attempt_count: if contact_type == ContactType::Returning { 1 } else { 0 },
            custom,
        },
        campaign_name: "Sample campaign".into(),
        campaign_description: "A sample campaign for previews".into(),
        agent: AgentVars::new("Ava — sample agent", "Ava"),
        contact_type,
        attempt_number: if contact_type == ContactType::Returning { 2 } else { 1 },
        previous_interactions: if contact_type == ContactType::Returning { sample_history() } else { Vec::new() },
        now,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    fn at_nine() -> DateTime<Tz> {
        chrono_tz::America::New_York.with_ymd_and_hms(2026, 11, 24, 9, 30, 0).unwrap()
    }

    fn ctx(contact_type: ContactType) -> PromptContext {
        sample_context(contact_type, at_nine())
    }

    fn render_one(template: &str, ctx: &PromptContext) -> Result<String, TemplateError> {
        render(PromptSource { system_prompt: template, first_message: None }, ctx).map(|r| r.system_prompt)
    }

    #[test]
    fn every_documented_variable_renders() {
        let template = "{{ lead.first_name }}|{{ lead.last_name }}|{{ lead.full_name }}|{{ lead.phone }}|\
            {{ lead.email }}|{{ lead.company }}|{{ lead.timezone }}|{{ lead.status }}|{{ lead.is_test }}|\
            {{ lead.attempt_count }}|{{ lead.source }}|{{ lead.custom.source }}|{{ campaign.name }}|\
            {{ campaign.description }}|{{ agent.name }}|{{ agent.label }}|{{ contact_type }}|{{ attempt_number }}|\
            {% for p in previous_interactions %}{{ p.date }} {{ p.outcome }} {{ p.summary }}{% endfor %}|\
            {{ now }}|{{ now.date }} {{ now.time }} {{ now.weekday }} {{ now.hour }}";
        let out = render_one(template, &ctx(ContactType::Returning)).unwrap();
        assert_eq!(
            out,
            "Ana|Lima|Ana Lima|+14155550123|ana.lima@example.com|Lima Logistics|America/New_York|new|True|1|\
             Website form|Website form|Sample campaign|A sample campaign for previews|Ava|Ava — sample agent|returning|2|\
             2026-11-02 callback Asked to be called back next week about pricing.|\
             Tuesday 24 November 2026, 09:30 (America/New_York)|2026-11-24 09:30 Tuesday 9"
        );
    }

    #[test]
    fn templates_branch_on_the_contact_type() {
        let template = "{% if contact_type == 'new' %}Welcome!{% elif contact_type == 'first' %}Hi {{ lead.first_name }}.\
            {% else %}Good to talk again, {{ lead.first_name }}.{% endif %}";
        assert_eq!(render_one(template, &ctx(ContactType::New)).unwrap(), "Welcome!");
        assert_eq!(render_one(template, &ctx(ContactType::First)).unwrap(), "Hi Ana.");
        assert_eq!(render_one(template, &ctx(ContactType::Returning)).unwrap(), "Good to talk again, Ana.");
    }

    #[test]
    fn an_undefined_variable_is_an_error_with_line_and_column() {
        let err = render_one("Hello {{ lead.first_name }}.\nYour plan: {{ lead.plan }}", &ctx(ContactType::First))
            .unwrap_err();
        assert_eq!(err.part, "system prompt");
        assert_eq!(err.line, Some(2));
        assert_eq!(err.column, Some(15));
        assert_eq!(err.variable.as_deref(), Some("lead.plan"));
        assert_eq!(err.to_string(), "system prompt, line 2, column 15: undefined variable `lead.plan`");
        let err = render_one("{{ campaing.name }}", &ctx(ContactType::First)).unwrap_err();
        assert_eq!((err.line, err.column, err.variable.as_deref()), (Some(1), Some(4), Some("campaing")));
    }

    #[test]
    fn an_undefined_variable_is_located_at_the_variable_not_at_what_used_it() {
        // minijinja reports the filter, or the attribute after the missing one.
        let err = render_one("Hi.\nPlan: {{ lead.plan | upper }}", &ctx(ContactType::First)).unwrap_err();
        assert_eq!((err.line, err.column, err.variable.as_deref()), (Some(2), Some(10), Some("lead.plan")));
        let err = render_one("{{ lead.first_name }} {{ lead.first_name.x.y }}", &ctx(ContactType::First)).unwrap_err();
        assert_eq!((err.column, err.variable.as_deref()), (Some(26), Some("lead.first_name.x")));
        let err = render_one("{% for call in history %}{% endfor %}", &ctx(ContactType::First)).unwrap_err();
        assert_eq!((err.column, err.variable.as_deref()), (Some(16), Some("history")));
    }

    #[test]
    fn agent_name_is_the_spoken_name_and_falls_back_to_the_label() {
        let mut c = ctx(ContactType::First);
        c.agent = AgentVars::new("Ava — sales", "Ava");
        assert_eq!(render_one("{{ agent.name }}/{{ agent.label }}", &c).unwrap(), "Ava/Ava — sales");
        c.agent = AgentVars::new("Ava — sales", "  ");
        assert_eq!(render_one("{{ agent.name }}/{{ agent.label }}", &c).unwrap(), "Ava — sales/Ava — sales");
    }

    #[test]
    fn defaults_and_definedness_checks_work_under_strict_undefined() {
        let template = "{{ lead.plan | default('basic') }} {% if lead.plan is defined %}x{% else %}y{% endif %}";
        assert_eq!(render_one(template, &ctx(ContactType::First)).unwrap(), "basic y");
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = render_one("line one\n{% if contact_type == 'new' %}\nno end", &ctx(ContactType::New)).unwrap_err();
        assert!(matches!(err.line, Some(2 | 3)), "{err}");
        assert!(err.message.contains("syntax"), "{}", err.message);
    }

    #[test]
    fn a_branch_only_one_contact_type_reaches_is_still_checked() {
        let source = PromptSource {
            system_prompt: "{% if contact_type == 'returning' %}{{ lead.missing }}{% endif %}ok",
            first_message: None,
        };
        assert_eq!(render_one(source.system_prompt, &ctx(ContactType::First)).unwrap(), "ok");
        let err = check_all_branches(source, &ctx(ContactType::First)).unwrap_err();
        assert!(err.message.contains("contact_type = returning"), "{}", err.message);
    }

    #[test]
    fn html_in_lead_data_reaches_the_prompt_untouched() {
        let mut c = ctx(ContactType::First);
        c.lead.company = "<b>Acme & Sons</b> <script>alert(1)</script>".into();
        assert_eq!(render_one("{{ lead.company }}", &c).unwrap(), "<b>Acme & Sons</b> <script>alert(1)</script>");
    }

    #[test]
    fn the_first_message_renders_too_and_blank_means_none() {
        let source = PromptSource { system_prompt: "S", first_message: Some("Hi {{ lead.first_name }}") };
        let out = render(source, &ctx(ContactType::First)).unwrap();
        assert_eq!(out.first_message.as_deref(), Some("Hi Ana"));
        let err =
            render(PromptSource { system_prompt: "S", first_message: Some("{{ nope }}") }, &ctx(ContactType::First))
                .unwrap_err();
        assert_eq!(err.part, "first message");
        let blank = render(PromptSource { system_prompt: "S", first_message: Some("  ") }, &ctx(ContactType::First));
        assert_eq!(blank.unwrap().first_message, None);
    }

    #[test]
    fn columns_win_over_custom_fields_with_the_same_name() {
        let mut c = ctx(ContactType::First);
        c.lead.custom.insert("first_name".into(), "Imposter".into());
        assert_eq!(render_one("{{ lead.first_name }}/{{ lead.custom.first_name }}", &c).unwrap(), "Ana/Imposter");
    }

    #[test]
    fn runaway_templates_are_stopped() {
        let err = render_one(
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
            &ctx(ContactType::First),
        );
        assert!(err.is_err());
    }
}
