//! `rewardsmith batch`: run a list or grid of training runs (one `rewardsmith train`
//! each) through the local process pool or as a Slurm job array (see
//! `rewardsmith::exec`), which skip finished runs and resume killed ones, then write
//! `results.csv` / `results.md`.

use crate::cli::flags::{ExecutorFlags, confirm_cancel};
use anyhow::{Context, Result, bail};
use clap::Args;
use rewardsmith::error::Chain;
use rewardsmith::exec::{ExecutorSettings, JobEvent, JobOutcome, LocalPool, TrainJob};
use rewardsmith::fs::write_atomic;
use rewardsmith::run::batch::{self, Plan, RunSpec};
use std::ffi::OsString;
use std::path::PathBuf;

/// Arguments of `batch`.
#[derive(Args, Debug)]
pub struct BatchArgs {
    /// Batch file (TOML: a grid of envs × rewards × algos × seeds and/or [[run]] tables).
    file: PathBuf,
    /// Runs at a time (with the local executor).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    #[command(flatten)]
    executor: ExecutorFlags,
}

/// The `rewardsmith train` job of one run of the plan.
fn train_job(plan: &Plan, r: &RunSpec) -> TrainJob {
    let mut args: Vec<OsString> = vec!["--env".into(), r.env.clone().into()];
    args.extend(["--algo".into(), r.algo.name().into()]);
    args.extend(["--seed".into(), r.seed.to_string().into()]);
    if r.reward != "default" {
        args.extend(["--reward".into(), r.reward.clone().into()]);
    }
    if let Some(s) = r.steps {
        args.extend(["--steps".into(), s.to_string().into()]);
    }
    TrainJob {
        run_dir: plan.out.join(r.dir_name()),
        train_args: args,
        log: plan.out.join(format!("{}.log", r.dir_name())),
    }
}

/// Run `batch`.
pub fn run(args: BatchArgs) -> Result<()> {
    let plan = Plan::load(&args.file)?;
    let workers = args.jobs.max(1);
    let mut settings = ExecutorSettings::default();
    args.executor.apply(&mut settings);
    settings.check()?;
    std::fs::create_dir_all(&plan.out)
        .with_context(|| format!("creating {}", plan.out.display()))?;
    // Share the cores between the workers unless the user chose.
    let pool = LocalPool::of_this_exe(workers, LocalPool::share_cores(workers))?;
    let hint = format!(
        "`rewardsmith batch {} --executor slurm`",
        args.file.display()
    );
    let executor = settings.executor(pool, plan.out.join("slurm"), hint, Some(confirm_cancel));
    let jobs: Vec<TrainJob> = plan.runs.iter().map(|r| train_job(&plan, r)).collect();
    let total = jobs.len();
    let bar = crate::cli::progress_bar(total as u64, "runs");
    let outcomes = executor.run(&jobs, &mut |i, event| {
        let name = plan.runs[i].dir_name();
        let what = match event {
            JobEvent::Started => "started".to_string(),
            JobEvent::Retrying { status, attempt } => {
                format!("failed ({status}); submitted again (retry {attempt})")
            }
            JobEvent::Ended(JobOutcome::AlreadyFinished) => "already finished, skipped".into(),
            JobEvent::Ended(JobOutcome::Finished) => "finished".into(),
            JobEvent::Ended(JobOutcome::Failed { status, .. }) => {
                format!("failed ({status}); see {}", jobs[i].log.display())
            }
            JobEvent::Ended(JobOutcome::Error(e)) => format!("not run: {}", Chain(e)),
        };
        if let JobEvent::Ended(_) = event {
            bar.inc(1);
        }
        // suspend, not println: println prints nothing where the bar is hidden (no tty).
        bar.suspend(|| eprintln!("[{}/{total}] {name}: {what}", i + 1));
    });
    bar.finish_and_clear();
    let outcomes = outcomes?;
    let skipped = outcomes
        .iter()
        .filter(|o| matches!(o, JobOutcome::AlreadyFinished))
        .count();
    let done = outcomes
        .iter()
        .filter(|o| matches!(o, JobOutcome::Finished))
        .count();
    let failed: Vec<String> = plan
        .runs
        .iter()
        .zip(&outcomes)
        .filter(|(_, o)| !o.is_success())
        .map(|(r, _)| r.dir_name())
        .collect();
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
