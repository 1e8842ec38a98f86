-- The auto-dialer (R-DIAL-RULES, R-DIAL-SAFE, R-DIAL-VIEW).

-- The placeholder table of the first schema was never written to; it is replaced by the
-- rules the dialer actually applies, and the state it keeps between steps.
DROP TABLE campaign_dialer_rules;
CREATE TABLE campaign_dialer_rules (
    campaign_id BIGINT PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
    enabled BOOLEAN NOT NULL DEFAULT FALSE,
    -- Weekly calling windows in the lead's local time, as canonical text.
    calling_windows TEXT NOT NULL,
    -- Comma-separated lead status codes the dialer calls.
    dialable_statuses TEXT NOT NULL,
    lead_order TEXT NOT NULL CHECK (lead_order IN ('next_call', 'oldest', 'newest', 'fewest_attempts')),
    max_attempts_total INTEGER NOT NULL,
    max_attempts_per_day INTEGER NOT NULL,
    retry_busy_minutes INTEGER NOT NULL,
    retry_no_answer_minutes INTEGER NOT NULL,
    retry_voicemail_minutes INTEGER NOT NULL,
    retry_failed_minutes INTEGER NOT NULL,
    retry_backoff_factor DOUBLE PRECISION NOT NULL,
    retry_jitter_percent INTEGER NOT NULL,
    max_concurrent_calls INTEGER NOT NULL,
    max_calls_per_minute INTEGER NOT NULL,
    breaker_window_calls INTEGER NOT NULL,
    breaker_failure_percent INTEGER NOT NULL,
    require_consent BOOLEAN NOT NULL,
    -- Leads whose own zone is unknown are timed in the campaign's zone.
    campaign_zone_fallback BOOLEAN NOT NULL,
    -- Set when the dialer paused itself (circuit breaker); a person resumes it.
    paused_reason TEXT,
    paused_at TIMESTAMP,
    -- The circuit breaker counts only calls made after this (a resume starts afresh).
    breaker_reset_at TIMESTAMP,
    -- Pacing: a token bucket refilled at max_calls_per_minute.
    pace_tokens DOUBLE PRECISION NOT NULL DEFAULT 0,
    pace_at TIMESTAMP,
    -- After a rules change, waiting leads are rescheduled in batches above this lead id.
    reschedule_after_id BIGINT,
    updated_at TIMESTAMP NOT NULL
);

-- Not before this time (a retry delay or a callback); next_call_at is that time moved into
-- the lead's calling windows.
ALTER TABLE leads ADD COLUMN retry_at TIMESTAMP;
-- Why the dialer cannot call the lead (no zone, DNC, attempts used up …), for the Dialer tab.
ALTER TABLE leads ADD COLUMN dial_block TEXT CHECK (dial_block IN ('no_timezone', 'do_not_call', 'max_attempts',
    'needs_review', 'no_consent', 'status', 'no_window'));
CREATE INDEX leads_dial_order ON leads (campaign_id, id) WHERE next_call_at IS NOT NULL;
CREATE INDEX leads_dial_fewest ON leads (campaign_id, attempt_count, id) WHERE next_call_at IS NOT NULL;
CREATE INDEX leads_dial_blocked ON leads (campaign_id, dial_block) WHERE dial_block IS NOT NULL;

-- Calls in flight per campaign (the dialer's concurrency limit).
CREATE INDEX interactions_live_by_campaign ON interactions (campaign_id) WHERE status IN ('dialing', 'in_progress');
