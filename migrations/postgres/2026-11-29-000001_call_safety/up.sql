-- Calls that are never lost, doubled or stuck (R-CALL-UNCERTAIN, R-WEBHOOK-IDEM, R-RECONCILE).

-- A provider report that arrives after voxdial ended the call as failed or unknown still
-- settles it; the record keeps the status it was found in.
ALTER TABLE interactions ADD COLUMN settled_late_from TEXT CHECK (settled_late_from IN ('failed', 'unknown'));
-- The reconciler's per-call claim and backoff: not looked at again before this time.
ALTER TABLE interactions ADD COLUMN check_after TIMESTAMP;
ALTER TABLE interactions ADD COLUMN check_failures INTEGER NOT NULL DEFAULT 0;

-- The sweeper's per-event claim and backoff.
ALTER TABLE webhook_events ADD COLUMN retry_at TIMESTAMP;
CREATE INDEX webhook_events_retry ON webhook_events (processing_state, retry_at);
