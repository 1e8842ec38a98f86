//! Leads: statuses, and parsing a lead from loose input (a form or a CSV row) into a
//! validated lead with field-level errors.

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use super::campaign::parse_timezone;
use super::codes::codes;
use super::phone::{E164, Region};
use super::user::Email;

codes! {
    pub enum LeadStatus {
        New => "new", "New";
        Contacted => "contacted", "Contacted";
        Callback => "callback", "Callback";
        Qualified => "qualified", "Qualified";
        NotInterested => "not_interested", "Not interested";
        DoNotCall => "do_not_call", "Do not call";
        InvalidNumber => "invalid_number", "Invalid number";
        Unreachable => "unreachable", "Unreachable";
    }
}

impl LeadStatus {
    /// Accepts the stored name or the label, in any case ("Not interested", "NOT_INTERESTED").
    pub fn parse(input: &str) -> Result<LeadStatus, String> {
        let wanted = input.trim().to_lowercase().replace([' ', '-'], "_");
        LeadStatus::from_code(&wanted).ok_or_else(|| format!("Unknown lead status “{}”", input.trim()))
    }

    /// Statuses that end the lead's calling for good: nothing is due for them.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            LeadStatus::Qualified
                | LeadStatus::NotInterested
                | LeadStatus::DoNotCall
                | LeadStatus::InvalidNumber
                | LeadStatus::Unreachable
        )
    }
}

codes! {
    /// How a lead came in.
    pub enum LeadSource {
        Form => "form", "Added by hand";
        Import => "import", "Imported";
        Inbound => "inbound", "Called in";
    }
}

/// One problem with one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Loose lead input, every field as typed. Empty strings mean "not given".
#[derive(Debug, Clone, Default)]
pub struct RawLead {
    pub first_name: String,
    pub last_name: String,
    /// A whole name, split at the last space when first/last are not given.
    pub full_name: String,
    pub phone: String,
    pub email: String,
    pub company: String,
    pub timezone: String,
    pub status: String,
    pub is_test: String,
    pub consent_source: String,
    pub consent_at: String,
    pub custom: Vec<(String, String)>,
}

/// A validated lead.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadInput {
    pub first_name: String,
    pub last_name: String,
    pub phone: E164,
    pub email: Option<Email>,
    pub company: Option<String>,
    pub timezone: Option<Tz>,
    pub status: LeadStatus,
    pub is_test: bool,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
    pub consent_source: Option<String>,
    pub consent_at: Option<NaiveDateTime>,
}

const MAX_NAME: usize = 100;
const MAX_TEXT: usize = 200;
const MAX_CUSTOM_FIELDS: usize = 50;
const MAX_CUSTOM_KEY: usize = 64;
const MAX_CUSTOM_VALUE: usize = 2000;

fn optional(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

fn bounded(field: &'static str, label: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    let value = value.trim();
    if value.chars().count() > max {
        errors.push(FieldError { field, message: format!("{label} is longer than {max} characters") });
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        errors.push(FieldError { field, message: format!("{label} contains control characters") });
    }
    value.to_owned()
}

/// Yes/no in the forms people use in spreadsheets.
pub fn parse_flag(input: &str) -> Result<bool, String> {
    match input.trim().to_lowercase().as_str() {
        "" | "0" | "no" | "n" | "false" | "f" | "off" => Ok(false),
        "1" | "yes" | "y" | "true" | "t" | "on" | "x" => Ok(true),
        other => Err(format!("“{other}” is not yes or no")),
    }
}

/// A UTC time as RFC 3339, "YYYY-MM-DD HH:MM[:SS]" or a plain date.
pub fn parse_time(input: &str) -> Result<NaiveDateTime, String> {
    let input = input.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(input) {
        return Ok(t.naive_utc());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(input, format) {
            return Ok(t);
        }
    }
    NaiveDate::parse_from_str(input, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight"))
        .map_err(|_| format!("“{input}” is not a date such as 2026-05-01 or 2026-05-01 14:30"))
}

impl LeadInput {
    /// Validates every field, collecting all problems at once.
    pub fn parse(raw: &RawLead, region: Option<&Region>) -> Result<LeadInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let (mut first, mut last) = (raw.first_name.trim().to_owned(), raw.last_name.trim().to_owned());
        if first.is_empty() && last.is_empty() && !raw.full_name.trim().is_empty() {
            let full = raw.full_name.split_whitespace().collect::<Vec<_>>().join(" ");
            match full.rsplit_once(' ') {
                Some((f, l)) => (first, last) = (f.to_owned(), l.to_owned()),
                None => first = full,
            }
        }
        let first_name = bounded("first_name", "First name", &first, MAX_NAME, &mut errors);
        let last_name = bounded("last_name", "Last name", &last, MAX_NAME, &mut errors);
        let phone =
            E164::parse(&raw.phone, region).map_err(|message| errors.push(FieldError { field: "phone", message })).ok();
        let email = optional(&raw.email).and_then(|email| {
            Email::parse(&email).map_err(|message| errors.push(FieldError { field: "email", message })).ok()
        });
        let company = optional(&bounded("company", "Company", &raw.company, MAX_TEXT, &mut errors));
        let timezone = match optional(&raw.timezone) {
            Some(tz) => {
                parse_timezone(&tz).map_err(|message| errors.push(FieldError { field: "timezone", message })).ok()
            }
            None => None,
        };
        let status = match optional(&raw.status) {
            Some(status) => LeadStatus::parse(&status).unwrap_or_else(|message| {
                errors.push(FieldError { field: "status", message });
                LeadStatus::New
            }),
            None => LeadStatus::New,
        };
        let is_test = parse_flag(&raw.is_test).unwrap_or_else(|message| {
            errors.push(FieldError { field: "is_test", message: format!("Test lead: {message}") });
            false
        });
        let consent_source =
            optional(&bounded("consent_source", "Consent source", &raw.consent_source, MAX_TEXT, &mut errors));
        let consent_at = match optional(&raw.consent_at) {
            Some(at) => {
                parse_time(&at).map_err(|message| errors.push(FieldError { field: "consent_at", message })).ok()
            }
            None => None,
        };
        let mut custom_fields = serde_json::Map::new();
        for (key, value) in &raw.custom {
            let key = key.trim();
            if key.is_empty() {
                continue;
            }
            if key.chars().count() > MAX_CUSTOM_KEY || value.chars().count() > MAX_CUSTOM_VALUE {
                errors.push(FieldError { field: "custom", message: format!("Custom field “{key}” is too long") });
                continue;
            }
            custom_fields.insert(key.to_owned(), serde_json::Value::from(value.trim()));
        }
        if custom_fields.len() > MAX_CUSTOM_FIELDS {
            errors.push(FieldError { field: "custom", message: format!("At most {MAX_CUSTOM_FIELDS} custom fields") });
        }
        match (errors.is_empty(), phone) {
            (true, Some(phone)) => Ok(LeadInput {
                first_name,
                last_name,
                phone,
                email,
                company,
                timezone,
                status,
                is_test,
                custom_fields,
                consent_source,
                consent_at,
            }),
            _ => Err(errors),
        }
    }

    /// The zone calls are timed in, before any campaign fallback.
    pub fn known_timezone(&self) -> Option<Tz> {
        lead_zone(self.timezone, &self.phone, None).map(|z| z.zone)
    }
}

/// Where a lead's zone comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSource {
    /// Set on the lead.
    Lead,
    /// Derived from the number, which maps to exactly one zone.
    Number,
    /// The campaign's zone, for leads whose own zone is unknown.
    Campaign,
}

impl ZoneSource {
    pub fn label(self) -> &'static str {
        match self {
            ZoneSource::Lead => "set on the lead",
            ZoneSource::Number => "from the phone number",
            ZoneSource::Campaign => "the campaign's zone",
        }
    }
}

/// A lead's zone and where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeadZone {
    pub zone: Tz,
    pub source: ZoneSource,
}

/// The one rule for a lead's timezone: the lead's explicit zone, else the number's when it
/// maps to exactly one zone, else the campaign's zone when the caller allows that fallback
/// (`campaign`), else unknown.
pub fn lead_zone(explicit: Option<Tz>, phone: &E164, campaign: Option<Tz>) -> Option<LeadZone> {
    explicit
        .map(|zone| LeadZone { zone, source: ZoneSource::Lead })
        .or_else(|| phone.zone().map(|zone| LeadZone { zone, source: ZoneSource::Number }))
        .or_else(|| campaign.map(|zone| LeadZone { zone, source: ZoneSource::Campaign }))
}

/// Normalises text for prefix search: lower case, single spaces.
pub fn search_key(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// The search keys stored with a lead: "first last", "last first", email, company.
pub fn search_keys(first: &str, last: &str, email: Option<&str>, company: Option<&str>) -> [String; 4] {
    [
        search_key(&format!("{first} {last}")),
        search_key(&format!("{last} {first}")),
        search_key(email.unwrap_or_default()),
        search_key(company.unwrap_or_default()),
    ]
}

/// Parses `key = value` lines (the lead form's custom fields box).
pub fn parse_custom_lines(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            line.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("Custom fields, line {}: write it as name = value", n + 1))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Region {
        Region::parse("US").unwrap()
    }

    fn raw(phone: &str) -> RawLead {
        RawLead { first_name: "Ana".into(), last_name: "Lima".into(), phone: phone.into(), ..RawLead::default() }
    }

    #[test]
    fn statuses_round_trip_and_accept_labels() {
        for &s in LeadStatus::ALL {
            assert_eq!(LeadStatus::parse(s.as_str()).unwrap(), s);
            assert_eq!(LeadStatus::parse(s.label()).unwrap(), s);
        }
        assert!(LeadStatus::parse("hot").is_err());
        assert!(LeadStatus::DoNotCall.is_final() && !LeadStatus::Callback.is_final());
    }

    #[test]
    fn a_valid_lead_is_normalised() {
        let mut input = raw("(212) 555-0123");
        input.email = " Ana@Example.com ".into();
        input.status = "Callback".into();
        input.is_test = "yes".into();
        input.consent_at = "2026-05-01 14:30".into();
        input.custom = vec![("plan".into(), " gold ".into()), ("".into(), "ignored".into())];
        let lead = LeadInput::parse(&input, Some(&us())).unwrap();
        assert_eq!(lead.phone.as_str(), "+12125550123");
        assert_eq!(lead.email.as_ref().map(Email::as_str), Some("ana@example.com"));
        assert_eq!(lead.status, LeadStatus::Callback);
        assert!(lead.is_test);
        assert_eq!(lead.consent_at.unwrap().to_string(), "2026-05-01 14:30:00");
        assert_eq!(lead.custom_fields.get("plan").unwrap(), "gold");
        assert_eq!(lead.custom_fields.len(), 1);
        assert_eq!(lead.known_timezone(), Some(chrono_tz::America::New_York), "derived from the number");
    }

    #[test]
    fn an_explicit_timezone_wins_over_the_number() {
        let mut input = raw("+12125550123");
        input.timezone = "Europe/Lisbon".into();
        assert_eq!(LeadInput::parse(&input, None).unwrap().known_timezone(), Some(chrono_tz::Europe::Lisbon));
        assert_eq!(LeadInput::parse(&raw("+18005550123"), None).unwrap().known_timezone(), None);
    }

    #[test]
    fn the_zone_rule_is_explicit_then_number_then_campaign() {
        let ny = E164::parse("+12125550123", None).unwrap();
        let toll_free = E164::parse("+18005550123", None).unwrap();
        let lisbon = chrono_tz::Europe::Lisbon;
        let berlin = chrono_tz::Europe::Berlin;
        let zone = |explicit, phone, campaign| lead_zone(explicit, phone, campaign).map(|z| (z.zone, z.source));
        assert_eq!(zone(Some(lisbon), &ny, Some(berlin)), Some((lisbon, ZoneSource::Lead)));
        assert_eq!(zone(None, &ny, Some(berlin)), Some((chrono_tz::America::New_York, ZoneSource::Number)));
        assert_eq!(zone(None, &toll_free, Some(berlin)), Some((berlin, ZoneSource::Campaign)));
        assert_eq!(zone(None, &toll_free, None), None);
    }

    #[test]
    fn a_full_name_is_split_when_first_and_last_are_missing() {
        let input =
            RawLead { full_name: "  Maria  de Souza ".into(), phone: "+12125550123".into(), ..RawLead::default() };
        let lead = LeadInput::parse(&input, None).unwrap();
        assert_eq!((lead.first_name.as_str(), lead.last_name.as_str()), ("Maria de", "Souza"));
    }

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let input = RawLead {
            phone: "12".into(),
            email: "nope".into(),
            timezone: "Nowhere/City".into(),
            status: "hot".into(),
            is_test: "maybe".into(),
            consent_at: "yesterday".into(),
            ..RawLead::default()
        };
        let errors = LeadInput::parse(&input, Some(&us())).unwrap_err();
        let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["phone", "email", "timezone", "status", "is_test", "consent_at"]);
    }

    #[test]
    fn flags_times_and_custom_lines() {
        assert_eq!(parse_flag("TRUE"), Ok(true));
        assert_eq!(parse_flag(""), Ok(false));
        assert!(parse_flag("perhaps").is_err());
        assert_eq!(parse_time("2026-05-01T14:30:00+02:00").unwrap().to_string(), "2026-05-01 12:30:00");
        assert_eq!(parse_time("2026-05-01").unwrap().to_string(), "2026-05-01 00:00:00");
        assert_eq!(
            parse_custom_lines("plan = gold\n\nsource=web").unwrap(),
            vec![("plan".into(), "gold".into()), ("source".into(), "web".into())]
        );
        assert!(parse_custom_lines("no equals sign").unwrap_err().contains("line 1"));
    }

    #[test]
    fn search_keys_are_lower_case_with_single_spaces() {
        assert_eq!(
            search_keys(" Ana ", "DE  Lima", Some("Ana@X.com"), None),
            ["ana de lima".to_owned(), "de lima ana".to_owned(), "ana@x.com".to_owned(), String::new()]
        );
    }
}
