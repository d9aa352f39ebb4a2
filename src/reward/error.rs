//! `RewardError`: everything that can go wrong compiling or running a reward.

use crate::reward::composite::FileError;
use thiserror::Error;

/// An error from compiling or evaluating a reward. Every variant names the program; those
/// tied to a source position carry the 1-based line.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RewardError {
    /// The source does not parse. `column` is a best-effort estimate (Luau reports lines only):
    /// the position of the offending token when it can be found on that line.
    #[error("{program}:{line}:{}: syntax error: {message}", column.map_or("?".to_string(), |c| c.to_string()))]
    Syntax {
        /// Program name.
        program: String,
        /// 1-based line.
        line: u32,
        /// 1-based column, when it could be located.
        column: Option<u32>,
        /// The parser's message.
        message: String,
    },
    /// A name the program uses does not exist (body, joint, task parameter, field, global).
    #[error("{program}:{}: {message}", fmt_line(*line))]
    UnknownName {
        /// Program name.
        program: String,
        /// 1-based line, when known.
        line: Option<u32>,
        /// E.g. `unknown body "polee"; did you mean "pole"? known: cart, pole`.
        message: String,
    },
    /// A program file could not be read.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
    /// A prompt template is missing or malformed.
    #[error("prompt template {template}: {message}")]
    Template {
        /// Template file.
        template: String,
        /// What is wrong.
        message: String,
    },
    /// A runtime error raised while the program ran.
    #[error("{program}:{}: {message}", fmt_line(*line))]
    Runtime {
        /// Program name.
        program: String,
        /// 1-based line, when known.
        line: Option<u32>,
        /// The error message, without position prefix.
        message: String,
    },
    /// The per-call operation or time budget ran out.
    #[error("{program}:{}: exceeded its budget: ran more than {limit} in one call; infinite loop?", fmt_line(*line))]
    Budget {
        /// Program name.
        program: String,
        /// Line executing when the budget ran out, when known.
        line: Option<u32>,
        /// What ran out, e.g. `200000 operations` or `10 ms`.
        limit: String,
    },
    /// The VM's memory limit was hit.
    #[error("{program}: exceeded the memory limit of {limit_bytes} bytes")]
    Memory {
        /// Program name.
        program: String,
        /// The limit.
        limit_bytes: usize,
    },
    /// Too deep recursion.
    #[error("{program}:{}: stack overflow (recursion too deep)", fmt_line(*line))]
    StackOverflow {
        /// Program name.
        program: String,
        /// 1-based line, when known.
        line: Option<u32>,
    },
    /// The reward (or one named component) is NaN or infinite.
    #[error("{program}: {} is {}", component.as_ref().map_or("reward".to_string(), |c| format!("component \"{c}\"")), fmt_nonfinite(*value))]
    NonFinite {
        /// Program name.
        program: String,
        /// The component, or `None` when `reward` returned a plain number.
        component: Option<String>,
        /// The offending value.
        value: f64,
    },
    /// `reward` or `success` returned the wrong kind of value.
    #[error("{program}: {message}")]
    BadReturn {
        /// Program name.
        program: String,
        /// What was returned and what is expected.
        message: String,
    },
    /// The program does not define `function reward(s)` (or `success` is not a function).
    #[error("{program}: {message}")]
    MissingFunction {
        /// Program name.
        program: String,
        /// What is missing.
        message: String,
    },
    /// A State whose layout differs from the one the program was compiled against.
    #[error("{program}: state does not match the compiled layout: {message}")]
    LayoutMismatch {
        /// Program name.
        program: String,
        /// Which sizes differ.
        message: String,
    },
    /// A reward parameter value that is malformed, of the wrong kind or not finite
    /// (`--param`, `--params FILE.json`, or a program's `params` table).
    #[error("{source_name}: {message}")]
    Param {
        /// Where the value came from: `--param`, a JSON file, or the program.
        source_name: String,
        /// What is wrong.
        message: String,
    },
    /// An invalid reward file (`.toml`), located by file, table and key.
    #[error(transparent)]
    File(Box<FileError>),
    /// A reward file (`.toml`) given where only one `.luau` program is accepted.
    #[error(
        "{path}: reward files (.toml) are not supported here: this takes one .luau program (reward files work with train, eval, rollout and reward check)"
    )]
    NotAProgram {
        /// The file.
        path: String,
    },
    /// A checkpoint's reward state that does not fit the reward (another file).
    #[error("{reward}: saved reward state does not fit: {message}")]
    State {
        /// The reward's name.
        reward: String,
        /// What differs.
        message: String,
    },
    /// An error of the interpreter itself (not expected from any program).
    #[error("{program}: interpreter error: {message}")]
    Vm {
        /// Program name.
        program: String,
        /// The underlying message.
        message: String,
    },
}

impl From<FileError> for RewardError {
    fn from(e: FileError) -> Self {
        RewardError::File(Box::new(e))
    }
}

fn fmt_line(line: Option<u32>) -> String {
    line.map_or("?".to_string(), |l| l.to_string())
}

fn fmt_nonfinite(v: f64) -> &'static str {
    if v.is_nan() {
        "NaN"
    } else if v > 0.0 {
        "+inf"
    } else {
        "-inf"
    }
}

impl RewardError {
    /// The name of the program the error belongs to.
    pub fn program(&self) -> &str {
        match self {
            RewardError::Syntax { program, .. }
            | RewardError::UnknownName { program, .. }
            | RewardError::Runtime { program, .. }
            | RewardError::Budget { program, .. }
            | RewardError::Memory { program, .. }
            | RewardError::StackOverflow { program, .. }
            | RewardError::NonFinite { program, .. }
            | RewardError::BadReturn { program, .. }
            | RewardError::MissingFunction { program, .. }
            | RewardError::LayoutMismatch { program, .. }
            | RewardError::Vm { program, .. } => program,
            RewardError::Io { path, .. } | RewardError::NotAProgram { path } => path,
            RewardError::File(e) => &e.file,
            RewardError::State { reward, .. } => reward,
            RewardError::Template { template, .. } => template,
            RewardError::Param { source_name, .. } => source_name,
        }
    }

    /// The 1-based source line the error points at, when known.
    pub fn line(&self) -> Option<u32> {
        match self {
            RewardError::Syntax { line, .. } => Some(*line),
            RewardError::File(e) => e.loc.position.and_then(|(l, _)| u32::try_from(l).ok()),
            RewardError::UnknownName { line, .. }
            | RewardError::Runtime { line, .. }
            | RewardError::Budget { line, .. }
            | RewardError::StackOverflow { line, .. } => *line,
            _ => None,
        }
    }
}
