//! A run's `config.toml`: everything needed to reproduce it, with the algorithm's
//! settings as one [`AlgoConfig`].
//!
//! ```toml
//! version = "0.1.0"
//! env = "/…/envs/cartpole.toml"
//! reward = "/…/rewards/cartpole.luau"
//! success = "/…/rewards/cartpole.luau"
//! algo = "ppo"          # names the one algorithm table below
//! seed = 0
//! device = "cpu"
//!
//! [ppo]                 # or [sac] with algo = "sac"
//! total_steps = 100000
//! …
//! ```

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

use crate::device::Device;
use crate::env::train_spec::TrainAlgo;
use crate::env::{AssetRoots, EnvSpec};
use crate::rl::ppo::PpoConfig;
use crate::rl::sac::SacConfig;
use crate::run::RunError;
use crate::run::clip::ClipConfig;

/// A training algorithm, as `--algo` and `config.toml`'s `algo` name it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "lowercase")]
pub enum Algo {
    /// Proximal Policy Optimization (on-policy; Box or Discrete actions).
    Ppo,
    /// Soft Actor-Critic (off-policy; Box actions only).
    Sac,
}

impl Algo {
    /// The name `config.toml` and run directories use (`ppo`, `sac`).
    pub fn name(self) -> &'static str {
        match self {
            Algo::Ppo => "ppo",
            Algo::Sac => "sac",
        }
    }
}

impl std::fmt::Display for Algo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The algorithm of a run with its hyperparameters: exactly one, so a config cannot name
/// one algorithm and carry another's settings.
#[derive(Debug, Clone, PartialEq)]
pub enum AlgoConfig {
    /// PPO with its settings.
    Ppo(PpoConfig),
    /// SAC with its settings.
    Sac(SacConfig),
}

impl AlgoConfig {
    /// Which algorithm.
    pub fn algo(&self) -> Algo {
        match self {
            AlgoConfig::Ppo(_) => Algo::Ppo,
            AlgoConfig::Sac(_) => Algo::Sac,
        }
    }

    /// The run's shape: envs, updates between checkpoints, episodes of the final
    /// evaluation, updates between best-policy evaluations, env steps of the whole run.
    pub fn shape(&self) -> RunShape {
        match self {
            AlgoConfig::Ppo(p) => RunShape {
                n_envs: p.n_envs,
                checkpoint_every: p.checkpoint_every,
                eval_episodes: p.eval_episodes,
                eval_every: p.eval_every,
                total_steps: p.num_updates() * p.batch_size() as u64,
            },
            AlgoConfig::Sac(s) => RunShape {
                n_envs: s.n_envs,
                checkpoint_every: s.checkpoint_every,
                eval_episodes: s.eval_episodes,
                eval_every: s.eval_every,
                total_steps: s.num_iterations() * s.steps_per_iteration() as u64,
            },
        }
    }

    /// Apply the command line's overrides of the run's shape (and SAC's
    /// update-to-data ratio, refused for PPO).
    pub fn override_run(&mut self, o: &RunOverrides) -> Result<(), RunError> {
        if let Some(utd) = o.utd {
            let AlgoConfig::Sac(s) = self else {
                return Err(RunError::AlgoFlag {
                    flag: "--utd",
                    algo: "SAC",
                    other: self.algo().name().to_string(),
                });
            };
            s.utd = utd;
        }
        let (steps, envs, checkpoint_every, eval_every) = match self {
            AlgoConfig::Ppo(p) => (
                &mut p.total_steps,
                &mut p.n_envs,
                &mut p.checkpoint_every,
                &mut p.eval_every,
            ),
            AlgoConfig::Sac(s) => (
                &mut s.total_steps,
                &mut s.n_envs,
                &mut s.checkpoint_every,
                &mut s.eval_every,
            ),
        };
        *steps = o.steps.unwrap_or(*steps);
        *envs = o.envs.unwrap_or(*envs);
        *checkpoint_every = o.checkpoint_every.unwrap_or(*checkpoint_every).max(1);
        *eval_every = o.eval_every.unwrap_or(*eval_every);
        Ok(())
    }

    /// Check the settings.
    pub fn validate(&self) -> Result<(), RunError> {
        match self {
            AlgoConfig::Ppo(p) => p.validate()?,
            AlgoConfig::Sac(s) => s.validate()?,
        }
        Ok(())
    }
}

/// The sizes and intervals of a run, whatever its algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunShape {
    /// Parallel envs.
    pub n_envs: usize,
    /// Updates (PPO) or iterations (SAC) between checkpoints.
    pub checkpoint_every: u64,
    /// Episodes of the final deterministic evaluation.
    pub eval_episodes: usize,
    /// Updates (PPO) or iterations (SAC) between best-policy evaluations; 0: none.
    pub eval_every: u64,
    /// Env steps of the whole run.
    pub total_steps: u64,
}

/// Everything needed to reproduce a run (written as `config.toml`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConfigFile", into = "ConfigFile")]
pub struct RunConfig {
    /// rewardsmith version that wrote the run.
    pub version: String,
    /// The env spec file.
    pub env: PathBuf,
    /// The reward program.
    pub reward: PathBuf,
    /// The success program (the env's own).
    pub success: PathBuf,
    /// The algorithm and its hyperparameters (PPO: defaults, then the env's `[train]`,
    /// then the command line; SAC: defaults, then the command line).
    pub algo: AlgoConfig,
    /// Master seed: env `i` is seeded `seed + i`, the learner's stream is derived from it.
    pub seed: u64,
    /// Device the updates run on.
    pub device: Device,
    /// A CLIP reward, alone or added to the reward program.
    pub clip: Option<ClipConfig>,
    /// End the run (checkpoint, evaluation, summary) once the mean return of the last
    /// [`RETURN_WINDOW`](crate::run::RETURN_WINDOW) training episodes reaches this
    /// (`train --stop-return`).
    pub stop_return: Option<f64>,
}

/// `config.toml` as written: `algo = "…"` beside an `[algo]` table of the same name
/// (the layout of every run written so far).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    version: String,
    env: PathBuf,
    reward: PathBuf,
    success: PathBuf,
    algo: Algo,
    seed: u64,
    device: Device,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ppo: Option<PpoConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sac: Option<SacConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clip: Option<ClipConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    stop_return: Option<f64>,
}

impl TryFrom<ConfigFile> for RunConfig {
    type Error = String;

    fn try_from(f: ConfigFile) -> Result<Self, String> {
        let algo = match (f.algo, f.ppo, f.sac) {
            (Algo::Ppo, Some(p), None) => AlgoConfig::Ppo(p),
            (Algo::Sac, None, Some(s)) => AlgoConfig::Sac(s),
            (a, p, s) if p.is_some() && s.is_some() => {
                return Err(format!(
                    "algo = \"{a}\" with both a [ppo] and a [sac] table: keep only [{a}]"
                ));
            }
            (a, _, _) => return Err(format!("algo = \"{a}\" without its [{a}] table")),
        };
        Ok(Self {
            version: f.version,
            env: f.env,
            reward: f.reward,
            success: f.success,
            algo,
            seed: f.seed,
            device: f.device,
            clip: f.clip,
            stop_return: f.stop_return,
        })
    }
}

impl From<RunConfig> for ConfigFile {
    fn from(c: RunConfig) -> Self {
        let (ppo, sac) = match c.algo {
            AlgoConfig::Ppo(p) => (Some(p), None),
            AlgoConfig::Sac(s) => (None, Some(s)),
        };
        Self {
            version: c.version,
            env: c.env,
            reward: c.reward,
            success: c.success,
            algo: if ppo.is_some() { Algo::Ppo } else { Algo::Sac },
            seed: c.seed,
            device: c.device,
            ppo,
            sac,
            clip: c.clip,
            stop_return: c.stop_return,
        }
    }
}

impl RunConfig {
    /// Defaults for `env` (name or path): the env's reward and success programs, and the
    /// algorithm its `[train]` table names (else PPO) with that table's settings.
    pub fn for_env(env: &str, roots: &AssetRoots) -> Result<Self, RunError> {
        let file = roots.resolve_env(env)?;
        let spec = EnvSpec::from_file(&file)?;
        Ok(Self {
            version: env!("CARGO_PKG_VERSION").to_string(),
            env: absolute(&file),
            reward: absolute(&crate::reward::builtin_path(roots, &spec.rewards.reward)),
            success: absolute(&crate::reward::builtin_path(roots, &spec.rewards.success)),
            algo: tuned(&spec, &file, None)?,
            seed: 0,
            device: Device::Cpu,
            clip: None,
            stop_return: None,
        })
    }

    /// Switch to `algo`: the env's `[train]` settings where its table is for that
    /// algorithm, else the algorithm's defaults; the algorithm already chosen keeps its
    /// settings.
    pub fn set_algo(&mut self, algo: Algo) -> Result<(), RunError> {
        if self.algo.algo() == algo {
            return Ok(());
        }
        let spec = EnvSpec::from_file(&self.env)?;
        self.algo = tuned(&spec, &self.env, Some(algo))?;
        Ok(())
    }

    /// The run's sizes and intervals.
    pub fn shape(&self) -> RunShape {
        self.algo.shape()
    }

    /// Check every setting.
    pub fn validate(&self) -> Result<(), RunError> {
        self.algo.validate()?;
        device(self.device)?;
        if let (AlgoConfig::Sac(_), Device::Gpu) = (&self.algo, self.device) {
            return Err(RunError::SacDevice {
                device: self.device.name().to_string(),
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

/// The settings of `algo` (default: the one the spec's `[train]` table names, else
/// PPO): that table's where it is for `algo`, else the defaults (`file` names the
/// table in errors).
fn tuned(spec: &EnvSpec, file: &Path, algo: Option<Algo>) -> Result<AlgoConfig, RunError> {
    let table_algo = match spec.train.as_ref().map(|t| t.algo()) {
        Some(TrainAlgo::Sac) => Algo::Sac,
        _ => Algo::Ppo,
    };
    let algo = algo.unwrap_or(table_algo);
    let table = spec.train.as_ref().filter(|_| algo == table_algo);
    let table_err = |e| RunError::TrainTable {
        file: file.to_path_buf(),
        source: Box::new(e),
    };
    Ok(match algo {
        Algo::Ppo => {
            let mut p = PpoConfig::default();
            if let Some(t) = table {
                p.apply(t).map_err(table_err)?;
            }
            AlgoConfig::Ppo(p)
        }
        Algo::Sac => {
            let mut s = SacConfig::default();
            if let Some(t) = table {
                s.apply(t).map_err(table_err)?;
            }
            AlgoConfig::Sac(s)
        }
    })
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The burn device training updates run on.
pub fn device(device: Device) -> Result<burn::tensor::Device, RunError> {
    match device {
        Device::Cpu => Ok(burn::tensor::Device::flex().autodiff()),
        #[cfg(feature = "gpu")]
        Device::Gpu => Ok(burn::tensor::Device::wgpu(Default::default()).autodiff()),
        #[cfg(not(feature = "gpu"))]
        Device::Gpu => Err(RunError::GpuNotBuilt),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(algo: AlgoConfig) -> RunConfig {
        RunConfig {
            version: "0.1.0".into(),
            env: "envs/cartpole.toml".into(),
            reward: "rewards/cartpole.luau".into(),
            success: "rewards/cartpole.luau".into(),
            algo,
            seed: 3,
            device: Device::Cpu,
            clip: None,
            stop_return: None,
        }
    }

    #[test]
    fn config_toml_keeps_the_algo_key_beside_its_table_and_reads_back() {
        for algo in [
            AlgoConfig::Ppo(PpoConfig::default()),
            AlgoConfig::Sac(SacConfig::default()),
        ] {
            let name = algo.algo().name();
            let cfg = config(algo);
            let text = toml::to_string(&cfg).unwrap();
            assert!(text.contains(&format!("algo = \"{name}\"")), "{text}");
            assert!(text.contains(&format!("[{name}]")), "{text}");
            let back: RunConfig = toml::from_str(&text).unwrap();
            assert_eq!(back, cfg);
        }
    }

    #[test]
    fn an_algo_without_its_table_or_with_both_tables_is_refused_by_name() {
        let ppo = toml::to_string(&config(AlgoConfig::Ppo(PpoConfig::default()))).unwrap();
        let sac_without_table = ppo.replace("algo = \"ppo\"", "algo = \"sac\"");
        let e = toml::from_str::<RunConfig>(&sac_without_table).unwrap_err();
        assert!(e.to_string().contains("without its [sac] table"), "{e}");
        let sac = toml::to_string(&config(AlgoConfig::Sac(SacConfig::default()))).unwrap();
        let both = format!("{ppo}\n{}", &sac[sac.find("[sac]").unwrap()..]);
        let e = toml::from_str::<RunConfig>(&both).unwrap_err();
        assert!(
            e.to_string().contains("both a [ppo] and a [sac] table"),
            "{e}"
        );
        let unknown = ppo.replace("algo = \"ppo\"", "algo = \"dqn\"");
        let e = toml::from_str::<RunConfig>(&unknown).unwrap_err();
        assert!(e.to_string().contains("dqn"), "{e}");
    }

    #[test]
    fn overrides_reach_the_chosen_algorithm() {
        let o = RunOverrides {
            steps: Some(4096),
            envs: Some(2),
            checkpoint_every: Some(0),
            eval_every: Some(5),
            utd: None,
        };
        for mut algo in [
            AlgoConfig::Ppo(PpoConfig::default()),
            AlgoConfig::Sac(SacConfig::default()),
        ] {
            algo.override_run(&o).unwrap();
            let s = algo.shape();
            assert_eq!((s.n_envs, s.checkpoint_every, s.eval_every), (2, 1, 5));
            let total = match &algo {
                AlgoConfig::Ppo(p) => p.total_steps,
                AlgoConfig::Sac(s) => s.total_steps,
            };
            assert_eq!(total, 4096);
        }
    }
}
