//! An actix-session store backed by the `sessions` table, so sessions can be revoked
//! (logout, disabled user, password change) and several instances share them.

use std::collections::HashMap;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration as CookieDuration;
use chrono::{Duration, NaiveDateTime};

use super::session::USER_ID_KEY;
use crate::crypto::{random_token, sha256_hex};
use crate::db::{self, Db};
use crate::ids::UserId;

/// Sessions are written at most this often just to slide the idle timeout.
const TTL_WRITE_SLACK: Duration = Duration::seconds(60);

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    absolute_timeout: Duration,
}

impl DbSessionStore {
    pub fn new(db: Db, absolute_timeout: std::time::Duration) -> Self {
        let absolute_timeout = Duration::from_std(absolute_timeout).unwrap_or(Duration::hours(12));
        DbSessionStore { db, absolute_timeout }
    }
}

type State = HashMap<String, String>;

fn user_id_of(state: &State) -> Option<UserId> {
    state.get(USER_ID_KEY).and_then(|v| serde_json::from_str(v).ok())
}

fn expiry(ttl: &CookieDuration) -> NaiveDateTime {
    db::now() + Duration::seconds(ttl.whole_seconds())
}

fn key_hash(key: &SessionKey) -> String {
    sha256_hex(key.as_ref().as_bytes())
}

fn encode(state: &State) -> anyhow::Result<String> {
    Ok(serde_json::to_string(state)?)
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let hash = key_hash(session_key);
        let absolute_timeout = self.absolute_timeout;
        let row = self
            .db
            .run(move |conn| {
                let Some(row) = db::sessions::find(conn, &hash)? else {
                    return Ok(None);
                };
                let now = db::now();
                if row.expires_at <= now || row.created_at + absolute_timeout <= now {
                    db::sessions::delete(conn, &hash)?;
                    return Ok(None);
                }
                Ok(Some(row.state))
            })
            .await
            .map_err(|e| LoadError::Other(anyhow::anyhow!("{e:?}")))?;
        row.map(|state| serde_json::from_str(&state).map_err(|e| LoadError::Deserialization(e.into()))).transpose()
    }

    async fn save(&self, state: State, ttl: &CookieDuration) -> Result<SessionKey, SaveError> {
        let encoded = encode(&state).map_err(SaveError::Serialization)?;
        let key = random_token();
        let hash = sha256_hex(key.as_bytes());
        let user_id = user_id_of(&state);
        let expires_at = expiry(ttl);
        self.db
            .run(move |conn| {
                db::sessions::insert(conn, &hash, user_id, &encoded, db::now(), expires_at)?;
                Ok(())
            })
            .await
            .map_err(|e| SaveError::Other(anyhow::anyhow!("{e:?}")))?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(&self, key: SessionKey, state: State, ttl: &CookieDuration) -> Result<SessionKey, UpdateError> {
        let encoded = encode(&state).map_err(UpdateError::Serialization)?;
        let hash = key_hash(&key);
        let user_id = user_id_of(&state);
        let expires_at = expiry(ttl);
        let updated = self
            .db
            .run(move |conn| Ok(db::sessions::update_state(conn, &hash, user_id, &encoded, expires_at)?))
            .await
            .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e:?}")))?;
        if updated == 1 {
            return Ok(key);
        }
        // The session was ended while this request ran: start a fresh, anonymous one rather
        // than bring a revoked login back.
        let mut anonymous = state;
        anonymous.remove(USER_ID_KEY);
        self.save(anonymous, ttl).await.map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &CookieDuration) -> Result<(), anyhow::Error> {
        let hash = key_hash(key);
        let expires_at = expiry(ttl);
        self.db
            .run(move |conn| Ok(db::sessions::extend(conn, &hash, expires_at, TTL_WRITE_SLACK)?))
            .await
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let hash = key_hash(key);
        self.db.run(move |conn| Ok(db::sessions::delete(conn, &hash)?)).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        Ok(())
    }
}
