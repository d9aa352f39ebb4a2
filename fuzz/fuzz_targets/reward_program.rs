//! Compiles arbitrary UTF-8 as a reward program and runs it against a fixed State: any
//! outcome is fine except a panic, a hang, or a crash of the host.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rewardsmith::env::{BodyState, JointInfo, JointKind, JointState, State, StateLayout, TaskParamInfo};
use rewardsmith::reward::{Limits, ScriptProgram};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

fn fixed_state() -> &'static State {
    static STATE: OnceLock<State> = OnceLock::new();
    STATE.get_or_init(|| {
        let layout = StateLayout {
            bodies: vec!["cart".into(), "pole".into()],
            joints: vec![JointInfo { name: "hinge".into(), kind: JointKind::Revolute, limits: None, parent: 0, child: 1 }],
            actuators: vec!["hinge".into()], action_ranges: vec![[-1.0, 1.0]], robot_links: 2, body_masses: vec![], body_coms: vec![],
            task: vec![TaskParamInfo { name: "target".into(), doc: String::new(), offset: 0, dim: 3, low: vec![0.0; 3], high: vec![1.0; 3] }],
            dt: 0.02,
        };
        State {
            layout: Arc::new(layout),
            t: 0.5,
            step: 25,
            bodies: vec![
                BodyState { pos: [0.0, 0.0, 0.2], quat: [1.0, 0.0, 0.0, 0.0], ..Default::default() },
                BodyState { pos: [0.0, 0.0, 0.8], quat: [0.99, 0.14, 0.0, 0.0], ..Default::default() },
            ],
            joints: vec![JointState { q: 0.3, qd: 1.0 }],
            action: vec![0.1],
            task: vec![1.0, 2.0, 3.0],
            contacts: vec![(0, 1)],
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(src) = std::str::from_utf8(data) else { return };
    let s = fixed_state();
    let limits = Limits { max_call_time: Duration::from_millis(50), memory_bytes: 16 << 20, ..Limits::default() };
    if let Ok(mut p) = ScriptProgram::compile_with("fuzz", src, &s.layout, limits) {
        let _ = p.reward(s);
        let _ = p.success(s);
        let _ = p.reward(s);
    }
});
