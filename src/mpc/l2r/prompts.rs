//! The Language to Rewards prompts (Yu et al. 2023): templates in `prompts/l2r/` with
//! `{{slot}}`s, editable without recompiling.
//!
//! - `descriptor_system.txt`, and `<env>.txt` (else `generic.txt`): the *motion
//!   descriptor* turns the user's instruction into a fixed-form description whose
//!   `[NUM: …]` and `[CHOICE: …]` slots it fills in plain words (slots `instruction`,
//!   `env`).
//! - `coder_system.txt`, `coder.txt`: the *reward coder* turns a description into a
//!   program of the bounded L2R terms with parameters (slots `env`, `cheatsheet`,
//!   `description`); `coder_update.txt` for a changed description (`description`).
//! - `follow_up.txt`: a user's correction continues the descriptor's conversation
//!   (`follow_up`).

use std::path::{Path, PathBuf};

use crate::env::CompiledSpec;
use crate::mpc::MpcError;
use crate::reward::prompt::{env_abstraction, fill_template};

/// The template directory (`prompts/`, whose `l2r/` holds these).
#[derive(Debug, Clone)]
pub struct L2rPrompts {
    dir: PathBuf,
}

impl L2rPrompts {
    /// Templates in `prompts_dir/l2r/`, the cheat sheet in `prompts_dir`.
    pub fn new(prompts_dir: &Path) -> Self {
        Self {
            dir: prompts_dir.to_path_buf(),
        }
    }

    fn read(&self, rel: &str) -> Result<String, MpcError> {
        let path = self.dir.join(rel);
        std::fs::read_to_string(&path).map_err(|e| MpcError::Template {
            path,
            message: e.to_string(),
        })
    }

    fn fill(&self, rel: &str, values: &[(&str, &str)]) -> Result<String, MpcError> {
        let text = self.read(rel)?;
        fill_template(&text, rel, values).map_err(|e| MpcError::Template {
            path: self.dir.join(rel),
            message: e.to_string(),
        })
    }

    /// The motion descriptor's system message.
    pub fn descriptor_system(&self) -> Result<String, MpcError> {
        Ok(self
            .read("l2r/descriptor_system.txt")?
            .trim_end()
            .to_string())
    }

    /// The motion descriptor's first message: the env's template (or the generic one)
    /// with the instruction.
    pub fn descriptor(&self, c: &CompiledSpec, instruction: &str) -> Result<String, MpcError> {
        let own = format!("l2r/{}.txt", c.spec.name);
        let rel = if self.dir.join(&own).is_file() {
            own
        } else {
            "l2r/generic.txt".to_string()
        };
        let env = env_abstraction(c);
        self.fill(&rel, &[("instruction", instruction), ("env", &env)])
    }

    /// A follow-up (correction) in the descriptor's conversation.
    pub fn follow_up(&self, text: &str) -> Result<String, MpcError> {
        self.fill("l2r/follow_up.txt", &[("follow_up", text)])
    }

    /// The reward coder's system message.
    pub fn coder_system(&self) -> Result<String, MpcError> {
        Ok(self.read("l2r/coder_system.txt")?.trim_end().to_string())
    }

    /// The reward coder's first message for `description`.
    pub fn coder(&self, c: &CompiledSpec, description: &str) -> Result<String, MpcError> {
        let cheatsheet = self.read("luau_cheatsheet.md")?;
        let env = env_abstraction(c);
        self.fill(
            "l2r/coder.txt",
            &[
                ("env", &env),
                ("cheatsheet", &cheatsheet),
                ("description", description),
            ],
        )
    }

    /// The reward coder's message for a changed description.
    pub fn coder_update(&self, description: &str) -> Result<String, MpcError> {
        self.fill("l2r/coder_update.txt", &[("description", description)])
    }
}

/// The description in a descriptor reply: the text between `[start of description]`
/// and `[end of description]` (markers kept), or the whole reply without them.
pub fn extract_description(reply: &str) -> Option<String> {
    const START: &str = "[start of description]";
    const END: &str = "[end of description]";
    let lower = reply.to_ascii_lowercase();
    let text = match (lower.find(START), lower.rfind(END)) {
        (Some(a), Some(b)) if b > a => reply[a..b + END.len()].to_string(),
        _ => reply.trim().to_string(),
    };
    let body = text
        .to_ascii_lowercase()
        .replace(START, "")
        .replace(END, "")
        .trim()
        .to_string();
    (!body.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{AssetRoots, Env};

    #[test]
    fn descriptions_are_cut_between_the_markers() {
        let r = "Sure.\n[start of description]\n* fingertip to target\n[end of description]\nDone.";
        assert_eq!(
            extract_description(r).unwrap(),
            "[start of description]\n* fingertip to target\n[end of description]"
        );
        assert_eq!(extract_description("  just words ").unwrap(), "just words");
        assert_eq!(
            extract_description("[start of description]\n[end of description]"),
            None
        );
        assert_eq!(extract_description("   "), None);
    }

    #[test]
    fn every_template_fills_for_every_env() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let roots = AssetRoots::under(root);
        let p = L2rPrompts::new(&root.join("prompts"));
        for name in roots.builtin_names() {
            let env = Env::load(&name, &roots).unwrap();
            let c = env.compiled();
            let d = p.descriptor(c, "do a little dance").unwrap();
            assert!(d.contains("do a little dance"), "{name}: {d}");
            assert!(d.contains("[start of description]"), "{name}");
            let code = p.coder(c, "the description").unwrap();
            assert!(code.contains("the description") && code.contains("l2_distance"));
        }
        assert!(p.descriptor_system().unwrap().len() > 20);
        assert!(p.coder_system().unwrap().len() > 20);
        assert!(p.follow_up("higher").unwrap().contains("higher"));
        assert!(p.coder_update("new").unwrap().contains("new"));
    }
}
