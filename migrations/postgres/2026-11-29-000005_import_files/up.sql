-- The encoding an uploaded file came in (encoding_rs's name; the stored file is its UTF-8
-- text), and when the stored file was emptied after its retention period.
ALTER TABLE lead_imports ADD COLUMN encoding TEXT NOT NULL DEFAULT 'UTF-8';
ALTER TABLE lead_imports ADD COLUMN file_purged_at TIMESTAMP;
