//! Training end to end through the CLI: PPO learns cartpole (continuous and discrete
//! actions) and pendulum, SAC pendulum, a killed run resumes to the same result bit for
//! bit, and a NaN reward stops training with a clear error while the last good checkpoint
//! stays loadable.

mod common;

use assert_cmd::Command;
use common::metrics_without_timing;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn rewardsmith() -> Command {
    Command::cargo_bin("rewardsmith").expect("binary is built")
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read json")).expect("parse json")
}

/// `rewardsmith train ARGS --out OUT`, which must succeed; returns its summary.json.
fn train(args: &[&str], out: &Path) -> Value {
    let t = std::time::Instant::now();
    rewardsmith()
        .arg("train")
        .args(args)
        .arg("--out")
        .arg(out)
        .assert()
        .success();
    let s = json(&out.join("summary.json"));
    eprintln!("{args:?}: {s} in {:.1} s", t.elapsed().as_secs_f64());
    s
}

/// Train with `args`, then assert the deterministic evaluation succeeds ≥ 90 % within
/// `max_steps`; returns the summary.
fn train_to_success(args: &[&str], out: &Path, max_steps: u64) -> Value {
    let s = train(args, out);
    let success = s["eval"]["success_rate"].as_f64().unwrap();
    assert!(success >= 0.9, "success rate {success} after training: {s}");
    assert!(s["steps"].as_u64().unwrap() <= max_steps, "{s}");
    s
}

/// Train `args` uninterrupted into `tmp/a`, and into `tmp/b` killed after `stop_after`
/// updates and resumed; both runs must end with the same policy, evaluation and metrics.
/// Returns `(a, b)`.
fn assert_resume_matches(tmp: &Path, args: &[&str], stop_after: &str) -> (PathBuf, PathBuf) {
    let (a, b) = (tmp.join("a"), tmp.join("b"));
    let run = |out: &Path, extra: &[&str]| {
        rewardsmith()
            .arg("train")
            .args(args)
            .args(["--checkpoint-every", "1", "--video-every", "0"])
            .args(extra)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    run(&a, &[]);
    run(&b, &["--stop-after", stop_after]);
    assert!(!b.join("summary.json").exists(), "killed before the end");
    resume(&b);
    let (sa, sb) = (json(&a.join("summary.json")), json(&b.join("summary.json")));
    assert_eq!(sa["policy_hash"], sb["policy_hash"]);
    assert_eq!(sa["eval"], sb["eval"]);
    assert_eq!(sa["steps"], sb["steps"]);
    assert_eq!(metrics_without_timing(&a), metrics_without_timing(&b));
    (a, b)
}

/// `rewardsmith train --resume DIR`, which must succeed.
fn resume(dir: &Path) {
    rewardsmith()
        .args(["train", "--resume"])
        .arg(dir)
        .args(["--video-every", "0"])
        .assert()
        .success();
}

#[test]
fn ppo_balances_cartpole() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    train_to_success(&["--env", "cartpole", "--seed", "1"], &out, 100_000);
    for f in [
        "config.toml",
        "metrics.jsonl",
        "curves.png",
        "checkpoints/latest",
        "programs/reward.luau",
        "videos/update-000050.gif",
        "videos/final.gif",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // Three panels: return, success, components (no constraints, no fourth).
    let png = image::open(out.join("curves.png")).unwrap();
    assert_eq!((png.width(), png.height()), (1500, 450));
    let tb = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .any(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("events.out.tfevents.")
        });
    assert!(tb, "no TensorBoard event file");
    // The checkpoint evaluates the same way through `eval`, which also records the
    // first episode: a balancing policy lasts the whole 500-step horizon, so the GIF
    // holds the reset frame plus one per step (cartpole's 50 steps/s play in real time).
    let video = tmp.path().join("episode.gif");
    rewardsmith()
        .args(["eval", "--episodes", "4", "--run"])
        .arg(&out)
        .arg("--video")
        .arg(&video)
        .assert()
        .success()
        .stdout(predicate::str::contains("success_rate"));
    let gif = image::codecs::gif::GifDecoder::new(std::io::BufReader::new(
        std::fs::File::open(&video).unwrap(),
    ))
    .unwrap();
    let frames = image::AnimationDecoder::into_frames(gif)
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 501);
    assert_eq!(frames[0].buffer().dimensions(), (224, 224));
    assert_ne!(frames[0].buffer(), frames[500].buffer(), "the cart moves");
    // `frames` plays a run's policy too, and refuses a run of another env.
    let shots = tmp.path().join("frames");
    rewardsmith()
        .args(["frames", "--env", "cartpole", "--steps", "5", "--policy"])
        .arg(&out)
        .arg("--out")
        .arg(&shots)
        .assert()
        .success();
    assert!(shots.join("frame_00005.png").exists());
    rewardsmith()
        .args(["frames", "--env", "pendulum", "--steps", "5", "--policy"])
        .arg(&out)
        .arg("--out")
        .arg(&shots)
        .assert()
        .failure()
        .stderr(predicate::str::contains("reads 4 observations"));
    // `rollout` plays it as well: the first episode balances to the 500-step horizon
    // (random actions drop the pole within ~20 steps), and every row reports success.
    let rows = tmp.path().join("rollout.jsonl");
    rewardsmith()
        .args([
            "rollout", "--env", "cartpole", "--steps", "501", "--seed", "3",
        ])
        .arg("--policy")
        .arg(&out)
        .arg("--out")
        .arg(&rows)
        .assert()
        .success();
    let rows: Vec<Value> = std::fs::read_to_string(&rows)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first: Vec<&Value> = rows.iter().filter(|r| r["episode"] == 0).collect();
    assert_eq!(first.len(), 500);
    assert!(first.iter().all(|r| r["terminated"] == false));
    assert_eq!(first[499]["truncated"], true);
    assert!(first.iter().all(|r| r["success"].is_boolean()));
}

#[test]
fn ppo_balances_cartpole_with_discrete_actions() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let args = [
        "--env",
        "cartpole-discrete",
        "--seed",
        "1",
        "--video-every",
        "0",
    ];
    train_to_success(&args, &out, 100_000);
    let actor = json(&out.join("checkpoints/update-000390/actor.json"));
    assert_eq!(actor["discrete"], true, "a categorical policy");
    // The checkpoint plays through `eval` (with a video) and `frames`, and is refused by
    // the continuous cartpole, whose observations have the same size.
    let video = tmp.path().join("episode.gif");
    rewardsmith()
        .args(["eval", "--episodes", "3", "--run"])
        .arg(&out)
        .arg("--video")
        .arg(&video)
        .assert()
        .success()
        .stdout(predicate::str::contains("\"success_rate\": 1.0"));
    assert!(video.exists());
    let shots = tmp.path().join("frames");
    rewardsmith()
        .args([
            "frames",
            "--env",
            "cartpole-discrete",
            "--steps",
            "3",
            "--policy",
        ])
        .arg(&out)
        .arg("--out")
        .arg(&shots)
        .assert()
        .success();
    assert!(shots.join("frame_00003.png").exists());
    rewardsmith()
        .args(["frames", "--env", "cartpole", "--steps", "3", "--policy"])
        .arg(&out)
        .arg("--out")
        .arg(&shots)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "the policy picks discrete actions, but the env's action space is Box(1)",
        ));
}

#[test]
fn discrete_run_resumes_bit_for_bit_and_sac_refuses_it() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "--env",
        "cartpole-discrete",
        "--steps",
        "2048",
        "--seed",
        "3",
    ];
    assert_resume_matches(tmp.path(), &args, "5");
    rewardsmith()
        .args(["train", "--env", "cartpole-discrete", "--algo", "sac", "--out"])
        .arg(tmp.path().join("sac"))
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "SAC needs continuous actions, but env `cartpole-discrete` has a Discrete(2) action space",
        ));
}

#[test]
fn stop_return_ends_the_run_when_the_rolling_mean_is_reached() {
    let tmp = tempfile::tempdir().unwrap();
    // A random cartpole policy lasts ~20 steps; 40 is reached within a few updates.
    // Killed before the mean is reached, the resumed run keeps the threshold and the
    // episodes already in the window, and stops at the same update.
    let args = [
        "--env",
        "cartpole-discrete",
        "--steps",
        "50000",
        "--seed",
        "2",
        "--stop-return",
        "40",
    ];
    let (out, killed) = assert_resume_matches(tmp.path(), &args, "2");
    let config = std::fs::read_to_string(killed.join("config.toml")).unwrap();
    assert!(config.contains("stop_return = 40.0"), "{config}");
    rewardsmith()
        .args(["train", "--resume"])
        .arg(&killed)
        .args(["--stop-return", "41"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot be used with"))
        .stderr(predicate::str::contains("--stop-return"));
    let b = json(&killed.join("summary.json"));
    let s = json(&out.join("summary.json"));
    let r = &s["stopped_at_return"];
    for k in ["mean_return", "step", "update"] {
        assert_eq!(r[k], b["stopped_at_return"][k], "{k}");
    }
    assert!(r["mean_return"].as_f64().unwrap() >= 40.0, "{s}");
    assert_eq!(r["window"], 100);
    assert_eq!(r["step"], s["steps"]);
    let updates = s["updates"].as_u64().unwrap();
    assert!(updates < 195, "stopped before the 50,000-step budget: {s}");
    let lines = metrics_without_timing(&out);
    assert_eq!(lines.len() as u64, updates);
    // The rolling mean needs 100 finished episodes.
    let episodes: u64 = lines.iter().map(|m| m["episodes"].as_u64().unwrap()).sum();
    assert!(episodes >= 100, "{episodes} episodes");
    let latest = std::fs::read_to_string(out.join("checkpoints/latest")).unwrap();
    assert_eq!(latest.trim(), format!("update-{updates:06}"));
}

#[test]
fn ppo_swings_up_pendulum() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    train_to_success(&["--env", "pendulum", "--seed", "3"], &out, 150_000);
}

#[test]
fn sac_swings_up_pendulum() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    // CleanRL's defaults: 5,000 random steps, then one update per step.
    let args = [
        "--env", "pendulum", "--algo", "sac", "--steps", "8000", "--seed", "2",
    ];
    train_to_success(&args, &out, 8_000);
}

#[test]
fn resumed_sac_run_equals_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "--env", "pendulum", "--algo", "sac", "--steps", "7000", "--seed", "4",
    ];
    assert_resume_matches(tmp.path(), &args, "6");
}

#[test]
fn ppo_normalizers_are_checkpointed_and_resume_needs_them() {
    // Pendulum's PPO normalizes observations and rewards (the defaults): 4 updates of
    // 8 envs × 256 steps, killed after 2 and resumed, equal the uninterrupted run.
    let tmp = tempfile::tempdir().unwrap();
    let args = ["--env", "pendulum", "--steps", "8192", "--seed", "5"];
    let (a, b) = assert_resume_matches(tmp.path(), &args, "2");
    // The checkpoint after update 2 holds both normalizers, having counted every
    // observation and return of the 2 × 2,048 steps.
    let ck = b.join("checkpoints/update-000002/ppo.json");
    let state = json(&ck);
    for rms in ["obs_rms", "ret_rms"] {
        let count = state[rms]["count"].as_f64().unwrap();
        assert!((count - 4096.0).abs() < 0.01, "{rms} count {count}");
    }
    let obs_mean: Vec<f64> = state["obs_rms"]["mean"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(obs_mean.iter().any(|m| m.abs() > 1e-3), "{obs_mean:?}");
    // Without them the resumed run is another run: reset the observation normalizer in
    // a copy of the killed run's checkpoint and resume it.
    let c = tmp.path().join("c");
    rewardsmith()
        .arg("train")
        .args(args)
        .args([
            "--checkpoint-every",
            "1",
            "--video-every",
            "0",
            "--stop-after",
            "2",
            "--out",
        ])
        .arg(&c)
        .assert()
        .success();
    let ck = c.join("checkpoints/update-000002/ppo.json");
    let mut state = json(&ck);
    let d = obs_mean.len();
    state["obs_rms"] =
        serde_json::json!({"mean": vec![0.0; d], "var": vec![1.0; d], "count": 1e-4});
    std::fs::write(&ck, serde_json::to_vec(&state).unwrap()).unwrap();
    resume(&c);
    assert_ne!(
        json(&a.join("summary.json"))["policy_hash"],
        json(&c.join("summary.json"))["policy_hash"]
    );
}

#[test]
fn resumed_run_equals_uninterrupted_run() {
    let tmp = tempfile::tempdir().unwrap();
    // A killed run may have written metrics past its last checkpoint: the resume drops
    // them. Here update 4's line is appended by hand after a kill at update 3. The
    // periodic evaluations (every 2 of the 8 updates) keep the best policy across it.
    let args = [
        "--env",
        "cartpole",
        "--steps",
        "4096",
        "--envs",
        "4",
        "--seed",
        "7",
        "--eval-every",
        "2",
    ];
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let killed = |out: &Path| {
        rewardsmith()
            .arg("train")
            .args(args)
            .args(["--checkpoint-every", "1", "--video-every", "0"])
            .args(["--stop-after", "3", "--out"])
            .arg(out)
            .assert()
            .success();
        assert!(!out.join("summary.json").exists());
        let mut extra = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
        let last = extra
            .lines()
            .last()
            .unwrap()
            .replace("\"update\":3", "\"update\":4");
        extra.push_str(&last);
        extra.push('\n');
        std::fs::write(out.join("metrics.jsonl"), extra).unwrap();
    };
    killed(&b);
    resume(&b);
    train(
        &[
            &args[..],
            &["--checkpoint-every", "1", "--video-every", "0"],
        ]
        .concat(),
        &a,
    );
    let (sa, sb) = (json(&a.join("summary.json")), json(&b.join("summary.json")));
    assert_eq!(sa["policy_hash"], sb["policy_hash"]);
    assert_eq!(sa["eval"], sb["eval"]);
    assert_eq!(metrics_without_timing(&a), metrics_without_timing(&b));
    assert_eq!(sa["best"], sb["best"]);
    let best_actor = |d: &Path| std::fs::read(d.join("checkpoints/best/actor.json")).unwrap();
    assert_eq!(best_actor(&a), best_actor(&b));
    // Evaluations ran after updates 2, 4, 6 and 8; the best is the one with the highest
    // success rate, then return, and `eval --checkpoint best` plays it.
    let evals: Vec<(u64, Value)> = metrics_without_timing(&a)
        .into_iter()
        .filter(|m| !m["eval"].is_null())
        .map(|m| (m["update"].as_u64().unwrap(), m["eval"].clone()))
        .collect();
    assert_eq!(evals.iter().map(|e| e.0).collect::<Vec<_>>(), [2, 4, 6, 8]);
    let key = |e: &Value| {
        (
            e["success_rate"].as_f64().unwrap(),
            e["mean_return"].as_f64().unwrap(),
        )
    };
    let top = evals
        .iter()
        .fold(&evals[0], |t, e| if key(&e.1) > key(&t.1) { e } else { t });
    assert_eq!(sa["best"]["update"], top.0);
    assert_eq!(sa["best"]["eval"], top.1);
    assert_eq!(json(&a.join("checkpoints/best/best.json")), sa["best"]);
    rewardsmith()
        .args(["eval", "--checkpoint", "best", "--episodes", "2", "--run"])
        .arg(&a)
        .assert()
        .success()
        .stdout(predicate::str::contains("success_rate"));
}

#[test]
fn nan_reward_stops_training_and_keeps_the_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let nan = tmp.path().join("nan.luau");
    std::fs::write(
        &nan,
        "function reward(s)\n  return { alive = 1.0, broken = 0 / 0 }\nend\n",
    )
    .unwrap();
    // From the first step: a clear error naming the component, no checkpoint.
    let fresh = tmp.path().join("fresh");
    rewardsmith()
        .args(["train", "--env", "cartpole", "--steps", "2048", "--reward"])
        .arg(&nan)
        .arg("--out")
        .arg(&fresh)
        .assert()
        .failure()
        .stderr(predicate::str::contains("component \"broken\" is NaN"));
    assert!(!fresh.join("checkpoints/latest").exists());

    // Mid-run: train two updates, switch the run's reward to the NaN program, resume.
    let run = tmp.path().join("run");
    rewardsmith()
        .args([
            "train",
            "--env",
            "cartpole",
            "--steps",
            "4096",
            "--envs",
            "4",
            "--checkpoint-every",
            "1",
            "--stop-after",
            "2",
            "--out",
        ])
        .arg(&run)
        .assert()
        .success();
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    let good = config
        .lines()
        .find(|l| l.starts_with("reward = "))
        .unwrap()
        .to_string();
    let bad = format!("reward = {}", toml_string(&nan));
    std::fs::write(run.join("config.toml"), config.replace(&good, &bad)).unwrap();
    rewardsmith()
        .args(["train", "--resume"])
        .arg(&run)
        .assert()
        .failure()
        .stderr(predicate::str::contains("training stopped in update 3"))
        .stderr(predicate::str::contains("component \"broken\" is NaN"));
    assert_eq!(
        std::fs::read_to_string(run.join("checkpoints/latest")).unwrap(),
        "update-000002"
    );
    // The last good checkpoint still loads and runs (with the good reward again).
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    std::fs::write(run.join("config.toml"), config.replace(&bad, &good)).unwrap();
    rewardsmith()
        .args(["eval", "--episodes", "2", "--run"])
        .arg(&run)
        .assert()
        .success()
        .stdout(predicate::str::contains("mean_return"));
    // And training continues from it.
    rewardsmith()
        .args(["train", "--resume"])
        .arg(&run)
        .assert()
        .success();
    assert!(run.join("summary.json").exists());
}

fn toml_string(p: &Path) -> String {
    toml::Value::String(p.to_string_lossy().into_owned()).to_string()
}

/// A batch plan in `tmp`: cartpole, seeds 0 and 1, `steps` each, its runs under
/// `tmp/sweep`. Returns `(sweep, plan file)`.
fn cartpole_plan(tmp: &Path, steps: u64) -> (PathBuf, PathBuf) {
    let root = tmp.join("sweep");
    let plan = tmp.join("plan.toml");
    std::fs::write(
        &plan,
        format!(
            "out = {}\nsteps = {steps}\nenvs = [\"cartpole\"]\nseeds = [0, 1]\n",
            toml_string(&root)
        ),
    )
    .unwrap();
    (root, plan)
}

#[test]
fn batch_runs_a_grid_resumes_killed_runs_and_skips_finished_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, plan) = cartpole_plan(tmp.path(), 4096);
    // Seed 1 was killed after two updates.
    let killed = root.join("cartpole-default-ppo-s1");
    rewardsmith()
        .args([
            "train",
            "--env",
            "cartpole",
            "--steps",
            "4096",
            "--seed",
            "1",
            "--checkpoint-every",
            "1",
            "--stop-after",
            "2",
            "--out",
        ])
        .arg(&killed)
        .assert()
        .success();
    rewardsmith()
        .args(["batch", "--jobs", "2"])
        .arg(&plan)
        .assert()
        .success()
        .stdout(predicate::str::contains("| cartpole | default | ppo | 2 |"));
    let updates = std::fs::read_to_string(killed.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .count();
    assert_eq!(updates, 4, "4096 steps = 4 updates of 8 × 128");
    let csv = std::fs::read_to_string(root.join("results.csv")).unwrap();
    assert!(csv.contains("\ncartpole,default,ppo,2,0,"), "{csv}");
    assert!(root.join("results.md").exists());
    rewardsmith()
        .args(["batch"])
        .arg(&plan)
        .assert()
        .success()
        .stderr(predicate::str::contains("0 runs trained, 2 skipped"));
}

#[test]
fn target_kl_stops_an_update_early() {
    // pendulum with a KL target so small that the second minibatch already passes it.
    let tmp = tempfile::tempdir().unwrap();
    let spec =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("envs/pendulum.toml"))
            .unwrap()
            .replace("[train]\n", "[train]\ntarget_kl = 1e-6\n");
    let file = tmp.path().join("pendulum-kl.toml");
    std::fs::write(&file, spec).unwrap();
    let stopped = |env: &str, out: &Path| -> Vec<Value> {
        train(
            &["--env", env, "--steps", "8192", "--video-every", "0"],
            out,
        );
        let text = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|m| m.get("update").is_some())
            .map(|m| m["epochs_stopped"].clone())
            .collect()
    };
    let early = stopped(file.to_str().unwrap(), &tmp.path().join("kl"));
    assert!(!early.is_empty());
    assert!(early.iter().all(|e| e == 1), "{early:?}");
    // Without a target every update runs all its epochs.
    let full = stopped("pendulum", &tmp.path().join("plain"));
    assert!(full.iter().all(Value::is_null), "{full:?}");
}

#[test]
fn thread_count_does_not_change_the_result() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |j: &str| {
        let args = [
            "--env",
            "cartpole",
            "--steps",
            "4096",
            "--seed",
            "2",
            "--video-every",
            "0",
            "--threads",
            j,
        ];
        train(&args, &tmp.path().join(format!("j{j}")))
    };
    let (one, two) = (run("1"), run("2"));
    assert_eq!(one["policy_hash"], two["policy_hash"]);
    assert_eq!(one["eval"], two["eval"]);
    // Without --eval-every there is no best policy to evaluate.
    rewardsmith()
        .args(["eval", "--checkpoint", "best", "--run"])
        .arg(tmp.path().join("j1"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("no best policy"));
    rewardsmith()
        .args(["train", "--env", "cartpole", "--threads", "0", "--out"])
        .arg(tmp.path().join("j0"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--threads <N>"))
        .stderr(predicate::str::contains("at least 1"));
}

#[test]
fn a_failing_video_warns_and_training_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    std::fs::create_dir_all(&out).unwrap();
    // `videos` is a file, so no GIF can be written into it.
    std::fs::write(out.join("videos"), "not a directory").unwrap();
    rewardsmith()
        .args([
            "train",
            "--env",
            "cartpole",
            "--steps",
            "2048",
            "--video-every",
            "1",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .success()
        .stderr(predicate::str::contains("warning").and(predicate::str::contains("video")));
    assert!(out.join("summary.json").exists());
}

#[test]
fn sac_results_do_not_depend_on_the_thread_count() {
    // 500 gradient steps after the 5,000 random ones: the twin Q networks run on two
    // threads with --threads 2, one after the other with --threads 1.
    let tmp = tempfile::tempdir().unwrap();
    let run = |j: &str| {
        let args = [
            "--env",
            "pendulum",
            "--algo",
            "sac",
            "--steps",
            "5500",
            "--seed",
            "3",
            "--video-every",
            "0",
            "--threads",
            j,
        ];
        train(&args, &tmp.path().join(format!("j{j}")))
    };
    let (one, two) = (run("1"), run("2"));
    assert_eq!(one["policy_hash"], two["policy_hash"]);
    assert_eq!(one["eval"], two["eval"]);
}

#[test]
fn the_train_table_picks_sac_and_rejects_keys_of_the_other_algorithm() {
    let tmp = tempfile::tempdir().unwrap();
    let pendulum =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("envs/pendulum.toml"))
            .unwrap();
    let base = &pendulum[..pendulum
        .find("[train]")
        .expect("pendulum has a [train] table")];
    let spec = |name: &str, table: &str| {
        let p = tmp.path().join(name);
        std::fs::write(&p, format!("{base}[train]\n{table}")).unwrap();
        p
    };
    // algo = "sac": `train --env` runs SAC with the table's settings.
    let good = spec(
        "sac.toml",
        "algo = \"sac\"\ntotal_steps = 300\nlearning_starts = 200\nbatch_size = 32\nhidden = [16]\nlog_every = 100\nutd = 0.5\nn_step = 3\n",
    );
    let out = tmp.path().join("run");
    rewardsmith()
        .args(["train", "--video-every", "0", "--env"])
        .arg(&good)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let config = std::fs::read_to_string(out.join("config.toml")).unwrap();
    assert!(config.contains("algo = \"sac\""), "{config}");
    assert!(
        config.contains("n_step = 3") && config.contains("utd = 0.5"),
        "{config}"
    );
    assert!(out.join("checkpoints/update-000003/sac.bin").is_file());
    // A PPO key in a SAC table, and --utd on a PPO run, are errors naming them.
    let bad = spec("bad.toml", "algo = \"sac\"\nn_steps = 64\n");
    rewardsmith()
        .args(["train", "--env"])
        .arg(&bad)
        .assert()
        .failure()
        .stderr(predicate::str::contains("n_steps: not a sac setting"));
    rewardsmith()
        .args(["train", "--env", "cartpole", "--utd", "2", "--out"])
        .arg(tmp.path().join("ppo"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("--utd is a SAC setting"));
}

/// The `checkpoints/latest` name of a run, if it has one yet.
fn latest_name(dir: &Path) -> Option<String> {
    std::fs::read_to_string(dir.join("checkpoints/latest")).ok()
}

/// A run SIGKILLed at random moments (after its first checkpoint, so that there is
/// something to resume), many times, resumes every time and ends exactly where the
/// uninterrupted run ends: same policy, evaluation and metrics; the checkpoint each kill
/// leaves is whole (its JSON files parse). While a run trains, a second process on its
/// directory is refused.
#[test]
fn sigkilled_training_always_resumes_to_the_uninterrupted_result() {
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let args = [
        "--env",
        "cartpole",
        "--steps",
        "32768",
        "--envs",
        "4",
        "--seed",
        "11",
        "--checkpoint-every",
        "1",
        "--video-every",
        "0",
    ];
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    train(&args, &a);
    let bin = assert_cmd::cargo::cargo_bin("rewardsmith");
    // Kill delays after a new checkpoint appears, in ms: a fixed pseudo-random list,
    // spread over the whole of an update (write of a checkpoint included).
    let delays = [0u64, 37, 5, 120, 61, 2, 88, 13];
    let mut kills = 0;
    for (attempt, delay) in delays.iter().enumerate() {
        let mut cmd = std::process::Command::new(&bin);
        if attempt == 0 {
            cmd.arg("train").args(args).arg("--out").arg(&b);
        } else {
            cmd.args(["train", "--resume"])
                .arg(&b)
                .args(["--video-every", "0"]);
        }
        let mut child = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let before = latest_name(&b);
        let start = Instant::now();
        // Wait for the next checkpoint (or the end of the run).
        while latest_name(&b) == before && start.elapsed() < Duration::from_secs(120) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        if attempt == 0 && child.try_wait().unwrap().is_none() {
            // While it runs, no second process may train the same directory.
            rewardsmith()
                .args(["train", "--resume"])
                .arg(&b)
                .assert()
                .failure()
                .stderr(predicate::str::contains(format!(
                    "is being trained by another process (pid {})",
                    child.id()
                )));
        }
        std::thread::sleep(Duration::from_millis(*delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            kills += 1;
        }
        child.wait().unwrap();
        // Whatever the kill left is whole.
        for name in ["config.toml", "checkpoints/latest"] {
            assert!(b.join(name).is_file(), "{name} missing after kill {kills}");
        }
        let latest = b.join("checkpoints").join(latest_name(&b).unwrap().trim());
        for f in std::fs::read_dir(&latest).unwrap() {
            let p = f.unwrap().path();
            if p.extension().is_some_and(|e| e == "json") {
                json(&p);
            }
        }
        // (metrics.jsonl may end in a half line here: the resume cuts it back to the
        // checkpoint, which the final comparison checks.)
        if b.join("summary.json").exists() {
            break;
        }
    }
    assert!(kills >= 4, "only {kills} kills landed before the run ended");
    if !b.join("summary.json").exists() {
        resume(&b);
    }
    let (sa, sb) = (json(&a.join("summary.json")), json(&b.join("summary.json")));
    assert_eq!(sa["policy_hash"], sb["policy_hash"]);
    assert_eq!(sa["eval"], sb["eval"]);
    assert_eq!(metrics_without_timing(&a), metrics_without_timing(&b));
}

/// A SIGKILLed `batch` takes its runs down with it (they do not train on, holding their
/// directories), and running the batch again resumes them to the end.
#[test]
fn a_sigkilled_batch_stops_its_runs_and_a_rerun_finishes_them() {
    use std::time::{Duration, Instant};
    let tmp = tempfile::tempdir().unwrap();
    let (root, plan) = cartpole_plan(tmp.path(), 131072);
    let runs = [
        root.join("cartpole-default-ppo-s0"),
        root.join("cartpole-default-ppo-s1"),
    ];
    let mut batch = std::process::Command::new(assert_cmd::cargo::cargo_bin("rewardsmith"))
        .args(["batch", "--jobs", "2"])
        .arg(&plan)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !runs.iter().all(|r| r.join("checkpoints/latest").exists()) {
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoints");
        assert!(batch.try_wait().unwrap().is_none(), "the batch ended early");
        std::thread::sleep(Duration::from_millis(5));
    }
    batch.kill().unwrap(); // SIGKILL: no chance to stop its children itself
    batch.wait().unwrap();
    // The runs die with it: their locks come free.
    for r in &runs {
        let start = Instant::now();
        loop {
            match rewardsmith::run::lock::RunLock::acquire(r) {
                Ok(_) => break,
                Err(e) => assert!(start.elapsed() < Duration::from_secs(10), "{e}"),
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!r.join("summary.json").exists(), "killed before the end");
    }
    rewardsmith()
        .args(["batch", "--jobs", "2"])
        .arg(&plan)
        .assert()
        .success();
    for r in &runs {
        let s = json(&r.join("summary.json"));
        assert_eq!(s["steps"], 131072, "{s}");
    }
}
