//! Subcommand implementations (thin: argument handling and printing only).

pub mod batch;
pub mod clip_flags;
pub mod envs;
pub mod flags;
pub mod frames;
pub mod l2r;
pub mod models;
pub mod mpc;
pub mod policy;
pub mod reward;
pub mod rollout;
pub mod synth;
pub mod train;
pub mod view;

use indicatif::{ProgressBar, ProgressStyle};

/// A progress bar on stderr counting `len` `unit`s (steps, frames), with rate, ETA and
/// an optional message; indicatif hides it when stderr is not a terminal.
pub fn progress_bar(len: u64, unit: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}  {{per_sec}}  eta {{eta}}  {{msg}}");
    bar.set_style(
        ProgressStyle::with_template(&template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}
