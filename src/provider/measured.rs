//! Times every voice provider request and counts its errors (R-METRICS), around whichever
//! provider the application uses, so the figures cover the real API and test doubles alike.

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::{
    CallAccepted, CallReport, OutboundCall, ProviderError, ProviderFactory, ProviderKind, RemoteAgent,
    RemotePhoneNumber, VoiceProvider,
};
use crate::monitoring::Metrics;

/// Hands out the inner factory's clients, measured.
pub struct MeasuredProviders {
    inner: Arc<dyn ProviderFactory>,
    metrics: Metrics,
}

impl MeasuredProviders {
    pub fn new(inner: Arc<dyn ProviderFactory>, metrics: Metrics) -> MeasuredProviders {
        MeasuredProviders { inner, metrics }
    }
}

impl ProviderFactory for MeasuredProviders {
    fn client(&self, kind: ProviderKind, base_url: &str, api_key: &str) -> Arc<dyn VoiceProvider> {
        Arc::new(Measured { inner: self.inner.client(kind, base_url, api_key), kind, metrics: self.metrics.clone() })
    }
}

struct Measured {
    inner: Arc<dyn VoiceProvider>,
    kind: ProviderKind,
    metrics: Metrics,
}

impl Measured {
    async fn measure<T>(
        &self,
        operation: &'static str,
        request: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        let started = Instant::now();
        let result = request.await;
        let error = result.as_ref().err().map(error_kind);
        self.metrics.provider_request(self.kind.as_str(), operation, started.elapsed(), error);
        result
    }
}

#[async_trait]
impl VoiceProvider for Measured {
    async fn check(&self) -> Result<String, ProviderError> {
        self.measure("check", self.inner.check()).await
    }

    async fn list_agents(&self) -> Result<Vec<RemoteAgent>, ProviderError> {
        self.measure("list_agents", self.inner.list_agents()).await
    }

    async fn get_agent(&self, agent_id: &str) -> Result<RemoteAgent, ProviderError> {
        self.measure("get_agent", self.inner.get_agent(agent_id)).await
    }

    async fn list_phone_numbers(&self) -> Result<Vec<RemotePhoneNumber>, ProviderError> {
        self.measure("list_phone_numbers", self.inner.list_phone_numbers()).await
    }

    async fn start_call(&self, call: &OutboundCall) -> Result<CallAccepted, ProviderError> {
        self.measure("start_call", self.inner.start_call(call)).await
    }

    async fn get_conversation(&self, conversation_id: &str) -> Result<CallReport, ProviderError> {
        self.measure("get_conversation", self.inner.get_conversation(conversation_id)).await
    }
}

/// A label for the kind of failure; the messages stay in the logs and pages.
fn error_kind(err: &ProviderError) -> &'static str {
    match err {
        ProviderError::Unauthorized { .. } => "unauthorized",
        ProviderError::NotFound(_) => "not_found",
        ProviderError::Invalid(_) => "invalid",
        ProviderError::RateLimited(_) => "rate_limited",
        ProviderError::Server { .. } => "server",
        ProviderError::Unexpected { .. } => "unexpected",
        ProviderError::Timeout(_) => "timeout",
        ProviderError::Connection(_) => "connection",
        ProviderError::Interrupted(_) => "interrupted",
        ProviderError::Decode(_) => "decode",
        ProviderError::Declined(_) => "declined",
    }
}
