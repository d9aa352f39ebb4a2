//! Whether a lower-precision image encoder (fp16, int8) scores frames like the fp32 one:
//! `rewardsmith models check`. Both score the same frames against the same prompts (the
//! text encoder is shared), and the report gives the rank correlation of the scores, the
//! largest score difference and the lowest cosine between the two embeddings of a frame.

use std::path::Path;

use image::RgbImage;
use serde::Serialize;

use super::model::LoadOptions;
use super::{ClipError, ClipModel, ClipRewardSpec, Precision, VlmRm, cache};

/// Fewest frames a comparison takes (a rank correlation needs a few).
pub const MIN_FRAMES: usize = 3;
/// Lowest Spearman rank correlation with fp32 that counts as safe: the variant must order
/// frames (hence shape the reward) as fp32 does.
pub const MIN_RANK_CORRELATION: f64 = 0.95;
/// Largest score difference that counts as safe, as a fraction of the spread (max − min)
/// of the fp32 scores over the frames: quantization noise well below the reward's signal.
pub const MAX_DIFF_OF_SPREAD: f64 = 0.25;

/// The agreement of a variant's scores with fp32's on a set of frames.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Agreement {
    /// Frames compared.
    pub frames: usize,
    /// Spearman rank correlation of the two score lists.
    pub rank_correlation: f64,
    /// Largest |variant score − fp32 score|.
    pub max_score_diff: f64,
    /// Spread (max − min) of the fp32 scores.
    pub fp32_spread: f64,
    /// Lowest cosine between a frame's fp32 and variant embeddings.
    pub min_cosine: f64,
    /// The fp32 scores, one per frame.
    pub fp32_scores: Vec<f64>,
    /// The variant's scores, one per frame.
    pub variant_scores: Vec<f64>,
    /// Whether the variant is safe to use (see [`Agreement::is_safe`]).
    pub safe: bool,
}

impl Agreement {
    /// Compares score lists and embeddings of the same frames.
    pub fn from_scores(
        fp32_scores: Vec<f64>,
        variant_scores: Vec<f64>,
        fp32_embeds: &[Vec<f32>],
        variant_embeds: &[Vec<f32>],
    ) -> Self {
        let max_score_diff = fp32_scores
            .iter()
            .zip(&variant_scores)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let lo = fp32_scores.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = fp32_scores
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        let min_cosine = fp32_embeds
            .iter()
            .zip(variant_embeds)
            .map(|(a, b)| cosine(a, b))
            .fold(f64::INFINITY, f64::min);
        let mut a = Self {
            frames: fp32_scores.len(),
            rank_correlation: spearman(&fp32_scores, &variant_scores),
            max_score_diff,
            fp32_spread: hi - lo,
            min_cosine,
            fp32_scores,
            variant_scores,
            safe: false,
        };
        a.safe = a.is_safe();
        a
    }

    /// Rank correlation ≥ [`MIN_RANK_CORRELATION`] and largest difference ≤
    /// [`MAX_DIFF_OF_SPREAD`] × the fp32 spread.
    pub fn is_safe(&self) -> bool {
        self.rank_correlation >= MIN_RANK_CORRELATION
            && self.max_score_diff <= MAX_DIFF_OF_SPREAD * self.fp32_spread
    }
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

/// Ranks 1..n, ties sharing their average rank.
fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
    let mut r = vec![0.0; v.len()];
    let mut start = 0;
    while start < idx.len() {
        let mut end = start + 1;
        while end < idx.len() && v[idx[end]] == v[idx[start]] {
            end += 1;
        }
        let avg = (start + end + 1) as f64 / 2.0;
        for &i in &idx[start..end] {
            r[i] = avg;
        }
        start = end;
    }
    r
}

/// Spearman's rank correlation (Pearson's over the ranks); 1 when both lists are
/// constant, 0 when only one is.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    match (va > 0.0, vb > 0.0) {
        (true, true) => cov / (va * vb).sqrt(),
        (false, false) => 1.0,
        _ => 0.0,
    }
}

/// Scores `frames` with the fp32 model and the variant against `score` (built from the
/// shared text encoder's prompt embeddings) and compares them.
pub fn compare(
    fp32: &mut ClipModel,
    variant: &mut ClipModel,
    score: &VlmRm,
    frames: &[RgbImage],
) -> Result<Agreement, ClipError> {
    if frames.len() < MIN_FRAMES {
        return Err(ClipError::Score(format!(
            "comparing precisions needs at least {MIN_FRAMES} frames, got {}",
            frames.len()
        )));
    }
    let refs: Vec<&RgbImage> = frames.iter().collect();
    let e32 = fp32.embed_images(&refs)?;
    let ev = variant.embed_images(&refs)?;
    let s32 = e32
        .iter()
        .map(|e| score.score(e))
        .collect::<Result<_, _>>()?;
    let sv = ev
        .iter()
        .map(|e| score.score(e))
        .collect::<Result<_, _>>()?;
    Ok(Agreement::from_scores(s32, sv, &e32, &ev))
}

/// Loads the export in `dir` twice (fp32 and `variant`), embeds the prompts of `spec`
/// (through the text-embedding cache under `cache_dir`, when given) and compares the two
/// image encoders on `frames`.
pub fn check(
    dir: &Path,
    variant: Precision,
    opts: LoadOptions,
    spec: &ClipRewardSpec,
    frames: &[RgbImage],
    cache_dir: Option<&Path>,
) -> Result<Agreement, ClipError> {
    let load = |precision| ClipModel::load(dir, LoadOptions { precision, ..opts });
    let mut fp32 = load(Precision::Fp32)?;
    let mut other = load(variant)?;
    let goal = cache::embed_texts_cached(&mut fp32, &spec.goal, cache_dir)?;
    let baseline = cache::embed_texts_cached(&mut fp32, &spec.baseline, cache_dir)?;
    let score = VlmRm::new(&goal, &baseline, spec.alpha)?;
    compare(&mut fp32, &mut other, &score, frames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spearman_of_orders_and_ties() {
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[10.0, 20.0, 30.0]), 1.0);
        assert_eq!(spearman(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]), -1.0);
        // ranks (1, 2.5, 2.5) against (1, 2, 3): cov 1.5, var 1.5 and 2 → 1.5/√3
        let r = spearman(&[0.0, 5.0, 5.0], &[1.0, 2.0, 3.0]);
        assert!((r - 1.5 / 3f64.sqrt()).abs() < 1e-12, "{r}");
        assert_eq!(spearman(&[1.0, 1.0], &[2.0, 2.0]), 1.0);
        assert_eq!(spearman(&[1.0, 1.0], &[2.0, 3.0]), 0.0);
    }

    #[test]
    fn safe_needs_order_and_small_differences() {
        let e = vec![vec![1.0, 0.0]; 3];
        let a = Agreement::from_scores(vec![0.1, 0.2, 0.3], vec![0.11, 0.21, 0.29], &e, &e);
        assert!(a.safe, "{a:?}");
        assert!((a.max_score_diff - 0.01).abs() < 1e-12);
        assert_eq!(a.min_cosine, 1.0);
        // same order, but a difference of half the spread
        let a = Agreement::from_scores(vec![0.1, 0.2, 0.3], vec![0.2, 0.3, 0.31], &e, &e);
        assert!(!a.safe, "{a:?}");
        // small differences that swap two frames
        let a = Agreement::from_scores(vec![0.1, 0.2, 0.21], vec![0.1, 0.21, 0.2], &e, &e);
        assert!(!a.safe, "{a:?}");
    }
}
