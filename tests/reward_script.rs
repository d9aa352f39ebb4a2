//! Reward programs: the math library, component tables, errors of hostile programs, the
//! sandbox, and parallel evaluation.

use rewardsmith::env::{
    BodyState, JointInfo, JointKind, JointState, State, StateLayout, TaskParamInfo,
};
use rewardsmith::reward::{Limits, Reward, RewardError, RewardOut, ScriptProgram, ScriptReward};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn layout() -> StateLayout {
    StateLayout {
        bodies: vec!["cart".into(), "pole".into(), "ground".into()],
        joints: vec![JointInfo {
            name: "hinge".into(),
            kind: JointKind::Revolute,
            limits: None,
            parent: 0,
            child: 1,
        }],
        actuators: vec!["slider".into()],
        task: vec![
            TaskParamInfo {
                name: "target".into(),
                doc: "goal".into(),
                offset: 0,
                dim: 3,
                low: vec![0.0; 3],
                high: vec![1.0; 3],
            },
            TaskParamInfo {
                name: "speed".into(),
                doc: "".into(),
                offset: 3,
                dim: 1,
                low: vec![0.0],
                high: vec![1.0],
            },
            TaskParamInfo {
                name: "gains".into(),
                doc: "".into(),
                offset: 4,
                dim: 2,
                low: vec![0.0; 2],
                high: vec![1.0; 2],
            },
        ],
        dt: 0.02,
    }
}

/// A hand-built state; `k` varies it.
fn state(k: f64) -> State {
    let layout = Arc::new(layout());
    let h = 0.3_f64 + 0.01 * k; // pole tilt about x (radians)
    State {
        layout,
        t: 1.5 + k,
        step: 75 + k as u32,
        bodies: vec![
            BodyState {
                pos: [0.1 * k, 0.0, 0.2],
                quat: [1.0, 0.0, 0.0, 0.0],
                linvel: [1.0, 0.0, 0.0],
                angvel: [0.0; 3],
            },
            BodyState {
                pos: [0.1 * k, 0.0, 0.8],
                quat: [(h / 2.0).cos(), (h / 2.0).sin(), 0.0, 0.0],
                linvel: [0.5, 0.0, 0.1],
                angvel: [2.0, 0.0, 0.0],
            },
            BodyState {
                pos: [0.0; 3],
                quat: [1.0, 0.0, 0.0, 0.0],
                linvel: [0.0; 3],
                angvel: [0.0; 3],
            },
        ],
        joints: vec![JointState { q: h, qd: 2.0 }],
        action: vec![0.25 - 0.01 * k],
        task: vec![1.0, 2.0, 3.0, 0.5, 7.0, 8.0],
        contacts: vec![(0, 2)],
    }
}

fn compile(src: &str) -> Result<ScriptProgram, RewardError> {
    ScriptProgram::compile("test.luau", src, &layout())
}

fn run(src: &str) -> Result<RewardOut, RewardError> {
    compile(src)?.reward(&state(0.0))
}

/// Evaluates a Luau expression (as a single component `v`).
fn eval(expr: &str) -> f64 {
    let src = format!("function reward(s)\n  return {{ v = {expr} }}\nend");
    match run(&src) {
        Ok(o) => o.total,
        Err(e) => panic!("{expr}: {e}"),
    }
}

fn err(src: &str) -> RewardError {
    match compile(src).and_then(|mut p| p.reward(&state(0.0))) {
        Ok(o) => panic!("expected an error, got {o:?}"),
        Err(e) => e,
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-12
}

#[test]
fn smoke() {
    let o = run("function reward(s) return s.body('pole').pos.z end").unwrap();
    assert_eq!(o.total, 0.8);
    assert_eq!(o.components, vec![("reward".to_string(), 0.8)]);
}
