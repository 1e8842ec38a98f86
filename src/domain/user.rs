//! Team members: validated email, name, role and password.

use std::fmt;

use super::codes::codes;

/// A lower-cased, trimmed email address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Email, String> {
        let email = input.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && match email.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains('@')
                }
                None => false,
            };
        if valid { Ok(Email(email)) } else { Err(format!("“{}” is not a valid email address", input.trim())) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A display name: 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(input: &str) -> Result<PersonName, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("Name is required".into());
        }
        if name.chars().count() > 100 {
            return Err("Name must be at most 100 characters".into());
        }
        if name.chars().any(char::is_control) {
            return Err("Name must not contain control characters".into());
        }
        Ok(PersonName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

codes! {
    pub enum Role {
        Admin => "admin", "Admin";
        Member => "member", "Member";
    }
}

impl Role {
    pub fn parse(input: &str) -> Result<Role, String> {
        match input {
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            other => Err(format!("Unknown role “{other}”: choose admin or member")),
        }
    }
}

/// A new password that meets the policy: 10 to 128 characters, no composition rules
/// (ASVS 6.2), not merely the email or a single repeated character.
#[derive(Clone)]
pub struct NewPassword(String);

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword(<redacted>)")
    }
}

/// What a member's stored password hash is until they set a password through their invite
/// link: not a hash, so no password verifies against it.
pub const NO_PASSWORD_HASH: &str = "!no password set";

pub const MIN_PASSWORD_CHARS: usize = 10;
pub const MAX_PASSWORD_CHARS: usize = 128;

impl NewPassword {
    pub fn parse(password: &str, confirmation: &str, email: Option<&Email>) -> Result<NewPassword, String> {
        let chars = password.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(format!("Password must be at least {MIN_PASSWORD_CHARS} characters"));
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(format!("Password must be at most {MAX_PASSWORD_CHARS} characters"));
        }
        if password != confirmation {
            return Err("The two passwords do not match".into());
        }
        let mut distinct = password.chars().collect::<Vec<_>>();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 3 {
            return Err("Password is too easy to guess".into());
        }
        if email.is_some_and(|e| password.to_lowercase().contains(e.as_str())) {
            return Err("Password must not contain your email address".into());
        }
        Ok(NewPassword(password.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Ana@Example.COM ").unwrap().as_str(), "ana@example.com");
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "ana@.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(PersonName::parse("  Ana Lima ").unwrap().as_str(), "Ana Lima");
        assert!(PersonName::parse("   ").is_err());
        assert!(PersonName::parse(&"x".repeat(101)).is_err());
        assert!(PersonName::parse("Ana\u{0007}").is_err());
    }

    #[test]
    fn password_policy() {
        let email = Email::parse("ana@example.com").unwrap();
        assert!(NewPassword::parse("correct horse", "correct horse", Some(&email)).is_ok());
        assert!(NewPassword::parse("short", "short", None).is_err());
        assert!(NewPassword::parse("correct horse", "correct horsf", None).is_err());
        assert!(NewPassword::parse("aaaaaaaaaaaa", "aaaaaaaaaaaa", None).is_err());
        assert!(NewPassword::parse("xxana@example.comxx", "xxana@example.comxx", Some(&email)).is_err());
        let long = "ab".repeat(65);
        assert!(NewPassword::parse(&long, &long, None).is_err());
        // Unicode counts characters, not bytes.
        assert!(NewPassword::parse("ñandú ñandú", "ñandú ñandú", None).is_ok());
    }

    #[test]
    fn roles_round_trip() {
        for &role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()).unwrap(), role);
        }
        assert!(Role::parse("owner").is_err());
    }
}
