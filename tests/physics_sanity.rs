//! Physics sanity: rapier through our spec pipeline reproduces textbook motion.

mod common;

use common::{pendulum_spec, pendulum_urdf, roots_in, write};
use rewardsmith::env::{Env, EnvSpec};

/// A small-angle pendulum swings with period 2π√(L/g) (within 2%).
#[test]
fn small_angle_pendulum_period() {
    let (length, g) = (1.0, 9.81);
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-length, 1.0));
    let extra = "\n[[reset.joints]]\njoint = \"hinge\"\nq = [0.05, 0.0500001]\n";
    let file = write(dir.path(), "bob.toml", &pendulum_spec(0.005, 4, extra));
    let spec = EnvSpec::from_file(&file).expect("parses");
    let mut env = Env::from_spec(spec, &file, &roots_in(dir.path())).expect("builds");
    env.reset(Some(0)).expect("reset");
    let q0 = env.state().joint("hinge").expect("hinge").q;
    assert!(
        (q0 - 0.05).abs() < 1e-4,
        "reset noise sets the start angle: {q0}"
    );
    // Time the downward zero crossings of q over several periods.
    let mut crossings = Vec::new();
    let mut prev = q0;
    for _ in 0..2400 {
        env.step(&[0.0]).expect("step");
        let s = env.state();
        let q = s.joint("hinge").expect("hinge").q;
        if prev > 0.0 && q <= 0.0 {
            // Linear interpolation inside the step.
            let frac = prev / (prev - q);
            crossings.push(s.t - s.layout.dt * (1.0 - frac));
        }
        prev = q;
    }
    assert!(crossings.len() >= 4, "swings: {crossings:?}");
    let periods: Vec<f64> = crossings.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = periods.iter().sum::<f64>() / periods.len() as f64;
    let expected = 2.0 * std::f64::consts::PI * (length / g).sqrt();
    let err = (mean - expected).abs() / expected;
    assert!(
        err < 0.02,
        "period {mean:.4} s vs {expected:.4} s ({:.2}% off)",
        err * 100.0
    );
}

/// A dropped ball follows z0 − ½gt² (within 1% of the distance fallen).
#[test]
fn free_fall() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-1.0, 1.0));
    let extra = "\n[[objects]]\nname = \"ball\"\nshape = { kind = \"sphere\", radius = 0.1 }\nmass = 1.0\npos = [5.0, 0.0, 10.0]\n";
    let file = write(dir.path(), "bob.toml", &pendulum_spec(0.01, 4, extra));
    let spec = EnvSpec::from_file(&file).expect("parses");
    let mut env = Env::from_spec(spec, &file, &roots_in(dir.path())).expect("builds");
    env.reset(Some(0)).expect("reset");
    for _ in 0..100 {
        env.step(&[0.0]).expect("step");
    }
    let s = env.state();
    let z = s.body("ball").expect("ball").pos[2];
    let t = s.t;
    let expected = 10.0 - 0.5 * 9.81 * t * t;
    let fallen = 10.0 - expected;
    assert!((t - 1.0).abs() < 1e-9);
    assert!(
        ((10.0 - z) - fallen).abs() < 0.01 * fallen,
        "z {z:.4} vs {expected:.4}"
    );
    let vz = s.body("ball").expect("ball").linvel[2];
    assert!((vz + 9.81 * t).abs() < 0.01 * 9.81, "vz {vz}");
}

/// A box dropped onto the ground is reported in contact with the ground (by name) only
/// once it lands, never with the pendulum it falls beside, and comes to rest on it.
#[test]
fn a_falling_box_reports_its_ground_contact_by_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "bob.urdf", &pendulum_urdf(-1.0, 1.0));
    let extra = "\n[[objects]]\nname = \"ground\"\nshape = { kind = \"plane\" }\n\
                 \n[[objects]]\nname = \"crate\"\nshape = { kind = \"box\", half_extents = [0.1, 0.1, 0.1] }\n\
                 mass = 1.0\npos = [3.0, 0.0, 0.6]\n";
    let file = write(dir.path(), "bob.toml", &pendulum_spec(0.01, 4, extra));
    let spec = EnvSpec::from_file(&file).expect("parses");
    let mut env = Env::from_spec(spec, &file, &roots_in(dir.path())).expect("builds");
    env.reset(Some(0)).expect("reset");
    let s = env.state();
    let (crate_, ground) = (
        s.layout.body_index("crate").expect("crate"),
        s.layout.body_index("ground").expect("ground"),
    );
    let bob = s.layout.body_index("bob").expect("bob");
    // Free fall from 0.5 m (bottom face) takes ~0.32 s: no contact before 0.25 s.
    let mut landed_at = None;
    for k in 1..=100 {
        env.step(&[0.0]).expect("step");
        let s = env.state();
        assert!(
            !s.in_contact(crate_, bob),
            "the crate never touches the pendulum"
        );
        if s.in_contact(crate_, ground) && landed_at.is_none() {
            landed_at = Some(k as f64 * 0.01);
        }
    }
    let t = landed_at.expect("the crate lands within 1 s");
    let expected = (2.0 * 0.5 / 9.81_f64).sqrt();
    assert!(
        (t - expected).abs() < 0.05,
        "landed at {t:.2} s, free fall says {expected:.2} s"
    );
    let s = env.state();
    assert!(s.in_contact(ground, crate_), "still resting on the ground");
    let c = s.body("crate").expect("crate");
    assert!(
        (c.pos[2] - 0.1).abs() < 5e-3,
        "rests on its face: z {}",
        c.pos[2]
    );
    assert!(
        c.linvel.iter().all(|v| v.abs() < 0.05),
        "at rest: {:?}",
        c.linvel
    );
}
