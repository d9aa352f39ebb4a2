//! Running mean and variance (Stable-Baselines3's `RunningMeanStd`, after Chan et al.'s
//! parallel algorithm), used for observation normalization and reward scaling.

use serde::{Deserialize, Serialize};

/// Running mean and (population) variance of a vector-valued stream, in f64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningMeanStd {
    /// Per-component mean.
    pub mean: Vec<f64>,
    /// Per-component variance.
    pub var: Vec<f64>,
    /// Number of samples seen (starts at `epsilon = 1e-4`, as in SB3).
    pub count: f64,
}

impl RunningMeanStd {
    /// Mean 0, variance 1, count 1e-4 (SB3's initial values).
    pub fn new(dim: usize) -> Self {
        Self {
            mean: vec![0.0; dim],
            var: vec![1.0; dim],
            count: 1e-4,
        }
    }

    /// Number of components.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }

    /// Folds in a batch of rows (flat, `rows × dim`, f32).
    pub fn update_f32(&mut self, batch: &[f32]) {
        let d = self.dim();
        if d == 0 || batch.is_empty() {
            return;
        }
        let n = batch.len() / d;
        let mut mean = vec![0.0f64; d];
        for row in batch.chunks_exact(d) {
            for (m, &x) in mean.iter_mut().zip(row) {
                *m += x as f64;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n as f64);
        let mut var = vec![0.0f64; d];
        for row in batch.chunks_exact(d) {
            for ((v, &x), m) in var.iter_mut().zip(row).zip(&mean) {
                let dx = x as f64 - m;
                *v += dx * dx;
            }
        }
        var.iter_mut().for_each(|v| *v /= n as f64);
        self.update_moments(&mean, &var, n as f64);
    }

    /// Folds in a batch of scalars (for a one-component stream).
    pub fn update_scalars(&mut self, xs: &[f64]) {
        if xs.is_empty() {
            return;
        }
        let n = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n;
        self.update_moments(&[mean], &[var], n);
    }

    /// Chan et al.'s combination of two sets of moments.
    fn update_moments(&mut self, batch_mean: &[f64], batch_var: &[f64], batch_count: f64) {
        let tot = self.count + batch_count;
        for i in 0..self.dim() {
            let delta = batch_mean[i] - self.mean[i];
            let m_a = self.var[i] * self.count;
            let m_b = batch_var[i] * batch_count;
            let m2 = m_a + m_b + delta * delta * self.count * batch_count / tot;
            self.mean[i] += delta * batch_count / tot;
            self.var[i] = m2 / tot;
        }
        self.count = tot;
    }

    /// `clip((x - mean) / sqrt(var + eps), ±clip)` for every row of `x`, into `out`.
    pub fn normalize_into(&self, x: &[f32], clip: f64, out: &mut [f32]) {
        let d = self.dim();
        for (i, (o, &v)) in out.iter_mut().zip(x).enumerate() {
            let k = i % d;
            let z = (v as f64 - self.mean[k]) / (self.var[k] + 1e-8).sqrt();
            *o = z.clamp(-clip, clip) as f32;
        }
    }

    /// Standard deviation of component `k` (`sqrt(var + 1e-8)`).
    pub fn std(&self, k: usize) -> f64 {
        (self.var[k] + 1e-8).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_batch_moments() {
        let mut r = RunningMeanStd::new(2);
        let data: Vec<f32> = (0..100).flat_map(|i| [i as f32, 2.0 * i as f32]).collect();
        r.update_f32(&data[..60]);
        r.update_f32(&data[60..]);
        assert!((r.mean[0] - 49.5).abs() < 1e-3, "{:?}", r.mean);
        assert!((r.mean[1] - 99.0).abs() < 1e-3);
        // population variance of 0..99 is 833.25
        assert!((r.var[0] - 833.25).abs() < 0.5, "{:?}", r.var);
        let mut s = RunningMeanStd::new(1);
        s.update_scalars(&[1.0, 3.0]);
        assert!((s.mean[0] - 2.0).abs() < 1e-3 && (s.var[0] - 1.0).abs() < 1e-2);
    }
}
