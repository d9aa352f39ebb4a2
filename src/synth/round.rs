//! The synth loop: per round, ask the LLM for K programs, extract, compile and dry-run
//! each (the reward check), send failures straight back as error prompts, evaluate the
//! rest through a [`Trainer`], keep the best, feed back reward reflection. Every step
//! leaves files under the output directory; a resumed run reuses them and asks the LLM
//! only for what it does not have.
//!
//! Layout: `DIR/synth.toml` (the settings, never the key), `DIR/round_R/sample_K/`
//! (`prompt.md`, `request.json`, `reply.md`, `reply.json`, `program.luau`, `check.txt`,
//! `result.json`, `run/`), `DIR/messages.jsonl`, `DIR/summary.md`, `DIR/progress.png`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};

use super::SynthError;
use super::config::{Backend, Feedback, SynthConfig};
use super::extract::extract_program;
use super::llm::{Choice, LlmClient, Message, Usage};
use super::prompts::{self, Prompts, reflection};
use super::ranking::{self, RankRequest, Ranker};
use super::trainer::{CandidateRequest, CandidateResult, Trainer};
use crate::env::{AssetRoots, Env};
use crate::error::Chain;
use crate::reward::ScriptProgram;
use crate::reward::check::check_program;

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
    fn stage(self) -> &'static str {
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

/// Run `f` over `items` on `workers` threads; results in item order.
pub fn pool<T: Sync, R: Send>(items: &[T], workers: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    out.lock().expect("pool results")[i] = Some(r);
                }
            });
        }
    });
    out.into_inner()
        .expect("pool results")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

fn write(path: &Path, text: &str) -> Result<(), SynthError> {
    let tmp = path.with_extension("tmp~");
    std::fs::write(&tmp, text).map_err(SynthError::io("writing", &tmp))?;
    std::fs::rename(&tmp, path).map_err(SynthError::io("replacing", path))
}

/// Pretty JSON of `value` for the file `path`.
fn json<T: Serialize + ?Sized>(path: &Path, value: &T) -> Result<String, SynthError> {
    serde_json::to_string_pretty(value).map_err(SynthError::encode(path))
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Option<T> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
}

fn prompt_md(messages: &[Message]) -> String {
    let mut s = String::new();
    for m in messages {
        let _ = write!(s, "## {}\n\n{}\n\n", m.role, m.content.trim_end());
    }
    s
}

/// Directory of round `r` (from 1), sample `k` (from 0).
pub fn sample_dir(out: &Path, r: usize, k: usize) -> PathBuf {
    out.join(format!("round_{r}")).join(format!("sample_{k}"))
}

struct Thread {
    messages: Vec<Message>,
    reply: Option<String>,
    record: Option<SampleRecord>,
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
        let base = vec![
            Message::new("system", self.prompts.system()?),
            Message::new("user", self.prompts.task(env.compiled(), &cfg.synth.task)?),
        ];
        let k_samples = cfg.synth.samples;
        let mut next: Vec<Vec<Message>> = vec![base.clone(); k_samples];
        let mut rounds: Vec<Vec<SampleRecord>> = Vec::new();
        let mut best: Option<Best> = None;
        let mut usage = Usage::default();
        let mut stopped_early = false;
        let client = LlmClient::new(&cfg.llm);
        for r in 1..=cfg.synth.rounds {
            let mut threads: Vec<Thread> = Vec::new();
            for (k, messages) in next.iter().enumerate() {
                let dir = sample_dir(&self.out, r, k);
                std::fs::create_dir_all(&dir).map_err(SynthError::io("creating", &dir))?;
                write(&dir.join("prompt.md"), &prompt_md(messages))?;
                let path = dir.join("request.json");
                write(&path, &json(&path, messages)?)?;
                let reply = std::fs::read_to_string(dir.join("reply.md")).ok();
                let record = read_json::<SampleRecord>(&dir.join("result.json"));
                threads.push(Thread {
                    messages: messages.clone(),
                    reply,
                    record,
                });
            }
            let missing: Vec<usize> = (0..k_samples)
                .filter(|&k| threads[k].reply.is_none() && threads[k].record.is_none())
                .collect();
            if !missing.is_empty() && cfg.llm.backend == Backend::Manual {
                self.write_reports(&rounds, best.as_ref(), &usage, steps)?;
                return Ok(Outcome::Waiting {
                    files: missing
                        .iter()
                        .map(|&k| sample_dir(&self.out, r, k).join("reply.md"))
                        .collect(),
                    what:
                        "the LLM's reply to the prompt.md beside each file (paste the whole reply)"
                            .into(),
                });
            }
            for (k, got) in self.ask(&client, &threads, &missing) {
                let dir = sample_dir(&self.out, r, k);
                match got {
                    Ok((choice, meta)) => {
                        usage.add(meta.usage);
                        write(&dir.join("reply.md"), &choice.content)?;
                        let path = dir.join("reply.json");
                        write(&path, &json(&path, &meta)?)?;
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
                        let path = dir.join("result.json");
                        write(&path, &json(&path, &rec)?)?;
                        threads[k].record = Some(rec);
                    }
                }
            }
            for k in (0..k_samples).filter(|k| missing.binary_search(k).is_err()) {
                let meta = sample_dir(&self.out, r, k).join("reply.json");
                if let Some(m) = read_json::<ReplyMeta>(&meta) {
                    usage.add(m.usage);
                }
            }
            // Extract, compile and dry-run what has no result yet.
            let mut to_train = Vec::new();
            for (k, t) in threads.iter_mut().enumerate() {
                if t.record.is_some() {
                    continue;
                }
                match self.prepare(r, k, t.reply.as_deref().unwrap_or(""), steps)? {
                    Ok(req) => to_train.push((k, req)),
                    Err(rec) => t.record = Some(rec),
                }
            }
            let workers = self.trainer.workers();
            let trained = pool(&to_train, workers, |(k, req)| {
                let run_dir = sample_dir(&self.out, r, *k).join("run");
                let res = std::fs::create_dir_all(&run_dir)
                    .map_err(SynthError::io("creating", &run_dir))
                    .and_then(|_| self.trainer.train_candidate(req, &run_dir));
                match res {
                    Ok(result) => SampleRecord {
                        round: r,
                        sample: *k,
                        status: Status::Evaluated,
                        error: None,
                        result: Some(result),
                    },
                    Err(e) => SampleRecord {
                        round: r,
                        sample: *k,
                        status: Status::TrainError,
                        error: Some(Chain(&e).to_string()),
                        result: None,
                    },
                }
            });
            for ((k, _), rec) in to_train.iter().zip(trained) {
                let path = sample_dir(&self.out, r, *k).join("result.json");
                write(&path, &json(&path, &rec)?)?;
                threads[*k].record = Some(rec);
            }
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
                        rounds.push(records);
                        self.write_reports(&rounds, best.as_ref(), &usage, steps)?;
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
            // Best of this round (the person's first pick, or the fittest), and best so
            // far (with a ranking: the latest pick, as ICPL keeps the preferred one).
            let round_best = match ranked.as_ref().and_then(|v| v.first()) {
                Some(&k) => Some(records[k].clone()),
                None => records
                    .iter()
                    .filter(|s| s.key().is_some())
                    .fold(None::<&SampleRecord>, |b, s| match b {
                        Some(b) if b.key() >= s.key() => Some(b),
                        _ => Some(s),
                    })
                    .cloned(),
            };
            if let Some(rb) = &round_best {
                let key = rb.key().expect("evaluated");
                if ranked.is_some()
                    || best
                        .as_ref()
                        .is_none_or(|b| (b.success_rate, b.task_return) < key)
                {
                    let path = sample_dir(&self.out, r, rb.sample).join("program.luau");
                    let program =
                        std::fs::read_to_string(&path).map_err(SynthError::io("reading", &path))?;
                    best = Some(Best {
                        round: r,
                        sample: rb.sample,
                        success_rate: key.0,
                        task_return: key.1,
                        program,
                    });
                }
            }
            rounds.push(records);
            self.write_reports(&rounds, best.as_ref(), &usage, steps)?;
            if best
                .as_ref()
                .is_some_and(|b| b.success_rate >= cfg.synth.target_success)
            {
                stopped_early = r < cfg.synth.rounds;
                break;
            }
            if r == cfg.synth.rounds {
                break;
            }
            // The next round's conversations.
            let records = rounds.last().expect("this round");
            let samples = samples_text(records);
            let feedback = match &round_best {
                None => None,
                Some(rb) => {
                    let dir = sample_dir(&self.out, r, rb.sample);
                    let path = dir.join("program.luau");
                    let program =
                        std::fs::read_to_string(&path).map_err(SynthError::io("reading", &path))?;
                    let result = rb.result.as_ref().expect("evaluated");
                    let fitness = format!("{:.3}", result.success_rate);
                    let round_s = r.to_string();
                    let steps = steps.to_string();
                    let refl = reflection(result);
                    let text = match cfg.synth.feedback {
                        Feedback::Auto => self.prompts.fill(
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
                            let order = ranked.as_deref().unwrap_or_default();
                            let (evaluated, programs) = self.evaluated(r, records)?;
                            self.prompts.ranking(
                                r,
                                ranking::ranking_text(order).trim_end(),
                                ranking::candidates_text(order, &evaluated, &programs).trim_end(),
                            )?
                        }
                        Feedback::HumanText => {
                            let path = self.out.join(format!("round_{r}")).join("critique.md");
                            let Ok(critique) = std::fs::read_to_string(&path) else {
                                return Ok(Outcome::Waiting {
                                    files: vec![path],
                                    what: format!(
                                        "your critique of round {r}'s best program (round_{r}/sample_{}/program.luau; see summary.md)",
                                        rb.sample
                                    ),
                                });
                            };
                            self.prompts.fill(
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
                    let reply = threads[rb.sample].reply.clone().unwrap_or_default();
                    Some((reply, text))
                }
            };
            next = Vec::with_capacity(k_samples);
            for (t, rec) in threads.iter().zip(records) {
                let msgs = match (rec.status, &t.reply, &feedback) {
                    (Status::LlmError, _, _) => t.messages.clone(),
                    (Status::Evaluated, _, Some((best_reply, text))) => {
                        let mut m = base.clone();
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
                            self.prompts.fill(
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
        }
        Ok(Outcome::Finished(Report {
            rounds,
            best,
            stopped_early,
            usage,
        }))
    }

    /// The evaluated samples of round `r` and their programs.
    fn evaluated<'r>(
        &self,
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
                let p = sample_dir(&self.out, r, s.sample).join("program.luau");
                std::fs::read_to_string(&p).map_err(SynthError::io("reading", &p))
            })
            .collect::<Result<_, _>>()?;
        Ok((evaluated, programs))
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
        let (evaluated, programs) = self.evaluated(r, records)?;
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

    /// Ask the LLM for the samples `missing`; returns each sample's reply or error.
    #[allow(clippy::type_complexity)]
    fn ask(
        &self,
        client: &LlmClient,
        threads: &[Thread],
        missing: &[usize],
    ) -> Vec<(usize, Result<(Choice, ReplyMeta), String>)> {
        if missing.is_empty() {
            return Vec::new();
        }
        let mut jobs: Vec<(Vec<Message>, Vec<usize>)> = Vec::new();
        for &k in missing {
            let m = &threads[k].messages;
            match jobs
                .iter_mut()
                .find(|(jm, _)| self.config.llm.use_n && jm == m)
            {
                Some((_, ks)) => ks.push(k),
                None => jobs.push((m.clone(), vec![k])),
            }
        }
        let answers = pool(&jobs, self.config.llm.parallel, |(m, ks)| {
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
        let answers = pool(&again, self.config.llm.parallel, |(m, _)| {
            client.complete(m, 1)
        });
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

    /// Extract, compile and dry-run sample `k` of round `r` (trained for `steps` env
    /// steps): the training request, or
    /// the failed record (already written).
    fn prepare(
        &self,
        r: usize,
        k: usize,
        reply: &str,
        steps: u64,
    ) -> Result<Result<CandidateRequest, SampleRecord>, SynthError> {
        let dir = sample_dir(&self.out, r, k);
        let meta: ReplyMeta = read_json(&dir.join("reply.json")).unwrap_or_default();
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
            let path = dir.join("result.json");
            write(&path, &json(&path, &rec)?)?;
            Ok(Err(rec))
        };
        let program = match extract_program(reply, meta.finish_reason.as_deref()) {
            Ok(p) => p,
            Err(e) => return fail(Status::ExtractError, e.to_string()),
        };
        let path = dir.join("program.luau");
        write(&path, &program)?;
        let s = &self.config.synth;
        let mut env = Env::load(&s.env, &self.roots)?;
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

    /// `steps`: the env-step budget of each candidate.
    fn write_reports(
        &self,
        rounds: &[Vec<SampleRecord>],
        best: Option<&Best>,
        usage: &Usage,
        steps: u64,
    ) -> Result<(), SynthError> {
        write(
            &self.out.join("messages.jsonl"),
            &messages_jsonl(
                &self.out,
                self.config.synth.rounds,
                self.config.synth.samples,
            ),
        )?;
        write(
            &self.out.join("summary.md"),
            &summary_md(&self.config, steps, rounds, best, usage),
        )?;
        super::plot::progress_png(
            &self.out.join("progress.png"),
            rounds,
            self.config.synth.rounds,
        )
    }
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

fn messages_jsonl(out: &Path, rounds: usize, samples: usize) -> String {
    let mut s = String::new();
    for r in 1..=rounds {
        for k in 0..samples {
            let dir = sample_dir(out, r, k);
            let Some(msgs) = read_json::<Vec<Message>>(&dir.join("request.json")) else {
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
    s
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
