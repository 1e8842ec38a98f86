//! Demo mode (`voxdial serve --demo`): a seeded workspace whose provider connection points
//! at the built-in simulator, so the whole loop — Call now, provider, signed webhook,
//! transcript, lead status — runs with no provider account.

use anyhow::{Context as _, bail};

use crate::audit::{self, Actor, Change};
use crate::auth::password;
use crate::crypto::random_token;
use crate::db::agents::AgentFields;
use crate::db::campaigns::{AiAgentsSettings, CampaignFields};
use crate::db::llm_connections::LlmFields;
use crate::db::phone_numbers::NewPhoneNumber;
use crate::db::providers::{NewConnection, SecretField};
use crate::db::{self, DbConnection, write_tx};
use crate::domain::campaign::CampaignStatus;
use crate::domain::lead::{LeadInput, LeadSource, RawLead};
use crate::domain::phone::{E164, Region};
use crate::domain::pipeline::config::{CopyTarget, Criterion, ExtractionField, FieldKind, PipelineConfig};
use crate::domain::user::{Email, PersonName, Role};
use crate::ids::{CampaignId, ConnectionId};
use crate::provider::ProviderKind;
use crate::provider::simulator::{AGENTS, CallLength, InboundTarget, LLM_MODEL, NUMBERS, Simulator, SimulatorConfig};
use crate::services::Ctx;
use crate::services::connections;

/// The connection that marks a demo workspace.
pub const CONNECTION_NAME: &str = "Demo simulator";
pub const ADMIN_EMAIL: &str = "demo@example.com";

/// A running demo.
pub struct Demo {
    pub simulator: Simulator,
    /// The admin's password, when the workspace was created by this start (shown once).
    pub new_admin_password: Option<String>,
    pub campaign_id: Option<CampaignId>,
}

const TEMPLATE: &str = "You are {{ agent.name }}, a friendly, concise sales assistant calling for Acme Voice about {{ campaign.name }}.\n\
Speak to {% if lead.first_name %}{{ lead.first_name }}{% else %}the caller{% endif %}{% if lead.company %} at {{ lead.company }}{% endif %}. It is {{ now.time }} on a {{ now.weekday }} for them.\n\
{% if contact_type == 'returning' %}You have spoken before:\n{% for call in previous_interactions %}- {{ call.date }}: {{ call.outcome }}. {{ call.summary }}\n{% endfor %}\
Pick up where you left off.{% elif contact_type == 'new' %}They called us; find out what they need.{% else %}This is your first conversation: introduce yourself and ask one question about how they follow up with leads.{% endif %}\n\
If they ask not to be called again, apologise and end the call. If they want a demo, agree a time.";

const FIRST_MESSAGE: &str = "{% if contact_type == 'returning' %}Hi {{ lead.first_name }}, it's {{ agent.name }} again from Acme Voice.\
{% elif contact_type == 'new' %}Thanks for calling Acme Voice, this is {{ agent.name }}, an AI assistant. How can I help?\
{% else %}Hi {{ lead.first_name }}, this is {{ agent.name }}, an AI assistant from Acme Voice. Do you have a minute?{% endif %}";

const FIRST_NAMES: [&str; 25] = [
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Felix", "Grace", "Hiro", "Ines", "Jonas", "Kara", "Luis", "Maya",
    "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera", "Will", "Ximena", "Yusuf",
];
const LAST_NAMES: [&str; 10] =
    ["Lima", "Chen", "Okafor", "Novak", "Garcia", "Schmidt", "Rossi", "Tanaka", "Dubois", "Kowalski"];
const COMPANIES: [&str; 10] = [
    "Northwind Traders",
    "Bluebird Dental",
    "Summit Roofing",
    "Harbor Logistics",
    "Maple Realty",
    "Cedar Clinics",
    "Pioneer Fitness",
    "Lakeside Legal",
    "Orbit Software",
    "Granite Builders",
];
const AREA_CODES: [&str; 10] = ["212", "415", "312", "305", "206", "512", "617", "303", "404", "702"];

/// The `n`th demo lead's number (in ranges set aside for fiction) and, where the number
/// does not tell, its zone. The leads live around the world, so that whenever the demo
/// runs some of them are within their local calling hours.
fn demo_phone(n: usize) -> (String, &'static str) {
    match n % 6 {
        2 => (format!("+4420794600{:02}", n), "Europe/London"),
        3 => (format!("+6125550{:04}", 100 + n), "Australia/Sydney"),
        4 => (format!("+1808555{:04}", 120 + n), ""),
        5 => (format!("+6185550{:04}", 100 + n), "Australia/Perth"),
        _ => (format!("+1{}555{:04}", AREA_CODES[n % AREA_CODES.len()], 120 + n), ""),
    }
}

const PLANS: [&str; 3] = ["starter", "growth", "enterprise"];

/// Seeds the workspace on first start, then starts the simulator and points the demo
/// connection at it. Its calls post their recordings, which voxdial keeps when
/// `store_call_audio` is on.
pub async fn start(ctx: &Ctx, call_length: CallLength) -> anyhow::Result<Demo> {
    let secrets = ctx.secrets.clone();
    let now = ctx.clock.now();
    let seeded = ctx
        .db
        .run(move |conn| {
            let existing = db::providers::list(conn)?.into_iter().find(|c| c.name == CONNECTION_NAME);
            match existing {
                Some(connection) => Ok(Ok((connection.id, None))),
                None if db::users::count(conn)? > 0 => Ok(Err(())),
                None => Ok(Ok(write_tx(conn, |conn| seed(conn, &secrets, now))?)),
            }
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let Ok((connection_id, new_admin_password)) = seeded else {
        bail!(
            "this database already holds a workspace without the demo; run the demo on its own database (VOXDIAL_DATABASE_URL=voxdial-demo.db)"
        );
    };
    let connection = ctx
        .db
        .run(move |conn| Ok(db::providers::find(conn, connection_id)?))
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let api_key = connections::open(&ctx.secrets, SecretField::ApiKey, &connection.api_key_enc)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let webhook_secret = connections::open(
        &ctx.secrets,
        SecretField::WebhookSecret,
        connection.webhook_secret_enc.as_deref().context("the demo connection lost its webhook secret")?,
    )
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let inbound_token = connection
        .inbound_token_enc
        .as_deref()
        .map(|sealed| connections::open(&ctx.secrets, SecretField::InboundToken, sealed))
        .transpose()
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let (webhook_url, initiation_url) = connections::webhook_urls(&ctx.settings.public_url, connection_id);
    let inbound =
        inbound_token.map(|token| InboundTarget { initiation_url, token, app_url: ctx.settings.public_url.clone() });
    let config = SimulatorConfig { api_key, webhook_url, webhook_secret, call_length, send_audio: true, inbound };
    let simulator = Simulator::start(config)?;
    let base_url = simulator.base_url.clone();
    let campaign_id = ctx
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                db::providers::update_details(conn, connection_id, CONNECTION_NAME, &base_url, now)?;
                point_llm_at_simulator(conn, &base_url, now)
            })?;
            Ok(db::campaigns::names(conn)?.first().map(|(id, _)| *id))
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(Demo { simulator, new_admin_password, campaign_id })
}

/// Creates the demo workspace: admin, connection, numbers, agents, template, campaign, leads.
fn seed(
    conn: &mut DbConnection,
    secrets: &crate::crypto::SecretBox,
    now: chrono::NaiveDateTime,
) -> Result<(ConnectionId, Option<String>), crate::error::AppError> {
    let actor = Actor::system("demo setup");
    let password = random_token()[..16].to_owned();
    let hash = password::hash_blocking(&password)?;
    let email = Email::parse(ADMIN_EMAIL).expect("valid demo email");
    db::users::insert(conn, &email, &PersonName::parse("Demo Admin").expect("valid name"), &hash, Role::Admin, now)?;

    let connection_id = db::providers::insert(
        conn,
        NewConnection {
            kind: ProviderKind::ElevenLabs,
            name: CONNECTION_NAME,
            api_base_url: "http://127.0.0.1:9",
            api_key: connections::seal(secrets, SecretField::ApiKey, &format!("sk_demo_{}", &random_token()[..20])),
            webhook_secret: Some(connections::seal(
                secrets,
                SecretField::WebhookSecret,
                &format!("wsec_{}", random_token()),
            )),
            inbound_token: Some(connections::seal(secrets, SecretField::InboundToken, &random_token())),
        },
        now,
    )?;
    let mut number_ids = Vec::new();
    for (provider_id, e164, label, telephony) in NUMBERS {
        let e164 = E164::parse(e164, None).map_err(|e| crate::error::AppError::Unexpected(anyhow::anyhow!(e)))?;
        let number = NewPhoneNumber {
            provider_connection_id: connection_id,
            e164: &e164,
            label,
            provider_phone_number_id: provider_id,
            telephony,
        };
        number_ids.push(db::phone_numbers::insert(conn, &number, now)?);
    }
    let mut agent_ids = Vec::new();
    for (index, (agent_id, name)) in AGENTS.iter().enumerate() {
        agent_ids.push(db::agents::insert(
            conn,
            &AgentFields {
                provider_connection_id: connection_id,
                name,
                // "Ava — sales" introduces herself as Ava.
                spoken_name: name.split(" — ").next().unwrap_or(name),
                provider_agent_id: agent_id,
                default_phone_number_id: Some(number_ids[index.min(1)]),
            },
            now,
        )?);
    }
    let template_id =
        db::templates::insert_template(conn, "Demo opening", "Branches on new, first and returning contacts", now)?;
    db::templates::add_version(conn, template_id, TEMPLATE, Some(FIRST_MESSAGE), None, now)?;
    let campaign_id = db::campaigns::insert(
        conn,
        &CampaignFields {
            name: "Demo: Spring outreach",
            description: "A demo campaign calling through the built-in simulator.",
            status: CampaignStatus::Active,
            timezone: chrono_tz::America::New_York,
            default_region: Region::parse("US").expect("a known region"),
        },
        now,
    )?;
    db::campaigns::set_ai_agents(
        conn,
        campaign_id,
        &AiAgentsSettings {
            production_agent_id: Some(agent_ids[0]),
            test_agent_id: Some(agent_ids[1]),
            prompt_template_id: Some(template_id),
            phone_number_id: Some(number_ids[0]),
        },
        now,
    )?;
    // Calls to the other numbers reach the demo campaign too.
    db::providers::set_default_inbound_campaign(conn, connection_id, Some(campaign_id), now)?;
    db::pipeline::save_campaign_config(conn, campaign_id, &demo_pipeline(), now)?;
    for n in 0..54 {
        let (phone, timezone) = demo_phone(n);
        let raw = RawLead {
            first_name: FIRST_NAMES[n % FIRST_NAMES.len()].into(),
            last_name: LAST_NAMES[(n * 7) % LAST_NAMES.len()].into(),
            phone,
            timezone: timezone.into(),
            email: format!("{}.{}@example.com", FIRST_NAMES[n % FIRST_NAMES.len()].to_lowercase(), n),
            company: COMPANIES[(n * 3) % COMPANIES.len()].into(),
            is_test: if n >= 50 { "yes".into() } else { String::new() },
            consent_source: "Website demo request".into(),
            consent_at: "2026-10-01".into(),
            custom: vec![("plan".into(), PLANS[n % PLANS.len()].into())],
            ..RawLead::default()
        };
        let lead = LeadInput::parse(&raw, None)
            .map_err(|e| crate::error::AppError::Unexpected(anyhow::anyhow!("demo lead {n}: {e:?}")))?;
        db::leads::insert(conn, campaign_id, &lead, LeadSource::Form, now)?;
    }
    let change = Change {
        action: "demo.seed",
        object_kind: "campaign",
        object_id: Some(campaign_id.get()),
        summary: "Created the demo workspace",
    };
    audit::record(conn, &actor, change, now)?;
    Ok((connection_id, Some(password)))
}

/// The demo campaign's pipeline: analysis, two fields and a three-part score.
fn demo_pipeline() -> PipelineConfig {
    let text = |name: &str, kind: FieldKind, description: &str, choices: &[&str]| ExtractionField {
        name: name.into(),
        kind,
        description: description.into(),
        choices: choices.iter().map(|c| (*c).to_owned()).collect(),
        copy_to: None,
    };
    let criterion = |name: &str, weight: u32, description: &str| Criterion {
        name: name.into(),
        weight,
        description: description.into(),
    };
    PipelineConfig {
        llm_enabled: true,
        analysis: true,
        fields: vec![
            text("next_step", FieldKind::Choice, "The next step agreed", &["demo", "call back", "none"]),
            ExtractionField {
                copy_to: Some(CopyTarget::Custom),
                ..text("current_tool", FieldKind::Text, "Which tool or process they use today", &[])
            },
        ],
        rubric: vec![
            criterion("need", 3, "They have a clear need for the product"),
            criterion("interest", 2, "They showed interest in a next step"),
            criterion("timing", 1, "They could buy soon"),
        ],
        ..PipelineConfig::default()
    }
}

/// The demo's LLM connection is the simulator's responder, whose address changes with each
/// start; a connection an admin set up to a real LLM is left alone.
fn point_llm_at_simulator(
    conn: &mut DbConnection,
    simulator_url: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), crate::error::AppError> {
    if db::llm_connections::find(conn)?.is_some_and(|c| c.model != LLM_MODEL) {
        return Ok(());
    }
    let base_url = format!("{simulator_url}/v1");
    let fields = LlmFields {
        name: "Demo responder (built in)",
        base_url: &base_url,
        model: LLM_MODEL,
        api_key: None,
        timeout_secs: 10,
        max_concurrent: 2,
        input_usd_per_mtok: None,
        output_usd_per_mtok: None,
    };
    db::llm_connections::save(conn, &fields, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone as _, Timelike as _, Utc};

    use super::*;

    /// Whatever the hour, some demo leads are well inside their calling hours, so Call now
    /// works in the demo wherever and whenever it is tried.
    #[test]
    fn at_every_hour_some_demo_leads_are_in_their_daytime() {
        let zones: Vec<chrono_tz::Tz> = (0..50)
            .map(|n| {
                let (phone, zone) = demo_phone(n);
                match zone {
                    "" => E164::parse(&phone, None).unwrap().zone().expect("a US number's zone"),
                    named => named.parse().unwrap(),
                }
            })
            .collect();
        for day in [1, 182] {
            for hour in 0..24 {
                let at = Utc.with_ymd_and_hms(2026, 1, 1, hour, 0, 0).unwrap() + chrono::Duration::days(day);
                let awake = zones.iter().filter(|z| (10..19).contains(&at.with_timezone(*z).hour())).count();
                assert!(awake >= 5, "only {awake} demo leads in their daytime at {at}");
            }
        }
    }
}
