//! `FileError`: what is wrong with a reward file, located by file, table, key and
//! (where the TOML parser gives a span) line and column.

use thiserror::Error;

/// Where in a reward file a value is: table, key and position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The table, e.g. `constraints[0]`, or `top level`.
    pub table: String,
    /// The key, when the problem is one value's.
    pub key: Option<String>,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
}

impl Loc {
    /// A location in `text` at byte `offset` (when given).
    pub fn new(table: &str, key: Option<&str>, text: &str, offset: Option<usize>) -> Self {
        Self {
            table: table.to_string(),
            key: key.map(str::to_string),
            position: offset.map(|o| line_column(text, o)),
        }
    }
}

/// 1-based line and column of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// An invalid reward file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}{}: {}{}: {message}", fmt_position(.loc.position), .loc.table, fmt_key(.loc.key.as_deref()))]
pub struct FileError {
    /// The reward file.
    pub file: String,
    /// Where in it.
    pub loc: Loc,
    /// What is wrong.
    pub message: String,
}

impl FileError {
    /// An error at `loc` of `file`.
    pub fn new(file: &str, loc: Loc, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            loc,
            message: message.into(),
        }
    }
}

fn fmt_position(p: Option<(usize, usize)>) -> String {
    p.map_or(String::new(), |(l, c)| format!(":{l}:{c}"))
}

fn fmt_key(key: Option<&str>) -> String {
    key.map_or(String::new(), |k| format!(", key `{k}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_file_table_key_and_position() {
        let text = "a = 1\n[[terms]]\nname = \"x\"\n";
        let loc = Loc::new("terms[0]", Some("name"), text, text.find("name"));
        let e = FileError::new("r.toml", loc, "bad");
        assert_eq!(e.to_string(), "r.toml:3:1: terms[0], key `name`: bad");
        let top = FileError::new("r.toml", Loc::new("top level", None, text, None), "empty");
        assert_eq!(top.to_string(), "r.toml: top level: empty");
    }
}
