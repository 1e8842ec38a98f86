ALTER TABLE campaigns DROP COLUMN score_sum;
ALTER TABLE campaigns DROP COLUMN scored_calls;
