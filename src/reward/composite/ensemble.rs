//! Ensembles: several programs scoring the same thing, combined into one value so no
//! single program's mistakes are optimised alone (reward-model ensembles, "Reward Model
//! Ensembles Help Mitigate Overoptimization", Coste et al. 2023).

use serde::Deserialize;

/// How an ensemble's member values combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Aggregate {
    /// The mean of the members.
    Mean,
    /// The median (the mean of the two middle values for an even count).
    Median,
    /// The smallest member (worst-case optimisation).
    Min,
    /// Uncertainty-weighted optimisation: mean − k·std (population std of the members).
    Uwo,
}

/// An aggregate with its uncertainty weight `k` (used by [`Aggregate::Uwo`] only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregator {
    /// The aggregate.
    pub kind: Aggregate,
    /// Weight of the standard deviation in `uwo`.
    pub k: f64,
}

impl Aggregator {
    /// Combine the member values `xs` (at least one; reordered by `median`).
    pub fn apply(&self, xs: &mut [f64]) -> f64 {
        let n = xs.len().max(1) as f64;
        let mean = xs.iter().sum::<f64>() / n;
        match self.kind {
            Aggregate::Mean => mean,
            Aggregate::Min => xs.iter().copied().fold(f64::INFINITY, f64::min),
            Aggregate::Median => {
                xs.sort_by(f64::total_cmp);
                let m = xs.len() / 2;
                match xs.len() {
                    0 => 0.0,
                    l if l % 2 == 1 => xs[m],
                    _ => 0.5 * (xs[m - 1] + xs[m]),
                }
            }
            Aggregate::Uwo => {
                let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
                mean - self.k * var.sqrt()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agg(kind: Aggregate, k: f64, xs: &[f64]) -> f64 {
        Aggregator { kind, k }.apply(&mut xs.to_vec())
    }

    #[test]
    fn aggregates_match_hand_values() {
        let xs = [4.0, 1.0, 7.0];
        assert_eq!(agg(Aggregate::Mean, 0.0, &xs), 4.0);
        assert_eq!(agg(Aggregate::Median, 0.0, &xs), 4.0);
        assert_eq!(agg(Aggregate::Median, 0.0, &[4.0, 1.0, 7.0, 2.0]), 3.0);
        assert_eq!(agg(Aggregate::Min, 0.0, &xs), 1.0);
        // Population std of {1, 4, 7} is √6.
        let uwo = agg(Aggregate::Uwo, 0.5, &xs);
        assert!((uwo - (4.0 - 0.5 * 6f64.sqrt())).abs() < 1e-12);
        // Agreeing members: uwo equals the mean whatever k.
        assert_eq!(agg(Aggregate::Uwo, 3.0, &[2.0, 2.0, 2.0]), 2.0);
    }
}
