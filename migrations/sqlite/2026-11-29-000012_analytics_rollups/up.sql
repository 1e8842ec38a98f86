-- Analytics rollups (R-ANALYTICS), kept by triggers in the statement that changes a call or a
-- lead, so no write path can forget them, and an analytics page reads rows per quarter hour,
-- not per call. Rows are only ever summed: a row summing to zero is harmless. Key columns use
-- 0 and '' for "none", because a unique key never matches NULLs. Calls are bucketed by the
-- quarter hour they were created in (`quarter`: quarter hours since 1970-01-01 UTC): every
-- zone's midnight falls on one, so a reader's days are exact. `shard` is the writing
-- connection's (PostgreSQL's backend id, so concurrent transactions never wait on, or deadlock
-- over, one rollup row); SQLite has one writer at a time and always writes 0.

-- The lead's local weekday and hour when the call was created (Monday 00:00–01:00 = 0),
-- stored by voxdial (zones are resolved in Rust); NULL for calls older than this column.
ALTER TABLE interactions ADD COLUMN lead_week_hour INTEGER CHECK (lead_week_hour BETWEEN 0 AND 167);
-- The calls still without one, which start-up fills (empty once it has).
CREATE INDEX interactions_week_hour_missing ON interactions (id) WHERE lead_week_hour IS NULL;

-- Calls by campaign, quarter hour and outcome: the calls-per-day chart and the headline figures.
CREATE TABLE call_rollups (
    campaign_id BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    calls INTEGER NOT NULL,
    duration_secs INTEGER NOT NULL,
    timed INTEGER NOT NULL,
    score_sum INTEGER NOT NULL,
    scored INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, quarter, outcome, shard)
) WITHOUT ROWID;

-- Calls by campaign, quarter hour, agent and prompt version: the side-by-side comparisons.
CREATE TABLE agent_rollups (
    campaign_id BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    voice_agent_id BIGINT NOT NULL,
    template_version_id BIGINT NOT NULL,
    calls INTEGER NOT NULL,
    reached INTEGER NOT NULL,
    interested INTEGER NOT NULL,
    score_sum INTEGER NOT NULL,
    scored INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, quarter, voice_agent_id, template_version_id, shard)
) WITHOUT ROWID;

-- Calls, and those that reached a person, by campaign, quarter hour and the lead's week hour.
CREATE TABLE reach_rollups (
    campaign_id BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    week_hour INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    reached INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, quarter, week_hour, shard)
) WITHOUT ROWID;

-- Live (not deleted) leads by campaign, status, whether called, and whether a person was reached.
CREATE TABLE lead_funnel (
    campaign_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempted BOOLEAN NOT NULL,
    reached BOOLEAN NOT NULL,
    leads INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, status, attempted, reached, shard)
) WITHOUT ROWID;

-- One call added (sign 1) to or taken out (sign -1) of the rollups: inserting into this view
-- runs the trigger below, the one place that knows the rollups' shape.
CREATE VIEW call_rollup_changes AS
SELECT campaign_id, created_at, voice_agent_id, template_version_id, outcome, duration_secs, score, lead_week_hour,
       1 AS sign
FROM interactions WHERE 0;

CREATE TRIGGER call_rollup_change INSTEAD OF INSERT ON call_rollup_changes
BEGIN
    INSERT INTO call_rollups VALUES (
        NEW.campaign_id,
        unixepoch(NEW.created_at) / 900,
        COALESCE(NEW.outcome, ''), NEW.sign, NEW.sign * COALESCE(NEW.duration_secs, 0),
        NEW.sign * (NEW.duration_secs IS NOT NULL), NEW.sign * COALESCE(NEW.score, 0), NEW.sign * (NEW.score IS NOT NULL), 0)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, duration_secs = duration_secs + excluded.duration_secs,
        timed = timed + excluded.timed, score_sum = score_sum + excluded.score_sum, scored = scored + excluded.scored;
    INSERT INTO agent_rollups VALUES (
        NEW.campaign_id,
        unixepoch(NEW.created_at) / 900,
        COALESCE(NEW.voice_agent_id, 0), COALESCE(NEW.template_version_id, 0), NEW.sign,
        -- The outcomes where a person talked (`Outcome::reached_person`; a test holds them equal).
        NEW.sign * COALESCE(NEW.outcome IN ('interested', 'not_interested', 'callback', 'do_not_call', 'wrong_number', 'completed'), 0),
        NEW.sign * COALESCE(NEW.outcome = 'interested', 0), NEW.sign * COALESCE(NEW.score, 0), NEW.sign * (NEW.score IS NOT NULL), 0)
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, reached = reached + excluded.reached,
        interested = interested + excluded.interested, score_sum = score_sum + excluded.score_sum,
        scored = scored + excluded.scored;
    INSERT INTO reach_rollups SELECT
        NEW.campaign_id,
        unixepoch(NEW.created_at) / 900,
        NEW.lead_week_hour, NEW.sign,
        NEW.sign * COALESCE(NEW.outcome IN ('interested', 'not_interested', 'callback', 'do_not_call', 'wrong_number', 'completed'), 0), 0
    WHERE NEW.lead_week_hour IS NOT NULL
    ON CONFLICT DO UPDATE SET calls = calls + excluded.calls, reached = reached + excluded.reached;
END;

CREATE TRIGGER interactions_rollup_insert AFTER INSERT ON interactions
BEGIN
    INSERT INTO call_rollup_changes VALUES (NEW.campaign_id, NEW.created_at, NEW.voice_agent_id,
        NEW.template_version_id, NEW.outcome, NEW.duration_secs, NEW.score, NEW.lead_week_hour, 1);
END;

CREATE TRIGGER interactions_rollup_update AFTER UPDATE OF
    campaign_id, created_at, voice_agent_id, template_version_id, outcome, duration_secs, score, lead_week_hour
ON interactions
BEGIN
    INSERT INTO call_rollup_changes VALUES (OLD.campaign_id, OLD.created_at, OLD.voice_agent_id,
        OLD.template_version_id, OLD.outcome, OLD.duration_secs, OLD.score, OLD.lead_week_hour, -1);
    INSERT INTO call_rollup_changes VALUES (NEW.campaign_id, NEW.created_at, NEW.voice_agent_id,
        NEW.template_version_id, NEW.outcome, NEW.duration_secs, NEW.score, NEW.lead_week_hour, 1);
END;

CREATE TRIGGER interactions_rollup_delete AFTER DELETE ON interactions
BEGIN
    INSERT INTO call_rollup_changes VALUES (OLD.campaign_id, OLD.created_at, OLD.voice_agent_id,
        OLD.template_version_id, OLD.outcome, OLD.duration_secs, OLD.score, OLD.lead_week_hour, -1);
END;

CREATE TRIGGER leads_funnel_insert AFTER INSERT ON leads WHEN NEW.deleted_at IS NULL
BEGIN
    INSERT INTO lead_funnel VALUES (
        NEW.campaign_id, NEW.status, NEW.attempt_count > 0, NEW.last_contacted_at IS NOT NULL, 1, 0)
    ON CONFLICT DO UPDATE SET leads = leads + 1;
END;

CREATE TRIGGER leads_funnel_update AFTER UPDATE OF campaign_id, status, attempt_count, last_contacted_at, deleted_at
ON leads WHEN OLD.campaign_id <> NEW.campaign_id OR OLD.status <> NEW.status
    OR (OLD.attempt_count > 0) <> (NEW.attempt_count > 0)
    OR (OLD.last_contacted_at IS NULL) <> (NEW.last_contacted_at IS NULL)
    OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)
BEGIN
    INSERT INTO lead_funnel SELECT
        OLD.campaign_id, OLD.status, OLD.attempt_count > 0, OLD.last_contacted_at IS NOT NULL, -1, 0
    WHERE OLD.deleted_at IS NULL
    ON CONFLICT DO UPDATE SET leads = leads - 1;
    INSERT INTO lead_funnel SELECT
        NEW.campaign_id, NEW.status, NEW.attempt_count > 0, NEW.last_contacted_at IS NOT NULL, 1, 0
    WHERE NEW.deleted_at IS NULL
    ON CONFLICT DO UPDATE SET leads = leads + 1;
END;

CREATE TRIGGER leads_funnel_delete AFTER DELETE ON leads WHEN OLD.deleted_at IS NULL
BEGIN
    INSERT INTO lead_funnel VALUES (
        OLD.campaign_id, OLD.status, OLD.attempt_count > 0, OLD.last_contacted_at IS NOT NULL, -1, 0)
    ON CONFLICT DO UPDATE SET leads = leads - 1;
END;

-- What is already there, grouped (the heat map gets the calls before this migration once
-- start-up has given them their lead's week hour).
INSERT INTO call_rollups
SELECT campaign_id, unixepoch(created_at) / 900, COALESCE(outcome, ''), COUNT(*), COALESCE(SUM(duration_secs), 0),
       COUNT(duration_secs), COALESCE(SUM(score), 0), COUNT(score), 0
FROM interactions GROUP BY 1, 2, 3;
INSERT INTO agent_rollups
SELECT campaign_id, unixepoch(created_at) / 900, COALESCE(voice_agent_id, 0), COALESCE(template_version_id, 0),
       COUNT(*), COALESCE(SUM(outcome IN ('interested', 'not_interested', 'callback', 'do_not_call', 'wrong_number', 'completed')), 0),
       COALESCE(SUM(outcome = 'interested'), 0), COALESCE(SUM(score), 0), COUNT(score), 0
FROM interactions GROUP BY 1, 2, 3, 4;
INSERT INTO lead_funnel
SELECT campaign_id, status, attempt_count > 0, last_contacted_at IS NOT NULL, COUNT(*), 0
FROM leads WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4;
