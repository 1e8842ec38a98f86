//! Regional compliance profiles: the local hours a region allows and any rolling call cap, kept
//! as data in one place with the source of each rule. A campaign can only narrow them.
//!
//! Not legal advice. The state rules below come from voxdial's research notes, which read them
//! through secondary sources (VICIdial's shipped "State Call Time" examples and dialer vendors'
//! blogs); have counsel confirm them. Holidays are not modelled.

use super::us_area_codes::NANP_AREA_CODES;
use super::windows::{LocalRange, WeeklyWindows};

/// The hard floor no setting can break: 08:00–21:00 in the called party's local time, every day.
/// Every profile lies inside it and every verdict intersects with it.
pub const FLOOR: LocalRange = LocalRange { start: hm(8, 0), end: hm(21, 0) };

/// Where [`FLOOR`] comes from.
pub const FLOOR_SOURCE: &str = "47 CFR § 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m. \
     local time at the called party's location";

/// Allowed local ranges of one day as `(start, end)` minutes since midnight, half-open.
pub type DayHours = &'static [(u16, u16)];

/// A region's calling rules. `hours` holds Monday to Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Profile {
    /// `DEFAULT`, `US`, `US-FL` (USPS state code) or an ISO 3166 region such as `GB`.
    pub code: &'static str,
    pub name: &'static str,
    pub hours: [DayHours; 7],
    /// Calls to one number in any rolling 24 hours, when the region caps them.
    pub max_calls_per_24h: Option<u32>,
    /// Citation for the hours and the cap.
    pub source: &'static str,
}

impl Profile {
    /// The profile's hours as windows, ready to intersect with a campaign's.
    pub fn windows(&self) -> WeeklyWindows {
        WeeklyWindows::from_days(
            self.hours.map(|day| day.iter().map(|&(start, end)| LocalRange { start, end }).collect()),
        )
    }
}

const fn hm(hour: u16, minute: u16) -> u16 {
    hour * 60 + minute
}

const CLOSED: DayHours = &[];
const FLOOR_HOURS: DayHours = &[(FLOOR.start, FLOOR.end)];
const EIGHT_TO_EIGHT: DayHours = &[(hm(8, 0), hm(20, 0))];
const NINE_TO_EIGHT: DayHours = &[(hm(9, 0), hm(20, 0))];

const fn daily(day: DayHours) -> [DayHours; 7] {
    [day; 7]
}

/// `weekday` from Monday to Saturday, `sunday` on Sunday.
const fn with_sunday(weekday: DayHours, sunday: DayHours) -> [DayHours; 7] {
    [weekday, weekday, weekday, weekday, weekday, weekday, sunday]
}

const fn state(code: &'static str, name: &'static str, hours: [DayHours; 7], source: &'static str) -> Profile {
    Profile { code, name, hours, max_calls_per_24h: None, source }
}

const COUNTRY_SOURCE: &str = "voxdial default floor; no stricter rule known to voxdial";

/// A region for which voxdial knows no rule of its own: the floor, labelled with the region, so
/// that campaigns and reports name the country; a campaign can still narrow it.
const fn country(code: &'static str, name: &'static str) -> Profile {
    Profile { code, name, hours: daily(FLOOR_HOURS), max_calls_per_24h: None, source: COUNTRY_SOURCE }
}

const VICIDIAL: &str = "VICIdial shipped State Call Time definitions (www/vicidial/help.php, \
     extras/MySQL_AST_CREATE_tables.sql at vicigeek/trunk@2624a425), via voxdial dialer field notes §2.5 C; \
     secondary source, confirm with counsel";

/// All profiles. [`default_profile`] and [`us_profile`] rely on the first two entries (tested).
static PROFILES: &[Profile] = &[
    Profile {
        code: "DEFAULT",
        name: "Unknown region (legal floor)",
        hours: daily(FLOOR_HOURS),
        max_calls_per_24h: None,
        source: "voxdial default floor (47 CFR § 64.1200(c)(1) hours) for numbers whose region is unknown",
    },
    state("US", "United States (federal)", daily(FLOOR_HOURS), FLOOR_SOURCE),
    // The notes give AL/LA/MS as "8am–8pm, no Sunday"; read as Monday to Saturday 08:00–20:00.
    state("US-AL", "Alabama", with_sunday(EIGHT_TO_EIGHT, CLOSED), VICIDIAL),
    Profile {
        code: "US-FL",
        name: "Florida",
        hours: daily(EIGHT_TO_EIGHT),
        max_calls_per_24h: Some(3),
        source: "Florida Telephone Solicitation Act (FTSA): 8 a.m.–8 p.m. and at most 3 calls per 24 hours, \
             per https://vicifast.com/blog/florida-three-calls-24-hours-rule and \
             https://vicifast.com/blog/how-to-set-up-vicidial-florida-call-limit-override; secondary source, \
             confirm with counsel",
    },
    state("US-IN", "Indiana", daily(NINE_TO_EIGHT), VICIDIAL),
    // The notes say only "KY from 10am"; the end is left at the federal 21:00.
    state("US-KY", "Kentucky", daily(&[(hm(10, 0), FLOOR.end)]), VICIDIAL),
    state("US-LA", "Louisiana", with_sunday(EIGHT_TO_EIGHT, CLOSED), VICIDIAL),
    state("US-MA", "Massachusetts", daily(EIGHT_TO_EIGHT), VICIDIAL),
    state("US-MS", "Mississippi", with_sunday(EIGHT_TO_EIGHT, CLOSED), VICIDIAL),
    state("US-NV", "Nevada", daily(NINE_TO_EIGHT), VICIDIAL),
    // "PA Sunday 1:30pm+": only Sunday's start is given; other times are federal.
    state("US-PA", "Pennsylvania", with_sunday(FLOOR_HOURS, &[(hm(13, 30), FLOOR.end)]), VICIDIAL),
    // "RI 9–6, Sat 10–5, no Sunday"; the reliability notes (§6 G1) cite the same weekday hours
    // from 2008, so they may be dated.
    state(
        "US-RI",
        "Rhode Island",
        [
            &[(hm(9, 0), hm(18, 0))],
            &[(hm(9, 0), hm(18, 0))],
            &[(hm(9, 0), hm(18, 0))],
            &[(hm(9, 0), hm(18, 0))],
            &[(hm(9, 0), hm(18, 0))],
            &[(hm(10, 0), hm(17, 0))],
            CLOSED,
        ],
        VICIDIAL,
    ),
    // "SD no Sunday": other days federal.
    state("US-SD", "South Dakota", with_sunday(FLOOR_HOURS, CLOSED), VICIDIAL),
    // "TX Sunday noon+": only Sunday's start is given; other times are federal.
    state("US-TX", "Texas", with_sunday(FLOOR_HOURS, &[(hm(12, 0), FLOOR.end)]), VICIDIAL),
    state("US-UT", "Utah", daily(NINE_TO_EIGHT), VICIDIAL),
    state("US-WY", "Wyoming", daily(EIGHT_TO_EIGHT), VICIDIAL),
    // NANP members outside the 50 states (area-code table). PR, VI, GU, AS and MP are US
    // territories; the notes say nothing about them, so they get the floor, which has the same
    // hours as the federal rule.
    country("AG", "Antigua and Barbuda"),
    country("AI", "Anguilla"),
    country("AS", "American Samoa"),
    country("BB", "Barbados"),
    country("BM", "Bermuda"),
    country("BS", "Bahamas"),
    country("CA", "Canada"),
    country("DM", "Dominica"),
    country("DO", "Dominican Republic"),
    country("GD", "Grenada"),
    country("GU", "Guam"),
    country("JM", "Jamaica"),
    country("KN", "Saint Kitts and Nevis"),
    country("KY", "Cayman Islands"),
    country("LC", "Saint Lucia"),
    country("MP", "Northern Mariana Islands"),
    country("MS", "Montserrat"),
    country("PR", "Puerto Rico"),
    country("SX", "Sint Maarten"),
    country("TC", "Turks and Caicos Islands"),
    country("TT", "Trinidad and Tobago"),
    country("VC", "Saint Vincent and the Grenadines"),
    country("VG", "British Virgin Islands"),
    country("VI", "U.S. Virgin Islands"),
    // Other countries reached by calling code (CALLING_CODES).
    country("AE", "United Arab Emirates"),
    country("AT", "Austria"),
    country("AU", "Australia"),
    country("BE", "Belgium"),
    country("BR", "Brazil"),
    country("CH", "Switzerland"),
    country("DE", "Germany"),
    country("DK", "Denmark"),
    country("ES", "Spain"),
    country("FI", "Finland"),
    // France is reported to restrict telemarketing hours further by decree; that is not in
    // voxdial's sourced notes, so it is not encoded. Confirm before dialing France.
    country("FR", "France"),
    country("GB", "United Kingdom"),
    country("IE", "Ireland"),
    country("IN", "India"),
    country("IT", "Italy"),
    country("JP", "Japan"),
    country("MX", "Mexico"),
    country("NL", "Netherlands"),
    country("NO", "Norway"),
    country("NZ", "New Zealand"),
    country("PL", "Poland"),
    country("PT", "Portugal"),
    country("SE", "Sweden"),
    country("SG", "Singapore"),
    country("ZA", "South Africa"),
];

/// Country calling code (without `+`) → ISO region, for numbers outside NANP. Sorted; calling
/// codes are prefix-free, the longest match is taken all the same.
static CALLING_CODES: &[(&str, &str)] = &[
    ("27", "ZA"),
    ("31", "NL"),
    ("32", "BE"),
    ("33", "FR"),
    ("34", "ES"),
    ("351", "PT"),
    ("353", "IE"),
    ("358", "FI"),
    ("39", "IT"),
    ("41", "CH"),
    ("43", "AT"),
    ("44", "GB"),
    ("45", "DK"),
    ("46", "SE"),
    ("47", "NO"),
    ("48", "PL"),
    ("49", "DE"),
    ("52", "MX"),
    ("55", "BR"),
    ("61", "AU"),
    ("64", "NZ"),
    ("65", "SG"),
    ("81", "JP"),
    ("91", "IN"),
    ("971", "AE"),
];

/// Every built-in profile.
pub fn all() -> &'static [Profile] {
    PROFILES
}

/// The profile with this code (`US-FL`, `gb`…), ignoring case.
pub fn by_code(code: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|profile| profile.code.eq_ignore_ascii_case(code))
}

/// The floor, for numbers whose region is unknown.
pub fn default_profile() -> &'static Profile {
    &PROFILES[0]
}

/// The federal US rule, for US states without a stricter profile.
pub fn us_profile() -> &'static Profile {
    &PROFILES[1]
}

/// The profile for an E.164 number (`+13055550123`). NANP numbers go by area code: a state with
/// its own profile gets it, other US states get `US`, Canada and the Caribbean members their
/// country. Other numbers go by calling code. Anything else, including toll-free and malformed
/// numbers, gets `DEFAULT`, the floor.
pub fn profile_for_number(e164: &str) -> &'static Profile {
    let digits = match e164.strip_prefix('+') {
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => digits,
        _ => return default_profile(),
    };
    let region = match digits.strip_prefix('1') {
        Some(national) => national.get(..3).and_then(|area| lookup(NANP_AREA_CODES, area)),
        None => (1..=digits.len().min(3)).rev().find_map(|len| lookup(CALLING_CODES, &digits[..len])),
    };
    let profile = region.and_then(|region| by_code(region).or_else(|| region.starts_with("US-").then(us_profile)));
    profile.unwrap_or_else(default_profile)
}

fn lookup(table: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    table.binary_search_by(|(candidate, _)| (*candidate).cmp(key)).ok().map(|i| table[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dial_rules_named_profiles_sit_where_the_lookups_expect_them() {
        assert_eq!(default_profile().code, "DEFAULT");
        assert_eq!(us_profile().code, "US");
    }

    #[test]
    fn r_dial_rules_lookup_tables_are_sorted_and_name_known_profiles() {
        for table in [NANP_AREA_CODES, CALLING_CODES] {
            assert!(table.windows(2).all(|pair| pair[0].0 < pair[1].0), "sorted for binary search");
            for (key, region) in table {
                assert!(key.bytes().all(|b| b.is_ascii_digit()), "{key}");
                let known = by_code(region).is_some() || region.starts_with("US-");
                assert!(known, "{key} → {region} has no profile");
            }
        }
    }

    #[test]
    fn r_dial_rules_every_profile_code_is_unique() {
        for (i, profile) in PROFILES.iter().enumerate() {
            assert!(PROFILES[i + 1..].iter().all(|other| other.code != profile.code), "{}", profile.code);
        }
    }
}
