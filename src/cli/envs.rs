//! `rewardsmith envs list|show|export|check`.

use anyhow::{Result, bail};
use clap::Subcommand;
use rewardsmith::env::{ActionSpace, AssetRoots, Env, EnvSpec, JointKind, check_env};
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
    /// Check an env's physics under random actions: worst joint separation, joint-limit
    /// overshoot, contact penetration, energy the passive robot gains, NaNs, and speed.
    /// Exits non-zero when a value is not finite.
    Check {
        /// Built-in env name or path to a spec file.
        env: String,
        /// Steps of random actions (and of the passive run, up to one episode).
        #[arg(long, default_value_t = 1000)]
        steps: usize,
        /// Seed of the env's RNG stream.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
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
        EnvsCommand::Check {
            env,
            steps,
            seed,
            json,
        } => check(&env, steps, seed, json, &roots),
    }
}

fn check(env: &str, steps: usize, seed: u64, json: bool, roots: &AssetRoots) -> Result<()> {
    if steps == 0 {
        bail!("--steps must be at least 1");
    }
    let mut env = Env::load(env, roots)?;
    let r = check_env(&mut env, steps, seed)?;
    if json {
        println!("{}", serde_json::to_string(&r)?);
    } else {
        println!("{}: {} random steps from seed {}", r.env, r.steps, r.seed);
        println!("  joint_gap_max        {:.3e} m", r.joint_gap_max);
        println!(
            "  limit_overshoot_max  {:.4} rad (or m)",
            r.limit_overshoot_max
        );
        println!(
            "  penetration_max      {:.4} m {}",
            r.penetration_max, r.penetration_bodies
        );
        println!(
            "  energy_added         {:.4} J (passive, zero action; start {:.3} J)",
            r.energy_added, r.energy_start
        );
        println!("  nan                  {}", r.nan);
        println!("  steps_per_s          {:.0} (one thread)", r.steps_per_s);
    }
    if !r.is_finite() {
        bail!("{}: non-finite physics (see the values above)", r.env);
    }
    Ok(())
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
