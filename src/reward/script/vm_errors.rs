//! Turning interpreter failures into [`RewardError`]s that name the program, the line
//! and (where it can be found) the column: budget trips, runtime errors with their
//! traceback, and syntax errors.

use mlua::Value;

use crate::reward::error::RewardError;
use crate::reward::luau_api::{PRELUDE_NAME, Vm};

/// The Luau type name of a value (numbers are all `number`).
pub(super) fn lua_type(v: &Value) -> &'static str {
    match v {
        Value::Integer(_) | Value::Number(_) => "number",
        other => other.type_name(),
    }
}

/// The budget error of the last call, if the budget tripped (even if the program caught it).
pub(super) fn budget_error(name: &str, vm: &Vm) -> Option<RewardError> {
    vm.budget.tripped().map(|(t, line)| RewardError::Budget {
        program: name.to_string(),
        line,
        limit: vm.budget.describe(t),
    })
}

/// Finds `<chunk>:<line>` in `text`; returns the line and the byte index after `<line>:`.
fn find_location(text: &str, chunk: &str) -> Option<(u32, usize)> {
    let pat = format!("{chunk}:");
    let mut from = 0;
    while let Some(i) = text[from..].find(&pat) {
        let start = from + i + pat.len();
        let digits: String = text[start..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        if let Ok(line) = digits.parse::<u32>() {
            let mut end = start + digits.len();
            if text[end..].starts_with(':') {
                end += 1;
            }
            return Some((line, end));
        }
        from = start;
    }
    None
}

/// Maps an interpreter error raised while running program `name` to a `RewardError`.
pub(super) fn classify(name: &str, vm: &Vm, e: mlua::Error) -> RewardError {
    if let Some(err) = budget_error(name, vm) {
        return err;
    }
    let program = name.to_string();
    let mut cur = &e;
    let mut traceback = String::new();
    let text = loop {
        match cur {
            mlua::Error::CallbackError {
                traceback: tb,
                cause,
            } => {
                traceback.push_str(tb);
                cur = cause;
            }
            mlua::Error::MemoryError(_) => {
                return RewardError::Memory {
                    program,
                    limit_bytes: vm.memory_limit,
                };
            }
            mlua::Error::RuntimeError(m) => break m.clone(),
            other => break other.to_string(),
        }
    };
    let (msg, tb) = match text.find("\nstack traceback:") {
        Some(i) => (text[..i].to_string(), format!("{}{traceback}", &text[i..])),
        None => (text.clone(), traceback),
    };
    let (line, message) = match find_location(&msg, name).filter(|_| msg.starts_with(name)) {
        Some((line, end)) => (Some(line), msg[end..].trim().to_string()),
        None => {
            // Raised inside the prelude (or without a position): strip that position and
            // point at the innermost program frame of the traceback.
            let message =
                match find_location(&msg, PRELUDE_NAME).filter(|_| msg.starts_with(PRELUDE_NAME)) {
                    Some((_, end)) => msg[end..].trim().to_string(),
                    None => msg.trim().to_string(),
                };
            (find_location(&tb, name).map(|(l, _)| l), message)
        }
    };
    if message.contains("stack overflow") {
        RewardError::StackOverflow { program, line }
    } else if message.starts_with("unknown ") {
        RewardError::UnknownName {
            program,
            line,
            message,
        }
    } else if message.contains("attempt to modify a readonly table") {
        RewardError::Runtime {
            program,
            line,
            message: format!(
                "{message} (libraries, `s`, and the program's top-level globals are read-only during a call; use `local` variables)"
            ),
        }
    } else {
        RewardError::Runtime {
            program,
            line,
            message,
        }
    }
}

/// Maps a load (parse) error to `RewardError::Syntax`, estimating the column.
pub(super) fn syntax_error(name: &str, source: &str, e: mlua::Error) -> RewardError {
    let text = match &e {
        mlua::Error::SyntaxError { message, .. } => message.clone(),
        other => other.to_string(),
    };
    let (line, message) = match find_location(&text, name) {
        Some((line, end)) => (line, text[end..].trim().to_string()),
        None => (1, text.trim().to_string()),
    };
    let column = estimate_column(source, line, &message);
    RewardError::Syntax {
        program: name.to_string(),
        line,
        column,
        message,
    }
}

/// Luau reports parse errors by line only. Most messages end in `got 'tok'` (or `got <eof>`):
/// the column of the last occurrence of that token on the line (the parser fails at the first
/// token it cannot use, so earlier copies were consumed), or the end of line for `<eof>`.
fn estimate_column(source: &str, line: u32, message: &str) -> Option<u32> {
    let text = source
        .lines()
        .nth(usize::try_from(line).ok()?.checked_sub(1)?)?;
    let col_of = |byte: usize| u32::try_from(text[..byte].chars().count() + 1).ok();
    let got = message.rfind("got ")?;
    let tok = message[got + 4..].trim();
    if tok.starts_with("<eof>") {
        return col_of(text.trim_end().len());
    }
    let tok = tok.strip_prefix('\'')?.strip_suffix('\'')?;
    text.rfind(tok).and_then(col_of)
}
