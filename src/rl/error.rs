//! Errors of training: bad hyperparameters, failing reward programs, diverging losses and
//! unreadable checkpoints, each naming the file, step or setting at fault.

use std::path::PathBuf;

use crate::error::{EncodeError, FileError};

use crate::env::EnvError;
use crate::reward::RewardError;
use crate::reward::clip::ClipError;

/// Everything that can stop a learner or its env driver.
#[derive(Debug, thiserror::Error)]
pub enum RlError {
    /// An env failed to reset, step, save or restore.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// The reward program failed while rewards were evaluated.
    #[error("reward program failed")]
    Reward(#[source] RewardError),
    /// The success program failed.
    #[error("success program failed")]
    Success(#[source] RewardError),
    /// The CLIP term failed to score frames.
    #[error("CLIP reward failed")]
    ClipStep(#[source] ClipError),
    /// A driver was saved while steps still waited for their CLIP terms.
    #[error("{steps} steps still wait for their CLIP scores; settle them before saving")]
    Unsettled {
        /// Steps waiting.
        steps: usize,
    },
    /// The CLIP term's saved scores do not fit this run.
    #[error(transparent)]
    Clip(#[from] ClipError),
    /// The reward program returns a component with the CLIP term's name.
    #[error(
        "the reward program returns a component named `{component}`, which the CLIP term uses; rename it"
    )]
    ComponentClash {
        /// The clashing name.
        component: &'static str,
    },
    /// A step of the vectorised envs failed.
    #[error("at env step {step}")]
    Step {
        /// Env steps done before the failing one.
        step: u64,
        /// What failed.
        #[source]
        source: Box<RlError>,
    },
    /// A size setting is zero.
    #[error("{settings} must be at least 1")]
    ZeroSize {
        /// The settings, e.g. `n_envs, n_steps and n_minibatches`.
        settings: &'static str,
    },
    /// The `hidden` layer sizes are empty or contain a zero.
    #[error("hidden layers must be non-empty and positive")]
    Hidden,
    /// The PPO rollout does not split into equal minibatches.
    #[error(
        "the rollout ({n_envs} envs × {n_steps} steps) must split evenly into {n_minibatches} minibatches"
    )]
    Minibatches {
        /// Envs.
        n_envs: usize,
        /// Steps per env and rollout.
        n_steps: usize,
        /// Minibatches asked for.
        n_minibatches: usize,
    },
    /// `[train] activation` names no known activation.
    #[error("[train] activation = {value:?}: expected relu or tanh")]
    Activation {
        /// The value given.
        value: String,
    },
    /// A `[train]` key that the table's algorithm does not read.
    #[error(
        "[train] {key}: not a {algo} setting (set `algo` to the algorithm it belongs to, or remove it)"
    )]
    TrainKey {
        /// The key.
        key: &'static str,
        /// The algorithm the table configures.
        algo: &'static str,
    },
    /// PPO asked to both squash and rescale actions.
    #[error("squash_actions maps samples onto the action bounds itself; drop rescale_actions")]
    SquashAndRescale,
    /// A hyperparameter outside its range.
    #[error("{name} = {value}: expected a value {expected}")]
    Range {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: f64,
        /// The allowed range, in words.
        expected: &'static str,
    },
    /// The PPO loss became NaN or infinite.
    #[error("PPO loss became {value} at update {update}")]
    PpoLoss {
        /// The loss.
        value: f64,
        /// The update (from 1).
        update: u64,
    },
    /// The SAC Q loss became NaN or infinite.
    #[error("SAC Q loss became {value}")]
    SacLoss {
        /// The loss.
        value: f64,
    },
    /// A SAC checkpoint of the burn-based SAC (before 2026-12), which this version
    /// cannot continue.
    #[error(
        "{dir}: a SAC checkpoint of an earlier rewardsmith (burn records, actor.bpk); this version's SAC keeps its networks in sac.bin and cannot resume it. Its policy still evaluates (`rewardsmith eval`); retrain to continue"
    )]
    OldSacCheckpoint {
        /// The checkpoint directory.
        dir: PathBuf,
    },
    /// A checkpoint whose networks or buffers do not fit this run's config.
    #[error(
        "{path}: the checkpoint's networks or replay buffer do not fit this run's observation, action or network sizes"
    )]
    CheckpointMismatch {
        /// The checkpoint file.
        path: PathBuf,
    },
    /// A SAC checkpoint of another format version.
    #[error("{path}: SAC checkpoint format {found}, this version reads {expected}")]
    SacFormat {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: u32,
        /// The version this build reads.
        expected: u32,
    },
    /// A network or optimizer record could not be written or read.
    #[error("{action} {what}")]
    Record {
        /// `saving` or `loading`.
        action: &'static str,
        /// The record: a network, an optimizer, or its file.
        what: String,
        /// burn's error.
        #[source]
        source: burn::store::RecordError,
    },
    /// A checkpoint file could not be written or read.
    #[error(transparent)]
    Io(#[from] FileError),
    /// Checkpoint state could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// A checkpoint file does not hold what this version writes.
    #[error("reading {path}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The checkpoint's replay buffer has another capacity than the config.
    #[error("replay.bin holds a buffer of {saved} transitions, the config {config}")]
    ReplaySize {
        /// Capacity in the checkpoint.
        saved: usize,
        /// `buffer_size` of the config.
        config: usize,
    },
    /// The checkpoint holds another number of envs than this run.
    #[error("checkpoint has {saved} envs, this run {current}")]
    EnvCount {
        /// Envs in the checkpoint.
        saved: usize,
        /// Envs of this run.
        current: usize,
    },
    /// One of the checkpoint and this run has a CLIP reward, the other not.
    #[error(
        "the checkpoint was written {} a CLIP reward and this run is {} one",
        if *run_has_clip { "without" } else { "with" },
        if *run_has_clip { "with" } else { "without" }
    )]
    ClipMismatch {
        /// Whether this run has a CLIP term (then the checkpoint has none).
        run_has_clip: bool,
    },
}

impl RlError {
    /// An I/O error on `path` while `action` (`reading`, `writing`), for `map_err`.
    pub(crate) fn io(action: &'static str, path: PathBuf) -> impl FnOnce(std::io::Error) -> Self {
        crate::error::io_error(action, path)
    }

    /// An encoding error for `path`, for `map_err`.
    pub(crate) fn encode<E: std::error::Error + Send + Sync + 'static>(
        path: PathBuf,
    ) -> impl FnOnce(E) -> Self {
        crate::error::encode_error(path)
    }

    /// A burn record error while `action` (`saving`, `loading`) `what`, for `map_err`.
    pub(crate) fn record(
        action: &'static str,
        what: &str,
    ) -> impl FnOnce(burn::store::RecordError) -> Self + use<> {
        let what = what.to_string();
        move |source| RlError::Record {
            action,
            what,
            source,
        }
    }
}
