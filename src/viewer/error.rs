//! Errors of the viewer, each a message a person can act on.

use std::path::PathBuf;

use crate::env::EnvError;
use crate::render::RenderError;

/// What can stop the viewer from starting or finishing.
#[derive(Debug, thiserror::Error)]
pub enum ViewerError {
    /// No X display to open a window on.
    #[error(
        "no display to open the viewer window on ({0}); run it under Xvfb \
         (`xvfb-run -a rewardsmith view ...`) or from a desktop session"
    )]
    NoDisplay(String),
    /// No Vulkan adapter (GPU or software) was found.
    #[error(
        "no Vulkan adapter found ({0}); install a GPU driver, or Mesa's software renderer \
         (`apt-get install mesa-vulkan-drivers libvulkan1`)"
    )]
    NoAdapter(String),
    /// The renderer or window system failed in another way.
    #[error("the viewer stopped: {0}")]
    Window(String),
    /// An env failed to load, reset or step.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// A policy could not be loaded from a run directory.
    #[error("{dir}: {message}")]
    Policy {
        /// The run directory.
        dir: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A `--compare` directory is neither a run nor a synth round.
    #[error(
        "--compare {0}: not a run directory (config.toml) nor a synth round directory \
         (sample_K/run/)"
    )]
    NotARun(PathBuf),
    /// `--inspect` names no body of the env.
    #[error("--inspect {name}: {env} has no body of that name; its bodies: {known}")]
    UnknownBody {
        /// The name given.
        name: String,
        /// The env.
        env: String,
        /// Its body names, comma-separated.
        known: String,
    },
    /// Bad command-line values.
    #[error("{0}")]
    Usage(String),
    /// The model-predictive controller could not be set up (`--mpc`).
    #[error(transparent)]
    Mpc(#[from] crate::mpc::MpcError),
    /// The CLIP reward could not be set up (model, prompts, ONNX Runtime).
    #[error("CLIP reward: {0}")]
    Clip(String),
    /// Writing a screenshot, a recording or a ranking failed.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// Writing a round's `ranking.json` failed.
    #[error("writing the ranking {path}")]
    Ranking {
        /// The ranking file.
        path: PathBuf,
        /// What failed.
        #[source]
        source: Box<crate::synth::SynthError>,
    },
}
