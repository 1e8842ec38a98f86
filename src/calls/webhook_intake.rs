//! Taking a post-call webhook in (R-WEBHOOK-AUTH under load): everything that can be
//! refused without the body is refused before it is read — the signature header's shape and
//! age, then the connection and its secret (one primary-key read, skipped for a connection
//! seen accepting deliveries within the minute) — and only then is the body read, with a
//! limit, for [`events::ingest`] to verify and apply.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::Stream;

use super::events::{self, Receipt};
use super::webhook_gate::{BodyError, Refusal, WebhookGate};
use crate::db;
use crate::error::AppError;
use crate::ids::ConnectionId;
use crate::provider::{ProviderKind, SignatureVerdict};
use crate::services::Ctx;

/// One delivery of a post-call webhook, as it came in, its body not read yet.
pub struct Delivery<B> {
    /// The provider whose endpoint it came to.
    pub provider: ProviderKind,
    pub connection_id: ConnectionId,
    pub signature: Option<String>,
    pub body: B,
    /// The length the sender declared, if any (a chunked body has none).
    pub declared_length: Option<u64>,
    pub received_at: DateTime<Utc>,
}

/// Handles one delivery. What can be refused without the body is refused before it is read,
/// with no database write unless the refusal is one of the few kept; the accepted event is
/// stored and applied in one transaction.
pub async fn receive<B, E>(ctx: &Ctx, gate: &WebhookGate, delivery: Delivery<B>) -> Result<Receipt, AppError>
where
    B: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let Delivery { provider, connection_id, signature, body, declared_length, received_at } = delivery;
    if let Err(verdict) = provider.check_signature_header(signature.as_deref(), received_at.timestamp()) {
        return Ok(refuse_unread(ctx, gate, connection_id, verdict, received_at).await);
    }
    if !gate.known_to_accept(connection_id) {
        let has_secret = ctx
            .db
            .run(move |conn| match db::providers::find(conn, connection_id) {
                Ok(connection) => Ok(Some(connection.webhook_secret_enc.is_some())),
                Err(diesel::result::Error::NotFound) => Ok(None),
                Err(e) => Err(e.into()),
            })
            .await?;
        match has_secret {
            None => {
                gate.refusals().count(Refusal::UnknownConnection);
                return Ok(Receipt::Refused(Refusal::UnknownConnection));
            }
            Some(false) => {
                return Ok(refuse_unread(ctx, gate, connection_id, SignatureVerdict::NoSecret, received_at).await);
            }
            Some(true) => gate.remember_accepting(connection_id),
        }
    }

    let limit = WebhookGate::body_limit(ctx.settings.store_call_audio);
    let body = match gate.read_body(body, declared_length, limit).await {
        Ok(body) => body,
        Err(BodyError::TooLarge) => {
            let refusals = gate.refusals();
            refusals.count(Refusal::TooLarge);
            // Never stored (there is no body to show); logged as sparingly as refusals are kept.
            if refusals.take_keep_slot(connection_id) {
                tracing::warn!(%connection_id, limit, "webhook refused: its body is over the limit");
            }
            return Ok(Receipt::TooLarge(limit));
        }
        Err(BodyError::TimedOut) => return Ok(Receipt::TimedOut),
        Err(BodyError::Broken(reason)) => return Ok(Receipt::Unreadable(format!("the body broke off: {reason}"))),
    };
    let received = events::Received { connection_id, signature, body: body.bytes.clone(), received_at };
    let secrets = ctx.secrets.clone();
    let store_audio = ctx.settings.store_call_audio;
    let refusals = gate.refusals().clone();
    // `body` keeps its large-body turn until the delivery is handled.
    let receipt = ctx.db.run(move |conn| events::ingest(conn, &secrets, &received, store_audio, &refusals)).await;
    drop(body);
    if let Ok(Receipt::Settled(outcome, _)) = &receipt {
        ctx.metrics.call_ended(Some(*outcome));
    }
    receipt
}

/// Refuses a delivery before its body is read, storing it (without the body) only when it is
/// one of the few kept. Storing is best effort: the answer is 401 either way.
async fn refuse_unread(
    ctx: &Ctx,
    gate: &WebhookGate,
    connection_id: ConnectionId,
    verdict: SignatureVerdict,
    received_at: DateTime<Utc>,
) -> Receipt {
    let refusals = gate.refusals().clone();
    refusals.count(Refusal::Signature(verdict));
    if refusals.take_keep_slot(connection_id) {
        let kept = ctx
            .db
            .run(move |conn| match db::providers::find(conn, connection_id) {
                Ok(_) => events::keep_refusal(conn, &refusals, connection_id, verdict, None, received_at.naive_utc()),
                Err(diesel::result::Error::NotFound) => Ok(()),
                Err(e) => Err(e.into()),
            })
            .await;
        if let Err(err) = kept {
            tracing::warn!(%connection_id, error = %err, "a refused webhook could not be kept for diagnosis");
        }
    }
    Receipt::Refused(Refusal::Signature(verdict))
}
