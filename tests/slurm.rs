//! `--executor slurm` against a real single-node Slurm cluster (`sudo
//! scripts/slurm-local.sh up`; `.ci/run` starts one and runs these with `--ignored`),
//! plus what needs no cluster: the error when Slurm is not installed.

mod common;

use assert_cmd::Command;
use common::chat::{Act, serve};
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn rewardsmith() -> Command {
    let mut c = Command::cargo_bin("rewardsmith").unwrap();
    // Same threads in every training, local or on Slurm: same results.
    c.env("RAYON_NUM_THREADS", "1");
    c
}

/// `rewardsmith batch FILE --executor slurm`, polling the queue every 0.2 s.
fn slurm_batch(file: &Path) -> Command {
    let mut c = rewardsmith();
    c.args(["batch", "--executor", "slurm", "--slurm-poll", "0.2"])
        .arg(file);
    c
}

/// A batch plan in `dir`: `envs` × seeds 0 and 1, `steps` each, runs under `dir/sweep`.
fn plan(dir: &Path, envs: &str, steps: u64) -> (PathBuf, PathBuf) {
    let root = dir.join("sweep");
    let file = dir.join("plan.toml");
    let out = toml::Value::String(root.to_string_lossy().into_owned());
    std::fs::write(
        &file,
        format!("out = {out}\nsteps = {steps}\nenvs = [{envs}]\nseeds = [0, 1]\n"),
    )
    .unwrap();
    (root, file)
}

fn summary(run: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(run.join("summary.json")).unwrap()).unwrap()
}

/// The lines of `sweep/slurm/submissions.jsonl` (one per submitted array).
fn submissions(root: &Path) -> Vec<Value> {
    std::fs::read_to_string(root.join("slurm/submissions.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn exit_records(root: &Path) -> usize {
    std::fs::read_dir(root.join("slurm/exit"))
        .map(|d| d.count())
        .unwrap_or(0)
}

#[test]
#[ignore = "needs a Slurm cluster: sudo scripts/slurm-local.sh up"]
fn a_batch_on_slurm_gives_the_same_runs_as_local() {
    let tmp = tempfile::tempdir().unwrap();
    let local = tmp.path().join("local");
    let slurm = tmp.path().join("slurm");
    std::fs::create_dir_all(&local).unwrap();
    std::fs::create_dir_all(&slurm).unwrap();
    let (local_root, local_plan) = plan(&local, "\"cartpole\"", 4096);
    let (slurm_root, slurm_plan) = plan(&slurm, "\"cartpole\"", 4096);
    rewardsmith()
        .args(["batch", "--jobs", "2"])
        .arg(&local_plan)
        .assert()
        .success();
    let t = Instant::now();
    slurm_batch(&slurm_plan)
        .assert()
        .success()
        .stdout(predicate::str::contains("| cartpole | default | ppo | 2 |"))
        .stderr(predicate::str::contains(
            "2 runs trained, 0 skipped, 0 failed",
        ));
    eprintln!("2-task batch on Slurm: {:.1} s", t.elapsed().as_secs_f64());
    for seed in 0..2 {
        let name = format!("cartpole-default-ppo-s{seed}");
        let (a, b) = (
            summary(&local_root.join(&name)),
            summary(&slurm_root.join(&name)),
        );
        assert_eq!(a["policy_hash"], b["policy_hash"], "seed {seed}");
        assert_eq!(a["eval"], b["eval"], "seed {seed}");
    }
    let subs = submissions(&slurm_root);
    assert_eq!(subs.len(), 1, "one array for the batch: {subs:?}");
    assert_eq!(subs[0]["run_dirs"].as_array().unwrap().len(), 2);
    assert_eq!(exit_records(&slurm_root), 2);
    assert!(slurm_root.join("slurm/array-0.sh").is_file());
    // Run again: nothing is submitted, both runs are skipped.
    slurm_batch(&slurm_plan)
        .assert()
        .success()
        .stderr(predicate::str::contains("0 runs trained, 2 skipped"));
    assert_eq!(submissions(&slurm_root).len(), 1);
}

#[test]
#[ignore = "needs a Slurm cluster: sudo scripts/slurm-local.sh up"]
fn a_failing_task_is_resubmitted_then_reported_and_the_rest_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, file) = plan(tmp.path(), "\"cartpole\", \"no-such-env\"", 2048);
    slurm_batch(&file)
        .args(["--retries", "1"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("submitted again (retry 1)"))
        .stderr(predicate::str::contains(
            "no-such-env-default-ppo-s0: failed (exit",
        ))
        .stderr(predicate::str::contains(
            "2 runs trained, 0 skipped, 2 failed",
        ));
    // The first array of four, then one of the two failures (each retried once).
    let sizes: Vec<usize> = submissions(&root)
        .iter()
        .map(|s| s["run_dirs"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [4, 2]);
    assert!(root.join("cartpole-default-ppo-s1/summary.json").is_file());
    let log = std::fs::read_to_string(root.join("no-such-env-default-ppo-s1.log")).unwrap();
    assert!(log.contains("no-such-env"), "{log}");
}

#[test]
#[ignore = "needs a Slurm cluster: sudo scripts/slurm-local.sh up"]
fn a_killed_batch_reattaches_to_its_running_array() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, file) = plan(tmp.path(), "\"cartpole\"", 40_000);
    let mut batch = std::process::Command::new(env!("CARGO_BIN_EXE_rewardsmith"))
        .args(["batch", "--executor", "slurm", "--slurm-poll", "0.2"])
        .arg(&file)
        .env("RAYON_NUM_THREADS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill the submitter once both tasks train.
    let deadline = Instant::now() + Duration::from_secs(60);
    let training = |seed: u32| {
        root.join(format!("cartpole-default-ppo-s{seed}/metrics.jsonl"))
            .is_file()
    };
    while !(training(0) && training(1)) {
        assert!(Instant::now() < deadline, "the tasks did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    batch.kill().unwrap();
    batch.wait().unwrap();
    assert_eq!(exit_records(&root), 0, "killed while the tasks ran");
    slurm_batch(&file)
        .assert()
        .success()
        .stderr(predicate::str::contains(
            "2 runs trained, 0 skipped, 0 failed",
        ));
    // One array only, each task ran once: nothing was submitted again.
    assert_eq!(submissions(&root).len(), 1);
    assert_eq!(exit_records(&root), 2);
    for seed in 0..2 {
        let run = root.join(format!("cartpole-default-ppo-s{seed}"));
        let rows = std::fs::read_to_string(run.join("metrics.jsonl")).unwrap();
        let updates = rows.lines().filter(|l| l.contains("\"update\"")).count();
        assert!(updates > 0 && run.join("summary.json").is_file());
    }
}

#[test]
#[ignore = "needs a Slurm cluster: sudo scripts/slurm-local.sh up"]
fn a_rejected_submission_says_why_before_anything_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, file) = plan(tmp.path(), "\"cartpole\"", 2048);
    rewardsmith()
        .args([
            "batch",
            "--executor",
            "slurm",
            "--slurm-partition",
            "no-such-partition",
        ])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("sbatch"))
        .stderr(predicate::str::contains("partition"));
    assert!(!root.exists(), "nothing written");
    rewardsmith()
        .args(["batch", "--executor", "slurm", "--slurm-time", "100:00:00"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("time limit"));
    assert!(!root.exists(), "nothing written");
}

#[test]
#[ignore = "needs a Slurm cluster: sudo scripts/slurm-local.sh up"]
fn a_two_by_two_synth_runs_each_round_as_one_array() {
    const GOOD: &str = "```lua\nfunction reward(s)\n  local h = s.joint(\"hinge\")\n  return { alive = 1.0, upright = -h.q * h.q }\nend\n```";
    const TILT: &str =
        "```lua\nfunction reward(s)\n  return { tilt = math.abs(s.joint(\"hinge\").q) }\nend\n```";
    let server = serve(vec![
        Act::Reply(GOOD, "stop"),
        Act::Reply(TILT, "stop"),
        Act::Reply(GOOD, "stop"),
        Act::Reply(TILT, "stop"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("synth");
    let config = tmp.path().join("synth.toml");
    std::fs::write(
        &config,
        format!(
            "[llm]\nurl = \"{}\"\nmodel = \"scripted\"\nkey_env = \"\"\nparallel = 1\n\n\
             [synth]\nenv = \"cartpole\"\ntask = \"balance the pole\"\nsamples = 2\nrounds = 2\n\
             steps_per_sample = 2048\ncheck_steps = 50\n\n\
             [executor]\nkind = \"slurm\"\n\n[executor.slurm]\npoll_s = 0.2\n",
            server.url
        ),
    )
    .unwrap();
    rewardsmith()
        .args(["synth", "--config"])
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    for r in 1..=2 {
        let subs = std::fs::read_to_string(out.join(format!("round_{r}/slurm/submissions.jsonl")))
            .unwrap();
        assert_eq!(subs.lines().count(), 1, "round {r}: {subs}");
        for k in 0..2 {
            let p = out.join(format!("round_{r}/sample_{k}/result.json"));
            let rec: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            assert_eq!(rec["status"], "evaluated", "round {r} sample {k}: {rec}");
        }
    }
    let saved = std::fs::read_to_string(out.join("synth.toml")).unwrap();
    assert!(saved.contains("kind = \"slurm\""), "{saved}");
}

#[test]
fn without_slurm_installed_the_error_says_so_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let (root, file) = plan(tmp.path(), "\"cartpole\"", 2048);
    rewardsmith()
        .env("PATH", tmp.path())
        .args(["batch", "--executor", "slurm"])
        .arg(&file)
        .assert()
        .failure()
        .stderr(predicate::str::contains("no `sbatch` on PATH"));
    assert!(!root.exists());
}
