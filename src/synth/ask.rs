//! Asking the LLM for a round's missing replies: samples with the same conversation go
//! in one request with `n` choices (when the server honours `n`), requests run
//! `[llm] parallel` at a time.

use std::fmt::Write as _;

use super::config::LlmSettings;
use super::llm::{Choice, LlmClient, Message, Usage};
use super::record::{ReplyMeta, Thread};
use crate::exec::map_threads;

/// One sample's answer: the reply and what came with it, or why there is none.
pub(super) type Answer = Result<(Choice, ReplyMeta), String>;

/// Ask the LLM for the samples `missing`; returns each sample's reply or error.
pub(super) fn ask(
    client: &LlmClient,
    settings: &LlmSettings,
    threads: &[Thread],
    missing: &[usize],
) -> Vec<(usize, Answer)> {
    if missing.is_empty() {
        return Vec::new();
    }
    let mut jobs: Vec<(Vec<Message>, Vec<usize>)> = Vec::new();
    for &k in missing {
        let m = &threads[k].messages;
        match jobs.iter_mut().find(|(jm, _)| settings.use_n && jm == m) {
            Some((_, ks)) => ks.push(k),
            None => jobs.push((m.clone(), vec![k])),
        }
    }
    let answers = map_threads(&jobs, settings.parallel, |(m, ks)| {
        client.complete(m, ks.len())
    });
    let mut out = Vec::new();
    let mut again = Vec::new();
    for ((m, ks), ans) in jobs.into_iter().zip(answers) {
        match ans {
            Ok(c) => {
                let mut choices = c.choices.into_iter();
                for (i, k) in ks.into_iter().enumerate() {
                    match choices.next() {
                        Some(choice) => {
                            let meta = ReplyMeta {
                                finish_reason: choice.finish_reason.clone(),
                                usage: if i == 0 { c.usage } else { Usage::default() },
                                attempts: c.attempts,
                            };
                            out.push((k, Ok((choice, meta))));
                        }
                        None => again.push((m.clone(), vec![k])),
                    }
                }
            }
            Err(e) => out.extend(ks.into_iter().map(|k| (k, Err(e.to_string())))),
        }
    }
    // The server sent fewer choices than `n` (it ignores `n`): ask one by one.
    let answers = map_threads(&again, settings.parallel, |(m, _)| client.complete(m, 1));
    for ((_, ks), ans) in again.into_iter().zip(answers) {
        let k = ks[0];
        out.push((
            k,
            ans.map_err(|e| e.to_string()).and_then(|c| {
                let usage = c.usage;
                let attempts = c.attempts;
                c.choices
                    .into_iter()
                    .next()
                    .map(|choice| {
                        let meta = ReplyMeta {
                            finish_reason: choice.finish_reason.clone(),
                            usage,
                            attempts,
                        };
                        (choice, meta)
                    })
                    .ok_or_else(|| "no choice in the reply".to_string())
            }),
        ));
    }
    out
}

/// The conversation as `prompt.md` shows it: one section per message.
pub(super) fn prompt_md(messages: &[Message]) -> String {
    let mut s = String::new();
    for m in messages {
        let _ = write!(s, "## {}\n\n{}\n\n", m.role, m.content.trim_end());
    }
    s
}
