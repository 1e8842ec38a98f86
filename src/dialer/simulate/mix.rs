//! The outcome mix of a dry run: which share of the simulated calls ends how, and the seeded
//! random source that draws them, so the same run gives the same dials every time.

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::domain::outcome::Outcome;

/// The mix a dry run uses when none is given: most calls reach no one, some talk.
pub const DEFAULT_MIX: &str =
    "no_answer=45,voicemail=20,busy=10,not_interested=12,callback=5,interested=5,opt_out=2,wrong_number=1";

/// The name people type for an opt-out, besides the outcome's own code.
const OPT_OUT: &str = "opt_out";

/// How the simulated calls end, in whole percent of the calls; the shares add up to 100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeMix {
    shares: Vec<(Outcome, u32)>,
}

impl OutcomeMix {
    /// Reads `no_answer=60,busy=20,voicemail=20`: outcome codes (or `opt_out`) with their
    /// share in percent, adding up to 100.
    pub fn parse(text: &str) -> Result<OutcomeMix, String> {
        let mut shares: Vec<(Outcome, u32)> = Vec::new();
        for pair in text.split(',').map(str::trim).filter(|pair| !pair.is_empty()) {
            let Some((name, share)) = pair.split_once('=') else {
                return Err(format!("“{pair}” is not name=percent; write it like no_answer=60"));
            };
            let name = name.trim();
            let outcome = outcome_named(name).ok_or_else(|| {
                let known: Vec<&str> = Outcome::ALL.iter().map(|o| o.as_str()).chain([OPT_OUT]).collect();
                format!("“{name}” is not an outcome; use one of {}", known.join(", "))
            })?;
            let share = share
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|share| *share <= 100)
                .ok_or_else(|| format!("“{pair}”: the share must be a whole percentage from 0 to 100"))?;
            if shares.iter().any(|(seen, _)| *seen == outcome) {
                return Err(format!("“{name}” is given twice"));
            }
            shares.push((outcome, share));
        }
        if shares.is_empty() {
            return Err("give the outcome mix as name=percent pairs, e.g. no_answer=60,busy=20,voicemail=20".into());
        }
        let total: u32 = shares.iter().map(|(_, share)| share).sum();
        if total != 100 {
            return Err(format!("the shares add up to {total}%, not 100%"));
        }
        shares.retain(|(_, share)| *share > 0);
        Ok(OutcomeMix { shares })
    }

    /// The outcomes with their shares, as given (outcomes with no share left out).
    pub fn shares(&self) -> &[(Outcome, u32)] {
        &self.shares
    }

    /// One call's outcome, drawn from the mix.
    pub fn draw(&self, rng: &mut StdRng) -> Outcome {
        let mut roll = rng.random_range(0..100);
        for (outcome, share) in &self.shares {
            if roll < *share {
                return *outcome;
            }
            roll -= share;
        }
        unreachable!("the shares add up to 100")
    }
}

impl Default for OutcomeMix {
    fn default() -> OutcomeMix {
        OutcomeMix::parse(DEFAULT_MIX).expect("the default mix is valid")
    }
}

impl fmt::Display for OutcomeMix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> =
            self.shares.iter().map(|(outcome, share)| format!("{}={share}", outcome.as_str())).collect();
        f.write_str(&pairs.join(","))
    }
}

fn outcome_named(name: &str) -> Option<Outcome> {
    if name == OPT_OUT { Some(Outcome::DoNotCall) } else { Outcome::from_code(name) }
}

/// The random source of a run: the same seed draws the same outcomes in the same order.
pub fn seeded(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dial_sim_a_mix_reads_outcome_codes_and_opt_out() {
        let mix = OutcomeMix::parse(" no_answer=60, busy=20 ,opt_out=10,voicemail=10,interested=0").unwrap();
        let expected =
            [(Outcome::NoAnswer, 60), (Outcome::Busy, 20), (Outcome::DoNotCall, 10), (Outcome::Voicemail, 10)];
        assert_eq!(mix.shares(), expected);
        assert_eq!(mix.to_string(), "no_answer=60,busy=20,do_not_call=10,voicemail=10");
        assert_eq!(OutcomeMix::parse(&mix.to_string()), Ok(mix));
        assert_eq!(OutcomeMix::default().shares().iter().map(|(_, s)| s).sum::<u32>(), 100);
    }

    #[test]
    fn r_dial_sim_a_bad_mix_is_explained() {
        let problem = |text: &str| OutcomeMix::parse(text).unwrap_err();
        assert_eq!(problem("no_answer=60,busy=30"), "the shares add up to 90%, not 100%");
        let unknown = problem("no_answer=60,hung_up=40");
        assert!(unknown.starts_with("“hung_up” is not an outcome; use one of interested,"), "{unknown}");
        assert!(unknown.ends_with("failed, opt_out"), "{unknown}");
        assert_eq!(problem("no_answer"), "“no_answer” is not name=percent; write it like no_answer=60");
        assert_eq!(problem("busy=50,busy=50"), "“busy” is given twice");
        assert!(problem("busy=half").contains("whole percentage"));
        assert!(problem("busy=101").contains("whole percentage"));
        assert!(problem(" , ").starts_with("give the outcome mix"));
    }

    #[test]
    fn r_dial_sim_the_same_seed_draws_the_same_outcomes() {
        let mix = OutcomeMix::default();
        let draws = |seed| {
            let mut rng = seeded(seed);
            (0..500).map(|_| mix.draw(&mut rng)).collect::<Vec<_>>()
        };
        assert_eq!(draws(7), draws(7));
        assert_ne!(draws(7), draws(8));
    }

    #[test]
    fn r_dial_sim_draws_follow_the_shares() {
        let mix = OutcomeMix::parse("no_answer=60,busy=30,interested=10").unwrap();
        let mut rng = seeded(1);
        let draws: Vec<Outcome> = (0..10_000).map(|_| mix.draw(&mut rng)).collect();
        for (outcome, share) in mix.shares() {
            let seen = draws.iter().filter(|o| *o == outcome).count() as f64 / 100.0;
            assert!((seen - f64::from(*share)).abs() < 2.0, "{outcome:?}: {seen}% for a share of {share}%");
        }
    }
}
