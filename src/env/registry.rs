//! The built-in environments: where specs, robots, reward programs, prompts and model
//! manifests are found, and how `--env NAME` resolves to a spec file.

use std::path::{Path, PathBuf};

use crate::env::{EnvError, EnvSpec};

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

    /// The roots to use: `$REWARDSMITH_HOME` if set (a directory laid out like the
    /// repository: `envs/`, `rewards/`, `prompts/`, `assets/robots/`, `assets/models/`),
    /// else the built-in files embedded in the binary ([`crate::builtin`]).
    pub fn discover() -> Self {
        match std::env::var_os("REWARDSMITH_HOME").filter(|h| !h.is_empty()) {
            Some(home) => Self::under(Path::new(&home)),
            None => Self::under(crate::builtin::root()),
        }
    }

    /// The project directory the roots are under (the parent of `envs/`).
    fn project(&self) -> PathBuf {
        self.envs
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
    }

    /// Directory of the LLM prompt templates (`prompts/`, beside `envs/`).
    pub fn prompts_dir(&self) -> PathBuf {
        self.project().join("prompts")
    }

    /// Directory of the CLIP model manifests (`assets/models/`, beside the robots).
    pub fn models_dir(&self) -> PathBuf {
        self.project().join("assets").join("models")
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

    /// Write built-in env `name` and the files it needs — its spec, reward and success
    /// programs, robot, and the prompt templates and model manifests every project
    /// holds — into `dir`, laid out like the repository, for editing; `REWARDSMITH_HOME=dir`
    /// then uses them in place of the built-in files (export several envs into one
    /// directory to keep them all). A file already there with the same bytes is kept;
    /// one that differs is an error, and nothing is written. Returns the files written.
    pub fn export(&self, name: &str, dir: &Path) -> Result<Vec<PathBuf>, EnvError> {
        let as_path = Path::new(name);
        if name.ends_with(".toml") || as_path.components().count() > 1 {
            return Err(EnvError::UnknownEnv {
                name: name.to_string(),
                known: self.builtin_names().join(", "),
            });
        }
        let spec_file = self.resolve_env(name)?;
        let spec = EnvSpec::from_file(&spec_file)?;
        let mut files: Vec<(PathBuf, PathBuf)> =
            vec![(spec_file.clone(), format!("envs/{name}.toml").into())];
        // A variant's base specs sit beside it (`base = "humanoid.toml"`).
        for base in EnvSpec::base_files(&spec_file)? {
            if let Some(file_name) = base.file_name() {
                files.push((base.clone(), Path::new("envs").join(file_name)));
            }
        }
        for stem in [&spec.rewards.reward, &spec.rewards.success] {
            let rel = PathBuf::from(format!("rewards/{stem}.luau"));
            if !files.iter().any(|(_, r)| *r == rel) {
                files.push((self.rewards.join(format!("{stem}.luau")), rel));
            }
        }
        if let Some(robot) = &spec.robot {
            let rel = Path::new("assets").join("robots").join(robot.file());
            files.push((self.robots.join(robot.file()), rel));
        }
        for (src_dir, rel_dir) in [
            (self.prompts_dir(), PathBuf::from("prompts")),
            (self.models_dir(), Path::new("assets").join("models")),
        ] {
            let mut found = Vec::new();
            files_under(&src_dir, Path::new(""), &mut found)?;
            found.sort();
            for (p, rel) in found {
                files.push((p, rel_dir.join(rel)));
            }
        }
        let mut contents = Vec::with_capacity(files.len());
        for (src, rel) in &files {
            let bytes = std::fs::read(src).map_err(|cause| EnvError::Io {
                path: src.clone(),
                cause,
            })?;
            let dst = dir.join(rel);
            match std::fs::read(&dst) {
                Ok(old) if old == bytes => continue,
                Ok(_) => return Err(EnvError::ExportConflict { path: dst }),
                Err(_) => contents.push((dst, bytes)),
            }
        }
        for (dst, bytes) in &contents {
            if let Some(parent) = dst.parent() {
                std::fs::create_dir_all(parent).map_err(|cause| EnvError::Io {
                    path: parent.to_path_buf(),
                    cause,
                })?;
            }
            crate::fs::write_atomic(dst, bytes).map_err(|e| EnvError::Io {
                path: e.path,
                cause: e.source,
            })?;
        }
        Ok(contents.into_iter().map(|(p, _)| p).collect())
    }
}

/// Every file under `dir` (subdirectories included), with its path relative to `dir`
/// (`rel` is `dir`'s own, for the recursion).
fn files_under(dir: &Path, rel: &Path, out: &mut Vec<(PathBuf, PathBuf)>) -> Result<(), EnvError> {
    let entries = std::fs::read_dir(dir).map_err(|cause| EnvError::Io {
        path: dir.to_path_buf(),
        cause,
    })?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = rel.join(entry.file_name());
        if path.is_dir() {
            files_under(&path, &name, out)?;
        } else if path.is_file() {
            out.push((path, name));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> AssetRoots {
        AssetRoots::under(Path::new(env!("CARGO_MANIFEST_DIR")))
    }

    #[test]
    fn an_exported_env_loads_from_its_directory_with_its_programs_and_robot() {
        let tmp = tempfile::tempdir().unwrap();
        let written = repo().export("cartpole", tmp.path()).unwrap();
        for rel in [
            "envs/cartpole.toml",
            "rewards/cartpole.luau",
            "assets/robots/cartpole.urdf",
            "prompts/system.txt",
        ] {
            assert!(
                written.contains(&tmp.path().join(rel)),
                "{rel}: {written:?}"
            );
        }
        let exported = AssetRoots::under(tmp.path());
        assert_eq!(exported.builtin_names(), ["cartpole"]);
        crate::env::Env::load("cartpole", &exported).unwrap();
        // Again: nothing new to write; an edited file is not overwritten.
        assert!(repo().export("cartpole", tmp.path()).unwrap().is_empty());
        let spec = tmp.path().join("envs/cartpole.toml");
        std::fs::write(&spec, "edited").unwrap();
        let e = repo().export("cartpole", tmp.path()).unwrap_err();
        assert!(
            matches!(&e, EnvError::ExportConflict { path } if *path == spec),
            "{e}"
        );
        assert_eq!(std::fs::read_to_string(&spec).unwrap(), "edited");
    }

    #[test]
    fn only_builtin_names_are_exported() {
        let tmp = tempfile::tempdir().unwrap();
        let e = repo().export("envs/cartpole.toml", tmp.path()).unwrap_err();
        assert!(e.to_string().contains("built-in envs: "), "{e}");
        let e = repo().export("no-such-env", tmp.path()).unwrap_err();
        assert!(e.to_string().contains("cartpole"), "{e}");
    }
}
