//! What one learner iteration reports: losses and diagnostics, one `metrics.jsonl` line's
//! worth (PPO and SAC fill the fields that mean something for them; the rest stay NaN).

use serde::{Deserialize, Serialize};

/// Losses and diagnostics of one iteration (PPO: means over the last epoch's minibatches;
/// SAC: means over the iteration's gradient steps).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UpdateStats {
    /// PPO's clipped surrogate loss; SAC's actor loss.
    #[serde(deserialize_with = "f64_or_nan")]
    pub policy_loss: f64,
    /// PPO's value loss; SAC's Q loss.
    #[serde(deserialize_with = "f64_or_nan")]
    pub value_loss: f64,
    /// Policy entropy (SAC: the estimate `-E[log π]`).
    #[serde(deserialize_with = "f64_or_nan")]
    pub entropy: f64,
    /// Approximate KL between the old and new policy (Schulman's k3 estimator).
    #[serde(deserialize_with = "f64_or_nan")]
    pub approx_kl: f64,
    /// Fraction of samples whose ratio was clipped.
    #[serde(deserialize_with = "f64_or_nan")]
    pub clip_frac: f64,
    /// Explained variance of the value function on the rollout.
    #[serde(deserialize_with = "f64_or_nan")]
    pub explained_var: f64,
    /// Learning rate used.
    #[serde(deserialize_with = "f64_or_nan")]
    pub lr: f64,
    /// Seconds collecting the rollout.
    #[serde(deserialize_with = "f64_or_nan")]
    pub rollout_s: f64,
    /// Seconds updating the networks.
    #[serde(deserialize_with = "f64_or_nan")]
    pub update_s: f64,
    /// Entropy coefficient (SAC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// The epoch (1-based) in which PPO's `target_kl` stopped the update, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epochs_stopped: Option<u64>,
}

/// JSON writes NaN as `null`; read it back as NaN.
fn f64_or_nan<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}
