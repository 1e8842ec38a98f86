ALTER TABLE lead_imports DROP COLUMN file_purged_at;
ALTER TABLE lead_imports DROP COLUMN encoding;
