//! Spec variants (`base = "..."`): the variant replaces whole top-level keys of its
//! base, errors name the file, cycles are refused, and `envs export` writes the base.

mod common;

use common::{repo_roots, write};
use rewardsmith::env::{Env, EnvSpec};

#[test]
fn humanoid_poses_is_the_humanoid_without_its_termination() {
    let roots = repo_roots();
    let base = EnvSpec::from_file(&roots.envs.join("humanoid.toml")).expect("humanoid");
    let poses = EnvSpec::from_file(&roots.envs.join("humanoid-poses.toml")).expect("poses");
    assert_eq!(poses.name, "humanoid-poses");
    assert!(!base.termination.is_empty() && poses.termination.is_empty());
    assert_eq!(poses.rewards.reward, "humanoid-kneel");
    // Everything it does not write is the base's.
    assert_eq!(poses.sim.substeps, base.sim.substeps);
    assert_eq!(poses.actuators.len(), base.actuators.len());
    assert_eq!(poses.observations.len(), base.observations.len());

    // A torso dropped to 0.5 m ends a humanoid episode but not a humanoid-poses one.
    for (name, ends) in [("humanoid", true), ("humanoid-poses", false)] {
        let mut env = Env::load(name, &roots).expect("load");
        env.reset(Some(0)).expect("reset");
        env.set_body_pose("torso", [0.0, 0.0, 0.5], [1.0, 0.0, 0.0, 0.0])
            .expect("pose");
        let zero = vec![0.0; env.compiled().action_space.dim()];
        let (_, flags) = env.step(&zero).expect("step");
        assert_eq!(flags.terminated, ends, "{name}");
    }
}

#[test]
fn a_variant_key_the_schema_lacks_names_the_variant_and_its_base() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = std::fs::read_to_string(repo_roots().envs.join("cartpole.toml")).expect("read");
    write(dir.path(), "cartpole.toml", &base);
    let file = write(
        dir.path(),
        "fast.toml",
        "base = \"cartpole.toml\"\nname = \"fast\"\nspeed = 2\n",
    );
    let err = EnvSpec::from_file(&file)
        .expect_err("unknown key")
        .to_string();
    assert!(
        err.contains("fast.toml") && err.contains("speed") && err.contains("cartpole.toml"),
        "{err}"
    );

    // A sound variant of the same base loads, with its own name.
    let ok = write(
        dir.path(),
        "renamed.toml",
        "base = \"cartpole.toml\"\nname = \"renamed\"\n",
    );
    assert_eq!(EnvSpec::from_file(&ok).expect("variant").name, "renamed");
}

#[test]
fn base_cycles_and_missing_bases_are_one_error_each() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.toml", "base = \"b.toml\"\nname = \"a\"\n");
    let b = write(dir.path(), "b.toml", "base = \"a.toml\"\nname = \"b\"\n");
    let err = EnvSpec::from_file(&b).expect_err("cycle").to_string();
    assert!(err.contains("cycle"), "{err}");

    let lost = write(
        dir.path(),
        "lost.toml",
        "base = \"nowhere-env\"\nname = \"x\"\n",
    );
    let err = EnvSpec::from_file(&lost)
        .expect_err("missing base")
        .to_string();
    assert!(
        err.contains("lost.toml") && err.contains("nowhere-env"),
        "{err}"
    );

    let typed = write(dir.path(), "typed.toml", "base = 3\nname = \"x\"\n");
    let err = EnvSpec::from_file(&typed)
        .expect_err("base not a string")
        .to_string();
    assert!(err.contains("must be a string"), "{err}");
}

#[test]
fn exporting_a_variant_writes_its_base_beside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let written = repo_roots()
        .export("humanoid-poses", dir.path())
        .expect("export");
    for rel in [
        "envs/humanoid-poses.toml",
        "envs/humanoid.toml",
        "rewards/humanoid-kneel.luau",
        "assets/robots/humanoid.urdf",
    ] {
        assert!(dir.path().join(rel).is_file(), "{rel} in {written:?}");
    }
    let exported = rewardsmith::env::AssetRoots::under(dir.path());
    let spec = EnvSpec::from_file(&exported.envs.join("humanoid-poses.toml")).expect("loads");
    assert!(spec.termination.is_empty());
}
