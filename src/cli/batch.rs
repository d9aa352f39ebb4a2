//! `rewardsmith batch`: run a list or grid of training runs in a pool of worker
//! processes (one `rewardsmith train` each), skip finished runs, resume killed ones,
//! and write `results.csv` / `results.md`.

use anyhow::{Context, Result, bail};
use clap::Args;
use rewardsmith::run::batch::{self, Plan, RunSpec};
use rewardsmith::run::{latest_checkpoint, write_atomic};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Arguments of `batch`.
#[derive(Args, Debug)]
pub struct BatchArgs {
    /// Batch file (TOML: a grid of envs × rewards × algos × seeds and/or [[run]] tables).
    file: PathBuf,
    /// Runs at a time.
    #[arg(long, default_value_t = 1)]
    jobs: usize,
}

/// What to do for one run.
enum Action {
    Skip,
    Start(Command),
}

fn action(exe: &Path, plan: &Plan, r: &RunSpec) -> Result<Action> {
    let dir = plan.out.join(r.dir_name());
    if dir.join("summary.json").exists() {
        return Ok(Action::Skip);
    }
    let mut c = Command::new(exe);
    if dir.join("config.toml").exists() && latest_checkpoint(&dir).is_some() {
        c.arg("train").arg("--resume").arg(&dir);
        return Ok(Action::Start(c));
    }
    if dir.exists() {
        // Started but killed before its first checkpoint: nothing to keep.
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    c.args(["train", "--env", &r.env, "--algo", &r.algo, "--seed"])
        .arg(r.seed.to_string())
        .arg("--out")
        .arg(&dir);
    if r.reward != "default" {
        c.arg("--reward").arg(&r.reward);
    }
    if let Some(s) = r.steps {
        c.arg("--steps").arg(s.to_string());
    }
    Ok(Action::Start(c))
}

/// Run `batch`.
pub fn run(args: BatchArgs) -> Result<()> {
    let plan = Plan::load(&args.file)?;
    let jobs = args.jobs.max(1);
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("creating {}", plan.out.display()))?;
    let exe = std::env::current_exe().context("locating the rewardsmith binary")?;
    // Share the cores between the workers unless the user chose.
    let threads = std::env::var_os("RAYON_NUM_THREADS").is_none().then(|| {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        (cores / jobs).max(1)
    });
    let total = plan.runs.len();
    let mut queue: std::collections::VecDeque<(usize, &RunSpec)> =
        plan.runs.iter().enumerate().collect();
    let mut running: Vec<(usize, &RunSpec, Child)> = Vec::new();
    let mut failed = Vec::new();
    let (mut skipped, mut done) = (0, 0);
    while !queue.is_empty() || !running.is_empty() {
        while running.len() < jobs {
            let Some((i, r)) = queue.pop_front() else {
                break;
            };
            match action(&exe, &plan, r)? {
                Action::Skip => {
                    skipped += 1;
                    eprintln!(
                        "[{}/{total}] {}: already finished, skipped",
                        i + 1,
                        r.dir_name()
                    );
                }
                Action::Start(mut c) => {
                    let log = plan.out.join(format!("{}.log", r.dir_name()));
                    let f = std::fs::File::create(&log)
                        .with_context(|| format!("creating {}", log.display()))?;
                    c.stdout(Stdio::from(f.try_clone()?)).stderr(Stdio::from(f));
                    if let Some(t) = threads {
                        c.env("RAYON_NUM_THREADS", t.to_string());
                    }
                    eprintln!("[{}/{total}] {}: started", i + 1, r.dir_name());
                    running.push((i, r, c.spawn().context("starting a worker")?));
                }
            }
        }
        let mut k = 0;
        while k < running.len() {
            if let Some(status) = running[k].2.try_wait()? {
                let (i, r, _) = running.swap_remove(k);
                if status.success() {
                    done += 1;
                    eprintln!("[{}/{total}] {}: finished", i + 1, r.dir_name());
                } else {
                    eprintln!(
                        "[{}/{total}] {}: failed ({status}); see {}",
                        i + 1,
                        r.dir_name(),
                        plan.out.join(format!("{}.log", r.dir_name())).display()
                    );
                    failed.push(r.dir_name());
                }
            } else {
                k += 1;
            }
        }
        if !running.is_empty() {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let rows = batch::results(&plan);
    write_atomic(&plan.out.join("results.csv"), batch::csv(&rows).as_bytes())?;
    let md = batch::markdown(&rows);
    write_atomic(&plan.out.join("results.md"), md.as_bytes())?;
    print!("{md}");
    eprintln!(
        "{done} runs trained, {skipped} skipped, {} failed; tables in {}",
        failed.len(),
        plan.out.display()
    );
    if !failed.is_empty() {
        bail!("{} runs failed: {}", failed.len(), failed.join(", "));
    }
    Ok(())
}
