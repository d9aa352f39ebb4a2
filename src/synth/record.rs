//! What a synth run keeps about each sample (`result.json`, `reply.json`), where the
//! sample's files live, and reading and writing them.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SynthError;
use super::llm::{Message, Usage};
use super::trainer::CandidateResult;

/// What happened to one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The LLM request failed for good (after retries).
    LlmError,
    /// No program could be taken from the reply.
    ExtractError,
    /// The program does not compile.
    CompileError,
    /// The program failed its dry run (random rollout).
    CheckError,
    /// Training failed.
    TrainError,
    /// Trained (or evaluated); `result` holds the fitness.
    Evaluated,
}

impl Status {
    /// The stage that failed, in words (for error prompts and `samples_text`).
    pub fn stage(self) -> &'static str {
        match self {
            Status::LlmError => "request to the LLM",
            Status::ExtractError => "extraction of the program from your reply",
            Status::CompileError => "compilation",
            Status::CheckError => {
                "dry run (a seeded random rollout calling reward(s) and success(s))"
            }
            Status::TrainError => "training",
            Status::Evaluated => "evaluation",
        }
    }

    /// Whether the program compiled.
    pub fn compiled(self) -> bool {
        matches!(
            self,
            Status::CheckError | Status::TrainError | Status::Evaluated
        )
    }
}

/// `result.json` of one sample.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleRecord {
    /// Round, from 1.
    pub round: usize,
    /// Sample, from 0.
    pub sample: usize,
    /// Outcome.
    pub status: Status,
    /// The reason, unless evaluated.
    pub error: Option<String>,
    /// The evaluation, when evaluated.
    pub result: Option<CandidateResult>,
}

impl SampleRecord {
    /// The fitness key: success rate, then the task score.
    pub fn key(&self) -> Option<(f64, f64)> {
        self.result
            .as_ref()
            .map(|r| (r.success_rate, r.task_return))
    }
}

/// `reply.json`: what came with a reply.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReplyMeta {
    /// The server's finish reason.
    pub finish_reason: Option<String>,
    /// Tokens of the request this reply came from (shared by its `n` choices).
    pub usage: Usage,
    /// Attempts the request took.
    pub attempts: u32,
}

/// The best candidate so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Best {
    /// Round, from 1.
    pub round: usize,
    /// Sample, from 0.
    pub sample: usize,
    /// Its success rate (the fitness).
    pub success_rate: f64,
    /// Its task score.
    pub task_return: f64,
    /// The program.
    pub program: String,
}

/// Directory of round `r` (from 1), sample `k` (from 0).
pub fn sample_dir(out: &Path, r: usize, k: usize) -> PathBuf {
    out.join(format!("round_{r}")).join(format!("sample_{k}"))
}

/// One sample's conversation in a round: the messages sent, the reply (once there is
/// one) and the outcome (once there is one).
pub(super) struct Thread {
    /// The request's messages.
    pub messages: Vec<Message>,
    /// The LLM's reply.
    pub reply: Option<String>,
    /// The sample's outcome.
    pub record: Option<SampleRecord>,
}

/// Write `text` to `path` atomically.
pub(super) fn write(path: &Path, text: &str) -> Result<(), SynthError> {
    crate::fs::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Write `value` to `path` as pretty JSON, atomically.
pub(super) fn write_json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<(), SynthError> {
    let text = serde_json::to_string_pretty(value).map_err(SynthError::encode(path))?;
    write(path, &text)
}

/// Read a JSON file a synth run wrote: `None` when it does not exist yet (the step
/// that writes it runs then). A file that exists but cannot be read or parsed (a disk
/// fault, a hand edit) is an error naming it, never silently redone.
pub(super) fn read_json<T: for<'de> Deserialize<'de>>(
    path: &Path,
) -> Result<Option<T>, SynthError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SynthError::io("reading", path)(e)),
    };
    serde_json::from_str(&text)
        .map(Some)
        .map_err(|e| SynthError::Parse {
            path: path.to_path_buf(),
            message: format!(
                "not a valid file of this run ({e}); restore it, or delete it to redo the step \
             that writes it"
            ),
        })
}

/// The evaluated samples of round `r` and their programs (`programs[i]` belongs to
/// the `i`-th evaluated sample).
pub(super) fn evaluated<'r>(
    out: &Path,
    r: usize,
    records: &'r [SampleRecord],
) -> Result<(Vec<&'r SampleRecord>, Vec<String>), SynthError> {
    let evaluated: Vec<&SampleRecord> = records
        .iter()
        .filter(|s| s.status == Status::Evaluated)
        .collect();
    let programs = evaluated
        .iter()
        .map(|s| {
            let p = sample_dir(out, r, s.sample).join("program.luau");
            std::fs::read_to_string(&p).map_err(SynthError::io("reading", &p))
        })
        .collect::<Result<_, _>>()?;
    Ok((evaluated, programs))
}
