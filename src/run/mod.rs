//! Run directories: `config.toml`, `metrics.jsonl`, atomic `checkpoints/`, `summary.json`
//! and `curves.png`, and the training loop that fills them.
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
pub mod clip;
pub mod error;
pub mod plot;
pub mod tensorboard;
pub mod video;

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::env::spec::SuccessWhen;
use crate::env::train_spec::TrainAlgo;
use crate::env::{AssetRoots, Env, EnvSpec, VecEnv};
use crate::reward::{ScriptReward, load_program};
use crate::rl::UpdateStats;
use crate::rl::ppo::{Ppo, PpoConfig};
use crate::rl::sac::{Sac, SacConfig};
use crate::rl::{Actor, EnvDriver, Episode, Learner};
use clip::ClipConfig;
pub use error::RunError;

/// Everything needed to reproduce a run (written as `config.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// rewardsmith version that wrote the run.
    pub version: String,
    /// The env spec file.
    pub env: PathBuf,
    /// The reward program.
    pub reward: PathBuf,
    /// The success program (the env's own).
    pub success: PathBuf,
    /// Algorithm (`ppo` or `sac`).
    pub algo: String,
    /// Master seed: env `i` is seeded `seed + i`, the learner's stream is derived from it.
    pub seed: u64,
    /// Device the updates run on (`cpu`).
    pub device: String,
    /// PPO hyperparameters (defaults, then the env's `[train]`, then the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppo: Option<PpoConfig>,
    /// SAC hyperparameters (defaults, then the command line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sac: Option<SacConfig>,
    /// A CLIP reward, alone or added to the reward program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip: Option<ClipConfig>,
    /// End the run (checkpoint, evaluation, summary) once the mean return of the last
    /// [`RETURN_WINDOW`] training episodes reaches this (`train --stop-return`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_return: Option<f64>,
}

impl RunConfig {
    /// Defaults for `env` (name or path): the env's reward and success programs, PPO
    /// defaults overridden by the env's `[train]` table.
    pub fn for_env(env: &str, roots: &AssetRoots) -> Result<Self, RunError> {
        let file = roots.resolve_env(env)?;
        let spec = EnvSpec::from_file(&file)?;
        let table_err = |e| RunError::TrainTable {
            file: file.clone(),
            source: Box::new(e),
        };
        let (mut ppo, mut sac) = (None, None);
        match &spec.train {
            Some(t) if t.algo() == TrainAlgo::Sac => {
                let mut s = SacConfig::default();
                s.apply(t).map_err(table_err)?;
                sac = Some(s);
            }
            t => {
                let mut p = PpoConfig::default();
                if let Some(t) = t {
                    p.apply(t).map_err(table_err)?;
                }
                ppo = Some(p);
            }
        }
        let algo = if sac.is_some() { "sac" } else { "ppo" };
        Ok(Self {
            version: env!("CARGO_PKG_VERSION").to_string(),
            env: absolute(&file),
            reward: absolute(&crate::reward::builtin_path(roots, &spec.rewards.reward)),
            success: absolute(&crate::reward::builtin_path(roots, &spec.rewards.success)),
            algo: algo.into(),
            seed: 0,
            device: "cpu".into(),
            ppo,
            sac,
            clip: None,
            stop_return: None,
        })
    }

    /// Switch to `algo`: the env's `[train]` settings where its table is for that
    /// algorithm, else the algorithm's defaults.
    pub fn set_algo(&mut self, algo: &str) -> Result<(), RunError> {
        match algo {
            "ppo" => {
                self.ppo.get_or_insert_with(PpoConfig::default);
                self.sac = None;
            }
            "sac" => {
                self.sac.get_or_insert_with(SacConfig::default);
                self.ppo = None;
            }
            other => {
                return Err(RunError::UnknownAlgo {
                    algo: other.to_string(),
                });
            }
        }
        self.algo = algo.to_string();
        Ok(())
    }

    /// Set total steps, envs, checkpoint and evaluation intervals of the chosen algorithm
    /// (and SAC's update-to-data ratio).
    pub fn override_run(&mut self, o: &RunOverrides) -> Result<(), RunError> {
        if let Some(utd) = o.utd {
            let Some(s) = &mut self.sac else {
                return Err(RunError::AlgoFlag {
                    flag: "--utd",
                    algo: "SAC",
                    other: self.algo.clone(),
                });
            };
            s.utd = utd;
        }
        if let Some(p) = &mut self.ppo {
            p.total_steps = o.steps.unwrap_or(p.total_steps);
            p.n_envs = o.envs.unwrap_or(p.n_envs);
            p.checkpoint_every = o.checkpoint_every.unwrap_or(p.checkpoint_every).max(1);
            p.eval_every = o.eval_every.unwrap_or(p.eval_every);
        }
        if let Some(p) = &mut self.sac {
            p.total_steps = o.steps.unwrap_or(p.total_steps);
            p.n_envs = o.envs.unwrap_or(p.n_envs);
            p.checkpoint_every = o.checkpoint_every.unwrap_or(p.checkpoint_every).max(1);
            p.eval_every = o.eval_every.unwrap_or(p.eval_every);
        }
        Ok(())
    }

    /// Updates (PPO) or iterations (SAC) between best-policy evaluations; 0: none.
    pub fn eval_every(&self) -> u64 {
        match self.algo.as_str() {
            "ppo" => self.ppo.as_ref().map_or(0, |p| p.eval_every),
            _ => self.sac.as_ref().map_or(0, |s| s.eval_every),
        }
    }

    /// (envs, checkpoint interval, eval episodes, env steps of the whole run).
    pub fn shape(&self) -> Result<(usize, u64, usize, u64), RunError> {
        match (self.algo.as_str(), &self.ppo, &self.sac) {
            ("ppo", Some(p), _) => Ok((
                p.n_envs,
                p.checkpoint_every,
                p.eval_episodes,
                p.num_updates() * p.batch_size() as u64,
            )),
            ("sac", _, Some(s)) => Ok((
                s.n_envs,
                s.checkpoint_every,
                s.eval_episodes,
                s.num_iterations() * s.steps_per_iteration() as u64,
            )),
            (a, _, _) => Err(RunError::MissingAlgoTable {
                algo: a.to_string(),
            }),
        }
    }

    /// Check the chosen algorithm's settings.
    pub fn validate(&self) -> Result<(), RunError> {
        self.shape()?;
        if let Some(p) = &self.ppo {
            p.validate()?;
        }
        if let Some(s) = &self.sac {
            s.validate()?;
        }
        device(&self.device)?;
        if self.algo == "sac" && self.device != "cpu" {
            return Err(RunError::SacDevice {
                device: self.device.clone(),
            });
        }
        if let Some(c) = &self.clip {
            c.validate()?;
        }
        if let Some(r) = self.stop_return.filter(|r| !r.is_finite()) {
            return Err(RunError::StopReturn { value: r });
        }
        Ok(())
    }

    /// Read `config.toml` of a run directory.
    pub fn load(dir: &Path) -> Result<Self, RunError> {
        let p = dir.join("config.toml");
        let text = std::fs::read_to_string(&p).map_err(RunError::io("reading", &p))?;
        toml::from_str(&text).map_err(RunError::parse(p))
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// Command-line overrides of a run's shape (`None`: keep the configured value).
#[derive(Debug, Clone, Default)]
pub struct RunOverrides {
    /// Total env steps.
    pub steps: Option<u64>,
    /// Parallel envs.
    pub envs: Option<usize>,
    /// Updates between checkpoints.
    pub checkpoint_every: Option<u64>,
    /// Updates between best-policy evaluations.
    pub eval_every: Option<u64>,
    /// SAC's gradient steps per env step.
    pub utd: Option<f64>,
}

/// One line of `metrics.jsonl`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Updates done.
    pub update: u64,
    /// Env steps done.
    pub global_step: u64,
    /// Episodes finished during this update's rollout.
    pub episodes: usize,
    /// Mean undiscounted return of those episodes.
    pub ep_return: Option<f64>,
    /// Mean length of those episodes.
    pub ep_length: Option<f64>,
    /// Fraction of those episodes that succeeded.
    pub success_rate: Option<f64>,
    /// Per-step mean of every reward component over the rollout.
    pub components: BTreeMap<String, f64>,
    /// Losses and diagnostics.
    #[serde(flatten)]
    pub stats: UpdateStats,
    /// Env steps per wall-clock second over this update (rollout + update).
    pub steps_per_s: f64,
    /// Seconds of this update spent rendering and scoring frames for the CLIP reward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_s: Option<f64>,
    /// The best-policy evaluation run after this update (`eval_every`), if one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eval: Option<EvalResult>,
    /// Wall-clock seconds since the run started (summed over resumes).
    pub wall_s: f64,
}

/// Result of a deterministic evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalResult {
    /// Episodes run.
    pub episodes: usize,
    /// Mean undiscounted return.
    pub mean_return: f64,
    /// Standard deviation of the return.
    pub std_return: f64,
    /// Fraction of successful episodes.
    pub success_rate: f64,
    /// Mean episode length.
    pub mean_length: f64,
    /// Seed of the first env (env `i` uses `seed + i`).
    pub seed: u64,
}

/// `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Env steps trained.
    pub steps: u64,
    /// Updates done.
    pub updates: u64,
    /// Wall-clock seconds of training (summed over resumes), without the final eval.
    pub wall_s: f64,
    /// Final deterministic evaluation.
    pub eval: EvalResult,
    /// FNV-1a hash of the final policy's weights (bit-level identity check).
    pub policy_hash: String,
    /// Seconds of training spent in the CLIP reward (summed over resumes), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_s: Option<f64>,
    /// When `--stop-return` ended the run early: where the return threshold was met.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped_at_return: Option<ReturnReached>,
    /// With `eval_every`: the policy kept in `checkpoints/best` and its evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best: Option<BestPolicy>,
}

/// The best policy of the periodic evaluations, kept in `checkpoints/best/` (its
/// `actor.json` and this as `best.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BestPolicy {
    /// Updates done when it was evaluated.
    pub update: u64,
    /// Env steps done when it was evaluated.
    pub global_step: u64,
    /// Its evaluation (episodes seeded from the run's seed + [`BEST_EVAL_SEED`]).
    pub eval: EvalResult,
}

impl BestPolicy {
    /// Higher success rate, then higher mean return.
    fn beats(&self, other: &BestPolicy) -> bool {
        (self.eval.success_rate, self.eval.mean_return)
            > (other.eval.success_rate, other.eval.mean_return)
    }
}

/// Seed offset of the periodic best-policy evaluations: episodes apart from the final
/// evaluation's (seed + 10,000), so picking the best does not also grade it.
pub const BEST_EVAL_SEED: u64 = 30_000;

/// Episodes in the rolling mean that `--stop-return` watches: the last 100, as
/// Stable-Baselines3 reports `rollout/ep_rew_mean` (`stats_window_size` = 100).
pub const RETURN_WINDOW: usize = 100;

/// The point where the mean return of the last [`RETURN_WINDOW`] training episodes
/// first reached the `--stop-return` threshold (checked after every update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReturnReached {
    /// The threshold asked for.
    pub threshold: f64,
    /// The rolling mean that met it.
    pub mean_return: f64,
    /// Episodes in the rolling mean.
    pub window: usize,
    /// Env steps done when it was met.
    pub step: u64,
    /// Updates done when it was met.
    pub update: u64,
    /// Wall-clock seconds of training when it was met.
    pub wall_s: f64,
}

/// Small metadata of a checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct CheckpointMeta {
    update: u64,
    global_step: u64,
    wall_s: f64,
    #[serde(default)]
    clip_s: f64,
    /// Returns of the last (up to [`RETURN_WINDOW`]) training episodes, oldest first,
    /// so a resumed run's `stop_return` window goes on where it was.
    #[serde(default)]
    recent_returns: Vec<f64>,
}

/// Options of one training invocation.
#[derive(Debug, Clone, Default)]
pub struct TrainOptions {
    /// Continue from the directory's latest checkpoint.
    pub resume: bool,
    /// Stop (as if killed) after this many updates in total, leaving checkpoints only.
    pub stop_after: Option<u64>,
    /// Write an evaluation video to `videos/` every this many updates (and at the end);
    /// `None` writes none.
    pub video_every: Option<u64>,
}

/// Steps of the short evaluation videos written during training.
const TRAIN_VIDEO_STEPS: u32 = 300;

/// Write `videos/<name>.gif` of one deterministic episode of `actor`.
/// A video is a view of the run, not part of it: one that fails is reported as a
/// warning and training goes on.
fn training_video(cfg: &RunConfig, dir: &Path, actor: &Actor, name: &str) {
    let write = || -> Result<(), RunError> {
        let v = video::record_episode(cfg, actor, cfg.seed + 20_000, TRAIN_VIDEO_STEPS)?;
        video::write_video(&dir.join("videos").join(format!("{name}.gif")), &v)?;
        Ok(())
    };
    if let Err(e) = write() {
        let e = RunError::Video {
            name: name.to_string(),
            source: Box::new(e),
        };
        eprintln!("warning: {}", crate::error::Chain(&e));
    }
}

/// The update device for a device name.
pub fn device(name: &str) -> Result<burn::tensor::Device, RunError> {
    match name {
        "cpu" => Ok(burn::tensor::Device::flex().autodiff()),
        #[cfg(feature = "gpu")]
        "gpu" => Ok(burn::tensor::Device::wgpu(Default::default()).autodiff()),
        other => Err(RunError::UnknownDevice {
            name: other.to_string(),
        }),
    }
}

fn script(
    path: &Path,
    spec_layout: &crate::env::StateLayout,
) -> Result<Box<ScriptReward>, RunError> {
    let prog = load_program(path, spec_layout)?;
    Ok(Box::new(ScriptReward::from_program(prog)?))
}

/// Build the envs with reward and success programs for `cfg`, `n` envs seeded `seed + i`.
fn driver(cfg: &RunConfig, n: usize, seed: u64) -> Result<EnvDriver, RunError> {
    let roots = AssetRoots::discover();
    let venv = VecEnv::new(&cfg.env.to_string_lossy(), &roots, n, None)?;
    let layout = venv.compiled().layout.clone();
    let when: SuccessWhen = venv.compiled().spec.rewards.success_when;
    let reward = script(&cfg.reward, &layout)?;
    let success = script(&cfg.success, &layout)?;
    let term = match &cfg.clip {
        Some(c) => Some((c.term(&venv.envs()[0], n)?, c.program)),
        None => None,
    };
    let drv = EnvDriver::new(venv, reward, success, when, seed)?;
    Ok(match term {
        Some((t, program)) => drv.with_clip(t, program),
        None => drv,
    })
}

/// Seed of the learner's RNG stream (distinct from the envs' `seed + i`).
fn learner_seed(seed: u64) -> u64 {
    seed ^ 0x9E37_79B9_7F4A_7C15
}

/// Write `bytes` to `path` atomically (temp file in the same directory, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("")
    ));
    std::fs::write(&tmp, bytes).map_err(RunError::io("writing", &tmp))?;
    std::fs::rename(&tmp, path).map_err(|source| RunError::Rename { path: tmp, source })
}

/// The latest complete checkpoint directory of a run, if any.
pub fn latest_checkpoint(dir: &Path) -> Option<PathBuf> {
    let ck = dir.join("checkpoints");
    let name = std::fs::read_to_string(ck.join("latest")).ok()?;
    let p = ck.join(name.trim());
    p.is_dir().then_some(p)
}

/// Train (or resume) the run in `dir`. Returns the summary, or `None` when stopped
/// early by `stop_after`. `on_update` sees every metrics line.
pub fn train(
    cfg: &RunConfig,
    dir: &Path,
    opts: &TrainOptions,
    mut on_update: impl FnMut(&Metrics),
) -> Result<Option<Summary>, RunError> {
    cfg.validate()?;
    let (n_envs, every, eval_episodes, _) = cfg.shape()?;
    let start = Instant::now();
    let mut drv = driver(cfg, n_envs, cfg.seed)?;
    let mut ppo: Box<dyn Learner> = match (&cfg.ppo, &cfg.sac) {
        (Some(p), _) if cfg.algo == "ppo" => Box::new(Ppo::new(
            p.clone(),
            drv.obs_dim(),
            &drv.venv.compiled().action_space,
            learner_seed(cfg.seed),
            device(&cfg.device)?,
        )?),
        (_, Some(s)) => {
            let c = drv.venv.compiled();
            let Some(space) = c.action_space.as_box() else {
                return Err(RunError::SacNeedsBox {
                    env: c.spec.name.clone(),
                    space: c.action_space.to_string(),
                });
            };
            Box::new(Sac::new(
                s.clone(),
                space.clone(),
                drv.obs_dim(),
                learner_seed(cfg.seed),
            )?)
        }
        _ => {
            return Err(RunError::NoAlgoSettings {
                algo: cfg.algo.clone(),
            });
        }
    };
    let metrics_path = dir.join("metrics.jsonl");
    let mut wall0 = 0.0;
    let mut clip0 = 0.0;
    let mut recent = std::collections::VecDeque::with_capacity(RETURN_WINDOW);
    let mut best: Option<BestPolicy> = None;
    if opts.resume {
        let ck = latest_checkpoint(dir).ok_or_else(|| RunError::NothingToResume {
            dir: dir.to_path_buf(),
        })?;
        ppo.load(&ck)?;
        let path = ck.join("driver.bin");
        let state = std::fs::read(&path).map_err(RunError::io("reading", &path))?;
        let (state, _) = bincode::serde::decode_from_slice(&state, bincode::config::standard())
            .map_err(RunError::parse(path))?;
        drv.load(state)?;
        let meta: CheckpointMeta = read_json(&ck.join("meta.json"))?;
        wall0 = meta.wall_s;
        clip0 = meta.clip_s;
        recent.extend(meta.recent_returns);
        // A best policy found after the checkpoint is found again (the run repeats
        // exactly), so only one from before it counts.
        best = read_best(dir)?.filter(|b| b.update <= ppo.update());
        // Drop metrics written after the checkpoint (the killed part of the run).
        let kept: Vec<String> = std::fs::read_to_string(&metrics_path)
            .unwrap_or_default()
            .lines()
            .filter(|l| serde_json::from_str::<Metrics>(l).is_ok_and(|m| m.update <= ppo.update()))
            .map(|l| format!("{l}\n"))
            .collect();
        write_atomic(&metrics_path, kept.concat().as_bytes())?;
    } else {
        if dir.join("config.toml").exists() {
            return Err(RunError::RunExists {
                dir: dir.to_path_buf(),
            });
        }
        std::fs::create_dir_all(dir.join("checkpoints")).map_err(RunError::io("creating", dir))?;
        let config = dir.join("config.toml");
        let text = toml::to_string(cfg).map_err(RunError::encode(&config))?;
        write_atomic(&config, text.as_bytes())?;
        // The programs as they were when the run started (config.toml names the files).
        let programs = dir.join("programs");
        std::fs::create_dir_all(&programs).map_err(RunError::io("creating", &programs))?;
        for (src, name) in [(&cfg.reward, "reward.luau"), (&cfg.success, "success.luau")] {
            let text = std::fs::read(src).map_err(RunError::io("reading", src))?;
            write_atomic(&dir.join("programs").join(name), &text)?;
        }
        write_atomic(&metrics_path, b"")?;
    }
    let mut metrics_file = std::fs::OpenOptions::new()
        .append(true)
        .open(&metrics_path)
        .map_err(RunError::io("opening", &metrics_path))?;
    let mut tb = tensorboard::EventWriter::create(dir).map_err(|source| RunError::TensorBoard {
        action: "creating",
        dir: dir.to_path_buf(),
        source,
    })?;
    let wall = |start: &Instant| wall0 + start.elapsed().as_secs_f64();
    let mut reached = None;
    while !ppo.done() && reached.is_none() {
        if opts.stop_after.is_some_and(|s| ppo.update() >= s) {
            return Ok(None);
        }
        let t = Instant::now();
        let clip_before = drv.clip_seconds();
        let stats = ppo.iterate(&mut drv).map_err(|e| RunError::Update {
            update: ppo.update() + 1,
            source: Box::new(e),
        })?;
        let (eps, comps) = drv.take_stats();
        for e in &eps {
            if recent.len() == RETURN_WINDOW {
                recent.pop_front();
            }
            recent.push_back(e.ret);
        }
        if let Some(threshold) = cfg.stop_return
            && recent.len() == RETURN_WINDOW
        {
            let mean_return = recent.iter().sum::<f64>() / RETURN_WINDOW as f64;
            if mean_return >= threshold {
                reached = Some(ReturnReached {
                    threshold,
                    mean_return,
                    window: RETURN_WINDOW,
                    step: ppo.global_step(),
                    update: ppo.update(),
                    wall_s: wall(&start),
                });
            }
        }
        let mut m = metrics_line(
            ppo.as_ref(),
            &eps,
            &comps,
            stats,
            t.elapsed().as_secs_f64(),
            wall(&start),
        );
        m.clip_s = cfg.clip.is_some().then(|| drv.clip_seconds() - clip_before);
        let eval_every = cfg.eval_every();
        if eval_every > 0 && (ppo.update().is_multiple_of(eval_every) || ppo.done()) {
            let actor = ppo.actor();
            let eval = evaluate(cfg, &actor, eval_episodes, cfg.seed + BEST_EVAL_SEED)?;
            let found = BestPolicy {
                update: ppo.update(),
                global_step: ppo.global_step(),
                eval: eval.clone(),
            };
            if best.as_ref().is_none_or(|b| found.beats(b)) {
                write_best(dir, &actor, &found)?;
                best = Some(found);
            }
            m.eval = Some(eval);
        }
        let mut line = serde_json::to_string(&m).map_err(RunError::encode(&metrics_path))?;
        line.push('\n');
        metrics_file
            .write_all(line.as_bytes())
            .and_then(|()| metrics_file.flush())
            .map_err(RunError::io("writing", &metrics_path))?;
        tb.scalars(m.global_step, &tb_scalars(&m))
            .map_err(|source| RunError::TensorBoard {
                action: "writing",
                dir: dir.to_path_buf(),
                source,
            })?;
        on_update(&m);
        if ppo.update().is_multiple_of(every.max(1)) || ppo.done() || reached.is_some() {
            let times = (wall(&start), clip0 + drv.clip_seconds());
            checkpoint(dir, ppo.as_ref(), &drv, times, &recent)?;
        }
        if let Some(k) = opts.video_every
            && ppo.update().is_multiple_of(k.max(1))
            && !ppo.done()
        {
            let name = format!("update-{:06}", ppo.update());
            training_video(cfg, dir, &ppo.actor(), &name);
        }
    }
    let train_wall = wall(&start);
    let actor = ppo.actor();
    if opts.video_every.is_some() {
        training_video(cfg, dir, &actor, "final");
    }
    let eval = evaluate(cfg, &actor, eval_episodes, cfg.seed + 10_000)?;
    let summary = Summary {
        steps: ppo.global_step(),
        updates: ppo.update(),
        wall_s: train_wall,
        eval,
        policy_hash: policy_hash(&actor),
        clip_s: cfg.clip.is_some().then(|| clip0 + drv.clip_seconds()),
        stopped_at_return: reached,
        best,
    };
    let path = dir.join("summary.json");
    let text = serde_json::to_string_pretty(&summary).map_err(RunError::encode(&path))?;
    write_atomic(&path, text.as_bytes())?;
    if let Err(e) = plot::curves(&metrics_path, &dir.join("curves.png")) {
        eprintln!("warning: curves.png not drawn: {}", crate::error::Chain(&e));
    }
    Ok(Some(summary))
}

/// Directory of the best policy in a run.
pub fn best_dir(dir: &Path) -> PathBuf {
    dir.join("checkpoints").join("best")
}

/// Keep `actor` as the run's best policy: `checkpoints/best/actor.json`, then its
/// record `best.json`, each written atomically.
fn write_best(dir: &Path, actor: &Actor, best: &BestPolicy) -> Result<(), RunError> {
    let bd = best_dir(dir);
    std::fs::create_dir_all(&bd).map_err(RunError::io("creating", &bd))?;
    let path = bd.join("actor.json");
    let bytes = serde_json::to_vec(actor).map_err(RunError::encode(&path))?;
    write_atomic(&path, &bytes)?;
    let path = bd.join("best.json");
    let bytes = serde_json::to_vec_pretty(best).map_err(RunError::encode(&path))?;
    write_atomic(&path, &bytes)
}

/// The record of a run's best policy, if it has one.
fn read_best(dir: &Path) -> Result<Option<BestPolicy>, RunError> {
    let path = best_dir(dir).join("best.json");
    if !path.exists() {
        return Ok(None);
    }
    read_json(&path).map(Some)
}

/// Read and parse a JSON file of the run directory.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, RunError> {
    let bytes = std::fs::read(path).map_err(RunError::io("reading", path))?;
    serde_json::from_slice(&bytes).map_err(RunError::parse(path))
}

/// The scalars of a metrics line under CleanRL's TensorBoard tags.
fn tb_scalars(m: &Metrics) -> Vec<(String, f64)> {
    let s = &m.stats;
    let mut v: Vec<(String, f64)> = [
        ("charts/episodic_return", m.ep_return),
        ("charts/episodic_length", m.ep_length),
        ("charts/success_rate", m.success_rate),
        ("charts/learning_rate", Some(s.lr)),
        ("charts/SPS", Some(m.steps_per_s)),
        ("losses/policy_loss", Some(s.policy_loss)),
        ("losses/value_loss", Some(s.value_loss)),
        ("losses/entropy", Some(s.entropy)),
        ("losses/approx_kl", Some(s.approx_kl)),
        ("losses/clipfrac", Some(s.clip_frac)),
        ("losses/explained_variance", Some(s.explained_var)),
        ("losses/alpha", s.alpha),
        // SB3's EvalCallback tags.
        ("eval/mean_reward", m.eval.as_ref().map(|e| e.mean_return)),
        ("eval/success_rate", m.eval.as_ref().map(|e| e.success_rate)),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
    .collect();
    v.extend(
        m.components
            .iter()
            .map(|(k, &x)| (format!("reward/{k}"), x)),
    );
    v
}

fn metrics_line(
    ppo: &dyn Learner,
    eps: &[Episode],
    comps: &BTreeMap<String, (f64, u64)>,
    stats: UpdateStats,
    secs: f64,
    wall_s: f64,
) -> Metrics {
    let n = eps.len();
    let mean =
        |f: &dyn Fn(&Episode) -> f64| (n > 0).then(|| eps.iter().map(f).sum::<f64>() / n as f64);
    Metrics {
        update: ppo.update(),
        global_step: ppo.global_step(),
        episodes: n,
        ep_return: mean(&|e| e.ret),
        ep_length: mean(&|e| e.len as f64),
        success_rate: mean(&|e| if e.success { 1.0 } else { 0.0 }),
        components: comps
            .iter()
            .map(|(k, &(s, c))| (k.clone(), s / c.max(1) as f64))
            .collect(),
        stats,
        steps_per_s: ppo.steps_per_iteration() as f64 / secs.max(1e-9),
        clip_s: None,
        eval: None,
        wall_s,
    }
}

/// Write a checkpoint atomically: a temp directory renamed into place, then `latest`.
/// `times`: wall-clock and CLIP seconds of the run so far.
fn checkpoint(
    dir: &Path,
    ppo: &dyn Learner,
    drv: &EnvDriver,
    (wall_s, clip_s): (f64, f64),
    recent_returns: &std::collections::VecDeque<f64>,
) -> Result<(), RunError> {
    let ck = dir.join("checkpoints");
    std::fs::create_dir_all(&ck).map_err(RunError::io("creating", &ck))?;
    let name = format!("update-{:06}", ppo.update());
    let tmp = ck.join(format!(".tmp-{name}"));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(RunError::io("removing", &tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(RunError::io("creating", &tmp))?;
    ppo.save(&tmp)?;
    let write = |file: &str, bytes: &[u8]| {
        let path = tmp.join(file);
        std::fs::write(&path, bytes).map_err(RunError::io("writing", path))
    };
    let state = bincode::serde::encode_to_vec(drv.save()?, bincode::config::standard())
        .map_err(RunError::encode(tmp.join("driver.bin")))?;
    write("driver.bin", &state)?;
    let actor =
        serde_json::to_vec(&ppo.actor()).map_err(RunError::encode(tmp.join("actor.json")))?;
    write("actor.json", &actor)?;
    let meta = CheckpointMeta {
        update: ppo.update(),
        global_step: ppo.global_step(),
        wall_s,
        clip_s,
        recent_returns: recent_returns.iter().copied().collect(),
    };
    let json = serde_json::to_vec_pretty(&meta).map_err(RunError::encode(tmp.join("meta.json")))?;
    write("meta.json", &json)?;
    let dst = ck.join(&name);
    if dst.exists() {
        std::fs::remove_dir_all(&dst).map_err(RunError::io("removing", &dst))?;
    }
    std::fs::rename(&tmp, &dst).map_err(|source| RunError::Rename {
        path: tmp.clone(),
        source,
    })?;
    write_atomic(&ck.join("latest"), name.as_bytes())?;
    // Keep the three newest checkpoints.
    let mut old: Vec<PathBuf> = std::fs::read_dir(&ck)
        .map_err(RunError::io("listing", &ck))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_dir()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("update-"))
        })
        .collect();
    old.sort();
    let keep = 3;
    if old.len() > keep {
        for p in &old[..old.len() - keep] {
            std::fs::remove_dir_all(p).map_err(RunError::io("removing", p))?;
        }
    }
    Ok(())
}

/// Load the deterministic policy of a run's latest checkpoint, or of a checkpoint
/// directory itself (one holding `actor.json`, such as `checkpoints/best`).
pub fn load_actor(dir: &Path) -> Result<Actor, RunError> {
    let ck = if dir.join("actor.json").is_file() {
        dir.to_path_buf()
    } else {
        latest_checkpoint(dir).ok_or_else(|| RunError::NoCheckpoint {
            dir: dir.to_path_buf(),
        })?
    };
    read_json(&ck.join("actor.json"))
}

/// [`load_actor`], checked to read `env`'s observations (a run of another env fails).
pub fn load_actor_for(dir: &Path, env: &Env) -> Result<Actor, RunError> {
    let actor = load_actor(dir)?;
    let obs = env.compiled().obs_dim();
    if actor.net.in_dim() != obs {
        return Err(RunError::ObsMismatch {
            dir: dir.to_path_buf(),
            policy_obs: actor.net.in_dim(),
            env: env.compiled().spec.name.clone(),
            env_obs: obs,
        });
    }
    if let Some(message) = actor.mismatch(&env.compiled().action_space) {
        return Err(RunError::ActionMismatch {
            dir: dir.to_path_buf(),
            message,
        });
    }
    Ok(actor)
}

/// Run `episodes` episodes (env `i` seeded `seed + i`, one episode each) with the mean
/// action and report return, success and length.
pub fn evaluate(
    cfg: &RunConfig,
    actor: &Actor,
    episodes: usize,
    seed: u64,
) -> Result<EvalResult, RunError> {
    let episodes = episodes.max(1);
    let mut drv = driver(cfg, episodes, seed)?;
    let d = drv.obs_dim();
    let space = drv.venv.compiled().action_space.clone();
    let mut result: Vec<Option<Episode>> = vec![None; episodes];
    while result.iter().any(Option::is_none) {
        let act = actor.act(&drv.obs, d, &space);
        drv.step(&act).map_err(RunError::Evaluation)?;
        for e in drv.take_stats().0 {
            result[e.env].get_or_insert(e);
        }
    }
    let eps: Vec<Episode> = result.into_iter().flatten().collect();
    let n = eps.len() as f64;
    let mean_return = eps.iter().map(|e| e.ret).sum::<f64>() / n;
    let var = eps
        .iter()
        .map(|e| (e.ret - mean_return).powi(2))
        .sum::<f64>()
        / n;
    Ok(EvalResult {
        episodes: eps.len(),
        mean_return,
        std_return: var.sqrt(),
        success_rate: eps.iter().filter(|e| e.success).count() as f64 / n,
        mean_length: eps.iter().map(|e| e.len as f64).sum::<f64>() / n,
        seed,
    })
}

/// FNV-1a over the policy's serialized weights.
pub fn policy_hash(actor: &Actor) -> String {
    let bytes = serde_json::to_vec(actor).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
