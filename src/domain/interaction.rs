//! Interaction vocabulary: contact types (R-CONTACT-TYPE).

use super::codes::codes;

codes! {
    /// `new`: the lead did not exist before this interaction (an unknown inbound caller).
    /// `first`: a known lead with no earlier completed conversation.
    /// `returning`: the lead had at least one earlier completed conversation.
    pub enum ContactType {
        New => "new", "New caller";
        First => "first", "First contact";
        Returning => "returning", "Returning";
    }
}

impl ContactType {
    pub fn parse(input: &str) -> Result<ContactType, String> {
        ContactType::from_code(input).ok_or_else(|| format!("Unknown contact type “{input}”"))
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
        for &c in ContactType::ALL {
            assert_eq!(ContactType::parse(c.as_str()).unwrap(), c);
        }
    }
}

codes! {
    /// Where a call stands (see the state machine in ARCHITECTURE.md).
    pub enum CallStatus {
        Dialing => "dialing", "Dialing";
        InProgress => "in_progress", "In progress";
        Completed => "completed", "Completed";
        Busy => "busy", "Busy";
        NoAnswer => "no_answer", "No answer";
        Failed => "failed", "Failed";
        /// Nobody could establish what happened; a person reviews it.
        Unknown => "unknown", "Unknown (review)";
    }
}

impl CallStatus {
    /// Statuses a call can still leave by itself (the database allows one per lead).
    pub const LIVE: [CallStatus; 2] = [CallStatus::Dialing, CallStatus::InProgress];
    /// Statuses a provider report may still finish: live calls, those marked unknown, and
    /// those ended as failed on an uncertain answer (the report arrives late).
    pub const OPEN: [CallStatus; 3] = [CallStatus::Dialing, CallStatus::InProgress, CallStatus::Unknown];

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
        for &s in CallStatus::ALL {
            assert_eq!(CallStatus::from_code(s.as_str()), Some(s));
        }
        assert!(CallStatus::Dialing.is_live() && CallStatus::InProgress.is_live());
        assert!(!CallStatus::Unknown.is_live() && !CallStatus::Completed.is_live());
    }
}

codes! {
    /// Which way a call went.
    pub enum Direction {
        Outbound => "outbound", "Outbound";
        Inbound => "inbound", "Inbound";
    }
}

codes! {
    /// Who started a call.
    pub enum CallOrigin {
        Manual => "manual", "Call now";
        Dialer => "dialer", "Auto-dialer";
        Inbound => "inbound", "Inbound";
    }
}
