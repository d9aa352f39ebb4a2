//! The command line, end to end.

use assert_cmd::Command;
use predicates::prelude::*;

fn rewardsmith() -> Command {
    Command::cargo_bin("rewardsmith").expect("binary is built")
}

#[test]
fn envs_list_names_every_builtin() {
    rewardsmith()
        .args(["envs", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cartpole"))
        .stdout(predicate::str::contains("Balance a pole"));
}

#[test]
fn envs_show_prints_spaces_fields_and_camera() {
    rewardsmith()
        .args(["envs", "show", "cartpole"])
        .assert()
        .success()
        .stdout(predicate::str::contains("action space: Box(1)"))
        .stdout(predicate::str::contains("observation space: Box(4)"))
        .stdout(predicate::str::contains("s.joint(\"hinge\")"))
        .stdout(predicate::str::contains("s.body(\"pole\")"))
        .stdout(predicate::str::contains("camera: at"));
}

#[test]
fn unknown_env_is_a_clear_error() {
    rewardsmith()
        .args(["envs", "show", "cartpol"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("unknown env `cartpol`"))
        .stderr(predicate::str::contains("cartpole"));
}

#[test]
fn env_spec_given_as_a_path_works_and_bad_spec_fails() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/envs/cartpole.toml"))
        .expect("cartpole spec");
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, &good).expect("write");
    rewardsmith()
        .args(["envs", "show"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("cartpole"));
    std::fs::write(&path, good.replace("horizon = 500", "horizon = -5")).expect("write");
    rewardsmith()
        .args(["envs", "show"])
        .arg(&path)
        .assert()
        .failure()
        .stderr(predicate::str::contains("mine.toml"))
        .stderr(predicate::str::contains("line 11, column 11"))
        .stderr(predicate::str::contains("expected u32"));
}

#[test]
fn rollout_writes_one_json_object_per_step() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("roll.jsonl");
    rewardsmith()
        .args([
            "rollout", "--env", "cartpole", "--policy", "random", "--steps", "120", "--seed", "4",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let text = std::fs::read_to_string(&out).expect("output written");
    let rows: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(rows.len(), 120);
    let first = &rows[0];
    for key in [
        "obs",
        "action",
        "reward",
        "terminated",
        "truncated",
        "state",
    ] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    assert!(first["state"]["bodies"]["pole"]["pos"].is_array());
    assert!(first["state"]["joints"]["hinge"]["q"].is_number());
    assert!(
        rows.iter().any(|r| r["terminated"] == true),
        "random cartpole falls within 120 steps"
    );
    // The same seed gives the same file.
    let out2 = dir.path().join("roll2.jsonl");
    rewardsmith()
        .args([
            "rollout", "--env", "cartpole", "--steps", "120", "--seed", "4", "--out",
        ])
        .arg(&out2)
        .assert()
        .success();
    assert_eq!(text, std::fs::read_to_string(&out2).expect("second output"));
}

#[test]
fn reward_check_prints_component_statistics() {
    let root = env!("CARGO_MANIFEST_DIR");
    rewardsmith()
        .args([
            "reward",
            "check",
            "--env",
            "cartpole-swingup",
            "--steps",
            "200",
            "--program",
        ])
        .arg(format!("{root}/rewards/cartpole-swingup.luau"))
        .assert()
        .success()
        .stdout(predicate::str::contains("upright"))
        .stdout(predicate::str::contains("small_velocity"))
        .stdout(predicate::str::contains("share"));
}

#[test]
fn reward_check_fails_on_a_broken_program_naming_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let prog = dir.path().join("bad.luau");
    std::fs::write(
        &prog,
        "function reward(s)\n  return s.body(\"pol\").pos.z\nend\n",
    )
    .expect("write");
    rewardsmith()
        .args(["reward", "check", "--env", "cartpole", "--program"])
        .arg(&prog)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.luau:2"))
        .stderr(predicate::str::contains("pole"));
    std::fs::write(&prog, "function reward(s)\n  return 1 / (s.t - s.t)\nend\n").expect("write");
    rewardsmith()
        .args(["reward", "check", "--env", "cartpole", "--program"])
        .arg(&prog)
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.luau"))
        .stderr(predicate::str::contains("reward"));
}

#[test]
fn reward_prompt_documents_the_env_and_task() {
    rewardsmith()
        .args([
            "reward",
            "prompt",
            "--env",
            "reacher",
            "--task",
            "touch the target twice",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("touch the target twice"))
        .stdout(predicate::str::contains("\"fingertip\": robot link"))
        .stdout(predicate::str::contains("s.task.target (vec3"))
        .stdout(predicate::str::contains("driven by s.action[1]"))
        .stdout(predicate::str::contains(
            "tolerance(x, lo, hi, margin, value_at_margin, sigmoid)",
        ));
}

#[test]
fn discrete_env_shows_its_choices_and_rolls_out_random_indices() {
    rewardsmith()
        .args(["envs", "show", "cartpole-discrete"])
        .assert()
        .success()
        .stdout(predicate::str::contains("action space: Discrete(2)"))
        .stdout(predicate::str::contains("1 → controls [1.0]"));
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("roll.jsonl");
    rewardsmith()
        .args([
            "rollout",
            "--env",
            "cartpole-discrete",
            "--policy",
            "random",
            "--steps",
            "60",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .expect("output written")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    let mut seen = [false; 2];
    for r in &rows {
        // `choice` is the index taken, `action` the controls it applied (±1 × 10 N).
        let k = r["choice"].as_u64().expect("choice") as usize;
        assert_eq!(r["action"][0].as_f64(), Some([-1.0, 1.0][k]), "{r}");
        seen[k] = true;
    }
    assert_eq!(seen, [true, true], "both actions drawn");
}

#[test]
fn builtin_files_come_from_the_binary_wherever_it_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cache = dir.path().join("cache");
    rewardsmith()
        .current_dir(dir.path())
        .env("REWARDSMITH_CACHE", &cache)
        .env_remove("REWARDSMITH_HOME")
        .args(["envs", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("cartpole "));
    let written: Vec<_> = std::fs::read_dir(&cache).expect("cache written").collect();
    assert_eq!(written.len(), 1, "one directory of built-in files");
    let builtin = written[0].as_ref().expect("entry").path();
    assert!(builtin.join("envs/cartpole.toml").is_file());
    assert!(builtin.join("prompts/system.txt").is_file());
}

#[test]
fn an_exported_env_is_used_through_rewardsmith_home() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("my-envs");
    rewardsmith()
        .args(["envs", "export", "pendulum"])
        .arg(&home)
        .assert()
        .success()
        .stdout(predicate::str::contains("pendulum.toml"));
    let spec = home.join("envs/pendulum.toml");
    let text = std::fs::read_to_string(&spec).expect("exported spec");
    std::fs::write(
        &spec,
        text.replace("description = \"", "description = \"EDITED "),
    )
    .expect("edit");
    rewardsmith()
        .env("REWARDSMITH_HOME", &home)
        .args(["envs", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("EDITED"))
        .stdout(predicate::str::contains("cartpole").not());
    // Exporting again keeps the edit and says so.
    rewardsmith()
        .args(["envs", "export", "pendulum"])
        .arg(&home)
        .assert()
        .failure()
        .stderr(predicate::str::contains("differs from the built-in file"));
}

#[test]
fn resume_refuses_flags_that_would_change_the_run() {
    for flag in [["--seed", "3"], ["--algo", "sac"], ["--device", "cpu"]] {
        rewardsmith()
            .args(["train", "--resume", "runs/nowhere"])
            .args(flag)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("cannot be used with"))
            .stderr(predicate::str::contains(flag[0]));
    }
}

#[test]
fn help_is_grouped_and_completions_and_man_page_are_generated() {
    rewardsmith()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Training:\n  train"))
        .stdout(predicate::str::contains("Synthesis:\n  synth"));
    for shell in ["bash", "zsh", "fish"] {
        rewardsmith()
            .args(["completions", shell])
            .assert()
            .success()
            .stdout(predicate::str::contains("train"))
            .stdout(predicate::str::contains("clip-goal"));
    }
    rewardsmith()
        .arg("man")
        .assert()
        .success()
        .stdout(predicate::str::contains(".TH rewardsmith"));
    rewardsmith()
        .args(["completions", "powershell-7"])
        .assert()
        .failure();
}

/// `reward lint` on an Ant-v5 reward written the way the paper's code reads
/// (`(x_after - x_before) / dt` with `x_before` kept by hand, feet placed by rotating
/// their offset): it names s.prev and the site; the same reward written with them has
/// no suggestions.
#[test]
fn reward_lint_suggests_the_accessors_a_program_approximates() {
    let dir = tempfile::tempdir().expect("tempdir");
    let by_hand = dir.path().join("by_hand.luau");
    std::fs::write(
        &by_hand,
        "local x_before = 0\n\
         function reward(s)\n  local x = s.body('torso').pos.x\n  \
         local forward = (x - x_before) / s.dt\n  x_before = x\n  \
         local shin = s.body('shin_1')\n  \
         local foot = shin.pos + shin.quat:rotate(vec3(0.56569, 0, 0))\n  \
         return { forward = forward, foot = foot.z }\nend\n",
    )
    .expect("write");
    rewardsmith()
        .args(["reward", "lint", "--env", "ant", "--program"])
        .arg(&by_hand)
        .assert()
        .success()
        .stdout(predicate::str::contains("by_hand.luau:1: `x_before`"))
        .stdout(predicate::str::contains("s.prev"))
        .stdout(predicate::str::contains("by_hand.luau:7:"))
        .stdout(predicate::str::contains("s.site(\"foot_1\")"));
    let with_api = dir.path().join("with_api.luau");
    std::fs::write(
        &with_api,
        "function reward(s)\n  local x = s.body('torso').pos.x\n  \
         local forward = if s.prev then (x - s.prev.body('torso').pos.x) / s.dt else 0\n  \
         return { forward = forward, foot = s.site('foot_1').pos.z }\nend\n",
    )
    .expect("write");
    rewardsmith()
        .args(["reward", "lint", "--env", "ant", "--program"])
        .arg(&with_api)
        .assert()
        .success()
        .stdout(predicate::str::contains("no suggestions"));
}
