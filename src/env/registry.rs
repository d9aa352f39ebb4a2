//! The built-in environments: where specs, robots and reward programs are found, and
//! how `--env NAME` resolves to a spec file.

use std::path::{Path, PathBuf};

use crate::env::EnvError;

/// Where built-in specs, robots and reward programs live.
#[derive(Debug, Clone)]
pub struct AssetRoots {
    /// Directory of `envs/*.toml`.
    pub envs: PathBuf,
    /// Directory of `assets/robots/*.urdf`.
    pub robots: PathBuf,
    /// Directory of `rewards/*.luau`.
    pub rewards: PathBuf,
}

impl AssetRoots {
    /// Roots under a project directory laid out as this repository is.
    pub fn under(root: &Path) -> Self {
        Self {
            envs: root.join("envs"),
            robots: root.join("assets").join("robots"),
            rewards: root.join("rewards"),
        }
    }

    /// The roots to use: `$REWARDSMITH_HOME` if set, else this crate's source tree
    /// (the repository the binary was built from).
    pub fn discover() -> Self {
        match std::env::var_os("REWARDSMITH_HOME") {
            Some(home) => Self::under(Path::new(&home)),
            None => Self::under(Path::new(env!("CARGO_MANIFEST_DIR"))),
        }
    }

    /// Directory of the LLM prompt templates (`prompts/`, beside `envs/`).
    pub fn prompts_dir(&self) -> PathBuf {
        self.envs
            .parent()
            .map_or_else(|| PathBuf::from("prompts"), |root| root.join("prompts"))
    }

    /// Resolve `--env`: a path to a spec file, or a built-in name.
    pub fn resolve_env(&self, env: &str) -> Result<PathBuf, EnvError> {
        let as_path = Path::new(env);
        if env.ends_with(".toml") || as_path.components().count() > 1 {
            if as_path.is_file() {
                return Ok(as_path.to_path_buf());
            }
            return Err(EnvError::Io {
                path: as_path.to_path_buf(),
                cause: std::io::Error::new(std::io::ErrorKind::NotFound, "no such spec file"),
            });
        }
        let file = self.envs.join(format!("{env}.toml"));
        if file.is_file() {
            Ok(file)
        } else {
            Err(EnvError::UnknownEnv {
                name: env.to_string(),
                known: self.builtin_names().join(", "),
            })
        }
    }

    /// Names of the built-in envs, sorted.
    pub fn builtin_names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.envs)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let p = e.path();
                (p.extension()? == "toml").then(|| p.file_stem()?.to_str().map(String::from))?
            })
            .collect();
        names.sort();
        names
    }
}
