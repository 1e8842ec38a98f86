-- The whole voxdial domain schema (SPEC §2).
-- The PostgreSQL twin of this file differs only in identity columns, BYTEA and the
-- byte-order ("C") collation it declares on the columns searched by prefix;
-- tests/schema_snapshot.txt pins both to the same tables and columns.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Server-side sessions: the cookie holds a random key, the table holds its SHA-256.
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    key_hash TEXT NOT NULL UNIQUE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    attempted_at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_email ON login_attempts (email, attempted_at);
CREATE INDEX login_attempts_client_ip ON login_attempts (client_ip, attempted_at);
CREATE INDEX login_attempts_attempted_at ON login_attempts (attempted_at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    object_kind TEXT NOT NULL,
    object_id BIGINT,
    summary TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id, id);

-- Secrets are AEAD-encrypted (*_enc); *_hint keeps the last characters for display.
CREATE TABLE provider_connections (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('elevenlabs')),
    name TEXT NOT NULL UNIQUE,
    api_base_url TEXT NOT NULL,
    api_key_enc TEXT NOT NULL,
    api_key_hint TEXT NOT NULL,
    webhook_secret_enc TEXT,
    webhook_secret_hint TEXT,
    inbound_token_enc TEXT,
    inbound_token_hint TEXT,
    last_check_at TIMESTAMP,
    last_check_ok BOOLEAN,
    last_check_message TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE llm_connections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    base_url TEXT NOT NULL,
    model TEXT NOT NULL,
    api_key_enc TEXT,
    api_key_hint TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE phone_numbers (
    id INTEGER PRIMARY KEY,
    provider_connection_id BIGINT NOT NULL REFERENCES provider_connections (id) ON DELETE RESTRICT,
    e164 TEXT NOT NULL,
    label TEXT NOT NULL,
    provider_phone_number_id TEXT NOT NULL,
    telephony TEXT NOT NULL CHECK (telephony IN ('twilio', 'sip_trunk')),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (provider_connection_id, provider_phone_number_id)
);
CREATE INDEX phone_numbers_e164 ON phone_numbers (e164);

CREATE TABLE voice_agents (
    id INTEGER PRIMARY KEY,
    provider_connection_id BIGINT NOT NULL REFERENCES provider_connections (id) ON DELETE RESTRICT,
    name TEXT NOT NULL,
    provider_agent_id TEXT NOT NULL,
    default_phone_number_id BIGINT REFERENCES phone_numbers (id) ON DELETE RESTRICT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (provider_connection_id, provider_agent_id)
);
CREATE INDEX voice_agents_default_phone_number_id ON voice_agents (default_phone_number_id);
CREATE INDEX voice_agents_provider_agent_id ON voice_agents (provider_agent_id);

CREATE TABLE prompt_templates (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Every save is a new version; calls point at the version they used.
CREATE TABLE prompt_template_versions (
    id INTEGER PRIMARY KEY,
    prompt_template_id BIGINT NOT NULL REFERENCES prompt_templates (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    system_prompt TEXT NOT NULL,
    first_message TEXT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (prompt_template_id, version)
);

CREATE TABLE campaigns (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'active', 'paused', 'archived')),
    timezone TEXT NOT NULL,
    default_region TEXT NOT NULL,
    production_agent_id BIGINT REFERENCES voice_agents (id) ON DELETE RESTRICT,
    test_agent_id BIGINT REFERENCES voice_agents (id) ON DELETE RESTRICT,
    prompt_template_id BIGINT REFERENCES prompt_templates (id) ON DELETE RESTRICT,
    phone_number_id BIGINT REFERENCES phone_numbers (id) ON DELETE RESTRICT,
    outcome_status_map TEXT,
    -- Live (not deleted) leads, kept by the data layer in the transaction that changes them.
    lead_count INTEGER NOT NULL DEFAULT 0,
    blocking_error_code TEXT,
    blocking_error_message TEXT,
    blocking_error_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX campaigns_status ON campaigns (status);
CREATE INDEX campaigns_production_agent_id ON campaigns (production_agent_id);
CREATE INDEX campaigns_test_agent_id ON campaigns (test_agent_id);
CREATE INDEX campaigns_prompt_template_id ON campaigns (prompt_template_id);
CREATE INDEX campaigns_phone_number_id ON campaigns (phone_number_id);

CREATE TABLE campaign_dialer_rules (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    calling_windows TEXT NOT NULL,
    dialable_statuses TEXT NOT NULL,
    lead_order TEXT NOT NULL CHECK (lead_order IN ('oldest_first', 'newest_first', 'fewest_attempts')),
    max_attempts_total INTEGER NOT NULL,
    max_attempts_per_day INTEGER NOT NULL,
    retry_busy_minutes INTEGER NOT NULL,
    retry_no_answer_minutes INTEGER NOT NULL,
    retry_voicemail_minutes INTEGER NOT NULL,
    retry_failed_minutes INTEGER NOT NULL,
    retry_backoff_factor DOUBLE PRECISION NOT NULL,
    max_concurrent_calls INTEGER NOT NULL,
    max_calls_per_minute INTEGER NOT NULL,
    breaker_window_calls INTEGER NOT NULL,
    breaker_failure_rate DOUBLE PRECISION NOT NULL,
    paused_reason TEXT,
    paused_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE campaign_pipelines (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    llm_connection_id BIGINT REFERENCES llm_connections (id) ON DELETE SET NULL,
    analysis_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    extraction_fields TEXT NOT NULL DEFAULT '[]',
    scoring_rubric TEXT NOT NULL DEFAULT '[]',
    updated_at TIMESTAMP NOT NULL
);

-- Leads are soft-deleted (deleted_at) so the history of their calls stays readable.
CREATE TABLE leads (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE RESTRICT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    phone TEXT NOT NULL,
    email TEXT,
    company TEXT,
    timezone TEXT,
    status TEXT NOT NULL CHECK (status IN ('new', 'contacted', 'callback', 'qualified', 'not_interested',
                                           'do_not_call', 'invalid_number', 'unreachable')),
    is_test BOOLEAN NOT NULL DEFAULT FALSE,
    custom_fields TEXT NOT NULL DEFAULT '{}',
    consent_source TEXT,
    consent_at TIMESTAMP,
    -- Lower-cased keys for prefix search (first last, last first, email, company).
    search_name TEXT NOT NULL,
    search_last_name TEXT NOT NULL,
    search_email TEXT NOT NULL,
    search_company TEXT NOT NULL,
    attempt_count INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TIMESTAMP,
    last_contacted_at TIMESTAMP,
    next_call_at TIMESTAMP,
    needs_review BOOLEAN NOT NULL DEFAULT FALSE,
    deleted_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX leads_campaign_phone ON leads (campaign_id, phone) WHERE deleted_at IS NULL;
CREATE INDEX leads_campaign_id ON leads (campaign_id, id);
CREATE INDEX leads_campaign_status ON leads (campaign_id, status, id);
CREATE INDEX leads_status ON leads (status, id);
-- Search and name order within a campaign; lists across campaigns probe them per campaign.
CREATE INDEX leads_campaign_search_name ON leads (campaign_id, search_name, id);
CREATE INDEX leads_campaign_search_last_name ON leads (campaign_id, search_last_name, id);
CREATE INDEX leads_campaign_search_email ON leads (campaign_id, search_email, id);
CREATE INDEX leads_campaign_search_company ON leads (campaign_id, search_company, id);
CREATE INDEX leads_search_name ON leads (search_name, id);
-- The dialer's queue: due leads per campaign, in due order.
CREATE INDEX leads_due ON leads (campaign_id, next_call_at) WHERE next_call_at IS NOT NULL;

CREATE TABLE interactions (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL DEFAULT 'call' CHECK (kind IN ('call')),
    direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
    origin TEXT NOT NULL CHECK (origin IN ('manual', 'dialer', 'inbound')),
    lead_id BIGINT NOT NULL REFERENCES leads (id) ON DELETE RESTRICT,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE RESTRICT,
    voice_agent_id BIGINT REFERENCES voice_agents (id) ON DELETE SET NULL,
    phone_number_id BIGINT REFERENCES phone_numbers (id) ON DELETE SET NULL,
    provider_connection_id BIGINT REFERENCES provider_connections (id) ON DELETE SET NULL,
    contact_type TEXT NOT NULL CHECK (contact_type IN ('new', 'first', 'returning')),
    attempt_number INTEGER NOT NULL,
    counts_as_attempt BOOLEAN NOT NULL,
    template_version_id BIGINT REFERENCES prompt_template_versions (id) ON DELETE RESTRICT,
    rendered_prompt TEXT,
    rendered_first_message TEXT,
    to_number TEXT NOT NULL,
    from_number TEXT,
    status TEXT NOT NULL CHECK (status IN ('dialing', 'in_progress', 'completed', 'busy', 'no_answer',
                                           'failed', 'unknown')),
    outcome TEXT,
    error_code TEXT,
    error_message TEXT,
    provider_conversation_id TEXT,
    provider_call_sid TEXT,
    termination_reason TEXT,
    duration_secs INTEGER,
    call_successful TEXT,
    summary TEXT,
    provider_analysis TEXT,
    initiated_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    started_at TIMESTAMP,
    ended_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- R-CALL: a lead never has two live calls at once.
CREATE UNIQUE INDEX interactions_one_live_call_per_lead ON interactions (lead_id)
    WHERE status IN ('dialing', 'in_progress');
CREATE UNIQUE INDEX interactions_conversation ON interactions (provider_connection_id, provider_conversation_id);
CREATE INDEX interactions_lead ON interactions (lead_id, id);
CREATE INDEX interactions_campaign ON interactions (campaign_id, id);
CREATE INDEX interactions_agent ON interactions (voice_agent_id, id);
CREATE INDEX interactions_status ON interactions (status, updated_at);
CREATE INDEX interactions_outcome ON interactions (outcome, id);
CREATE INDEX interactions_created_at ON interactions (created_at);

CREATE TABLE transcript_turns (
    id INTEGER PRIMARY KEY,
    interaction_id BIGINT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('agent', 'user')),
    message TEXT,
    time_in_call_secs INTEGER NOT NULL,
    UNIQUE (interaction_id, seq)
);

CREATE TABLE recordings (
    id INTEGER PRIMARY KEY,
    provider_connection_id BIGINT NOT NULL REFERENCES provider_connections (id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    interaction_id BIGINT REFERENCES interactions (id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    audio BLOB NOT NULL,
    size_bytes BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider_connection_id, conversation_id)
);
CREATE INDEX recordings_interaction_id ON recordings (interaction_id);

-- Every webhook received: the audit trail and the idempotency key.
CREATE TABLE webhook_events (
    id INTEGER PRIMARY KEY,
    provider_connection_id BIGINT NOT NULL REFERENCES provider_connections (id) ON DELETE CASCADE,
    event_type TEXT NOT NULL,
    conversation_id TEXT,
    event_timestamp BIGINT,
    signature_verdict TEXT NOT NULL CHECK (signature_verdict IN ('valid', 'missing', 'malformed', 'mismatch',
                                                                 'stale', 'future', 'no_secret')),
    processing_state TEXT NOT NULL CHECK (processing_state IN ('pending', 'processed', 'ignored', 'rejected',
                                                               'invalid', 'failed')),
    processing_result TEXT,
    interaction_id BIGINT REFERENCES interactions (id) ON DELETE SET NULL,
    raw_body TEXT NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    attempts INTEGER NOT NULL DEFAULT 0,
    received_at TIMESTAMP NOT NULL,
    processed_at TIMESTAMP
);
-- R-WEBHOOK-IDEM: one accepted event per (connection, type, conversation).
CREATE UNIQUE INDEX webhook_events_dedupe ON webhook_events (provider_connection_id, event_type, conversation_id)
    WHERE signature_verdict = 'valid';
CREATE INDEX webhook_events_state ON webhook_events (processing_state, id);
CREATE INDEX webhook_events_interaction ON webhook_events (interaction_id);
CREATE INDEX webhook_events_received_at ON webhook_events (received_at);

CREATE TABLE suppression_entries (
    id INTEGER PRIMARY KEY,
    phone TEXT NOT NULL,
    campaign_id BIGINT REFERENCES campaigns (id) ON DELETE CASCADE,
    reason TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('manual', 'opt_out', 'import')),
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    interaction_id BIGINT REFERENCES interactions (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
-- One entry per number and scope; global entries have no campaign (scope 0).
CREATE UNIQUE INDEX suppression_entries_scope ON suppression_entries (phone, COALESCE(campaign_id, 0));
CREATE INDEX suppression_entries_campaign ON suppression_entries (campaign_id);

CREATE TABLE lead_imports (
    id INTEGER PRIMARY KEY,
    campaign_id BIGINT NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    file_name TEXT NOT NULL,
    delimiter TEXT NOT NULL,
    csv_data BLOB NOT NULL,
    column_mapping TEXT NOT NULL,
    duplicate_mode TEXT NOT NULL CHECK (duplicate_mode IN ('skip', 'update')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'running', 'completed', 'failed')),
    total_rows INTEGER NOT NULL DEFAULT 0,
    processed_rows INTEGER NOT NULL DEFAULT 0,
    inserted_rows INTEGER NOT NULL DEFAULT 0,
    updated_rows INTEGER NOT NULL DEFAULT 0,
    skipped_rows INTEGER NOT NULL DEFAULT 0,
    failed_rows INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    error_message TEXT,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX lead_imports_campaign ON lead_imports (campaign_id, id);
CREATE INDEX lead_imports_status ON lead_imports (status);

CREATE TABLE lead_import_errors (
    id INTEGER PRIMARY KEY,
    lead_import_id BIGINT NOT NULL REFERENCES lead_imports (id) ON DELETE CASCADE,
    row_number INTEGER NOT NULL,
    column_name TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX lead_import_errors_import ON lead_import_errors (lead_import_id, row_number);

-- Post-call pipeline state per interaction (R-PIPELINE).
CREATE TABLE interaction_analyses (
    interaction_id BIGINT PRIMARY KEY REFERENCES interactions (id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'skipped')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    lease_until TIMESTAMP,
    summary TEXT,
    sentiment TEXT,
    classification TEXT,
    extracted TEXT,
    score INTEGER,
    score_breakdown TEXT,
    error TEXT,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP
);
CREATE INDEX interaction_analyses_due ON interaction_analyses (status, next_attempt_at);

-- Leases for singleton background loops shared by several instances.
CREATE TABLE worker_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
