//! `rewardsmith models list|pull|import|check`: known CLIP models, the model cache, and
//! whether a quantized or half-precision image encoder scores like the fp32 one.

use crate::cli::flags::{DeviceFlag, ThreadsFlag};
use anyhow::{Context, Result, bail};
use clap::Subcommand;
use rewardsmith::reward::clip::agreement::{self, MAX_DIFF_OF_SPREAD, MIN_RANK_CORRELATION};
use rewardsmith::reward::clip::registry::{self, Manifest, Pulled};
use rewardsmith::reward::clip::runtime::SessionOptions;
use rewardsmith::reward::clip::{ClipRewardSpec, LoadOptions, Precision, read_frame};
use std::path::{Path, PathBuf};

/// `models` subcommands.
#[derive(Subcommand, Debug)]
pub enum ModelsCommand {
    /// Known models (manifests in assets/models/) and imported ones, with where they are.
    List,
    /// Download a known model (or the model of a manifest file) into the user cache:
    /// resumes partial downloads, verifies sha256.
    Pull {
        /// A known model name, or the path of a manifest `.toml`.
        name: String,
        /// Which image encoder to fetch (with the shared text encoder and configs).
        #[arg(long, value_enum, default_value_t = Precision::Fp32)]
        precision: Precision,
    },
    /// Validate a local Hugging Face ONNX export of CLIP and register it by name.
    Import {
        /// The model directory (onnx/vision_model.onnx, onnx/text_model.onnx, ...).
        dir: PathBuf,
        /// Name to register it under (default: the directory's name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Compare a model's fp16 or int8 image encoder with its fp32 one on your frames:
    /// rank correlation of the scores, largest score difference, and whether the variant
    /// is safe to use (exit status 1 when it is not).
    Check(CheckArgs),
}

/// Arguments of `models check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// Known model name, imported name, or model directory (it must have both encoders).
    name: String,
    /// The variant to compare with fp32.
    #[arg(long, value_enum, default_value_t = Precision::Int8)]
    precision: Precision,
    /// Directory of PNG frames (e.g. `rewardsmith rollout --frames`), at least 3.
    #[arg(long, value_name = "DIR")]
    frames: PathBuf,
    /// Goal sentence the frames are scored against (repeatable); use your reward's.
    #[arg(long, default_value = "a robot")]
    goal: Vec<String>,
    /// Baseline sentence (repeatable).
    #[arg(long)]
    baseline: Vec<String>,
    /// Projection strength α (default: 0.5 with a baseline, 0 without).
    #[arg(long)]
    alpha: Option<f64>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    device: DeviceFlag,
    #[command(flatten)]
    threads: ThreadsFlag,
}

/// Run a `models` subcommand.
pub fn run(cmd: ModelsCommand) -> Result<()> {
    let cache = registry::cache_root();
    let mdir = registry::manifests_dir();
    match cmd {
        ModelsCommand::List => {
            for m in &registry::manifests(&mdir)? {
                let dir = registry::pulled_dir(&cache, &m.name);
                let state: Vec<String> = m
                    .precisions()
                    .into_iter()
                    .map(|p| match registry::first_missing(m, &dir, p) {
                        None => format!("{p}: pulled"),
                        Some(_) => format!("{p}: not pulled"),
                    })
                    .collect();
                println!(
                    "{:<26} {}  [{}] ({})",
                    m.name,
                    m.description,
                    state.join(", "),
                    dir.display()
                );
            }
            for (name, dir) in registry::imported(&cache)? {
                println!("{name:<26} imported  [{}]", dir.display());
            }
            println!("(cache: {})", cache.display());
            Ok(())
        }
        ModelsCommand::Pull { name, precision } => {
            let m = if name.ends_with(".toml") || Path::new(&name).is_file() {
                Manifest::from_file(Path::new(&name))?
            } else {
                let ms = registry::manifests(&mdir)?;
                let known: Vec<String> = ms.iter().map(|m| m.name.clone()).collect();
                ms.into_iter().find(|m| m.name == name).with_context(|| {
                    rewardsmith::reward::unknown_name_message("model", &name, &known)
                })?
            };
            let dir = registry::pulled_dir(&cache, &m.name);
            eprintln!(
                "pulling `{}` ({precision}) from {} into {}",
                m.name,
                m.source,
                dir.display()
            );
            for (file, what) in registry::pull(&m, &dir, precision)? {
                match what {
                    Pulled::UpToDate => println!("{file}: up to date"),
                    Pulled::Downloaded { resumed_from: 0 } => println!("{file}: downloaded"),
                    Pulled::Downloaded { resumed_from } => {
                        println!("{file}: downloaded (resumed after {resumed_from} bytes)")
                    }
                }
            }
            let flag = match precision {
                Precision::Fp32 => String::new(),
                p => format!(" --precision {p}"),
            };
            println!("{} is ready: --model {}{flag}", m.name, m.name);
            Ok(())
        }
        ModelsCommand::Import { dir, name } => {
            let (name, models) = registry::import(&dir, name.as_deref(), &cache)?;
            for (p, model) in &models {
                println!(
                    "imported `{name}` {p} ({}; embedding size {}, input {}×{}): --model {name}{}",
                    model.files().vision.display(),
                    model.dim(),
                    model.preprocess().crop.1,
                    model.preprocess().crop.0,
                    if *p == Precision::Fp32 {
                        String::new()
                    } else {
                        format!(" --precision {p}")
                    }
                );
            }
            Ok(())
        }
        ModelsCommand::Check(args) => check(args, &cache, &mdir),
    }
}

/// The PNG files of `dir`, sorted by name.
fn frame_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("--frames {}: not a readable directory", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")))
        .collect();
    files.sort();
    Ok(files)
}

fn check(args: CheckArgs, cache: &Path, mdir: &Path) -> Result<()> {
    if args.precision == Precision::Fp32 {
        bail!("--precision fp32 is the reference itself; compare fp16 or int8 with it");
    }
    let dir = registry::resolve(&args.name, cache, mdir, Precision::Fp32)?;
    let files = frame_files(&args.frames)?;
    let frames = files
        .iter()
        .map(|p| read_frame(p))
        .collect::<Result<Vec<_>, _>>()?;
    let alpha = args
        .alpha
        .unwrap_or(if args.baseline.is_empty() { 0.0 } else { 0.5 });
    let spec = ClipRewardSpec {
        goal: args.goal,
        baseline: args.baseline,
        alpha,
    };
    let opts = LoadOptions {
        session: SessionOptions {
            device: args.device.device,
            threads: args.threads.get(),
        },
        ..LoadOptions::default()
    };
    let a = agreement::check(&dir, args.precision, opts, &spec, &frames, Some(cache))
        .with_context(|| format!("models check {}", args.name))?;
    if args.json {
        println!("{}", serde_json::to_string(&a)?);
    } else {
        println!(
            "{} {} against fp32 on {} frames of {}:",
            args.name,
            args.precision,
            a.frames,
            args.frames.display()
        );
        println!(
            "  rank correlation (Spearman) {:.4}  (safe: ≥ {MIN_RANK_CORRELATION})",
            a.rank_correlation
        );
        println!(
            "  max score difference {:.5}  (safe: ≤ {MAX_DIFF_OF_SPREAD} × the fp32 spread {:.5} = {:.5})",
            a.max_score_diff,
            a.fp32_spread,
            MAX_DIFF_OF_SPREAD * a.fp32_spread
        );
        println!("  min embedding cosine {:.5}", a.min_cosine);
    }
    if !a.safe {
        bail!(
            "{} is not safe to use for `{}` on these frames: keep the default fp32",
            args.precision,
            args.name
        );
    }
    if !args.json {
        println!(
            "{} is safe to use on these frames: --clip-precision {} (train, view) or --precision {} (reward clip)",
            args.precision, args.precision, args.precision
        );
    }
    Ok(())
}
