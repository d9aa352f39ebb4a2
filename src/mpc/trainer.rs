//! The predictive-sampling controller as synth's fast offline trainer (`synth
//! --trainer planner`): no learning, but behaviour that follows the candidate reward,
//! so a reward that describes the task makes the env's success criterion hold and a
//! misleading one does not. Success is judged by the env's own `success(s)`.

use std::path::Path;

use crate::env::spec::SuccessWhen;
use crate::env::{AssetRoots, Env, EnvSpec};
use crate::mpc::config::{MpcOverrides, PlannerConfig};
use crate::mpc::planner::PredictiveSampling;
use crate::reward::stats::RewardStats;
use crate::reward::{RewardOut, builtin_path, load_program};
use crate::synth::SynthError;
use crate::synth::trainer::{
    CURVE_POINTS, CandidateRequest, CandidateResult, ComponentPoint, CurvePoint, Trainer,
};

/// Runs each candidate's reward under predictive sampling for the step budget,
/// episode after episode, with the env's `[mpc]` settings (or the planner defaults when
/// its spec has none).
#[derive(Debug, Clone)]
pub struct PlannerTrainer {
    /// Asset roots (envs, rewards).
    pub roots: AssetRoots,
}

impl PlannerTrainer {
    /// A trainer over the envs and rewards in `roots`.
    pub fn new(roots: AssetRoots) -> Self {
        Self { roots }
    }
}

/// Running sums of the episodes ended so far.
#[derive(Default)]
struct Tally {
    episodes: u64,
    successes: u64,
    ret: f64,
    task: f64,
    len: u64,
}

impl Tally {
    fn per(&self, x: f64) -> f64 {
        x / self.episodes.max(1) as f64
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
        let file = self.roots.resolve_env(&req.env)?;
        let spec = EnvSpec::from_file(&file)?;
        let config = PlannerConfig::resolve(
            &spec.mpc.clone().unwrap_or_default(),
            &MpcOverrides::default(),
            &file.display().to_string(),
        )?;
        let mut env = Env::from_spec(spec, &file, &self.roots)?;
        let c = env.compiled().clone();
        let mut program = load_program(&req.program, &c.layout)?;
        let mut task = load_program(
            &builtin_path(&self.roots, &c.spec.rewards.reward),
            &c.layout,
        )?;
        let mut judge = load_program(
            &builtin_path(&self.roots, &c.spec.rewards.success),
            &c.layout,
        )?;
        // Candidates already train in parallel (one per core): one worker each.
        let mut planner = PredictiveSampling::new(&env, &program, config, req.seed, 1)?;
        let (mut out, mut task_out) = (RewardOut::default(), RewardOut::default());
        let mut obs = vec![0.0f32; c.obs_dim()];
        let (mut ep_return, mut ep_task, mut ep_len, mut hit) = (0.0, 0.0, 0u64, false);
        let mut tally = Tally::default();
        let mut stretch = RewardStats::default();
        let mut curves = Vec::new();
        let chunk = req.steps.div_ceil(CURVE_POINTS.min(req.steps));
        let mut episode_seed = req.seed;
        env.reset(Some(episode_seed))?;
        planner.reset(episode_seed);
        for step in 0..req.steps {
            let (action, _) = planner.act(&env)?;
            let flags = env.step_into(&action, &mut obs)?;
            program.reward_into(env.state(), &mut out)?;
            stretch.push(&out);
            ep_return += out.total;
            task.reward_into(env.state(), &mut task_out)?;
            ep_task += task_out.total;
            ep_len += 1;
            if let Some(ok) = judge.success(env.state())? {
                match c.spec.rewards.success_when {
                    SuccessWhen::Any => hit |= ok,
                    SuccessWhen::End => hit = ok,
                }
            }
            let last = step + 1 == req.steps;
            if flags.terminated || flags.truncated || (last && tally.episodes == 0) {
                tally.episodes += 1;
                tally.successes += u64::from(hit);
                tally.ret += ep_return;
                tally.task += ep_task;
                tally.len += ep_len;
                (ep_return, ep_task, ep_len, hit) = (0.0, 0.0, 0, false);
                episode_seed += 1;
                env.reset(Some(episode_seed))?;
                planner.reset(episode_seed);
            }
            if (step + 1) % chunk == 0 || last {
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
                    success_rate: tally.per(tally.successes as f64),
                    mean_return: tally.per(tally.ret),
                    task_return: Some(tally.per(tally.task)),
                    episode_length: tally.per(tally.len as f64),
                    components,
                });
                stretch = RewardStats::default();
            }
        }
        Ok(CandidateResult {
            trainer: self.name().to_string(),
            success_rate: tally.per(tally.successes as f64),
            mean_return: tally.per(tally.ret),
            task_return: tally.per(tally.task),
            episode_length: tally.per(tally.len as f64),
            episodes: tally.episodes,
            curves,
            run_dir: Some(run_dir.to_path_buf()),
        })
    }
}
