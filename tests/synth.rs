//! The synth loop against a scripted OpenAI-compatible server on 127.0.0.1.

mod common;

use common::chat::{Act, serve};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use rewardsmith::env::AssetRoots;
use rewardsmith::mpc::PlannerTrainer;
use rewardsmith::synth::config::{Backend, LlmSettings, SynthConfig, SynthSettings};
use rewardsmith::synth::llm::{LlmClient, LlmError, Message};
use rewardsmith::synth::prompts::Prompts;
use rewardsmith::synth::round::{Outcome, Status, Synth};
use rewardsmith::synth::train_trainer::TrainTrainer;

const BAD: &str = "Tilting the pole earns reward:\n\n```lua\nfunction reward(s)\n  return { tilt = math.abs(s.joint(\"hinge\").q) }\nend\n```\n";
const BROKEN: &str = "```lua\nfunction reward(s)\n  return { up = }\nend\n```";
const GOOD: &str = "Improved after the feedback:\n\n```lua\nfunction reward(s)\n  local h = s.joint(\"hinge\")\n  local c = s.joint(\"slider\")\n  return { upright = 1 - 20 * h.q * h.q, centered = -0.2 * c.q * c.q, slow = -0.05 * c.qd * c.qd, still = -0.02 * h.qd * h.qd }\nend\n```\nThis keeps the pole up and the cart centred.";
const RUNTIME: &str = "```lua\nfunction reward(s)\n  error(\"boom\")\nend\n```";
const PYTHON: &str = "```python\ndef reward(s):\n    return 1.0\n```";

fn settings(url: &str) -> LlmSettings {
    LlmSettings {
        url: url.to_string(),
        model: "scripted".into(),
        key_env: String::new(),
        parallel: 1,
        timeout_s: 0.5,
        retries: 2,
        backoff_s: 0.01,
        ..LlmSettings::default()
    }
}

fn config(llm: LlmSettings, samples: usize, rounds: usize, steps: u64) -> SynthConfig {
    SynthConfig {
        llm,
        synth: SynthSettings {
            env: "cartpole".into(),
            task: "balance the pole".into(),
            samples,
            rounds,
            steps_per_sample: Some(steps),
            check_steps: 50,
            ..SynthSettings::default()
        },
        ..SynthConfig::default()
    }
}

/// A synth config file in `dir` for the scripted server at `url` (one request at a
/// time, quick retries, 100 check steps).
fn config_file(dir: &Path, url: &str) -> std::path::PathBuf {
    let config = dir.join("synth.toml");
    std::fs::write(
        &config,
        format!(
            "[llm]\nurl = \"{url}\"\nparallel = 1\ntimeout_s = 5.0\nretries = 1\nbackoff_s = 0.01\n\n[synth]\ncheck_steps = 100\n"
        ),
    )
    .unwrap();
    config
}

fn all_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            all_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

#[test]
fn two_rounds_pick_the_better_program_feed_back_and_resume_without_asking() {
    let key = "sk-test-SECRET-0123456789";
    let server = serve(vec![
        Act::Reply(BAD, "stop"),
        Act::Reply(BROKEN, "stop"),
        Act::Reply(GOOD, "stop"),
        Act::Reply(BAD, "stop"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let config = config_file(tmp.path(), &server.url);
    let run = |args: &[&str]| {
        Command::cargo_bin("rewardsmith")
            .unwrap()
            .env("RS_SYNTH_TEST_KEY", key)
            .args(args)
            .assert()
            .success()
    };
    let out_s = out.to_str().unwrap();
    let cfg_s = config.to_str().unwrap();
    run(&[
        "synth",
        "--env",
        "cartpole",
        "--task",
        "balance the pole",
        "--samples",
        "2",
        "--rounds",
        "2",
        "--steps-per-sample",
        "300",
        "--trainer",
        "planner",
        "--llm-key-env",
        "RS_SYNTH_TEST_KEY",
        "--llm-model",
        "scripted",
        "--config",
        cfg_s,
        "--out",
        out_s,
    ]);
    let reqs = server.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 4);
    assert!(
        reqs.iter()
            .all(|(_, auth)| auth.as_deref() == Some(&format!("Bearer {key}")))
    );

    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("Round 2, sample 0"), "{summary}");
    assert!(
        summary.contains("upright = 1 - 20 * h.q * h.q"),
        "{summary}"
    );
    assert!(
        summary.contains("Round 2, sample 0: success rate 1.000"),
        "{summary}"
    );
    assert!(summary.contains("| 1 | no |"), "{summary}");
    // Round 2's feedback prompt: component statistics of round 1 and the compile error.
    let fb = std::fs::read_to_string(out.join("round_2/sample_0/prompt.md")).unwrap();
    assert!(fb.contains("component `tilt` mean: ["), "{fb}");
    assert!(fb.contains("success_rate: ["), "{fb}");
    assert!(fb.contains("syntax error"), "{fb}");
    // The broken sample gets its error back in its own thread.
    let err = std::fs::read_to_string(out.join("round_2/sample_1/prompt.md")).unwrap();
    assert!(
        err.contains("compilation failed") && err.contains("syntax error"),
        "{err}"
    );
    assert!(
        err.contains("{ up = }"),
        "its own reply is in the thread: {err}"
    );
    for f in [
        "messages.jsonl",
        "progress.png",
        "synth.toml",
        "round_1/sample_0/check.txt",
        "round_1/sample_0/result.json",
        "round_2/sample_0/program.luau",
        "round_1/sample_1/reply.md",
    ] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let png = image::open(out.join("progress.png")).unwrap();
    assert_eq!((png.width(), png.height()), (640, 400));
    let lines = std::fs::read_to_string(out.join("messages.jsonl")).unwrap();
    assert!(
        lines
            .lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
    );

    // Resume: everything is on disk, nothing is asked again.
    let before = std::fs::read_to_string(out.join("summary.md")).unwrap();
    run(&["synth", "--resume", out_s]);
    assert_eq!(
        server.requests.lock().unwrap().len(),
        4,
        "resume asked the LLM again"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        before
    );

    let mut files = Vec::new();
    all_files(&out, &mut files);
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        assert!(
            !bytes.windows(key.len()).any(|w| w == key.as_bytes()),
            "API key in {}",
            f.display()
        );
    }
}

#[test]
fn resume_after_interruption_asks_only_for_missing_replies() {
    let server = serve(vec![Act::Reply(GOOD, "stop"), Act::Reply(BAD, "stop")]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(settings(&server.url), 2, 1, 100);
    let roots = AssetRoots::discover();
    let trainer = PlannerTrainer::new(roots.clone());
    let synth = Synth {
        config: cfg,
        out: tmp.path().to_path_buf(),
        roots: roots.clone(),
        prompts: Prompts::new(&roots.prompts_dir()),
        trainer: &trainer,
        ranker: None,
    };
    // A reply the "interrupted" run already got, and a half-done sample without one.
    let dir = tmp.path().join("round_1/sample_0");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("reply.md"), GOOD).unwrap();
    let Outcome::Finished(report) = synth.run().unwrap() else {
        panic!("waiting")
    };
    assert_eq!(server.requests.lock().unwrap().len(), 1);
    assert!(
        report.rounds[0]
            .iter()
            .all(|r| r.status == Status::Evaluated)
    );
}

#[test]
fn a_corrupt_result_file_is_reported_not_redone() {
    let server = serve(vec![Act::Reply(GOOD, "stop")]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(settings(&server.url), 1, 1, 100);
    let roots = AssetRoots::discover();
    let trainer = PlannerTrainer::new(roots.clone());
    let synth = Synth {
        config: cfg,
        out: tmp.path().to_path_buf(),
        roots: roots.clone(),
        prompts: Prompts::new(&roots.prompts_dir()),
        trainer: &trainer,
        ranker: None,
    };
    // A finished sample whose result file was cut short (a disk fault, a bad hand edit).
    let dir = tmp.path().join("round_1/sample_0");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("reply.md"), GOOD).unwrap();
    std::fs::write(dir.join("result.json"), "{\"round\": 1, \"sam").unwrap();
    let e = synth.run().unwrap_err().to_string();
    assert!(e.contains("round_1/sample_0/result.json"), "{e}");
    assert!(e.contains("delete it to redo"), "{e}");
    // Nothing was asked of the LLM, and the file is left as it was for the person.
    assert!(server.requests.lock().unwrap().is_empty());
    assert_eq!(
        std::fs::read_to_string(dir.join("result.json")).unwrap(),
        "{\"round\": 1, \"sam"
    );
}

#[test]
fn manual_backend_waits_for_reply_files() {
    let tmp = tempfile::tempdir().unwrap();
    let manual = LlmSettings {
        backend: Backend::Manual,
        ..LlmSettings::default()
    };
    let cfg = config(manual, 1, 1, 50);
    let roots = AssetRoots::discover();
    let trainer = PlannerTrainer::new(roots.clone());
    let synth = Synth {
        config: cfg,
        out: tmp.path().to_path_buf(),
        roots: roots.clone(),
        prompts: Prompts::new(&roots.prompts_dir()),
        trainer: &trainer,
        ranker: None,
    };
    let Outcome::Waiting { files, .. } = synth.run().unwrap() else {
        panic!("finished without replies")
    };
    assert_eq!(files, vec![tmp.path().join("round_1/sample_0/reply.md")]);
    assert!(tmp.path().join("round_1/sample_0/prompt.md").is_file());
    std::fs::write(&files[0], GOOD).unwrap();
    let Outcome::Finished(report) = synth.run().unwrap() else {
        panic!("still waiting")
    };
    assert_eq!(report.best.unwrap().round, 1);
}

#[test]
fn endpoint_faults_are_retried_or_reported() {
    let msgs = [Message::new("user", "hi")];
    let cases: Vec<(Vec<Act>, u32)> = vec![
        (vec![Act::Sleep(1500), Act::Reply("ok", "stop")], 2),
        (vec![Act::Status(429, Some(1)), Act::Reply("ok", "stop")], 2),
        (
            vec![
                Act::Status(500, None),
                Act::Status(503, None),
                Act::Reply("ok", "stop"),
            ],
            3,
        ),
        (vec![Act::Close, Act::Reply("ok", "stop")], 2),
        (vec![Act::InvalidJson, Act::Reply("ok", "stop")], 2),
        (vec![Act::Truncated, Act::Reply("ok", "stop")], 2),
    ];
    for (i, (script, attempts)) in cases.into_iter().enumerate() {
        let server = serve(script);
        let t = Instant::now();
        let c = LlmClient::new(&settings(&server.url))
            .complete(&msgs, 1)
            .unwrap_or_else(|e| panic!("case {i}: {e}"));
        assert_eq!(
            (c.attempts, c.choices[0].content.as_str()),
            (attempts, "ok"),
            "case {i}"
        );
        assert_eq!(c.usage.prompt_tokens, 100);
        if i == 1 {
            assert!(
                t.elapsed() >= Duration::from_millis(950),
                "Retry-After not honoured"
            );
        }
    }
    let server = serve(vec![Act::InvalidJson, Act::InvalidJson, Act::InvalidJson]);
    let e = LlmClient::new(&settings(&server.url))
        .complete(&msgs, 1)
        .unwrap_err();
    assert!(matches!(e, LlmError::Invalid { attempts: 3, .. }), "{e}");
    let server = serve(vec![Act::Status(401, None)]);
    let e = LlmClient::new(&settings(&server.url))
        .complete(&msgs, 1)
        .unwrap_err();
    assert!(
        matches!(
            e,
            LlmError::Status {
                status: 401,
                attempts: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn a_round_goes_on_past_failed_samples() {
    let server = serve(vec![
        Act::InvalidJson,
        Act::InvalidJson,
        Act::InvalidJson,           // sample 0: gives up
        Act::Reply(PYTHON, "stop"), // sample 1: wrong language
        Act::Reply("```lua\nfunction reward(s)\n  return {", "length"), // sample 2: cut off
        Act::Reply("No code today.", "stop"), // sample 3: no code
        Act::Close,
        Act::Reply(GOOD, "stop"),    // sample 4: retried, fine
        Act::Reply(RUNTIME, "stop"), // sample 5: the dry run fails
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(settings(&server.url), 6, 1, 100);
    let roots = AssetRoots::discover();
    let trainer = PlannerTrainer::new(roots.clone());
    let synth = Synth {
        config: cfg,
        out: tmp.path().to_path_buf(),
        roots: roots.clone(),
        prompts: Prompts::new(&roots.prompts_dir()),
        trainer: &trainer,
        ranker: None,
    };
    let Outcome::Finished(report) = synth.run().unwrap() else {
        panic!("waiting")
    };
    let r = &report.rounds[0];
    let st: Vec<Status> = r.iter().map(|s| s.status).collect();
    assert_eq!(
        st,
        [
            Status::LlmError,
            Status::ExtractError,
            Status::ExtractError,
            Status::ExtractError,
            Status::Evaluated,
            Status::CheckError
        ]
    );
    assert!(r[0].error.as_ref().unwrap().contains("invalid response"));
    assert!(r[1].error.as_ref().unwrap().contains("python"));
    assert!(r[2].error.as_ref().unwrap().contains("cut off"));
    assert!(
        r[3].error
            .as_ref()
            .unwrap()
            .contains("no fenced code block")
    );
    assert!(r[5].error.as_ref().unwrap().contains("boom"));
    assert!(r[5].error.as_ref().unwrap().contains("check rollout"));
    assert_eq!(report.best.unwrap().sample, 4);
    let saved: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("round_1/sample_1/result.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(saved["status"], "extract_error");
}

#[test]
fn n_samples_in_one_request_and_early_stop_at_the_target() {
    // One request asks for all 3 samples (`n`); the server sends one choice (it ignores
    // `n`), so the other two are asked for one by one.
    let server = serve(vec![
        Act::Reply(GOOD, "stop"),
        Act::Reply(BAD, "stop"),
        Act::Reply(BAD, "stop"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let llm = LlmSettings {
        use_n: true,
        ..settings(&server.url)
    };
    let cfg = config(llm, 3, 3, 300);
    let roots = AssetRoots::discover();
    let trainer = PlannerTrainer::new(roots.clone());
    let synth = Synth {
        config: cfg,
        out: tmp.path().to_path_buf(),
        roots: roots.clone(),
        prompts: Prompts::new(&roots.prompts_dir()),
        trainer: &trainer,
        ranker: None,
    };
    let Outcome::Finished(report) = synth.run().unwrap() else {
        panic!("waiting")
    };
    let reqs = server.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 3);
    let first: serde_json::Value = serde_json::from_str(&reqs[0].0).unwrap();
    assert_eq!(first["n"], 3);
    assert_eq!(first["model"], "scripted");
    assert!(reqs[0].1.is_none(), "no key env: no Authorization header");
    assert!(
        report.stopped_early,
        "success 1.0 reaches the default target"
    );
    assert_eq!(report.rounds.len(), 1);
    let best = report.best.unwrap();
    assert_eq!((best.sample, best.success_rate), (0, 1.0));
    assert!(!tmp.path().join("round_2").exists());
}

#[test]
fn human_critique_waits_for_the_file_then_goes_into_the_prompt() {
    let server = serve(vec![Act::Reply(BAD, "stop"), Act::Reply(GOOD, "stop")]);
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(settings(&server.url), 1, 2, 100);
    cfg.synth.feedback = rewardsmith::synth::config::Feedback::HumanText;
    let roots = AssetRoots::discover();
    let trainer = PlannerTrainer::new(roots.clone());
    let synth = Synth {
        config: cfg,
        out: tmp.path().to_path_buf(),
        roots: roots.clone(),
        prompts: Prompts::new(&roots.prompts_dir()),
        trainer: &trainer,
        ranker: None,
    };
    let Outcome::Waiting { files, .. } = synth.run().unwrap() else {
        panic!("went on without a critique")
    };
    assert_eq!(files, vec![tmp.path().join("round_1/critique.md")]);
    std::fs::write(
        &files[0],
        "The pole falls over at once; reward it for staying upright.",
    )
    .unwrap();
    let Outcome::Finished(_) = synth.run().unwrap() else {
        panic!("still waiting")
    };
    assert_eq!(server.requests.lock().unwrap().len(), 2);
    let p = std::fs::read_to_string(tmp.path().join("round_2/sample_0/prompt.md")).unwrap();
    assert!(p.contains("reward it for staying upright"), "{p}");
    assert!(p.contains("component `tilt` mean"), "{p}");
}

#[test]
fn config_file_rejects_unknown_keys_and_cli_refuses_a_used_out_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = tmp.path().join("c.toml");
    std::fs::write(&cfg, "[llm]\nmodle = \"x\"\n").unwrap();
    let e = SynthConfig::load(&cfg).unwrap_err().to_string();
    assert!(e.contains("modle"), "{e}");
    let out = tmp.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("x"), "").unwrap();
    Command::cargo_bin("rewardsmith")
        .unwrap()
        .args([
            "synth", "--env", "cartpole", "--task", "t", "--llm", "manual", "--out",
        ])
        .arg(&out)
        .assert()
        .failure()
        .stderr(predicates::str::contains("--resume"));
    let fresh = tmp.path().join("fresh");
    Command::cargo_bin("rewardsmith")
        .unwrap()
        .args([
            "synth",
            "--env",
            "cartpole",
            "--task",
            "t",
            "--llm",
            "manual",
            "--samples",
            "1",
            "--out",
        ])
        .arg(&fresh)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("round_1/sample_0/reply.md"))
        .stderr(predicates::str::contains("--resume"));
}

/// The expert reward (alive) with shaping toward upright and centred.
const TRAIN_GOOD: &str = "```lua\nfunction reward(s)\n  local h = s.joint(\"hinge\")\n  local c = s.joint(\"slider\")\n  return { alive = 1.0, upright = -h.q * h.q, centered = -0.01 * c.q * c.q }\nend\n```";
/// Fine for the dry run, NaN once training is under way (a local counts the calls).
const LATE_NAN: &str = "```lua\nlocal calls = 0\nfunction reward(s)\n  calls = calls + 1\n  if calls > 300 then\n    return { alive = 1.0, broken = 0 / 0 }\n  end\n  return { alive = 1.0 }\nend\n```";

#[test]
fn train_trainer_picks_the_reward_that_learns_to_balance() {
    let t = Instant::now();
    let server = serve(vec![
        Act::Reply(BAD, "stop"),
        Act::Reply(TRAIN_GOOD, "stop"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    Command::cargo_bin("rewardsmith")
        .unwrap()
        .args([
            "synth",
            "--env",
            "cartpole",
            "--task",
            "balance the pole",
            "--samples",
            "2",
            "--rounds",
            "1",
            "--steps-per-sample",
            "100000",
            "--trainer",
            "train",
            "--llm-url",
            &server.url,
            "--llm-model",
            "scripted",
            "--out",
        ])
        .arg(&out)
        .assert()
        .success();
    let result = |k: usize| -> serde_json::Value {
        let p = out.join(format!("round_1/sample_{k}/result.json"));
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    // Which sample got which reply depends on the order of the concurrent requests.
    let program = |k: usize| {
        std::fs::read_to_string(out.join(format!("round_1/sample_{k}/program.luau"))).unwrap()
    };
    let g = if program(0).contains("upright") { 0 } else { 1 };
    let (bad, good) = (result(1 - g), result(g));
    assert_eq!(good["status"], "evaluated", "{good}");
    assert_eq!(bad["status"], "evaluated", "{bad}");
    assert_eq!(good["result"]["trainer"], "train:ppo");
    let sr = |v: &serde_json::Value| v["result"]["success_rate"].as_f64().unwrap();
    assert!(sr(&good) > sr(&bad), "good {good}\nbad {bad}");
    let curves = good["result"]["curves"].as_array().unwrap();
    assert!((2..=10).contains(&curves.len()), "{curves:?}");
    for k in 0..2 {
        let run = out.join(format!("round_1/sample_{k}/run"));
        for f in ["summary.json", "metrics.jsonl", "config.toml"] {
            assert!(run.join(f).is_file(), "sample {k}: {f} missing");
        }
        assert!(out.join(format!("round_1/sample_{k}/train.log")).is_file());
    }
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!("Round 1, sample {g}")),
        "{summary}"
    );
    // The reward reflection built from the trained runs.
    let records: Vec<rewardsmith::synth::round::SampleRecord> = (0..2)
        .map(|k| serde_json::from_value(result(k)).unwrap())
        .collect();
    let best = records[g].result.as_ref().unwrap();
    let text = rewardsmith::synth::prompts::reflection(best);
    assert!(text.contains("component `upright` mean: ["), "{text}");
    assert!(text.contains("component `alive` mean: ["), "{text}");
    assert!(text.contains("success_rate: ["), "{text}");
    assert!(text.contains("episode_length: ["), "{text}");
    eprintln!(
        "1-round synth, two trained candidates (success {} vs {}): {:.1} s",
        sr(&good),
        sr(&bad),
        t.elapsed().as_secs_f64()
    );
}

#[test]
fn a_reward_that_turns_nan_in_training_is_a_failed_sample() {
    let server = serve(vec![Act::Reply(LATE_NAN, "stop"), Act::Reply(GOOD, "stop")]);
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(settings(&server.url), 2, 1, 2048);
    let roots = AssetRoots::discover();
    let trainer = TrainTrainer::with_exe(env!("CARGO_BIN_EXE_rewardsmith"), roots.clone());
    let synth = Synth {
        config: cfg,
        out: tmp.path().to_path_buf(),
        roots: roots.clone(),
        prompts: Prompts::new(&roots.prompts_dir()),
        trainer: &trainer,
        ranker: None,
    };
    let Outcome::Finished(report) = synth.run().unwrap() else {
        panic!("waiting")
    };
    let r = &report.rounds[0];
    assert_eq!(r[0].status, Status::TrainError, "{:?}", r[0]);
    let e = r[0].error.as_deref().unwrap();
    assert!(e.contains("`rewardsmith train` failed"), "{e}");
    assert!(e.contains("component \"broken\" is NaN"), "{e}");
    assert_eq!(r[1].status, Status::Evaluated, "{:?}", r[1]);
    assert_eq!(report.best.unwrap().sample, 1);
    // Resume reuses the finished run instead of training again.
    let summary = tmp.path().join("round_1/sample_1/run/summary.json");
    let before = std::fs::metadata(&summary).unwrap().modified().unwrap();
    std::fs::remove_file(tmp.path().join("round_1/sample_1/result.json")).unwrap();
    let Outcome::Finished(again) = synth.run().unwrap() else {
        panic!("waiting")
    };
    assert_eq!(again.rounds[0][1].status, Status::Evaluated);
    assert_eq!(
        std::fs::metadata(&summary).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn human_rank_waits_for_a_ranking_feeds_it_back_and_keeps_the_pick() {
    use rewardsmith::synth::config::{Feedback, TrainerKind};
    use rewardsmith::synth::ranking::RankRequest;
    let server = serve(vec![
        Act::Reply(TRAIN_GOOD, "stop"),
        Act::Reply(BAD, "stop"),
        Act::Reply(GOOD, "stop"),
        Act::Reply(BAD, "stop"),
    ]);
    let tmp = tempfile::tempdir().unwrap();
    let mut cfg = config(settings(&server.url), 2, 2, 2048);
    cfg.synth.feedback = Feedback::HumanRank;
    cfg.synth.trainer = TrainerKind::Train;
    let roots = AssetRoots::discover();
    let trainer =
        TrainTrainer::with_exe(assert_cmd::cargo::cargo_bin("rewardsmith"), roots.clone());
    let synth = |ranker| Synth {
        config: cfg.clone(),
        out: tmp.path().to_path_buf(),
        roots: roots.clone(),
        prompts: Prompts::new(&roots.prompts_dir()),
        trainer: &trainer,
        ranker,
    };
    // Nobody at a terminal: the run writes the page and waits for ranking.json.
    let Outcome::Waiting { files, what } = synth(None).run().unwrap() else {
        panic!("went on without a ranking")
    };
    let round1 = tmp.path().join("round_1");
    assert_eq!(files, vec![round1.join("ranking.json")]);
    assert!(what.contains("rank.html"), "{what}");
    let page = std::fs::read_to_string(round1.join("rank.html")).unwrap();
    for k in 0..2 {
        let gif = format!("sample_{k}/run/videos/final.gif");
        assert!(page.contains(&gif), "{page}");
        assert!(round1.join(&gif).is_file(), "{gif} missing");
    }
    assert!(page.contains("tilt"), "programs are on the page");
    // A bad ranking file is one clear error naming the file.
    std::fs::write(round1.join("ranking.json"), "{\"ranking\": [7]}").unwrap();
    let e = format!("{:#}", synth(None).run().unwrap_err());
    assert!(e.contains("ranking.json") && e.contains("sample 7"), "{e}");
    // The person prefers sample 1 (the tilting reward), whatever its success rate.
    std::fs::write(round1.join("ranking.json"), "{\"ranking\": [1, 0]}").unwrap();
    let asked = Mutex::new(Vec::new());
    let ranker = |req: &RankRequest| -> std::io::Result<Option<Vec<usize>>> {
        asked.lock().unwrap().push((req.round, req.samples.len()));
        Ok(Some(vec![0, 1]))
    };
    let Outcome::Finished(report) = synth(Some(&ranker)).run().unwrap() else {
        panic!("still waiting")
    };
    assert_eq!(
        *asked.lock().unwrap(),
        vec![(2, 2)],
        "only round 2 is asked"
    );
    assert_eq!(server.requests.lock().unwrap().len(), 4, "nothing re-asked");
    let p = std::fs::read_to_string(tmp.path().join("round_2/sample_0/prompt.md")).unwrap();
    assert!(p.contains("1. sample 1\n2. sample 0"), "{p}");
    assert!(p.contains("### sample 1 (ranked 1)"), "{p}");
    assert!(
        p.contains("Tilting the pole earns reward"),
        "the pick's reply: {p}"
    );
    let best = report.best.unwrap();
    assert_eq!((best.round, best.sample), (2, 0), "the latest pick is kept");
    let written = std::fs::read_to_string(tmp.path().join("round_2/ranking.json")).unwrap();
    assert!(written.contains("[\n    0,\n    1\n  ]"), "{written}");
}

/// `result.json` files under a synth directory that parse, and those that exist.
fn results(out: &Path) -> (usize, usize) {
    let mut files = Vec::new();
    if out.is_dir() {
        all_files(out, &mut files);
    }
    let results: Vec<_> = files
        .iter()
        .filter(|f| f.file_name().is_some_and(|n| n == "result.json"))
        .collect();
    let whole = results
        .iter()
        .filter(|f| {
            std::fs::read_to_string(f)
                .is_ok_and(|t| serde_json::from_str::<serde_json::Value>(&t).is_ok())
        })
        .count();
    (whole, results.len())
}

/// A synth run SIGKILLed as soon as it writes a new file (and at delays after that),
/// then resumed, finishes every round: no result file is ever left half written,
/// and the LLM is asked at most once more per kill than an uninterrupted run asks.
#[test]
fn a_sigkilled_synth_run_resumes_to_the_end_without_losing_a_round() {
    let (samples, rounds) = (2, 3);
    // Replies whose reward does not teach balancing: no early stop at the target.
    let server = serve((0..20).map(|_| Act::Reply(BAD, "stop")).collect());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    let config = config_file(tmp.path(), &server.url);
    let bin = assert_cmd::cargo::cargo_bin("rewardsmith");
    let first = [
        "synth",
        "--env",
        "cartpole",
        "--task",
        "balance the pole",
        "--samples",
        "2",
        "--rounds",
        "3",
        "--steps-per-sample",
        "300",
        "--trainer",
        "planner",
        "--llm-model",
        "scripted",
        "--config",
    ];
    let mut kills = 0;
    for (attempt, delay) in [0u64, 3, 11, 1, 7, 0].into_iter().enumerate() {
        let mut cmd = std::process::Command::new(&bin);
        // Killed before its settings were in place, a run starts again (what the
        // `--resume` error says to do); its leftover temporaries do not block that.
        if attempt == 0 || !out.join("synth.toml").is_file() {
            cmd.args(first).arg(&config).arg("--out").arg(&out);
        } else {
            cmd.args(["synth", "--resume"]).arg(&out);
        }
        let log = tmp.path().join(format!("attempt{attempt}.log"));
        let mut child = cmd
            .stdout(std::process::Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        // Wait for the run to write anything new (a prompt, a reply, a result, ...).
        let count = || {
            let mut files = Vec::new();
            if out.is_dir() {
                all_files(&out, &mut files);
            }
            files.len()
        };
        let before = count();
        let start = Instant::now();
        while count() == before && start.elapsed() < Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        std::thread::sleep(Duration::from_millis(delay));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            kills += 1;
        }
        let status = child.wait().unwrap();
        assert!(
            status.success() || status.code().is_none(),
            "attempt {attempt} failed: {}",
            std::fs::read_to_string(&log).unwrap()
        );
        let (whole, all) = results(&out);
        assert_eq!(
            whole, all,
            "a result.json left half written after kill {kills}"
        );
        if out.join("summary.md").is_file() && all == samples * rounds {
            break;
        }
    }
    assert!(kills >= 3, "only {kills} kills landed before the run ended");
    Command::cargo_bin("rewardsmith")
        .unwrap()
        .args(["synth", "--resume"])
        .arg(&out)
        .assert()
        .success();
    assert_eq!(results(&out), (samples * rounds, samples * rounds));
    let asked = server.requests.lock().unwrap().len();
    assert!(
        (samples * rounds..=samples * rounds + kills).contains(&asked),
        "{asked} requests for {} samples and {kills} kills",
        samples * rounds
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("## Round 3"), "{summary}");
}
