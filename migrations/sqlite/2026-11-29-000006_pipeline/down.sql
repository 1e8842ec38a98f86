DROP INDEX interactions_score;
ALTER TABLE interactions DROP COLUMN extracted;
ALTER TABLE interactions DROP COLUMN score;
DROP TABLE pipeline_runs;
DROP TABLE campaign_pipelines;
DROP TABLE llm_connections;

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

CREATE TABLE campaign_pipelines (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    llm_connection_id BIGINT REFERENCES llm_connections (id) ON DELETE SET NULL,
    analysis_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    extraction_fields TEXT NOT NULL DEFAULT '[]',
    scoring_rubric TEXT NOT NULL DEFAULT '[]',
    updated_at TIMESTAMP NOT NULL
);

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
