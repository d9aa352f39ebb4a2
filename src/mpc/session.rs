//! `rewardsmith mpc`'s job: run the controller for one or more episodes and write
//! `rollout.jsonl` (every step: state, action, reward components, success, plan),
//! `rollout.gif` (the first episode) and `summary.json`.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::MpcError;
use super::config::PlannerConfig;
use super::episode::{EpisodeSummary, StepRecord, run_episode};
use super::planner::PredictiveSampling;
use super::setup::MpcSetup;
use crate::env::State;
use crate::render::Renderer;
use crate::reward::Params;

/// How to run.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Simulated seconds per episode (`None`: the env's horizon × control step).
    pub seconds: Option<f64>,
    /// Seed of the first episode; episode e uses `seed + e`.
    pub seed: u64,
    /// Episodes.
    pub episodes: u64,
    /// Output directory.
    pub out: PathBuf,
    /// Render the first episode to `rollout.gif`.
    pub video: bool,
    /// Rollout workers (rayon threads).
    pub workers: usize,
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MpcSummary {
    /// The env's name.
    pub env: String,
    /// The program the planner followed.
    pub program: PathBuf,
    /// Its parameter values.
    pub params: Params,
    /// The planner settings.
    pub planner: PlannerConfig,
    /// Rollout workers.
    pub workers: usize,
    /// Whether every episode succeeded (for one episode: its success).
    pub success: bool,
    /// Fraction of episodes that succeeded.
    pub success_rate: f64,
    /// Mean reward per step over all episodes.
    pub mean_reward: f64,
    /// Planning steps per wall second.
    pub plans_per_s: f64,
    /// Simulated seconds per wall second of planning and stepping.
    pub realtime_factor: f64,
    /// Simulated seconds over all episodes.
    pub simulated_s: f64,
    /// Wall seconds of planning and stepping.
    pub wall_s: f64,
    /// Each episode.
    pub episodes: Vec<EpisodeSummary>,
}

/// Run the episodes of `opts` on `setup`; `on_episode` sees each one as it ends.
pub fn run_session(
    setup: &mut MpcSetup,
    opts: &SessionOptions,
    mut on_episode: impl FnMut(u64, &EpisodeSummary),
) -> Result<MpcSummary, MpcError> {
    if opts.episodes == 0 {
        return Err(MpcError::Usage {
            flag: "--episodes".into(),
            message: "at least 1".into(),
        });
    }
    let c = setup.env.compiled().clone();
    let dt = c.layout.dt;
    let seconds = opts.seconds.unwrap_or(f64::from(c.spec.sim.horizon) * dt);
    if !(seconds.is_finite() && seconds > 0.0) {
        return Err(MpcError::Usage {
            flag: "--seconds".into(),
            message: format!("a positive number of seconds, got {seconds}"),
        });
    }
    std::fs::create_dir_all(&opts.out).map_err(MpcError::io("creating", &opts.out))?;
    let mut planner = PredictiveSampling::new(
        &setup.env,
        &setup.program,
        setup.config.clone(),
        opts.seed,
        opts.workers,
    )?;
    let jsonl = opts.out.join("rollout.jsonl");
    let tmp = opts.out.join("rollout.jsonl.tmp");
    let file = std::fs::File::create(&tmp).map_err(MpcError::io("creating", &tmp))?;
    let mut writer = std::io::BufWriter::new(file);
    let mut episodes = Vec::new();
    let mut first_states: Vec<State> = Vec::new();
    for e in 0..opts.episodes {
        let seed = opts.seed + e;
        if e == 0 && opts.video {
            first_states.push(reset_state(setup, seed)?);
        }
        let summary = run_episode(setup, &mut planner, seconds, seed, |rec| {
            if e == 0 && opts.video {
                first_states.push(rec.state.clone());
            }
            write_row(&mut writer, e, seed, rec).map_err(MpcError::io("writing", &tmp))
        })?;
        on_episode(e, &summary);
        episodes.push(summary);
    }
    writer.flush().map_err(MpcError::io("writing", &tmp))?;
    drop(writer);
    std::fs::rename(&tmp, &jsonl).map_err(MpcError::io("renaming", &tmp))?;
    if opts.video {
        write_video(setup, &first_states, &opts.out.join("rollout.gif"), dt)?;
    }
    let n = episodes.len() as f64;
    let steps: u32 = episodes.iter().map(|e| e.steps).sum();
    let wall: f64 = episodes.iter().map(|e| e.wall_s).sum();
    let plan_wall: f64 = episodes.iter().map(|e| e.plan_wall_s).sum();
    let plans: u32 = episodes.iter().map(|e| e.plans).sum();
    let simulated: f64 = episodes.iter().map(|e| e.simulated_s).sum();
    let successes = episodes.iter().filter(|e| e.success).count() as f64;
    let summary = MpcSummary {
        env: c.spec.name.clone(),
        program: setup.program_path.clone(),
        params: setup.program.params().clone(),
        planner: setup.config.clone(),
        workers: opts.workers,
        success: successes == n,
        success_rate: successes / n,
        mean_reward: episodes.iter().map(|e| e.episode_return).sum::<f64>()
            / f64::from(steps.max(1)),
        plans_per_s: f64::from(plans) / plan_wall.max(1e-12),
        realtime_factor: simulated / wall.max(1e-12),
        simulated_s: simulated,
        wall_s: wall,
        episodes,
    };
    let path = opts.out.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).map_err(MpcError::encode(&path))?;
    crate::fs::write_atomic(&path, text.as_bytes())?;
    Ok(summary)
}

/// The state right after `setup.env`'s reset with `seed` (frame 0 of the video).
fn reset_state(setup: &mut MpcSetup, seed: u64) -> Result<State, MpcError> {
    setup.env.reset(Some(seed))?;
    Ok(setup.env.state().clone())
}

/// One `rollout.jsonl` line.
fn write_row(w: &mut impl Write, episode: u64, seed: u64, rec: &StepRecord) -> std::io::Result<()> {
    let components: serde_json::Map<String, serde_json::Value> = rec
        .reward
        .components
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let mut row = json!({
        "episode": episode,
        "seed": seed,
        "step": rec.step,
        "t": rec.state.t,
        "action": rec.action,
        "reward": rec.reward.total,
        "reward_components": components,
        "success": rec.success,
        "terminated": rec.terminated,
        "state": rec.state.to_json(),
    });
    if let Some(p) = &rec.plan {
        row["plan"] =
            json!({"best": p.best, "best_score": p.best_score, "nominal_score": p.nominal_score});
    }
    serde_json::to_writer(&mut *w, &row)?;
    w.write_all(b"\n")
}

/// Render `states` with the env camera into a GIF at the control rate.
fn write_video(setup: &MpcSetup, states: &[State], path: &Path, dt: f64) -> Result<(), MpcError> {
    let video = |message: String| MpcError::Video {
        path: path.to_path_buf(),
        message,
    };
    let renderer = Renderer::for_env(&setup.env).map_err(|e| video(e.to_string()))?;
    let refs: Vec<&State> = states.iter().collect();
    let frames = renderer.render_states(&refs);
    let tmp = path.with_extension("gif.tmp");
    crate::render::write_gif(&tmp, &frames, 1.0 / dt).map_err(|e| video(e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(MpcError::io("renaming", &tmp))?;
    Ok(())
}
