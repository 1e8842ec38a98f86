ALTER TABLE voice_agents DROP COLUMN spoken_name;
ALTER TABLE prompt_templates DROP COLUMN draft_first_message;
ALTER TABLE prompt_templates DROP COLUMN draft_system_prompt;
