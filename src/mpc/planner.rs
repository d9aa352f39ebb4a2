//! Predictive sampling (Howell et al. 2022, "Predictive Sampling: Real-time Behaviour
//! Synthesis with MuJoCo"; MJPC's sampling planner): keep a nominal control spline;
//! each planning step shift it to the current time, draw N candidate splines by adding
//! Gaussian noise (σ × half each control's range, as MJPC's `AddNoiseToPolicy`) to its
//! knots — candidate 0 keeps the nominal unchanged — roll each out for the horizon on a
//! copy of the current world, score it by the reward program, and adopt the best as the
//! new nominal. The env then takes the nominal's control for the current time.
//!
//! Rollouts run in parallel, one [`Worker`] (an env copy and a reward VM) per rayon
//! thread; each restores the env's snapshot before a candidate, so a candidate's score
//! does not depend on which worker ran it, and the same seed gives the same controls
//! whatever the thread count.
//!
//! A rollout sums the program's reward over the horizon (plus `terminal_weight` × the
//! last reward). Episode truncation is ignored (the planner runs for as long as it is
//! asked); a rollout that *terminates* earns nothing after it, as in the env's own
//! (Gymnasium) semantics, so a program means to the planner what it means to a
//! learner: with positive rewards (alive bonuses, bounded L2R terms) falling forfeits
//! the rest of the horizon; a program of pure costs would rather end early, as a policy
//! trained on it would.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;

use super::MpcError;
use super::config::PlannerConfig;
use super::spline::Spline;
use crate::env::{ActionSpace, BoxSpace, DiscreteSpace, Env, EnvSnapshot};
use crate::reward::{RewardOut, ScriptProgram};

/// One env copy and reward VM that rolls candidates out.
struct Worker {
    env: Env,
    program: ScriptProgram,
    out: RewardOut,
    obs: Vec<f32>,
    control: Vec<f64>,
}

/// What one planning step chose.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStats {
    /// Index of the adopted candidate (0: the nominal stayed best).
    pub best: usize,
    /// Its rollout score.
    pub best_score: f64,
    /// The nominal's (candidate 0's) score.
    pub nominal_score: f64,
}

/// The predictive-sampling controller of one env.
pub struct PredictiveSampling {
    config: PlannerConfig,
    controls: BoxSpace,
    discrete: Option<DiscreteSpace>,
    dt: f64,
    steps: usize,
    nominal: Spline,
    candidates: Vec<Spline>,
    scores: Vec<f64>,
    workers: Vec<Worker>,
    rng: ChaCha8Rng,
    since_plan: usize,
    control: Vec<f64>,
}

impl PredictiveSampling {
    /// A controller for envs like `env`, following `program`, with `workers` parallel
    /// rollout workers (at most one per candidate), its noise drawn from `seed`.
    pub fn new(
        env: &Env,
        program: &ScriptProgram,
        config: PlannerConfig,
        seed: u64,
        workers: usize,
    ) -> Result<Self, MpcError> {
        let c = env.compiled();
        let controls = c.control_space.clone();
        let discrete = match &c.action_space {
            ActionSpace::Box(_) => None,
            ActionSpace::Discrete(d) => Some(d.clone()),
        };
        let dt = c.layout.dt;
        let steps = config.horizon_steps(dt);
        let zero = zero_control(&controls);
        let nominal = Spline::constant(
            &zero,
            config.knots,
            0.0,
            span(steps, dt),
            config.interpolation,
        );
        let n = workers.clamp(1, config.samples);
        let workers = (0..n)
            .map(|_| {
                Ok(Worker {
                    env: env.duplicate()?,
                    program: program.fork()?,
                    out: RewardOut::default(),
                    obs: vec![0.0; c.obs_dim()],
                    control: vec![0.0; controls.dim()],
                })
            })
            .collect::<Result<Vec<_>, MpcError>>()?;
        Ok(Self {
            candidates: vec![nominal.clone(); config.samples],
            scores: vec![0.0; config.samples],
            control: zero,
            config,
            controls,
            discrete,
            dt,
            steps,
            nominal,
            workers,
            rng: ChaCha8Rng::seed_from_u64(seed),
            since_plan: 0,
        })
    }

    /// The settings.
    pub fn config(&self) -> &PlannerConfig {
        &self.config
    }

    /// Control steps of one rollout.
    pub fn horizon_steps(&self) -> usize {
        self.steps
    }

    /// The current nominal plan.
    pub fn nominal(&self) -> &Spline {
        &self.nominal
    }

    /// Follow a new reward program (e.g. reloaded or with new parameters) from the
    /// next planning step on.
    pub fn set_program(&mut self, program: &ScriptProgram) -> Result<(), MpcError> {
        for w in &mut self.workers {
            w.program = program.fork()?;
        }
        Ok(())
    }

    /// Start a new episode: the nominal plan holds the zero control (clamped to each
    /// range), the noise stream is reseeded with `seed`, and the next step plans.
    pub fn reset(&mut self, seed: u64) {
        let zero = zero_control(&self.controls);
        self.nominal = Spline::constant(
            &zero,
            self.config.knots,
            0.0,
            span(self.steps, self.dt),
            self.config.interpolation,
        );
        self.rng = ChaCha8Rng::seed_from_u64(seed);
        self.since_plan = 0;
    }

    /// The action for `env`'s current state: plan (every `replan_every` steps), then the
    /// nominal's control at the current time, as the env's action (a discrete env gets
    /// the index of the nearest choice). Returns the plan's statistics when it planned.
    pub fn act(&mut self, env: &Env) -> Result<(Vec<f64>, Option<PlanStats>), MpcError> {
        let stats = if self.since_plan.is_multiple_of(self.config.replan_every) {
            Some(self.plan(env)?)
        } else {
            None
        };
        self.since_plan += 1;
        let t = env.state().t;
        let mut control = std::mem::take(&mut self.control);
        self.nominal
            .eval(t, &self.controls.low, &self.controls.high, &mut control);
        let action = to_action(self.discrete.as_ref(), &self.controls, &control);
        self.control = control;
        Ok((action, stats))
    }

    /// One planning step from `env`'s current state: shift the nominal, sample,
    /// roll out, adopt the best.
    pub fn plan(&mut self, env: &Env) -> Result<PlanStats, MpcError> {
        let t0 = env.state().t;
        let (low, high) = (&self.controls.low, &self.controls.high);
        self.nominal
            .resample(t0, span(self.steps, self.dt), low, high);
        let dim = self.controls.dim();
        let scale: Vec<f64> = (0..dim)
            .map(|i| self.config.sigma * 0.5 * (high[i] - low[i]))
            .collect();
        for (k, cand) in self.candidates.iter_mut().enumerate() {
            cand.copy_from(&self.nominal);
            if k == 0 {
                continue;
            }
            for (j, v) in cand.values_mut().iter_mut().enumerate() {
                let i = j % dim;
                let z: f64 = self.rng.sample(StandardNormal);
                *v = (*v + scale[i] * z).clamp(low[i], high[i]);
            }
        }
        let snap = env.snapshot()?;
        let n_workers = self.workers.len();
        let ctx = Rollout {
            snap: &snap,
            candidates: &self.candidates,
            controls: &self.controls,
            discrete: self.discrete.as_ref(),
            steps: self.steps,
            terminal_weight: self.config.terminal_weight,
        };
        let per_worker: Vec<Result<Vec<(usize, f64)>, MpcError>> = if n_workers == 1 {
            vec![ctx.run(&mut self.workers[0], 0, 1)]
        } else {
            self.workers
                .par_iter_mut()
                .enumerate()
                .map(|(w, worker)| ctx.run(worker, w, n_workers))
                .collect()
        };
        for r in per_worker {
            for (k, score) in r? {
                self.scores[k] = score;
            }
        }
        // The first best on ties, so the nominal wins unless beaten.
        let mut best = 0;
        for (k, &s) in self.scores.iter().enumerate() {
            if s > self.scores[best] {
                best = k;
            }
        }
        self.nominal.copy_from(&self.candidates[best]);
        Ok(PlanStats {
            best,
            best_score: self.scores[best],
            nominal_score: self.scores[0],
        })
    }
}

/// What every rollout of one planning step shares.
struct Rollout<'a> {
    snap: &'a EnvSnapshot,
    candidates: &'a [Spline],
    controls: &'a BoxSpace,
    discrete: Option<&'a DiscreteSpace>,
    steps: usize,
    terminal_weight: f64,
}

impl Rollout<'_> {
    /// Roll out candidates `first, first + stride, …` on `w`; their scores.
    fn run(
        &self,
        w: &mut Worker,
        first: usize,
        stride: usize,
    ) -> Result<Vec<(usize, f64)>, MpcError> {
        (first..self.candidates.len())
            .step_by(stride)
            .map(|k| Ok((k, self.score(w, &self.candidates[k])?)))
            .collect()
    }

    /// The candidate's summed reward from the snapshot over the horizon.
    fn score(&self, w: &mut Worker, plan: &Spline) -> Result<f64, MpcError> {
        w.env.restore(self.snap)?;
        let t0 = w.env.state().t;
        let dt = w.env.compiled().layout.dt;
        let mut total = 0.0;
        let mut last = 0.0;
        for k in 0..self.steps {
            plan.eval(
                t0 + k as f64 * dt,
                &self.controls.low,
                &self.controls.high,
                &mut w.control,
            );
            let action = to_action(self.discrete, self.controls, &w.control);
            let flags = w.env.step_into(&action, &mut w.obs)?;
            w.program.reward_into(w.env.state(), &mut w.out)?;
            last = w.out.total;
            total += last;
            if flags.terminated {
                break;
            }
        }
        Ok(total + self.terminal_weight * last)
    }
}

/// Time from the first knot to the last: the horizon's first to last control step.
fn span(steps: usize, dt: f64) -> f64 {
    (steps.saturating_sub(1)) as f64 * dt
}

/// Zero clamped into each control's range: the do-nothing control of most actuators.
fn zero_control(controls: &BoxSpace) -> Vec<f64> {
    controls
        .low
        .iter()
        .zip(&controls.high)
        .map(|(&lo, &hi)| 0.0f64.clamp(lo, hi))
        .collect()
}

/// The env action for a control vector: itself for a Box, the index of the nearest
/// choice (ranges normalised) for a Discrete space.
fn to_action(discrete: Option<&DiscreteSpace>, controls: &BoxSpace, control: &[f64]) -> Vec<f64> {
    let Some(d) = discrete else {
        return control.to_vec();
    };
    let dist = |choice: &[f64]| -> f64 {
        choice
            .iter()
            .zip(control)
            .enumerate()
            .map(|(i, (a, b))| {
                let half = 0.5 * (controls.high[i] - controls.low[i]).max(1e-12);
                ((a - b) / half).powi(2)
            })
            .sum()
    };
    let mut best = 0;
    for (i, c) in d.choices.iter().enumerate() {
        if dist(c) < dist(&d.choices[best]) {
            best = i;
        }
    }
    vec![best as f64]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::AssetRoots;
    use crate::reward::{builtin_path, load_program};
    use std::path::Path;

    #[test]
    fn candidate_zero_is_the_shifted_nominal_and_the_others_are_noisy() {
        let roots = AssetRoots::under(Path::new(env!("CARGO_MANIFEST_DIR")));
        let mut env = Env::load("reacher", &roots).unwrap();
        env.reset(Some(1)).unwrap();
        let program =
            load_program(&builtin_path(&roots, "reacher"), &env.compiled().layout).unwrap();
        let mut p =
            PredictiveSampling::new(&env, &program, PlannerConfig::default(), 3, 2).unwrap();
        let mut obs = vec![0.0; env.compiled().obs_dim()];
        for _ in 0..3 {
            let (a, _) = p.act(&env).unwrap();
            env.step_into(&a, &mut obs).unwrap();
        }
        let mut expected = p.nominal().clone();
        let c = env.compiled().control_space.clone();
        expected.resample(env.state().t, span(p.steps, p.dt), &c.low, &c.high);
        let stats = p.plan(&env).unwrap();
        assert_eq!(p.candidates[0], expected);
        assert!(p.candidates[1..].iter().all(|k| k != &expected));
        assert_eq!(p.nominal(), &p.candidates[stats.best]);
        assert!(stats.best_score >= stats.nominal_score);
    }

    #[test]
    fn discrete_actions_take_the_nearest_choice() {
        let controls = BoxSpace {
            low: vec![-1.0],
            high: vec![1.0],
        };
        let d = DiscreteSpace {
            choices: vec![vec![-1.0], vec![1.0]],
        };
        assert_eq!(to_action(Some(&d), &controls, &[-0.2]), vec![0.0]);
        assert_eq!(to_action(Some(&d), &controls, &[0.3]), vec![1.0]);
        assert_eq!(to_action(None, &controls, &[0.3]), vec![0.3]);
        let two = BoxSpace {
            low: vec![-2.0, 0.0],
            high: vec![2.0, 1.0],
        };
        assert_eq!(zero_control(&two), vec![0.0, 0.0]);
        let off = BoxSpace {
            low: vec![0.5],
            high: vec![1.0],
        };
        assert_eq!(zero_control(&off), vec![0.5]);
    }
}
