//! Reward files (`--reward FILE.toml`) through the CLI: `reward check` validates and
//! reports every component, a bad file fails before anything runs, and a short
//! constrained training run logs its multiplier and resumes with it bit for bit.

mod common;

use assert_cmd::Command;
use common::metrics_without_timing;
use predicates::prelude::*;
use serde_json::Value;
use std::path::Path;

fn rewardsmith() -> Command {
    Command::cargo_bin("rewardsmith").expect("binary is built")
}

/// The example's constrained reward file (|cart x| ≤ 0.3).
fn constrained() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/composite-cartpole/constrained.toml")
}

#[test]
fn reward_check_validates_a_file_and_reports_every_component() {
    rewardsmith()
        .args([
            "reward", "check", "--env", "cartpole", "--steps", "300", "--reward",
        ])
        .arg(constrained())
        .assert()
        .success()
        .stdout(
            predicate::str::contains("validated")
                .and(predicate::str::contains("task/alive"))
                .and(predicate::str::contains("speed/right"))
                .and(predicate::str::contains("position/x"))
                .and(predicate::str::contains("lambda/position/x"))
                .and(predicate::str::contains("violated/position/x"))
                .and(predicate::str::contains("ended episodes (random policy)")),
        );
}

#[test]
fn rollout_writes_a_reward_files_components() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("r.jsonl");
    rewardsmith()
        .args(["rollout", "--env", "cartpole", "--steps", "40", "--reward"])
        .arg(constrained())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).expect("rollout");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("row"))
        .collect();
    assert_eq!(rows.len(), 40);
    for r in &rows {
        let c = &r["reward_components"];
        let get = |k: &str| c[k].as_f64().unwrap_or_else(|| panic!("{k} in {c}"));
        // λ is 0 (no policy update), so the total is the task plus the speed term.
        assert_eq!(get("lambda/position/x"), 0.0);
        let total = r["reward"].as_f64().expect("reward");
        assert!((total - get("task") - get("speed")).abs() < 1e-12, "{r}");
        let x = get("position/x");
        assert_eq!(get("violation/position/x"), (x - 0.3).max(-0.3 - x));
    }
}

#[test]
fn a_bad_reward_file_fails_before_training_and_other_commands_refuse_it() {
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/composite-cartpole");
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        format!(
            "[[terms]]\nname = \"t\"\nprogram = \"{}\"\n[[constraints]]\ncomponent = \"t/nope\"\nmax = 1.0\n",
            dir.join("position.luau").display()
        ),
    )
    .expect("write");
    let out = tmp.path().join("run");
    rewardsmith()
        .args(["train", "--env", "cartpole", "--steps", "2048", "--reward"])
        .arg(&bad)
        .arg("--out")
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "bad.toml:5:13: constraints[0], key `component`",
        ));
    assert!(!out.join("config.toml").exists(), "no run was started");
    rewardsmith()
        .args(["mpc", "--env", "cartpole", "--episodes", "1", "--program"])
        .arg(constrained())
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "reward files (.toml) are not supported here",
        ));
}

/// A reward file constraining the cart to |x| ≤ 1 cm (violated from the start, so λ
/// moves within a few updates).
fn tight(dir: &Path) -> std::path::PathBuf {
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/composite-cartpole");
    let text = format!(
        "[[terms]]\nname = \"task\"\nprogram = \"{}\"\n\
         [[terms]]\nname = \"position\"\nprogram = \"{}\"\nweight = 0.0\n\
         [[constraints]]\ncomponent = \"position/x\"\nmin = -0.01\nmax = 0.01\nlr = 0.5\n",
        ex.join("../../rewards/cartpole.luau").display(),
        ex.join("position.luau").display()
    );
    let p = dir.join("tight.toml");
    std::fs::write(&p, text).expect("write");
    p
}

#[test]
fn constrained_run_logs_lambda_and_resumes_bit_for_bit() {
    let tmp = tempfile::tempdir().expect("tmp");
    let reward = tight(tmp.path());
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    let run = |out: &Path, extra: &[&str]| {
        rewardsmith()
            .args([
                "train", "--env", "cartpole", "--steps", "3072", "--envs", "4",
            ])
            .args([
                "--seed",
                "3",
                "--checkpoint-every",
                "1",
                "--video-every",
                "0",
            ])
            .arg("--reward")
            .arg(&reward)
            .args(extra)
            .arg("--out")
            .arg(out)
            .assert()
            .success();
    };
    run(&a, &[]);
    run(&b, &["--stop-after", "3"]);
    assert!(!b.join("summary.json").exists(), "killed before the end");
    let state = std::fs::read_to_string(b.join("checkpoints/update-000003/reward.json"))
        .expect("reward state in the checkpoint");
    assert!(state.contains("lambda"), "{state}");
    assert!(b.join("programs/reward.toml").is_file());
    rewardsmith()
        .args(["train", "--resume"])
        .arg(&b)
        .args(["--video-every", "0"])
        .assert()
        .success();
    let (ma, mb) = (metrics_without_timing(&a), metrics_without_timing(&b));
    assert_eq!(ma, mb);
    let read = |d: &Path| std::fs::read_to_string(d.join("summary.json")).expect("summary");
    let (sa, sb): (Value, Value) = (
        serde_json::from_str(&read(&a)).expect("json"),
        serde_json::from_str(&read(&b)).expect("json"),
    );
    assert_eq!(sa["policy_hash"], sb["policy_hash"]);
    // λ is logged every update (constant within it): 0 before the first update, then
    // λ ← max(0, λ + 0.5 · the update's mean violation), which is logged too.
    let comp = |m: &Value, k: &str| m["components"][k].as_f64().unwrap_or_else(|| panic!("{k}"));
    assert_eq!(comp(&ma[0], "lambda/position/x"), 0.0);
    for w in ma.windows(2) {
        let expected =
            (comp(&w[0], "lambda/position/x") + 0.5 * comp(&w[0], "violation/position/x")).max(0.0);
        let got = comp(&w[1], "lambda/position/x");
        assert!(
            (got - expected).abs() < 1e-12,
            "λ {got}, expected {expected}"
        );
    }
    let last = comp(ma.last().expect("updates"), "lambda/position/x");
    assert!(last > 0.0, "the 1 cm bound is violated, so λ grew: {last}");
    // curves.png has a fourth panel for the constraints (λ and the violation rate).
    let png = image::open(a.join("curves.png")).expect("curves.png");
    assert_eq!((png.width(), png.height()), (2000, 450));
}
