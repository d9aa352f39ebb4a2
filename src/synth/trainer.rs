//! Turning one candidate reward program into a fitness: the [`Trainer`] trait,
//! [`TrainTrainer`](super::train_trainer::TrainTrainer) (one `rewardsmith train`
//! subprocess per candidate, the default) and [`PlannerTrainer`], a fast offline
//! evaluator without learning.

use std::path::{Path, PathBuf};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::env::spec::SuccessWhen;
use crate::env::{ActionSpace, AssetRoots, BoxSpace, Env};
use crate::reward::stats::RewardStats;
use crate::reward::{RewardOut, builtin_path, load_program};
use crate::synth::SynthError;

/// What to train: one candidate program for one env, within a step budget.
#[derive(Debug, Clone)]
pub struct CandidateRequest {
    /// Built-in env name or spec path.
    pub env: String,
    /// The candidate's `.luau` file.
    pub program: PathBuf,
    /// Env-step budget of this candidate.
    pub steps: u64,
    /// Seed of the run.
    pub seed: u64,
}

/// One component's statistics over a stretch of training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentPoint {
    /// Component name (`total` for the total).
    pub name: String,
    /// Mean per step.
    pub mean: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
}

/// Metrics at one point of training (Eureka's reward reflection samples ~10 of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurvePoint {
    /// Env steps done at the end of this stretch.
    pub step: u64,
    /// Success rate of the episodes that ended so far (the env's own criterion).
    pub success_rate: f64,
    /// Mean episode return (of the candidate reward) of the episodes ended so far.
    pub mean_return: f64,
    /// Mean episode return of the env's own reward, episodes ended so far (absent when
    /// the trainer does not measure it during training, as `rewardsmith train`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_return: Option<f64>,
    /// Mean episode length of the episodes ended so far.
    pub episode_length: f64,
    /// Each component over this stretch, and `total`.
    pub components: Vec<ComponentPoint>,
}

/// What training one candidate produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateResult {
    /// Which trainer produced it (e.g. `planner`, later `train:ppo`).
    pub trainer: String,
    /// Final success rate by the env's own success criterion: the fitness.
    pub success_rate: f64,
    /// Final mean episode return of the candidate reward.
    pub mean_return: f64,
    /// Mean episode return of the env's own (expert) reward, `rewards.reward` in its
    /// spec: the task score that breaks ties between equal success rates.
    pub task_return: f64,
    /// Mean episode length.
    pub episode_length: f64,
    /// Episodes evaluated.
    pub episodes: u64,
    /// Curves over training, ~10 points.
    pub curves: Vec<CurvePoint>,
    /// The trainer's run directory, when it wrote one.
    pub run_dir: Option<PathBuf>,
}

/// Trains (or evaluates) one candidate.
pub trait Trainer: Send + Sync {
    /// A short name, recorded in every result.
    fn name(&self) -> &str;
    /// Train `req` with `run_dir` as its own run directory (created by the caller).
    /// An error is a failed candidate, reported to the LLM with its message.
    fn train_candidate(
        &self,
        req: &CandidateRequest,
        run_dir: &Path,
    ) -> Result<CandidateResult, SynthError>;
    /// How many candidates may train at once without oversubscribing the cores.
    fn workers(&self) -> usize {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    }
    /// Train every candidate, each in its own run directory (created by the caller);
    /// results in candidate order. By default [`Trainer::workers`] candidates at a time
    /// on threads of this process; a trainer that runs processes hands them all to an
    /// executor at once.
    fn train_candidates(
        &self,
        candidates: &[(CandidateRequest, PathBuf)],
    ) -> Vec<Result<CandidateResult, SynthError>> {
        crate::exec::map_threads(candidates, self.workers(), |(req, run_dir)| {
            self.train_candidate(req, run_dir)
        })
    }
}

/// The fast offline evaluator (`synth --trainer planner`): no learning, but a
/// policy that depends on the candidate reward. At every step it tries a few actions
/// (the action-space centre, each axis at its bounds and half-way, or random ones for
/// wide spaces), holds each for half the `lookahead` on a snapshot of the world, then
/// the best of the same actions for the other half, sums the *candidate* reward until
/// termination, and takes the first action of the best pair (a depth-2 predictive
/// search, as MPC does). A reward that describes the task well then makes the env's success criterion
/// hold; a misleading one does not. Success is judged by the env's own `success(s)`
/// (spec `rewards.success`), never the candidate's.
#[derive(Debug, Clone)]
pub struct PlannerTrainer {
    /// Asset roots (envs, rewards).
    pub roots: AssetRoots,
    /// Steps looked ahead (two segments of half each).
    pub lookahead: u32,
    /// Most actions tried per step.
    pub max_candidates: usize,
}

impl PlannerTrainer {
    /// The defaults: lookahead 6 steps (two segments of 3), up to 9 actions per step.
    pub fn new(roots: AssetRoots) -> Self {
        Self {
            roots,
            lookahead: 6,
            max_candidates: 9,
        }
    }
}

/// Number of curve points reported.
pub const CURVE_POINTS: u64 = 10;

impl PlannerTrainer {
    /// Fixed actions for a narrow Box: the centre, then each axis at its bounds and
    /// half-way; empty when there are too many (wide spaces are sampled instead).
    fn probes(&self, space: &BoxSpace) -> Vec<Vec<f64>> {
        if 2 * space.dim() >= self.max_candidates {
            return Vec::new();
        }
        let mid: Vec<f64> = (0..space.dim())
            .map(|i| 0.5 * (space.low[i] + space.high[i]))
            .collect();
        let mut v = vec![mid.clone()];
        for i in 0..space.dim() {
            for b in [
                space.low[i],
                space.high[i],
                0.5 * (space.low[i] + mid[i]),
                0.5 * (space.high[i] + mid[i]),
            ] {
                let mut a = mid.clone();
                a[i] = b;
                v.push(a);
            }
        }
        v.truncate(self.max_candidates.max(1));
        v
    }
}

impl Trainer for PlannerTrainer {
    fn name(&self) -> &str {
        "planner"
    }

    fn train_candidate(
        &self,
        req: &CandidateRequest,
        run_dir: &Path,
    ) -> Result<CandidateResult, SynthError> {
        if req.steps == 0 {
            return Err(SynthError::ZeroSteps);
        }
        let mut env = Env::load(&req.env, &self.roots)?;
        let c = env.compiled().clone();
        let mut program = load_program(&req.program, &c.layout)?;
        let mut task = load_program(
            &builtin_path(&self.roots, &c.spec.rewards.reward),
            &c.layout,
        )?;
        let mut task_out = RewardOut::default();
        let mut judge = load_program(
            &builtin_path(&self.roots, &c.spec.rewards.success),
            &c.layout,
        )?;
        // A Discrete space's actions are all tried (up to `max_candidates`); a Box is
        // probed around its centre, or sampled when it is wide.
        let mut rng = ChaCha8Rng::seed_from_u64(req.seed ^ 0x5eed_91a7);
        let (space, fixed) = match &c.action_space {
            ActionSpace::Discrete(d) => {
                let all = (0..d.n().min(self.max_candidates.max(1)))
                    .map(|i| vec![i as f64])
                    .collect();
                (c.control_space.clone(), all)
            }
            ActionSpace::Box(space) => (space.clone(), self.probes(space)),
        };
        let mid: Vec<f64> = (0..space.dim())
            .map(|i| 0.5 * (space.low[i] + space.high[i]))
            .collect();
        let mut out = RewardOut::default();
        let (mut ep_return, mut ep_task, mut ep_len, mut hit) = (0.0, 0.0, 0u64, false);
        let mut sum_task = 0.0;
        let (mut episodes, mut successes, mut sum_return, mut sum_len) = (0u64, 0u64, 0.0, 0u64);
        let mut stretch = RewardStats::default();
        let mut curves = Vec::new();
        let chunk = req.steps.div_ceil(CURVE_POINTS.min(req.steps));
        env.reset(Some(req.seed))?;
        let success_when = c.spec.rewards.success_when;
        for step in 0..req.steps {
            let tried: Vec<Vec<f64>> = if fixed.is_empty() {
                let mut v = vec![mid.clone()];
                for _ in 1..self.max_candidates {
                    v.push(
                        (0..space.dim())
                            .map(|i| rng.random_range(space.low[i]..=space.high[i]))
                            .collect(),
                    );
                }
                v
            } else {
                fixed.clone()
            };
            let snap = env.snapshot()?;
            let mut best = (f64::NEG_INFINITY, 0usize);
            let seg = (self.lookahead / 2).max(1);
            for (k, a) in tried.iter().enumerate() {
                if k > 0 {
                    env.restore(&snap)?;
                }
                // Two segments: `a` for half the lookahead, then the best of the same
                // actions for the other half (a depth-2 search: enough feedback to
                // catch a falling pole, still cheap).
                let (first, done) = hold(&mut env, &mut program, &mut out, a, seg)?;
                let mut then = 0.0;
                if !done {
                    let mid = env.snapshot()?;
                    then = f64::NEG_INFINITY;
                    for (j, b) in tried.iter().enumerate() {
                        if j > 0 {
                            env.restore(&mid)?;
                        }
                        then = then.max(hold(&mut env, &mut program, &mut out, b, seg)?.0);
                    }
                }
                if first + then > best.0 {
                    best = (first + then, k);
                }
            }
            env.restore(&snap)?;
            let (_, flags) = env.step(&tried[best.1])?;
            program.reward_into(env.state(), &mut out)?;
            stretch.push(&out);
            ep_return += out.total;
            task.reward_into(env.state(), &mut task_out)?;
            ep_task += task_out.total;
            ep_len += 1;
            if let Some(ok) = judge.success(env.state())? {
                match success_when {
                    SuccessWhen::Any => hit |= ok,
                    SuccessWhen::End => hit = ok,
                }
            }
            let last = step + 1 == req.steps;
            if flags.terminated || flags.truncated || (last && episodes == 0) {
                episodes += 1;
                successes += hit as u64;
                sum_return += ep_return;
                sum_task += ep_task;
                sum_len += ep_len;
                (ep_return, ep_task, ep_len, hit) = (0.0, 0.0, 0, false);
                env.reset(None)?;
            }
            if (step + 1) % chunk == 0 || last {
                let per = |x: f64| {
                    if episodes > 0 {
                        x / episodes as f64
                    } else {
                        0.0
                    }
                };
                let mut components: Vec<ComponentPoint> = stretch
                    .components
                    .iter()
                    .chain(stretch.total.iter())
                    .map(|s| ComponentPoint {
                        name: s.name.clone(),
                        mean: s.mean,
                        min: s.min,
                        max: s.max,
                    })
                    .collect();
                components.dedup_by(|a, b| a.name == b.name);
                curves.push(CurvePoint {
                    step: step + 1,
                    success_rate: per(successes as f64),
                    mean_return: per(sum_return),
                    task_return: Some(per(sum_task)),
                    episode_length: per(sum_len as f64),
                    components,
                });
                stretch = RewardStats::default();
            }
        }
        let per = |x: f64| x / episodes.max(1) as f64;
        let result = CandidateResult {
            trainer: self.name().to_string(),
            success_rate: per(successes as f64),
            mean_return: per(sum_return),
            task_return: per(sum_task),
            episode_length: per(sum_len as f64),
            episodes,
            curves,
            run_dir: Some(run_dir.to_path_buf()),
        };
        Ok(result)
    }
}

/// Apply `a` for up to `n` steps; the summed candidate reward and whether the episode
/// ended.
fn hold(
    env: &mut Env,
    program: &mut crate::reward::ScriptProgram,
    out: &mut RewardOut,
    a: &[f64],
    n: u32,
) -> Result<(f64, bool), SynthError> {
    let mut score = 0.0;
    for _ in 0..n {
        let (_, f) = env.step(a)?;
        program.reward_into(env.state(), out)?;
        score += out.total;
        if f.terminated || f.truncated {
            return Ok((score, true));
        }
    }
    Ok((score, false))
}
