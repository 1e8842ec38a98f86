DROP TABLE problems;
ALTER TABLE interactions DROP COLUMN caller_on_dnc;
ALTER TABLE leads DROP COLUMN source;
ALTER TABLE provider_connections DROP COLUMN default_inbound_campaign_id;
DROP INDEX campaigns_inbound_agent;
DROP INDEX campaigns_inbound_number;
ALTER TABLE campaigns DROP COLUMN inbound_agent_id;
ALTER TABLE campaigns DROP COLUMN inbound_number_id;
