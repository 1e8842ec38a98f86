//! A tiny OpenAI-compatible chat-completions responder for the demo, so a newcomer sees
//! summaries, extracted fields and scores without an LLM account. It answers the JSON schema
//! it is sent with values derived from the transcript by keywords: deterministic, and only
//! as clever as that.

use actix_web::{HttpResponse, web};
use serde_json::{Map, Value, json};

/// The model name the demo's LLM connection uses.
pub const MODEL: &str = "voxdial-demo-responder";

pub(super) async fn chat_completions(body: web::Json<Value>) -> HttpResponse {
    let schema = &body["response_format"]["json_schema"]["schema"];
    if !schema.is_object() {
        return HttpResponse::BadRequest().json(
            json!({"error": {"message": "response_format json_schema is required", "type": "invalid_request_error"}}),
        );
    }
    let transcript = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default();
    let reader = Transcript::new(transcript);
    let answer = reader.fill(schema, "");
    let content = answer.to_string();
    let prompt_tokens = transcript.split_whitespace().count() + 60;
    let completion_tokens = content.split_whitespace().count() + content.len() / 8;
    HttpResponse::Ok().json(json!({
        "id": "chatcmpl-demo",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}
    }))
}

/// The lead's lines of a transcript as voxdial's pipeline writes it (`[12s] Lead: …`).
struct Transcript<'a> {
    all: &'a str,
    lead_lines: Vec<&'a str>,
}

impl<'a> Transcript<'a> {
    fn new(all: &'a str) -> Self {
        let lead_lines = all.lines().filter_map(|line| line.split_once("] Lead: ").map(|(_, said)| said)).collect();
        Transcript { all, lead_lines }
    }

    fn lead_said(&self, words: &[&str]) -> bool {
        self.lead_lines.iter().any(|line| words.iter().any(|w| line.to_lowercase().contains(w)))
    }

    fn outcome(&self) -> &'static str {
        if self.lead_said(&["don't call", "take me off", "remove me"]) {
            "do_not_call"
        } else if self.lead_said(&["call me back", "call back"]) {
            "callback"
        } else if self.lead_said(&["voicemail", "leave a message"]) {
            "voicemail"
        } else if self.lead_said(&["wrong number"]) {
            "wrong_number"
        } else if self.lead_said(&["happy with what we have", "not interested", "no thanks"]) {
            "not_interested"
        } else if self.lead_said(&["let's do that", "sounds good", "interested"]) {
            "interested"
        } else {
            "completed"
        }
    }

    fn sentiment(&self) -> &'static str {
        match self.outcome() {
            "interested" | "callback" => "positive",
            "do_not_call" | "not_interested" => "negative",
            _ => "neutral",
        }
    }

    fn summary(&self) -> String {
        match self.lead_lines.last() {
            Some(last) => format!("The lead talked with the agent; their last words: “{last}”"),
            None => "Nobody answered in person.".to_owned(),
        }
    }

    /// A value for every property of `schema`, by its name and type.
    fn fill(&self, schema: &Value, name: &str) -> Value {
        if let Some(properties) = schema["properties"].as_object() {
            let filled: Map<String, Value> =
                properties.iter().map(|(key, property)| (key.clone(), self.fill(property, key))).collect();
            return Value::Object(filled);
        }
        match name {
            "summary" => return json!(self.summary()),
            "sentiment" => return json!(self.sentiment()),
            "outcome" => return json!(self.outcome()),
            "opt_out" => return json!(self.outcome() == "do_not_call"),
            "callback_local_time" => return Value::Null,
            "score" => return json!(self.score()),
            "rationale" => return json!(format!("The lead's replies were {}.", self.sentiment())),
            _ => {}
        }
        if let Some(choices) = schema["enum"].as_array() {
            let all = self.all.to_lowercase();
            return choices
                .iter()
                .find(|c| c.as_str().is_some_and(|c| all.contains(&c.to_lowercase())))
                .cloned()
                .unwrap_or(Value::Null);
        }
        let types = schema["type"].to_string();
        // The field's own name says what to look for (descriptions carry format hints).
        let keywords: Vec<String> = name.split('_').filter(|w| w.len() > 3).map(str::to_lowercase).collect();
        let line = self.lead_lines.iter().find(|l| keywords.iter().any(|k| l.to_lowercase().contains(k.as_str())));
        if types.contains("number") || types.contains("integer") {
            let number = self
                .lead_lines
                .iter()
                .flat_map(|l| l.split_whitespace())
                .find_map(|w| w.trim_matches(|c: char| !c.is_ascii_digit()).replace(',', "").parse::<f64>().ok());
            return number.map_or(Value::Null, |n| json!(n));
        }
        if types.contains("boolean") {
            return if line.is_some() { json!(true) } else { Value::Null };
        }
        line.map_or(Value::Null, |l| json!(l))
    }

    fn score(&self) -> u32 {
        match self.sentiment() {
            "positive" => 80,
            "negative" => 15,
            _ => 45,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_responder_fills_a_schema_from_the_transcript() {
        let transcript = "[3s] Agent: Hello\n[8s] Lead: We already use another tool for that, thanks.\n[12s] Lead: No, we're happy with what we have.";
        let schema = json!({"type": "object", "properties": {
            "analysis": {"type": "object", "properties": {"outcome": {"type": "string"}, "opt_out": {"type": "boolean"}}},
            "fields": {"type": "object", "properties": {"current_tool": {"type": ["string", "null"], "description": "Which tool they use (null if the call did not say)"},
                                                          "plan": {"type": ["string", "null"], "enum": ["pro", "basic", null]}}}
        }});
        let answer = Transcript::new(transcript).fill(&schema, "");
        assert_eq!(answer["analysis"]["outcome"], "not_interested");
        assert_eq!(answer["analysis"]["opt_out"], false);
        assert_eq!(answer["fields"]["current_tool"], "We already use another tool for that, thanks.");
        assert_eq!(answer["fields"]["plan"], Value::Null);
    }
}
