//! Crash tests (R-DIAL-SAFE, R-CALL-UNCERTAIN, R-RECONCILE): the real `voxdial` binary is
//! killed with SIGKILL at a failpoint — after the dialer's claim, after the provider took the
//! call, after its answer was stored — and started again; a fake ElevenLabs counts the calls
//! it is asked to place, per lead. Built only with `--features failpoints` (the binary reads
//! `FAILPOINTS` at start). On PostgreSQL when `VOXDIAL_TEST_POSTGRES_URL` is set.
//!
//! The campaign places one call at a time, so exactly one lead is caught at the failpoint,
//! and the other leads, dialed by the restarted process, show that its dialer really runs
//! while the caught lead is left alone.

mod fake;
mod process;
mod workspace;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use voxdial::db;
use voxdial::domain::dialing::rules::DialBlock;
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::outcome::Outcome;
use voxdial::ids::InteractionId;

use crate::fake::{Placed, conversation_id};
use crate::process::Voxdial;
use crate::workspace::Workspace;

/// How long the restarted process keeps running once every call is settled, with nothing
/// left to dial: ten dialer steps and two reconciler passes.
const QUIET: Duration = Duration::from_secs(2);

/// Where the process is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum After {
    Claim,
    Post,
    Answer,
}

impl After {
    fn failpoint(self) -> &'static str {
        match self {
            After::Claim => "dialer-after-claim",
            After::Post => "call-after-post",
            After::Answer => "call-after-answer",
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_safe_killed_after_the_claim_the_call_is_held_and_never_placed() {
    crash_at(After::Claim).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_safe_killed_after_the_post_the_call_is_held_then_settled_by_its_late_webhook() {
    crash_at(After::Post).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_safe_killed_after_the_answer_was_stored_the_call_settles_normally() {
    crash_at(After::Answer).await;
}

async fn crash_at(point: After) {
    let started = Instant::now();
    let w = Workspace::seed().await;
    let crashing = Voxdial::start(w.database.url(), &w.key, Some(point.failpoint())).await;
    let caught = wait_for("the failpoint", async || match point {
        After::Claim => w.first_call_in(CallStatus::Dialing),
        After::Post => w.fake.placed().await.first().map(|call| call.interaction),
        After::Answer => w.first_call_in(CallStatus::InProgress),
    })
    .await;
    crashing.kill();
    assert_crash_state(&w, point, caught).await;

    // The killed process held the campaign's dialer lease for 30 s after its last step
    // (`dialer::claim::LEASE`): expire it as that time would, instead of sleeping it out.
    w.expire_dialer_lease();
    let restarted = Voxdial::start(w.database.url(), &w.key, None).await;
    let mut answered = HashSet::new();
    wait_for("every call to settle", async || {
        w.end_placed_calls(&restarted, &mut answered).await;
        w.all_settled().then_some(())
    })
    .await;
    tokio::time::sleep(QUIET).await;
    let placed = w.fake.placed().await;
    drop(restarted);
    assert_settled(&w, point, caught, &placed);
    eprintln!("{point:?}: {} calls placed in all; the test took {:?}", placed.len(), started.elapsed());
}

/// Each lead was asked for once at most, and dialed once: the caught lead ends as the point
/// says, the others complete from their webhooks.
fn assert_settled(w: &Workspace, point: After, caught: InteractionId, placed: &[Placed]) {
    let mut asked = HashSet::new();
    for call in placed {
        assert!(asked.insert(call.interaction), "call {} was placed twice", call.interaction);
    }
    for &lead in &w.leads {
        let calls = w.calls_of(lead);
        let ids: Vec<InteractionId> = calls.iter().map(|call| call.id).collect();
        let requests = interaction_ids(placed.iter().filter(|call| call.lead == lead));
        let [call] = calls.as_slice() else { panic!("lead {lead} was dialed {} times: {ids:?}", calls.len()) };
        if call.id != caught {
            assert_eq!(requests, ids, "lead {lead}, not caught, is placed once by the restarted process");
            assert_eq!((call.status, call.outcome), (CallStatus::Completed, Some(Outcome::Interested)));
            continue;
        }
        let lead_row = w.with_conn(|conn| db::leads::find(conn, lead).unwrap());
        match point {
            After::Claim => {
                assert_eq!(requests, vec![], "the caught call was never placed");
                assert_eq!(call.status, CallStatus::Unknown, "nobody can tell whether it rang");
                assert!(lead_row.needs_review, "the lead waits for a person");
                assert_eq!(lead_row.dial_block, Some(DialBlock::NeedsReview));
            }
            After::Post | After::Answer => {
                assert_eq!(requests, vec![caught], "the caught call was placed once");
                assert_eq!((call.status, call.outcome), (CallStatus::Completed, Some(Outcome::Interested)));
                assert_eq!(call.provider_conversation_id, Some(conversation_id(caught)));
                // Without a conversation id the reconciler could not ask the provider and
                // held the call as unknown; the webhook, matched by voxdial's id, still
                // settles it and frees the lead.
                let (late_from, needs_review) = (call.settled_late_from, lead_row.needs_review);
                let unknown_first = (point == After::Post).then_some(CallStatus::Unknown);
                assert_eq!((late_from, needs_review), (unknown_first, false));
            }
        }
    }
}

/// What the killed process left: the caught call committed as `dialing` (its answer stored
/// only after the answer point), and no call placed but the caught one, if that.
async fn assert_crash_state(w: &Workspace, point: After, caught: InteractionId) {
    let placed = interaction_ids(w.fake.placed().await.iter());
    let call = w.call(caught);
    let stored = (call.status, call.provider_conversation_id);
    match point {
        After::Claim => assert_eq!(placed, vec![], "nothing placed before the crash"),
        After::Post | After::Answer => assert_eq!(placed, vec![caught], "placed before the crash"),
    }
    match point {
        After::Claim | After::Post => assert_eq!(stored, (CallStatus::Dialing, None)),
        After::Answer => assert_eq!(stored, (CallStatus::InProgress, Some(conversation_id(caught)))),
    }
}

fn interaction_ids<'a>(placed: impl Iterator<Item = &'a Placed>) -> Vec<InteractionId> {
    placed.map(|call| call.interaction).collect()
}

/// Polls `probe` until it answers, for at most 20 seconds.
async fn wait_for<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(found) = probe().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
