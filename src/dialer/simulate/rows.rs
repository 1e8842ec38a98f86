//! The rows a dry run copies, column for column as stored: read from the source through the
//! shared connection (SELECTs only) and written to the scratch SQLite file in multi-row
//! inserts. Columns left out are ones the dialer never reads and that may be empty: users
//! who wrote a row, inbound routing, rendered prompts of old calls.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    campaign_dialer_rules, campaigns, interactions, leads, phone_numbers, prompt_template_versions, prompt_templates,
    provider_connections, suppression_entries, voice_agents,
};
use crate::ids::{
    AgentId, CampaignId, ConnectionId, InteractionId, LeadId, PhoneNumberId, SuppressionId, TemplateId,
    TemplateVersionId,
};

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = provider_connections, treat_none_as_null = true)]
pub struct ConnectionRow {
    id: ConnectionId,
    kind: String,
    name: String,
    api_base_url: String,
    /// Sealed with the installation's key, which the dry run shares.
    api_key_enc: String,
    api_key_hint: String,
    webhook_secret_enc: Option<String>,
    webhook_secret_hint: Option<String>,
    inbound_token_enc: Option<String>,
    inbound_token_hint: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = phone_numbers, treat_none_as_null = true)]
pub struct NumberRow {
    id: PhoneNumberId,
    pub provider_connection_id: ConnectionId,
    e164: String,
    label: String,
    provider_phone_number_id: String,
    telephony: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = voice_agents, treat_none_as_null = true)]
pub struct AgentRow {
    id: AgentId,
    pub provider_connection_id: ConnectionId,
    name: String,
    spoken_name: String,
    provider_agent_id: String,
    pub default_phone_number_id: Option<PhoneNumberId>,
    active: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = prompt_templates, treat_none_as_null = true)]
pub struct TemplateRow {
    id: TemplateId,
    name: String,
    description: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = prompt_template_versions, treat_none_as_null = true)]
pub struct VersionRow {
    id: TemplateVersionId,
    prompt_template_id: TemplateId,
    version: i32,
    system_prompt: String,
    first_message: Option<String>,
    created_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = campaigns, treat_none_as_null = true)]
pub struct CampaignRow {
    id: CampaignId,
    name: String,
    description: String,
    /// Set to active in the copy: the dry run dials the campaign as if it ran.
    pub status: String,
    timezone: String,
    default_region: String,
    production_agent_id: Option<AgentId>,
    test_agent_id: Option<AgentId>,
    prompt_template_id: Option<TemplateId>,
    phone_number_id: Option<PhoneNumberId>,
    outcome_status_map: Option<String>,
    lead_count: i32,
    blocking_error_code: Option<String>,
    blocking_error_message: Option<String>,
    blocking_error_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = campaign_dialer_rules, treat_none_as_null = true)]
pub struct DialerRulesRow {
    campaign_id: CampaignId,
    pub enabled: bool,
    calling_windows: String,
    dialable_statuses: String,
    lead_order: String,
    max_attempts_total: i32,
    max_attempts_per_day: i32,
    retry_busy_minutes: i32,
    retry_no_answer_minutes: i32,
    retry_voicemail_minutes: i32,
    retry_failed_minutes: i32,
    retry_backoff_factor: f64,
    retry_jitter_percent: i32,
    max_concurrent_calls: i32,
    max_calls_per_minute: i32,
    breaker_window_calls: i32,
    breaker_failure_percent: i32,
    require_consent: bool,
    campaign_zone_fallback: bool,
    pub paused_reason: Option<String>,
    paused_at: Option<NaiveDateTime>,
    breaker_reset_at: Option<NaiveDateTime>,
    pace_tokens: f64,
    pace_at: Option<NaiveDateTime>,
    reschedule_after_id: Option<LeadId>,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = leads, treat_none_as_null = true)]
pub struct LeadRow {
    pub id: LeadId,
    campaign_id: CampaignId,
    first_name: String,
    last_name: String,
    pub phone: String,
    email: Option<String>,
    company: Option<String>,
    timezone: Option<String>,
    status: String,
    is_test: bool,
    custom_fields: String,
    consent_source: Option<String>,
    consent_at: Option<NaiveDateTime>,
    search_name: String,
    search_last_name: String,
    search_email: String,
    search_company: String,
    attempt_count: i32,
    last_attempt_at: Option<NaiveDateTime>,
    last_contacted_at: Option<NaiveDateTime>,
    next_call_at: Option<NaiveDateTime>,
    needs_review: bool,
    deleted_at: Option<NaiveDateTime>,
    retry_at: Option<NaiveDateTime>,
    dial_block: Option<String>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = suppression_entries, treat_none_as_null = true)]
pub struct SuppressionRow {
    id: SuppressionId,
    phone: String,
    campaign_id: Option<CampaignId>,
    reason: String,
    source: String,
    created_at: NaiveDateTime,
}

/// A recent call: its time and status count towards the caps, its outcome towards the
/// retry backoff. Agent, number, connection and template are left empty, as the dry run
/// copies only those the campaign uses now.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = interactions, treat_none_as_null = true)]
pub struct CallRow {
    id: InteractionId,
    kind: String,
    direction: String,
    origin: String,
    lead_id: LeadId,
    campaign_id: CampaignId,
    contact_type: String,
    attempt_number: i32,
    counts_as_attempt: bool,
    to_number: String,
    from_number: Option<String>,
    status: String,
    outcome: Option<String>,
    error_code: Option<String>,
    provider_conversation_id: Option<String>,
    provider_call_sid: Option<String>,
    started_at: Option<NaiveDateTime>,
    ended_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}
