-- The post-call pipeline (R-PIPELINE). The placeholder tables of the first schema were never
-- used; they are replaced by the shape the pipeline needs: one LLM connection for the
-- workspace, a pipeline per campaign, and versioned runs per call.
DROP TABLE interaction_analyses;
DROP TABLE campaign_pipelines;
DROP TABLE llm_connections;

-- An OpenAI-compatible chat-completions endpoint. Prices are US dollars per million tokens.
CREATE TABLE llm_connections (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    base_url TEXT NOT NULL,
    model TEXT NOT NULL,
    api_key_enc TEXT,
    api_key_hint TEXT,
    timeout_secs INTEGER NOT NULL DEFAULT 60 CHECK (timeout_secs BETWEEN 1 AND 600),
    max_concurrent INTEGER NOT NULL DEFAULT 2 CHECK (max_concurrent BETWEEN 1 AND 32),
    input_usd_per_mtok DOUBLE PRECISION,
    output_usd_per_mtok DOUBLE PRECISION,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A campaign's pipeline: which LLM steps run, their configuration (JSON), and which of the
-- provider's data-collection fields drive the outcome, an opt-out and a callback.
CREATE TABLE campaign_pipelines (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    llm_enabled BOOLEAN NOT NULL DEFAULT FALSE,
    analysis_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    extraction_fields TEXT NOT NULL DEFAULT '[]',
    scoring_rubric TEXT NOT NULL DEFAULT '[]',
    outcome_field TEXT,
    opt_out_field TEXT,
    callback_field TEXT,
    updated_at TIMESTAMP NOT NULL
);

-- One run of the LLM steps on one call; a re-run adds a version and keeps the earlier ones.
CREATE TABLE pipeline_runs (
    id INTEGER PRIMARY KEY,
    interaction_id BIGINT NOT NULL REFERENCES interactions (id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    lease_holder TEXT,
    lease_until TIMESTAMP,
    requested_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    model TEXT,
    result TEXT,
    score INTEGER CHECK (score BETWEEN 0 AND 100),
    error TEXT,
    prompt_tokens INTEGER,
    completion_tokens INTEGER,
    cost_usd DOUBLE PRECISION,
    latency_ms INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    completed_at TIMESTAMP,
    UNIQUE (interaction_id, version)
);
CREATE INDEX pipeline_runs_due ON pipeline_runs (status, next_attempt_at);

-- The latest finished run's score and extracted values, on the call itself, so the call list
-- filters and sorts by them without a join.
ALTER TABLE interactions ADD COLUMN score INTEGER;
ALTER TABLE interactions ADD COLUMN extracted TEXT;
CREATE INDEX interactions_score ON interactions (score, id);
