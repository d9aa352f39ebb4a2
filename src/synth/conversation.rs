//! Building the conversations: the opening messages, the feedback on a round's best
//! candidate (reward reflection, a person's ranking, or a person's critique), and each
//! sample's messages for the next round.

use std::fmt::Write as _;
use std::path::Path;

use super::SynthError;
use super::config::Feedback;
use super::llm::Message;
use super::prompts::{self, Prompts, reflection};
use super::ranking;
use super::record::{SampleRecord, Status, Thread, evaluated, sample_dir};
use crate::env::CompiledSpec;

/// The messages every sample's first request holds: the system prompt and the task.
pub(super) fn opening(
    prompts: &Prompts,
    env: &CompiledSpec,
    task: &str,
) -> Result<Vec<Message>, SynthError> {
    Ok(vec![
        Message::new("system", prompts.system()?),
        Message::new("user", prompts.task(env, task)?),
    ])
}

/// The round that feedback is written about.
pub(super) struct RoundFeedback<'a> {
    /// The synth run's directory.
    pub out: &'a Path,
    /// Round, from 1.
    pub round: usize,
    /// Env steps each candidate trained for.
    pub steps: u64,
    /// Every sample of the round.
    pub records: &'a [SampleRecord],
    /// The round's best sample (evaluated).
    pub best: &'a SampleRecord,
    /// A person's ranking of the round, best first, when one was asked for.
    pub ranked: Option<&'a [usize]>,
}

/// The feedback message on round `f.round`'s best candidate, of the kind the run asks
/// for; `Ok(None)` when it needs a person's critique that is not written yet (the file
/// is [`critique_file`]).
pub(super) fn feedback_text(
    prompts: &Prompts,
    kind: Feedback,
    f: &RoundFeedback<'_>,
) -> Result<Option<String>, SynthError> {
    let r = f.round;
    let path = sample_dir(f.out, r, f.best.sample).join("program.luau");
    let program = std::fs::read_to_string(&path).map_err(SynthError::io("reading", &path))?;
    let result = f
        .best
        .result
        .as_ref()
        .expect("the round's best was evaluated");
    let fitness = format!("{:.3}", result.success_rate);
    let round_s = r.to_string();
    let steps = f.steps.to_string();
    let refl = reflection(result);
    let samples = samples_text(f.records);
    let text = match kind {
        Feedback::Auto => prompts.fill(
            prompts::FEEDBACK,
            &[
                ("round", &round_s),
                ("trainer", &result.trainer),
                ("steps", &steps),
                ("fitness", &fitness),
                ("program", program.trim_end()),
                ("reflection", refl.trim_end()),
                ("samples", samples.trim_end()),
            ],
        )?,
        Feedback::HumanRank => {
            let order = f.ranked.unwrap_or_default();
            let (evaluated, programs) = evaluated(f.out, r, f.records)?;
            prompts.ranking(
                r,
                ranking::ranking_text(order).trim_end(),
                ranking::candidates_text(order, &evaluated, &programs).trim_end(),
            )?
        }
        Feedback::HumanText => {
            let Ok(critique) = std::fs::read_to_string(critique_file(f.out, r)) else {
                return Ok(None);
            };
            prompts.fill(
                prompts::CRITIQUE,
                &[
                    ("round", &round_s),
                    ("fitness", &fitness),
                    ("critique", critique.trim_end()),
                    ("program", program.trim_end()),
                    ("reflection", refl.trim_end()),
                    ("samples", samples.trim_end()),
                ],
            )?
        }
    };
    Ok(Some(text))
}

/// Where a person writes their critique of round `r` (`--feedback human-text`).
pub(super) fn critique_file(out: &Path, r: usize) -> std::path::PathBuf {
    out.join(format!("round_{r}")).join("critique.md")
}

/// Each sample's messages for the next round: a sample whose request failed asks
/// again; an evaluated one continues from the round's best reply with `feedback`
/// (`(best reply, feedback text)`); one that failed later hears its error.
pub(super) fn next_round(
    prompts: &Prompts,
    opening: &[Message],
    threads: &[Thread],
    records: &[SampleRecord],
    feedback: Option<&(String, String)>,
) -> Result<Vec<Vec<Message>>, SynthError> {
    let mut next = Vec::with_capacity(threads.len());
    for (t, rec) in threads.iter().zip(records) {
        let msgs = match (rec.status, &t.reply, feedback) {
            (Status::LlmError, _, _) => t.messages.clone(),
            (Status::Evaluated, _, Some((best_reply, text))) => {
                let mut m = opening.to_vec();
                m.push(Message::new("assistant", best_reply.clone()));
                m.push(Message::new("user", text.clone()));
                m
            }
            (status, Some(reply), _) => {
                let mut m = t.messages.clone();
                m.push(Message::new("assistant", reply.clone()));
                let error = rec.error.clone().unwrap_or_default();
                m.push(Message::new(
                    "user",
                    prompts.fill(
                        prompts::ERROR,
                        &[("stage", status.stage()), ("error", error.trim_end())],
                    )?,
                ));
                m
            }
            _ => t.messages.clone(),
        };
        next.push(msgs);
    }
    Ok(next)
}

/// One line per sample for the feedback prompt.
pub fn samples_text(records: &[SampleRecord]) -> String {
    let mut s = String::new();
    for rec in records {
        let _ = match (&rec.result, &rec.error) {
            (Some(r), _) => writeln!(
                s,
                "- sample {}: success rate {:.3}, task score {:.3}, episode return {:.3}, episode length {:.1}",
                rec.sample, r.success_rate, r.task_return, r.mean_return, r.episode_length
            ),
            (None, e) => writeln!(
                s,
                "- sample {}: {} failed: {}",
                rec.sample,
                rec.status.stage(),
                e.as_deref().unwrap_or("").replace('\n', "\n    ")
            ),
        };
    }
    s
}
