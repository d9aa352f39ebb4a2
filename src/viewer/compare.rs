//! `--compare`: which runs to show side by side, and the ranking a person gives them.
//!
//! A directory is a training run (it has `config.toml`) or a synth round directory
//! (`round_R/` holding `sample_K/run/` runs). When the comparison is one round, the
//! ranking is written to `round_R/ranking.json` as `{"ranking": [K_best, ...]}` (sample
//! indices, best first), which the synth loop's `--feedback human-rank` reads.

use std::path::{Path, PathBuf};

use super::ViewerError;
use crate::synth::ranking;

/// One run to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Shown on its viewport.
    pub label: String,
    /// The run directory.
    pub run: PathBuf,
    /// Its sample index, when it comes from a synth round.
    pub sample: Option<usize>,
}

/// The runs of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompareSet {
    /// In viewport order.
    pub candidates: Vec<Candidate>,
    /// The round directory, when the comparison is exactly one synth round.
    pub round: Option<PathBuf>,
}

fn is_run(dir: &Path) -> bool {
    dir.join("config.toml").is_file()
}

/// The `sample_K/run` runs of a round directory, by K.
fn round_samples(dir: &Path) -> Vec<(usize, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<(usize, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name();
            let k = name.to_str()?.strip_prefix("sample_")?.parse().ok()?;
            let run = e.path().join("run");
            is_run(&run).then_some((k, run))
        })
        .collect();
    found.sort();
    found
}

fn dir_label(dir: &Path) -> String {
    dir.file_name().map_or_else(
        || dir.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// Resolve the `--compare` directories into runs.
pub fn discover(dirs: &[PathBuf]) -> Result<CompareSet, ViewerError> {
    let mut candidates = Vec::new();
    let mut rounds = 0;
    for dir in dirs {
        if is_run(dir) {
            candidates.push(Candidate {
                label: dir_label(dir),
                run: dir.clone(),
                sample: None,
            });
            continue;
        }
        let samples = round_samples(dir);
        if samples.is_empty() {
            return Err(ViewerError::NotARun(dir.clone()));
        }
        rounds += 1;
        candidates.extend(samples.into_iter().map(|(k, run)| Candidate {
            label: format!("sample_{k}"),
            run,
            sample: Some(k),
        }));
    }
    let round = (dirs.len() == 1 && rounds == 1).then(|| dirs[0].clone());
    Ok(CompareSet { candidates, round })
}

/// A ranking in progress: viewport indices, best first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranking {
    order: Vec<usize>,
}

impl Ranking {
    /// Rank viewport `i` next (ignored when already ranked).
    pub fn pick(&mut self, i: usize) {
        if !self.order.contains(&i) {
            self.order.push(i);
        }
    }

    /// Take back the last pick.
    pub fn undo(&mut self) {
        self.order.pop();
    }

    /// Viewport indices, best first.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// 1-based rank of viewport `i`, if ranked.
    pub fn rank_of(&self, i: usize) -> Option<usize> {
        self.order.iter().position(|&j| j == i).map(|p| p + 1)
    }

    /// The ranked ids: sample indices when the comparison is one synth round, else
    /// viewport indices.
    fn ids(&self, set: &CompareSet) -> Vec<usize> {
        self.order
            .iter()
            .map(|&i| {
                set.candidates
                    .get(i)
                    .and_then(|c| c.sample)
                    .filter(|_| set.round.is_some())
                    .unwrap_or(i)
            })
            .collect()
    }

    /// The ranking as JSON: `{"ranking": [...]}` with sample indices when every
    /// candidate has one, else viewport indices.
    pub fn to_json(&self, set: &CompareSet) -> String {
        serde_json::json!({ "ranking": self.ids(set) }).to_string()
    }

    /// Write `ROUND_DIR/ranking.json` when the comparison is one round (returns its
    /// path), else print the ranking to stdout (returns `None`).
    pub fn submit(&self, set: &CompareSet) -> Result<Option<PathBuf>, ViewerError> {
        let Some(round) = &set.round else {
            println!("{}", self.to_json(set));
            return Ok(None);
        };
        let path = round.join(ranking::RANKING_FILE);
        ranking::write(&path, &self.ids(set)).map_err(|source| ViewerError::Ranking {
            path: path.clone(),
            source: Box::new(source),
        })?;
        println!("{}", self.to_json(set));
        Ok(Some(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch_run(dir: &Path) {
        std::fs::create_dir_all(dir).expect("mkdir");
        std::fs::write(dir.join("config.toml"), "").expect("write");
    }

    #[test]
    fn a_round_directory_ranks_by_sample_index() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let round = tmp.path().join("round_2");
        for k in [3, 0, 1] {
            touch_run(&round.join(format!("sample_{k}")).join("run"));
        }
        // a sample whose training never started is left out
        std::fs::create_dir_all(round.join("sample_2")).expect("mkdir");
        let set = discover(std::slice::from_ref(&round)).expect("discover");
        let labels: Vec<&str> = set.candidates.iter().map(|c| c.label.as_str()).collect();
        assert_eq!(labels, ["sample_0", "sample_1", "sample_3"]);
        assert_eq!(set.round.as_deref(), Some(round.as_path()));
        let mut r = Ranking::default();
        r.pick(2);
        r.pick(0);
        r.pick(2);
        assert_eq!(r.rank_of(2), Some(1));
        assert_eq!(r.rank_of(1), None);
        let path = r
            .submit(&set)
            .expect("submit")
            .expect("written in the round");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("json");
        assert_eq!(v, serde_json::json!({"ranking": [3, 0]}));
        r.undo();
        assert_eq!(r.order(), [2]);
    }

    #[test]
    fn plain_runs_rank_by_viewport_and_bad_dirs_fail() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        touch_run(&a);
        touch_run(&b);
        let set = discover(&[a, b]).expect("discover");
        assert!(set.round.is_none());
        let mut r = Ranking::default();
        r.pick(1);
        assert_eq!(r.to_json(&set), r#"{"ranking":[1]}"#);
        let err = discover(&[tmp.path().join("missing")]).expect_err("not a run");
        assert!(err.to_string().contains("not a run directory"), "{err}");
    }
}
