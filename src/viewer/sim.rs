//! One simulated world the viewer shows: an env, the policy acting in it, the reward
//! program scoring it and the episode's running statistics (no bevy here).

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::ViewerError;
use super::reload::{Reload, WatchedProgram};
use crate::env::{AssetRoots, Env};
use crate::error::Chain;
use crate::mpc::{MpcError, MpcOverrides, PlannerConfig, PredictiveSampling};
use crate::reward::clip::ClipTerm;
use crate::reward::{Params, RewardOut, ScriptProgram, builtin_path, load_program};
use crate::rl::Actor;
use crate::rl::driver::CLIP_COMPONENT;
use crate::run::clip::ClipConfig;

/// What chooses the actions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicySpec {
    /// Uniform random actions from the env's seeded stream.
    Random,
    /// All-zero actions.
    Zero,
    /// The deterministic policy of a training run's latest checkpoint.
    Run(PathBuf),
    /// The predictive-sampling controller following the reward program (the env's
    /// `[mpc]` settings), replanning on every change of the program or parameters.
    Mpc,
}

/// Everything needed to build one [`Sim`].
#[derive(Debug, Clone)]
pub struct SimSpec {
    /// Shown on the viewport and in the overlay.
    pub label: String,
    /// Built-in env name or spec path.
    pub env: String,
    /// The policy.
    pub policy: PolicySpec,
    /// Reward program; `None` means the env's own.
    pub reward: Option<PathBuf>,
    /// A CLIP reward term added to the program's as the component `clip`.
    pub clip: Option<ClipConfig>,
    /// Reward parameter overrides (`--param`), over the file's.
    pub params: Params,
    /// A JSON file of reward parameters (`--params`), reloaded when it changes.
    pub params_file: Option<PathBuf>,
}

enum Policy {
    Random,
    Zero,
    Run(Box<Actor>),
    Mpc(Box<PredictiveSampling>),
}

/// The `--params` file and its last seen modification time and size.
struct ParamsFile {
    path: PathBuf,
    stamp: Option<(SystemTime, u64)>,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// Reward total and components of every step of the current episode, for the plot.
#[derive(Debug, Clone, Default)]
pub struct History {
    /// Total reward per step.
    pub total: Vec<f64>,
    /// Per named component, its value per step (NaN where a step lacked it).
    pub components: Vec<(String, Vec<f64>)>,
}

impl History {
    /// Append one step.
    pub fn push(&mut self, r: &RewardOut) {
        let n = self.total.len();
        self.total.push(r.total);
        for (name, v) in &r.components {
            match self.components.iter_mut().find(|(c, _)| c == name) {
                Some((_, series)) => series.push(*v),
                None => {
                    let mut series = vec![f64::NAN; n];
                    series.push(*v);
                    self.components.push((name.clone(), series));
                }
            }
        }
        for (_, series) in &mut self.components {
            series.resize(n + 1, f64::NAN);
        }
    }

    /// Number of steps recorded.
    pub fn len(&self) -> usize {
        self.total.len()
    }

    /// Whether no step is recorded.
    pub fn is_empty(&self) -> bool {
        self.total.is_empty()
    }
}

/// Running statistics of the current episode.
#[derive(Debug, Clone, Default)]
pub struct EpisodeStats {
    /// Episodes ended so far.
    pub episode: u64,
    /// Steps of this episode.
    pub step: u64,
    /// Sum of rewards this episode.
    pub ret: f64,
    /// Success predicate of the latest state (`None`: no predicate).
    pub success: Option<bool>,
    /// Whether any state of this episode was a success.
    pub any_success: bool,
    /// The latest reward.
    pub last: RewardOut,
    /// Rewards of this episode.
    pub history: History,
    /// Return of the previous episode.
    pub prev_return: Option<f64>,
}

/// One env with its policy and reward.
pub struct Sim {
    label: String,
    env: Env,
    policy: Policy,
    reward: WatchedProgram,
    clip: Option<ClipTerm>,
    success: Option<ScriptProgram>,
    obs: Vec<f32>,
    stats: EpisodeStats,
    runtime_error: Option<String>,
    params: Params,
    params_file: Option<ParamsFile>,
}

impl Sim {
    /// Load the env, policy and reward of `spec` and reset with `seed`.
    pub fn new(spec: &SimSpec, roots: &AssetRoots, seed: u64) -> Result<Self, ViewerError> {
        let mut env = Env::load(&spec.env, roots)?;
        let c = env.compiled().clone();
        let mpc_table = c.spec.mpc.as_ref().and_then(|m| m.program.clone());
        let default_program = match (&spec.policy, mpc_table) {
            (PolicySpec::Mpc, Some(stem)) => stem,
            _ => c.spec.rewards.reward.clone(),
        };
        let reward_path = spec
            .reward
            .clone()
            .unwrap_or_else(|| builtin_path(roots, &default_program));
        let mut params = spec.params.clone();
        let params_file = match &spec.params_file {
            Some(path) => {
                let mut p = Params::from_json_file(path).map_err(MpcError::from)?;
                p.extend(&spec.params);
                params = p;
                Some(ParamsFile {
                    path: path.clone(),
                    stamp: stamp(path),
                })
            }
            None => None,
        };
        let mut reward = WatchedProgram::load_with_params(&reward_path, &c.layout, params);
        if let Some(e) = reward.error() {
            eprintln!("reward program error: {e}");
        }
        let policy = match &spec.policy {
            PolicySpec::Random => Policy::Random,
            PolicySpec::Zero => Policy::Zero,
            PolicySpec::Run(dir) => Policy::Run(Box::new(
                crate::run::load_actor_for(dir, &env).map_err(|e| ViewerError::Policy {
                    dir: dir.clone(),
                    message: Chain(&e).to_string(),
                })?,
            )),
            PolicySpec::Mpc => {
                let file = roots.resolve_env(&spec.env)?;
                let Some(table) = &c.spec.mpc else {
                    return Err(MpcError::NoMpcTable { file }.into());
                };
                let config = PlannerConfig::resolve(
                    table,
                    &MpcOverrides::default(),
                    &file.display().to_string(),
                )?;
                let Some(program) = reward.program_mut() else {
                    return Err(ViewerError::Usage(format!(
                        "--mpc needs a reward program that compiles: {}",
                        reward.error().unwrap_or("no program")
                    )));
                };
                let mut planner = PredictiveSampling::new(
                    &env,
                    program,
                    config,
                    seed,
                    rayon::current_num_threads(),
                )?;
                planner.reset(seed);
                Policy::Mpc(Box::new(planner))
            }
        };
        // The env's own success predicate, for programs that define none.
        let success = load_program(&builtin_path(roots, &c.spec.rewards.success), &c.layout)
            .ok()
            .filter(ScriptProgram::has_success);
        let obs = env.reset(Some(seed))?;
        let clip = match &spec.clip {
            Some(c) => Some(
                c.term(&env, 1)
                    .map_err(|e| ViewerError::Clip(Chain(&e).to_string()))?,
            ),
            None => None,
        };
        let mut sim = Self {
            label: spec.label.clone(),
            env,
            policy,
            reward,
            clip,
            success,
            obs,
            stats: EpisodeStats::default(),
            runtime_error: None,
            params: spec.params.clone(),
            params_file,
        };
        sim.score_success();
        Ok(sim)
    }

    /// The label of this world.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The env (its world, spec and State).
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The current episode's statistics.
    pub fn stats(&self) -> &EpisodeStats {
        &self.stats
    }

    /// The reward program file.
    pub fn reward_path(&self) -> &Path {
        self.reward.path()
    }

    /// The error to show: the reward program's compile error, else the latest runtime
    /// error of a reward call.
    pub fn error(&self) -> Option<&str> {
        self.reward.error().or(self.runtime_error.as_deref())
    }

    /// Start a new episode from `seed`.
    pub fn reset(&mut self, seed: u64) -> Result<(), ViewerError> {
        self.obs = self.env.reset(Some(seed))?;
        if let Policy::Mpc(p) = &mut self.policy {
            p.reset(seed);
        }
        self.new_episode(None);
        Ok(())
    }

    fn new_episode(&mut self, prev_return: Option<f64>) {
        let episode = self.stats.episode + u64::from(prev_return.is_some());
        self.stats = EpisodeStats {
            episode,
            prev_return: prev_return.or(self.stats.prev_return),
            ..EpisodeStats::default()
        };
        self.score_success();
    }

    fn score_success(&mut self) {
        let s = self.env.state();
        let own = self
            .reward
            .program_mut()
            .and_then(|p| p.success(s).ok().flatten());
        self.stats.success = own.or_else(|| {
            self.success
                .as_mut()
                .and_then(|p| p.success(s).ok().flatten())
        });
        self.stats.any_success |= self.stats.success == Some(true);
    }

    /// Recompile the reward program if its file changed; a change restarts the plot
    /// and the return. Returns what happened, if anything.
    pub fn poll_reward(&mut self) -> Option<Reload> {
        let layout = self.env.compiled().layout.clone();
        let r = match self.poll_params() {
            Some(r) => r,
            None => self.reward.poll(&layout)?,
        };
        match &r {
            Reload::Compiled => {
                self.runtime_error = None;
                eprintln!("reloaded {}", self.reward.path().display());
                if let (Policy::Mpc(planner), Some(program)) =
                    (&mut self.policy, self.reward.program_mut())
                    && let Err(e) = planner.set_program(program)
                {
                    self.runtime_error = Some(format!("controller: {}", Chain(&e)));
                }
            }
            Reload::Failed(e) => eprintln!("reward program error (keeping the last good one): {e}"),
        }
        self.stats.history = History::default();
        self.stats.ret = 0.0;
        Some(r)
    }

    /// Re-read the `--params` file if it changed and apply it (under the `--param`
    /// overrides) to the program.
    fn poll_params(&mut self) -> Option<Reload> {
        let f = self.params_file.as_mut()?;
        let now = stamp(&f.path);
        if now == f.stamp {
            return None;
        }
        f.stamp = now;
        let path = f.path.clone();
        let r = match Params::from_json_file(&path) {
            Ok(mut p) => {
                p.extend(&self.params);
                self.reward.set_params(p)
            }
            Err(e) => Reload::Failed(e.to_string()),
        };
        eprintln!("reloaded {}", path.display());
        Some(r)
    }

    /// One control step: act, step the env, score the new state. An ended episode
    /// resets (continuing the env's seed stream).
    pub fn step(&mut self) -> Result<(), ViewerError> {
        let c = self.env.compiled().clone();
        let space = &c.action_space;
        let action = match &mut self.policy {
            Policy::Random => self.env.sample_action(),
            Policy::Zero => vec![0.0; space.dim()],
            Policy::Run(a) => a.act(&self.obs, self.obs.len(), space),
            // A failing plan (a reward error in a rollout) shows its error and holds
            // the zero action until the program is fixed.
            Policy::Mpc(p) => match p.act(&self.env) {
                Ok((a, _)) => a,
                Err(e) => {
                    let msg = format!("controller: {}", Chain(&e));
                    if self.runtime_error.as_deref() != Some(msg.as_str()) {
                        eprintln!("{msg}");
                    }
                    self.runtime_error = Some(msg);
                    vec![0.0; space.dim()]
                }
            },
        };
        let (obs, flags) = self.env.step(&action)?;
        self.obs = obs;
        let mut out = RewardOut::default();
        if let Some(p) = self.reward.program_mut() {
            match p.reward_into(self.env.state(), &mut out) {
                Ok(()) => self.runtime_error = None,
                Err(e) => {
                    let msg = e.to_string();
                    if self.runtime_error.as_deref() != Some(msg.as_str()) {
                        eprintln!("reward program error: {msg}");
                    }
                    self.runtime_error = Some(msg);
                    out = RewardOut::default();
                }
            }
        }
        if let Some(c) = &mut self.clip {
            let ended = [flags.terminated || flags.truncated];
            match c.step(std::slice::from_ref(self.env.state()), &ended) {
                Ok(t) if out.add_component(CLIP_COMPONENT, t[0]) => {}
                Ok(_) => {
                    self.runtime_error = Some(format!(
                        "the reward program returns a component named `{CLIP_COMPONENT}`, which the CLIP term uses; rename it"
                    ));
                }
                Err(e) => self.runtime_error = Some(format!("CLIP reward: {e}")),
            }
        }
        self.stats.step += 1;
        self.stats.ret += out.total;
        self.stats.history.push(&out);
        self.stats.last = out;
        self.score_success();
        if flags.terminated || flags.truncated {
            self.obs = self.env.reset(None)?;
            if let Policy::Mpc(p) = &mut self.policy {
                p.reset(self.stats.episode + 1);
            }
            let ret = self.stats.ret;
            self.new_episode(Some(ret));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(reward: Option<PathBuf>) -> SimSpec {
        SimSpec {
            label: "t".into(),
            env: "cartpole".into(),
            policy: PolicySpec::Zero,
            reward,
            clip: None,
            params: Params::new(),
            params_file: None,
        }
    }

    fn roots() -> AssetRoots {
        AssetRoots::under(Path::new(env!("CARGO_MANIFEST_DIR")))
    }

    #[test]
    fn steps_score_and_record_history() {
        let mut sim = Sim::new(&spec(None), &roots(), 3).expect("sim");
        for _ in 0..5 {
            sim.step().expect("step");
        }
        let st = sim.stats();
        assert_eq!(st.step, 5);
        assert_eq!(st.history.len(), 5);
        assert!(st.ret.is_finite() && st.ret != 0.0);
        assert!(!st.last.components.is_empty());
        for (_, series) in &st.history.components {
            assert_eq!(series.len(), 5);
        }
        assert!(sim.error().is_none());
        sim.reset(4).expect("reset");
        assert_eq!(sim.stats().step, 0);
        assert!(sim.stats().history.is_empty());
    }

    #[test]
    fn broken_program_is_shown_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.luau");
        std::fs::write(&path, "function reward(s) return s.body('nope').pos.z end").expect("w");
        let mut sim = Sim::new(&spec(Some(path)), &roots(), 0).expect("sim");
        let err = sim.error().expect("an error").to_string();
        assert!(err.contains("nope"), "{err}");
        sim.step().expect("keeps stepping");
        assert_eq!(sim.stats().last.total, 0.0);
    }

    #[test]
    fn the_controller_acts_and_follows_parameter_file_changes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let program = dir.path().join("reach.luau");
        std::fs::write(
            &program,
            "params = { w = 1.0 }\nfunction reward(s)\n  return { reach = s.param.w * l2_distance(\"fingertip\", s.task.target) }\nend\n",
        )
        .expect("write");
        let file = dir.path().join("p.json");
        std::fs::write(&file, r#"{"w": 1.0}"#).expect("write");
        let spec = SimSpec {
            env: "reacher".into(),
            policy: PolicySpec::Mpc,
            params_file: Some(file.clone()),
            ..spec(Some(program))
        };
        let mut sim = Sim::new(&spec, &roots(), 2).expect("sim");
        for _ in 0..45 {
            sim.step().expect("step");
        }
        let s = sim.env().state();
        let tip = s.body("fingertip").expect("fingertip").pos;
        let target = s.task_param("target").expect("target");
        let d = ((tip[0] - target[0]).powi(2) + (tip[1] - target[1]).powi(2)).sqrt();
        assert!(d < 0.05, "the fingertip is {d} m from the target");
        assert!(sim.error().is_none(), "{:?}", sim.error());
        std::fs::write(&file, r#"{"w": 2.5}"#).expect("write");
        assert_eq!(sim.poll_reward(), Some(Reload::Compiled));
        let w = sim.reward.program_mut().expect("program").params().get("w");
        assert_eq!(w, Some(crate::reward::ParamValue::Number(2.5)));
        std::fs::write(&file, r#"{"nope": 1.0}"#).expect("write");
        match sim.poll_reward() {
            Some(Reload::Failed(m)) => assert!(m.contains("unknown parameter \"nope\""), "{m}"),
            other => panic!("expected a failed reload, got {other:?}"),
        }
        sim.step()
            .expect("keeps stepping with the last good parameters");
    }

    #[test]
    fn history_pads_missing_components() {
        let mut h = History::default();
        h.push(&RewardOut {
            total: 1.0,
            components: vec![("a".into(), 1.0)],
        });
        h.push(&RewardOut {
            total: 2.0,
            components: vec![("b".into(), 2.0)],
        });
        assert_eq!(h.components.len(), 2);
        assert!(h.components[1].1[0].is_nan());
        assert!(h.components[0].1[1].is_nan());
    }
}
