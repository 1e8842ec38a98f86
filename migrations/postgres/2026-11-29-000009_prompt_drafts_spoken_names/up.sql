-- A prompt template's draft: what the editor saves, never what calls use. NULL: no
-- unpublished changes. Every version is a published one and calls use the newest, so each
-- existing template keeps the version its campaigns use now.
ALTER TABLE prompt_templates ADD COLUMN draft_system_prompt TEXT;
-- The draft's first message (NULL: none), read only while draft_system_prompt is set.
ALTER TABLE prompt_templates ADD COLUMN draft_first_message TEXT;

-- The name a voice agent speaks as ("Ava"), beside its label in voxdial ("Ava — sales").
-- Empty: it speaks as its label, as every agent did before.
ALTER TABLE voice_agents ADD COLUMN spoken_name TEXT NOT NULL DEFAULT '';
