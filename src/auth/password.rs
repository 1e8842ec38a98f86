//! Argon2id password hashing (OWASP parameters: 19 MiB, t=2, p=1), always off the async
//! workers and with a cap on concurrent hashes (each one allocates 19 MiB).

use std::sync::{Arc, LazyLock};

use anyhow::Context as _;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

use crate::error::AppError;

const M_COST: u32 = 19_456;
const T_COST: u32 = 2;
const P_COST: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(M_COST, T_COST, P_COST, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Verified when the account does not exist, so a miss costs what a hit costs.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking("voxdial dummy password").expect("hashing a constant"));

pub fn hash_blocking(password: &str) -> anyhow::Result<String> {
    argon2()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("hashing a password")
}

/// Checks `password` against `hash`, or against a dummy hash when there is no account or no
/// password yet (an invited member's placeholder), so that those cost what a real check costs.
pub fn verify_blocking(password: &str, hash: Option<&str>) -> bool {
    let parse = argon2::password_hash::phc::PasswordHash::new;
    match hash.map(parse) {
        Some(Ok(parsed)) => argon2().verify_password(password.as_bytes(), &parsed).is_ok(),
        _ => {
            let dummy = parse(DUMMY_HASH.as_str()).expect("the dummy hash parses");
            let _ = argon2().verify_password(password.as_bytes(), &dummy);
            false
        }
    }
}

/// True when a stored hash was made with other parameters and should be upgraded.
pub fn needs_rehash(hash: &str) -> bool {
    !hash.starts_with(&format!("$argon2id$v=19$m={M_COST},t={T_COST},p={P_COST}$"))
}

/// Runs hashing on the blocking pool, at most `limit` at a time.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    pub fn new(limit: usize) -> Self {
        PasswordHasher { permits: Arc::new(Semaphore::new(limit.max(1))) }
    }

    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        self.run(move || hash_blocking(&password).map_err(AppError::from)).await
    }

    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        self.run(move || Ok(verify_blocking(&password, hash.as_deref()))).await
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self.permits.acquire().await.map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || span.in_scope(work))
            .await
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e).context("password task panicked")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_with_owasp_argon2id_parameters_and_verifies() {
        let hash = hash_blocking("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(!needs_rehash(&hash));
        assert!(verify_blocking("correct horse battery", Some(&hash)));
        assert!(!verify_blocking("correct horse batterz", Some(&hash)));
        assert!(!verify_blocking("anything", None));
        assert!(!verify_blocking("anything", Some("not a hash")));
        let placeholder = crate::domain::user::NO_PASSWORD_HASH;
        assert!(!verify_blocking(placeholder, Some(placeholder)), "an invited member has no password yet");
    }

    #[test]
    fn weaker_hashes_are_flagged_for_upgrade() {
        assert!(needs_rehash("$argon2id$v=19$m=4096,t=3,p=1$c2FsdA$aGFzaA"));
        assert!(needs_rehash("$argon2i$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"));
    }
}
