//! SAC's maths against hand-computed values and finite differences.

use super::*;
use rand::SeedableRng;

#[test]
fn soft_target_by_hand() {
    // r = 1, γ = 0.99, Q' = (5, 4), α = 0.2, log π' = −1.5:
    // 1 + 0.99 · (min(5, 4) + 0.2 · 1.5) = 1 + 0.99 · 4.3 = 5.257.
    assert!((soft_target(1.0, 0.99, 5.0, 4.0, 0.2, -1.5) - 5.257).abs() < 1e-6);
    // After a termination only the reward counts; a 3-step return bootstraps γ³.
    assert_eq!(soft_target(2.5, 0.0, 100.0, 90.0, 0.2, -1.0), 2.5);
    let g3 = 0.99f32.powi(3);
    assert!((soft_target(0.0, g3, 1.0, 2.0, 0.0, 0.0) - 0.970_299).abs() < 1e-6);
}

#[test]
fn temperature_follows_the_entropy_target() {
    // Entropy 3 (log π = −3) above the target −1 of a 1-D action: the gradient in ln α
    // is −(−3 − 1) = 4 > 0, so α shrinks; below the target it grows.
    assert_eq!(temperature_gradient(-3.0, 1), 4.0);
    assert_eq!(temperature_gradient(2.0, 1), -1.0);
    // Through Adam's first step (≈ lr · sign of the gradient): ln α moves by −lr.
    let mut adam = Adam::new(1, ADAM_EPS);
    let mut la = [0.2f32.ln()];
    adam.step(&mut la, &[temperature_gradient(-3.0, 1) as f32], 1e-3);
    assert!((la[0] - (0.2f32.ln() - 1e-3)).abs() < 1e-6);
}

/// A small SAC problem: 3-D observations, 2-D actions, 8-8 networks.
fn setup() -> (SacNets, Batch, ChaCha8Rng) {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let nets = SacNets::new(3, 2, &[8, 8], Activation::Relu, 0.3, &mut rng);
    let rows = 6;
    let mut u = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-1.0..1.0)).collect() };
    let batch = Batch {
        rows,
        obs: u(rows * 3),
        act: u(rows * 2),
        rew: u(rows),
        next: u(rows * 3),
        discount: vec![0.99, 0.0, 0.99, 0.99, 0.5, 0.99],
    };
    (nets, batch, ChaCha8Rng::seed_from_u64(12))
}

fn settings(update_actor: bool) -> StepSettings {
    StepSettings {
        policy_lr: 1e-3,
        q_lr: 1e-3,
        tau: 0.005,
        autotune: true,
        alpha: 0.3,
        update_actor,
        update_target: true,
    }
}

fn q_out(q: &Mlp, input: &[f32], rows: usize) -> Vec<f32> {
    let mut c = MlpCache::default();
    q.forward(input, rows, &mut c);
    q.output(&c).to_vec()
}

#[test]
fn the_q_loss_is_the_regression_on_the_soft_target() {
    let (mut nets, batch, mut rng) = setup();
    let before = nets.clone();
    let mut s = StepScratch::default();
    let report = nets
        .step(&batch, &settings(true), &mut rng, &mut s)
        .unwrap();
    // Recompute the target and the loss from the networks as they were, with the noise
    // and log π the step drew for the next observations (rows 6..12 of its samples).
    let (bs, a) = (batch.rows, 2);
    let mut next_in = Vec::new();
    fill_q_input(&mut next_in, &batch.next, &s.samples.y[bs * a..], 3, a, bs);
    let t1 = q_out(&before.q_target[0], &next_in, bs);
    let t2 = q_out(&before.q_target[1], &next_in, bs);
    let mut obs_in = Vec::new();
    fill_q_input(&mut obs_in, &batch.obs, &batch.act, 3, a, bs);
    let q1 = q_out(&before.q[0], &obs_in, bs);
    let q2 = q_out(&before.q[1], &obs_in, bs);
    let alpha = before.log_alpha.exp();
    assert!(
        (report.alpha - alpha).abs() < 1e-12,
        "the step uses α before its update"
    );
    let mut loss = 0.0;
    for r in 0..bs {
        let y = soft_target(
            batch.rew[r],
            batch.discount[r],
            t1[r],
            t2[r],
            alpha,
            s.samples.logp[bs + r],
        );
        loss += 0.5 * ((q1[r] - y) as f64).powi(2) / bs as f64;
        loss += 0.5 * ((q2[r] - y) as f64).powi(2) / bs as f64;
    }
    assert!(
        (report.q_loss - loss).abs() < 1e-5 * loss.max(1.0),
        "{} vs {loss}",
        report.q_loss
    );
    // The targets moved by τ towards the updated Q networks, the temperature by ~lr.
    for i in 0..2 {
        for ((t, old), q) in nets.q_target[i]
            .params()
            .iter()
            .zip(before.q_target[i].params())
            .zip(nets.q[i].params())
        {
            assert!((t - (0.005 * q + 0.995 * old)).abs() < 1e-6);
        }
    }
    assert!((nets.log_alpha - before.log_alpha).abs() > 0.9e-3);
    assert!((nets.log_alpha - before.log_alpha).abs() < 1.1e-3);
}

/// The actor loss `mean(α log π − min Q)` at actor parameters `actor`, with the step's
/// noise `eps` held fixed (the reparameterisation).
fn actor_loss(actor: &Mlp, q: &[Mlp; 2], obs: &[f32], eps: &[f32], alpha: f64, bs: usize) -> f64 {
    let a = 2;
    let mut c = MlpCache::default();
    actor.forward(obs, bs, &mut c);
    let out = actor.output(&c);
    let (mut ys, mut logps) = (Vec::new(), Vec::new());
    for r in 0..bs {
        let mut lp = 0.0;
        for j in 0..a {
            let mean = out[r * 2 * a + j] as f64;
            let ls = bounded_log_std(out[r * 2 * a + a + j] as f64);
            let e = eps[r * a + j] as f64;
            let y = (mean + ls.exp() * e).tanh();
            lp += log_density(e, ls) - squash_log_det(y);
            ys.push(y as f32);
        }
        logps.push(lp);
    }
    let mut input = Vec::new();
    fill_q_input(&mut input, obs, &ys, 3, a, bs);
    let (q1, q2) = (q_out(&q[0], &input, bs), q_out(&q[1], &input, bs));
    (0..bs)
        .map(|r| (alpha * logps[r] - q1[r].min(q2[r]) as f64) / bs as f64)
        .sum()
}

#[test]
fn actor_gradient_matches_finite_differences_of_the_actor_loss() {
    let (mut nets, batch, mut rng) = setup();
    let actor_before = nets.actor.clone();
    let mut set = settings(true);
    set.policy_lr = 1e-20; // keep the actor where the gradient was taken
    let mut s = StepScratch::default();
    let report = nets.step(&batch, &set, &mut rng, &mut s).unwrap();
    let bs = batch.rows;
    let eps = s.samples.eps[..bs * 2].to_vec();
    let (loss, _) = report.actor.expect("actor stepped");
    // The actor loss is taken through the Q networks after the critic step.
    let at = |m: &Mlp| actor_loss(m, &nets.q, &batch.obs, &eps, report.alpha, bs);
    assert!(
        (at(&actor_before) - loss).abs() < 1e-5,
        "{} vs {loss}",
        at(&actor_before)
    );
    let h = 1e-3f32;
    let mut checked = 0;
    for k in 0..actor_before.params().len() {
        let (mut up, mut down) = (actor_before.clone(), actor_before.clone());
        up.params_mut()[k] += h;
        down.params_mut()[k] -= h;
        let fd = (at(&up) - at(&down)) / (2.0 * h as f64);
        let g = s.actor_grads[k] as f64;
        assert!(
            (fd - g).abs() < 2e-3 + 0.02 * g.abs(),
            "param {k}: {fd} vs {g}"
        );
        checked += (g.abs() > 1e-4) as usize;
    }
    assert!(checked > 20, "only {checked} gradients were non-zero");
}

#[test]
fn a_delayed_step_leaves_actor_and_temperature_alone() {
    let (mut nets, batch, mut rng) = setup();
    let before = nets.clone();
    let report = nets
        .step(
            &batch,
            &settings(false),
            &mut rng,
            &mut StepScratch::default(),
        )
        .unwrap();
    assert!(report.actor.is_none());
    assert_eq!(nets.actor, before.actor);
    assert_eq!(nets.log_alpha, before.log_alpha);
    assert_ne!(nets.q[0], before.q[0]);
}
