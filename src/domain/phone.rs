//! Phone numbers in E.164 form and the ISO regions used to read national formats.

use std::fmt;
use std::str::FromStr;

use phonenumber::country;

/// A valid phone number, normalised to E.164 (`+14155550100`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct E164(String);

impl E164 {
    /// Parses international input (`+44 20 …`) or, with a default region, national input
    /// (`(415) 555-0100` with `US`). Rejects numbers the numbering plan says cannot exist.
    pub fn parse(input: &str, default_region: Option<&Region>) -> Result<E164, String> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err("Phone number is required".into());
        }
        let region = default_region.map(|r| r.id);
        let number = phonenumber::parse(region, trimmed).map_err(|_| {
            if region.is_none() && !trimmed.starts_with('+') {
                format!("“{trimmed}” is not an international number; start it with + and the country code")
            } else {
                format!("“{trimmed}” is not a phone number")
            }
        })?;
        if !number.is_valid() {
            return Err(format!("“{trimmed}” is not a valid phone number"));
        }
        Ok(E164(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    /// A number as voxdial stored it: only its shape is checked (`+`, then 2 to 15 digits,
    /// no leading zero), since it was fully validated on the way in and lists read many.
    pub fn from_stored(stored: String) -> Result<E164, String> {
        let digits = stored.strip_prefix('+').unwrap_or_default();
        let well_formed =
            (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        if well_formed { Ok(E164(stored)) } else { Err(format!("“{stored}” is not an E.164 number")) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The timezone of the number when its prefix maps to exactly one zone (libphonenumber
    /// data); `None` for numbers spanning several zones, such as most mobile ranges.
    pub fn zone(&self) -> Option<chrono_tz::Tz> {
        let digits = &self.0[1..];
        let zones = super::phone_zones::PREFIX_ZONES;
        (1..=digits.len().min(9))
            .rev()
            .find_map(|len| {
                let prefix = &digits[..len];
                zones.binary_search_by(|(p, _)| (*p).cmp(prefix)).ok().map(|i| zones[i].1)
            })
            .filter(|zone| !zone.is_empty())
            .and_then(|zone| zone.parse().ok())
    }

    /// The ISO region of the number (`US`, `GB`…), when the numbering plan says.
    pub fn region(&self) -> Option<String> {
        let number = phonenumber::parse(None, &self.0).ok()?;
        number.country().id().map(|id| format!("{id:?}"))
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 3166 region known to the numbering plan (`US`, `DE`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    id: country::Id,
}

impl Region {
    pub fn parse(input: &str) -> Result<Region, String> {
        let code = input.trim().to_uppercase();
        country::Id::from_str(&code)
            .map(|id| Region { id })
            .map_err(|_| format!("“{}” is not a country code such as US, GB or DE", input.trim()))
    }

    pub fn code(&self) -> String {
        format!("{:?}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us() -> Region {
        Region::parse("us").unwrap()
    }

    #[test]
    fn national_numbers_use_the_default_region() {
        assert_eq!(E164::parse("(415) 555-2671", Some(&us())).unwrap().as_str(), "+14155552671");
        assert_eq!(E164::parse("030 901820", Some(&Region::parse("DE").unwrap())).unwrap().as_str(), "+4930901820");
    }

    #[test]
    fn international_numbers_ignore_the_default_region() {
        assert_eq!(E164::parse("+44 20 7946 0958", Some(&us())).unwrap().as_str(), "+442079460958");
        assert_eq!(E164::parse("+1 415 555 2671", None).unwrap().as_str(), "+14155552671");
    }

    #[test]
    fn invalid_numbers_are_rejected_with_a_reason() {
        assert!(E164::parse("", Some(&us())).unwrap_err().contains("required"));
        assert!(E164::parse("hello", Some(&us())).is_err());
        assert!(E164::parse("+1 000 000 0000", None).is_err());
        assert!(E164::parse("4155552671", None).unwrap_err().contains("start it with +"));
    }

    #[test]
    fn zones_come_from_the_longest_prefix_and_only_when_unambiguous() {
        let zone = |n: &str| E164::parse(n, None).unwrap().zone();
        assert_eq!(zone("+12125550123"), Some(chrono_tz::America::New_York));
        assert_eq!(zone("+14155550123"), Some(chrono_tz::America::Los_Angeles));
        assert_eq!(zone("+4930901820"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(zone("+442079460958"), Some(chrono_tz::Europe::London));
        // Toll-free numbers span the continent.
        assert_eq!(zone("+18005550123"), None);
    }

    #[test]
    fn every_zone_in_the_prefix_table_is_known() {
        for (prefix, zone) in super::super::phone_zones::PREFIX_ZONES {
            assert!(zone.is_empty() || zone.parse::<chrono_tz::Tz>().is_ok(), "{prefix} → {zone}");
        }
        let table = super::super::phone_zones::PREFIX_ZONES;
        assert!(table.windows(2).all(|w| w[0].0 < w[1].0), "sorted for binary search");
    }

    #[test]
    fn stored_numbers_are_checked_for_shape_only() {
        assert_eq!(E164::from_stored("+12125550123".into()).unwrap().as_str(), "+12125550123");
        for bad in ["12125550123", "+", "+0123", "+1212555012x", "+1234567890123456"] {
            assert!(E164::from_stored(bad.into()).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_are_checked_and_reported() {
        assert_eq!(Region::parse(" gb ").unwrap().code(), "GB");
        assert!(Region::parse("XX").is_err());
        assert_eq!(E164::parse("+442079460958", None).unwrap().region().as_deref(), Some("GB"));
    }
}
