-- A campaign's scored calls and the sum of their scores, kept in the transaction that
-- records a pipeline run, so the campaign overview's average costs one row read however
-- many calls the campaign has.
ALTER TABLE campaigns ADD COLUMN scored_calls BIGINT NOT NULL DEFAULT 0;
ALTER TABLE campaigns ADD COLUMN score_sum BIGINT NOT NULL DEFAULT 0;
