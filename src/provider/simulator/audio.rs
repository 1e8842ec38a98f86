//! The recording the simulator posts for an answered call: a short synthesized clip, one
//! murmur per turn of the conversation (the agent's higher than the other party's) over a
//! little line hiss, as an 8 kHz telephone-quality WAV file that browsers play.

use std::f64::consts::TAU;

const RATE: u32 = 8_000;
const TURN_SECS: f64 = 0.45;
const GAP_SECS: f64 = 0.15;
/// Fade in and out so that turns do not click.
const FADE_SECS: f64 = 0.02;
/// The clip stands for the recording and stays a few seconds long whatever the call's length.
const MAX_TURNS: usize = 8;

/// The clip of a conversation whose turns were spoken by `roles` ("agent" or "user").
pub(super) fn clip<'a>(roles: impl Iterator<Item = &'a str>) -> Vec<u8> {
    let mut hiss = Hiss(0x2545_f491);
    let mut samples = Vec::new();
    for role in roles.take(MAX_TURNS) {
        let pitch = if role == "agent" { 220.0 } else { 165.0 };
        for i in 0..seconds(TURN_SECS) {
            let t = f64::from(i) / f64::from(RATE);
            let fade = (t / FADE_SECS).min((TURN_SECS - t) / FADE_SECS).min(1.0);
            // A voice-like murmur: the tone and its octave, swelling a few times a second.
            let syllables = 0.65 + 0.35 * (TAU * 4.0 * t).sin();
            let voice = 0.35 * (TAU * pitch * t).sin() + 0.15 * (TAU * 2.0 * pitch * t).sin();
            samples.push(level(voice * syllables * fade + hiss.sample()));
        }
        samples.extend((0..seconds(GAP_SECS)).map(|_| level(hiss.sample())));
    }
    wav(&samples)
}

fn seconds(secs: f64) -> u32 {
    (secs * f64::from(RATE)) as u32
}

/// Quiet noise from a fixed seed, so every clip is the same for the same conversation.
struct Hiss(u32);

impl Hiss {
    fn sample(&mut self) -> f64 {
        // xorshift32
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        (f64::from(self.0) / f64::from(u32::MAX) - 0.5) * 0.03
    }
}

/// An unsigned 8-bit sample (128 is silence).
fn level(x: f64) -> u8 {
    (128.0 + x.clamp(-1.0, 1.0) * 127.0).round() as u8
}

/// A mono 8-bit PCM WAV file.
fn wav(samples: &[u8]) -> Vec<u8> {
    let data_len = samples.len() as u32;
    let mut file = Vec::with_capacity(44 + samples.len());
    file.extend_from_slice(b"RIFF");
    file.extend_from_slice(&(36 + data_len).to_le_bytes());
    file.extend_from_slice(b"WAVEfmt ");
    file.extend_from_slice(&16u32.to_le_bytes());
    file.extend_from_slice(&1u16.to_le_bytes()); // PCM
    file.extend_from_slice(&1u16.to_le_bytes()); // mono
    file.extend_from_slice(&RATE.to_le_bytes());
    file.extend_from_slice(&RATE.to_le_bytes()); // bytes per second
    file.extend_from_slice(&1u16.to_le_bytes()); // bytes per frame
    file.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    file.extend_from_slice(b"data");
    file.extend_from_slice(&data_len.to_le_bytes());
    file.extend_from_slice(samples);
    file
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clip_is_a_wav_file_a_few_seconds_long_that_is_not_silent() {
        let wav = clip(["agent", "user", "agent"].into_iter());
        assert_eq!((&wav[..4], &wav[8..16], &wav[36..40]), (&b"RIFF"[..], &b"WAVEfmt "[..], &b"data"[..]));
        let data_len = u32::from_le_bytes(wav[40..44].try_into().unwrap()) as usize;
        assert_eq!(wav.len(), 44 + data_len);
        assert_eq!(u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize, wav.len() - 8);
        let secs = data_len as f64 / f64::from(RATE);
        assert!((1.5..2.0).contains(&secs), "{secs} s");
        let loudest = wav[44..].iter().map(|s| s.abs_diff(128)).max().unwrap();
        assert!(loudest > 40, "audible: {loudest}");
        let long = clip(std::iter::repeat_n("user", 100));
        assert!(long.len() < 8 * RATE as usize, "a few seconds at most: {} bytes", long.len());
    }
}
