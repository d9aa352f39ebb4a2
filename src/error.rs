//! Printing an error with its causes, for messages the library records or prints itself.

use std::fmt;

/// Displays an error followed by each of its `source()` causes, joined by `: ` (what
/// the command line prints with `{:#}`).
pub struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(e) = cause {
            write!(f, ": {e}")?;
            cause = e.source();
        }
        Ok(())
    }
}
