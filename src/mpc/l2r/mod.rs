//! Language to Rewards (Yu et al. 2023, "Language to Rewards for Robotic Skill
//! Synthesis"): a *motion descriptor* conversation turns the user's instruction into a
//! fixed-form description of the motion, a *reward coder* conversation turns that into
//! a reward program of bounded terms with parameters, and the predictive-sampling
//! controller acts on it at once. Follow-ups (the user's corrections) continue the
//! descriptor's conversation; each gives a new description, program and rollout.
//!
//! Everything is saved under the session directory as it happens (atomically):
//! `session.json` (env, instruction, follow-ups), `messages.jsonl` (every message of
//! both conversations), and per turn `turn_K/`: `descriptor_prompt.md`,
//! `descriptor_reply.md`, `description.md`, `coder_prompt.md`, `coder_reply.md`,
//! `program.luau` and `mpc/` (`rollout.jsonl`, `rollout.gif`, `summary.json`); then
//! `summary.json`. A reply already on disk is used instead of asking again, so
//! rerunning the same command resumes; with the manual backend a person writes each
//! reply file.

pub mod prompts;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::MpcError;
use super::config::MpcOverrides;
use super::session::{SessionOptions, run_session};
use super::setup::MpcSetup;
use crate::env::{AssetRoots, Env, EnvSpec};
use crate::reward::{Params, ScriptProgram};
use crate::synth::config::{Backend, LlmSettings};
use crate::synth::extract::extract_program;
use crate::synth::llm::{LlmClient, Message};
use prompts::{L2rPrompts, extract_description};

/// A session's settings.
#[derive(Debug, Clone)]
pub struct L2rOptions {
    /// Built-in env name or spec path.
    pub env: String,
    /// What the robot should do, in words.
    pub instruction: String,
    /// Corrections, in order; each is one more turn.
    pub follow_ups: Vec<String>,
    /// The session directory.
    pub out: PathBuf,
    /// The LLM endpoint (or the manual backend).
    pub llm: LlmSettings,
    /// The prompt directory (`prompts/`).
    pub prompts: PathBuf,
    /// Planner overrides of the env's `[mpc]` table.
    pub overrides: MpcOverrides,
    /// How each turn's controller runs (its `out` is replaced by `turn_K/mpc`).
    pub run: SessionOptions,
}

/// What one turn produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnSummary {
    /// 1 for the instruction, 2… for the follow-ups.
    pub turn: usize,
    /// The instruction or follow-up of this turn.
    pub said: String,
    /// The motion description.
    pub description: String,
    /// The program file.
    pub program: PathBuf,
    /// Its parameter values.
    pub params: Params,
    /// Whether the env's success criterion held (every episode).
    pub success: bool,
    /// Fraction of episodes that succeeded.
    pub success_rate: f64,
    /// Mean reward per step of the program.
    pub mean_reward: f64,
    /// Simulated seconds per wall second.
    pub realtime_factor: f64,
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq)]
pub enum L2rOutcome {
    /// Every turn ran; the turns, in order.
    Finished(Vec<TurnSummary>),
    /// The manual backend waits for a person to write `reply` (the conversation to
    /// answer is in `conversation`).
    Waiting {
        /// The reply file to write.
        reply: PathBuf,
        /// The conversation so far, to paste into a chat.
        conversation: PathBuf,
    },
}

/// `session.json`: what the directory's session is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct SessionFile {
    env: String,
    instruction: String,
    follow_ups: Vec<String>,
}

/// One line of `messages.jsonl`.
#[derive(Debug, Clone, Serialize)]
struct Logged<'a> {
    turn: usize,
    stage: &'a str,
    role: &'a str,
    content: &'a str,
}

/// A conversation with one stage's role.
struct Thread {
    stage: &'static str,
    file_stem: &'static str,
    messages: Vec<(usize, Message)>,
}

impl Thread {
    fn plain(&self) -> Vec<Message> {
        self.messages.iter().map(|(_, m)| m.clone()).collect()
    }
}

/// Run (or resume) the session of `opts`; `on_turn` sees each turn as it ends.
pub fn run_l2r(
    opts: &L2rOptions,
    roots: &AssetRoots,
    mut on_turn: impl FnMut(&TurnSummary),
) -> Result<L2rOutcome, MpcError> {
    let out = &opts.out;
    std::fs::create_dir_all(out).map_err(MpcError::io("creating", out))?;
    check_session(opts)?;
    // The env must be set up for the controller before anything is asked.
    let spec_file = roots.resolve_env(&opts.env)?;
    let spec = EnvSpec::from_file(&spec_file)?;
    if spec.mpc.is_none() {
        return Err(MpcError::NoMpcTable { file: spec_file });
    }
    let mut probe = Env::from_spec(spec, &spec_file, roots)?;
    let c = probe.compiled().clone();
    let prompts = L2rPrompts::new(&opts.prompts);
    let mut client: Option<LlmClient> = None;
    let mut log: Vec<(usize, &'static str, Message)> = Vec::new();
    let mut descriptor = Thread {
        stage: "motion descriptor",
        file_stem: "descriptor",
        messages: vec![(0, Message::new("system", prompts.descriptor_system()?))],
    };
    let mut coder = Thread {
        stage: "reward coder",
        file_stem: "coder",
        messages: vec![(0, Message::new("system", prompts.coder_system()?))],
    };
    for t in [&descriptor, &coder] {
        log.push((0, t.stage, t.messages[0].1.clone()));
    }
    let mut turns = Vec::new();
    let said: Vec<&str> = std::iter::once(opts.instruction.as_str())
        .chain(opts.follow_ups.iter().map(String::as_str))
        .collect();
    for (i, &text) in said.iter().enumerate() {
        let turn = i + 1;
        let dir = out.join(format!("turn_{turn}"));
        std::fs::create_dir_all(&dir).map_err(MpcError::io("creating", &dir))?;
        let ask_describe = if turn == 1 {
            prompts.descriptor(&c, text)?
        } else {
            prompts.follow_up(text)?
        };
        let reply = match converse(
            &mut descriptor,
            turn,
            ask_describe,
            &dir,
            opts,
            &mut client,
            &mut log,
        )? {
            Step::Reply(r) => r,
            Step::Waiting(w) => return Ok(w),
        };
        let reply_file = dir.join("descriptor_reply.md");
        let bad = |stage: &str, message: String| MpcError::BadReply {
            stage: stage.to_string(),
            reply: reply_file.clone(),
            message,
            dir: out.clone(),
        };
        let description = extract_description(&reply.0)
            .ok_or_else(|| bad(descriptor.stage, "the reply holds no description".into()))?;
        write(&dir.join("description.md"), &description)?;
        let ask_code = if turn == 1 {
            prompts.coder(&c, &description)?
        } else {
            prompts.coder_update(&description)?
        };
        let (code_reply, finish) = match converse(
            &mut coder,
            turn,
            ask_code,
            &dir,
            opts,
            &mut client,
            &mut log,
        )? {
            Step::Reply(r) => r,
            Step::Waiting(w) => return Ok(w),
        };
        let reply_file = dir.join("coder_reply.md");
        let bad = |message: String| MpcError::BadReply {
            stage: coder.stage.to_string(),
            reply: reply_file.clone(),
            message,
            dir: out.clone(),
        };
        let code =
            extract_program(&code_reply, finish.as_deref()).map_err(|e| bad(e.to_string()))?;
        let program_path = dir.join("program.luau");
        write(&program_path, &code)?;
        // Compile and try it on the first state, so a bad program is the reply's error.
        let mut program = ScriptProgram::compile("program.luau", &code, &c.layout)
            .map_err(|e| bad(e.to_string()))?;
        probe.reset(Some(opts.run.seed))?;
        program
            .reward(probe.state())
            .map_err(|e| bad(format!("dry run on the first state: {e}")))?;
        let mut setup = MpcSetup::load(
            &opts.env,
            roots,
            Some(&program_path),
            &Params::new(),
            &opts.overrides,
        )?;
        let run = SessionOptions {
            out: dir.join("mpc"),
            ..opts.run.clone()
        };
        let summary = run_session(&mut setup, &run, |_, _| {})?;
        let ts = TurnSummary {
            turn,
            said: text.to_string(),
            description,
            program: program_path,
            params: summary.params.clone(),
            success: summary.success,
            success_rate: summary.success_rate,
            mean_reward: summary.mean_reward,
            realtime_factor: summary.realtime_factor,
        };
        on_turn(&ts);
        turns.push(ts);
    }
    let path = out.join("summary.json");
    let text = serde_json::to_string_pretty(&turns).map_err(MpcError::encode(&path))?;
    write(&path, &text)?;
    Ok(L2rOutcome::Finished(turns))
}

/// A stage's answer: the reply and its finish reason, or the manual backend waiting.
enum Step {
    Reply((String, Option<String>)),
    Waiting(L2rOutcome),
}

/// Add `ask` to `thread`, get the reply (from disk if already there, else from the
/// LLM), add it, and save the prompt, the reply and the whole log.
fn converse(
    thread: &mut Thread,
    turn: usize,
    ask: String,
    dir: &Path,
    opts: &L2rOptions,
    client: &mut Option<LlmClient>,
    log: &mut Vec<(usize, &'static str, Message)>,
) -> Result<Step, MpcError> {
    let stem = thread.file_stem;
    write(&dir.join(format!("{stem}_prompt.md")), &ask)?;
    let user = Message::new("user", ask);
    thread.messages.push((turn, user.clone()));
    log.push((turn, thread.stage, user));
    write_log(&opts.out, log)?;
    let reply_file = dir.join(format!("{stem}_reply.md"));
    let (reply, finish) = if reply_file.is_file() {
        let text =
            std::fs::read_to_string(&reply_file).map_err(MpcError::io("reading", &reply_file))?;
        (text, None)
    } else if opts.llm.backend == Backend::Manual {
        let conversation = dir.join(format!("{stem}_conversation.md"));
        write(&conversation, &render_thread(thread))?;
        return Ok(Step::Waiting(L2rOutcome::Waiting {
            reply: reply_file,
            conversation,
        }));
    } else {
        let client = client.get_or_insert_with(|| LlmClient::new(&opts.llm));
        let done = client
            .complete(&thread.plain(), 1)
            .map_err(|source| MpcError::Llm {
                stage: thread.stage.to_string(),
                source,
            })?;
        let choice = done
            .choices
            .into_iter()
            .next()
            .ok_or_else(|| MpcError::Llm {
                stage: thread.stage.to_string(),
                source: crate::synth::llm::LlmError::Invalid {
                    message: "no choice".into(),
                    attempts: done.attempts,
                },
            })?;
        write(&reply_file, &choice.content)?;
        (choice.content, choice.finish_reason)
    };
    let assistant = Message::new("assistant", reply.clone());
    thread.messages.push((turn, assistant.clone()));
    log.push((turn, thread.stage, assistant));
    write_log(&opts.out, log)?;
    Ok(Step::Reply((reply, finish)))
}

/// A conversation as Markdown, for a person to paste into a chat.
fn render_thread(thread: &Thread) -> String {
    let mut s = String::new();
    for (_, m) in &thread.messages {
        s.push_str(&format!("## {}\n\n{}\n\n", m.role, m.content.trim_end()));
    }
    s
}

/// Check `session.json` against `opts` (same env and instruction; earlier follow-ups
/// unchanged), then record `opts`' session.
fn check_session(opts: &L2rOptions) -> Result<(), MpcError> {
    let path = opts.out.join("session.json");
    let mine = SessionFile {
        env: opts.env.clone(),
        instruction: opts.instruction.clone(),
        follow_ups: opts.follow_ups.clone(),
    };
    if let Ok(text) = std::fs::read_to_string(&path) {
        let saved: SessionFile = serde_json::from_str(&text).map_err(|e| MpcError::Session {
            dir: opts.out.clone(),
            message: format!("session.json does not parse: {e}"),
        })?;
        let differ = |what: String| MpcError::Session {
            dir: opts.out.clone(),
            message: format!(
                "holds a session with another {what}; pick another --out to start a new one"
            ),
        };
        if saved.env != mine.env {
            return Err(differ(format!("env (`{}`)", saved.env)));
        }
        if saved.instruction != mine.instruction {
            return Err(differ(format!("instruction (\"{}\")", saved.instruction)));
        }
        if let Some(i) = (0..saved.follow_ups.len().min(mine.follow_ups.len()))
            .find(|&i| saved.follow_ups[i] != mine.follow_ups[i])
        {
            return Err(differ(format!(
                "follow-up {} (\"{}\")",
                i + 1,
                saved.follow_ups[i]
            )));
        }
        if mine.follow_ups.len() < saved.follow_ups.len() {
            return Ok(());
        }
    }
    let text = serde_json::to_string_pretty(&mine).map_err(MpcError::encode(&path))?;
    write(&path, &text)
}

/// Rewrite `messages.jsonl` with every message so far.
fn write_log(out: &Path, log: &[(usize, &'static str, Message)]) -> Result<(), MpcError> {
    let mut text = String::new();
    for (turn, stage, m) in log {
        let line = Logged {
            turn: *turn,
            stage,
            role: &m.role,
            content: &m.content,
        };
        let path = out.join("messages.jsonl");
        text.push_str(&serde_json::to_string(&line).map_err(MpcError::encode(&path))?);
        text.push('\n');
    }
    write(&out.join("messages.jsonl"), &text)
}

/// Write `text` to `path` atomically.
fn write(path: &Path, text: &str) -> Result<(), MpcError> {
    crate::fs::write_atomic(path, text.as_bytes()).map_err(MpcError::from)
}
