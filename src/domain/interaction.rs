//! Interaction vocabulary: contact types (R-CONTACT-TYPE).

/// `new`: the lead did not exist before this interaction (an unknown inbound caller).
/// `first`: a known lead with no earlier completed conversation.
/// `returning`: the lead had at least one earlier completed conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactType {
    New,
    First,
    Returning,
}

impl ContactType {
    pub const ALL: [ContactType; 3] =
        [ContactType::New, ContactType::First, ContactType::Returning];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactType::New => "new",
            ContactType::First => "first",
            ContactType::Returning => "returning",
        }
    }

    pub fn parse(input: &str) -> Result<ContactType, String> {
        ContactType::ALL
            .into_iter()
            .find(|c| c.as_str() == input)
            .ok_or_else(|| format!("Unknown contact type “{input}”"))
    }

    /// Classifies a contact from whether the lead was created by this interaction and how
    /// many completed conversations it had before.
    pub fn classify(lead_created_now: bool, earlier_completed_conversations: i64) -> ContactType {
        match (lead_created_now, earlier_completed_conversations) {
            (true, _) => ContactType::New,
            (false, 0) => ContactType::First,
            (false, _) => ContactType::Returning,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_follows_r_contact_type() {
        assert_eq!(ContactType::classify(true, 0), ContactType::New);
        assert_eq!(ContactType::classify(false, 0), ContactType::First);
        assert_eq!(ContactType::classify(false, 1), ContactType::Returning);
        assert_eq!(ContactType::classify(false, 7), ContactType::Returning);
        for c in ContactType::ALL {
            assert_eq!(ContactType::parse(c.as_str()).unwrap(), c);
        }
    }
}
