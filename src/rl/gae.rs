//! Generalized advantage estimation (Schulman et al. 2016) over a vectorised rollout,
//! with truncated episodes bootstrapped from the value of their final observation
//! (Pardo et al. 2018, "Time limits in reinforcement learning"; SB3's
//! `handle_timeout_termination`).

/// How an episode stood after a transition.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum End {
    /// The episode goes on: the next transition of the same env continues it.
    Running,
    /// The MDP ended (a terminal state): nothing follows, the target is the reward.
    Terminated,
    /// The time limit cut the episode: the future is still worth `V(final observation)`,
    /// this value (in the units the critic learns).
    Truncated(f32),
}

/// Advantages and value targets of a rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct Gae {
    /// `A_t`, one per transition.
    pub advantages: Vec<f32>,
    /// `A_t + V(s_t)`, the critic's targets (TD(λ) returns).
    pub returns: Vec<f32>,
}

/// GAE(λ) of a rollout of `n_envs` envs: transition `t·n_envs + i` is env `i` at step
/// `t`. `values` are `V(s_t)`, `last_values` the values of the observations after the
/// last step (one per env), `ends` what happened after each transition.
///
/// `δ_t = r_t + γ V_next − V(s_t)` with `V_next` the next state's value (0 after a
/// termination, the final observation's value after a truncation, `last_values` after
/// the rollout's last step); `A_t = δ_t + γλ A_{t+1}`, the sum cut at every episode end.
pub fn gae(
    rewards: &[f32],
    values: &[f32],
    ends: &[End],
    last_values: &[f32],
    gamma: f64,
    lambda: f64,
) -> Gae {
    let n = last_values.len();
    let len = rewards.len();
    assert!(
        n > 0 && len.is_multiple_of(n) && values.len() == len && ends.len() == len,
        "a rollout of whole steps over {n} envs"
    );
    let steps = len / n;
    let mut advantages = vec![0f32; len];
    let mut next_adv = vec![0f64; n];
    for t in (0..steps).rev() {
        for i in 0..n {
            let k = t * n + i;
            let (next_value, goes_on) = match ends[k] {
                End::Running if t + 1 == steps => (last_values[i] as f64, 1.0),
                End::Running => (values[k + n] as f64, 1.0),
                End::Terminated => (0.0, 0.0),
                End::Truncated(v) => (v as f64, 0.0),
            };
            let delta = rewards[k] as f64 + gamma * next_value - values[k] as f64;
            next_adv[i] = delta + gamma * lambda * goes_on * next_adv[i];
            advantages[k] = next_adv[i] as f32;
        }
    }
    let returns = advantages.iter().zip(values).map(|(a, v)| a + v).collect();
    Gae {
        advantages,
        returns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f32], b: &[f64]) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(b) {
            assert!((*x as f64 - y).abs() < 1e-5, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn three_steps_by_hand() {
        // One env, γ = 0.9, λ = 0.8, rewards 1, 2, 3, values 0.5, 1.0, 1.5, and the
        // state after the rollout worth 2.
        //   δ2 = 3 + 0.9·2   − 1.5 = 3.3            A2 = 3.3
        //   δ1 = 2 + 0.9·1.5 − 1.0 = 2.35           A1 = 2.35 + 0.72·3.3  = 4.726
        //   δ0 = 1 + 0.9·1.0 − 0.5 = 1.4            A0 = 1.4  + 0.72·4.726 = 4.80272
        let g = gae(
            &[1.0, 2.0, 3.0],
            &[0.5, 1.0, 1.5],
            &[End::Running; 3],
            &[2.0],
            0.9,
            0.8,
        );
        close(&g.advantages, &[4.80272, 4.726, 3.3]);
        close(&g.returns, &[5.30272, 5.726, 4.8]);
    }

    #[test]
    fn termination_cuts_and_truncation_bootstraps() {
        // As above, but the episode ends after step 1 and a new one starts at step 2.
        // Terminated: δ1 = 2 − 1.0 = 1.0, A1 = 1.0 (nothing of step 2 flows back),
        //             A0 = 1.4 + 0.72·1.0 = 2.12.
        let term = gae(
            &[1.0, 2.0, 3.0],
            &[0.5, 1.0, 1.5],
            &[End::Running, End::Terminated, End::Running],
            &[2.0],
            0.9,
            0.8,
        );
        close(&term.advantages, &[2.12, 1.0, 3.3]);
        // Truncated with V(final obs) = 4: δ1 = 2 + 0.9·4 − 1.0 = 4.6, A1 = 4.6,
        //             A0 = 1.4 + 0.72·4.6 = 4.712; step 2 is unchanged.
        let trunc = gae(
            &[1.0, 2.0, 3.0],
            &[0.5, 1.0, 1.5],
            &[End::Running, End::Truncated(4.0), End::Running],
            &[2.0],
            0.9,
            0.8,
        );
        close(&trunc.advantages, &[4.712, 4.6, 3.3]);
    }

    #[test]
    fn envs_are_independent_columns() {
        // Two envs interleaved (t·2 + i): env 0 as in `three_steps_by_hand`, env 1 all
        // zeros with a termination in the middle, which must not touch env 0.
        let g = gae(
            &[1.0, 0.0, 2.0, 0.0, 3.0, 0.0],
            &[0.5, 0.0, 1.0, 0.0, 1.5, 0.0],
            &[
                End::Running,
                End::Running,
                End::Running,
                End::Terminated,
                End::Running,
                End::Running,
            ],
            &[2.0, 0.0],
            0.9,
            0.8,
        );
        close(&g.advantages, &[4.80272, 0.0, 4.726, 0.0, 3.3, 0.0]);
    }

    #[test]
    fn lambda_one_gives_discounted_returns_and_zero_gives_td() {
        let (r, v) = ([1.0, 1.0, 1.0], [0.0, 0.0, 0.0]);
        let mc = gae(&r, &v, &[End::Running; 3], &[10.0], 0.5, 1.0);
        // 1 + 0.5 + 0.25 + 0.125·10
        close(&mc.returns[..1], &[3.0]);
        let td = gae(&r, &[0.2, 0.4, 0.6], &[End::Running; 3], &[10.0], 0.5, 0.0);
        // A_t = r_t + γ V_{t+1} − V_t
        close(&td.advantages, &[1.0, 0.9, 5.4]);
    }
}
