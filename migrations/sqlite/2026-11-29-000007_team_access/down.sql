DROP TABLE workspace_settings;
DROP TABLE user_invites;
