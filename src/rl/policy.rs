//! Actor and critic MLPs as burn modules, and a host-side copy of the actor/critic used
//! to act during rollouts and evaluation (small batches run faster as plain loops than
//! through a tensor backend, and acting then needs no backend at all).

use burn::module::Param;
use burn::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

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

/// A Gaussian actor (mean from an MLP, state-independent log-std) and a value critic.
#[derive(Module, Debug)]
pub struct ActorCritic {
    /// Mean of the action distribution.
    pub actor: Mlp,
    /// State value.
    pub critic: Mlp,
    /// Log standard deviation per action component.
    pub log_std: Param<Tensor<1>>,
}

impl ActorCritic {
    /// Networks `obs_dim → hidden… → act_dim` and `obs_dim → hidden… → 1`, orthogonally
    /// initialised as CleanRL does (gain √2 hidden, 0.01 actor output, 1 critic output).
    pub fn new(
        obs_dim: usize,
        act_dim: usize,
        hidden: &[usize],
        activation: Activation,
        log_std_init: f64,
        rng: &mut ChaCha8Rng,
        device: &Device,
    ) -> Self {
        let mut a = vec![obs_dim];
        a.extend_from_slice(hidden);
        let mut c = a.clone();
        a.push(act_dim);
        c.push(1);
        Self {
            actor: Mlp::new(&a, 0.01, activation, rng, device),
            critic: Mlp::new(&c, 1.0, activation, rng, device),
            log_std: Param::from_data(
                TensorData::new(vec![log_std_init as f32; act_dim], [act_dim]),
                device,
            ),
        }
    }

    /// A host copy of the weights for acting.
    pub fn to_host(&self) -> HostPolicy {
        HostPolicy {
            actor: HostMlp::of(&self.actor),
            critic: HostMlp::of(&self.critic),
            log_std: to_vec(self.log_std.val()),
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HostPolicy {
    actor: HostMlp,
    critic: HostMlp,
    /// Log standard deviation per action component.
    pub log_std: Vec<f32>,
}

impl HostPolicy {
    /// Action dimension.
    pub fn act_dim(&self) -> usize {
        self.log_std.len()
    }

    /// Means of a batch of (normalised) observations, flat `rows × act_dim`.
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

    /// Sample actions around `means`; returns (actions, log-probabilities).
    pub fn sample(&self, means: &[f32], rng: &mut ChaCha8Rng) -> (Vec<f32>, Vec<f32>) {
        let a = self.act_dim();
        let mut actions = Vec::with_capacity(means.len());
        let mut logps = Vec::with_capacity(means.len() / a);
        for m in means.chunks_exact(a) {
            let mut lp = 0.0f64;
            for (k, &mu) in m.iter().enumerate() {
                let eps: f64 = rng.sample(StandardNormal);
                let ls = self.log_std[k] as f64;
                actions.push((mu as f64 + ls.exp() * eps) as f32);
                lp += -0.5 * eps * eps - ls - 0.5 * (2.0 * std::f64::consts::PI).ln();
            }
            logps.push(lp as f32);
        }
        (actions, logps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

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
