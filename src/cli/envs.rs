//! `rewardsmith envs list|show|export`.

use anyhow::Result;
use clap::Subcommand;
use rewardsmith::env::{ActionSpace, AssetRoots, Env, EnvSpec, JointKind};
use std::path::PathBuf;

/// `envs` subcommands.
#[derive(Subcommand, Debug)]
pub enum EnvsCommand {
    /// List the built-in environments.
    List,
    /// Show an env's spaces, State fields, task parameters and camera.
    Show {
        /// Built-in env name or path to a spec file.
        env: String,
    },
    /// Write a built-in env and its files (spec, reward programs, robot, and the prompt
    /// templates and model manifests) into DIR, laid out like the repository, for
    /// editing; run with `REWARDSMITH_HOME=DIR` to use them instead of the built-in ones.
    Export {
        /// The built-in env (`rewardsmith envs list`).
        name: String,
        /// Directory to write into (created if missing; existing files are kept).
        dir: PathBuf,
    },
}

/// Run an `envs` subcommand.
pub fn run(cmd: EnvsCommand) -> Result<()> {
    let roots = AssetRoots::discover();
    match cmd {
        EnvsCommand::List => {
            for name in roots.builtin_names() {
                let file = roots.envs.join(format!("{name}.toml"));
                match EnvSpec::from_file(&file) {
                    Ok(spec) => println!("{name:<18} {}", spec.description),
                    Err(e) => println!("{name:<18} (invalid spec: {e})"),
                }
            }
            Ok(())
        }
        EnvsCommand::Show { env } => show(&env, &roots),
        EnvsCommand::Export { name, dir } => {
            let written = roots.export(&name, &dir)?;
            for f in &written {
                println!("{}", f.display());
            }
            eprintln!(
                "wrote {} files to {}; edit them, then run with REWARDSMITH_HOME={} \
                 (e.g. `REWARDSMITH_HOME={} rewardsmith train --env {name}`)",
                written.len(),
                dir.display(),
                dir.display(),
                dir.display()
            );
            Ok(())
        }
    }
}

fn show(env: &str, roots: &AssetRoots) -> Result<()> {
    let env = Env::load(env, roots)?;
    let c = env.compiled();
    let spec = &c.spec;
    let l = &c.layout;
    println!("{} — {}", spec.name, spec.description);
    println!(
        "\ntiming: control_dt {} s ({} physics substeps), horizon {} steps ({:.1} s)",
        spec.sim.control_dt,
        spec.sim.substeps,
        spec.sim.horizon,
        spec.sim.horizon as f64 * spec.sim.control_dt
    );
    println!("\naction space: {}", c.action_space);
    if let ActionSpace::Discrete(d) = &c.action_space {
        for (i, choice) in d.choices.iter().enumerate() {
            println!("  {i} → controls {choice:?}");
        }
        println!("controls:");
    }
    for (i, c) in spec.controls().iter().enumerate() {
        println!(
            "  [{i}] {:<16} range [{}, {}]: {}",
            c.name, c.range[0], c.range[1], c.meaning
        );
    }
    println!("\nobservation space: Box({}), unbounded", c.obs_dim());
    for b in &c.obs_blocks {
        println!("  [{:>3}..{:<3}] {}", b.offset, b.offset + b.size, b.name);
    }
    println!("\nState fields (what reward programs read):");
    println!("  s.t, s.step, s.dt = {}", l.dt);
    for b in &l.bodies {
        println!("  s.body(\"{b}\"): pos, quat, linvel, angvel");
    }
    for j in &l.joints {
        let unit = match j.kind {
            JointKind::Revolute => "rad",
            JointKind::Prismatic => "m",
        };
        let lim = j
            .limits
            .map_or(String::new(), |[lo, hi]| format!(", limits [{lo}, {hi}]"));
        println!("  s.joint(\"{}\"): q ({unit}), qd ({unit}/s){lim}", j.name);
    }
    println!("  s.action[1..{}]", l.actuators.len());
    println!("  s.contact(a, b) for any two bodies above");
    if l.task.is_empty() {
        println!("\ntask parameters: none");
    } else {
        println!("\ntask parameters (sampled per episode):");
        for p in &l.task {
            println!(
                "  s.task.{:<10} {:?} .. {:?}  {}",
                p.name, p.low, p.high, p.doc
            );
        }
    }
    let cam = &spec.camera;
    println!(
        "\ncamera: at {:?} looking at {:?}, fov {}°, {}×{}{}",
        cam.pos,
        cam.look_at,
        cam.fov_deg,
        cam.width,
        cam.height,
        cam.track
            .as_ref()
            .map_or(String::new(), |b| format!(", tracking {b}"))
    );
    println!(
        "\nrewards: reward `{}`, success `{}` ({:?})",
        spec.rewards.reward, spec.rewards.success, spec.rewards.success_when
    );
    Ok(())
}
