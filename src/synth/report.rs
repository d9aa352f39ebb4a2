//! The run's reports, rewritten after every round: `messages.jsonl` (every
//! conversation, one message a line), `summary.md` (a table per round and the best
//! program) and `progress.png`.

use std::fmt::Write as _;
use std::path::Path;

use super::SynthError;
use super::config::SynthConfig;
use super::llm::{Message, Usage};
use super::record::{Best, SampleRecord, read_json, sample_dir, write};

/// Rewrite the run's reports in `out`: `messages.jsonl`, `summary.md` and
/// `progress.png`. `steps`: the env-step budget of each candidate.
pub(super) fn write_reports(
    out: &Path,
    cfg: &SynthConfig,
    rounds: &[Vec<SampleRecord>],
    best: Option<&Best>,
    usage: &Usage,
    steps: u64,
) -> Result<(), SynthError> {
    let messages = messages_jsonl(out, cfg.synth.rounds, cfg.synth.samples)?;
    write(&out.join("messages.jsonl"), &messages)?;
    let summary = summary_md(cfg, steps, rounds, best, usage);
    write(&out.join("summary.md"), &summary)?;
    super::plot::progress_png(&out.join("progress.png"), rounds, cfg.synth.rounds)
}

fn messages_jsonl(out: &Path, rounds: usize, samples: usize) -> Result<String, SynthError> {
    let mut s = String::new();
    for r in 1..=rounds {
        for k in 0..samples {
            let dir = sample_dir(out, r, k);
            let Some(msgs) = read_json::<Vec<Message>>(&dir.join("request.json"))? else {
                continue;
            };
            let reply = std::fs::read_to_string(dir.join("reply.md")).ok();
            let all = msgs
                .iter()
                .cloned()
                .chain(reply.map(|c| Message::new("assistant", c)));
            for (i, m) in all.enumerate() {
                let line = serde_json::json!({"round": r, "sample": k, "index": i, "role": m.role, "content": m.content});
                let _ = writeln!(s, "{line}");
            }
        }
    }
    Ok(s)
}

fn summary_md(
    cfg: &SynthConfig,
    steps: u64,
    rounds: &[Vec<SampleRecord>],
    best: Option<&Best>,
    usage: &Usage,
) -> String {
    let s = &cfg.synth;
    let mut md = format!(
        "# synth: `{}`\n\nTask: {}\n\n{} samples × {} rounds, {} steps per sample, model `{}` ({:?} backend). \
         Fitness = the env's success rate (ties: the env's own reward, \"task score\").\n\
         Tokens: {} prompt, {} completion.\n\n",
        s.env,
        s.task,
        s.samples,
        s.rounds,
        steps,
        cfg.llm.model,
        cfg.llm.backend,
        usage.prompt_tokens,
        usage.completion_tokens
    );
    for (i, recs) in rounds.iter().enumerate() {
        let _ = writeln!(md, "## Round {}\n", i + 1);
        let _ = writeln!(
            md,
            "| sample | compiled? | success | return | task score | note |\n|---|---|---|---|---|---|"
        );
        for rec in recs {
            let (succ, ret, task) = match &rec.result {
                Some(r) => (
                    format!("{:.3}", r.success_rate),
                    format!("{:.2}", r.mean_return),
                    format!("{:.2}", r.task_return),
                ),
                None => ("–".into(), "–".into(), "–".into()),
            };
            let note = rec
                .error
                .as_deref()
                .map(|e| {
                    format!(
                        "{:?}: {}",
                        rec.status,
                        e.lines().next().unwrap_or("").replace('|', "\\|")
                    )
                })
                .unwrap_or_default();
            let _ = writeln!(
                md,
                "| {} | {} | {succ} | {ret} | {task} | {note} |",
                rec.sample,
                if rec.status.compiled() { "yes" } else { "no" }
            );
        }
        md.push('\n');
    }
    match best {
        Some(b) => {
            let _ = write!(
                md,
                "## Best program\n\nRound {}, sample {}: success rate {:.3}, task score {:.2}\n(`round_{}/sample_{}/program.luau`)\n\n```lua\n{}\n```\n",
                b.round,
                b.sample,
                b.success_rate,
                b.task_return,
                b.round,
                b.sample,
                b.program.trim_end()
            );
        }
        None => md.push_str("## Best program\n\nNone yet: no sample was evaluated.\n"),
    }
    md.push_str("\n`progress.png`: blue = best fitness so far, red = mean fitness of the evaluated samples, per round (x: rounds 1..N, y: 0..1; no text is drawn: no font is bundled).\n");
    md
}
