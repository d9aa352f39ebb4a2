//! Actor and critic MLPs as burn modules, and a host-side copy of the actor/critic used
//! to act during rollouts and evaluation (small batches run faster as plain loops than
//! through a tensor backend, and acting then needs no backend at all).

use burn::module::Param;
use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::rl::gaussian::log_density;

/// Hidden-layer activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`: the CPU default (glibc's scalar `tanhf` makes tanh ~3× slower here).
    #[default]
    Relu,
    /// `tanh(x)`: CleanRL's and SB3's default for PPO.
    Tanh,
}

impl Activation {
    /// Parse `relu` or `tanh`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "relu" => Some(Self::Relu),
            "tanh" => Some(Self::Tanh),
            _ => None,
        }
    }

    fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Self::Relu => burn::tensor::activation::relu(x),
            Self::Tanh => burn::tensor::activation::tanh(x),
        }
    }

    fn apply_host(self, x: f32) -> f32 {
        match self {
            Self::Relu => x.max(0.0),
            Self::Tanh => x.tanh(),
        }
    }
}

/// A fully connected layer `y = x W + b` with `W` stored `[in, out]`.
#[derive(Module, Debug)]
pub struct Dense {
    /// Weights, `[in, out]`.
    pub weight: Param<Tensor<2>>,
    /// Bias, `[out]`.
    pub bias: Param<Tensor<1>>,
}

impl Dense {
    /// Orthogonal weights scaled by `gain`, zero bias (CleanRL's `layer_init`).
    fn new(inp: usize, out: usize, gain: f64, rng: &mut ChaCha8Rng, device: &Device) -> Self {
        let w = orthogonal(inp, out, gain, rng);
        Self {
            weight: Param::from_data(TensorData::new(w, [inp, out]), device),
            bias: Param::from_data(TensorData::new(vec![0.0f32; out], [out]), device),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        x.matmul(self.weight.val()) + self.bias.val().unsqueeze::<2>()
    }
}

/// A multilayer perceptron: hidden layers with an activation, then a linear output.
#[derive(Module, Debug)]
pub struct Mlp {
    /// Layers, input first.
    pub layers: Vec<Dense>,
    /// Hidden activation.
    #[module(skip)]
    pub activation: Activation,
}

impl Mlp {
    /// Layers `sizes[0] → … → sizes[n]`, orthogonal init with gain √2 on hidden layers and
    /// `out_gain` on the output layer.
    pub fn new(
        sizes: &[usize],
        out_gain: f64,
        activation: Activation,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let n = sizes.len() - 1;
        let layers = (0..n)
            .map(|i| {
                let gain = if i + 1 == n {
                    out_gain
                } else {
                    std::f64::consts::SQRT_2
                };
                Dense::new(sizes[i], sizes[i + 1], gain, rng, device)
            })
            .collect();
        Self { layers, activation }
    }

    /// Forward a batch `[B, in] -> [B, out]`.
    pub fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            x = l.forward(x);
            if i + 1 < n {
                x = self.activation.apply(x);
            }
        }
        x
    }
}

/// The action distribution a policy's actor parameterizes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// Diagonal Gaussian over a Box: the actor outputs the means, a learned
    /// state-independent log-std sets the spread (CleanRL `ppo_continuous_action.py`).
    Gaussian,
    /// Diagonal Gaussian whose spread depends on the state: the actor outputs means and
    /// raw scales, `σ = softplus(raw) + 0.001` (Brax's PPO, `NormalTanhDistribution`
    /// with `min_std` 0.001).
    StateGaussian,
    /// Categorical over a Discrete space: the actor outputs one logit per action
    /// (CleanRL `ppo.py`).
    Categorical,
}

/// An actor (Gaussian means or categorical logits from an MLP) and a value critic.
#[derive(Module, Debug)]
pub struct ActorCritic {
    /// Means (Gaussian) or logits (categorical) of the action distribution.
    pub actor: Mlp,
    /// State value.
    pub critic: Mlp,
    /// Log standard deviation per action component (state-independent Gaussian heads
    /// only).
    pub log_std: Option<Param<Tensor<1>>>,
}

/// Floor of a state-dependent Gaussian's standard deviation (Brax's `min_std`).
pub const MIN_STD: f64 = 1e-3;

/// `σ = softplus(raw) + MIN_STD` of a state-dependent Gaussian head.
pub fn state_std(raw: f64) -> f64 {
    // softplus, stable for large |raw|.
    raw.max(0.0) + (-raw.abs()).exp().ln_1p() + MIN_STD
}

/// The raw output for which [`state_std`] is `exp(log_std)` (at least [`MIN_STD`] more
/// than the floor).
fn state_std_inverse(log_std: f64) -> f64 {
    let sp = (log_std.exp() - MIN_STD).max(MIN_STD);
    // softplus⁻¹(y) = ln(eʸ − 1)
    sp + (-(-sp).exp_m1()).ln()
}

impl ActorCritic {
    /// Networks `obs_dim → hidden… → act_dim` and `obs_dim → hidden… → 1`, orthogonally
    /// initialised as CleanRL does (gain √2 hidden, 0.01 actor output, 1 critic output).
    /// `act_dim` is the action dimension (Gaussian) or the number of actions
    /// (categorical). A state-dependent Gaussian's actor outputs `2 × act_dim` (means,
    /// then raw scales whose bias starts at `σ = exp(log_std_init)`).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        obs_dim: usize,
        act_dim: usize,
        head: Head,
        hidden: &[usize],
        activation: Activation,
        log_std_init: f64,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let mut a = vec![obs_dim];
        a.extend_from_slice(hidden);
        let mut c = a.clone();
        a.push(if head == Head::StateGaussian {
            2 * act_dim
        } else {
            act_dim
        });
        c.push(1);
        let mut actor = Mlp::new(&a, 0.01, activation, rng, device);
        if head == Head::StateGaussian
            && let Some(out) = actor.layers.last_mut()
        {
            let raw = state_std_inverse(log_std_init) as f32;
            let mut b = vec![0.0f32; act_dim];
            b.resize(2 * act_dim, raw);
            out.bias = Param::from_data(TensorData::new(b, [2 * act_dim]), device);
        }
        Self {
            actor,
            critic: Mlp::new(&c, 1.0, activation, rng, device),
            log_std: (head == Head::Gaussian).then(|| {
                Param::from_data(
                    TensorData::new(vec![log_std_init as f32; act_dim], [act_dim]),
                    device,
                )
            }),
        }
    }

    /// A host copy of the weights for acting with `head`.
    pub fn to_host(&self, head: Head) -> HostPolicy {
        HostPolicy {
            actor: HostMlp::of(&self.actor),
            critic: HostMlp::of(&self.critic),
            log_std: self
                .log_std
                .as_ref()
                .map_or_else(Vec::new, |p| to_vec(p.val())),
            head,
        }
    }
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .try_to_vec::<f32>()
        .expect("policy parameters are f32")
}

/// `rows × cols` (row-major) matrix whose rows or columns (the shorter side) are
/// orthonormal, times `gain`: the orthogonal initialisation of Saxe et al. (2014).
fn orthogonal(rows: usize, cols: usize, gain: f64, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let (k, n) = (rows.min(cols), rows.max(cols));
    let mut v: Vec<Vec<f64>> = Vec::with_capacity(k);
    while v.len() < k {
        let mut x: Vec<f64> = (0..n).map(|_| StandardNormal.sample(rng)).collect();
        for u in &v {
            let d: f64 = x.iter().zip(u).map(|(a, b)| a * b).sum();
            x.iter_mut().zip(u).for_each(|(a, b)| *a -= d * b);
        }
        let norm = x.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            x.iter_mut().for_each(|a| *a /= norm);
            v.push(x);
        }
    }
    let mut w = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let x = if rows >= cols { v[c][r] } else { v[r][c] };
            w[r * cols + c] = (gain * x) as f32;
        }
    }
    w
}

/// A dense layer on the host.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct HostDense {
    inp: usize,
    out: usize,
    w: Vec<f32>,
    b: Vec<f32>,
}

/// An MLP on the host.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostMlp {
    layers: Vec<HostDense>,
    activation: Activation,
}

impl HostMlp {
    /// Copy the weights of `m`.
    pub fn of(m: &Mlp) -> Self {
        HostMlp {
            layers: m
                .layers
                .iter()
                .map(|l| {
                    let shape = l.weight.val().dims();
                    HostDense {
                        inp: shape[0],
                        out: shape[1],
                        w: to_vec(l.weight.val()),
                        b: to_vec(l.bias.val()),
                    }
                })
                .collect(),
            activation: m.activation,
        }
    }

    /// An MLP of `(in, out, weights [in, out] row-major, bias [out])` layers.
    pub fn from_layers(
        layers: Vec<(usize, usize, Vec<f32>, Vec<f32>)>,
        activation: Activation,
    ) -> Self {
        HostMlp {
            layers: layers
                .into_iter()
                .map(|(inp, out, w, b)| HostDense { inp, out, w, b })
                .collect(),
            activation,
        }
    }

    /// Output width.
    pub fn out_dim(&self) -> usize {
        self.layers.last().map_or(0, |l| l.out)
    }

    /// Input width (the observation size it was trained on).
    pub fn in_dim(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inp)
    }

    /// Forward every row of `x` (flat, rows of `in_dim`); outputs flat rows of `out_dim`.
    pub fn forward_batch(&self, x: &[f32], in_dim: usize) -> Vec<f32> {
        let (mut buf, mut out) = (Vec::new(), Vec::new());
        let mut all = Vec::with_capacity(x.len() / in_dim.max(1) * self.out_dim());
        for row in x.chunks_exact(in_dim) {
            self.forward(row, &mut buf, &mut out);
            all.extend_from_slice(&out);
        }
        all
    }

    /// Forward one row.
    fn forward(&self, x: &[f32], buf: &mut Vec<f32>, out: &mut Vec<f32>) {
        out.clear();
        out.extend_from_slice(x);
        let n = self.layers.len();
        for (i, l) in self.layers.iter().enumerate() {
            std::mem::swap(buf, out);
            out.clear();
            out.extend_from_slice(&l.b);
            for (k, &xk) in buf.iter().enumerate().take(l.inp) {
                let row = &l.w[k * l.out..(k + 1) * l.out];
                out.iter_mut().zip(row).for_each(|(o, &w)| *o += xk * w);
            }
            if i + 1 < n {
                out.iter_mut()
                    .for_each(|o| *o = self.activation.apply_host(*o));
            }
        }
    }
}

/// The actor and critic on the host, for acting.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    actor: HostMlp,
    critic: HostMlp,
    /// Log standard deviation per action component (state-independent Gaussian heads).
    pub log_std: Vec<f32>,
    head: Head,
}

impl HostPolicy {
    /// Action dimension of a Gaussian head.
    pub fn act_dim(&self) -> usize {
        match self.head {
            Head::StateGaussian => self.actor.out_dim() / 2,
            _ => self.log_std.len(),
        }
    }

    /// Actor outputs (Gaussian means or categorical logits) of a batch of
    /// (normalised) observations, flat `rows × actor width`.
    pub fn mean(&self, obs: &[f32], obs_dim: usize) -> Vec<f32> {
        self.actor.forward_batch(obs, obs_dim)
    }

    /// The actor network.
    pub fn actor(&self) -> &HostMlp {
        &self.actor
    }

    /// Values of a batch of (normalised) observations.
    pub fn value(&self, obs: &[f32], obs_dim: usize) -> Vec<f32> {
        let (mut buf, mut out) = (Vec::new(), Vec::new());
        obs.chunks_exact(obs_dim)
            .map(|row| {
                self.critic.forward(row, &mut buf, &mut out);
                out[0]
            })
            .collect()
    }

    /// Sample Gaussian actions from the actor's outputs `out` (rows of means, or of
    /// means and raw scales); returns (samples, their log-densities). The samples are
    /// before any clipping or squashing into the bounds: the tanh correction of a
    /// squashed policy depends on the sample alone, so it cancels in PPO's ratio and is
    /// left out on both sides.
    pub fn sample(&self, out: &[f32], rng: &mut ChaCha8Rng) -> (Vec<f32>, Vec<f32>) {
        let a = self.act_dim();
        let w = self.actor.out_dim();
        let mut actions = Vec::with_capacity(out.len() / w * a);
        let mut logps = Vec::with_capacity(out.len() / w);
        for row in out.chunks_exact(w) {
            let mut lp = 0.0f64;
            for (k, &mu) in row[..a].iter().enumerate() {
                let eps: f64 = rng.sample(StandardNormal);
                let ls = match self.head {
                    Head::StateGaussian => state_std(row[a + k] as f64).ln(),
                    _ => self.log_std[k] as f64,
                };
                actions.push((mu as f64 + ls.exp() * eps) as f32);
                lp += log_density(eps, ls);
            }
            logps.push(lp as f32);
        }
        (actions, logps)
    }
}

/// Sample one action per row of `logits` (flat rows of `n`) from the categorical
/// distribution `softmax(logits)`; returns (indices, log-probabilities).
pub fn sample_categorical(logits: &[f32], n: usize, rng: &mut ChaCha8Rng) -> (Vec<f32>, Vec<f32>) {
    let rows = logits.len() / n.max(1);
    let (mut idx, mut logps) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    for row in logits.chunks_exact(n) {
        let lp = log_softmax(row);
        let u: f64 = rng.random();
        let mut acc = 0.0;
        // Inverse CDF; the last index catches round-off when the sum is just below `u`.
        let k = lp
            .iter()
            .position(|&l| {
                acc += l.exp();
                u < acc
            })
            .unwrap_or(n - 1);
        idx.push(k as f32);
        logps.push(lp[k] as f32);
    }
    (idx, logps)
}

/// `log softmax(x)`, computed stably in f64.
pub fn log_softmax(x: &[f32]) -> Vec<f64> {
    let m = x.iter().fold(f32::NEG_INFINITY, |a, &b| a.max(b)) as f64;
    let lse = m + x.iter().map(|&v| (v as f64 - m).exp()).sum::<f64>().ln();
    x.iter().map(|&v| v as f64 - lse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn categorical_samples_follow_the_softmax() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        // Probabilities 0.1, 0.2, 0.7.
        let logits: Vec<f32> = [0.1f32, 0.2, 0.7].iter().map(|p| p.ln()).collect();
        let rows: Vec<f32> = logits.iter().cycle().take(3 * 20_000).copied().collect();
        let (idx, logp) = sample_categorical(&rows, 3, &mut rng);
        let mut counts = [0usize; 3];
        for (&i, &lp) in idx.iter().zip(&logp) {
            counts[i as usize] += 1;
            assert!(
                (lp - logits[i as usize]).abs() < 1e-5,
                "log-prob of the sample"
            );
        }
        for (c, p) in counts.iter().zip([0.1, 0.2, 0.7]) {
            let f = *c as f64 / 20_000.0;
            assert!((f - p).abs() < 0.015, "frequency {f} vs probability {p}");
        }
    }

    #[test]
    fn orthogonal_columns() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let w = orthogonal(5, 3, 1.0, &mut rng);
        for a in 0..3 {
            for b in 0..3 {
                let d: f32 = (0..5).map(|r| w[r * 3 + a] * w[r * 3 + b]).sum();
                assert!((d - if a == b { 1.0 } else { 0.0 }).abs() < 1e-5);
            }
        }
    }
}
