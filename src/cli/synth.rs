//! `rewardsmith synth`: the reward-synthesis loop.

use crate::cli::flags::{ENV_HELP, ExecutorFlags, LlmFlags, confirm_cancel};
use anyhow::{Result, bail};
use clap::Args;
use rewardsmith::env::AssetRoots;
use rewardsmith::mpc::PlannerTrainer;
use rewardsmith::synth::config::{Feedback, SynthConfig, TrainerKind};
use rewardsmith::synth::prompts::Prompts;
use rewardsmith::synth::ranking::{self, RankRequest};
use rewardsmith::synth::round::{Outcome, Synth};
use rewardsmith::synth::train_trainer::TrainTrainer;
use rewardsmith::synth::trainer::Trainer;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `synth`. Flags override the config file; the config file overrides the
/// defaults. With `--resume DIR` the settings come from `DIR/synth.toml`.
#[derive(Args, Debug)]
pub struct SynthArgs {
    #[arg(long, value_name = "ENV", help = ENV_HELP)]
    env: Option<String>,
    /// The task in words.
    #[arg(long)]
    task: Option<String>,
    /// Samples (reward programs) per round.
    #[arg(long)]
    samples: Option<usize>,
    /// Rounds.
    #[arg(long)]
    rounds: Option<usize>,
    /// Env-step budget per candidate (default: the env's `[train] total_steps` with
    /// `--trainer train`, 2,000 with the planner).
    #[arg(long)]
    steps_per_sample: Option<u64>,
    /// What evaluates the candidates (default `train`).
    #[arg(long, value_enum)]
    trainer: Option<TrainerKind>,
    /// Stop once the best success rate reaches this.
    #[arg(long)]
    target_success: Option<f64>,
    /// How the next round's prompt is made.
    #[arg(long, value_enum)]
    feedback: Option<Feedback>,
    #[command(flatten)]
    llm: LlmFlags,
    #[command(flatten)]
    executor: ExecutorFlags,
    /// Config file with `[llm]`, `[synth]` and `[executor]` tables.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output directory.
    #[arg(long, default_value = "runs/synth")]
    out: PathBuf,
    /// Resume the run in DIR (reuses its replies and results; asks only for the rest;
    /// its env, task and samples come from DIR/synth.toml).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["env", "task", "samples", "config", "out"])]
    resume: Option<PathBuf>,
    /// Directory of prompt templates.
    #[arg(long)]
    prompts: Option<PathBuf>,
}

/// Exit status of a run that waits for files a person writes: not an error, so that
/// scripts can tell it from one.
pub const WAITING: u8 = 2;

/// Run `synth`: success, or [`WAITING`] when the run paused for a person's files.
pub fn run(a: SynthArgs) -> Result<ExitCode> {
    let roots = AssetRoots::discover();
    let (mut cfg, out) = match &a.resume {
        Some(dir) => {
            let file = dir.join("synth.toml");
            if !file.is_file() {
                bail!(
                    "{} holds no synth run (no synth.toml: it was stopped before it began); \
                     start it again without --resume",
                    dir.display()
                );
            }
            (SynthConfig::load(&file)?, dir.clone())
        }
        None => match &a.config {
            Some(p) => (SynthConfig::load(p)?, a.out.clone()),
            None => (SynthConfig::default(), a.out.clone()),
        },
    };
    // A run killed before its first file was in place leaves at most temporaries: that
    // directory starts afresh.
    let holds_files = |d: std::fs::ReadDir| {
        d.flatten()
            .any(|e| !rewardsmith::fs::is_leftover_temporary(&e.file_name()))
    };
    if a.resume.is_none() && std::fs::read_dir(&out).is_ok_and(holds_files) {
        bail!(
            "{} is not empty: continue that run with --resume {}, or pick another --out",
            out.display(),
            out.display()
        );
    }
    let s = &mut cfg.synth;
    if let Some(v) = a.env {
        s.env = v;
    }
    if let Some(v) = a.task {
        s.task = v;
    }
    if let Some(v) = a.samples {
        s.samples = v;
    }
    if let Some(v) = a.rounds {
        s.rounds = v;
    }
    if let Some(v) = a.steps_per_sample {
        s.steps_per_sample = Some(v);
    }
    if let Some(v) = a.trainer {
        s.trainer = v;
    }
    if let Some(v) = a.target_success {
        s.target_success = v;
    }
    if let Some(v) = a.feedback {
        s.feedback = v;
    }
    a.llm.apply(&mut cfg.llm);
    a.executor.apply(&mut cfg.executor);
    cfg.validate()?;
    cfg.executor.check()?;
    let prompts = Prompts::new(&a.prompts.unwrap_or_else(|| roots.prompts_dir()));
    let trainer: Box<dyn Trainer> = match cfg.synth.trainer {
        TrainerKind::Train => {
            let mut t = TrainTrainer::new(roots.clone())?;
            t.executor = cfg.executor.clone();
            t.resume_hint = format!("`rewardsmith synth --resume {}`", out.display());
            t.confirm_cancel = Some(confirm_cancel);
            Box::new(t)
        }
        TrainerKind::Planner => Box::new(PlannerTrainer::new(roots.clone())),
    };
    let synth = Synth {
        config: cfg,
        out: out.clone(),
        roots,
        prompts,
        trainer: trainer.as_ref(),
        ranker: std::io::stdin().is_terminal().then_some(
            &ask_ranking as &(dyn Fn(&RankRequest) -> std::io::Result<Option<Vec<usize>>> + Sync),
        ),
    };
    match synth.run()? {
        Outcome::Finished(report) => {
            println!("wrote {}", out.join("summary.md").display());
            match &report.best {
                Some(b) => println!(
                    "best: round {} sample {}: success rate {:.3}, task score {:.2}{}",
                    b.round,
                    b.sample,
                    b.success_rate,
                    b.task_return,
                    if report.stopped_early {
                        " (target reached)"
                    } else {
                        ""
                    }
                ),
                None => println!("no sample could be evaluated; see summary.md"),
            }
            println!(
                "tokens: {} prompt, {} completion",
                report.usage.prompt_tokens, report.usage.completion_tokens
            );
            Ok(ExitCode::SUCCESS)
        }
        Outcome::Waiting { files, what } => {
            let mut msg = format!("waiting for {what}. Write:\n");
            for f in &files {
                msg.push_str(&format!("  {}\n", f.display()));
            }
            msg.push_str(&format!(
                "then resume with: rewardsmith synth --resume {}",
                out.display()
            ));
            eprintln!("{msg}");
            Ok(ExitCode::from(WAITING))
        }
    }
}

/// Ask for a ranking at the terminal after opening the page in a browser; an empty line
/// (or end of input) defers it to `ranking.json`.
fn ask_ranking(req: &RankRequest) -> std::io::Result<Option<Vec<usize>>> {
    let ids: Vec<usize> = req.samples.iter().map(|(k, _)| *k).collect();
    eprintln!(
        "\nround {}: watch the candidates in {}",
        req.round,
        req.page.display()
    );
    if let Err(e) = open::that_detached(&req.page) {
        eprintln!("(could not open a browser: {e}; open the page yourself)");
    }
    for (_, line) in &req.samples {
        eprintln!("  {line}");
    }
    let stdin = std::io::stdin();
    loop {
        eprint!(
            "rank them best first (e.g. `{}`), or press Enter to rank later: ",
            {
                let mut e = ids.clone();
                e.reverse();
                e.iter()
                    .map(|k| k.to_string())
                    .collect::<Vec<_>>()
                    .join(" ")
            }
        );
        std::io::stderr().flush()?;
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 || line.trim().is_empty() {
            return Ok(None);
        }
        match ranking::parse(&line, &ids) {
            Ok(v) => return Ok(Some(v)),
            Err(e) => eprintln!("{e}"),
        }
    }
}
