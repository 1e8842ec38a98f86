//! Where a `next` or `back` parameter may send a browser: a path on this site, nothing else
//! (no open redirect).

use std::sync::LazyLock;

use url::Url;

/// Any origin will do: only whether a path leaves it matters.
static SITE: LazyLock<Url> = LazyLock::new(|| Url::parse("http://voxdial.invalid/").expect("a valid URL"));

/// A path on this site, with its query, safe to redirect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPath(String);

impl LocalPath {
    /// Browsers drop TAB, CR and LF inside a URL and read `\` as `/`, so `/\t/evil.example`
    /// and `/\evil.example` both mean `//evil.example` — another host. Such input is refused
    /// outright; what remains must start with one `/` and, resolved as a browser would
    /// resolve it, stay on this site.
    pub fn parse(input: &str) -> Option<LocalPath> {
        if input.chars().any(|c| c.is_control() || c == '\\') || !input.starts_with('/') || input.starts_with("//") {
            return None;
        }
        let resolved = SITE.join(input).ok()?;
        (resolved.origin() == SITE.origin()).then(|| LocalPath(input.to_owned()))
    }

    /// The path from `input`, or `fallback` when it is not a local one.
    pub fn or(input: Option<&str>, fallback: &str) -> String {
        input.and_then(LocalPath::parse).map_or_else(|| fallback.to_owned(), |path| path.0)
    }
}

#[cfg(test)]
mod tests {
    use super::LocalPath;

    #[test]
    fn open_redirect_only_local_paths_pass() {
        for local in ["/", "/team?x=1", "/campaigns/3/leads?q=ana%20lima#top", "/leads?back=//x"] {
            assert_eq!(LocalPath::or(Some(local), "/"), local);
        }
        for foreign in [
            "/\t/evil.example",
            "/\r\n/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "//evil.example",
            "///evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "",
        ] {
            assert_eq!(LocalPath::or(Some(foreign), "/home"), "/home", "{foreign:?}");
        }
        assert_eq!(LocalPath::or(None, "/leads"), "/leads");
    }
}
