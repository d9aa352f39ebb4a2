//! Constraints on a named component, enforced with a Lagrange multiplier instead of a
//! fixed trade-off ("Confronting Reward Model Overoptimization with Constrained RLHF",
//! Moskovitz et al. 2023): the policy maximises `reward − λ·violation`, and after every
//! policy update λ takes a projected gradient-ascent step on the measured violation.

use serde::{Deserialize, Serialize};

/// The bounds a component must stay within.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bounds {
    /// `x ≤ max`.
    Max(f64),
    /// `x ≥ min`.
    Min(f64),
    /// `min ≤ x ≤ max`.
    Both {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
    },
}

impl Bounds {
    /// The signed violation of `x`: positive by how far it is out of bounds, negative by
    /// the slack to the nearest bound when within them.
    pub fn violation(&self, x: f64) -> f64 {
        match *self {
            Bounds::Max(hi) => x - hi,
            Bounds::Min(lo) => lo - x,
            Bounds::Both { min, max } => (x - max).max(min - x),
        }
    }
}

/// The multiplier and the violations measured since the last update (checkpointed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Multiplier {
    /// λ ≥ 0.
    pub lambda: f64,
    sum: f64,
    count: u64,
}

impl Multiplier {
    /// Record one step's signed violation.
    pub fn observe(&mut self, violation: f64) {
        self.sum += violation;
        self.count += 1;
    }

    /// The policy was updated: `λ ← max(0, λ + lr · mean violation)` over the steps
    /// observed since the last call (λ stays if none were), then forget them.
    pub fn end_update(&mut self, lr: f64) {
        if self.count > 0 {
            self.lambda = (self.lambda + lr * self.sum / self.count as f64).max(0.0);
        }
        self.sum = 0.0;
        self.count = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_violation_of_each_bound() {
        assert_eq!(Bounds::Max(0.3).violation(0.5), 0.5 - 0.3);
        assert_eq!(Bounds::Max(0.3).violation(0.1), 0.1 - 0.3);
        assert_eq!(Bounds::Min(-1.0).violation(-3.0), 2.0);
        let both = Bounds::Both {
            min: -0.5,
            max: 0.5,
        };
        assert_eq!(both.violation(1.5), 1.0);
        assert_eq!(both.violation(-2.0), 1.5);
        assert_eq!(both.violation(0.25), -0.25);
    }

    /// A scripted 1-D case: x drifts out of bounds, λ rises every update while it is
    /// out; once the penalty pushes x back, λ decays and is projected onto 0.
    #[test]
    fn lambda_rises_while_violated_and_decays_to_zero_when_satisfied() {
        let bounds = Bounds::Max(0.3);
        let mut m = Multiplier::default();
        let mut lambdas = Vec::new();
        let mut x = 1.0;
        for _ in 0..40 {
            for _ in 0..10 {
                m.observe(bounds.violation(x));
            }
            m.end_update(0.5);
            lambdas.push(m.lambda);
            // The "policy": the penalty λ·x outweighs a pay of 1 per unit of x once λ > 1.
            if m.lambda > 1.0 {
                x = 0.0;
            }
        }
        let first_satisfied = lambdas.iter().position(|&l| l > 1.0).expect("λ grows");
        assert!(lambdas[..=first_satisfied].windows(2).all(|w| w[1] > w[0]));
        let after = &lambdas[first_satisfied..];
        assert!(after.windows(2).all(|w| w[1] <= w[0]));
        assert_eq!(*lambdas.last().expect("updates"), 0.0);
        // No update without observations moves λ.
        let mut idle = Multiplier {
            lambda: 2.0,
            ..Multiplier::default()
        };
        idle.end_update(0.5);
        assert_eq!(idle.lambda, 2.0);
    }
}
