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
    pub const ALL: [ContactType; 3] = [ContactType::New, ContactType::First, ContactType::Returning];

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

/// Where a call stands (see the state machine in ARCHITECTURE.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Dialing,
    InProgress,
    Completed,
    Busy,
    NoAnswer,
    Failed,
    /// Nobody could establish what happened; a person reviews it.
    Unknown,
}

impl CallStatus {
    pub const ALL: [CallStatus; 7] = [
        CallStatus::Dialing,
        CallStatus::InProgress,
        CallStatus::Completed,
        CallStatus::Busy,
        CallStatus::NoAnswer,
        CallStatus::Failed,
        CallStatus::Unknown,
    ];
    /// Statuses a call can still leave by itself (the database allows one per lead).
    pub const LIVE: [CallStatus; 2] = [CallStatus::Dialing, CallStatus::InProgress];
    /// Statuses a provider report may still finish: live calls and those marked unknown.
    pub const OPEN: [CallStatus; 3] = [CallStatus::Dialing, CallStatus::InProgress, CallStatus::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            CallStatus::Dialing => "dialing",
            CallStatus::InProgress => "in_progress",
            CallStatus::Completed => "completed",
            CallStatus::Busy => "busy",
            CallStatus::NoAnswer => "no_answer",
            CallStatus::Failed => "failed",
            CallStatus::Unknown => "unknown",
        }
    }

    pub fn parse(input: &str) -> Option<CallStatus> {
        CallStatus::ALL.into_iter().find(|s| s.as_str() == input)
    }

    pub fn label(self) -> &'static str {
        match self {
            CallStatus::Dialing => "Dialing",
            CallStatus::InProgress => "In progress",
            CallStatus::Completed => "Completed",
            CallStatus::Busy => "Busy",
            CallStatus::NoAnswer => "No answer",
            CallStatus::Failed => "Failed",
            CallStatus::Unknown => "Unknown (review)",
        }
    }

    pub fn is_live(self) -> bool {
        CallStatus::LIVE.contains(&self)
    }

    pub fn names(statuses: &[CallStatus]) -> Vec<&'static str> {
        statuses.iter().map(|s| s.as_str()).collect()
    }
}

#[cfg(test)]
mod status_tests {
    use super::CallStatus;

    #[test]
    fn statuses_round_trip_and_know_which_are_live() {
        for s in CallStatus::ALL {
            assert_eq!(CallStatus::parse(s.as_str()), Some(s));
        }
        assert!(CallStatus::Dialing.is_live() && CallStatus::InProgress.is_live());
        assert!(!CallStatus::Unknown.is_live() && !CallStatus::Completed.is_live());
    }
}
