//! Reading an uploaded file as text, in whatever encoding it came in.
//!
//! Spreadsheet programs save "CSV" in the computer's legacy code page (Windows-1252 across
//! Western Europe and the Americas) unless told "CSV UTF-8". A file with a byte order mark
//! is read as the mark says (UTF-8 or UTF-16); any other file that is valid UTF-8 is UTF-8;
//! the rest is guessed the way browsers guess unlabelled pages (chardetng) and decoded with
//! encoding_rs. The import keeps the UTF-8 text, so the worker never decodes again.
//!
//! The file is read twice in chunks (once to guess, once to decode), so it never sits in
//! memory as bytes and as text at the same time.

use std::io::{self, Read, Seek, SeekFrom};

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE};

use super::sheet::FileError;

/// The largest file imported (as bytes, before decoding).
pub const MAX_FILE_BYTES: u64 = 50 * 1024 * 1024;

/// Bytes read at a time.
const CHUNK: usize = 64 * 1024;
/// Bytes a legacy encoding is guessed from.
const GUESS_FROM: usize = 1024 * 1024;

/// A file read as text.
#[derive(Debug)]
pub struct Decoded {
    /// The text, without a byte order mark.
    pub text: String,
    /// The encoding the file came in.
    pub encoding: &'static Encoding,
}

/// Reads `file` from its start as text. Refuses a file over [`MAX_FILE_BYTES`], a binary
/// file (a workbook, an archive, an image: anything with NUL characters) and a file that
/// does not decode in the encoding it looks like, each with the reason.
pub fn decode(mut file: impl Read + Seek) -> Result<Decoded, FileError> {
    let length = file.seek(SeekFrom::End(0)).map_err(unreadable)?;
    if length > MAX_FILE_BYTES {
        return Err(FileError(format!(
            "The file is {} MB; import at most {} MB at a time (split it into several files).",
            length.div_ceil(1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let mut head = Vec::with_capacity(3);
    file.by_ref().take(3).read_to_end(&mut head).map_err(unreadable)?;
    let (encoding, mark_length) = match Encoding::for_bom(&head) {
        Some(marked) => marked,
        None => (guess(&mut file)?, 0),
    };
    file.seek(SeekFrom::Start(mark_length as u64)).map_err(unreadable)?;
    let text = decode_from(&mut file, encoding, length - mark_length as u64)?;
    Ok(Decoded { text, encoding })
}

/// How the mapping step names an encoding (stored by its encoding_rs name): `UTF-8`,
/// `UTF-16LE`, or a guessed legacy one such as `Windows-1252 (detected)`.
pub fn label(name: &str) -> String {
    let shown = match name.strip_prefix("windows-") {
        Some(code_page) => format!("Windows-{code_page}"),
        None => name.to_owned(),
    };
    if is_guess(name) { format!("{shown} (detected)") } else { shown }
}

/// Whether the encoding was guessed: every encoding but UTF-8 (valid, or marked) and
/// UTF-16 (which only a byte order mark selects).
pub fn is_guess(name: &str) -> bool {
    ![UTF_8, UTF_16LE, UTF_16BE].iter().any(|known| known.name() == name)
}

/// Reads the file and guesses its encoding: UTF-8 when the whole file is valid UTF-8
/// (plain ASCII included), else the legacy encoding chardetng guesses from its start (it
/// takes seconds over 50 MB; a megabyte of names and addresses is plenty). Without a byte
/// order mark a file is not UTF-16, so a NUL byte means binary.
fn guess(file: &mut (impl Read + Seek)) -> Result<&'static Encoding, FileError> {
    file.seek(SeekFrom::Start(0)).map_err(unreadable)?;
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Deny);
    let (mut fed, mut utf8) = (0, Utf8Check::default());
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = read_chunk(file, &mut buffer)?;
        let chunk = &buffer[..read];
        if chunk.contains(&0) {
            return Err(not_text());
        }
        if fed < GUESS_FROM {
            // `last` only when the whole file was fed: a prefix must not end the stream.
            detector.feed(chunk, read == 0);
            fed += read;
        }
        utf8.push(chunk);
        if read == 0 {
            // No top-level domain to go by: the generic guess, Windows-1252 for Latin text.
            return Ok(if utf8.is_valid() { UTF_8 } else { detector.guess(None, Utf8Detection::Deny) });
        }
    }
}

/// Whether a file read in chunks is UTF-8, a character possibly split between two chunks.
#[derive(Default)]
struct Utf8Check {
    broken: bool,
    /// The start of a character the next chunk completes.
    pending: Vec<u8>,
}

impl Utf8Check {
    fn push(&mut self, chunk: &[u8]) {
        if self.broken {
            return;
        }
        let joined: Vec<u8>;
        let bytes = if self.pending.is_empty() {
            chunk
        } else {
            joined = [std::mem::take(&mut self.pending).as_slice(), chunk].concat();
            &joined
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => {}
            Err(e) if e.error_len().is_none() => self.pending = bytes[e.valid_up_to()..].to_vec(),
            Err(_) => self.broken = true,
        }
    }

    /// At the end of the file.
    fn is_valid(&self) -> bool {
        !self.broken && self.pending.is_empty()
    }
}

/// Decodes the `length` bytes left in `file`.
fn decode_from(file: &mut impl Read, encoding: &'static Encoding, length: u64) -> Result<String, FileError> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    // Room for the text up front, with some for accented letters taking two bytes in UTF-8:
    // growing a large string by doubling would hold it twice while it is copied.
    let mut text = String::with_capacity((length + length / 8) as usize);
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = read_chunk(file, &mut buffer)?;
        let last = read == 0;
        let checked_from = text.len();
        let mut input = &buffer[..read];
        loop {
            // The decoder writes into spare capacity only; it asks for more when full.
            text.reserve(decoder.max_utf8_buffer_length_without_replacement(input.len()).unwrap_or(input.len()));
            let (result, consumed) = decoder.decode_to_string_without_replacement(input, &mut text, last);
            input = &input[consumed..];
            match result {
                DecoderResult::InputEmpty => break,
                DecoderResult::OutputFull => {}
                DecoderResult::Malformed(..) => {
                    let line = text.matches('\n').count() + 1;
                    return Err(FileError(format!(
                        "The file is not valid {} text (line {line} does not decode). \
                         Save it as “CSV UTF-8” and upload it again.",
                        label(encoding.name())
                    )));
                }
            }
        }
        if text[checked_from..].contains('\0') {
            return Err(not_text());
        }
        if last {
            return Ok(text);
        }
    }
}

/// Fills as much of `buffer` as one read gives; 0 at the end of the file.
fn read_chunk(file: &mut impl Read, buffer: &mut [u8]) -> Result<usize, FileError> {
    loop {
        match file.read(buffer) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            result => return result.map_err(unreadable),
        }
    }
}

fn not_text() -> FileError {
    FileError(
        "The file is not text: it looks like a workbook, an archive or an image. \
         Save it as CSV and upload it again."
            .into(),
    )
}

fn unreadable(err: io::Error) -> FileError {
    FileError(format!("The file cannot be read: {err}"))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    fn decoded(bytes: &[u8]) -> Result<Decoded, FileError> {
        decode(Cursor::new(bytes))
    }

    #[test]
    fn utf8_with_or_without_a_mark_and_utf16_with_a_mark_are_read() {
        for bytes in ["name\nZoë\n".as_bytes(), "\u{feff}name\nZoë\n".as_bytes()] {
            let file = decoded(bytes).unwrap();
            assert_eq!((file.text.as_str(), file.encoding), ("name\nZoë\n", UTF_8));
        }
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("name\nZoë\n".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let file = decoded(&utf16).unwrap();
        assert_eq!((file.text.as_str(), file.encoding), ("name\nZoë\n", UTF_16LE));
        assert_eq!(decoded(b"phone\n+12125550100\n").unwrap().encoding, UTF_8, "ASCII is UTF-8");
        let marked_but_not_utf8 = decoded(b"\xef\xbb\xbfname\nJos\xe9\n").unwrap_err();
        assert!(
            marked_but_not_utf8.0.contains("not valid UTF-8 text (line 2 does not decode)"),
            "{marked_but_not_utf8}"
        );
    }

    #[test]
    fn a_windows_1252_file_is_detected_and_decoded() {
        let file = decoded(b"name,city,phone\nM\xfcller,K\xf6ln,+4922112345\nJos\xe9,M\xe1laga,+34952000000\nZo\xeb,Gen\xe8ve,+41220000000\n")
            .unwrap();
        assert_eq!(file.encoding.name(), "windows-1252");
        assert!(
            file.text.contains("Müller,Köln") && file.text.contains("José,Málaga") && file.text.contains("Zoë,Genève")
        );
        assert_eq!(label(file.encoding.name()), "Windows-1252 (detected)");
        assert_eq!(label("UTF-8"), "UTF-8");
    }

    #[test]
    fn a_character_split_between_chunks_is_utf8_and_a_late_legacy_byte_still_counts() {
        let mut split = vec![b'a'; CHUNK - 1];
        split.extend("é\n".as_bytes());
        assert_eq!(decoded(&split).unwrap().encoding, UTF_8);
        let mut late = "name\n".repeat(GUESS_FROM / 5 + 1).into_bytes();
        late.extend(b"Jos\xe9\n");
        let file = decoded(&late).unwrap();
        assert_eq!(file.encoding.name(), "windows-1252");
        assert!(file.text.ends_with("name\nJosé\n"));
    }

    #[test]
    fn binary_and_oversized_files_are_refused_with_a_reason() {
        let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01";
        let zip = b"PK\x03\x04\x14\x00\x00\x00\x08\x00name,phone";
        let marked_utf16 = b"\xff\xfen\x00\x00\x00";
        for bytes in [&png[..], &zip[..], &marked_utf16[..]] {
            assert!(decoded(bytes).unwrap_err().0.contains("not text"), "{bytes:?}");
        }
        let too_big = vec![b'a'; MAX_FILE_BYTES as usize + 1];
        assert!(decoded(&too_big).unwrap_err().0.contains("at most 50 MB"));
    }
}
