DROP INDEX webhook_events_retry;
ALTER TABLE webhook_events DROP COLUMN retry_at;
ALTER TABLE interactions DROP COLUMN check_failures;
ALTER TABLE interactions DROP COLUMN check_after;
ALTER TABLE interactions DROP COLUMN settled_late_from;
