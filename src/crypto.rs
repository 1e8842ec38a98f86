//! The installation's secret key and what is derived from it.
//!
//! One 32-byte master key (configured, or generated into a 0600 file on first start)
//! yields independent subkeys per purpose, so rotating one use never weakens another.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

use crate::config::Settings;

const KEY_LEN: usize = 32;

#[derive(Clone)]
pub struct MasterKey([u8; KEY_LEN]);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(<redacted>)")
    }
}

impl MasterKey {
    /// The configured key, else the key file, else a new key written to the key file.
    pub fn load_or_create(settings: &Settings) -> anyhow::Result<MasterKey> {
        if let Some(encoded) = &settings.secret_key {
            return MasterKey::decode(encoded).context("VOXDIAL_SECRET_KEY / secret_key is invalid");
        }
        let path = settings.secret_key_path();
        if path.exists() {
            let encoded = std::fs::read_to_string(&path)
                .with_context(|| format!("reading the secret key file {}", path.display()))?;
            return MasterKey::decode(encoded.trim())
                .with_context(|| format!("the secret key file {} is invalid", path.display()));
        }
        let key = MasterKey::generate();
        key.write_new_file(&path)?;
        tracing::warn!(
            path = %path.display(),
            "generated a new secret key file; back it up with the database, provider secrets cannot be read without it"
        );
        Ok(key)
    }

    pub fn generate() -> MasterKey {
        let mut bytes = [0u8; KEY_LEN];
        rand::rng().fill_bytes(&mut bytes);
        MasterKey(bytes)
    }

    pub fn decode(encoded: &str) -> anyhow::Result<MasterKey> {
        let bytes = BASE64
            .decode(encoded.trim())
            .context("expected base64 of 32 random bytes (e.g. `openssl rand -base64 32`)")?;
        let bytes: [u8; KEY_LEN] =
            bytes.try_into().map_err(|b: Vec<u8>| anyhow::anyhow!("expected 32 bytes, got {}", b.len()))?;
        Ok(MasterKey(bytes))
    }

    pub fn encode(&self) -> String {
        BASE64.encode(self.0)
    }

    fn write_new_file(&self, path: &Path) -> anyhow::Result<()> {
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file =
            options.open(path).with_context(|| format!("creating the secret key file {}", path.display()))?;
        writeln!(file, "{}", self.encode()).context("writing the secret key file")?;
        Ok(())
    }

    /// 64 bytes bound to `purpose` (HMAC-SHA256 in counter mode).
    pub fn derive(&self, purpose: &str) -> [u8; 64] {
        let mut out = [0u8; 64];
        for (counter, chunk) in out.chunks_mut(32).enumerate() {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0).expect("HMAC takes any key length");
            mac.update(purpose.as_bytes());
            mac.update(&[counter as u8]);
            chunk.copy_from_slice(&mac.finalize().into_bytes());
        }
        out
    }

    /// Key that signs session cookies.
    pub fn cookie_key(&self) -> actix_web::cookie::Key {
        actix_web::cookie::Key::from(&self.derive("voxdial session cookie"))
    }
}

/// Encrypts secrets at rest (provider API keys, webhook secrets) with XChaCha20-Poly1305
/// under a subkey of the master key. Each value is bound to its purpose (the column it
/// lives in), so a ciphertext copied into another column does not decrypt.
#[derive(Clone)]
pub struct SecretBox {
    cipher: chacha20poly1305::XChaCha20Poly1305,
}

const SEALED_PREFIX: &str = "v1:";

impl SecretBox {
    pub fn new(key: &MasterKey) -> SecretBox {
        use chacha20poly1305::KeyInit as _;
        let subkey = key.derive("voxdial secrets at rest");
        SecretBox { cipher: chacha20poly1305::XChaCha20Poly1305::new_from_slice(&subkey[..32]).expect("32-byte key") }
    }

    pub fn seal(&self, purpose: &str, plaintext: &str) -> String {
        use chacha20poly1305::aead::{Aead as _, Payload};
        let mut nonce = [0u8; 24];
        rand::rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt((&nonce).into(), Payload { msg: plaintext.as_bytes(), aad: purpose.as_bytes() })
            .expect("encryption cannot fail for in-memory data");
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        format!("{SEALED_PREFIX}{}", BASE64.encode(sealed))
    }

    pub fn open(&self, purpose: &str, sealed: &str) -> anyhow::Result<String> {
        use chacha20poly1305::aead::{Aead as _, Payload};
        let encoded = sealed.strip_prefix(SEALED_PREFIX).context("unknown secret format")?;
        let bytes = BASE64.decode(encoded).context("corrupt secret")?;
        anyhow::ensure!(bytes.len() > 24, "corrupt secret");
        let (nonce, ciphertext) = bytes.split_at(24);
        let plaintext = self
            .cipher
            .decrypt(nonce.into(), Payload { msg: ciphertext, aad: purpose.as_bytes() })
            .map_err(|_| anyhow::anyhow!("the secret cannot be decrypted with this installation's key"))?;
        String::from_utf8(plaintext).context("secret is not UTF-8")
    }
}

/// The last four characters of a secret, the only part ever shown again.
pub fn secret_hint(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// A random URL-safe token with 256 bits of entropy.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Hex SHA-256, for storing lookup keys (session keys) without storing the keys themselves.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subkeys_differ_by_purpose_and_are_stable() {
        let key = MasterKey::generate();
        assert_eq!(key.derive("a"), key.derive("a"));
        assert_ne!(key.derive("a"), key.derive("b"));
        assert_ne!(key.derive("a")[..32], key.derive("a")[32..]);
    }

    #[test]
    fn key_round_trips_through_base64_and_rejects_wrong_lengths() {
        let key = MasterKey::generate();
        assert_eq!(MasterKey::decode(&key.encode()).unwrap().0, key.0);
        assert!(MasterKey::decode("c2hvcnQ=").is_err());
        assert!(MasterKey::decode("not base64!").is_err());
    }

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_purpose() {
        let key = MasterKey::generate();
        let secrets = SecretBox::new(&key);
        let sealed = secrets.seal("api_key", "sk_live_1234");
        assert!(!sealed.contains("sk_live"));
        assert_ne!(sealed, secrets.seal("api_key", "sk_live_1234"), "fresh nonce each time");
        assert_eq!(secrets.open("api_key", &sealed).unwrap(), "sk_live_1234");
        assert!(secrets.open("webhook_secret", &sealed).is_err());
        assert!(SecretBox::new(&MasterKey::generate()).open("api_key", &sealed).is_err());
        assert!(secrets.open("api_key", "v1:AAAA").is_err());
        assert_eq!(secret_hint("sk_live_1234"), "1234");
        assert_eq!(secret_hint("ab"), "ab");
    }

    #[test]
    fn new_key_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings { database_url: dir.path().join("v.db").display().to_string(), ..Settings::default() };
        let first = MasterKey::load_or_create(&settings).unwrap();
        let again = MasterKey::load_or_create(&settings).unwrap();
        assert_eq!(first.0, again.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.path().join("voxdial.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
