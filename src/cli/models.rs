//! `rewardsmith models list|pull|import`: known CLIP models and the model cache.

use anyhow::{Context, Result};
use clap::Subcommand;
use rewardsmith::reward::clip::registry::{self, Manifest, Pulled};
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
    },
    /// Validate a local Hugging Face ONNX export of CLIP and register it by name.
    Import {
        /// The model directory (onnx/vision_model.onnx, onnx/text_model.onnx, ...).
        dir: PathBuf,
        /// Name to register it under (default: the directory's name).
        #[arg(long)]
        name: Option<String>,
    },
}

/// Run a `models` subcommand.
pub fn run(cmd: ModelsCommand) -> Result<()> {
    let cache = registry::cache_root();
    let mdir = registry::manifests_dir();
    match cmd {
        ModelsCommand::List => {
            for m in &registry::manifests(&mdir)? {
                let dir = registry::pulled_dir(&cache, &m.name);
                let state = match registry::first_missing(m, &dir) {
                    None => format!("pulled ({})", dir.display()),
                    Some(_) => "not pulled".to_string(),
                };
                println!("{:<26} {}  [{state}]", m.name, m.description);
            }
            for (name, dir) in registry::imported(&cache)? {
                println!("{name:<26} imported  [{}]", dir.display());
            }
            println!("(cache: {})", cache.display());
            Ok(())
        }
        ModelsCommand::Pull { name } => {
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
                "pulling `{}` from {} into {}",
                m.name,
                m.source,
                dir.display()
            );
            for (file, what) in registry::pull(&m, &dir)? {
                match what {
                    Pulled::UpToDate => println!("{file}: up to date"),
                    Pulled::Downloaded { resumed_from: 0 } => println!("{file}: downloaded"),
                    Pulled::Downloaded { resumed_from } => {
                        println!("{file}: downloaded (resumed after {resumed_from} bytes)")
                    }
                }
            }
            println!("{} is ready: --model {}", m.name, m.name);
            Ok(())
        }
        ModelsCommand::Import { dir, name } => {
            let (name, model) = registry::import(&dir, name.as_deref(), &cache)?;
            println!(
                "imported `{name}` ({}; embedding size {}, input {}×{}): --model {name}",
                model.files().dir.display(),
                model.dim(),
                model.preprocess().crop.1,
                model.preprocess().crop.0
            );
            Ok(())
        }
    }
}
