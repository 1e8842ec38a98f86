//! An in-process provider that answers from a script instead of over HTTP: for tests that
//! drive services with a fixed clock, and for the dialer's dry run. It records every call
//! it was asked to place.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;

use super::{
    CallAccepted, CallReport, OutboundCall, ProviderError, ProviderFactory, ProviderKind, RemoteAgent,
    RemotePhoneNumber, VoiceProvider,
};

/// Decides the answer to one request to place a call.
pub type CallAnswer = Box<dyn Fn(&OutboundCall) -> Result<CallAccepted, ProviderError> + Send + Sync>;

/// The scripted provider; share it with `Arc` and hand it to the app as its factory.
pub struct ScriptedProvider {
    state: Mutex<State>,
}

struct State {
    answer: CallAnswer,
    placed: Vec<OutboundCall>,
    conversations: HashMap<String, Result<CallReport, ProviderError>>,
    agents: Vec<RemoteAgent>,
    numbers: Vec<RemotePhoneNumber>,
}

impl ScriptedProvider {
    /// Accepts every call, naming the conversation after voxdial's interaction id
    /// (`conv_<id>`).
    pub fn accepting() -> Arc<ScriptedProvider> {
        Arc::new(ScriptedProvider {
            state: Mutex::new(State {
                answer: Box::new(|call| Ok(accepted(call))),
                placed: Vec::new(),
                conversations: HashMap::new(),
                agents: Vec::new(),
                numbers: Vec::new(),
            }),
        })
    }

    /// From now on, answers requests to place a call with `answer`.
    pub fn answer_calls_with(&self, answer: CallAnswer) {
        self.lock().answer = answer;
    }

    /// Answers every request to place a call with this error.
    pub fn fail_calls_with(&self, error: ProviderError) {
        self.answer_calls_with(Box::new(move |_| Err(error.clone())));
    }

    pub fn set_conversation(&self, conversation_id: &str, report: Result<CallReport, ProviderError>) {
        self.lock().conversations.insert(conversation_id.to_owned(), report);
    }

    pub fn set_catalog(&self, agents: Vec<RemoteAgent>, numbers: Vec<RemotePhoneNumber>) {
        let mut state = self.lock();
        state.agents = agents;
        state.numbers = numbers;
    }

    /// The calls it was asked to place, in order.
    pub fn placed(&self) -> Vec<OutboundCall> {
        self.lock().placed.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The answer of a provider that took the call: `conv_<interaction id>`.
pub fn accepted(call: &OutboundCall) -> CallAccepted {
    let reference = call
        .dynamic_variables
        .get(crate::calls::INTERACTION_VARIABLE)
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .to_owned();
    CallAccepted { conversation_id: Some(format!("conv_{reference}")), call_sid: Some(format!("sid_{reference}")) }
}

#[async_trait]
impl VoiceProvider for ScriptedProvider {
    async fn check(&self) -> Result<String, ProviderError> {
        Ok("Connected to the scripted provider.".into())
    }

    async fn list_agents(&self) -> Result<Vec<RemoteAgent>, ProviderError> {
        Ok(self.lock().agents.clone())
    }

    async fn get_agent(&self, agent_id: &str) -> Result<RemoteAgent, ProviderError> {
        self.lock()
            .agents
            .iter()
            .find(|a| a.agent_id == agent_id)
            .cloned()
            .ok_or_else(|| ProviderError::NotFound(format!("no agent {agent_id}")))
    }

    async fn list_phone_numbers(&self) -> Result<Vec<RemotePhoneNumber>, ProviderError> {
        Ok(self.lock().numbers.clone())
    }

    async fn start_call(&self, call: &OutboundCall) -> Result<CallAccepted, ProviderError> {
        let mut state = self.lock();
        state.placed.push(call.clone());
        (state.answer)(call)
    }

    async fn get_conversation(&self, conversation_id: &str) -> Result<CallReport, ProviderError> {
        self.lock()
            .conversations
            .get(conversation_id)
            .cloned()
            .unwrap_or_else(|| Err(ProviderError::NotFound(format!("no conversation {conversation_id}"))))
    }
}

/// The scripted provider stands in for every connection, whatever its kind or key.
pub struct ScriptedProviders(pub Arc<ScriptedProvider>);

impl ProviderFactory for ScriptedProviders {
    fn client(&self, _kind: ProviderKind, _base_url: &str, _api_key: &str) -> Arc<dyn VoiceProvider> {
        self.0.clone()
    }
}
