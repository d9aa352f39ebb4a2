//! Batch plans: a list or a grid of training runs (envs × rewards × algos × seeds) read
//! from TOML, and the results table (mean ± std over seeds per configuration).
//!
//! ```toml
//! out = "runs/sweep"            # root of the run directories (default: runs/<file stem>)
//! steps = 100000                # optional, for every run
//! envs = ["cartpole", "pendulum"]
//! rewards = ["default"]         # "default" = the env's own program; else .luau paths
//! algos = ["ppo"]
//! seeds = [0, 1, 2]
//!
//! [[run]]                       # optional explicit runs, added to the grid
//! env = "reacher"
//! reward = "rewards/reacher.luau"
//! seed = 5
//! steps = 200000
//! ```

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{Algo, RunError, Summary};

/// A batch file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BatchFile {
    /// Root directory of the runs.
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// Env steps of every run (default: each env's `[train] total_steps`).
    #[serde(default)]
    pub steps: Option<u64>,
    /// Grid: envs.
    #[serde(default)]
    pub envs: Vec<String>,
    /// Grid: reward programs (`default` for the env's own).
    #[serde(default)]
    pub rewards: Vec<String>,
    /// Grid: algorithms.
    #[serde(default)]
    pub algos: Vec<Algo>,
    /// Grid: seeds.
    #[serde(default)]
    pub seeds: Vec<u64>,
    /// Explicit runs.
    #[serde(default)]
    pub run: Vec<RunSpec>,
}

/// One run of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSpec {
    /// Env name or spec path.
    pub env: String,
    /// Reward program path, or `default`.
    #[serde(default = "default_reward")]
    pub reward: String,
    /// Algorithm.
    #[serde(default = "default_algo")]
    pub algo: Algo,
    /// Seed.
    #[serde(default)]
    pub seed: u64,
    /// Env steps (default: the batch's `steps`, else the env's).
    #[serde(default)]
    pub steps: Option<u64>,
}

fn default_reward() -> String {
    "default".into()
}
fn default_algo() -> Algo {
    Algo::Ppo
}

fn stem(s: &str) -> String {
    Path::new(s)
        .file_stem()
        .map_or_else(|| s.to_string(), |x| x.to_string_lossy().into_owned())
}

impl RunSpec {
    /// The configuration this run belongs to (everything but the seed).
    pub fn config_key(&self) -> (String, String, String) {
        (
            stem(&self.env),
            stem(&self.reward),
            self.algo.name().to_string(),
        )
    }

    /// Directory name of the run under the batch root.
    pub fn dir_name(&self) -> String {
        let (e, r, a) = self.config_key();
        format!("{e}-{r}-{a}-s{}", self.seed)
    }
}

/// A parsed plan: the root directory and the runs, in order, without duplicates.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Root directory.
    pub out: PathBuf,
    /// Runs.
    pub runs: Vec<RunSpec>,
}

impl Plan {
    /// Read a batch file.
    pub fn load(path: &Path) -> Result<Self, RunError> {
        let text = std::fs::read_to_string(path).map_err(RunError::io("reading", path))?;
        let file: BatchFile = toml::from_str(&text).map_err(RunError::parse(path))?;
        let mut runs = Vec::new();
        if !file.envs.is_empty() {
            let rewards = if file.rewards.is_empty() {
                vec![default_reward()]
            } else {
                file.rewards.clone()
            };
            let algos = if file.algos.is_empty() {
                vec![default_algo()]
            } else {
                file.algos.clone()
            };
            let seeds = if file.seeds.is_empty() {
                vec![0]
            } else {
                file.seeds.clone()
            };
            for env in &file.envs {
                for reward in &rewards {
                    for algo in &algos {
                        for &seed in &seeds {
                            runs.push(RunSpec {
                                env: env.clone(),
                                reward: reward.clone(),
                                algo: *algo,
                                seed,
                                steps: file.steps,
                            });
                        }
                    }
                }
            }
        }
        for r in &file.run {
            let mut r = r.clone();
            r.steps = r.steps.or(file.steps);
            runs.push(r);
        }
        if runs.is_empty() {
            return Err(RunError::NoRuns {
                path: path.to_path_buf(),
            });
        }
        let mut seen = std::collections::HashSet::new();
        runs.retain(|r| seen.insert(r.dir_name()));
        let out = file
            .out
            .unwrap_or_else(|| PathBuf::from("runs").join(stem(&path.to_string_lossy())));
        Ok(Self { out, runs })
    }
}

/// One row of the results table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultRow {
    /// Env.
    pub env: String,
    /// Reward program.
    pub reward: String,
    /// Algorithm.
    pub algo: String,
    /// Runs finished.
    pub finished: usize,
    /// Runs without a summary (failed or not run).
    pub missing: usize,
    /// Mean success rate of the final evaluation.
    pub success_mean: f64,
    /// Its standard deviation over seeds.
    pub success_std: f64,
    /// Mean final evaluation return.
    pub return_mean: f64,
    /// Its standard deviation over seeds.
    pub return_std: f64,
    /// Mean training wall time, seconds.
    pub wall_s_mean: f64,
}

fn mean_std(xs: &[f64]) -> (f64, f64) {
    if xs.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let v = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / n;
    (m, v.sqrt())
}

/// Read every run's `summary.json` and aggregate per configuration.
pub fn results(plan: &Plan) -> Vec<ResultRow> {
    let mut groups: BTreeMap<(String, String, String), (Vec<Summary>, usize)> = BTreeMap::new();
    for r in &plan.runs {
        let g = groups.entry(r.config_key()).or_default();
        let p = plan.out.join(r.dir_name()).join("summary.json");
        match std::fs::read(&p)
            .ok()
            .and_then(|b| serde_json::from_slice::<Summary>(&b).ok())
        {
            Some(s) => g.0.push(s),
            None => g.1 += 1,
        }
    }
    groups
        .into_iter()
        .map(|((env, reward, algo), (sums, missing))| {
            let (success_mean, success_std) =
                mean_std(&sums.iter().map(|s| s.eval.success_rate).collect::<Vec<_>>());
            let (return_mean, return_std) =
                mean_std(&sums.iter().map(|s| s.eval.mean_return).collect::<Vec<_>>());
            let (wall_s_mean, _) = mean_std(&sums.iter().map(|s| s.wall_s).collect::<Vec<_>>());
            ResultRow {
                env,
                reward,
                algo,
                finished: sums.len(),
                missing,
                success_mean,
                success_std,
                return_mean,
                return_std,
                wall_s_mean,
            }
        })
        .collect()
}

/// `results.csv` text.
pub fn csv(rows: &[ResultRow]) -> String {
    let mut s = String::from(
        "env,reward,algo,finished,missing,success_mean,success_std,return_mean,return_std,wall_s_mean\n",
    );
    for r in rows {
        let _ = writeln!(
            s,
            "{},{},{},{},{},{:.4},{:.4},{:.3},{:.3},{:.1}",
            r.env,
            r.reward,
            r.algo,
            r.finished,
            r.missing,
            r.success_mean,
            r.success_std,
            r.return_mean,
            r.return_std,
            r.wall_s_mean
        );
    }
    s
}

/// `results.md` text.
pub fn markdown(rows: &[ResultRow]) -> String {
    let mut s = String::from(
        "| env | reward | algo | runs | success (mean ± std) | return (mean ± std) | wall s |\n|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let missing = if r.missing > 0 {
            format!(" (+{} missing)", r.missing)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {}{} | {:.2} ± {:.2} | {:.1} ± {:.1} | {:.1} |",
            r.env,
            r.reward,
            r.algo,
            r.finished,
            missing,
            r.success_mean,
            r.success_std,
            r.return_mean,
            r.return_std,
            r.wall_s_mean
        );
    }
    s
}
