//! SAC's networks and one gradient step on a minibatch, written out by hand over
//! [`crate::rl::nn`]: twin Q and its targets, the tanh-squashed Gaussian actor, the
//! temperature, each with its Adam state.
//!
//! The step follows Stable-Baselines3's `SAC.train` order: sample the actor's actions
//! for the batch's observations (and next observations, in the same forward pass), step
//! the temperature on the entropy of the former, regress both Q networks on the soft
//! Bellman target from the target networks, then step the actor through the updated
//! Q networks, then Polyak-average the targets. The actor's backward pass through the
//! Q networks computes input gradients only, never the critics' weight gradients.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use serde::{Deserialize, Serialize};

use super::replay::Batch;
use crate::rl::RlError;
use crate::rl::gaussian::{
    SQUASH_EPS, bounded_log_std, bounded_log_std_slope, log_density, squash_log_det,
};
use crate::rl::nn::{Adam, Mlp, MlpCache, MlpScratch};
use crate::rl::policy::Activation;

/// Adam's ε for every SAC optimizer (PyTorch's default, as SB3 and CleanRL leave it).
const ADAM_EPS: f64 = 1e-8;

/// Learning rates and switches of one gradient step.
#[derive(Debug, Clone, Copy)]
pub struct StepSettings {
    /// Actor learning rate.
    pub policy_lr: f64,
    /// Q learning rate (also the temperature's).
    pub q_lr: f64,
    /// Polyak coefficient of the target update.
    pub tau: f64,
    /// Learn the temperature (else `alpha` is fixed).
    pub autotune: bool,
    /// The fixed temperature (without `autotune`).
    pub alpha: f64,
    /// Step the actor and the temperature in this step.
    pub update_actor: bool,
    /// Polyak-average the targets after this step.
    pub update_target: bool,
}

/// What one gradient step measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepReport {
    /// `½ Σ_i mean((Q_i − y)²)` (SB3's critic loss).
    pub q_loss: f64,
    /// `mean(α log π − min Q)` and `−mean(log π)` when the actor was stepped.
    pub actor: Option<(f64, f64)>,
    /// The temperature the step used.
    pub alpha: f64,
}

/// Every learned quantity of SAC with its optimizer state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SacNets {
    /// `obs → (mean, raw log-std)` of the pre-squash Gaussian, `2 × act_dim` wide.
    pub actor: Mlp,
    /// The twin Q networks over `[obs, action in [-1, 1]]`.
    pub q: [Mlp; 2],
    /// Their Polyak-averaged targets.
    pub q_target: [Mlp; 2],
    /// `ln α`.
    pub log_alpha: f64,
    actor_opt: Adam,
    q_opt: [Adam; 2],
    alpha_opt: Adam,
}

/// Buffers of a gradient step, kept between steps (no state: each step overwrites them).
#[derive(Debug, Default)]
pub struct StepScratch {
    actor_in: Vec<f32>,
    actor_cache: MlpCache,
    actor_scratch: MlpScratch,
    actor_grads: Vec<f32>,
    d_actor_out: Vec<f32>,
    q_in: Vec<f32>,
    twin: [QScratch; 2],
    samples: Samples,
    target: Vec<f32>,
}

/// The buffers of one Q network's passes.
#[derive(Debug, Default)]
struct QScratch {
    cache: MlpCache,
    scratch: MlpScratch,
    grads: Vec<f32>,
    /// Loss gradient of its output.
    d_out: Vec<f32>,
    /// Loss gradient of its input.
    d_in: Vec<f32>,
}

/// Run `f(i, pair[i])` for both elements of a twin pair: on two threads when the pool
/// has them (each network's products then run single-threaded, see
/// `nn::gemm::matmul`), else one after the other.
fn twin<T: Send, F: Fn(usize, &mut T) + Sync>(pair: &mut [T; 2], f: F) {
    let [a, b] = pair;
    if rayon::current_num_threads() > 1 {
        rayon::join(|| f(0, a), || f(1, b));
    } else {
        f(0, a);
        f(1, b);
    }
}

/// The actor's samples of a gradient step, one row per row of the actor pass.
#[derive(Debug, Default)]
struct Samples {
    /// Per component: noise, std and squashed action.
    eps: Vec<f32>,
    std: Vec<f32>,
    y: Vec<f32>,
    /// Per row: log π.
    logp: Vec<f32>,
}

impl SacNets {
    /// Fresh networks for `obs_dim` observations and `act_dim` actions, initialised from
    /// `rng`; the targets start as copies of the Q networks.
    pub fn new(
        obs_dim: usize,
        act_dim: usize,
        hidden: &[usize],
        activation: Activation,
        alpha: f64,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let sizes = |inp: usize, out: usize| {
            let mut s = vec![inp];
            s.extend_from_slice(hidden);
            s.push(out);
            s
        };
        let actor = Mlp::new(&sizes(obs_dim, 2 * act_dim), activation, rng);
        let q_sizes = sizes(obs_dim + act_dim, 1);
        let q = [
            Mlp::new(&q_sizes, activation, rng),
            Mlp::new(&q_sizes, activation, rng),
        ];
        let n_q = q[0].params().len();
        Self {
            actor_opt: Adam::new(actor.params().len(), ADAM_EPS),
            q_opt: [Adam::new(n_q, ADAM_EPS), Adam::new(n_q, ADAM_EPS)],
            alpha_opt: Adam::new(1, ADAM_EPS),
            q_target: q.clone(),
            actor,
            q,
            log_alpha: alpha.ln(),
        }
    }

    /// Whether these networks fit `obs_dim`, `act_dim` and `hidden` (a checkpoint of the
    /// same run).
    pub fn fits(&self, obs_dim: usize, act_dim: usize, hidden: &[usize]) -> bool {
        let s = self.actor.sizes();
        s.first() == Some(&obs_dim)
            && s.last() == Some(&(2 * act_dim))
            && &s[1..s.len() - 1] == hidden
            && self
                .q
                .iter()
                .chain(&self.q_target)
                .all(|q| q.in_dim() == obs_dim + act_dim)
    }

    /// One gradient step on `batch` with noise from `rng`.
    pub fn step(
        &mut self,
        batch: &Batch,
        set: &StepSettings,
        rng: &mut ChaCha8Rng,
        s: &mut StepScratch,
    ) -> Result<StepReport, RlError> {
        let bs = batch.rows;
        let a = self.actor.out_dim() / 2;
        let d = self.actor.in_dim();
        let alpha = if set.autotune {
            self.log_alpha.exp()
        } else {
            set.alpha
        };

        // The actor's samples: for the batch's observations (first `bs` rows, only when
        // the actor is stepped) and for the next observations.
        s.actor_in.clear();
        if set.update_actor {
            s.actor_in.extend_from_slice(&batch.obs);
        }
        s.actor_in.extend_from_slice(&batch.next);
        let rows = s.actor_in.len() / d;
        let next_row = rows - bs;
        self.actor.forward(&s.actor_in, rows, &mut s.actor_cache);
        sample_squashed(
            self.actor.output(&s.actor_cache),
            rows,
            a,
            rng,
            &mut s.samples,
        );

        // The temperature: SB3's loss −ln α · (log π + target entropy), target −act_dim.
        if set.update_actor && set.autotune {
            let mean_logp = s.samples.logp[..bs].iter().map(|&l| l as f64).sum::<f64>() / bs as f64;
            let grad = temperature_gradient(mean_logp, a);
            let mut la = [self.log_alpha as f32];
            self.alpha_opt.step(&mut la, &[grad as f32], set.q_lr);
            self.log_alpha = la[0] as f64;
        }

        // Soft Bellman target from the target networks at the next observations.
        fill_q_input(
            &mut s.q_in,
            &batch.next,
            &s.samples.y[next_row * a..],
            d,
            a,
            bs,
        );
        {
            let (targets, q_in) = (&self.q_target, &s.q_in);
            twin(&mut s.twin, |i, t| {
                targets[i].forward(q_in, bs, &mut t.cache)
            });
        }
        s.target.clear();
        for r in 0..bs {
            let q1 = self.q_target[0].output(&s.twin[0].cache)[r];
            let q2 = self.q_target[1].output(&s.twin[1].cache)[r];
            let logp = s.samples.logp[next_row + r];
            s.target.push(soft_target(
                batch.rew[r],
                batch.discount[r],
                q1,
                q2,
                alpha,
                logp,
            ));
        }

        // Critic regression on the stored actions: ½ Σ_i mean((Q_i − y)²).
        fill_q_input(&mut s.q_in, &batch.obs, &batch.act, d, a, bs);
        {
            let (q_in, target, lr) = (&s.q_in, &s.target, set.q_lr);
            let ([q0, q1], [o0, o1], [t0, t1]) = (&mut self.q, &mut self.q_opt, &mut s.twin);
            let mut pair = [(q0, o0, t0), (q1, o1, t1)];
            twin(&mut pair, |_, (q, opt, t)| {
                q.forward(q_in, bs, &mut t.cache);
                t.d_out.clear();
                for (&v, &y) in q.output(&t.cache).iter().zip(target) {
                    t.d_out.push((v - y) / bs as f32);
                }
                t.grads.resize(q.params().len(), 0.0);
                q.backward(
                    &t.cache,
                    bs,
                    &t.d_out,
                    Some(t.grads.as_mut_slice()),
                    None,
                    &mut t.scratch,
                );
                opt.step(q.params_mut(), &t.grads, lr);
            });
        }
        let q_loss: f64 = s
            .twin
            .iter()
            .flat_map(|t| &t.d_out)
            .map(|&g| 0.5 * (g as f64 * bs as f64).powi(2) / bs as f64)
            .sum();
        if !q_loss.is_finite() {
            return Err(RlError::SacLoss { value: q_loss });
        }

        let actor = if set.update_actor {
            Some(self.actor_step(batch, alpha, set.policy_lr, s))
        } else {
            None
        };
        if set.update_target {
            for i in 0..2 {
                self.q_target[i].blend_from(&self.q[i], set.tau as f32);
            }
        }
        Ok(StepReport {
            q_loss,
            actor,
            alpha,
        })
    }

    /// Step the actor on `mean(α log π − min_i Q_i(s, π(s)))` over the first `bs` sampled
    /// rows; returns (loss, entropy estimate).
    fn actor_step(
        &mut self,
        batch: &Batch,
        alpha: f64,
        lr: f64,
        s: &mut StepScratch,
    ) -> (f64, f64) {
        let (bs, d) = (batch.rows, self.actor.in_dim());
        let a = self.actor.out_dim() / 2;
        fill_q_input(&mut s.q_in, &batch.obs, &s.samples.y[..bs * a], d, a, bs);
        {
            let (nets, q_in) = (&self.q, &s.q_in);
            twin(&mut s.twin, |i, t| nets[i].forward(q_in, bs, &mut t.cache));
        }
        // d loss / d Q_i: −1/bs on the smaller of the two per row (as torch.min routes it).
        let (mut loss, mut logp_sum) = (0.0, 0.0);
        let [t1, t2] = &mut s.twin;
        t1.d_out.clear();
        t2.d_out.clear();
        for r in 0..bs {
            let q1 = self.q[0].output(&t1.cache)[r];
            let q2 = self.q[1].output(&t2.cache)[r];
            let first = q1 <= q2;
            let g = -1.0 / bs as f32;
            t1.d_out.push(if first { g } else { 0.0 });
            t2.d_out.push(if first { 0.0 } else { g });
            let lp = s.samples.logp[r] as f64;
            loss += (alpha * lp - q1.min(q2) as f64) / bs as f64;
            logp_sum += lp;
        }
        {
            let nets = &self.q;
            twin(&mut s.twin, |i, t| {
                nets[i].backward(
                    &t.cache,
                    bs,
                    &t.d_out,
                    None,
                    Some(&mut t.d_in),
                    &mut t.scratch,
                );
            });
        }
        // Back through the squashing onto the actor's outputs (mean, raw log-std).
        let out = self.actor.output(&s.actor_cache);
        let w = d + a;
        let c = alpha / bs as f64;
        s.d_actor_out.clear();
        s.d_actor_out.resize(bs * 2 * a, 0.0);
        for r in 0..bs {
            for j in 0..a {
                let k = r * a + j;
                let y = s.samples.y[k] as f64;
                let dy = (s.twin[0].d_in[r * w + d + j] + s.twin[1].d_in[r * w + d + j]) as f64;
                // log π = Σ_j [ln N(ε_j) − ln σ_j − ln(1 − y_j² + ε)], y = tanh(μ + σ ε).
                let g_u = (dy + c * 2.0 * y / (1.0 - y * y + SQUASH_EPS)) * (1.0 - y * y);
                let g_log_std = -c + g_u * (s.samples.std[k] as f64) * (s.samples.eps[k] as f64);
                let raw = out[r * 2 * a + a + j] as f64;
                s.d_actor_out[r * 2 * a + j] = g_u as f32;
                s.d_actor_out[r * 2 * a + a + j] = (g_log_std * bounded_log_std_slope(raw)) as f32;
            }
        }
        s.actor_grads.resize(self.actor.params().len(), 0.0);
        self.actor.backward(
            &s.actor_cache,
            bs,
            &s.d_actor_out,
            Some(s.actor_grads.as_mut_slice()),
            None,
            &mut s.actor_scratch,
        );
        self.actor_opt
            .step(self.actor.params_mut(), &s.actor_grads, lr);
        (loss, -logp_sum / bs as f64)
    }
}

/// SAC's soft Bellman target `r + discount · (min(Q1', Q2') − α log π(a'|s'))`, the
/// discount γ^k of the stored (n-step) transition, 0 after a termination.
pub fn soft_target(
    reward: f32,
    discount: f32,
    q1: f32,
    q2: f32,
    alpha: f64,
    logp_next: f32,
) -> f32 {
    let soft = q1.min(q2) as f64 - alpha * logp_next as f64;
    (reward as f64 + discount as f64 * soft) as f32
}

/// Gradient of SB3's temperature loss `−ln α · (log π + H̄)` in `ln α`, with the mean
/// log π of the batch and the target entropy `H̄ = −act_dim`: positive (α shrinks)
/// while the policy's entropy `−log π` is above the target.
pub fn temperature_gradient(mean_logp: f64, act_dim: usize) -> f64 {
    -(mean_logp - act_dim as f64)
}

/// Sample `y = tanh(μ + σ ε)` for every row of the actor's output `out` (`rows × 2a`),
/// keeping ε, σ, y and each row's log π in the scratch buffers.
fn sample_squashed(out: &[f32], rows: usize, a: usize, rng: &mut ChaCha8Rng, s: &mut Samples) {
    s.eps.clear();
    s.std.clear();
    s.y.clear();
    s.logp.clear();
    for r in 0..rows {
        let mut lp = 0.0;
        for j in 0..a {
            let mean = out[r * 2 * a + j] as f64;
            let log_std = bounded_log_std(out[r * 2 * a + a + j] as f64);
            let std = log_std.exp();
            let eps: f64 = rng.sample(StandardNormal);
            let y = (mean + std * eps).tanh();
            lp += log_density(eps, log_std) - squash_log_det(y);
            s.eps.push(eps as f32);
            s.std.push(std as f32);
            s.y.push(y as f32);
        }
        s.logp.push(lp as f32);
    }
}

/// `[obs | act]` rows into `out`.
fn fill_q_input(out: &mut Vec<f32>, obs: &[f32], act: &[f32], d: usize, a: usize, rows: usize) {
    out.clear();
    for r in 0..rows {
        out.extend_from_slice(&obs[r * d..(r + 1) * d]);
        out.extend_from_slice(&act[r * a..(r + 1) * a]);
    }
}

#[cfg(test)]
mod tests;
