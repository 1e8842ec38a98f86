//! voxdial: a self-hosted control room for AI voice agents calling sales leads.

pub mod app;
pub mod audit;
pub mod auth;
pub mod calls;
pub mod campaign_setup;
pub mod cli;
pub mod config;
pub mod connections;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod imports;
pub mod prompts;
pub mod provider;
pub mod telemetry;
pub mod web;
pub mod worker;
