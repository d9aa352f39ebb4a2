//! The training loop: set up (or resume) a run directory, then update → log → evaluate
//! the best policy → checkpoint → video, until the run is done or its return target is
//! met; then evaluate the final policy and write the summary and curves.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Instant;

use crate::fs::write_atomic;
use crate::rl::{Actor, Episode, Learner};
use crate::run::checkpoint::{self, Resumed};
use crate::run::eval::{FINAL_EVAL_SEED, VIDEO_SEED, evaluate};
use crate::run::lock::RunLock;
use crate::run::metrics::{MetricsLog, truncate_metrics};
use crate::run::setup::{driver, learner};
use crate::run::{
    BEST_EVAL_SEED, BestPolicy, Metrics, RETURN_WINDOW, ReturnReached, RunConfig, RunError,
    Summary, plot, policy_hash, video,
};

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

/// Train (or resume) the run in `dir`. Returns the summary, or `None` when stopped
/// early by `stop_after`. `on_update` sees every metrics line.
pub fn train(
    cfg: &RunConfig,
    dir: &Path,
    opts: &TrainOptions,
    mut on_update: impl FnMut(&Metrics),
) -> Result<Option<Summary>, RunError> {
    cfg.validate()?;
    let shape = cfg.shape();
    let start = Instant::now();
    // The lock first: a second process on the directory stops before any work.
    if !opts.resume {
        std::fs::create_dir_all(dir).map_err(RunError::io("creating", dir))?;
    }
    let _lock = RunLock::acquire(dir)?;
    let mut drv = driver(cfg, shape.n_envs, cfg.seed)?;
    let mut learner = learner(cfg, &drv)?;
    let metrics_path = dir.join("metrics.jsonl");
    let before = if opts.resume {
        let r = checkpoint::restore(dir, learner.as_mut(), &mut drv)?;
        truncate_metrics(&metrics_path, learner.update())?;
        r
    } else {
        create_run_dir(cfg, dir)?;
        Resumed {
            wall_s: 0.0,
            clip_s: 0.0,
            recent_returns: Vec::new(),
            best: None,
        }
    };
    let mut log = MetricsLog::open(dir)?;
    let mut returns = ReturnWindow::new(cfg.stop_return, before.recent_returns);
    let mut best = before.best;
    let wall = |start: &Instant| before.wall_s + start.elapsed().as_secs_f64();
    let mut reached = None;
    while !learner.done() && reached.is_none() {
        if opts.stop_after.is_some_and(|s| learner.update() >= s) {
            return Ok(None);
        }
        let t = Instant::now();
        let clip_before = drv.clip_seconds();
        let stats = learner.iterate(&mut drv).map_err(|e| RunError::Update {
            update: learner.update() + 1,
            source: Box::new(e),
        })?;
        drv.end_update();
        let (eps, comps) = drv.take_stats();
        reached = returns.push(&eps, learner.as_ref(), wall(&start));
        let secs = t.elapsed().as_secs_f64();
        let mut m = Metrics::from_update(learner.as_ref(), &eps, &comps, stats, secs, wall(&start));
        m.clip_s = cfg.clip.is_some().then(|| drv.clip_seconds() - clip_before);
        let every = shape.eval_every;
        if every > 0 && (learner.update().is_multiple_of(every) || learner.done()) {
            let (eval, kept) = evaluate_best(cfg, dir, learner.as_ref(), best.take())?;
            best = Some(kept);
            m.eval = Some(eval);
        }
        log.append(&m)?;
        on_update(&m);
        let update = learner.update();
        if update.is_multiple_of(shape.checkpoint_every.max(1))
            || learner.done()
            || reached.is_some()
        {
            let times = (wall(&start), before.clip_s + drv.clip_seconds());
            checkpoint::write(dir, learner.as_ref(), &drv, times, returns.recent())?;
        }
        if let Some(k) = opts.video_every
            && update.is_multiple_of(k.max(1))
            && !learner.done()
        {
            training_video(cfg, dir, &learner.actor(), &format!("update-{update:06}"));
        }
    }
    let train_wall = wall(&start);
    let actor = learner.actor();
    if opts.video_every.is_some() {
        training_video(cfg, dir, &actor, "final");
    }
    let eval = evaluate(cfg, &actor, shape.eval_episodes, cfg.seed + FINAL_EVAL_SEED)?;
    let summary = Summary {
        steps: learner.global_step(),
        updates: learner.update(),
        wall_s: train_wall,
        eval,
        policy_hash: policy_hash(&actor),
        clip_s: cfg
            .clip
            .is_some()
            .then(|| before.clip_s + drv.clip_seconds()),
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

/// Start a new run in `dir`: `config.toml`, copies of the programs, an empty
/// `metrics.jsonl`. A directory that already holds a run is refused.
fn create_run_dir(cfg: &RunConfig, dir: &Path) -> Result<(), RunError> {
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
    let reward_name = if crate::reward::is_reward_file(&cfg.reward) {
        "reward.toml"
    } else {
        "reward.luau"
    };
    for (src, name) in [(&cfg.reward, reward_name), (&cfg.success, "success.luau")] {
        let text = std::fs::read(src).map_err(RunError::io("reading", src))?;
        write_atomic(&programs.join(name), &text)?;
    }
    write_atomic(&dir.join("metrics.jsonl"), b"")?;
    Ok(())
}

/// Evaluate the learner's deterministic policy on the best-policy seeds and keep it in
/// `checkpoints/best` if it beats `best`. Returns the evaluation and the best policy
/// after it.
fn evaluate_best(
    cfg: &RunConfig,
    dir: &Path,
    learner: &dyn Learner,
    best: Option<BestPolicy>,
) -> Result<(crate::run::EvalResult, BestPolicy), RunError> {
    let actor = learner.actor();
    let episodes = cfg.shape().eval_episodes;
    let eval = evaluate(cfg, &actor, episodes, cfg.seed + BEST_EVAL_SEED)?;
    let found = BestPolicy {
        update: learner.update(),
        global_step: learner.global_step(),
        eval: eval.clone(),
    };
    match best {
        Some(b) if !found.beats(&b) => Ok((eval, b)),
        _ => {
            checkpoint::write_best(dir, &actor, &found)?;
            Ok((eval, found))
        }
    }
}

/// The returns of the last [`RETURN_WINDOW`] training episodes, and the
/// `--stop-return` threshold their mean is checked against.
struct ReturnWindow {
    threshold: Option<f64>,
    recent: VecDeque<f64>,
}

impl ReturnWindow {
    fn new(threshold: Option<f64>, recent: Vec<f64>) -> Self {
        let mut r = VecDeque::with_capacity(RETURN_WINDOW);
        r.extend(recent);
        Self {
            threshold,
            recent: r,
        }
    }

    /// Add an update's finished episodes; the point where the window's mean first
    /// reaches the threshold, if it does now.
    fn push(
        &mut self,
        eps: &[Episode],
        learner: &dyn Learner,
        wall_s: f64,
    ) -> Option<ReturnReached> {
        for e in eps {
            if self.recent.len() == RETURN_WINDOW {
                self.recent.pop_front();
            }
            self.recent.push_back(e.ret);
        }
        let threshold = self.threshold?;
        if self.recent.len() < RETURN_WINDOW {
            return None;
        }
        let mean_return = self.recent.iter().sum::<f64>() / RETURN_WINDOW as f64;
        (mean_return >= threshold).then(|| ReturnReached {
            threshold,
            mean_return,
            window: RETURN_WINDOW,
            step: learner.global_step(),
            update: learner.update(),
            wall_s,
        })
    }

    fn recent(&self) -> &VecDeque<f64> {
        &self.recent
    }
}

/// Write `videos/<name>.gif` of one deterministic episode of `actor`.
/// A video is a view of the run, not part of it: one that fails is reported as a
/// warning and training goes on.
fn training_video(cfg: &RunConfig, dir: &Path, actor: &Actor, name: &str) {
    let write = || -> Result<(), RunError> {
        let v = video::record_episode(cfg, actor, cfg.seed + VIDEO_SEED, TRAIN_VIDEO_STEPS)?;
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
