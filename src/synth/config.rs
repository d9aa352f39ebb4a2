//! Settings of a synth run: the `[llm]` and `[synth]` tables of an optional config file,
//! overridden by command-line flags. Every default is here, in the `Default` impls.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::env::spec::TrainSpec;
use crate::exec::{ExecutorKind, ExecutorSettings};
use crate::rl::ppo::PpoConfig;
use crate::synth::SynthError;

/// Where replies come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// An OpenAI-compatible chat-completions endpoint.
    Http,
    /// A person: prompts are written to files, replies are read from files they fill in.
    Manual,
}

/// The `[llm]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSettings {
    /// `http` or `manual`.
    pub backend: Backend,
    /// Base URL of the API; requests go to `{url}/chat/completions`.
    pub url: String,
    /// Model name sent with each request.
    pub model: String,
    /// Name of the environment variable holding the API key (the key itself is never
    /// stored, logged or written). Unset or empty: no `Authorization` header.
    pub key_env: String,
    /// Sampling temperature.
    pub temperature: f64,
    /// Max tokens per reply.
    pub max_tokens: u32,
    /// Ask for all samples of one prompt in one request (`n`); otherwise one request per
    /// sample (many local servers ignore `n`; missing choices are asked for one by one).
    pub use_n: bool,
    /// Most requests in flight at once.
    pub parallel: usize,
    /// Whole-request timeout in seconds.
    pub timeout_s: f64,
    /// Retries after the first attempt (on 429, 5xx, timeouts, dropped connections,
    /// invalid JSON).
    pub retries: u32,
    /// First backoff in seconds; doubles each retry. A `Retry-After` header wins.
    pub backoff_s: f64,
    /// Longest wait between attempts, `Retry-After` included.
    pub max_backoff_s: f64,
}

impl Default for LlmSettings {
    fn default() -> Self {
        Self {
            backend: Backend::Http,
            url: "https://api.openai.com/v1".into(),
            model: "gpt-4o-mini".into(),
            key_env: "OPENAI_API_KEY".into(),
            temperature: 1.0,
            max_tokens: 2048,
            use_n: false,
            parallel: 4,
            timeout_s: 120.0,
            retries: 4,
            backoff_s: 1.0,
            max_backoff_s: 60.0,
        }
    }
}

/// How the next round's prompt is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Feedback {
    /// Reward reflection: statistics of the best candidate and every sample's outcome.
    Auto,
    /// A person's written critique (`round_R/critique.md`) plus the reflection.
    HumanText,
    /// A person's ranking of the candidates' rollout videos (ICPL): `synth` writes
    /// `round_R/rank.html`, opens it and asks for the ranking at the terminal, or waits
    /// for `round_R/ranking.json` (e.g. from `rewardsmith view --compare`); needs the
    /// `train` trainer, whose runs record the videos.
    HumanRank,
}

/// What evaluates each candidate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TrainerKind {
    /// A `rewardsmith train` (PPO) process per candidate: the real fitness.
    #[default]
    Train,
    /// Fast offline check without learning: the predictive-sampling controller (as
    /// `rewardsmith mpc`) follows the candidate reward (seconds per candidate).
    Planner,
}

/// The `[synth]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynthSettings {
    /// Built-in env name or spec path.
    pub env: String,
    /// The task in words.
    pub task: String,
    /// Samples (candidate programs) per round.
    pub samples: usize,
    /// Rounds.
    pub rounds: usize,
    /// Env-step budget of each candidate's training; unset: the env's `[train]
    /// total_steps` (or PPO's default) with the `train` trainer, [`PLANNER_STEPS`] with
    /// the planner.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps_per_sample: Option<u64>,
    /// Steps of the random-policy dry run (the reward check) before training.
    pub check_steps: u64,
    /// `auto`, `human-text` or `human-rank`.
    pub feedback: Feedback,
    /// Stop once the best success rate reaches this.
    pub target_success: f64,
    /// Seed of the dry runs and of training.
    pub seed: u64,
    /// `train` (a `rewardsmith train` process per candidate) or `planner`.
    pub trainer: TrainerKind,
}

/// Default env-step budget of a candidate with the planner trainer.
pub const PLANNER_STEPS: u64 = 2000;

impl SynthSettings {
    /// The env-step budget of each candidate for an env whose `[train]` table is
    /// `train` (see [`SynthSettings::steps_per_sample`]).
    pub fn steps_for(&self, train: Option<&TrainSpec>) -> u64 {
        match (self.steps_per_sample, self.trainer) {
            (Some(n), _) => n,
            (None, TrainerKind::Planner) => PLANNER_STEPS,
            (None, TrainerKind::Train) => train
                .and_then(|t| t.total_steps)
                .unwrap_or(PpoConfig::default().total_steps),
        }
    }
}

impl Default for SynthSettings {
    fn default() -> Self {
        Self {
            env: String::new(),
            task: String::new(),
            samples: 4,
            rounds: 3,
            steps_per_sample: None,
            check_steps: 500,
            feedback: Feedback::Auto,
            target_success: 1.0,
            seed: 0,
            trainer: TrainerKind::Train,
        }
    }
}

/// A config file: `[llm]`, `[synth]` and `[executor]`, all optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SynthConfig {
    /// The LLM.
    pub llm: LlmSettings,
    /// The loop.
    pub synth: SynthSettings,
    /// Where the `train` trainer's candidates run (local processes or Slurm arrays).
    pub executor: ExecutorSettings,
}

impl SynthConfig {
    /// Read a config file (unknown keys are errors naming the key).
    pub fn load(path: &Path) -> Result<Self, SynthError> {
        let text = std::fs::read_to_string(path).map_err(SynthError::io("reading", path))?;
        toml::from_str(&text).map_err(|e| SynthError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })
    }

    /// Check values that the types allow but the loop cannot use.
    pub fn validate(&self) -> Result<(), SynthError> {
        let s = &self.synth;
        let l = &self.llm;
        let checks = [
            (
                !s.env.is_empty(),
                "env",
                "no env given (--env or [synth] env)",
            ),
            (
                !s.task.trim().is_empty(),
                "task",
                "no task given (--task or [synth] task)",
            ),
            (s.samples >= 1, "samples", "samples must be at least 1"),
            (s.rounds >= 1, "rounds", "rounds must be at least 1"),
            (
                s.steps_per_sample != Some(0),
                "steps_per_sample",
                "steps-per-sample must be at least 1",
            ),
            (
                s.check_steps >= 1,
                "check_steps",
                "check_steps must be at least 1",
            ),
            (
                !(s.feedback == Feedback::HumanRank && s.trainer == TrainerKind::Planner),
                "feedback",
                "--feedback human-rank needs --trainer train: the planner leaves no policy to watch",
            ),
            (
                !(self.executor.kind == ExecutorKind::Slurm && s.trainer == TrainerKind::Planner),
                "[executor] kind",
                "--executor slurm needs --trainer train: the planner runs inside this process",
            ),
            (
                self.executor.slurm.poll_s > 0.0 && self.executor.slurm.cpus_per_task >= 1,
                "[executor.slurm]",
                "[executor.slurm] poll_s must be positive and cpus_per_task at least 1",
            ),
            (
                l.timeout_s > 0.0,
                "[llm] timeout_s",
                "[llm] timeout_s must be positive",
            ),
            (
                l.parallel >= 1,
                "[llm] parallel",
                "[llm] parallel must be at least 1",
            ),
            (
                l.backoff_s >= 0.0 && l.max_backoff_s >= 0.0,
                "[llm] backoff_s",
                "[llm] backoff must be non-negative",
            ),
        ];
        match checks.into_iter().find(|(ok, _, _)| !ok) {
            Some((_, key, message)) => Err(SynthError::Setting { key, message }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_budget_defaults_to_the_env_then_ppo_then_the_planner() {
        let mut s = SynthSettings::default();
        let train = TrainSpec {
            total_steps: Some(60_000),
            ..TrainSpec::default()
        };
        assert_eq!(s.steps_for(Some(&train)), 60_000);
        assert_eq!(s.steps_for(None), PpoConfig::default().total_steps);
        s.trainer = TrainerKind::Planner;
        assert_eq!(s.steps_for(Some(&train)), PLANNER_STEPS);
        s.steps_per_sample = Some(123);
        assert_eq!(s.steps_for(Some(&train)), 123);
    }
}
