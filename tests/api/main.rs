//! Black-box tests: each test starts the real application on a random port with its own
//! fresh database (SQLite by default, PostgreSQL when VOXDIAL_TEST_POSTGRES_URL is set).
//! All tests build into this one binary.

mod call_setup;
mod fake_provider;
mod helpers;

mod agents;
mod analytics;
mod analytics_race;
mod analytics_rollups;
mod auth;
mod browser;
mod browser_audit;
mod browser_checks;
mod browser_pipeline;
mod call_safety;
mod calls;
mod campaigns;
mod cli;
mod csrf;
mod dashboard_chart;
mod demo;
mod dialer;
mod dialer_simulate;
mod dialer_tab;
mod dnc;
mod exports;
mod headers;
mod health;
mod imports;
mod imports_hardening;
mod imports_preview;
mod inbound;
mod invites;
mod leads;
mod login_throttle;
mod metrics;
mod phone_numbers;
mod pipeline;
mod prompts;
mod provider_schemas;
mod providers;
mod raw_post;
mod reconcile;
mod roles;
mod schema;
mod served;
mod team;
mod timezones;
mod webhook_flood;
mod webhooks;
