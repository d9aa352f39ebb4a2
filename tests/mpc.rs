//! The predictive-sampling controller: a 1-D toy it must solve, determinism, reward
//! parameters from the command line, `rewardsmith mpc`'s files, and `l2r` end to end
//! against a scripted chat server.

mod common;

use assert_cmd::Command;
use common::chat::{Act, serve};
use common::write;
use rewardsmith::env::{AssetRoots, Env};
use rewardsmith::mpc::{MpcOverrides, MpcSetup, PlannerConfig, PredictiveSampling};
use rewardsmith::reward::{ParamValue, Params, load_program};
use std::path::Path;

/// A 1 kg point mass on a frictionless horizontal rail, pushed by up to 5 N.
const SLIDER_URDF: &str = r#"<?xml version="1.0"?>
<robot name="slider">
  <link name="rail">
    <inertial><mass value="10"/><inertia ixx="1" iyy="1" izz="1" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
  <joint name="slide" type="prismatic">
    <parent link="rail"/><child link="mass"/>
    <origin xyz="0 0 0"/><axis xyz="1 0 0"/>
    <limit lower="-3" upper="3" effort="100" velocity="100"/>
  </joint>
  <link name="mass">
    <inertial><mass value="1"/><inertia ixx="0.01" iyy="0.01" izz="0.01" ixy="0" ixz="0" iyz="0"/></inertial>
  </link>
</robot>
"#;

fn slider_spec(mpc: &str) -> String {
    format!(
        r#"name = "slider"
description = "move the mass to the target"

[sim]
control_dt = 0.05
substeps = 2
gravity = [0.0, 0.0, 0.0]
horizon = 60

[robot]
urdf = "slider.urdf"
fixed_base = true

[[actuators]]
joint = "slide"
kind = "torque"
gain = 5.0
ctrl_range = [-1.0, 1.0]

[[observations]]
term = "joint_q"
joints = ["slide"]

[rewards]
reward = "slider"
success = "slider"

[camera]
pos = [0.0, -3.0, 0.5]
look_at = [0.0, 0.0, 0.0]
{mpc}"#
    )
}

/// The toy's program: get to `target` (a parameter) and stop there.
const SLIDER_PROGRAM: &str = r#"
params = { target = 0.5, brake = 0.1 }
function reward(s)
  local j = s.joint("slide")
  return { to_target = -math.abs(j.q - s.param.target), still = -s.param.brake * math.abs(j.qd) }
end
function success(s)
  local j = s.joint("slide")
  return math.abs(j.q - s.param.target) < 0.05 and math.abs(j.qd) < 0.1
end
"#;

/// A `REWARDSMITH_HOME` with the toy env: `envs/`, `assets/robots/`, `rewards/`.
fn slider_dir(mpc: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = roots_under(dir.path());
    for d in [&r.envs, &r.robots, &r.rewards] {
        std::fs::create_dir_all(d).unwrap();
    }
    write(&r.robots, "slider.urdf", SLIDER_URDF);
    write(&r.envs, "slider.toml", &slider_spec(mpc));
    write(&r.rewards, "slider.luau", SLIDER_PROGRAM);
    dir
}

fn roots_under(home: &Path) -> AssetRoots {
    AssetRoots::under(home)
}

fn rewardsmith() -> Command {
    Command::cargo_bin("rewardsmith").unwrap()
}

#[test]
fn the_planner_brings_a_point_mass_to_its_target_and_holds_it() {
    let dir = slider_dir("[mpc]\n");
    let roots = roots_under(dir.path());
    for target in [0.5, -0.8] {
        let mut params = Params::new();
        params.insert("target", ParamValue::Number(target));
        let mut setup =
            MpcSetup::load("slider", &roots, None, &params, &MpcOverrides::default()).unwrap();
        let mut planner =
            PredictiveSampling::new(&setup.env, &setup.program, setup.config.clone(), 7, 2)
                .unwrap();
        setup.env.reset(Some(0)).unwrap();
        planner.reset(1);
        let mut obs = vec![0.0f32; 1];
        for _ in 0..60 {
            let (a, _) = planner.act(&setup.env).unwrap();
            setup.env.step_into(&a, &mut obs).unwrap();
        }
        let j = setup.env.state().joints[0];
        assert!(
            (j.q - target).abs() < 0.05 && j.qd.abs() < 0.2,
            "target {target}: ended at q {:.3}, qd {:.3}",
            j.q,
            j.qd
        );
    }
}

/// The actions of `steps` control steps of reacher under the planner.
fn reacher_actions(seed: u64, workers: usize, steps: usize) -> Vec<Vec<f64>> {
    let roots = common::repo_roots();
    let mut setup = MpcSetup::load(
        "reacher",
        &roots,
        None,
        &Params::new(),
        &MpcOverrides::default(),
    )
    .unwrap();
    let mut planner = PredictiveSampling::new(
        &setup.env,
        &setup.program,
        setup.config.clone(),
        seed,
        workers,
    )
    .unwrap();
    setup.env.reset(Some(3)).unwrap();
    planner.reset(seed);
    let mut obs = vec![0.0f32; setup.env.compiled().obs_dim()];
    (0..steps)
        .map(|_| {
            let (a, stats) = planner.act(&setup.env).unwrap();
            let stats = stats.expect("plans every step by default");
            assert!(stats.best_score >= stats.nominal_score);
            setup.env.step_into(&a, &mut obs).unwrap();
            a
        })
        .collect()
}

#[test]
fn same_seed_same_controls_whatever_the_worker_count() {
    let a = reacher_actions(5, 1, 8);
    assert_eq!(a, reacher_actions(5, 1, 8));
    assert_eq!(a, reacher_actions(5, 3, 8), "1 and 3 workers differ");
    assert_ne!(
        a,
        reacher_actions(6, 1, 8),
        "another seed, the same controls"
    );
}

#[test]
fn candidate_zero_is_the_nominal_so_a_zero_noise_planner_keeps_it() {
    // With σ = 0 every candidate equals the nominal: nothing can beat it, so the
    // best is candidate 0 and the controls stay the initial (zero) plan.
    let roots = common::repo_roots();
    let over = MpcOverrides {
        sigma: Some(0.0),
        ..MpcOverrides::default()
    };
    let mut setup = MpcSetup::load("reacher", &roots, None, &Params::new(), &over).unwrap();
    let mut planner =
        PredictiveSampling::new(&setup.env, &setup.program, setup.config.clone(), 0, 2).unwrap();
    setup.env.reset(Some(0)).unwrap();
    let (a, stats) = planner.act(&setup.env).unwrap();
    let stats = stats.unwrap();
    assert_eq!(stats.best, 0);
    assert_eq!(stats.best_score, stats.nominal_score);
    assert_eq!(a, vec![0.0, 0.0]);
}

#[test]
fn program_parameters_override_and_validate() {
    let dir = slider_dir("[mpc]\n");
    let env = Env::load("slider", &roots_under(dir.path())).unwrap();
    let layout = &env.compiled().layout;
    let mut p = load_program(&dir.path().join("rewards/slider.luau"), layout).unwrap();
    assert_eq!(
        p.declared_params().get("target"),
        Some(ParamValue::Number(0.5))
    );
    let r0 = p.reward(env.state()).unwrap().total;
    let mut o = Params::new();
    o.insert("target", ParamValue::Number(1.5));
    p.set_params(&o).unwrap();
    let r1 = p.reward(env.state()).unwrap().total;
    assert!((r0 - r1 - 1.0).abs() < 1e-9, "{r0} {r1}");
    // A fork keeps the values.
    assert_eq!(p.fork().unwrap().reward(env.state()).unwrap().total, r1);
    let mut bad = Params::new();
    bad.insert("targte", ParamValue::Number(1.0));
    let e = p.set_params(&bad).unwrap_err().to_string();
    assert!(
        e.contains("unknown parameter \"targte\"")
            && e.contains("did you mean \"target\"")
            && e.contains("known: brake, target"),
        "{e}"
    );
    let mut kind = Params::new();
    kind.insert("target", ParamValue::Vec3([1.0, 0.0, 0.0]));
    assert!(
        p.set_params(&kind)
            .unwrap_err()
            .to_string()
            .contains("is a number")
    );
    // A failed override changes nothing.
    assert_eq!(p.reward(env.state()).unwrap().total, r1);
}

#[test]
fn mpc_cli_writes_its_files_and_reports() {
    let dir = slider_dir("[mpc]\nsamples = 8\n");
    let out = dir.path().join("out");
    let params = write(dir.path(), "p.json", r#"{"target": 0.3}"#);
    let assert = rewardsmith()
        .env("REWARDSMITH_HOME", dir.path())
        .args(["mpc", "--env", "slider"])
        .args(["--params", params.to_str().unwrap(), "--param", "brake=0.2"])
        .args(["--seconds", "2", "--seed", "4", "-j", "1", "--out"])
        .arg(&out)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("success: true"), "{stdout}");
    assert!(stdout.contains("realtime_factor:"), "{stdout}");
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["success"], true);
    assert_eq!(summary["params"]["target"], 0.3);
    assert_eq!(summary["params"]["brake"], 0.2);
    assert_eq!(summary["planner"]["samples"], 8);
    assert!(summary["plans_per_s"].as_f64().unwrap() > 0.0);
    assert!(summary["realtime_factor"].as_f64().unwrap() > 0.0);
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(out.join("rollout.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 40);
    assert!(rows[0]["reward_components"]["to_target"].is_number());
    assert!(rows[0]["state"]["joints"]["slide"]["q"].is_number());
    let gif = image::open(out.join("rollout.gif")).unwrap();
    assert!(gif.width() > 0);
}

#[test]
fn mpc_cli_rejects_bad_parameters_and_envs_without_an_mpc_table() {
    let dir = slider_dir("[mpc]\n");
    let spec = "slider";
    let out = dir.path().join("out");
    let fails = |args: &[&str], want: &[&str]| {
        let a = rewardsmith()
            .env("REWARDSMITH_HOME", dir.path())
            .args(["mpc", "--env", spec, "--no-video", "--out"])
            .arg(&out)
            .args(args)
            .assert()
            .failure();
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        for w in want {
            assert!(err.contains(w), "{args:?}: want {w:?} in {err}");
        }
    };
    fails(
        &["--param", "tagret=1"],
        &["unknown parameter \"tagret\"", "did you mean \"target\""],
    );
    fails(&["--param", "target=nan"], &["not finite"]);
    fails(&["--param", "target=1,2,3"], &["is a number"]);
    fails(&["--param", "target"], &["not name=value"]);
    let bad_json = write(dir.path(), "bad.json", r#"{"target": "far"}"#);
    fails(
        &["--params", bad_json.to_str().unwrap()],
        &["bad.json", "target"],
    );
    fails(&["--samples", "0"], &["samples"]);
    // No [mpc] table: the env is not set up for the controller.
    write(&dir.path().join("envs"), "slider.toml", &slider_spec(""));
    fails(&[], &["no [mpc] table"]);
    assert!(!out.join("summary.json").exists());
}

/// The descriptor's reply for reacher.
const DESCRIPTION: &str = "Here it is:\n[start of description]\n* The fingertip should move to the red target.\n* The fingertip should stay 0.0 m away from that point.\n* The arm should move gently.\n[end of description]";

/// The coder's reply: an L2R program with parameters.
const PROGRAM: &str = "```lua\nparams = { reach = 1.0, scale = 0.1, effort = 0.02 }\nfunction reward(s)\n  local a1, a2 = s.action[1], s.action[2]\n  return {\n    reach = s.param.reach * l2_distance(\"fingertip\", s.task.target, s.param.scale),\n    control = -s.param.effort * (a1 * a1 + a2 * a2),\n  }\nend\n```";

/// A corrected program for the follow-up: a wider scale.
const PROGRAM_2: &str = "```lua\nparams = { scale = 0.2 }\nfunction reward(s)\n  return { reach = l2_distance(\"fingertip\", s.task.target, s.param.scale) }\nend\n```";

fn l2r(url: &str, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    rewardsmith()
        .args([
            "l2r",
            "--env",
            "reacher",
            "--instruction",
            "touch the red dot",
        ])
        .args([
            "--llm-url",
            url,
            "--llm-model",
            "scripted",
            "--llm-key-env",
            "",
        ])
        .args(["--seed", "2", "-j", "2", "--out"])
        .arg(out)
        .args(extra)
        .assert()
}

#[test]
fn l2r_goes_from_instruction_to_a_successful_rollout_and_takes_a_follow_up() {
    let server = serve(vec![
        Act::Reply(DESCRIPTION, "stop"),
        Act::Reply(PROGRAM, "stop"),
        Act::Reply(DESCRIPTION, "stop"),
        Act::Reply(PROGRAM_2, "stop"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("session");
    let a = l2r(&server.url, &out, &[]).success();
    let stdout = String::from_utf8_lossy(&a.get_output().stdout).to_string();
    assert!(stdout.contains("success: true"), "{stdout}");
    let reqs = server.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 2);
    // Stage 1 asks with the reacher template and the instruction; stage 2 with the
    // description and the term library.
    let first: serde_json::Value = serde_json::from_str(&reqs[0].0).unwrap();
    let ask = first["messages"][1]["content"].as_str().unwrap();
    assert!(ask.contains("touch the red dot") && ask.contains("[start of description]"));
    let second: serde_json::Value = serde_json::from_str(&reqs[1].0).unwrap();
    let ask = second["messages"][1]["content"].as_str().unwrap();
    assert!(ask.contains("The fingertip should move to the red target"));
    assert!(ask.contains("l2_distance") && ask.contains("s.param"));
    let turn = out.join("turn_1");
    for f in [
        "descriptor_prompt.md",
        "descriptor_reply.md",
        "description.md",
        "coder_prompt.md",
        "coder_reply.md",
        "program.luau",
        "mpc/rollout.jsonl",
        "mpc/rollout.gif",
        "mpc/summary.json",
    ] {
        assert!(turn.join(f).is_file(), "{f} missing");
    }
    let mpc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(turn.join("mpc/summary.json")).unwrap())
            .unwrap();
    assert_eq!(mpc["success"], true, "{mpc}");
    assert_eq!(mpc["params"]["reach"], 1.0);
    let log = std::fs::read_to_string(out.join("messages.jsonl")).unwrap();
    assert_eq!(log.lines().count(), 6, "2 system, 2 user, 2 assistant");

    // A follow-up: the same command with one more turn asks only for that turn.
    l2r(
        &server.url,
        &out,
        &["--follow-up", "reach from further away"],
    )
    .success();
    let reqs = server.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 4, "turn 1 came from disk");
    let third: serde_json::Value = serde_json::from_str(&reqs[2].0).unwrap();
    let msgs = third["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 4, "the descriptor's conversation goes on");
    assert!(
        msgs[3]["content"]
            .as_str()
            .unwrap()
            .contains("reach from further away")
    );
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary.as_array().unwrap().len(), 2);
    assert_eq!(summary[1]["params"]["scale"], 0.2);
}

#[test]
fn l2r_bad_replies_are_one_error_with_the_conversation_kept() {
    let no_code = "I would reward reaching the dot.";
    let unknown = "```lua\nparams = { reach = 1.0 }\nfunction reward(s)\n  return { r = s.param.raech * l2_distance(\"fingertip\", s.task.target) }\nend\n```";
    let server = serve(vec![
        Act::Reply(DESCRIPTION, "stop"),
        Act::Reply(no_code, "stop"),
        Act::Reply(DESCRIPTION, "stop"),
        Act::Reply(unknown, "stop"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    for (name, want) in [
        ("a", "no fenced code block"),
        ("b", "unknown parameter \"raech\""),
    ] {
        let out = tmp.path().join(name);
        let a = l2r(&server.url, &out, &[]).failure();
        let err = String::from_utf8_lossy(&a.get_output().stderr).to_string();
        assert!(err.contains(want) && err.contains("reward coder"), "{err}");
        assert!(err.contains("coder_reply.md"), "{err}");
        let log = std::fs::read_to_string(out.join("messages.jsonl")).unwrap();
        assert_eq!(
            log.lines().count(),
            6,
            "the whole conversation is kept: {log}"
        );
        assert!(out.join("turn_1/description.md").is_file());
        assert!(!out.join("turn_1/mpc").exists());
    }
}

#[test]
fn l2r_manual_backend_waits_for_each_reply_file() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s");
    let manual = |out: &Path| {
        rewardsmith()
            .args([
                "l2r",
                "--env",
                "reacher",
                "--instruction",
                "touch the red dot",
            ])
            .args(["--llm", "manual", "--no-video", "--out"])
            .arg(out)
            .assert()
    };
    manual(&out).code(2);
    let conv = std::fs::read_to_string(out.join("turn_1/descriptor_conversation.md")).unwrap();
    assert!(conv.contains("touch the red dot"));
    std::fs::write(out.join("turn_1/descriptor_reply.md"), DESCRIPTION).unwrap();
    manual(&out).code(2);
    assert!(out.join("turn_1/coder_conversation.md").is_file());
    std::fs::write(out.join("turn_1/coder_reply.md"), PROGRAM).unwrap();
    manual(&out).success();
    assert!(out.join("turn_1/mpc/summary.json").is_file());
    // Another instruction in the same directory is refused.
    let a = rewardsmith()
        .args([
            "l2r",
            "--env",
            "reacher",
            "--instruction",
            "wave",
            "--llm",
            "manual",
        ])
        .arg("--out")
        .arg(&out)
        .assert()
        .failure();
    assert!(String::from_utf8_lossy(&a.get_output().stderr).contains("another instruction"));
}

#[test]
fn every_builtin_env_has_planner_settings_that_resolve() {
    let roots = AssetRoots::discover();
    for name in roots.builtin_names() {
        let file = roots.resolve_env(&name).unwrap();
        let spec = rewardsmith::env::EnvSpec::from_file(&file).unwrap();
        let table = spec
            .mpc
            .unwrap_or_else(|| panic!("{name} has no [mpc] table"));
        PlannerConfig::resolve(&table, &MpcOverrides::default(), &name).unwrap();
    }
}
