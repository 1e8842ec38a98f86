-- Team onboarding without shared passwords: an admin adds a member and hands them a one-time
-- link to set their own password. Only the SHA-256 of the link's token is kept. An invite is
-- open until it is accepted or revoked (an open invite past its expiry no longer works).
CREATE TABLE user_invites (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP,
    revoked_at TIMESTAMP
);
-- At most one open invite per member: issuing a new link revokes the old one first.
CREATE UNIQUE INDEX user_invites_one_open ON user_invites (user_id)
    WHERE accepted_at IS NULL AND revoked_at IS NULL;

-- Settings of the whole team, one row. members_edit_ai_setup: members may change prompt
-- templates, voice agents and campaigns' AI Agents settings (otherwise only admins may).
CREATE TABLE workspace_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    members_edit_ai_setup BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO workspace_settings (id, members_edit_ai_setup, updated_at) VALUES (1, FALSE, CURRENT_TIMESTAMP);
