//! Adam (Kingma & Ba 2015) in place over a flat parameter vector, in PyTorch's
//! arithmetic (`torch.optim.Adam`: bias corrections folded into the step size and the
//! denominator, ε added after the square root).

use serde::{Deserialize, Serialize};

/// First and second moment estimates of one parameter vector, and the step count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Adam {
    m: Vec<f32>,
    v: Vec<f32>,
    step: u64,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

impl Adam {
    /// Zero moments for `n` parameters, β = (0.9, 0.999) and `eps` (PyTorch: 1e-8).
    pub fn new(n: usize, eps: f64) -> Self {
        Self {
            m: vec![0.0; n],
            v: vec![0.0; n],
            step: 0,
            beta1: 0.9,
            beta2: 0.999,
            eps,
        }
    }

    /// Number of parameters it was made for.
    pub fn len(&self) -> usize {
        self.m.len()
    }

    /// Whether it holds no parameters.
    pub fn is_empty(&self) -> bool {
        self.m.is_empty()
    }

    /// One step: `params -= lr · m̂ / (√v̂ + ε)` with the moments updated by `grads`.
    pub fn step(&mut self, params: &mut [f32], grads: &[f32], lr: f64) {
        assert!(
            params.len() == self.m.len() && grads.len() == self.m.len(),
            "Adam over {} parameters given {} and {} gradients",
            self.m.len(),
            params.len(),
            grads.len()
        );
        self.step += 1;
        let t = self.step as i32;
        let bias1 = 1.0 - self.beta1.powi(t);
        let bias2 = 1.0 - self.beta2.powi(t);
        let step_size = (lr / bias1) as f32;
        let inv_sqrt_bias2 = (1.0 / bias2.sqrt()) as f32;
        let (b1, b2) = (self.beta1 as f32, self.beta2 as f32);
        let (c1, c2) = ((1.0 - self.beta1) as f32, (1.0 - self.beta2) as f32);
        let eps = self.eps as f32;
        for (((p, &g), m), v) in params
            .iter_mut()
            .zip(grads)
            .zip(&mut self.m)
            .zip(&mut self.v)
        {
            *m = b1 * *m + c1 * g;
            *v = b2 * *v + c2 * g * g;
            *p -= step_size * *m / (v.sqrt() * inv_sqrt_bias2 + eps);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_steps_by_hand() {
        // Step 1: m = 0.1 g, v = 0.001 g², m̂ = g, v̂ = g²: the step is lr · sign(g)
        // (up to ε).
        let mut adam = Adam::new(2, 1e-8);
        let mut p = vec![1.0f32, -2.0];
        adam.step(&mut p, &[0.5, -4.0], 0.1);
        assert!(
            (p[0] - 0.9).abs() < 1e-6 && (p[1] + 1.9).abs() < 1e-6,
            "{p:?}"
        );
        // Step 2 with g = 0.5 then 0.25 for component 0:
        //   m = 0.9·0.05 + 0.1·0.25 = 0.07,          m̂ = 0.07 / 0.19 = 0.368421
        //   v = 0.999·0.00025 + 0.001·0.0625 = 0.00031225, v̂ = 0.00031225 / 0.001999
        //     = 0.156203, √v̂ = 0.395225; step = 0.1 · 0.368421 / 0.395225 = 0.093218.
        adam.step(&mut p, &[0.25, 0.0], 0.1);
        assert!((p[0] - (0.9 - 0.093_218)).abs() < 1e-5, "{p:?}");
    }

    #[test]
    fn it_minimises_a_quadratic() {
        let mut adam = Adam::new(3, 1e-8);
        let target = [3.0f32, -1.0, 0.5];
        let mut p = vec![0.0f32; 3];
        for _ in 0..2000 {
            let g: Vec<f32> = p.iter().zip(&target).map(|(x, t)| 2.0 * (x - t)).collect();
            adam.step(&mut p, &g, 0.05);
        }
        for (x, t) in p.iter().zip(&target) {
            assert!((x - t).abs() < 1e-3, "{p:?}");
        }
    }
}
