DROP INDEX interactions_live_by_campaign;
DROP INDEX leads_dial_blocked;
DROP INDEX leads_dial_fewest;
DROP INDEX leads_dial_order;
ALTER TABLE leads DROP COLUMN dial_block;
ALTER TABLE leads DROP COLUMN retry_at;
DROP TABLE campaign_dialer_rules;
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
