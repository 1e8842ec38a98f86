DROP INDEX interactions_lead_outcome;
DROP INDEX interactions_lead_status;
