//! Saving and restoring a ChaCha8 random stream, so a resumed run draws the same numbers
//! as an uninterrupted one.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A ChaCha8 stream position: seed, stream id and word position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RngState {
    seed: [u8; 32],
    stream: u64,
    word_pos: u128,
}

impl RngState {
    /// Capture `rng`.
    pub fn of(rng: &ChaCha8Rng) -> Self {
        Self {
            seed: rng.get_seed(),
            stream: rng.get_stream(),
            word_pos: rng.get_word_pos(),
        }
    }

    /// Rebuild the generator at the captured position.
    pub fn rng(&self) -> ChaCha8Rng {
        let mut r = ChaCha8Rng::from_seed(self.seed);
        r.set_stream(self.stream);
        r.set_word_pos(self.word_pos);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn a_restored_stream_goes_on_where_it_was() {
        let mut a = ChaCha8Rng::seed_from_u64(7);
        a.set_stream(3);
        let _: Vec<u32> = (0..13).map(|_| a.random()).collect();
        let mut b = RngState::of(&a).rng();
        let next_a: Vec<u64> = (0..5).map(|_| a.random()).collect();
        let next_b: Vec<u64> = (0..5).map(|_| b.random()).collect();
        assert_eq!(next_a, next_b);
        // And a fresh stream of the same seed is somewhere else.
        let mut c = ChaCha8Rng::seed_from_u64(7);
        let first: u64 = c.random();
        assert_ne!(first, next_a[0]);
    }
}
