//! Per-term transforms applied to a term's raw value before it is weighted: `none`,
//! `lsc` (log-sigmoid centred), `normalize` (running mean/std) and `clip`.

use serde::{Deserialize, Serialize};

/// Added to the running variance before the square root, so a term that has not varied
/// yet (one sample, or a constant) normalises to 0 instead of dividing by zero.
const NORMALIZE_EPS: f64 = 1e-8;

/// The transform of one term.
#[derive(Debug, Clone, PartialEq)]
pub enum Transform {
    /// The raw value.
    None,
    /// `log σ(r − r_ref)`: near 0 once a term exceeds its reference, strongly negative
    /// below it, so a sum of such terms acts like a logical AND ("Transforming and
    /// Combining Rewards", Wang et al. 2024).
    Lsc {
        /// The reference value the term is centred on.
        r_ref: f64,
    },
    /// `(r − mean) / sqrt(var + ε)` over every value seen so far (the running
    /// statistics include the value being transformed).
    Normalize(Normalizer),
    /// The value clamped to `[lo, hi]`.
    Clip {
        /// Lower bound.
        lo: f64,
        /// Upper bound.
        hi: f64,
    },
}

impl Transform {
    /// Transform `x` (a `normalize` transform first adds `x` to its statistics).
    pub fn apply(&mut self, x: f64) -> f64 {
        match self {
            Transform::None => x,
            Transform::Lsc { r_ref } => log_sigmoid(x - *r_ref),
            Transform::Normalize(n) => {
                n.push(x);
                n.normalize(x)
            }
            Transform::Clip { lo, hi } => x.clamp(*lo, *hi),
        }
    }

    /// The running statistics of a `normalize` transform.
    pub fn normalizer(&self) -> Option<&Normalizer> {
        match self {
            Transform::Normalize(n) => Some(n),
            _ => None,
        }
    }

    /// Replace the running statistics of a `normalize` transform; false (changing
    /// nothing) for any other transform.
    pub fn set_normalizer(&mut self, state: Normalizer) -> bool {
        match self {
            Transform::Normalize(n) => {
                *n = state;
                true
            }
            _ => false,
        }
    }
}

/// `log σ(z) = −ln(1 + e^{−z})`, computed without overflow for large |z|.
pub fn log_sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        -(-z).exp().ln_1p()
    } else {
        z - z.exp().ln_1p()
    }
}

/// Running mean and variance (Welford's algorithm).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Normalizer {
    count: u64,
    mean: f64,
    m2: f64,
}

impl Normalizer {
    /// Add one value.
    pub fn push(&mut self, x: f64) {
        self.count += 1;
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Population variance of the values seen (0 before any).
    pub fn variance(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.m2 / self.count as f64
        }
    }

    /// `x` standardised by the statistics so far.
    pub fn normalize(&self, x: f64) -> f64 {
        (x - self.mean) / (self.variance() + NORMALIZE_EPS).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn none_and_clip_match_hand_values() {
        assert_eq!(Transform::None.apply(-3.5), -3.5);
        let mut c = Transform::Clip { lo: -1.0, hi: 2.0 };
        assert_eq!(
            [c.apply(-5.0), c.apply(0.5), c.apply(7.0)],
            [-1.0, 0.5, 2.0]
        );
    }

    #[test]
    fn lsc_is_log_sigmoid_of_the_offset() {
        let mut t = Transform::Lsc { r_ref: 1.0 };
        // log σ(0) = ln ½.
        assert!((t.apply(1.0) - 0.5f64.ln()).abs() < 1e-15);
        // log σ(2) = −ln(1 + e^{−2}).
        assert!((t.apply(3.0) + (1.0 + (-2.0f64).exp()).ln()).abs() < 1e-15);
        // log σ(−2) = −2 − ln(1 + e^{−2}).
        assert!((t.apply(-1.0) - (-2.0 - (1.0 + (-2.0f64).exp()).ln())).abs() < 1e-15);
        // Far from the reference: finite, ≈ 0 above and ≈ z below.
        assert!(t.apply(1001.0).abs() < 1e-300);
        assert!((t.apply(-999.0) + 1000.0).abs() < 1e-9);
    }

    #[test]
    fn normalize_uses_running_statistics_including_the_value() {
        let mut t = Transform::Normalize(Normalizer::default());
        // One value: no spread yet, so 0.
        assert_eq!(t.apply(1.0), 0.0);
        // {1, 2}: mean 1.5, variance 0.25.
        assert!((t.apply(2.0) - 0.5 / (0.25f64 + 1e-8).sqrt()).abs() < 1e-12);
        // {1, 2, 3}: mean 2, variance 2/3.
        assert!((t.apply(3.0) - 1.0 / (2.0f64 / 3.0 + 1e-8).sqrt()).abs() < 1e-12);
        let n = t.normalizer().expect("normalize has state").clone();
        let mut resumed = Transform::Normalize(Normalizer::default());
        assert!(resumed.set_normalizer(n));
        assert_eq!(resumed.apply(10.0).to_bits(), t.apply(10.0).to_bits());
        assert!(!Transform::None.set_normalizer(Normalizer::default()));
    }
}
