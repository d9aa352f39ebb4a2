//! Turning a reply into a candidate: extract the program, compile it against the env's
//! State, and dry-run it (the reward check) before any training is spent on it.

use std::path::Path;

use super::SynthError;
use super::config::SynthSettings;
use super::extract::extract_program;
use super::record::{ReplyMeta, SampleRecord, Status, read_json, sample_dir, write, write_json};
use super::trainer::CandidateRequest;
use crate::env::{AssetRoots, Env};
use crate::reward::ScriptProgram;
use crate::reward::check::check_program;

/// Extract, compile and dry-run sample `k` of round `r` of the run in `out` (to be
/// trained for `steps` env steps): the training request, or the failed record (already
/// written to `result.json`). `program.luau` and `check.txt` are written on the way.
pub(super) fn prepare(
    out: &Path,
    s: &SynthSettings,
    roots: &AssetRoots,
    (r, k): (usize, usize),
    reply: &str,
    steps: u64,
) -> Result<Result<CandidateRequest, SampleRecord>, SynthError> {
    let dir = sample_dir(out, r, k);
    let meta: ReplyMeta = read_json(&dir.join("reply.json"))?.unwrap_or_default();
    let fail = |status: Status,
                error: String|
     -> Result<Result<CandidateRequest, SampleRecord>, SynthError> {
        let rec = SampleRecord {
            round: r,
            sample: k,
            status,
            error: Some(error),
            result: None,
        };
        write_json(&dir.join("result.json"), &rec)?;
        Ok(Err(rec))
    };
    let program = match extract_program(reply, meta.finish_reason.as_deref()) {
        Ok(p) => p,
        Err(e) => return fail(Status::ExtractError, e.to_string()),
    };
    let path = dir.join("program.luau");
    write(&path, &program)?;
    let mut env = Env::load(&s.env, roots)?;
    let name = format!("round_{r}/sample_{k}/program.luau");
    let mut compiled = match ScriptProgram::compile(&name, &program, &env.compiled().layout) {
        Ok(p) => p,
        Err(e) => {
            write(&dir.join("check.txt"), &format!("compile error:\n{e}\n"))?;
            return fail(Status::CompileError, e.to_string());
        }
    };
    match check_program(&mut env, &mut compiled, s.check_steps, s.seed) {
        Ok(report) => {
            let text = format!(
                "compiled {name} for env `{}`\n{}",
                env.compiled().spec.name,
                report.text()
            );
            write(&dir.join("check.txt"), &text)?;
        }
        Err(e) => {
            write(&dir.join("check.txt"), &format!("dry run failed:\n{e}\n"))?;
            return fail(Status::CheckError, e.to_string());
        }
    }
    Ok(Ok(CandidateRequest {
        env: s.env.clone(),
        program: path,
        steps,
        seed: s.seed,
    }))
}
