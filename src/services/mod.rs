//! Services: one module per area. A service owns its transactions and its audit entries,
//! calls the provider outside any transaction, and returns typed results or an
//! [`AppError`](crate::error::AppError) that `error.rs` maps centrally. Services never see
//! the web layer: they take a [`Ctx`].

pub mod accounts;
pub mod agents;
pub mod ai_agents;
pub mod analytics;
pub mod audit_log;
pub mod campaigns;
pub mod connections;
pub mod dashboard;
pub mod dialer;
pub mod dnc;
pub mod exports;
pub mod inbound_routing;
pub mod installation;
pub mod interactions;
pub mod invites;
pub mod lead_queue;
pub mod leads;
pub mod phone_numbers;
pub mod pipeline;
pub mod prompt_context;
pub mod provider_import;
pub mod team;
pub mod templates;
pub mod timezones;

use std::sync::Arc;

use crate::clock::Clock;
use crate::crypto::SecretBox;
use crate::db::Db;
use crate::monitoring::Metrics;
use crate::provider::ProviderFactory;

/// What services depend on, built once by `app.rs` (or by a test, with a fixed clock and
/// an in-process provider).
#[derive(Clone)]
pub struct Ctx {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub providers: Arc<dyn ProviderFactory>,
    pub secrets: SecretBox,
    pub instance_id: InstanceId,
    pub settings: Arc<ServiceSettings>,
    /// This application's metrics (R-METRICS); its own, so apps sharing a process never mix figures.
    pub metrics: Metrics,
}

/// Names this process in leases and claims it takes on shared work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceId(pub String);

impl InstanceId {
    /// The process id and a random suffix (process ids repeat across machines).
    pub fn generate() -> InstanceId {
        InstanceId(format!("{}-{}", std::process::id(), &crate::crypto::random_token()[..8]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The settings services read.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// The public base URL, no trailing slash (webhook URLs shown to admins).
    pub public_url: String,
    /// Keep the recordings the provider posts.
    pub store_call_audio: bool,
    /// A call live this long without news is checked with the provider.
    pub reconcile_after: chrono::Duration,
    /// A call still without outcome this long after it started is marked unknown.
    pub reconcile_give_up: chrono::Duration,
}
