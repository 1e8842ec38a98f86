//! Lead statuses.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LeadStatus {
    New,
    Contacted,
    Callback,
    Qualified,
    NotInterested,
    DoNotCall,
    InvalidNumber,
    Unreachable,
}

impl LeadStatus {
    pub const ALL: [LeadStatus; 8] = [
        LeadStatus::New,
        LeadStatus::Contacted,
        LeadStatus::Callback,
        LeadStatus::Qualified,
        LeadStatus::NotInterested,
        LeadStatus::DoNotCall,
        LeadStatus::InvalidNumber,
        LeadStatus::Unreachable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadStatus::New => "new",
            LeadStatus::Contacted => "contacted",
            LeadStatus::Callback => "callback",
            LeadStatus::Qualified => "qualified",
            LeadStatus::NotInterested => "not_interested",
            LeadStatus::DoNotCall => "do_not_call",
            LeadStatus::InvalidNumber => "invalid_number",
            LeadStatus::Unreachable => "unreachable",
        }
    }

    pub fn parse(input: &str) -> Result<LeadStatus, String> {
        LeadStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == input)
            .ok_or_else(|| format!("Unknown lead status “{input}”"))
    }

    pub fn label(self) -> &'static str {
        match self {
            LeadStatus::New => "New",
            LeadStatus::Contacted => "Contacted",
            LeadStatus::Callback => "Callback",
            LeadStatus::Qualified => "Qualified",
            LeadStatus::NotInterested => "Not interested",
            LeadStatus::DoNotCall => "Do not call",
            LeadStatus::InvalidNumber => "Invalid number",
            LeadStatus::Unreachable => "Unreachable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for s in LeadStatus::ALL {
            assert_eq!(LeadStatus::parse(s.as_str()).unwrap(), s);
        }
        assert!(LeadStatus::parse("hot").is_err());
    }
}
