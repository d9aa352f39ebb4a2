//! Collecting a PPO rollout: acting with the host copy of the policy, normalizing
//! observations and rewards (SB3's `VecNormalize`), bootstrapping truncated episodes,
//! and the GAE advantages of the batch.

use crate::env::ActionSpace;
use crate::rl::driver::EnvDriver;
use crate::rl::gae::{End, Gae, gae};
use crate::rl::policy::sample_categorical;
use crate::rl::{RlError, box_action};

use super::Ppo;

/// One rollout of `n_steps × n_envs` transitions, step-major (row `t · n_envs + i`).
pub(super) struct Rollout {
    /// Normalized observations, `obs_dim` per row.
    pub obs: Vec<f32>,
    /// Gaussian samples (before clipping or squashing), or the discrete action index.
    pub act: Vec<f32>,
    /// Log-probabilities of the actions under the acting policy.
    pub logp: Vec<f32>,
    /// Value estimates at acting time.
    pub val: Vec<f32>,
    /// GAE(λ) advantages.
    pub adv: Vec<f32>,
    /// Value targets (advantages + values).
    pub ret: Vec<f32>,
}

impl Ppo {
    /// Step the envs of `drv` for `n_steps` with the current policy and compute the
    /// advantages of what was collected.
    pub(super) fn collect(&mut self, drv: &mut EnvDriver) -> Result<Rollout, RlError> {
        let (n, d) = (drv.n_envs(), self.obs_dim);
        // Stored action width: the Box dimension, or 1 (the index) for a Discrete space.
        let a = self.space.dim();
        let steps = self.cfg.n_steps;
        let host = self.model.to_host(self.head);
        let bs = steps * n;
        let mut b_obs = vec![0f32; bs * d];
        let mut b_act = vec![0f32; bs * a];
        let mut b_logp = vec![0f32; bs];
        let mut b_val = vec![0f32; bs];
        let mut b_rew = vec![0f32; bs];
        let mut b_end = vec![End::Running; bs];
        let mut env_act = vec![0f64; n * a];
        // steps whose rewards are stored (they may lag the steps taken by a few)
        let mut settled = 0;
        for t in 0..steps {
            if self.cfg.norm_obs {
                self.obs_rms.update_f32(&drv.obs);
            }
            let norm = self.normalize_obs(&drv.obs);
            let out = host.mean(&norm, d);
            let values = host.value(&norm, d);
            let (acts, logps) = match &self.space {
                ActionSpace::Box(space) => {
                    let (acts, logps) = host.sample(&out, &mut self.rng);
                    let map = self.box_map();
                    for (k, (e, &x)) in env_act.iter_mut().zip(&acts).enumerate() {
                        let j = k % a;
                        *e = box_action(x as f64, space.low[j], space.high[j], map);
                    }
                    (acts, logps)
                }
                ActionSpace::Discrete(_) => {
                    let (idx, logps) = sample_categorical(&out, self.out_dim, &mut self.rng);
                    for (e, &i) in env_act.iter_mut().zip(&idx) {
                        *e = i as f64;
                    }
                    (idx, logps)
                }
            };
            // With a CLIP term scored in the background, its scoring of this step
            // overlaps the next step's acting and physics; rewards come in step order.
            drv.step_pipelined(&env_act).map_err(|e| RlError::Step {
                step: self.global_step + (t * n) as u64,
                source: Box::new(e),
            })?;
            self.global_step += n as u64;
            let row = t * n;
            b_obs[row * d..(row + n) * d].copy_from_slice(&norm);
            b_act[row * a..(row + n) * a].copy_from_slice(&acts);
            b_logp[row..row + n].copy_from_slice(&logps);
            b_val[row..row + n].copy_from_slice(&values);
            for i in 0..n {
                let f = drv.flags[i];
                b_end[row + i] = if f.terminated {
                    End::Terminated
                } else if f.truncated {
                    // SB3: a truncated episode bootstraps the value of its final
                    // observation.
                    let fo = self.normalize_obs(&drv.final_obs[i * d..(i + 1) * d]);
                    End::Truncated(host.value(&fo, d)[0])
                } else {
                    End::Running
                };
            }
            for rewards in drv.take_settled() {
                self.store_rewards(&rewards, &b_end, &mut b_rew, &mut settled);
            }
        }
        drv.finish_steps()?;
        for rewards in drv.take_settled() {
            self.store_rewards(&rewards, &b_end, &mut b_rew, &mut settled);
        }
        let last_values = host.value(&self.normalize_obs(&drv.obs), d);
        let Gae {
            advantages,
            returns,
        } = gae(
            &b_rew,
            &b_val,
            &b_end,
            &last_values,
            self.cfg.gamma,
            self.cfg.gae_lambda,
        );
        debug_assert_eq!(settled, steps, "every step's rewards are stored");
        Ok(Rollout {
            obs: b_obs,
            act: b_act,
            logp: b_logp,
            val: b_val,
            adv: advantages,
            ret: returns,
        })
    }

    /// Stores the rewards of step `*settled` (normalized by the running return's scale,
    /// SB3's `VecNormalize`) and moves on to the next step.
    fn store_rewards(
        &mut self,
        rewards: &[f64],
        ends: &[End],
        b_rew: &mut [f32],
        settled: &mut usize,
    ) {
        let n = rewards.len();
        let row = *settled * n;
        for (ret, r) in self.returns.iter_mut().zip(rewards) {
            *ret = *ret * self.cfg.gamma + r;
        }
        if self.cfg.norm_reward {
            self.ret_rms.update_scalars(&self.returns);
        }
        let scale = if self.cfg.norm_reward {
            self.ret_rms.std(0)
        } else {
            1.0
        };
        for (i, &reward) in rewards.iter().enumerate() {
            let mut r = reward / scale;
            if self.cfg.norm_reward {
                r = r.clamp(-self.cfg.clip_reward, self.cfg.clip_reward);
            }
            if ends[row + i] != End::Running {
                self.returns[i] = 0.0;
            }
            b_rew[row + i] = r as f32;
        }
        *settled += 1;
    }
}
