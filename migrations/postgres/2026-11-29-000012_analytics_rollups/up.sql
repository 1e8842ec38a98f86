-- Analytics rollups (R-ANALYTICS), kept by triggers in the statement that changes a call or a
-- lead, so no write path can forget them, and an analytics page reads rows per quarter hour,
-- not per call. Rows are only ever summed: a row summing to zero is harmless. Key columns use
-- 0 and '' for "none", because a unique key never matches NULLs. Calls are bucketed by the
-- quarter hour they were created in (`quarter`: quarter hours since 1970-01-01 UTC): every
-- zone's midnight falls on one, so a reader's days are exact. `shard` is the writing
-- connection's backend id, so concurrent transactions never wait on, or deadlock over, one
-- rollup row (SQLite, with one writer at a time, always writes 0).

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
);

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
);

-- Calls, and those that reached a person, by campaign, UTC quarter hour and the lead's week hour.
CREATE TABLE reach_rollups (
    campaign_id BIGINT NOT NULL,
    quarter BIGINT NOT NULL,
    week_hour INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    reached INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, quarter, week_hour, shard)
);

-- Live (not deleted) leads by campaign, status, whether called, and whether a person was reached.
CREATE TABLE lead_funnel (
    campaign_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    attempted BOOLEAN NOT NULL,
    reached BOOLEAN NOT NULL,
    leads INTEGER NOT NULL,
    shard INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, status, attempted, reached, shard)
);

-- Adds `sign` (1 or -1) times one call to the rollups: the one place that knows their shape.
CREATE FUNCTION rollup_call(c interactions, sign INTEGER) RETURNS VOID LANGUAGE plpgsql AS $$
DECLARE
    bucket BIGINT := floor(extract(epoch FROM c.created_at) / 900);
    writer INTEGER := pg_backend_pid();
    -- The outcomes where a person talked (`Outcome::reached_person`; a test holds them equal).
    talked INTEGER := COALESCE(c.outcome IN ('interested', 'not_interested', 'callback', 'do_not_call',
        'wrong_number', 'completed'), false)::int;
BEGIN
    INSERT INTO call_rollups AS r VALUES (
        c.campaign_id, bucket, COALESCE(c.outcome, ''), sign, sign * COALESCE(c.duration_secs, 0),
        sign * (c.duration_secs IS NOT NULL)::int, sign * COALESCE(c.score, 0), sign * (c.score IS NOT NULL)::int, writer)
    ON CONFLICT (campaign_id, quarter, outcome, shard) DO UPDATE SET
        calls = r.calls + EXCLUDED.calls, duration_secs = r.duration_secs + EXCLUDED.duration_secs,
        timed = r.timed + EXCLUDED.timed, score_sum = r.score_sum + EXCLUDED.score_sum,
        scored = r.scored + EXCLUDED.scored;
    INSERT INTO agent_rollups AS r VALUES (
        c.campaign_id, bucket, COALESCE(c.voice_agent_id, 0), COALESCE(c.template_version_id, 0), sign,
        sign * talked, sign * COALESCE(c.outcome = 'interested', false)::int, sign * COALESCE(c.score, 0),
        sign * (c.score IS NOT NULL)::int, writer)
    ON CONFLICT (campaign_id, quarter, voice_agent_id, template_version_id, shard) DO UPDATE SET
        calls = r.calls + EXCLUDED.calls, reached = r.reached + EXCLUDED.reached,
        interested = r.interested + EXCLUDED.interested, score_sum = r.score_sum + EXCLUDED.score_sum,
        scored = r.scored + EXCLUDED.scored;
    IF c.lead_week_hour IS NOT NULL THEN
        INSERT INTO reach_rollups AS r VALUES (c.campaign_id, bucket, c.lead_week_hour, sign, sign * talked, writer)
        ON CONFLICT (campaign_id, quarter, week_hour, shard) DO UPDATE SET
            calls = r.calls + EXCLUDED.calls, reached = r.reached + EXCLUDED.reached;
    END IF;
END $$;

CREATE FUNCTION interactions_rollup() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM rollup_call(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM rollup_call(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER interactions_rollup_insert_delete AFTER INSERT OR DELETE ON interactions
    FOR EACH ROW EXECUTE FUNCTION interactions_rollup();
CREATE TRIGGER interactions_rollup_update AFTER UPDATE OF
    campaign_id, created_at, voice_agent_id, template_version_id, outcome, duration_secs, score, lead_week_hour
ON interactions FOR EACH ROW
    WHEN ((OLD.campaign_id, OLD.created_at, OLD.voice_agent_id, OLD.template_version_id, OLD.outcome,
           OLD.duration_secs, OLD.score, OLD.lead_week_hour)
          IS DISTINCT FROM (NEW.campaign_id, NEW.created_at, NEW.voice_agent_id, NEW.template_version_id,
           NEW.outcome, NEW.duration_secs, NEW.score, NEW.lead_week_hour))
    EXECUTE FUNCTION interactions_rollup();

-- Adds `sign` times one live lead to the funnel.
CREATE FUNCTION funnel_lead(l leads, sign INTEGER) RETURNS VOID LANGUAGE plpgsql AS $$
BEGIN
    IF l.deleted_at IS NULL THEN
        INSERT INTO lead_funnel AS f VALUES (
            l.campaign_id, l.status, l.attempt_count > 0, l.last_contacted_at IS NOT NULL, sign, pg_backend_pid())
        ON CONFLICT (campaign_id, status, attempted, reached, shard) DO UPDATE SET leads = f.leads + EXCLUDED.leads;
    END IF;
END $$;

CREATE FUNCTION leads_funnel() RETURNS TRIGGER LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM funnel_lead(OLD, -1);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM funnel_lead(NEW, 1);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER leads_funnel_insert_delete AFTER INSERT OR DELETE ON leads
    FOR EACH ROW EXECUTE FUNCTION leads_funnel();
CREATE TRIGGER leads_funnel_update AFTER UPDATE OF campaign_id, status, attempt_count, last_contacted_at, deleted_at
ON leads FOR EACH ROW
    WHEN (OLD.campaign_id <> NEW.campaign_id OR OLD.status <> NEW.status
          OR (OLD.attempt_count > 0) <> (NEW.attempt_count > 0)
          OR (OLD.last_contacted_at IS NULL) <> (NEW.last_contacted_at IS NULL)
          OR (OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL))
    EXECUTE FUNCTION leads_funnel();

-- What is already there, grouped (the heat map gets the calls before this migration once
-- start-up has given them their lead's week hour).
INSERT INTO call_rollups
SELECT campaign_id, floor(extract(epoch FROM created_at) / 900), COALESCE(outcome, ''), COUNT(*),
       COALESCE(SUM(duration_secs), 0), COUNT(duration_secs), COALESCE(SUM(score), 0), COUNT(score), 0
FROM interactions GROUP BY 1, 2, 3;
INSERT INTO agent_rollups
SELECT campaign_id, floor(extract(epoch FROM created_at) / 900), COALESCE(voice_agent_id, 0),
       COALESCE(template_version_id, 0), COUNT(*),
       COUNT(*) FILTER (WHERE outcome IN ('interested', 'not_interested', 'callback', 'do_not_call', 'wrong_number', 'completed')),
       COUNT(*) FILTER (WHERE outcome = 'interested'), COALESCE(SUM(score), 0), COUNT(score), 0
FROM interactions GROUP BY 1, 2, 3, 4;
INSERT INTO lead_funnel
SELECT campaign_id, status, attempt_count > 0, last_contacted_at IS NOT NULL, COUNT(*), 0
FROM leads WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4;
