//! The synth prompts: plain templates in `prompts/` with `{{slot}}`s, editable without
//! recompiling, and the reward-reflection text that fills them.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::env::CompiledSpec;
use crate::reward::prompt::{env_abstraction, fill_template};

use super::SynthError;
use super::trainer::CandidateResult;

/// The template files the loop reads.
pub const SYSTEM: &str = "system.txt";
/// The task prompt (env abstraction + task + cheat sheet + output format).
pub const TASK: &str = "reward_task.txt";
/// Reward reflection after a round.
pub const FEEDBACK: &str = "synth_feedback.txt";
/// A sample's program failed to extract, compile or dry-run.
pub const ERROR: &str = "synth_error.txt";
/// A person's written critique.
pub const CRITIQUE: &str = "synth_critique.txt";
/// A person's ranking of the candidates (ICPL).
pub const RANKING: &str = "synth_ranking.txt";

/// A directory of templates.
#[derive(Debug, Clone)]
pub struct Prompts {
    dir: PathBuf,
}

impl Prompts {
    /// Templates in `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_path_buf(),
        }
    }

    fn read(&self, name: &str) -> Result<String, SynthError> {
        let path = self.dir.join(name);
        std::fs::read_to_string(&path).map_err(|source| SynthError::Template { path, source })
    }

    /// Fill template `name` with `values`.
    pub fn fill(&self, name: &str, values: &[(&str, &str)]) -> Result<String, SynthError> {
        Ok(fill_template(&self.read(name)?, name, values)?)
    }

    /// The system message.
    pub fn system(&self) -> Result<String, SynthError> {
        Ok(self.read(SYSTEM)?.trim_end().to_string())
    }

    /// The first user message: the task prompt for `task` in env `c`.
    pub fn task(&self, c: &CompiledSpec, task: &str) -> Result<String, SynthError> {
        let cheatsheet = self.read("luau_cheatsheet.md")?;
        let env = env_abstraction(c);
        self.fill(
            TASK,
            &[("env", &env), ("task", task), ("cheatsheet", &cheatsheet)],
        )
    }
}

impl Prompts {
    /// The ranking prompt (ICPL): `ranking` is the person's order, best first, as text;
    /// `candidates` lists each candidate's program and fitness (`--feedback human-rank`).
    pub fn ranking(
        &self,
        round: usize,
        ranking: &str,
        candidates: &str,
    ) -> Result<String, SynthError> {
        self.fill(
            RANKING,
            &[
                ("round", &round.to_string()),
                ("ranking", ranking),
                ("candidates", candidates),
            ],
        )
    }
}

fn fmt_series(name: &str, xs: &[f64]) -> String {
    let vals: Vec<String> = xs.iter().map(|x| format!("{x:.3}")).collect();
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let mean = xs.iter().sum::<f64>() / xs.len().max(1) as f64;
    format!(
        "{name}: [{}], Max: {max:.3}, Mean: {mean:.3}, Min: {min:.3}",
        vals.join(", ")
    )
}

/// Eureka's reward reflection of one candidate: each component's per-stretch mean
/// (and its min/max over the whole run), the success, return and episode-length curves.
pub fn reflection(r: &CandidateResult) -> String {
    let mut out = String::new();
    let col =
        |f: fn(&super::trainer::CurvePoint) -> f64| r.curves.iter().map(f).collect::<Vec<_>>();
    let _ = writeln!(
        out,
        "{}",
        fmt_series("success_rate", &col(|p| p.success_rate))
    );
    let _ = writeln!(
        out,
        "{}",
        fmt_series("episode_return (your reward)", &col(|p| p.mean_return))
    );
    let task: Vec<f64> = r.curves.iter().filter_map(|p| p.task_return).collect();
    if !task.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            fmt_series("task_score (the env's own reward)", &task)
        );
    }
    let _ = writeln!(
        out,
        "{}",
        fmt_series("episode_length", &col(|p| p.episode_length))
    );
    let mut names: Vec<&str> = Vec::new();
    for p in &r.curves {
        for c in &p.components {
            if !names.contains(&c.name.as_str()) {
                names.push(&c.name);
            }
        }
    }
    for name in names {
        let pts: Vec<_> = r
            .curves
            .iter()
            .filter_map(|p| p.components.iter().find(|c| c.name == name))
            .collect();
        let means: Vec<f64> = pts.iter().map(|c| c.mean).collect();
        let lo = pts.iter().map(|c| c.min).fold(f64::INFINITY, f64::min);
        let hi = pts.iter().map(|c| c.max).fold(f64::NEG_INFINITY, f64::max);
        let _ = writeln!(
            out,
            "{} (min {lo:.3}, max {hi:.3})",
            fmt_series(&format!("component `{name}` mean"), &means)
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::trainer::{ComponentPoint, CurvePoint};

    #[test]
    fn the_ranking_template_fills() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("prompts");
        let p = Prompts::new(&dir)
            .ranking(2, "1. sample 3\n2. sample 0", "...")
            .unwrap();
        assert!(p.contains("Round 2") && p.contains("1. sample 3"), "{p}");
    }

    #[test]
    fn reflection_lists_curves_and_components() {
        let point = |step, sr: f64, m: f64| CurvePoint {
            step,
            success_rate: sr,
            mean_return: 10.0 * sr,
            task_return: Some(5.0),
            episode_length: 100.0,
            components: vec![ComponentPoint {
                name: "upright".into(),
                mean: m,
                min: m - 1.0,
                max: m + 1.0,
            }],
        };
        let r = CandidateResult {
            trainer: "planner".into(),
            success_rate: 0.5,
            mean_return: 5.0,
            task_return: 5.0,
            episode_length: 100.0,
            episodes: 2,
            curves: vec![point(10, 0.0, 0.2), point(20, 0.5, 0.8)],
            run_dir: None,
        };
        let t = reflection(&r);
        assert!(
            t.contains("success_rate: [0.000, 0.500], Max: 0.500, Mean: 0.250, Min: 0.000"),
            "{t}"
        );
        assert!(
            t.contains("component `upright` mean: [0.200, 0.800]"),
            "{t}"
        );
        assert!(t.contains("(min -0.800, max 1.800)"), "{t}");
    }
}
