//! The synth loop: per round, ask the LLM for K programs, extract, compile and dry-run
//! each (the reward check), send failures straight back as error prompts, evaluate the
//! rest through a [`Trainer`], keep the best, feed back reward reflection. Every step
//! leaves files under the output directory; a resumed run reuses them and asks the LLM
//! only for what it does not have.
//!
//! Layout: `DIR/synth.toml` (the settings, never the key), `DIR/round_R/sample_K/`
//! (`prompt.md`, `request.json`, `reply.md`, `reply.json`, `program.luau`, `check.txt`,
//! `result.json`, `run/`), `DIR/messages.jsonl`, `DIR/summary.md`, `DIR/progress.png`.
//!
//! This file is the loop; the steps it takes live beside it: `ask.rs` (LLM requests),
//! `candidate.rs` (extract, compile, dry-run), `conversation.rs` (feedback and the next
//! round's messages), `ranking.rs` (a person's ranking), `record.rs` (each sample's
//! files) and `report.rs` (summary, messages, progress plot).

use std::path::PathBuf;

use super::SynthError;
use super::ask::{ask, prompt_md};
use super::candidate::prepare;
use super::config::{Backend, Feedback, SynthConfig};
use super::conversation::{self, RoundFeedback, critique_file};
use super::llm::{LlmClient, Message, Usage};
use super::prompts::Prompts;
use super::ranking::{self, RankRequest, Ranker};
pub use super::record::{Best, ReplyMeta, SampleRecord, Status};
use super::record::{Thread, evaluated, read_json, sample_dir, write, write_json};
use super::report::write_reports;
use super::trainer::{CandidateRequest, Trainer};
use crate::env::{AssetRoots, Env};
use crate::error::Chain;

/// The end of a (possibly partial) synth run.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// All rounds ran, or the target was reached.
    Finished(Report),
    /// The run needs files a person fills in (manual LLM or human critique); resume
    /// once they exist.
    Waiting {
        /// The files to write.
        files: Vec<PathBuf>,
        /// What they are.
        what: String,
    },
}

/// What a finished run found.
#[derive(Debug, Clone)]
pub struct Report {
    /// Per round, every sample.
    pub rounds: Vec<Vec<SampleRecord>>,
    /// The best candidate.
    pub best: Option<Best>,
    /// Whether the target success rate stopped the run early.
    pub stopped_early: bool,
    /// Tokens used by the requests of this invocation and earlier ones.
    pub usage: Usage,
}

/// One synth run.
pub struct Synth<'a> {
    /// Settings.
    pub config: SynthConfig,
    /// The output directory.
    pub out: PathBuf,
    /// Asset roots.
    pub roots: AssetRoots,
    /// Templates.
    pub prompts: Prompts,
    /// What evaluates candidates.
    pub trainer: &'a dyn Trainer,
    /// Asks a person for a round's ranking (`--feedback human-rank`); without one, the
    /// run waits for `round_R/ranking.json`.
    pub ranker: Option<Ranker<'a>>,
}

/// Where a run stands between rounds.
#[derive(Default)]
struct Progress {
    rounds: Vec<Vec<SampleRecord>>,
    best: Option<Best>,
    usage: Usage,
}

impl Synth<'_> {
    /// Run (or resume) the loop.
    pub fn run(&self) -> Result<Outcome, SynthError> {
        let cfg = &self.config;
        cfg.validate()?;
        std::fs::create_dir_all(&self.out).map_err(SynthError::io("creating", &self.out))?;
        let path = self.out.join("synth.toml");
        let text = toml::to_string(cfg).map_err(SynthError::encode(&path))?;
        write(&path, &text)?;
        let env = Env::load(&cfg.synth.env, &self.roots)?;
        let steps = cfg.synth.steps_for(env.compiled().spec.train.as_ref());
        let opening = conversation::opening(&self.prompts, env.compiled(), &cfg.synth.task)?;
        let mut next: Vec<Vec<Message>> = vec![opening.clone(); cfg.synth.samples];
        let mut p = Progress::default();
        let client = LlmClient::new(&cfg.llm);
        for r in 1..=cfg.synth.rounds {
            let mut threads = self.open_round(r, &next)?;
            if let Some(waiting) = self.fetch_replies(r, &client, &mut threads, &mut p, steps)? {
                return Ok(waiting);
            }
            self.evaluate(r, &mut threads, steps)?;
            let records: Vec<SampleRecord> = threads
                .iter()
                .map(|t| t.record.clone().expect("every sample has a record"))
                .collect();
            // A person's ranking (ICPL), when asked for.
            let ranked = match cfg.synth.feedback {
                Feedback::HumanRank => match self.human_ranking(r, &records)? {
                    Some(v) => Some(v),
                    None => {
                        let dir = self.out.join(format!("round_{r}"));
                        p.rounds.push(records);
                        self.reports(&p, steps)?;
                        return Ok(Outcome::Waiting {
                            files: vec![dir.join(ranking::RANKING_FILE)],
                            what: format!(
                                "your ranking of round {r}'s candidates, best first (watch them in {})",
                                dir.join(ranking::PAGE_FILE).display()
                            ),
                        });
                    }
                },
                _ => None,
            };
            let round_best = round_best(&records, ranked.as_deref());
            if let Some(rb) = &round_best {
                self.keep_best(r, rb, ranked.is_some(), &mut p.best)?;
            }
            p.rounds.push(records);
            self.reports(&p, steps)?;
            if p.best
                .as_ref()
                .is_some_and(|b| b.success_rate >= cfg.synth.target_success)
            {
                return Ok(self.finished(p, r < cfg.synth.rounds));
            }
            if r == cfg.synth.rounds {
                break;
            }
            // The next round's conversations.
            let records = p.rounds.last().expect("this round");
            let feedback = match &round_best {
                None => None,
                Some(rb) => {
                    let round = RoundFeedback {
                        out: &self.out,
                        round: r,
                        steps,
                        records,
                        best: rb,
                        ranked: ranked.as_deref(),
                    };
                    let Some(text) =
                        conversation::feedback_text(&self.prompts, cfg.synth.feedback, &round)?
                    else {
                        return Ok(Outcome::Waiting {
                            files: vec![critique_file(&self.out, r)],
                            what: format!(
                                "your critique of round {r}'s best program (round_{r}/sample_{}/program.luau; see summary.md)",
                                rb.sample
                            ),
                        });
                    };
                    let reply = threads[rb.sample].reply.clone().unwrap_or_default();
                    Some((reply, text))
                }
            };
            next = conversation::next_round(
                &self.prompts,
                &opening,
                &threads,
                records,
                feedback.as_ref(),
            )?;
        }
        Ok(self.finished(p, false))
    }

    fn finished(&self, p: Progress, stopped_early: bool) -> Outcome {
        Outcome::Finished(Report {
            rounds: p.rounds,
            best: p.best,
            stopped_early,
            usage: p.usage,
        })
    }

    fn reports(&self, p: &Progress, steps: u64) -> Result<(), SynthError> {
        write_reports(
            &self.out,
            &self.config,
            &p.rounds,
            p.best.as_ref(),
            &p.usage,
            steps,
        )
    }

    /// Round `r`'s samples with the messages `next` sends them (written as `prompt.md`
    /// and `request.json`), and whatever reply and result a previous invocation left.
    fn open_round(&self, r: usize, next: &[Vec<Message>]) -> Result<Vec<Thread>, SynthError> {
        let mut threads = Vec::with_capacity(next.len());
        for (k, messages) in next.iter().enumerate() {
            let dir = sample_dir(&self.out, r, k);
            std::fs::create_dir_all(&dir).map_err(SynthError::io("creating", &dir))?;
            write(&dir.join("prompt.md"), &prompt_md(messages))?;
            write_json(&dir.join("request.json"), messages)?;
            threads.push(Thread {
                messages: messages.clone(),
                reply: std::fs::read_to_string(dir.join("reply.md")).ok(),
                record: read_json::<SampleRecord>(&dir.join("result.json"))?,
            });
        }
        Ok(threads)
    }

    /// Get the replies round `r` lacks: from the LLM, or (manual backend) by waiting
    /// for a person to paste them. Counts every reply's tokens into `p.usage`.
    fn fetch_replies(
        &self,
        r: usize,
        client: &LlmClient,
        threads: &mut [Thread],
        p: &mut Progress,
        steps: u64,
    ) -> Result<Option<Outcome>, SynthError> {
        let missing: Vec<usize> = (0..threads.len())
            .filter(|&k| threads[k].reply.is_none() && threads[k].record.is_none())
            .collect();
        if !missing.is_empty() && self.config.llm.backend == Backend::Manual {
            self.reports(p, steps)?;
            return Ok(Some(Outcome::Waiting {
                files: missing
                    .iter()
                    .map(|&k| sample_dir(&self.out, r, k).join("reply.md"))
                    .collect(),
                what: "the LLM's reply to the prompt.md beside each file (paste the whole reply)"
                    .into(),
            }));
        }
        for (k, got) in ask(client, &self.config.llm, threads, &missing) {
            let dir = sample_dir(&self.out, r, k);
            match got {
                Ok((choice, meta)) => {
                    p.usage.add(meta.usage);
                    write(&dir.join("reply.md"), &choice.content)?;
                    write_json(&dir.join("reply.json"), &meta)?;
                    threads[k].reply = Some(choice.content);
                }
                Err(e) => {
                    let rec = SampleRecord {
                        round: r,
                        sample: k,
                        status: Status::LlmError,
                        error: Some(e),
                        result: None,
                    };
                    write_json(&dir.join("result.json"), &rec)?;
                    threads[k].record = Some(rec);
                }
            }
        }
        for k in (0..threads.len()).filter(|k| missing.binary_search(k).is_err()) {
            let meta = sample_dir(&self.out, r, k).join("reply.json");
            if let Some(m) = read_json::<ReplyMeta>(&meta)? {
                p.usage.add(m.usage);
            }
        }
        Ok(None)
    }

    /// Give every sample of round `r` without a result one: extract, compile and
    /// dry-run its program, then train those that pass, all through the trainer at once.
    fn evaluate(&self, r: usize, threads: &mut [Thread], steps: u64) -> Result<(), SynthError> {
        let s = &self.config.synth;
        let mut to_train: Vec<(usize, (CandidateRequest, PathBuf))> = Vec::new();
        for (k, t) in threads.iter_mut().enumerate() {
            if t.record.is_some() {
                continue;
            }
            let reply = t.reply.as_deref().unwrap_or("");
            match prepare(&self.out, s, &self.roots, (r, k), reply, steps)? {
                Ok(req) => {
                    let run_dir = sample_dir(&self.out, r, k).join("run");
                    std::fs::create_dir_all(&run_dir)
                        .map_err(SynthError::io("creating", &run_dir))?;
                    to_train.push((k, (req, run_dir)));
                }
                Err(rec) => t.record = Some(rec),
            }
        }
        let candidates: Vec<(CandidateRequest, PathBuf)> =
            to_train.iter().map(|(_, c)| c.clone()).collect();
        let trained = self.trainer.train_candidates(&candidates);
        for ((k, _), res) in to_train.into_iter().zip(trained) {
            let rec = match res {
                Err(SynthError::Stopped(e)) => {
                    return Err(SynthError::Stopped(e));
                }
                Ok(result) => SampleRecord {
                    round: r,
                    sample: k,
                    status: Status::Evaluated,
                    error: None,
                    result: Some(result),
                },
                Err(e) => SampleRecord {
                    round: r,
                    sample: k,
                    status: Status::TrainError,
                    error: Some(Chain(&e).to_string()),
                    result: None,
                },
            };
            write_json(&sample_dir(&self.out, r, k).join("result.json"), &rec)?;
            threads[k].record = Some(rec);
        }
        Ok(())
    }

    /// Make round `r`'s best `rb` the best so far if it is fitter, or whenever a person
    /// ranked the round (ICPL keeps the latest preferred program).
    fn keep_best(
        &self,
        r: usize,
        rb: &SampleRecord,
        ranked: bool,
        best: &mut Option<Best>,
    ) -> Result<(), SynthError> {
        let key = rb.key().expect("evaluated");
        if ranked
            || best
                .as_ref()
                .is_none_or(|b| (b.success_rate, b.task_return) < key)
        {
            let path = sample_dir(&self.out, r, rb.sample).join("program.luau");
            let program =
                std::fs::read_to_string(&path).map_err(SynthError::io("reading", &path))?;
            *best = Some(Best {
                round: r,
                sample: rb.sample,
                success_rate: key.0,
                task_return: key.1,
                program,
            });
        }
        Ok(())
    }

    /// The person's ranking of round `r` (`--feedback human-rank`): from
    /// `round_R/ranking.json`, else from the ranker after writing the page; `None`
    /// when it is not given yet. Rounds with fewer than two evaluated samples are not
    /// asked about.
    fn human_ranking(
        &self,
        r: usize,
        records: &[SampleRecord],
    ) -> Result<Option<Vec<usize>>, SynthError> {
        let (evaluated, programs) = evaluated(&self.out, r, records)?;
        let ids: Vec<usize> = evaluated.iter().map(|s| s.sample).collect();
        if ids.len() < 2 {
            return Ok(Some(ids));
        }
        let dir = self.out.join(format!("round_{r}"));
        let file = dir.join(ranking::RANKING_FILE);
        if let Some(v) = ranking::read(&file, &ids)? {
            return Ok(Some(v));
        }
        let page = dir.join(ranking::PAGE_FILE);
        write(&page, &ranking::page(r, &evaluated, &programs))?;
        let Some(ask) = self.ranker else {
            return Ok(None);
        };
        let req = RankRequest {
            round: r,
            page,
            file: file.clone(),
            samples: evaluated
                .iter()
                .map(|s| (s.sample, ranking::describe(s)))
                .collect(),
        };
        let Some(v) = ask(&req).map_err(|source| SynthError::Ranker { round: r, source })? else {
            return Ok(None);
        };
        ranking::validate(&v, &ids)
            .map_err(|message| SynthError::RankerAnswer { round: r, message })?;
        ranking::write(&file, &v)?;
        Ok(Some(v))
    }
}

/// The best of a round: the person's first pick, or the fittest evaluated sample.
fn round_best(records: &[SampleRecord], ranked: Option<&[usize]>) -> Option<SampleRecord> {
    match ranked.and_then(|v| v.first()) {
        Some(&k) => Some(records[k].clone()),
        None => records
            .iter()
            .filter(|s| s.key().is_some())
            .fold(None::<&SampleRecord>, |b, s| match b {
                Some(b) if b.key() >= s.key() => Some(b),
                _ => Some(s),
            })
            .cloned(),
    }
}
