//! What a post-call webhook goes through before it may cost memory or a write: refusals are
//! counted every one but stored only a few a minute, and a body is read with a limit, those
//! over [`LARGE_BODY`] a few at a time, so that a flood of junk posts costs neither memory
//! nor the database's write lock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt as _};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::ids::ConnectionId;
use crate::provider::SignatureVerdict;

/// A transcription or a failed initiation: a long call's transcript with per-turn metrics
/// stays well under this.
pub const TRANSCRIPTION_BODY_LIMIT: usize = 4 * 1024 * 1024;
/// `post_call_audio` carries the whole recording as base64; accepted only when recordings
/// are kept.
pub const AUDIO_BODY_LIMIT: usize = 64 * 1024 * 1024;
/// Bodies up to this size are read freely; a larger one waits for one of
/// [`LARGE_BODIES_AT_ONCE`] turns, so many concurrent posts cannot each buffer megabytes.
pub const LARGE_BODY: usize = 64 * 1024;
const LARGE_BODIES_AT_ONCE: usize = 2;
/// A sender that trickles its body (or waits too long for its turn) gets 408, which
/// ElevenLabs retries, instead of holding a turn.
const BODY_DEADLINE: Duration = Duration::from_secs(60);

/// Refused deliveries stored for diagnosis: at most so many per connection and in all
/// within a minute; the rest are only counted.
pub const KEPT_PER_CONNECTION: u32 = 10;
const KEPT_IN_ALL: u32 = 30;
const KEEP_WINDOW: Duration = Duration::from_secs(60);
/// How long a connection seen to accept deliveries is believed to without asking again.
const ACCEPTING_FOR: Duration = Duration::from_secs(60);

/// Why a delivery was refused. Whatever the reason, the sender gets the same 401 (or 413
/// for a body over the limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownConnection,
    Signature(SignatureVerdict),
    TooLarge,
}

impl Refusal {
    /// Every reason, in the order the counters show them.
    fn all() -> impl Iterator<Item = Refusal> {
        let signature =
            SignatureVerdict::ALL.iter().filter(|v| **v != SignatureVerdict::Valid).map(|v| Refusal::Signature(*v));
        [Refusal::UnknownConnection].into_iter().chain(signature).chain([Refusal::TooLarge])
    }

    fn slot(self) -> usize {
        Refusal::all().position(|r| r == self).expect("every refusal has a counter")
    }

    pub fn label(self) -> &'static str {
        match self {
            Refusal::UnknownConnection => "no such connection",
            Refusal::Signature(verdict) => verdict.explanation(),
            Refusal::TooLarge => "the body was over the size limit",
        }
    }
}

/// The webhooks' admission state, one per process (held by `AppState`).
pub struct WebhookGate {
    large_bodies: Semaphore,
    refusals: Arc<RefusalLog>,
    /// Connections recently seen to exist with a signing secret, so that real deliveries cost
    /// no extra database read. Only this positive answer is remembered: a stale one costs
    /// nothing (the delivery is verified against the database all the same), whereas a
    /// remembered refusal could refuse a connection set up a moment later. Entries are made
    /// only for real connections, so made-up ids cannot grow it.
    accepting: Mutex<HashMap<ConnectionId, Instant>>,
}

impl Default for WebhookGate {
    fn default() -> Self {
        WebhookGate {
            large_bodies: Semaphore::new(LARGE_BODIES_AT_ONCE),
            refusals: Arc::new(RefusalLog::new()),
            accepting: Mutex::default(),
        }
    }
}

/// Why a body was not read.
#[derive(Debug)]
pub enum BodyError {
    TooLarge,
    TimedOut,
    Broken(String),
}

/// A body read in full; a large one keeps its turn until this is dropped, since it stays in
/// memory (and is copied while parsed) until the delivery is handled.
pub struct Body<'gate> {
    pub bytes: Bytes,
    _turn: Option<SemaphorePermit<'gate>>,
}

impl WebhookGate {
    pub fn refusals(&self) -> &Arc<RefusalLog> {
        &self.refusals
    }

    /// Whether the connection was seen to accept deliveries within the last minute.
    pub fn known_to_accept(&self, connection_id: ConnectionId) -> bool {
        let accepting = self.accepting.lock().unwrap_or_else(PoisonError::into_inner);
        accepting.get(&connection_id).is_some_and(|seen| seen.elapsed() < ACCEPTING_FOR)
    }

    /// The connection exists and has a signing secret.
    pub fn remember_accepting(&self, connection_id: ConnectionId) {
        self.accepting.lock().unwrap_or_else(PoisonError::into_inner).insert(connection_id, Instant::now());
    }

    /// The body limit: large only when recordings are kept (the event type is inside the body,
    /// so it cannot choose the limit).
    pub fn body_limit(store_call_audio: bool) -> usize {
        if store_call_audio { AUDIO_BODY_LIMIT } else { TRANSCRIPTION_BODY_LIMIT }
    }

    /// Reads a body chunk by chunk, stopping as soon as it passes `limit` (or before reading
    /// anything when the declared length already does).
    pub async fn read_body<S, E>(
        &self,
        body: S,
        declared_length: Option<u64>,
        limit: usize,
    ) -> Result<Body<'_>, BodyError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        if declared_length.is_some_and(|length| length > limit as u64) {
            return Err(BodyError::TooLarge);
        }
        tokio::time::timeout(BODY_DEADLINE, self.read_limited(body, declared_length, limit))
            .await
            .unwrap_or(Err(BodyError::TimedOut))
    }

    async fn read_limited<S, E>(
        &self,
        mut body: S,
        declared_length: Option<u64>,
        limit: usize,
    ) -> Result<Body<'_>, BodyError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let declared = declared_length.map(|length| length as usize);
        let mut turn = None;
        if declared.is_some_and(|length| length > LARGE_BODY) {
            turn = Some(self.large_turn().await);
        }
        let mut bytes = BytesMut::with_capacity(declared.unwrap_or(0));
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|err| BodyError::Broken(err.to_string()))?;
            let length = bytes.len() + chunk.len();
            if length > limit {
                return Err(BodyError::TooLarge);
            }
            if length > LARGE_BODY && turn.is_none() {
                turn = Some(self.large_turn().await);
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Body { bytes: bytes.freeze(), _turn: turn })
    }

    async fn large_turn(&self) -> SemaphorePermit<'_> {
        self.large_bodies.acquire().await.expect("the large-body semaphore is never closed")
    }
}

/// Refused deliveries: a counter per reason for every one, and the few chosen to be stored.
pub struct RefusalLog {
    counts: Vec<AtomicU64>,
    kept: AtomicU64,
    window: Mutex<KeepWindow>,
}

/// Counts of stored refusals in the current minute (windows start with the first refusal).
#[derive(Default)]
struct KeepWindow {
    started: Option<Instant>,
    in_all: u32,
    per_connection: HashMap<ConnectionId, u32>,
}

/// What the webhook log shows about refusals since this process started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalCounts {
    pub refused: u64,
    pub kept: u64,
    /// Reasons seen, with how many times.
    pub by_reason: Vec<(&'static str, u64)>,
}

impl RefusalLog {
    fn new() -> RefusalLog {
        RefusalLog {
            counts: Refusal::all().map(|_| AtomicU64::new(0)).collect(),
            kept: AtomicU64::new(0),
            window: Mutex::new(KeepWindow::default()),
        }
    }

    pub fn count(&self, refusal: Refusal) {
        self.counts[refusal.slot()].fetch_add(1, Ordering::Relaxed);
    }

    /// Whether this refusal is one of the few stored (taking its place in the window). The
    /// map holds at most [`KEPT_IN_ALL`] connections, so made-up ids cannot grow it.
    pub fn take_keep_slot(&self, connection_id: ConnectionId) -> bool {
        let now = Instant::now();
        let mut window = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        if window.started.is_none_or(|started| now.duration_since(started) >= KEEP_WINDOW) {
            *window = KeepWindow { started: Some(now), ..KeepWindow::default() };
        }
        if window.in_all >= KEPT_IN_ALL {
            return false;
        }
        let kept = window.per_connection.entry(connection_id).or_default();
        if *kept >= KEPT_PER_CONNECTION {
            return false;
        }
        *kept += 1;
        window.in_all += 1;
        true
    }

    /// A refusal chosen by [`take_keep_slot`](Self::take_keep_slot) was stored.
    pub fn note_kept(&self) {
        self.kept.fetch_add(1, Ordering::Relaxed);
    }

    pub fn counts(&self) -> RefusalCounts {
        let by_reason: Vec<_> = Refusal::all()
            .zip(&self.counts)
            .map(|(refusal, count)| (refusal.label(), count.load(Ordering::Relaxed)))
            .filter(|(_, count)| *count > 0)
            .collect();
        RefusalCounts {
            refused: by_reason.iter().map(|(_, count)| count).sum(),
            kept: self.kept.load(Ordering::Relaxed),
            by_reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_is_counted_but_only_a_few_per_connection_are_kept() {
        let log = RefusalLog::new();
        let (busy, quiet) = (ConnectionId::new(1), ConnectionId::new(2));
        let kept = (0..25).filter(|_| log.take_keep_slot(busy)).count();
        assert_eq!(kept, KEPT_PER_CONNECTION as usize);
        assert!(log.take_keep_slot(quiet), "a flood on one connection leaves room for the others");
        for _ in 0..25 {
            log.count(Refusal::Signature(SignatureVerdict::Missing));
        }
        log.count(Refusal::UnknownConnection);
        let counts = log.counts();
        assert_eq!(counts.refused, 26);
        assert_eq!(counts.by_reason, [("no such connection", 1), ("no signature header", 25)]);
    }

    #[test]
    fn only_connections_seen_accepting_are_remembered() {
        let gate = WebhookGate::default();
        let connection = ConnectionId::new(7);
        assert!(!gate.known_to_accept(connection));
        gate.remember_accepting(connection);
        assert!(gate.known_to_accept(connection));
        assert!(!gate.known_to_accept(ConnectionId::new(8)));
    }

    #[test]
    fn made_up_connection_ids_cannot_take_more_than_the_global_budget() {
        let log = RefusalLog::new();
        let kept = (0..1000).filter(|n| log.take_keep_slot(ConnectionId::new(*n))).count();
        assert_eq!(kept, KEPT_IN_ALL as usize);
        assert!(log.window.lock().unwrap().per_connection.len() <= KEPT_IN_ALL as usize);
    }
}
