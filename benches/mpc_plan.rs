//! Predictive-sampling planning speed per env, and where a plan's time goes.
//!
//! `cargo bench --bench mpc_plan -- [--seconds S] [ENV...]` (default: reacher, arm-push,
//! ant, humanoid) prints, per env with its `[mpc]` settings and program: planning steps
//! per second with 1 rollout worker and with one per core, and the cost of one plan's
//! parts measured alone — restoring a snapshot (bincode decode of the rapier world, once
//! per candidate), one control step, one reward call — times how often a plan does
//! each.

use rewardsmith::env::AssetRoots;
use rewardsmith::mpc::{MpcOverrides, MpcSetup, PredictiveSampling};
use rewardsmith::reward::{Params, RewardOut};
use std::time::Instant;

fn per_second(seconds: f64, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < seconds {
        f();
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    let mut seconds = 2.0;
    let mut envs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--seconds" => seconds = args.next().and_then(|s| s.parse().ok()).unwrap_or(seconds),
            "--bench" => {}
            other if !other.starts_with('-') => envs.push(other.to_string()),
            _ => {}
        }
    }
    if envs.is_empty() {
        envs = ["reacher", "arm-push", "ant", "humanoid"]
            .map(String::from)
            .to_vec();
    }
    let roots = AssetRoots::discover();
    let cores = rayon::current_num_threads();
    println!(
        "| env | samples × steps | plans/s, 1 worker | plans/s, {cores} workers | restore µs | step µs | reward µs | plan ms: restores + steps + rewards |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for name in envs {
        let mut setup = MpcSetup::load(
            &name,
            &roots,
            None,
            &Params::new(),
            &MpcOverrides::default(),
        )
        .expect("env with [mpc]");
        setup.env.reset(Some(0)).expect("reset");
        let cfg = setup.config.clone();
        let rate = |workers: usize, setup: &MpcSetup| {
            let mut p =
                PredictiveSampling::new(&setup.env, &setup.program, cfg.clone(), 0, workers)
                    .expect("planner");
            per_second(seconds, || {
                p.plan(&setup.env).expect("plan");
            })
        };
        let one = rate(1, &setup);
        let all = rate(cores, &setup);
        let steps = PredictiveSampling::new(&setup.env, &setup.program, cfg.clone(), 0, 1)
            .expect("planner")
            .horizon_steps();
        let snap = setup.env.snapshot().expect("snapshot");
        let mut copy = setup.env.duplicate().expect("copy");
        let restore = 1e6 / per_second(seconds / 2.0, || copy.restore(&snap).expect("restore"));
        let dim = setup.env.compiled().action_space.dim();
        let action = vec![0.0; dim];
        let mut obs = vec![0.0f32; setup.env.compiled().obs_dim()];
        copy.restore(&snap).expect("restore");
        let mut k = 0;
        let step = 1e6
            / per_second(seconds / 2.0, || {
                copy.step_into(&action, &mut obs).expect("step");
                k += 1;
                if k % 200 == 0 {
                    copy.restore(&snap).expect("restore");
                }
            });
        let mut out = RewardOut::default();
        let state = copy.state().clone();
        let reward = 1e6
            / per_second(seconds / 2.0, || {
                setup.program.reward_into(&state, &mut out).expect("reward");
            });
        let n = cfg.samples as f64;
        let parts = (n * restore + n * steps as f64 * (step + reward)) / 1e3;
        println!(
            "| {name} | {} × {steps} | {one:.1} | {all:.1} | {restore:.1} | {step:.1} | {reward:.2} | {:.2} + {:.2} + {:.2} = {parts:.2} |",
            cfg.samples,
            n * restore / 1e3,
            n * steps as f64 * step / 1e3,
            n * steps as f64 * reward / 1e3,
        );
    }
}
