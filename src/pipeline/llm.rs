//! An OpenAI-compatible chat-completions client (OpenAI, vLLM, Ollama, llama.cpp …): one
//! request with a strict JSON schema as `response_format`, the answer's content parsed as
//! JSON, and errors sorted into worth retrying later or not.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Where and how to ask.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// Up to and including the API version, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    pub model: String,
    pub api_key: Option<String>,
    pub timeout: Duration,
}

/// A structured answer and what it cost.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The message content, parsed as JSON (`Err` with the raw text if it is not JSON).
    pub content: Result<Value, String>,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub latency: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LlmError {
    /// Rate limits, server errors, timeouts and broken connections: try again later.
    #[error("{message}")]
    Transient { message: String, retry_after: Option<Duration> },
    /// The request itself is refused (bad key, unknown model, bad request): retrying the
    /// same request will not help.
    #[error("{0}")]
    Refused(String),
}

/// Asks for an answer that fits `schema`.
pub async fn ask(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    system: &str,
    user: &str,
    schema: &Value,
) -> Result<Answer, LlmError> {
    let url = format!("{}/chat/completions", endpoint.base_url.trim_end_matches('/'));
    let body = json!({
        "model": endpoint.model,
        "temperature": 0,
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "call_analysis", "strict": true, "schema": schema}},
    });
    let mut request = client.post(&url).timeout(endpoint.timeout).json(&body);
    if let Some(key) = &endpoint.api_key {
        request = request.bearer_auth(key);
    }
    let started = Instant::now();
    let response = request.send().await.map_err(|e| transport_error(&e, endpoint.timeout))?;
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = response.text().await.map_err(|e| transport_error(&e, endpoint.timeout))?;
    let latency = started.elapsed();
    if status.as_u16() == 429 || status.is_server_error() {
        return Err(LlmError::Transient { message: format!("HTTP {status}: {}", excerpt(&text)), retry_after });
    }
    if !status.is_success() {
        return Err(LlmError::Refused(format!("HTTP {status}: {}", excerpt(&text))));
    }
    let reply: Value = serde_json::from_str(&text)
        .map_err(|_| LlmError::Transient { message: format!("not JSON: {}", excerpt(&text)), retry_after: None })?;
    let message = &reply["choices"][0]["message"];
    if let Some(refusal) = message["refusal"].as_str() {
        return Err(LlmError::Refused(format!("the model refused: {}", excerpt(refusal))));
    }
    let content = message["content"].as_str().ok_or_else(|| LlmError::Transient {
        message: "the reply has no choices[0].message.content".into(),
        retry_after: None,
    })?;
    let usage = &reply["usage"];
    let tokens = |key: &str| usage[key].as_i64().and_then(|n| i32::try_from(n).ok());
    Ok(Answer {
        content: serde_json::from_str(strip_code_fence(content)).map_err(|_| excerpt(content)),
        prompt_tokens: tokens("prompt_tokens"),
        completion_tokens: tokens("completion_tokens"),
        latency,
    })
}

fn transport_error(error: &reqwest::Error, timeout: Duration) -> LlmError {
    let message = if error.is_timeout() {
        format!("no answer within {} s", timeout.as_secs())
    } else if error.is_connect() {
        "could not connect".to_owned()
    } else {
        "the connection broke off".to_owned()
    };
    LlmError::Transient { message, retry_after: None }
}

/// Some local servers wrap JSON in a Markdown code fence even when asked for a schema.
fn strip_code_fence(content: &str) -> &str {
    let trimmed = content.trim();
    trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.strip_suffix("```"))
        .map(str::trim)
        .unwrap_or(trimmed)
}

/// The start of a body, for an error message (bodies can be long; keys never appear in them).
fn excerpt(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(200) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_fences_are_stripped() {
        assert_eq!(strip_code_fence("```json\n{\"a\":1}\n```"), "{\"a\":1}");
        assert_eq!(strip_code_fence(" {\"a\":1} "), "{\"a\":1}");
    }

    #[test]
    fn excerpts_are_short_and_flat() {
        assert_eq!(excerpt("a\n  b"), "a b");
        assert_eq!(excerpt(&"x".repeat(300)).chars().count(), 201);
    }
}
