use chrono::Duration;
use voxdial::domain::dialing::{RetryKind, RetryPolicy, retry_delay};

fn minutes(m: f64) -> Duration {
    Duration::seconds((m * 60.0).round() as i64)
}

#[test]
fn r_dial_rules_retry_policy_defaults_are_valid() {
    let policy = RetryPolicy::default();
    assert_eq!(
        (policy.busy_minutes, policy.no_answer_minutes, policy.voicemail_minutes, policy.failed_minutes),
        (30, 240, 240, 60)
    );
    assert_eq!((policy.backoff_factor, policy.jitter_percent), (1.5, 10));
    assert_eq!(policy.validate(), Ok(()));
}

#[test]
fn r_dial_rules_retry_delay_backs_off_per_earlier_retry_of_the_kind() {
    let policy = RetryPolicy::default();
    let delay = |kind, earlier| retry_delay(&policy, kind, earlier, 0.5);
    assert_eq!(delay(RetryKind::Busy, 0), minutes(30.0));
    assert_eq!(delay(RetryKind::Busy, 1), minutes(45.0));
    assert_eq!(delay(RetryKind::Busy, 2), minutes(67.5));
    assert_eq!(delay(RetryKind::NoAnswer, 0), minutes(240.0));
    assert_eq!(delay(RetryKind::NoAnswer, 3), minutes(810.0));
    assert_eq!(delay(RetryKind::Voicemail, 1), minutes(360.0));
    assert_eq!(delay(RetryKind::Failed, 0), minutes(60.0));
    let fixed = RetryPolicy { backoff_factor: 1.0, ..policy };
    assert_eq!(retry_delay(&fixed, RetryKind::Busy, 9, 0.5), minutes(30.0));
}

#[test]
fn r_dial_rules_retry_delay_is_capped_at_seven_days_before_jitter() {
    let policy = RetryPolicy::default();
    let week = Duration::days(7);
    assert_eq!(retry_delay(&policy, RetryKind::NoAnswer, 20, 0.5), week);
    assert_eq!(retry_delay(&policy, RetryKind::NoAnswer, u32::MAX, 0.5), week, "no overflow");
    assert_eq!(retry_delay(&policy, RetryKind::NoAnswer, 20, 0.0), Duration::seconds(604_800 * 9 / 10));
    let top = retry_delay(&policy, RetryKind::NoAnswer, 20, 0.999_999);
    assert!(top > week && top <= Duration::seconds(604_800 * 11 / 10), "{top}");
    let long = RetryPolicy { busy_minutes: 20_160, ..policy };
    assert_eq!(retry_delay(&long, RetryKind::Busy, 0, 0.5), week);
}

#[test]
fn r_dial_rules_retry_jitter_stays_within_its_percentage() {
    let policy = RetryPolicy { jitter_percent: 20, ..RetryPolicy::default() };
    let base = 240.0 * 60.0;
    let mut previous = Duration::zero();
    for step in 0..1000 {
        let sample = f64::from(step) / 1000.0;
        let delay = retry_delay(&policy, RetryKind::NoAnswer, 0, sample);
        let seconds = delay.num_seconds() as f64;
        assert!((base * 0.8..=base * 1.2).contains(&seconds), "{sample}: {delay}");
        assert!(delay >= previous, "grows with the sample");
        assert_eq!(delay.subsec_nanos(), 0, "whole seconds");
        previous = delay;
    }
    assert_eq!(retry_delay(&policy, RetryKind::NoAnswer, 0, 0.0), minutes(192.0));
    assert_eq!(retry_delay(&policy, RetryKind::NoAnswer, 0, 0.5), minutes(240.0));
    let none = RetryPolicy { jitter_percent: 0, ..policy };
    assert_eq!(retry_delay(&none, RetryKind::NoAnswer, 0, 0.0), minutes(240.0));
    assert_eq!(retry_delay(&none, RetryKind::NoAnswer, 0, 0.99), minutes(240.0));
}

#[test]
fn r_dial_rules_retry_delay_rounds_to_seconds_and_never_drops_below_a_minute() {
    let short = RetryPolicy { busy_minutes: 1, jitter_percent: 50, ..RetryPolicy::default() };
    assert_eq!(retry_delay(&short, RetryKind::Busy, 0, 0.0), Duration::minutes(1), "30 s raised to a minute");
    assert_eq!(retry_delay(&short, RetryKind::Busy, 1, 0.5), Duration::seconds(90));
    // 60 × 1.5³ = 202.5 s
    assert_eq!(retry_delay(&short, RetryKind::Busy, 3, 0.5), Duration::seconds(203));
}

#[test]
fn r_dial_rules_retry_policy_validation_names_the_bad_field() {
    let base = RetryPolicy::default();
    let cases = [
        (
            RetryPolicy { busy_minutes: 0, ..base },
            "the busy retry delay must be between 1 minute and 20160 minutes (14 days), not 0",
        ),
        (
            RetryPolicy { no_answer_minutes: 20_161, ..base },
            "the no-answer retry delay must be between 1 minute and 20160 minutes (14 days), not 20161",
        ),
        (RetryPolicy { voicemail_minutes: 0, ..base }, "the voicemail retry delay must be between"),
        (RetryPolicy { failed_minutes: 0, ..base }, "the failed-call retry delay must be between"),
        (RetryPolicy { backoff_factor: 0.5, ..base }, "the backoff factor must be between 1.0 and 4.0, not 0.5"),
        (RetryPolicy { backoff_factor: 4.5, ..base }, "the backoff factor must be between 1.0 and 4.0, not 4.5"),
        (RetryPolicy { backoff_factor: f64::NAN, ..base }, "the backoff factor must be between 1.0 and 4.0, not NaN"),
        (RetryPolicy { jitter_percent: 51, ..base }, "the jitter must be between 0% and 50%, not 51%"),
    ];
    for (policy, message) in cases {
        let error = policy.validate().expect_err(message);
        assert!(error.starts_with(message), "got “{error}”, wanted “{message}”");
    }
    let edges = RetryPolicy {
        busy_minutes: 1,
        no_answer_minutes: 20_160,
        voicemail_minutes: 1,
        failed_minutes: 20_160,
        backoff_factor: 4.0,
        jitter_percent: 50,
    };
    assert_eq!(edges.validate(), Ok(()));
    assert_eq!(RetryPolicy { backoff_factor: 1.0, jitter_percent: 0, ..base }.validate(), Ok(()));
}

#[test]
fn r_dial_rules_unchecked_retry_policy_is_clamped_not_trusted() {
    let wild = RetryPolicy { busy_minutes: 0, backoff_factor: f64::NAN, jitter_percent: 200, ..RetryPolicy::default() };
    assert_eq!(retry_delay(&wild, RetryKind::Busy, 5, 0.5), Duration::minutes(1));
    let steep = RetryPolicy { backoff_factor: 100.0, jitter_percent: 200, ..RetryPolicy::default() };
    assert_eq!(retry_delay(&steep, RetryKind::Busy, 1, 0.5), Duration::minutes(120), "factor clamped to 4");
    assert_eq!(retry_delay(&steep, RetryKind::Busy, 0, 0.0), Duration::minutes(15), "jitter clamped to 50%");
    assert_eq!(retry_delay(&steep, RetryKind::Busy, 0, f64::NAN), Duration::minutes(30), "NaN sample is no jitter");
}

#[test]
fn r_dial_rules_retry_policy_is_stored_as_json() {
    let policy = RetryPolicy::default();
    let json = serde_json::to_string(&policy).expect("serialize");
    assert_eq!(
        json,
        r#"{"busy_minutes":30,"no_answer_minutes":240,"voicemail_minutes":240,"failed_minutes":60,"backoff_factor":1.5,"jitter_percent":10}"#
    );
    assert_eq!(serde_json::from_str::<RetryPolicy>(&json).expect("deserialize"), policy);
    assert_eq!(serde_json::to_string(&RetryKind::NoAnswer).expect("serialize"), r#""no_answer""#);
}
