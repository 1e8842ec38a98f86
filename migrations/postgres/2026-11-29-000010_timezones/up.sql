-- Times are shown in each user's own zone (their browser's at first login, or chosen on
-- their profile); until a user has one, the workspace's zone applies.
ALTER TABLE users ADD COLUMN timezone TEXT;
ALTER TABLE workspace_settings ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';
