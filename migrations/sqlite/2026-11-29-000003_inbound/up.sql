-- Inbound calls routed to campaigns (R-INBOUND, R-CONTACT-TYPE).

-- A campaign may answer the inbound calls to one number and to one agent; each number and
-- agent answers for at most one campaign. (SQLite cannot drop a column that references
-- another table, so here these three columns carry no REFERENCES; numbers and agents in use
-- by a campaign cannot be deleted, and campaigns are archived, never deleted.)
ALTER TABLE campaigns ADD COLUMN inbound_number_id BIGINT;
ALTER TABLE campaigns ADD COLUMN inbound_agent_id BIGINT;
CREATE UNIQUE INDEX campaigns_inbound_number ON campaigns (inbound_number_id) WHERE inbound_number_id IS NOT NULL;
CREATE UNIQUE INDEX campaigns_inbound_agent ON campaigns (inbound_agent_id) WHERE inbound_agent_id IS NOT NULL;

-- Where a connection's inbound calls go when no number or agent routes them.
ALTER TABLE provider_connections ADD COLUMN default_inbound_campaign_id BIGINT;

-- How a lead came in.
ALTER TABLE leads ADD COLUMN source TEXT CHECK (source IN ('form', 'import', 'inbound'));

-- An inbound caller on a do-not-call list is answered (it is their call) but flagged.
ALTER TABLE interactions ADD COLUMN caller_on_dnc BOOLEAN NOT NULL DEFAULT FALSE;

-- Problems voxdial met while working on its own (an inbound call it could not route …),
-- counted while open, for the dashboard.
CREATE TABLE problems (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('inbound_unrouted', 'inbound_render', 'inbound_lookup')),
    provider_connection_id BIGINT REFERENCES provider_connections (id) ON DELETE CASCADE,
    campaign_id BIGINT REFERENCES campaigns (id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    occurrences INTEGER NOT NULL DEFAULT 1,
    first_at TIMESTAMP NOT NULL,
    last_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP
);
CREATE INDEX problems_open ON problems (kind, message) WHERE resolved_at IS NULL;
CREATE INDEX problems_last ON problems (last_at);
