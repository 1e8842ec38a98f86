//! Reading lead CSV files: encoding, delimiter, header, column mapping, and turning a row
//! into loose lead input. Pure functions; the import service drives them.

use std::fmt;

use crate::domain::lead::RawLead;

/// The most rows a file may hold.
pub const MAX_ROWS: usize = 200_000;

/// What a CSV column becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    FirstName,
    LastName,
    FullName,
    Phone,
    Email,
    Company,
    Timezone,
    Status,
    IsTest,
    ConsentSource,
    ConsentAt,
    /// A custom field named after the header.
    Custom,
    Ignore,
}

impl Target {
    pub const CHOICES: [Target; 13] = [
        Target::FirstName,
        Target::LastName,
        Target::FullName,
        Target::Phone,
        Target::Email,
        Target::Company,
        Target::Timezone,
        Target::Status,
        Target::IsTest,
        Target::ConsentSource,
        Target::ConsentAt,
        Target::Custom,
        Target::Ignore,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Target::FirstName => "first_name",
            Target::LastName => "last_name",
            Target::FullName => "full_name",
            Target::Phone => "phone",
            Target::Email => "email",
            Target::Company => "company",
            Target::Timezone => "timezone",
            Target::Status => "status",
            Target::IsTest => "is_test",
            Target::ConsentSource => "consent_source",
            Target::ConsentAt => "consent_at",
            Target::Custom => "custom",
            Target::Ignore => "ignore",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Target::FirstName => "First name",
            Target::LastName => "Last name",
            Target::FullName => "Full name",
            Target::Phone => "Phone",
            Target::Email => "Email",
            Target::Company => "Company",
            Target::Timezone => "Timezone",
            Target::Status => "Status",
            Target::IsTest => "Test lead (yes/no)",
            Target::ConsentSource => "Consent source",
            Target::ConsentAt => "Consent time",
            Target::Custom => "Custom field",
            Target::Ignore => "Ignore",
        }
    }

    pub fn parse(input: &str) -> Option<Target> {
        Target::CHOICES.into_iter().find(|t| t.as_str() == input)
    }

    /// Guesses the target from a header such as "Phone Number" or "E-Mail".
    pub fn guess(header: &str) -> Target {
        let key: String = header.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        match key.as_str() {
            "firstname" | "first" | "givenname" | "forename" | "vorname" | "prenom" | "nombre" => Target::FirstName,
            "lastname" | "last" | "surname" | "familyname" | "nachname" | "nom" | "apellido" => Target::LastName,
            "name" | "fullname" | "contact" | "contactname" => Target::FullName,
            "phone" | "phonenumber" | "telephone" | "tel" | "mobile" | "mobilephone" | "cell" | "cellphone"
            | "number" | "telefon" | "telefono" | "msisdn" | "e164" => Target::Phone,
            "email" | "emailaddress" | "mail" => Target::Email,
            "company" | "companyname" | "organization" | "organisation" | "business" | "account" | "firma" => {
                Target::Company
            }
            "timezone" | "tz" | "zone" => Target::Timezone,
            "status" | "leadstatus" => Target::Status,
            "istest" | "test" | "testlead" => Target::IsTest,
            "consentsource" | "consent" | "optinsource" => Target::ConsentSource,
            "consentat" | "consenttime" | "consentdate" | "optinat" | "optindate" => Target::ConsentAt,
            // voxdial's own facts in its lead exports (ids, attempts …) are not lead fields.
            voxdial if voxdial.starts_with("voxdial") => Target::Ignore,
            _ => Target::Custom,
        }
    }
}

/// A decoded file: UTF-8 text without BOM and its delimiter.
#[derive(Debug, Clone)]
pub struct Sheet {
    pub text: String,
    pub delimiter: u8,
}

/// Why a file cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError(pub String);

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Sheet {
    /// The sheet in `text` (decoded by [`super::encoding::decode`]), with the delimiter that
    /// splits the header line most (`,`, `;` or tab).
    pub fn new(text: String) -> Result<Sheet, FileError> {
        if text.trim().is_empty() {
            return Err(FileError("The file is empty.".into()));
        }
        let header = text.lines().next().unwrap_or_default();
        let delimiter =
            [b',', b';', b'\t'].into_iter().max_by_key(|d| header.bytes().filter(|b| b == d).count()).unwrap_or(b',');
        Ok(Sheet { text, delimiter })
    }

    /// The sheet in a file held in memory, decoded as an upload is.
    pub fn decode(bytes: &[u8]) -> Result<Sheet, FileError> {
        Sheet::new(super::encoding::decode(std::io::Cursor::new(bytes))?.text)
    }

    /// Reopens a stored file (UTF-8 text; files stored before decoding on upload may start
    /// with a byte order mark) with its known delimiter.
    pub fn stored(bytes: Vec<u8>, delimiter: u8) -> Result<Sheet, FileError> {
        let mut text = String::from_utf8(bytes).map_err(|e| FileError(format!("The stored file is not UTF-8: {e}")))?;
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        Ok(Sheet { delimiter, ..Sheet::new(text)? })
    }

    pub fn reader(&self) -> csv::Reader<&[u8]> {
        csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(self.text.as_bytes())
    }

    /// The header row.
    pub fn headers(&self) -> Result<Vec<String>, FileError> {
        let headers =
            self.reader().headers().map_err(|e| FileError(format!("The header row cannot be read: {e}")))?.clone();
        let headers: Vec<String> = headers.iter().map(str::to_owned).collect();
        if headers.iter().all(String::is_empty) {
            return Err(FileError("The first row must name the columns.".into()));
        }
        Ok(headers)
    }

    /// The first `n` data rows, for the preview.
    pub fn first_rows(&self, n: usize) -> Vec<Vec<String>> {
        self.reader().records().take(n).filter_map(Result::ok).map(|r| r.iter().map(str::to_owned).collect()).collect()
    }

    /// Counts the data rows, refusing files over [`MAX_ROWS`].
    pub fn count_rows(&self) -> Result<usize, FileError> {
        let count = self.reader().records().count();
        if count == 0 {
            return Err(FileError("The file has a header but no rows.".into()));
        }
        if count > MAX_ROWS {
            return Err(FileError(format!("The file has {count} rows; import at most {MAX_ROWS} at a time.")));
        }
        Ok(count)
    }

    pub fn delimiter_label(&self) -> &'static str {
        delimiter_label(self.delimiter)
    }
}

pub fn delimiter_label(delimiter: u8) -> &'static str {
    match delimiter {
        b';' => "semicolon",
        b'\t' => "tab",
        _ => "comma",
    }
}

/// A column mapping: one target per header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping(pub Vec<Target>);

impl Mapping {
    pub fn guess(headers: &[String]) -> Mapping {
        let mut taken = Vec::new();
        Mapping(
            headers
                .iter()
                .map(|h| {
                    let guess = Target::guess(h);
                    // A target other than a custom field is used once; later columns become custom.
                    if !matches!(guess, Target::Custom | Target::Ignore) && taken.contains(&guess) {
                        Target::Custom
                    } else {
                        taken.push(guess.clone());
                        guess
                    }
                })
                .collect(),
        )
    }

    /// Checks the mapping fits the headers and names a phone column exactly once.
    pub fn validate(&self, headers: &[String]) -> Result<(), String> {
        if self.0.len() != headers.len() {
            return Err("The mapping does not match the file's columns".into());
        }
        match self.0.iter().filter(|t| **t == Target::Phone).count() {
            0 => return Err("Map one column to Phone: every lead needs a number".into()),
            1 => {}
            _ => return Err("Map only one column to Phone".into()),
        }
        for target in Target::CHOICES.iter().filter(|t| !matches!(t, Target::Custom | Target::Ignore)) {
            if self.0.iter().filter(|t| *t == target).count() > 1 {
                return Err(format!("Map only one column to {}", target.label()));
            }
        }
        Ok(())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0.iter().map(Target::as_str).collect::<Vec<_>>()).expect("strings serialise")
    }

    pub fn from_json(json: &str) -> Result<Mapping, String> {
        let names: Vec<String> = serde_json::from_str(json).map_err(|e| format!("stored mapping unreadable: {e}"))?;
        names
            .iter()
            .map(|n| Target::parse(n).ok_or_else(|| format!("unknown target {n}")))
            .collect::<Result<_, _>>()
            .map(Mapping)
    }

    /// Which lead fields a row fills (for updates that keep the rest).
    pub fn maps(&self, target: &Target) -> bool {
        self.0.contains(target)
    }

    /// Turns one row into loose lead input; missing trailing cells count as empty.
    pub fn raw_lead(&self, headers: &[String], row: &csv::StringRecord) -> RawLead {
        let mut lead = RawLead::default();
        for (index, target) in self.0.iter().enumerate() {
            let value = row.get(index).unwrap_or_default().to_owned();
            match target {
                Target::FirstName => lead.first_name = value,
                Target::LastName => lead.last_name = value,
                Target::FullName => lead.full_name = value,
                Target::Phone => lead.phone = value,
                Target::Email => lead.email = value,
                Target::Company => lead.company = value,
                Target::Timezone => lead.timezone = value,
                Target::Status => lead.status = value,
                Target::IsTest => lead.is_test = value,
                Target::ConsentSource => lead.consent_source = value,
                Target::ConsentAt => lead.consent_at = value,
                Target::Custom if !value.is_empty() => lead.custom.push((headers[index].clone(), value)),
                Target::Custom | Target::Ignore => {}
            }
        }
        lead
    }

    /// The header a lead field came from, for error reports.
    pub fn column_of(&self, headers: &[String], field: &str) -> String {
        let target = match field {
            "first_name" => Target::FirstName,
            "last_name" => Target::LastName,
            "phone" => Target::Phone,
            "email" => Target::Email,
            "company" => Target::Company,
            "timezone" => Target::Timezone,
            "status" => Target::Status,
            "is_test" => Target::IsTest,
            "consent_source" => Target::ConsentSource,
            "consent_at" => Target::ConsentAt,
            _ => return field.to_owned(),
        };
        self.0
            .iter()
            .position(|t| *t == target)
            .or_else(|| {
                matches!(target, Target::FirstName | Target::LastName)
                    .then(|| self.0.iter().position(|t| *t == Target::FullName))
                    .flatten()
            })
            .map_or_else(|| field.to_owned(), |i| headers[i].clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_and_semicolons_are_handled() {
        let sheet =
            Sheet::decode("\u{feff}Vorname;Nachname;Telefon\n\"Anna; A.\";Schmidt;030 901820\n".as_bytes()).unwrap();
        assert_eq!(sheet.delimiter, b';');
        assert_eq!(sheet.headers().unwrap(), ["Vorname", "Nachname", "Telefon"]);
        assert_eq!(sheet.first_rows(5), [["Anna; A.", "Schmidt", "030 901820"]]);
        assert_eq!(Mapping::guess(&sheet.headers().unwrap()).0, [Target::FirstName, Target::LastName, Target::Phone]);
    }

    #[test]
    fn files_in_other_encodings_are_decoded_and_binary_or_empty_files_are_refused_with_a_reason() {
        let latin1 = Sheet::decode(b"name,phone\nJos\xe9 M\xfcller,+14155550100\n").unwrap();
        assert_eq!(latin1.first_rows(1), [["José Müller", "+14155550100"]]);
        let zip = Sheet::decode(b"PK\x03\x04\x14\x00\x00\x00\x08\x00").unwrap_err();
        assert!(zip.0.contains("not text"), "{zip}");
        assert!(Sheet::decode(b"  \n").unwrap_err().0.contains("empty"));
        let header_only = Sheet::decode(b"phone\n").unwrap();
        assert!(header_only.count_rows().unwrap_err().0.contains("no rows"));
    }

    #[test]
    fn guesses_common_headers_and_makes_the_rest_custom() {
        let headers: Vec<String> =
            ["First Name", "Last Name", "Phone Number", "E-Mail", "Company", "Plan", "Mobile"].map(String::from).into();
        let mapping = Mapping::guess(&headers);
        assert_eq!(
            mapping.0,
            [
                Target::FirstName,
                Target::LastName,
                Target::Phone,
                Target::Email,
                Target::Company,
                Target::Custom,
                Target::Custom
            ]
        );
        assert!(mapping.validate(&headers).is_ok());
    }

    #[test]
    fn a_mapping_without_exactly_one_phone_is_refused() {
        let headers: Vec<String> = ["name", "city"].map(String::from).into();
        assert!(Mapping::guess(&headers).validate(&headers).unwrap_err().contains("Map one column to Phone"));
        let two = Mapping(vec![Target::Phone, Target::Phone]);
        assert!(two.validate(&headers).unwrap_err().contains("only one column to Phone"));
        let json = Mapping(vec![Target::Phone, Target::Custom]).to_json();
        assert_eq!(Mapping::from_json(&json).unwrap(), Mapping(vec![Target::Phone, Target::Custom]));
    }

    #[test]
    fn rows_become_raw_leads_with_custom_fields_and_short_rows_are_padded() {
        let headers: Vec<String> = ["Name", "Phone", "Plan", "Notes"].map(String::from).into();
        let mapping = Mapping(vec![Target::FullName, Target::Phone, Target::Custom, Target::Ignore]);
        let row = csv::StringRecord::from(vec!["Ana Lima", "+14155550100", "gold"]);
        let raw = mapping.raw_lead(&headers, &row);
        assert_eq!((raw.full_name.as_str(), raw.phone.as_str()), ("Ana Lima", "+14155550100"));
        assert_eq!(raw.custom, vec![("Plan".to_owned(), "gold".to_owned())]);
        assert_eq!(mapping.column_of(&headers, "phone"), "Phone");
        assert_eq!(mapping.column_of(&headers, "first_name"), "Name");
    }
}
