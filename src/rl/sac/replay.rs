//! The replay buffer (a ring of transitions on the host) and the n-step adder that
//! turns each env's stream of steps into the transitions stored in it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// One stored transition's target inputs: `y = reward + discount · V(next)`, with
/// `discount` γ^k after k steps, or 0 after a termination.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Replay {
    cap: usize,
    len: usize,
    pos: usize,
    obs_dim: usize,
    act_dim: usize,
    obs: Vec<f32>,
    next: Vec<f32>,
    act: Vec<f32>,
    rew: Vec<f32>,
    discount: Vec<f32>,
}

/// A sampled minibatch, flat and row-major (buffers kept between steps).
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Rows.
    pub rows: usize,
    /// Observations, `rows × obs_dim`.
    pub obs: Vec<f32>,
    /// Actions in [-1, 1], `rows × act_dim`.
    pub act: Vec<f32>,
    /// (n-step) rewards.
    pub rew: Vec<f32>,
    /// Observations to bootstrap from, `rows × obs_dim`.
    pub next: Vec<f32>,
    /// Discounts of the bootstrap (0 after a termination).
    pub discount: Vec<f32>,
}

impl Replay {
    /// An empty buffer of `cap` transitions.
    pub fn new(cap: usize, obs_dim: usize, act_dim: usize) -> Self {
        Self {
            cap,
            len: 0,
            pos: 0,
            obs_dim,
            act_dim,
            obs: vec![0.0; cap * obs_dim],
            next: vec![0.0; cap * obs_dim],
            act: vec![0.0; cap * act_dim],
            rew: vec![0.0; cap],
            discount: vec![0.0; cap],
        }
    }

    /// Capacity.
    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// Transitions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Store a transition, overwriting the oldest when full.
    pub fn push(&mut self, obs: &[f32], act: &[f32], rew: f32, next: &[f32], discount: f32) {
        let (d, a, k) = (self.obs_dim, self.act_dim, self.pos);
        self.obs[k * d..(k + 1) * d].copy_from_slice(obs);
        self.next[k * d..(k + 1) * d].copy_from_slice(next);
        self.act[k * a..(k + 1) * a].copy_from_slice(act);
        self.rew[k] = rew;
        self.discount[k] = discount;
        self.pos = (self.pos + 1) % self.cap;
        self.len = (self.len + 1).min(self.cap);
    }

    /// Draw `rows` transitions uniformly with replacement into `out`.
    pub fn sample(&self, rows: usize, rng: &mut ChaCha8Rng, out: &mut Batch) {
        let (d, a) = (self.obs_dim, self.act_dim);
        out.rows = rows;
        for v in [
            &mut out.obs,
            &mut out.act,
            &mut out.rew,
            &mut out.next,
            &mut out.discount,
        ] {
            v.clear();
        }
        for _ in 0..rows {
            let k = rng.random_range(0..self.len);
            out.obs.extend_from_slice(&self.obs[k * d..(k + 1) * d]);
            out.next.extend_from_slice(&self.next[k * d..(k + 1) * d]);
            out.act.extend_from_slice(&self.act[k * a..(k + 1) * a]);
            out.rew.push(self.rew[k]);
            out.discount.push(self.discount[k]);
        }
    }

    /// A copy without the unused tail (what checkpoints store).
    pub fn compact(&self) -> Self {
        let (d, a, n) = (self.obs_dim, self.act_dim, self.len);
        Self {
            obs: self.obs[..n * d].to_vec(),
            next: self.next[..n * d].to_vec(),
            act: self.act[..n * a].to_vec(),
            rew: self.rew[..n].to_vec(),
            discount: self.discount[..n].to_vec(),
            ..*self
        }
    }

    /// Undo [`Replay::compact`].
    pub fn expand(mut self) -> Self {
        let (c, d, a) = (self.cap, self.obs_dim, self.act_dim);
        self.obs.resize(c * d, 0.0);
        self.next.resize(c * d, 0.0);
        self.act.resize(c * a, 0.0);
        self.rew.resize(c, 0.0);
        self.discount.resize(c, 0.0);
        self
    }

    /// Whether the buffer holds `obs_dim`/`act_dim`-wide transitions.
    pub fn fits(&self, obs_dim: usize, act_dim: usize) -> bool {
        self.obs_dim == obs_dim && self.act_dim == act_dim
    }
}

/// A step waiting for its n-step return to complete.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Pending {
    obs: Vec<f32>,
    act: Vec<f32>,
    ret: f64,
    discount: f64,
}

/// Per env, the last `n` steps whose n-step return is still open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NStepAdder {
    n: usize,
    gamma: f64,
    pending: Vec<VecDeque<Pending>>,
}

impl NStepAdder {
    /// For `n_envs` envs, `n`-step returns with discount `gamma`.
    pub fn new(n_envs: usize, n: usize, gamma: f64) -> Self {
        Self {
            n: n.max(1),
            gamma,
            pending: vec![VecDeque::new(); n_envs],
        }
    }

    /// Env `env` took `act` in `obs`, got `reward` and reached `next` (its final
    /// observation when the episode ended). Every step whose return is now complete
    /// (n steps later, or at the episode's end) goes into `replay`: after a
    /// termination with discount 0, after a truncation or n steps with γ^k, so
    /// truncated episodes bootstrap.
    #[allow(clippy::too_many_arguments)]
    pub fn add(
        &mut self,
        replay: &mut Replay,
        env: usize,
        obs: &[f32],
        act: &[f32],
        reward: f64,
        next: &[f32],
        terminated: bool,
        truncated: bool,
    ) {
        let q = &mut self.pending[env];
        q.push_back(Pending {
            obs: obs.to_vec(),
            act: act.to_vec(),
            ret: 0.0,
            discount: 1.0,
        });
        for p in q.iter_mut() {
            p.ret += p.discount * reward;
            p.discount *= self.gamma;
        }
        if terminated || truncated {
            for p in q.drain(..) {
                let discount = if terminated { 0.0 } else { p.discount };
                replay.push(&p.obs, &p.act, p.ret as f32, next, discount as f32);
            }
        } else if q.len() == self.n {
            let p = q.pop_front().expect("n ≥ 1 pending");
            replay.push(&p.obs, &p.act, p.ret as f32, next, p.discount as f32);
        }
    }

    /// Whether it was made for `n_envs` envs and `n`-step returns.
    pub fn fits(&self, n_envs: usize, n: usize) -> bool {
        self.pending.len() == n_envs && self.n == n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(r: &Replay) -> Vec<(f32, f32, f32, f32)> {
        // (obs, reward, next, discount) of one-wide transitions, oldest first.
        (0..r.len())
            .map(|k| (r.obs[k], r.rew[k], r.next[k], r.discount[k]))
            .collect()
    }

    #[test]
    fn one_step_returns_are_plain_transitions() {
        let mut r = Replay::new(8, 1, 1);
        let mut add = NStepAdder::new(1, 1, 0.9);
        add.add(&mut r, 0, &[0.0], &[0.5], 1.0, &[1.0], false, false);
        add.add(&mut r, 0, &[1.0], &[0.5], 2.0, &[2.0], true, false);
        add.add(&mut r, 0, &[5.0], &[0.5], 3.0, &[6.0], false, true);
        assert_eq!(
            stored(&r),
            vec![
                (0.0, 1.0, 1.0, 0.9),
                (1.0, 2.0, 2.0, 0.0),
                (5.0, 3.0, 6.0, 0.9)
            ]
        );
    }

    #[test]
    fn three_step_returns_by_hand() {
        // γ = 0.5, rewards 1, 2, 4, 8 from states 0, 1, 2, 3, then a truncation.
        let mut r = Replay::new(8, 1, 1);
        let mut add = NStepAdder::new(1, 3, 0.5);
        add.add(&mut r, 0, &[0.0], &[0.0], 1.0, &[1.0], false, false);
        add.add(&mut r, 0, &[1.0], &[0.0], 2.0, &[2.0], false, false);
        assert!(r.is_empty(), "nothing complete before 3 steps");
        add.add(&mut r, 0, &[2.0], &[0.0], 4.0, &[3.0], false, false);
        // From state 0: 1 + 0.5·2 + 0.25·4 = 3, bootstrapped from state 3 with 0.125.
        assert_eq!(stored(&r), vec![(0.0, 3.0, 3.0, 0.125)]);
        add.add(&mut r, 0, &[3.0], &[0.0], 8.0, &[4.0], false, true);
        // The truncation flushes: from 1: 2 + 2 + 2 = 6 (γ³); from 2: 4 + 4 = 8 (γ²);
        // from 3: 8 (γ), all bootstrapped from the final observation 4.
        assert_eq!(
            stored(&r),
            vec![
                (0.0, 3.0, 3.0, 0.125),
                (1.0, 6.0, 4.0, 0.125),
                (2.0, 8.0, 4.0, 0.25),
                (3.0, 8.0, 4.0, 0.5)
            ]
        );
        // A termination flushes with discount 0.
        add.add(&mut r, 0, &[10.0], &[0.0], 1.0, &[11.0], false, false);
        add.add(&mut r, 0, &[11.0], &[0.0], 1.0, &[12.0], true, false);
        let s = stored(&r);
        assert_eq!(s[4], (10.0, 1.5, 12.0, 0.0));
        assert_eq!(s[5], (11.0, 1.0, 12.0, 0.0));
    }

    #[test]
    fn the_ring_overwrites_the_oldest_and_compacts_round_trip() {
        let mut r = Replay::new(3, 1, 1);
        for k in 0..5 {
            r.push(&[k as f32], &[0.0], k as f32, &[0.0], 1.0);
        }
        assert_eq!(r.len(), 3);
        let rews: Vec<f32> = stored(&r).iter().map(|t| t.1).collect();
        assert_eq!(rews, vec![3.0, 4.0, 2.0]);
        let mut small = Replay::new(4, 2, 1);
        small.push(&[1.0, 2.0], &[0.5], 1.0, &[3.0, 4.0], 0.9);
        assert_eq!(small.compact().expand(), small);
    }
}
