//! The PPO update: clipped surrogate objective, (optionally clipped) value loss,
//! entropy bonus, global gradient-norm clipping and Adam, over shuffled minibatches.

use burn::module::{ModuleVisitor, Param};
use burn::optim::GradientsParams;
use burn::prelude::*;
use burn::tensor::Gradients;
use rand::Rng;

use crate::rl::gaussian::LN_2PI;
use crate::rl::policy::{ActorCritic, Head, MIN_STD};
use crate::rl::{RlError, UpdateStats};

use super::Ppo;
use super::rollout::Rollout;

impl Ppo {
    /// `update_epochs` passes over `batch` in shuffled minibatches with learning rate
    /// and clip range `(lr, clip)`; the loss statistics of the last epoch run.
    pub(super) fn learn(
        &mut self,
        batch: &Rollout,
        (lr, clip): (f64, f64),
    ) -> Result<UpdateStats, RlError> {
        let Rollout {
            obs,
            act,
            logp,
            val,
            adv,
            ret,
        } = batch;
        let (d, a, k) = (self.obs_dim, self.space.dim(), self.out_dim);
        let bs = logp.len();
        let mb = bs / self.cfg.n_minibatches;
        let mut idx: Vec<usize> = (0..bs).collect();
        // Loss statistics of the last epoch, and of the epoch running now.
        let (mut stats, mut count) = (UpdateStats::default(), 0.0);
        let (mut running, mut running_count) = (UpdateStats::default(), 0.0);
        let mut stopped = None;
        let dev = self.device.clone();
        'epochs: for epoch in 0..self.cfg.update_epochs {
            // Fisher–Yates with the run's RNG (reproducible).
            for i in (1..bs).rev() {
                let j = self.rng.random_range(0..=i);
                idx.swap(i, j);
            }
            // With a KL target any epoch may turn out to be the last.
            let last_epoch = epoch + 1 == self.cfg.update_epochs || self.cfg.target_kl.is_some();
            if running_count > 0.0 {
                (stats, count) = (running, running_count);
            }
            (running, running_count) = (UpdateStats::default(), 0.0);
            for chunk in idx.chunks_exact(mb) {
                let gather = |src: &[f32], w: usize| -> Vec<f32> {
                    let mut out = Vec::with_capacity(chunk.len() * w);
                    for &k in chunk {
                        out.extend_from_slice(&src[k * w..(k + 1) * w]);
                    }
                    out
                };
                let mut mb_adv = gather(adv, 1);
                if self.cfg.norm_adv && mb > 1 {
                    let m = mb_adv.iter().map(|&x| x as f64).sum::<f64>() / mb as f64;
                    let var = mb_adv.iter().map(|&x| (x as f64 - m).powi(2)).sum::<f64>()
                        / (mb - 1) as f64;
                    let s = var.sqrt() + 1e-8;
                    mb_adv
                        .iter_mut()
                        .for_each(|x| *x = ((*x as f64 - m) / s) as f32);
                }
                let t2 = |v: Vec<f32>, w: usize| {
                    Tensor::<2>::from_data(TensorData::new(v, [mb, w]), &dev)
                };
                let t1 = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::new(v, [mb]), &dev);
                let x = t2(gather(obs, d), d);
                let old_logp = t1(gather(logp, 1));
                let adv_t = t1(mb_adv);
                let ret_t = t1(gather(ret, 1));
                let old_v = t1(gather(val, 1));

                let m = &self.model;
                let out = m.actor.forward(x.clone());
                let (new_logp, entropy): (Tensor<1>, Tensor<1>) = match self.head {
                    Head::Gaussian | Head::StateGaussian => {
                        // Diagonal Gaussian: log N(a; μ, σ²) summed over components (of
                        // the sample before clipping or squashing, see HostPolicy::sample).
                        let act_t = t2(gather(act, a), a);
                        let (mean, log_std) = match &m.log_std {
                            Some(p) => (out, p.val().unsqueeze::<2>()),
                            None => {
                                let raw = out.clone().slice([0..mb, a..2 * a]);
                                let std = burn::tensor::activation::softplus(raw, 1.0)
                                    .add_scalar(MIN_STD);
                                (out.slice([0..mb, 0..a]), std.log())
                            }
                        };
                        let inv_var = log_std.clone().mul_scalar(-2.0).exp();
                        let lp = ((act_t - mean).square() * inv_var).mul_scalar(-0.5)
                            - log_std.clone()
                            - (0.5 * LN_2PI);
                        // Entropy per sample, averaged over the minibatch (of the
                        // Gaussian before squashing).
                        let ent = log_std.sum_dim(1).mean() + (a as f64 * (0.5 + 0.5 * LN_2PI));
                        (lp.sum_dim(1).reshape([mb]), ent)
                    }
                    Head::Categorical => {
                        // Categorical: pick the taken action's log-probability with a
                        // one-hot mask; entropy −Σ p log p, averaged over the minibatch.
                        let mut onehot = vec![0f32; mb * k];
                        for (r, &i) in chunk.iter().enumerate() {
                            onehot[r * k + act[i] as usize] = 1.0;
                        }
                        let logp_all = burn::tensor::activation::log_softmax(out, 1);
                        let lp = (logp_all.clone() * t2(onehot, k)).sum_dim(1).reshape([mb]);
                        let ent = -(logp_all.clone().exp() * logp_all).sum_dim(1).mean();
                        (lp, ent)
                    }
                };
                let logratio = new_logp - old_logp;
                let ratio = logratio.clone().exp();
                let c = clip;
                let pg1 = -adv_t.clone() * ratio.clone();
                let pg2 = -adv_t * ratio.clone().clamp(1.0 - c, 1.0 + c);
                let pg_loss = pg1.max_pair(pg2).mean();
                let new_v: Tensor<1> = m.critic.forward(x).reshape([mb]);
                let v_loss = if self.cfg.clip_vloss {
                    let unclipped = (new_v.clone() - ret_t.clone()).square();
                    let clipped = old_v.clone() + (new_v - old_v).clamp(-c, c) - ret_t;
                    unclipped.max_pair(clipped.square()).mean().mul_scalar(0.5)
                } else {
                    (new_v - ret_t).square().mean().mul_scalar(0.5)
                };
                let loss = pg_loss.clone() - entropy.clone().mul_scalar(self.cfg.ent_coef)
                    + v_loss.clone().mul_scalar(self.cfg.vf_coef);
                if last_epoch {
                    let kl = scalar(((ratio.clone() - 1.0) - logratio.detach()).mean().detach());
                    if self.cfg.target_kl.is_some_and(|t| kl > 1.5 * t) {
                        // As SB3: this minibatch's step is not taken.
                        stopped = Some(epoch as u64 + 1);
                        break 'epochs;
                    }
                    let cf = (ratio.detach() - 1.0).abs().greater_elem(c).float().mean();
                    running.policy_loss += scalar(pg_loss.detach());
                    running.value_loss += scalar(v_loss.detach());
                    running.entropy += scalar(entropy.detach());
                    running.approx_kl += kl;
                    running.clip_frac += scalar(cf);
                    running_count += 1.0;
                }
                let loss_value = scalar(loss.clone().detach());
                if !loss_value.is_finite() {
                    return Err(RlError::PpoLoss {
                        value: loss_value,
                        update: self.update + 1,
                    });
                }
                let grads = loss.backward();
                let gp = clip_global(&self.model, grads, self.cfg.max_grad_norm);
                self.model = self.optim.step(lr, self.model.clone(), gp);
            }
        }
        if running_count > 0.0 {
            (stats, count) = (running, running_count);
        }
        stats.epochs_stopped = stopped;
        if count > 0.0 {
            stats.policy_loss /= count;
            stats.value_loss /= count;
            stats.entropy /= count;
            stats.approx_kl /= count;
            stats.clip_frac /= count;
        }
        Ok(stats)
    }
}

fn scalar(t: Tensor<1>) -> f64 {
    t.into_scalar::<f32>() as f64
}

/// Visits every float parameter, collecting its gradient (scaled by `coef`) or the
/// squared norm of all gradients.
struct GradVisitor<'a> {
    grads: &'a Gradients,
    coef: f32,
    sq_norm: f64,
    out: Option<GradientsParams>,
}

impl ModuleVisitor for GradVisitor<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let Some(g) = param.val().grad(self.grads) else {
            return;
        };
        match &mut self.out {
            None => self.sq_norm += g.square().sum().into_scalar::<f32>() as f64,
            Some(out) => out.register(param.id, g.mul_scalar(self.coef)),
        }
    }
}

/// Gradients of `model` scaled so their global L2 norm is at most `max_norm`
/// (PyTorch's `clip_grad_norm_`, as CleanRL and SB3 use); unscaled, without a pass over
/// them, when the norm is already within it.
fn clip_global(model: &ActorCritic, grads: Gradients, max_norm: f64) -> GradientsParams {
    let mut v = GradVisitor {
        grads: &grads,
        coef: 1.0,
        sq_norm: 0.0,
        out: None,
    };
    model.visit(&mut v);
    let norm = v.sq_norm.sqrt();
    let coef = max_norm / (norm + 1e-6);
    if coef >= 1.0 {
        return GradientsParams::from_grads(grads, model);
    }
    v.coef = coef as f32;
    v.out = Some(GradientsParams::new());
    model.visit(&mut v);
    v.out.expect("set above")
}

/// `1 - Var(y - ŷ) / Var(y)` (NaN when `y` is constant).
pub(super) fn explained_variance(pred: &[f32], y: &[f32]) -> f64 {
    let n = y.len() as f64;
    let mean = |v: &mut dyn Iterator<Item = f64>| v.sum::<f64>() / n;
    let my = mean(&mut y.iter().map(|&x| x as f64));
    let vy = mean(&mut y.iter().map(|&x| (x as f64 - my).powi(2)));
    let md = mean(&mut y.iter().zip(pred).map(|(a, b)| (a - b) as f64));
    let vd = mean(
        &mut y
            .iter()
            .zip(pred)
            .map(|(a, b)| ((a - b) as f64 - md).powi(2)),
    );
    if vy == 0.0 { f64::NAN } else { 1.0 - vd / vy }
}
