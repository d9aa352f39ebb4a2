//! Errors of run directories, batch plans, evaluation videos and the CLIP settings of a
//! run, each naming the file, setting or update at fault.

use std::path::PathBuf;

use crate::error::{EncodeError, FileError};

use crate::env::EnvError;
use crate::render::RenderError;
use crate::reward::RewardError;
use crate::reward::clip::ClipError;
use crate::rl::RlError;

/// Everything that can go wrong setting up, training, resuming or evaluating a run.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An env spec failed to load, or an env to reset or step.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// A reward or success program failed to load or compile.
    #[error(transparent)]
    Reward(#[from] RewardError),
    /// A learner or its env driver failed (outside a training update).
    #[error(transparent)]
    Rl(#[from] RlError),
    /// The CLIP model or its prompt embeddings failed.
    #[error(transparent)]
    Clip(#[from] ClipError),
    /// Rendering frames or writing a video failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// A file or directory operation failed.
    #[error(transparent)]
    Io(#[from] FileError),
    /// A temporary file could not be renamed onto its final name.
    #[error("moving {path} into place")]
    Rename {
        /// The temporary file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file does not parse (TOML, JSON, or a binary checkpoint part).
    #[error("parsing {path}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Data could not be encoded for a file.
    #[error(transparent)]
    Encode(#[from] EncodeError),
    /// The env spec's `[train]` table has a bad value.
    #[error("{file}: [train]")]
    TrainTable {
        /// The env spec.
        file: PathBuf,
        /// What is wrong.
        #[source]
        source: Box<RlError>,
    },
    /// `stop_return` is NaN or infinite.
    #[error("stop_return = {value}: expected a finite return")]
    StopReturn {
        /// The value given.
        value: f64,
    },
    /// `device = "gpu"` in a build without GPU training.
    #[error("device gpu: this build trains on the CPU only (build with --features gpu for gpu)")]
    GpuNotBuilt,
    /// SAC asked to run on another device than the CPU.
    #[error(
        "--device {device}: SAC's networks run on the CPU (hand-written kernels, see benches/README.md); --device gpu applies to PPO"
    )]
    SacDevice {
        /// The device asked for.
        device: String,
    },
    /// A command-line setting that the run's algorithm does not have.
    #[error("{flag} is a {algo} setting; this run trains {other}")]
    AlgoFlag {
        /// The flag.
        flag: &'static str,
        /// The algorithm it belongs to.
        algo: &'static str,
        /// The run's algorithm.
        other: String,
    },
    /// SAC asked for an env whose actions are not continuous.
    #[error(
        "SAC needs continuous actions, but env `{env}` has a {space} action space; \
         train it with --algo ppo"
    )]
    SacNeedsBox {
        /// The env.
        env: String,
        /// Its action space.
        space: String,
    },
    /// A new run was asked for in a directory that already holds one.
    #[error("{dir} already holds a run; use `train --resume {dir}` or another --out")]
    RunExists {
        /// The run directory.
        dir: PathBuf,
    },
    /// Another process is training in the run directory right now.
    #[error(
        "{dir} is being trained by another process{}; wait for it to end or stop it \
         (one process at a time trains a run directory)",
        pid.map_or(String::new(), |p| format!(" (pid {p})"))
    )]
    InUse {
        /// The run directory.
        dir: PathBuf,
        /// The process holding it, when it wrote its pid.
        pid: Option<u32>,
    },
    /// `--resume` on a directory without a checkpoint.
    #[error("{dir}: no checkpoint to resume from")]
    NothingToResume {
        /// The run directory.
        dir: PathBuf,
    },
    /// A run directory has no checkpoint to load a policy from.
    #[error("{dir}: no checkpoint (checkpoints/latest)")]
    NoCheckpoint {
        /// The run directory.
        dir: PathBuf,
    },
    /// A training update failed.
    #[error("training stopped in update {update}")]
    Update {
        /// The update (from 1).
        update: u64,
        /// What failed.
        #[source]
        source: Box<RlError>,
    },
    /// Stepping the evaluation envs failed.
    #[error("evaluation")]
    Evaluation(#[source] RlError),
    /// Writing the TensorBoard event file failed.
    #[error("{action} the TensorBoard event file in {dir}")]
    TensorBoard {
        /// `creating` or `writing`.
        action: &'static str,
        /// The run directory.
        dir: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// An evaluation video of the run could not be recorded or written.
    #[error(
        "writing the {}",
        if name == "final" { "final evaluation video".to_string() } else { format!("evaluation video {name}") }
    )]
    Video {
        /// `update-NNNNNN`, or `final`.
        name: String,
        /// What failed.
        #[source]
        source: Box<RunError>,
    },
    /// MP4 asked for without `ffmpeg`.
    #[error("{path}: writing MP4 needs ffmpeg on PATH; ask for a .gif instead")]
    NeedsFfmpeg {
        /// The MP4 file asked for.
        path: PathBuf,
    },
    /// Drawing `curves.png` failed.
    #[error("drawing {path}: {message}")]
    Plot {
        /// The image file.
        path: PathBuf,
        /// The plotting library's message.
        message: String,
    },
    /// A run's policy reads another number of observations than the env gives.
    #[error(
        "{dir}: its policy reads {policy_obs} observations, but env `{env}` has {env_obs}; give the env the \
         run was trained on"
    )]
    ObsMismatch {
        /// The run directory.
        dir: PathBuf,
        /// Observations the policy reads.
        policy_obs: usize,
        /// The env.
        env: String,
        /// Observations the env gives.
        env_obs: usize,
    },
    /// A run's policy cannot act in the env's action space.
    #[error("{dir}: {message}")]
    ActionMismatch {
        /// The run directory.
        dir: PathBuf,
        /// How the policy and the action space differ.
        message: String,
    },
    /// A batch file lists no runs.
    #[error("{path}: no runs (give `envs` for a grid or [[run]] tables)")]
    NoRuns {
        /// The batch file.
        path: PathBuf,
    },
    /// A `[clip]` setting is out of range.
    #[error("[clip] {message}")]
    ClipSetting {
        /// The setting (`goal`, `alpha`, `every`, `weight`, `batch`, `device`).
        key: &'static str,
        /// What is wrong, starting with the setting's name.
        message: String,
    },
    /// The CLIP model could not be loaded.
    #[error("loading the CLIP model `{model}`")]
    ClipModel {
        /// The model name or directory.
        model: String,
        /// What failed.
        #[source]
        source: ClipError,
    },
}

impl RunError {
    /// An I/O error on `path` while `action` (`reading`, `writing`, ...), for `map_err`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Self {
        crate::error::io_error(action, path)
    }

    /// A parse error of `path`, for `map_err`.
    pub(crate) fn parse<E: std::error::Error + Send + Sync + 'static>(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(E) -> Self {
        let path = path.into();
        move |e| RunError::Parse {
            path,
            source: Box::new(e),
        }
    }

    /// An encoding error for `path`, for `map_err`.
    pub(crate) fn encode<E: std::error::Error + Send + Sync + 'static>(
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(E) -> Self {
        crate::error::encode_error(path)
    }
}
