//! voxdial: a self-hosted control room for AI voice agents calling sales leads.

pub mod app;
pub mod audit;
pub mod auth;
pub mod calls;
pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod dialer;
pub mod domain;
pub mod error;
pub mod ids;
pub mod imports;
pub mod monitoring;
pub mod pipeline;
pub mod provider;
pub mod services;
pub mod telemetry;
pub mod web;
pub mod worker;
