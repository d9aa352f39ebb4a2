//! Run directories: `config.toml`, `metrics.jsonl`, atomic `checkpoints/`, `summary.json`
//! and `curves.png`, and the training loop that fills them.
//!
//! Where each part lives: the config model in `config.rs`, what a run is built from
//! (envs, rewards, learner, device) in `setup.rs`, the loop in `train_loop.rs`,
//! metrics lines and the summary in `metrics.rs`, checkpoints and the best policy in
//! `checkpoint.rs`, deterministic evaluation in `eval.rs`; videos, curves, TensorBoard
//! events, CLIP settings and batch plans each in their own file.
//!
//! ```text
//! runs/<id>/config.toml             everything needed to reproduce the run
//!           programs/               copies of the reward and success programs used
//!           metrics.jsonl           one JSON object per update
//!           events.out.tfevents.*   the same scalars for TensorBoard (one file per process)
//!           checkpoints/latest      name of the newest complete checkpoint
//!           checkpoints/update-N/   model.bpk optim.bpk (burn records), ppo.json,
//!                                   driver.bin (envs, RNG streams), actor.json, meta.json
//!           summary.json            final deterministic evaluation
//!           curves.png              return, success, reward components vs steps
//! ```

pub mod batch;
pub mod checkpoint;
pub mod clip;
pub mod config;
pub mod error;
pub mod eval;
pub mod lock;
pub mod metrics;
pub mod plot;
pub mod setup;
pub mod tensorboard;
pub mod train_loop;
pub mod video;

pub use checkpoint::{best_dir, latest_checkpoint, load_actor, load_actor_for};
pub use config::{Algo, AlgoConfig, RunConfig, RunOverrides, RunShape, device};
pub use error::RunError;
pub use eval::{BEST_EVAL_SEED, FINAL_EVAL_SEED, evaluate};
pub use metrics::{
    BestPolicy, EvalResult, Metrics, RETURN_WINDOW, ReturnReached, Summary, policy_hash,
};
pub use train_loop::{TrainOptions, train};
