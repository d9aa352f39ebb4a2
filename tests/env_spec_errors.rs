//! Bad env specs give one clear error naming the file, the key and what was expected.

mod common;

use common::{pendulum_spec, pendulum_urdf, roots_in, write};
use rewardsmith::env::{Env, EnvError, EnvSpec};

fn load_err(spec: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-1.0, 1.0));
    let file = write(dir.path(), "bob.toml", spec);
    let roots = roots_in(dir.path());
    let err = EnvSpec::from_file(&file)
        .and_then(|s| Env::from_spec(s, &file, &roots))
        .expect_err("spec should be rejected");
    let msg = err.to_string();
    assert!(msg.contains("bob.toml"), "error names the file: {msg}");
    msg
}

#[test]
fn valid_spec_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-1.0, 1.0));
    let file = write(dir.path(), "bob.toml", &pendulum_spec(0.01, 1, ""));
    let spec = EnvSpec::from_file(&file).expect("parses");
    let env = Env::from_spec(spec, &file, &roots_in(dir.path())).expect("builds");
    assert_eq!(env.compiled().obs_dim(), 1);
}

#[test]
fn missing_field_names_key_and_line() {
    let spec = pendulum_spec(0.01, 1, "").replace("horizon = 100000\n", "");
    let msg = load_err(&spec);
    assert!(msg.contains("horizon"), "{msg}");
    assert!(msg.contains("line 4"), "points at the [sim] table: {msg}");
}

#[test]
fn wrong_type_names_key_line_and_column() {
    let spec = pendulum_spec(0.01, 1, "").replace("substeps = 1", "substeps = \"two\"");
    let msg = load_err(&spec);
    assert!(msg.contains("line 6, column 12"), "{msg}");
    assert!(
        msg.contains("integer") || msg.contains("u32"),
        "says what was expected: {msg}"
    );
}

#[test]
fn unknown_key_is_rejected() {
    let spec =
        pendulum_spec(0.01, 1, "").replace("horizon = 100000", "horizon = 100000\nhorizn = 5");
    let msg = load_err(&spec);
    assert!(msg.contains("horizn"), "{msg}");
    assert!(msg.contains("line 8"), "{msg}");
}

#[test]
fn joint_missing_from_urdf_lists_known_joints() {
    let spec = pendulum_spec(0.01, 1, "").replace("joint = \"hinge\"", "joint = \"hnge\"");
    let msg = load_err(&spec);
    assert!(msg.contains("actuators[0].joint"), "{msg}");
    assert!(msg.contains("unknown joint `hnge`"), "{msg}");
    assert!(msg.contains("known: hinge"), "{msg}");
}

#[test]
fn negative_mass_is_rejected() {
    let extra = "\n[[objects]]\nname = \"ball\"\nshape = { kind = \"sphere\", radius = 0.1 }\nmass = -2.0\n";
    let msg = load_err(&pendulum_spec(0.01, 1, extra));
    assert!(msg.contains("objects[0] (ball).mass"), "{msg}");
    assert!(msg.contains("positive mass"), "{msg}");
}

#[test]
fn negative_urdf_mass_is_rejected() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-1.0, -1.0));
    let file = write(dir.path(), "bob.toml", &pendulum_spec(0.01, 1, ""));
    let spec = EnvSpec::from_file(&file).expect("parses");
    let err = Env::from_spec(spec, &file, &roots_in(dir.path())).expect_err("rejected");
    assert!(matches!(err, EnvError::Urdf { .. }), "{err}");
    assert!(err.to_string().contains("link `bob` has mass -1"), "{err}");
}

#[test]
fn non_finite_numbers_are_rejected() {
    let spec = pendulum_spec(0.01, 1, "")
        .replace("base_pos = [0.0, 0.0, 2.0]", "base_pos = [0.0, nan, 2.0]");
    let msg = load_err(&spec);
    assert!(msg.contains("robot.base_pos"), "{msg}");
    assert!(msg.contains("finite"), "{msg}");
    let spec = pendulum_spec(0.01, 1, "").replace("control_dt = 0.01", "control_dt = inf");
    assert!(load_err(&spec).contains("sim.control_dt"));
}

#[test]
fn unknown_body_in_observation_is_named() {
    let extra = "\n[[observations]]\nterm = \"body_pos\"\nbody = \"bobb\"\n";
    let msg = load_err(&pendulum_spec(0.01, 1, extra));
    assert!(msg.contains("observations[1].body"), "{msg}");
    assert!(msg.contains("unknown body `bobb`"), "{msg}");
    assert!(msg.contains("base, bob"), "{msg}");
}

#[test]
fn missing_urdf_names_the_robot_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "bob.toml", &pendulum_spec(0.01, 1, ""));
    let spec = EnvSpec::from_file(&file).expect("parses");
    let err = Env::from_spec(spec, &file, &roots_in(dir.path())).expect_err("rejected");
    assert!(err.to_string().contains("bob.urdf"), "{err}");
}

/// The pendulum spec with an `[actions]` table (its one actuator has ctrl_range [-1, 1]).
fn with_actions(table: &str) -> String {
    pendulum_spec(0.01, 1, &format!("\n[actions]\n{table}\n"))
}

#[test]
fn discrete_actions_load_as_a_discrete_space() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-1.0, 1.0));
    let spec = with_actions("kind = \"discrete\"\nchoices = [[-1.0], [0.0], [0.5]]");
    let file = write(dir.path(), "bob.toml", &spec);
    let env = Env::from_spec(
        EnvSpec::from_file(&file).expect("parses"),
        &file,
        &roots_in(dir.path()),
    )
    .expect("builds");
    assert_eq!(env.compiled().action_space.to_string(), "Discrete(3)");
    assert_eq!(env.compiled().action_space.dim(), 1);
    assert_eq!(env.compiled().control_space.dim(), 1);
}

#[test]
fn discrete_choice_of_the_wrong_length_is_rejected() {
    let msg = load_err(&with_actions(
        "kind = \"discrete\"\nchoices = [[-1.0], [1.0, 0.0]]",
    ));
    assert!(msg.contains("actions.choices[1]"), "{msg}");
    assert!(
        msg.contains("1 control value(s), one per control (got 2)"),
        "{msg}"
    );
}

#[test]
fn discrete_choice_outside_the_control_range_is_rejected() {
    let msg = load_err(&with_actions(
        "kind = \"discrete\"\nchoices = [[-1.0], [1.5]]",
    ));
    assert!(msg.contains("actions.choices[1][0] (hinge)"), "{msg}");
    assert!(msg.contains("ctrl_range [-1, 1] (got 1.5)"), "{msg}");
}

#[test]
fn discrete_space_needs_two_choices() {
    let msg = load_err(&with_actions("kind = \"discrete\"\nchoices = [[1.0]]"));
    assert!(msg.contains("at least two choices"), "{msg}");
    let msg = load_err(&with_actions("kind = \"discrete\""));
    assert!(msg.contains("at least two choices"), "{msg}");
}

#[test]
fn choices_without_a_discrete_kind_are_rejected() {
    let msg = load_err(&with_actions("kind = \"box\"\nchoices = [[1.0], [-1.0]]"));
    assert!(msg.contains("actions.choices"), "{msg}");
    assert!(msg.contains("kind = \"discrete\""), "{msg}");
}

#[test]
fn bad_action_kind_and_unknown_keys_name_line_and_column() {
    // The [actions] table starts on line 31 of the spec.
    let msg = load_err(&with_actions("kind = \"multi\"\nchoices = [[1.0], [-1.0]]"));
    assert!(msg.contains("line 32, column 8"), "{msg}");
    assert!(
        msg.contains("box") && msg.contains("discrete"),
        "lists the kinds: {msg}"
    );
    let msg = load_err(&with_actions(
        "kind = \"discrete\"\nchoice = [[1.0], [-1.0]]",
    ));
    assert!(msg.contains("choice") && msg.contains("line 33"), "{msg}");
}

#[test]
fn position_delta_target_range_is_checked() {
    // Only position_delta actuators keep a target to bound.
    let spec = pendulum_spec(0.01, 1, "").replace(
        "kind = \"torque\"\ngain = 1.0",
        "kind = \"torque\"\ngain = 1.0\ntarget_range = [-1.0, 1.0]",
    );
    let msg = load_err(&spec);
    assert!(msg.contains("actuators[0] (hinge).target_range"), "{msg}");
    assert!(msg.contains("position_delta"), "{msg}");
    // A continuous hinge has no limits, so the range must be given.
    let spec = pendulum_spec(0.01, 1, "").replace(
        "kind = \"torque\"",
        "kind = \"position_delta\"\nctrl_range = [-0.1, 0.1]",
    );
    let msg = load_err(&spec);
    assert!(msg.contains("actuators[0] (hinge).target_range"), "{msg}");
    assert!(msg.contains("no limits"), "{msg}");
    let spec = pendulum_spec(0.01, 1, "").replace(
        "kind = \"torque\"",
        "kind = \"position_delta\"\nctrl_range = [-0.1, 0.1]\ntarget_range = [1.0, -1.0]",
    );
    assert!(load_err(&spec).contains("low ≤ high"));
}

#[test]
fn ee_control_is_checked() {
    let delta = "kind = \"position_delta\"\nctrl_range = [-0.1, 0.1]\ntarget_range = [-3.0, 3.0]";
    let ee = |body: &str, range: &str| {
        format!("\n[ee_control]\nbody = \"{body}\"\njoints = [\"hinge\"]\nctrl_range = {range}\n")
    };
    // The joint must be driven by a position_delta actuator.
    let msg = load_err(&pendulum_spec(0.01, 1, &ee("bob", "[-0.01, 0.01]")));
    assert!(msg.contains("ee_control.joints[0]"), "{msg}");
    assert!(
        msg.contains("position_delta") && msg.contains("has: torque"),
        "{msg}"
    );
    let with_delta = |extra: &str| {
        pendulum_spec(0.01, 1, extra).replace(
            "kind = \"torque\"\ngain = 1.0",
            &format!("{delta}\ngain = 1.0"),
        )
    };
    let msg = load_err(&with_delta(&ee("nosuch", "[-0.01, 0.01]")));
    assert!(
        msg.contains("ee_control.body") && msg.contains("bob"),
        "{msg}"
    );
    // The base does not move with the hinge.
    let msg = load_err(&with_delta(&ee("base", "[-0.01, 0.01]")));
    assert!(msg.contains("does not move it"), "{msg}");
    let msg = load_err(&with_delta(&ee("bob", "[0.01, -0.01]")));
    assert!(msg.contains("ee_control.ctrl_range"), "{msg}");
    let box_ = "[-0.01, 0.01]\nworkspace = [[0.0, 0.0, 1.0], [1.0, 1.0, 0.5]]";
    let msg = load_err(&with_delta(&ee("bob", box_)));
    assert!(
        msg.contains("ee_control.workspace") && msg.contains("low ≤ high"),
        "{msg}"
    );
    // A valid controller replaces the hinge's action component with three.
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-1.0, 1.0));
    let file = write(
        dir.path(),
        "bob.toml",
        &with_delta(&ee("bob", "[-0.01, 0.01]")),
    );
    let spec = EnvSpec::from_file(&file).expect("parses");
    let env = Env::from_spec(spec, &file, &roots_in(dir.path())).expect("builds");
    assert_eq!(env.compiled().layout.actuators, ["bob.x", "bob.y", "bob.z"]);
    assert_eq!(env.compiled().control_space.low, vec![-0.01; 3]);
}

#[test]
fn hold_is_for_position_motors_only() {
    let spec = pendulum_spec(0.01, 1, "").replace(
        "kind = \"torque\"\ngain = 1.0",
        "kind = \"torque\"\ngain = 1.0\nhold = 0.5",
    );
    let msg = load_err(&spec);
    assert!(msg.contains("actuators[0] (hinge).hold"), "{msg}");
    assert!(msg.contains("kind = \"position\" only"), "{msg}");
}

#[test]
fn site_on_an_unknown_body_or_twice_the_same_name_is_named() {
    let site =
        |name: &str, body: &str| format!("\n[[sites]]\nname = \"{name}\"\nbody = \"{body}\"\n");
    let msg = load_err(&pendulum_spec(0.01, 1, &site("tip", "bobb")));
    assert!(msg.contains("sites[0].body"), "{msg}");
    assert!(msg.contains("unknown body `bobb`"), "{msg}");
    let twice = format!("{}{}", site("tip", "bob"), site("tip", "base"));
    let msg = load_err(&pendulum_spec(0.01, 1, &twice));
    assert!(msg.contains("sites[1].name"), "{msg}");
}
