-- A lead's calls by status and by outcome (contact type, "how many times did they say
-- call back"): without these, SQLite picks the status or outcome index and reads every
-- call with that status or outcome in the workspace.
CREATE INDEX interactions_lead_status ON interactions (lead_id, status);
CREATE INDEX interactions_lead_outcome ON interactions (lead_id, outcome);
