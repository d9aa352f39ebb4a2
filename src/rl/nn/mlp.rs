//! A multilayer perceptron over one flat parameter vector: forward with the activations
//! kept for backward, and a backward pass that computes only the gradients asked for
//! (parameter gradients, input gradients, or both) over a prefix of the batch.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::gemm::{Mat, matmul};
use crate::rl::policy::{Activation, HostMlp};

/// Layers `sizes[0] → sizes[1] → … → sizes[n]`: hidden layers with an activation, a
/// linear output. Parameters, layer by layer: the weights `[in, out]` row-major, then
/// the bias `[out]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Mlp {
    sizes: Vec<usize>,
    activation: Activation,
    params: Vec<f32>,
}

/// The activations of a forward pass, input first (what backward reads).
#[derive(Debug, Clone, Default)]
pub struct MlpCache {
    rows: usize,
    acts: Vec<Vec<f32>>,
}

impl MlpCache {
    /// Rows of the last forward pass.
    pub fn rows(&self) -> usize {
        self.rows
    }
}

/// Gradient buffers a backward pass reuses.
#[derive(Debug, Clone, Default)]
pub struct MlpScratch {
    grad: Vec<f32>,
    next: Vec<f32>,
}

impl Mlp {
    /// Fresh layers initialised as PyTorch's `nn.Linear` (weights and biases uniform in
    /// `±1/√in`), which SB3's and CleanRL's SAC networks keep.
    pub fn new(sizes: &[usize], activation: Activation, rng: &mut ChaCha8Rng) -> Self {
        assert!(sizes.len() >= 2, "an MLP needs an input and an output size");
        let mut params = Vec::with_capacity(Self::count(sizes));
        for w in sizes.windows(2) {
            let bound = 1.0 / (w[0] as f64).sqrt();
            for _ in 0..w[0] * w[1] + w[1] {
                params.push(rng.random_range(-bound..bound) as f32);
            }
        }
        Self {
            sizes: sizes.to_vec(),
            activation,
            params,
        }
    }

    fn count(sizes: &[usize]) -> usize {
        sizes.windows(2).map(|w| w[0] * w[1] + w[1]).sum()
    }

    /// Layer sizes, input first.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }

    /// Input width.
    pub fn in_dim(&self) -> usize {
        self.sizes[0]
    }

    /// Output width.
    pub fn out_dim(&self) -> usize {
        self.sizes[self.sizes.len() - 1]
    }

    /// All parameters (see [`Mlp`] for the layout).
    pub fn params(&self) -> &[f32] {
        &self.params
    }

    /// All parameters, to update in place.
    pub fn params_mut(&mut self) -> &mut [f32] {
        &mut self.params
    }

    /// Whether `other` has the same layers (so parameters and gradients line up).
    pub fn same_shape(&self, other: &Mlp) -> bool {
        self.sizes == other.sizes && self.activation == other.activation
    }

    /// Offsets of layer `l`'s weights and bias in [`Mlp::params`].
    fn offsets(&self, l: usize) -> (usize, usize) {
        let w = Self::count(&self.sizes[..=l]);
        (w, w + self.sizes[l] * self.sizes[l + 1])
    }

    /// Forward `rows` rows of `x` (flat, row-major); the output is
    /// [`Mlp::output`]`(cache)`.
    pub fn forward(&self, x: &[f32], rows: usize, cache: &mut MlpCache) {
        let n = self.sizes.len() - 1;
        cache.rows = rows;
        cache.acts.resize_with(n + 1, Vec::new);
        cache.acts[0].clear();
        cache.acts[0].extend_from_slice(&x[..rows * self.sizes[0]]);
        for l in 0..n {
            let (inp, out) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = self.offsets(l);
            let (done, rest) = cache.acts.split_at_mut(l + 1);
            let (x, y) = (&done[l], &mut rest[0]);
            y.clear();
            let bias = &self.params[bo..bo + out];
            for _ in 0..rows {
                y.extend_from_slice(bias);
            }
            let w = &self.params[wo..wo + inp * out];
            matmul(y, Mat::new(x, rows, inp), Mat::new(w, inp, out), true);
            if l + 1 < n {
                match self.activation {
                    Activation::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
                    Activation::Tanh => y.iter_mut().for_each(|v| *v = v.tanh()),
                }
            }
        }
    }

    /// The output of the last forward pass, `rows × out_dim`.
    pub fn output<'c>(&self, cache: &'c MlpCache) -> &'c [f32] {
        &cache.acts[self.sizes.len() - 1]
    }

    /// Backpropagate `d_out` (`rows × out_dim`, the loss gradient of the output) through
    /// the first `rows` rows of the last forward pass. Writes the parameter gradients
    /// into `grads` (same layout as the parameters; overwritten) and the input gradient
    /// (`rows × in_dim`) into `d_in`, each only when given.
    pub fn backward(
        &self,
        cache: &MlpCache,
        rows: usize,
        d_out: &[f32],
        mut grads: Option<&mut [f32]>,
        d_in: Option<&mut Vec<f32>>,
        scratch: &mut MlpScratch,
    ) {
        assert!(
            rows <= cache.rows,
            "backward over {rows} of {} rows",
            cache.rows
        );
        let n = self.sizes.len() - 1;
        if let Some(g) = &grads {
            assert_eq!(g.len(), self.params.len(), "one gradient per parameter");
        }
        let MlpScratch { grad, next } = scratch;
        grad.clear();
        grad.extend_from_slice(&d_out[..rows * self.sizes[n]]);
        for l in (0..n).rev() {
            let (inp, out) = (self.sizes[l], self.sizes[l + 1]);
            let (wo, bo) = self.offsets(l);
            if l + 1 < n {
                // `grad` is the gradient of this layer's activated output: through the
                // activation, from the kept output alone.
                let h = &cache.acts[l + 1][..rows * out];
                match self.activation {
                    // A select, not a branch: half the units are off at random, and a
                    // mispredicted branch per element cost more than the products.
                    Activation::Relu => grad
                        .iter_mut()
                        .zip(h)
                        .for_each(|(g, &h)| *g = if h > 0.0 { *g } else { 0.0 }),
                    Activation::Tanh => {
                        grad.iter_mut().zip(h).for_each(|(g, &h)| *g *= 1.0 - h * h)
                    }
                }
            }
            if let Some(gr) = grads.as_deref_mut() {
                let x = &cache.acts[l][..rows * inp];
                matmul(
                    &mut gr[wo..wo + inp * out],
                    Mat::new(x, rows, inp).t(),
                    Mat::new(grad, rows, out),
                    false,
                );
                let db = &mut gr[bo..bo + out];
                db.fill(0.0);
                for row in grad.chunks_exact(out) {
                    db.iter_mut().zip(row).for_each(|(d, &g)| *d += g);
                }
            }
            if l > 0 || d_in.is_some() {
                let w = &self.params[wo..wo + inp * out];
                next.resize(rows * inp, 0.0);
                matmul(
                    next,
                    Mat::new(grad, rows, out),
                    Mat::new(w, inp, out).t(),
                    false,
                );
                std::mem::swap(grad, next);
            }
        }
        if let Some(d) = d_in {
            d.clear();
            d.extend_from_slice(grad);
        }
    }

    /// `self ← tau · src + (1 − tau) · self`, parameter by parameter (Polyak averaging
    /// of a target network).
    pub fn blend_from(&mut self, src: &Mlp, tau: f32) {
        assert!(
            self.same_shape(src),
            "target and online networks differ in shape"
        );
        for (t, &s) in self.params.iter_mut().zip(&src.params) {
            *t = tau * s + (1.0 - tau) * *t;
        }
    }

    /// The host copy `actor.json` holds.
    pub fn to_host(&self) -> HostMlp {
        let layers = (0..self.sizes.len() - 1)
            .map(|l| {
                let (inp, out) = (self.sizes[l], self.sizes[l + 1]);
                let (wo, bo) = self.offsets(l);
                (
                    inp,
                    out,
                    self.params[wo..wo + inp * out].to_vec(),
                    self.params[bo..bo + out].to_vec(),
                )
            })
            .collect();
        HostMlp::from_layers(layers, self.activation)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// Loss `Σ c ⊙ output` of a forward pass, for finite differences.
    fn loss(m: &Mlp, x: &[f32], rows: usize, c: &[f32]) -> f64 {
        let mut cache = MlpCache::default();
        m.forward(x, rows, &mut cache);
        m.output(&cache)
            .iter()
            .zip(c)
            .map(|(&o, &c)| o as f64 * c as f64)
            .sum()
    }

    fn check_gradients(activation: Activation) {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let m = Mlp::new(&[3, 6, 5, 2], activation, &mut rng);
        let rows = 4;
        let x: Vec<f32> = (0..rows * 3).map(|_| rng.random_range(-1.0..1.0)).collect();
        let c: Vec<f32> = (0..rows * 2).map(|_| rng.random_range(-1.0..1.0)).collect();
        let mut cache = MlpCache::default();
        m.forward(&x, rows, &mut cache);
        let mut grads = vec![0.0; m.params().len()];
        let mut d_in = Vec::new();
        m.backward(
            &cache,
            rows,
            &c,
            Some(&mut grads),
            Some(&mut d_in),
            &mut MlpScratch::default(),
        );
        let h = 1e-3;
        for (k, &g) in grads.iter().enumerate() {
            let (mut up, mut down) = (m.clone(), m.clone());
            up.params[k] += h;
            down.params[k] -= h;
            let fd = (loss(&up, &x, rows, &c) - loss(&down, &x, rows, &c)) / (2.0 * h as f64);
            assert!((fd - g as f64).abs() < 2e-3, "param {k}: {fd} vs {g}");
        }
        for k in 0..x.len() {
            let (mut up, mut down) = (x.clone(), x.clone());
            up[k] += h;
            down[k] -= h;
            let fd = (loss(&m, &up, rows, &c) - loss(&m, &down, rows, &c)) / (2.0 * h as f64);
            assert!(
                (fd - d_in[k] as f64).abs() < 2e-3,
                "input {k}: {fd} vs {}",
                d_in[k]
            );
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        check_gradients(Activation::Relu);
        check_gradients(Activation::Tanh);
    }

    #[test]
    fn backward_over_a_prefix_is_the_backward_of_that_prefix() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let m = Mlp::new(&[4, 8, 3], Activation::Relu, &mut rng);
        let x: Vec<f32> = (0..6 * 4).map(|_| rng.random_range(-1.0..1.0)).collect();
        let d: Vec<f32> = (0..6 * 3).map(|_| rng.random_range(-1.0..1.0)).collect();
        let grads_of = |rows_fwd: usize, rows_bwd: usize| {
            let mut cache = MlpCache::default();
            m.forward(&x, rows_fwd, &mut cache);
            let mut g = vec![0.0; m.params().len()];
            m.backward(
                &cache,
                rows_bwd,
                &d,
                Some(&mut g),
                None,
                &mut MlpScratch::default(),
            );
            g
        };
        assert_eq!(grads_of(6, 2), grads_of(2, 2));
    }

    #[test]
    fn host_copy_computes_the_same_outputs() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let m = Mlp::new(&[3, 16, 16, 2], Activation::Relu, &mut rng);
        let x: Vec<f32> = (0..5 * 3).map(|_| rng.random_range(-2.0..2.0)).collect();
        let mut cache = MlpCache::default();
        m.forward(&x, 5, &mut cache);
        let host = m.to_host().forward_batch(&x, 3);
        for (a, b) in m.output(&cache).iter().zip(&host) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }

    #[test]
    fn blending_moves_a_target_by_tau() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let src = Mlp::new(&[2, 3, 1], Activation::Relu, &mut rng);
        let mut t = Mlp::new(&[2, 3, 1], Activation::Relu, &mut rng);
        let before = t.params().to_vec();
        t.blend_from(&src, 0.25);
        for ((a, b), s) in t.params().iter().zip(&before).zip(src.params()) {
            assert!((a - (0.25 * s + 0.75 * b)).abs() < 1e-7);
        }
        t.blend_from(&src, 1.0);
        assert_eq!(t.params(), src.params());
    }
}
