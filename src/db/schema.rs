// Portable column types only (BigInt, Integer, Text, Bool, Timestamp, Double, Binary):
// the same definitions serve SQLite and PostgreSQL through `DbConnection`.

diesel::table! {
    users (id) {
        id -> BigInt,
        email -> Text,
        name -> Text,
        password_hash -> Text,
        role -> Text,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        timezone -> Nullable<Text>,
    }
}

diesel::table! {
    sessions (id) {
        id -> BigInt,
        key_hash -> Text,
        user_id -> Nullable<BigInt>,
        state -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    login_attempts (id) {
        id -> BigInt,
        email -> Text,
        client_ip -> Text,
        succeeded -> Bool,
        attempted_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        user_id -> Nullable<BigInt>,
        actor -> Text,
        action -> Text,
        object_kind -> Text,
        object_id -> Nullable<BigInt>,
        summary -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    provider_connections (id) {
        id -> BigInt,
        kind -> Text,
        name -> Text,
        api_base_url -> Text,
        api_key_enc -> Text,
        api_key_hint -> Text,
        webhook_secret_enc -> Nullable<Text>,
        webhook_secret_hint -> Nullable<Text>,
        inbound_token_enc -> Nullable<Text>,
        inbound_token_hint -> Nullable<Text>,
        last_check_at -> Nullable<Timestamp>,
        last_check_ok -> Nullable<Bool>,
        last_check_message -> Nullable<Text>,
        default_inbound_campaign_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    llm_connections (id) {
        id -> BigInt,
        name -> Text,
        base_url -> Text,
        model -> Text,
        api_key_enc -> Nullable<Text>,
        api_key_hint -> Nullable<Text>,
        timeout_secs -> Integer,
        max_concurrent -> Integer,
        input_usd_per_mtok -> Nullable<Double>,
        output_usd_per_mtok -> Nullable<Double>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    phone_numbers (id) {
        id -> BigInt,
        provider_connection_id -> BigInt,
        e164 -> Text,
        label -> Text,
        provider_phone_number_id -> Text,
        telephony -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    voice_agents (id) {
        id -> BigInt,
        provider_connection_id -> BigInt,
        name -> Text,
        provider_agent_id -> Text,
        default_phone_number_id -> Nullable<BigInt>,
        active -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        spoken_name -> Text,
    }
}

diesel::table! {
    prompt_templates (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        draft_system_prompt -> Nullable<Text>,
        draft_first_message -> Nullable<Text>,
    }
}

diesel::table! {
    prompt_template_versions (id) {
        id -> BigInt,
        prompt_template_id -> BigInt,
        version -> Integer,
        system_prompt -> Text,
        first_message -> Nullable<Text>,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaigns (id) {
        id -> BigInt,
        name -> Text,
        description -> Text,
        status -> Text,
        timezone -> Text,
        default_region -> Text,
        production_agent_id -> Nullable<BigInt>,
        test_agent_id -> Nullable<BigInt>,
        prompt_template_id -> Nullable<BigInt>,
        phone_number_id -> Nullable<BigInt>,
        outcome_status_map -> Nullable<Text>,
        inbound_number_id -> Nullable<BigInt>,
        inbound_agent_id -> Nullable<BigInt>,
        lead_count -> Integer,
        blocking_error_code -> Nullable<Text>,
        blocking_error_message -> Nullable<Text>,
        blocking_error_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        scored_calls -> BigInt,
        score_sum -> BigInt,
    }
}

diesel::table! {
    campaign_dialer_rules (campaign_id) {
        campaign_id -> BigInt,
        enabled -> Bool,
        calling_windows -> Text,
        dialable_statuses -> Text,
        lead_order -> Text,
        max_attempts_total -> Integer,
        max_attempts_per_day -> Integer,
        retry_busy_minutes -> Integer,
        retry_no_answer_minutes -> Integer,
        retry_voicemail_minutes -> Integer,
        retry_failed_minutes -> Integer,
        retry_backoff_factor -> Double,
        retry_jitter_percent -> Integer,
        max_concurrent_calls -> Integer,
        max_calls_per_minute -> Integer,
        breaker_window_calls -> Integer,
        breaker_failure_percent -> Integer,
        require_consent -> Bool,
        campaign_zone_fallback -> Bool,
        paused_reason -> Nullable<Text>,
        paused_at -> Nullable<Timestamp>,
        breaker_reset_at -> Nullable<Timestamp>,
        pace_tokens -> Double,
        pace_at -> Nullable<Timestamp>,
        reschedule_after_id -> Nullable<BigInt>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    campaign_pipelines (campaign_id) {
        campaign_id -> BigInt,
        llm_enabled -> Bool,
        analysis_enabled -> Bool,
        extraction_fields -> Text,
        scoring_rubric -> Text,
        outcome_field -> Nullable<Text>,
        opt_out_field -> Nullable<Text>,
        callback_field -> Nullable<Text>,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    leads (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        first_name -> Text,
        last_name -> Text,
        phone -> Text,
        email -> Nullable<Text>,
        company -> Nullable<Text>,
        timezone -> Nullable<Text>,
        status -> Text,
        is_test -> Bool,
        custom_fields -> Text,
        consent_source -> Nullable<Text>,
        consent_at -> Nullable<Timestamp>,
        search_name -> Text,
        search_last_name -> Text,
        search_email -> Text,
        search_company -> Text,
        attempt_count -> Integer,
        last_attempt_at -> Nullable<Timestamp>,
        last_contacted_at -> Nullable<Timestamp>,
        next_call_at -> Nullable<Timestamp>,
        needs_review -> Bool,
        deleted_at -> Nullable<Timestamp>,
        retry_at -> Nullable<Timestamp>,
        dial_block -> Nullable<Text>,
        source -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    interactions (id) {
        id -> BigInt,
        kind -> Text,
        direction -> Text,
        origin -> Text,
        lead_id -> BigInt,
        campaign_id -> BigInt,
        voice_agent_id -> Nullable<BigInt>,
        phone_number_id -> Nullable<BigInt>,
        provider_connection_id -> Nullable<BigInt>,
        contact_type -> Text,
        attempt_number -> Integer,
        counts_as_attempt -> Bool,
        template_version_id -> Nullable<BigInt>,
        rendered_prompt -> Nullable<Text>,
        rendered_first_message -> Nullable<Text>,
        to_number -> Text,
        from_number -> Nullable<Text>,
        status -> Text,
        outcome -> Nullable<Text>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        provider_conversation_id -> Nullable<Text>,
        provider_call_sid -> Nullable<Text>,
        termination_reason -> Nullable<Text>,
        duration_secs -> Nullable<Integer>,
        call_successful -> Nullable<Text>,
        summary -> Nullable<Text>,
        provider_analysis -> Nullable<Text>,
        settled_late_from -> Nullable<Text>,
        check_after -> Nullable<Timestamp>,
        check_failures -> Integer,
        caller_on_dnc -> Bool,
        score -> Nullable<Integer>,
        extracted -> Nullable<Text>,
        lead_week_hour -> Nullable<Integer>,
        initiated_by -> Nullable<BigInt>,
        started_at -> Nullable<Timestamp>,
        ended_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    transcript_turns (id) {
        id -> BigInt,
        interaction_id -> BigInt,
        seq -> Integer,
        role -> Text,
        message -> Nullable<Text>,
        time_in_call_secs -> Integer,
    }
}

diesel::table! {
    recordings (id) {
        id -> BigInt,
        provider_connection_id -> BigInt,
        conversation_id -> Text,
        interaction_id -> Nullable<BigInt>,
        content_type -> Text,
        audio -> Binary,
        size_bytes -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> BigInt,
        provider_connection_id -> BigInt,
        event_type -> Text,
        conversation_id -> Nullable<Text>,
        event_timestamp -> Nullable<BigInt>,
        signature_verdict -> Text,
        processing_state -> Text,
        processing_result -> Nullable<Text>,
        interaction_id -> Nullable<BigInt>,
        raw_body -> Text,
        deliveries -> Integer,
        attempts -> Integer,
        received_at -> Timestamp,
        processed_at -> Nullable<Timestamp>,
        retry_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    suppression_entries (id) {
        id -> BigInt,
        phone -> Text,
        campaign_id -> Nullable<BigInt>,
        reason -> Text,
        source -> Text,
        created_by -> Nullable<BigInt>,
        interaction_id -> Nullable<BigInt>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    installation (id) {
        id -> Integer,
        key_check -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    user_invites (id) {
        id -> BigInt,
        user_id -> BigInt,
        token_hash -> Text,
        created_by -> Nullable<BigInt>,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        accepted_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    workspace_settings (id) {
        id -> Integer,
        members_edit_ai_setup -> Bool,
        updated_at -> Timestamp,
        timezone -> Text,
    }
}

diesel::table! {
    lead_imports (id) {
        id -> BigInt,
        campaign_id -> BigInt,
        created_by -> Nullable<BigInt>,
        file_name -> Text,
        delimiter -> Text,
        csv_data -> Binary,
        column_mapping -> Text,
        duplicate_mode -> Text,
        status -> Text,
        total_rows -> Integer,
        processed_rows -> Integer,
        inserted_rows -> Integer,
        updated_rows -> Integer,
        skipped_rows -> Integer,
        failed_rows -> Integer,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        error_message -> Nullable<Text>,
        created_at -> Timestamp,
        started_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        encoding -> Text,
        file_purged_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    lead_import_errors (id) {
        id -> BigInt,
        lead_import_id -> BigInt,
        row_number -> Integer,
        column_name -> Text,
        reason -> Text,
    }
}

diesel::table! {
    pipeline_runs (id) {
        id -> BigInt,
        interaction_id -> BigInt,
        version -> Integer,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Nullable<Timestamp>,
        lease_holder -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        requested_by -> Nullable<BigInt>,
        model -> Nullable<Text>,
        result -> Nullable<Text>,
        score -> Nullable<Integer>,
        error -> Nullable<Text>,
        prompt_tokens -> Nullable<Integer>,
        completion_tokens -> Nullable<Integer>,
        cost_usd -> Nullable<Double>,
        latency_ms -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        completed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    worker_leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    problems (id) {
        id -> BigInt,
        kind -> Text,
        provider_connection_id -> Nullable<BigInt>,
        campaign_id -> Nullable<BigInt>,
        message -> Text,
        occurrences -> Integer,
        first_at -> Timestamp,
        last_at -> Timestamp,
        resolved_at -> Nullable<Timestamp>,
    }
}

// The analytics rollups: kept by database triggers (migration 000012), read-only here.
diesel::table! {
    call_rollups (campaign_id, quarter, outcome, shard) {
        campaign_id -> BigInt,
        quarter -> BigInt,
        outcome -> Text,
        calls -> Integer,
        duration_secs -> Integer,
        timed -> Integer,
        score_sum -> Integer,
        scored -> Integer,
        shard -> Integer,
    }
}

diesel::table! {
    agent_rollups (campaign_id, quarter, voice_agent_id, template_version_id, shard) {
        campaign_id -> BigInt,
        quarter -> BigInt,
        voice_agent_id -> BigInt,
        template_version_id -> BigInt,
        calls -> Integer,
        reached -> Integer,
        interested -> Integer,
        score_sum -> Integer,
        scored -> Integer,
        shard -> Integer,
    }
}

diesel::table! {
    reach_rollups (campaign_id, quarter, week_hour, shard) {
        campaign_id -> BigInt,
        quarter -> BigInt,
        week_hour -> Integer,
        calls -> Integer,
        reached -> Integer,
        shard -> Integer,
    }
}

diesel::table! {
    lead_funnel (campaign_id, status, attempted, reached, shard) {
        campaign_id -> BigInt,
        status -> Text,
        attempted -> Bool,
        reached -> Bool,
        leads -> Integer,
        shard -> Integer,
    }
}

diesel::joinable!(sessions -> users (user_id));
diesel::joinable!(audit_log -> users (user_id));
diesel::joinable!(user_invites -> users (user_id));
diesel::joinable!(phone_numbers -> provider_connections (provider_connection_id));
diesel::joinable!(voice_agents -> provider_connections (provider_connection_id));
diesel::joinable!(voice_agents -> phone_numbers (default_phone_number_id));
diesel::joinable!(prompt_template_versions -> prompt_templates (prompt_template_id));
diesel::joinable!(prompt_template_versions -> users (created_by));
diesel::joinable!(campaigns -> prompt_templates (prompt_template_id));
diesel::joinable!(campaigns -> phone_numbers (phone_number_id));
diesel::joinable!(campaign_dialer_rules -> campaigns (campaign_id));
diesel::joinable!(campaign_pipelines -> campaigns (campaign_id));
diesel::joinable!(leads -> campaigns (campaign_id));
diesel::joinable!(interactions -> leads (lead_id));
diesel::joinable!(interactions -> campaigns (campaign_id));
diesel::joinable!(interactions -> voice_agents (voice_agent_id));
diesel::joinable!(interactions -> phone_numbers (phone_number_id));
diesel::joinable!(interactions -> prompt_template_versions (template_version_id));
diesel::joinable!(transcript_turns -> interactions (interaction_id));
diesel::joinable!(webhook_events -> provider_connections (provider_connection_id));
diesel::joinable!(suppression_entries -> campaigns (campaign_id));
diesel::joinable!(lead_imports -> campaigns (campaign_id));
diesel::joinable!(lead_import_errors -> lead_imports (lead_import_id));
diesel::joinable!(pipeline_runs -> interactions (interaction_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    sessions,
    login_attempts,
    audit_log,
    provider_connections,
    llm_connections,
    phone_numbers,
    problems,
    voice_agents,
    prompt_templates,
    prompt_template_versions,
    campaigns,
    campaign_dialer_rules,
    campaign_pipelines,
    leads,
    interactions,
    transcript_turns,
    recordings,
    webhook_events,
    suppression_entries,
    lead_imports,
    lead_import_errors,
    pipeline_runs,
    worker_leases,
    installation,
    user_invites,
    workspace_settings,
    call_rollups,
    agent_rollups,
    reach_rollups,
    lead_funnel,
);
