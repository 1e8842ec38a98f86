//! Campaign names, statuses and timezones.

use chrono_tz::Tz;

use super::codes::codes;

codes! {
    pub enum CampaignStatus {
        Draft => "draft", "Draft";
        Active => "active", "Active";
        Paused => "paused", "Paused";
        Archived => "archived", "Archived";
    }
}

impl CampaignStatus {
    pub fn parse(input: &str) -> Result<CampaignStatus, String> {
        CampaignStatus::from_code(input).ok_or_else(|| format!("Unknown campaign status “{input}”"))
    }
}

/// A name shown in lists and given to templates: 1 to 120 characters.
pub fn parse_name(input: &str, what: &str) -> Result<String, String> {
    let name = input.trim();
    if name.is_empty() {
        return Err(format!("{what} is required"));
    }
    if name.chars().count() > 120 {
        return Err(format!("{what} must be at most 120 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{what} must not contain control characters"));
    }
    Ok(name.to_owned())
}

/// An IANA timezone name such as `America/New_York`.
pub fn parse_timezone(input: &str) -> Result<Tz, String> {
    input
        .trim()
        .parse::<Tz>()
        .map_err(|_| format!("“{}” is not an IANA timezone such as America/New_York", input.trim()))
}

/// Every IANA timezone name, for pickers.
pub fn timezone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip() {
        for &s in CampaignStatus::ALL {
            assert_eq!(CampaignStatus::parse(s.as_str()).unwrap(), s);
        }
        assert!(CampaignStatus::parse("running").is_err());
    }

    #[test]
    fn names_and_timezones_are_validated() {
        assert_eq!(parse_name("  Spring push ", "Name").unwrap(), "Spring push");
        assert!(parse_name(" ", "Name").unwrap_err().contains("required"));
        assert_eq!(parse_timezone("Europe/Berlin").unwrap(), chrono_tz::Europe::Berlin);
        assert!(parse_timezone("Mars/Olympus").is_err());
        assert!(timezone_names().any(|n| n == "America/New_York"));
    }
}
