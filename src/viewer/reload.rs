//! Hot reload of a reward program: poll the file's modification time and size,
//! recompile on change, keep the last program that compiled.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::env::StateLayout;
use crate::reward::{Params, ScriptProgram, load_program};

/// What a poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reload {
    /// The file changed and the new program compiled; it is in use now.
    Compiled,
    /// The file changed and did not compile (or could not be read): the message. The
    /// last good program, if any, stays in use.
    Failed(String),
}

/// A reward program read from a file, recompiled when the file changes.
pub struct WatchedProgram {
    path: PathBuf,
    stamp: Option<(SystemTime, u64)>,
    program: Option<ScriptProgram>,
    error: Option<String>,
    /// Parameter overrides applied to every compiled version.
    params: Params,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl WatchedProgram {
    /// Load and compile `path` for `layout`. A program that fails to compile is not an
    /// error here: [`WatchedProgram::error`] holds the message and there is no program
    /// until the file is fixed.
    pub fn load(path: &Path, layout: &StateLayout) -> Self {
        let mut w = Self {
            path: path.to_path_buf(),
            stamp: stamp(path),
            program: None,
            error: None,
            params: Params::new(),
        };
        w.compile(layout);
        w
    }

    /// [`WatchedProgram::load`] with parameter overrides for every version.
    pub fn load_with_params(path: &Path, layout: &StateLayout, params: Params) -> Self {
        let mut w = Self {
            path: path.to_path_buf(),
            stamp: stamp(path),
            program: None,
            error: None,
            params,
        };
        w.compile(layout);
        w
    }

    /// Use `params` as the overrides from now on, on the program in use too. If they
    /// do not fit it (an undeclared name, a wrong kind), the message, and nothing
    /// changes.
    pub fn set_params(&mut self, params: Params) -> Reload {
        if let Some(p) = &mut self.program
            && let Err(e) = p.set_params(&params)
        {
            let msg = e.to_string();
            self.error = Some(msg.clone());
            return Reload::Failed(msg);
        }
        self.params = params;
        self.error = None;
        Reload::Compiled
    }

    fn compile(&mut self, layout: &StateLayout) -> Reload {
        let loaded = load_program(&self.path, layout).and_then(|mut p| {
            p.set_params(&self.params)?;
            Ok(p)
        });
        match loaded {
            Ok(p) => {
                self.program = Some(p);
                self.error = None;
                Reload::Compiled
            }
            Err(e) => {
                let msg = e.to_string();
                self.error = Some(msg.clone());
                Reload::Failed(msg)
            }
        }
    }

    /// Recompile if the file's modification time or size changed since the last look.
    pub fn poll(&mut self, layout: &StateLayout) -> Option<Reload> {
        let now = stamp(&self.path);
        if now == self.stamp {
            return None;
        }
        self.stamp = now;
        Some(self.compile(layout))
    }

    /// The program in use (the last one that compiled), if any.
    pub fn program_mut(&mut self) -> Option<&mut ScriptProgram> {
        self.program.as_mut()
    }

    /// The error of the latest compile, if it failed.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// The program file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{AssetRoots, Env};

    #[test]
    fn keeps_the_last_good_program_and_reports_errors() {
        let roots = AssetRoots::under(Path::new(env!("CARGO_MANIFEST_DIR")));
        let env = Env::load("cartpole", &roots).expect("cartpole");
        let layout = env.compiled().layout.clone();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("r.luau");
        std::fs::write(&path, "function reward(s) return 1 end").expect("write");
        let mut w = WatchedProgram::load(&path, &layout);
        assert!(w.error().is_none());
        assert_eq!(w.poll(&layout), None);
        std::fs::write(&path, "function reward(s) return 1 +  end").expect("write");
        match w.poll(&layout) {
            Some(Reload::Failed(msg)) => assert!(msg.contains("r.luau"), "{msg}"),
            other => panic!("expected a failed reload, got {other:?}"),
        }
        let out = w
            .program_mut()
            .expect("last good program kept")
            .reward(env.state())
            .expect("reward");
        assert_eq!(out.total, 1.0);
        std::fs::write(&path, "function reward(s) return {a = 2, b = 3} end").expect("write");
        assert_eq!(w.poll(&layout), Some(Reload::Compiled));
        assert!(w.error().is_none());
        let out = w
            .program_mut()
            .expect("program")
            .reward(env.state())
            .expect("reward");
        assert_eq!(out.total, 5.0);
    }
}
