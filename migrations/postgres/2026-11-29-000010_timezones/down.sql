ALTER TABLE workspace_settings DROP COLUMN timezone;
ALTER TABLE users DROP COLUMN timezone;
