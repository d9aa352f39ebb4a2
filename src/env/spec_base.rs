//! Spec variants: a spec with a top-level `base = "FILE"` starts from that spec, and
//! each top-level key or table it writes replaces the base's whole (an array of tables
//! such as `[[termination]]` replaces the base's array; `termination = []` removes it).
//! `FILE` is a path relative to the variant, or a built-in env's name.

use std::path::{Path, PathBuf};

use crate::env::EnvError;
use crate::env::error::toml_position;
use crate::env::registry::AssetRoots;

/// Most `base` links followed from one spec; a longer chain is taken for a cycle.
const MAX_CHAIN: usize = 8;

/// A variant's TOML with its base chain merged in.
pub(crate) struct Merged {
    /// The merged top-level table, without `base` keys.
    pub table: toml::Table,
    /// The base spec files, nearest first.
    pub bases: Vec<PathBuf>,
}

/// Merge the base chain of the spec `text` read from `origin`; `None` when it names
/// no base (then it parses as it is).
pub(crate) fn merge_base(text: &str, origin: &Path) -> Result<Option<Merged>, EnvError> {
    let mut table = parse(text, origin)?;
    if !table.contains_key("base") {
        return Ok(None);
    }
    let mut bases = Vec::new();
    let mut file = origin.to_path_buf();
    while let Some(base) = table.remove("base") {
        let base_file = resolve(&base, &file)?;
        if bases.len() == MAX_CHAIN || bases.contains(&base_file) || base_file == origin {
            return Err(EnvError::Parse {
                file: file.clone(),
                message: format!(
                    "`base` chain of {} goes round in a cycle or is longer than {MAX_CHAIN}",
                    origin.display()
                ),
            });
        }
        let base_text = std::fs::read_to_string(&base_file).map_err(|e| EnvError::Io {
            path: base_file.clone(),
            cause: e,
        })?;
        let mut merged = parse(&base_text, &base_file)?;
        for (key, value) in table {
            merged.insert(key, value);
        }
        table = merged;
        bases.push(base_file.clone());
        file = base_file;
    }
    Ok(Some(Merged { table, bases }))
}

/// Parse one spec file's TOML into a table (syntax errors with their position).
fn parse(text: &str, file: &Path) -> Result<toml::Table, EnvError> {
    text.parse::<toml::Table>().map_err(|e| EnvError::Parse {
        file: file.to_path_buf(),
        message: toml_position(text, &e),
    })
}

/// The file a `base` value names, seen from the spec file `from`.
fn resolve(value: &toml::Value, from: &Path) -> Result<PathBuf, EnvError> {
    let Some(name) = value.as_str() else {
        return Err(EnvError::Parse {
            file: from.to_path_buf(),
            message: format!(
                "`base` must be a string (a spec file or a built-in env's name), not {}",
                value.type_str()
            ),
        });
    };
    let beside = from.parent().unwrap_or(Path::new(".")).join(name);
    if beside.is_file() {
        return Ok(beside);
    }
    AssetRoots::discover()
        .resolve_env(name)
        .map_err(|e| EnvError::Parse {
            file: from.to_path_buf(),
            message: format!("`base = \"{name}\"`: {e}"),
        })
}
