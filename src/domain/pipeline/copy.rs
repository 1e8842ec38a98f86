//! Extracted values copied into a lead's fields: text into names, email and company (an
//! email that is not one is refused), anything into a custom field of the same name.

use serde_json::{Map, Value};

use super::config::CopyTarget;
use crate::domain::user::Email;

/// The lead fields a run may write.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadFields {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<Email>,
    pub company: Option<String>,
    pub custom: Map<String, Value>,
}

const MAX_TEXT: usize = 200;

impl LeadFields {
    /// Copies `value` of the field `name` into `target`; the reason when it cannot.
    pub fn set(&mut self, target: CopyTarget, name: &str, value: Value) -> Result<(), String> {
        if target == CopyTarget::Custom {
            self.custom.insert(name.to_owned(), value);
            return Ok(());
        }
        let text = match &value {
            Value::String(s) if !s.trim().is_empty() && s.chars().count() <= MAX_TEXT => s.trim().to_owned(),
            _ => return Err(format!("{name} was not copied into {}: not a short text", target.label())),
        };
        match target {
            CopyTarget::FirstName => self.first_name = text,
            CopyTarget::LastName => self.last_name = text,
            CopyTarget::Company => self.company = Some(text),
            CopyTarget::Email => {
                self.email = Some(
                    Email::parse(&text)
                        .map_err(|_| format!("{name} was not copied into Email: “{text}” is not an email address"))?,
                );
            }
            CopyTarget::Custom => unreachable!("handled above"),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn r_pipeline_values_are_copied_and_bad_emails_refused() {
        let mut fields = LeadFields {
            first_name: "A".into(),
            last_name: "B".into(),
            email: None,
            company: None,
            custom: Map::new(),
        };
        fields.set(CopyTarget::Company, "company", json!(" Acme ")).unwrap();
        fields.set(CopyTarget::Custom, "budget", json!(1200)).unwrap();
        assert!(fields.set(CopyTarget::Email, "email", json!("not an email")).unwrap_err().contains("not an email"));
        assert!(fields.set(CopyTarget::FirstName, "n", json!(3)).is_err());
        fields.set(CopyTarget::Email, "email", json!("a@b.example")).unwrap();
        assert_eq!(fields.company.as_deref(), Some("Acme"));
        assert_eq!(fields.custom["budget"], json!(1200));
        assert_eq!(fields.email.unwrap().as_str(), "a@b.example");
    }
}
