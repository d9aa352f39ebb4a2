//! One SAC gradient step (twin Q, actor, temperature; batch 256; 256 × 256 networks) on
//! the hand-written CPU kernels SAC trains with (`rl::nn`, `SacNets::step`), against the
//! same step written with burn's autodiff on the `flex` backend (what SAC ran on before),
//! for Pendulum-sized (3 → 1) and Ant-sized (27 → 8) problems.
//!
//! A step is ~16 passes of a 256 × 256 × 256 matrix product (≈ 540 MFLOP): the actor
//! over the batch's observations and next observations, two target Q forwards, two Q
//! forwards and backwards (weights and inputs), two Q forwards and input-only backwards
//! for the actor, and the actor's backward.
//!
//! ```sh
//! cargo bench --bench sac_update                       # all threads
//! RAYON_NUM_THREADS=1 cargo bench --bench sac_update   # one thread
//! ```

use burn::module::Param;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use criterion::{Criterion, criterion_group, criterion_main};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rewardsmith::rl::policy::{Activation, Mlp};
use rewardsmith::rl::sac::replay::Batch;
use rewardsmith::rl::sac::update::{SacNets, StepScratch, StepSettings};
use std::hint::black_box;

const BATCH: usize = 256;
const HIDDEN: [usize; 2] = [256, 256];

fn batch(obs: usize, act: usize, rng: &mut ChaCha8Rng) -> Batch {
    let mut u = |n: usize| -> Vec<f32> { (0..n).map(|_| rng.random_range(-1.0..1.0)).collect() };
    Batch {
        rows: BATCH,
        obs: u(BATCH * obs),
        act: u(BATCH * act),
        rew: u(BATCH),
        next: u(BATCH * obs),
        discount: vec![0.99; BATCH],
    }
}

/// The same gradient step on burn (autodiff over `flex`): SB3's order, the actor's
/// loss backpropagated through the critics by autodiff.
struct BurnSac {
    actor: Mlp,
    q: [Mlp; 2],
    q_target: [Mlp; 2],
    log_alpha: Param<Tensor<1>>,
    actor_opt: ModuleOptimizer,
    q_opt: ModuleOptimizer,
    device: Device,
    a: usize,
}

#[derive(Module, Debug)]
struct Twin {
    q1: Mlp,
    q2: Mlp,
}

impl BurnSac {
    fn new(obs: usize, act: usize, rng: &mut ChaCha8Rng) -> Self {
        let device = Device::flex().autodiff();
        let mlp = |inp: usize, out: usize, rng: &mut ChaCha8Rng| {
            Mlp::new(
                &[inp, HIDDEN[0], HIDDEN[1], out],
                1.0,
                Activation::Relu,
                rng,
                &device,
            )
        };
        let q = [mlp(obs + act, 1, rng), mlp(obs + act, 1, rng)];
        Self {
            actor: mlp(obs, 2 * act, rng),
            q_target: [q[0].clone(), q[1].clone()],
            q,
            log_alpha: Param::from_data(TensorData::new(vec![0.0f32], [1]), &device),
            actor_opt: AdamConfig::new().init(),
            q_opt: AdamConfig::new().init(),
            device,
            a: act,
        }
    }

    fn sample(&self, obs: Tensor<2>, rng: &mut ChaCha8Rng) -> (Tensor<2>, Tensor<1>) {
        let (n, a) = (obs.dims()[0], self.a);
        let out = self.actor.forward(obs);
        let mean = out.clone().slice([0..n, 0..a]);
        let log_std = burn::tensor::activation::tanh(out.slice([0..n, a..2 * a]))
            .add_scalar(1.0)
            .mul_scalar(3.5)
            .add_scalar(-5.0);
        let eps: Vec<f32> = (0..n * a).map(|_| rng.sample(StandardNormal)).collect();
        let eps = Tensor::<2>::from_data(TensorData::new(eps, [n, a]), &self.device);
        let y = burn::tensor::activation::tanh(mean + log_std.clone().exp() * eps.clone());
        let corr = y.clone().square().neg().add_scalar(1.0 + 1e-6).log();
        let logp = eps.square().mul_scalar(-0.5) - log_std - 0.919 - corr;
        (y, logp.sum_dim(1).reshape([n]))
    }

    fn step(&mut self, b: &Batch, d: usize, rng: &mut ChaCha8Rng) {
        let dev = self.device.clone();
        let t2 = |v: &[f32], w: usize| {
            Tensor::<2>::from_data(TensorData::new(v.to_vec(), [BATCH, w]), &dev)
        };
        let t1 = |v: &[f32]| Tensor::<1>::from_data(TensorData::new(v.to_vec(), [BATCH]), &dev);
        let (obs, next, act) = (t2(&b.obs, d), t2(&b.next, d), t2(&b.act, self.a));
        let (rew, disc) = (t1(&b.rew), t1(&b.discount));
        let alpha = (self.log_alpha.val().into_scalar::<f32>() as f64).exp();
        let (pi, logp) = self.sample(obs.clone(), rng);
        let (next_a, next_logp) = self.sample(next.clone(), rng);
        let q_of = |q: &Mlp, o: &Tensor<2>, a: Tensor<2>| {
            q.forward(Tensor::cat(vec![o.clone(), a], 1))
                .reshape([BATCH])
        };
        let min_next = q_of(&self.q_target[0], &next, next_a.clone().detach()).min_pair(q_of(
            &self.q_target[1],
            &next,
            next_a.detach(),
        )) - next_logp.detach().mul_scalar(alpha);
        let y = (rew + disc * min_next).detach();
        let twin = Twin {
            q1: self.q[0].clone(),
            q2: self.q[1].clone(),
        };
        let loss = ((q_of(&twin.q1, &obs, act.clone()) - y.clone())
            .square()
            .mean()
            + (q_of(&twin.q2, &obs, act) - y).square().mean())
        .mul_scalar(0.5);
        let mut grads = loss.backward();
        let gp = GradientsParams::from_module(&mut grads, &twin);
        let twin = self.q_opt.step(1e-3, twin, gp);
        let min_q = q_of(&twin.q1, &obs, pi.clone()).min_pair(q_of(&twin.q2, &obs, pi));
        let actor_loss = (logp.mul_scalar(alpha) - min_q).mean();
        let mut grads = actor_loss.backward();
        let gp = GradientsParams::from_module(&mut grads, &self.actor);
        self.actor = self.actor_opt.step(3e-4, self.actor.clone(), gp);
        self.q = [twin.q1, twin.q2];
    }
}

fn bench(c: &mut Criterion) {
    for (name, d, a) in [("pendulum", 3, 1), ("ant", 27, 8)] {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let b = batch(d, a, &mut rng);
        let mut nets = SacNets::new(d, a, &HIDDEN, Activation::Relu, 0.2, &mut rng);
        let mut scratch = StepScratch::default();
        let set = StepSettings {
            policy_lr: 3e-4,
            q_lr: 1e-3,
            tau: 0.005,
            autotune: true,
            alpha: 0.2,
            update_actor: true,
            update_target: true,
        };
        let mut g = c.benchmark_group(format!("sac_step_{name}"));
        g.sample_size(30);
        g.bench_function("fused", |bch| {
            bch.iter(|| black_box(nets.step(&b, &set, &mut rng, &mut scratch).expect("finite")))
        });
        let mut burn_sac = BurnSac::new(d, a, &mut rng);
        g.bench_function("burn_flex", |bch| {
            bch.iter(|| burn_sac.step(&b, d, &mut rng))
        });
        g.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
