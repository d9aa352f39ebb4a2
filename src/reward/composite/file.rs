//! The reward file: its TOML schema (unknown keys refused) and its validation into a
//! [`Plan`] of checked values, with program paths resolved relative to the file.

use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

use super::constraint::Bounds;
use super::ensemble::{Aggregate, Aggregator};
use super::error::{FileError, Loc};
use super::transform::{Normalizer, Transform};
use crate::reward::Limits;

/// Learning rate of a constraint's multiplier when the file gives none.
pub const DEFAULT_LAMBDA_LR: f64 = 0.1;

type S<T> = Spanned<T>;

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RewardFile {
    #[serde(default)]
    terms: Vec<TermSpec>,
    #[serde(default)]
    ensembles: Vec<EnsembleSpec>,
    #[serde(default)]
    constraints: Vec<ConstraintSpec>,
    #[serde(default)]
    subgoals: Vec<SubgoalSpec>,
    limits: Option<LimitsSpec>,
}

/// `[limits]`: the sandbox budget of every program in the file, per call.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsSpec {
    /// Operations (loop iterations and calls): the deterministic bound.
    ops: Option<S<u64>>,
    /// VM memory in MiB.
    memory_mb: Option<S<u64>>,
    /// The wall-clock backstop in milliseconds.
    call_ms: Option<S<u64>>,
}

/// The most a reward file may raise each budget to: generous for any reward, and still
/// a bound on a program that loops or hoards.
const MAX_OPS: u64 = 100_000_000;
const MAX_MEMORY_MB: u64 = 4096;
const MAX_CALL_MS: u64 = 60_000;

/// `transform = "..."` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum TransformKind {
    None,
    Lsc,
    Normalize,
    Clip,
}

/// `[[terms]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TermSpec {
    name: S<String>,
    program: Option<S<String>>,
    clip: Option<S<toml::Value>>,
    weight: Option<S<f64>>,
    transform: Option<S<TransformKind>>,
    r_ref: Option<S<f64>>,
    r_ref_quantile: Option<S<f64>>,
    lo: Option<S<f64>>,
    hi: Option<S<f64>>,
}

/// `[[ensembles]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EnsembleSpec {
    name: S<String>,
    programs: S<Vec<S<String>>>,
    aggregate: S<Aggregate>,
    k: Option<S<f64>>,
    weight: Option<S<f64>>,
    transform: Option<S<TransformKind>>,
    r_ref: Option<S<f64>>,
    r_ref_quantile: Option<S<f64>>,
    lo: Option<S<f64>>,
    hi: Option<S<f64>>,
}

/// `[[constraints]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConstraintSpec {
    component: S<String>,
    max: Option<S<f64>>,
    min: Option<S<f64>>,
    lr: Option<S<f64>>,
}

/// `[[subgoals]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SubgoalSpec {
    name: Option<S<String>>,
    program: S<String>,
    bonus: S<f64>,
}

/// A term or an ensemble, checked: the programs it runs and how its value is formed.
#[derive(Debug, Clone)]
pub struct SourcePlan {
    /// Its name (component prefix).
    pub name: String,
    /// Program files (one for a term).
    pub programs: Vec<PathBuf>,
    /// How members combine (ensembles only).
    pub aggregate: Option<Aggregator>,
    /// Weight of the transformed value in the total.
    pub weight: f64,
    /// Transform of the raw value.
    pub transform: Transform,
    /// `lsc` with `r_ref_quantile = q`: r_ref is still to be taken as the q-quantile of
    /// the raw value under the random reference policy (see `CompositeReward::calibrate`).
    pub r_ref_quantile: Option<f64>,
}

/// A constraint, checked.
#[derive(Debug, Clone)]
pub struct ConstraintPlan {
    /// The constrained component (a name the terms log).
    pub component: String,
    /// Its bounds.
    pub bounds: Bounds,
    /// Learning rate of λ.
    pub lr: f64,
    /// Where `component` is written (for errors found while running).
    pub at: Loc,
}

/// A subgoal, checked.
#[derive(Debug, Clone)]
pub struct SubgoalPlan {
    /// Its name.
    pub name: String,
    /// Program file (must define `success(s)`).
    pub program: PathBuf,
    /// Bonus paid when reached.
    pub bonus: f64,
    /// Where `program` is written.
    pub at: Loc,
}

/// A validated reward file.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The file as named in messages.
    pub file: String,
    /// The sandbox limits of its programs (the defaults where `[limits]` is silent).
    pub limits: Limits,
    /// Terms, then ensembles, in file order.
    pub sources: Vec<SourcePlan>,
    /// Constraints in file order.
    pub constraints: Vec<ConstraintPlan>,
    /// Subgoals in the order they must be reached.
    pub subgoals: Vec<SubgoalPlan>,
}

/// Read, parse and check a reward file.
pub fn read_plan(path: &Path) -> Result<Plan, FileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| {
        FileError::new(
            &file,
            Loc::new("top level", None, "", None),
            format!("reading: {e}"),
        )
    })?;
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    parse_plan(&file, &text, &dir)
}

/// Parse and check reward-file `text` (named `file`), resolving paths against `dir`.
pub fn parse_plan(file: &str, text: &str, dir: &Path) -> Result<Plan, FileError> {
    let raw: RewardFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map(|s| s.start);
        let table = offset.map_or("top level".to_string(), |o| table_at(text, o));
        let key = e.span().and_then(|s| key_at(text, s));
        let loc = Loc::new(&table, key.as_deref(), text, offset);
        FileError::new(file, loc, e.message().trim())
    })?;
    Checker { file, text, dir }.plan(raw)
}

/// The table that holds byte `offset`: the last `[name]` or `[[name]]` header before it
/// (array tables numbered from 0), or `top level`.
fn table_at(text: &str, offset: usize) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    let mut current = "top level".to_string();
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if pos > offset {
            break;
        }
        pos += line.len();
        let t = line.trim();
        if let Some(name) = t.strip_prefix("[[").and_then(|r| r.split("]]").next()) {
            let name = name.trim().to_string();
            let n = match counts.iter_mut().find(|(k, _)| *k == name) {
                Some((_, c)) => {
                    *c += 1;
                    *c
                }
                None => {
                    counts.push((name.clone(), 0));
                    0
                }
            };
            current = format!("{name}[{n}]");
        } else if let Some(name) = t.strip_prefix('[').and_then(|r| r.split(']').next()) {
            current = name.trim().to_string();
        }
    }
    current
}

/// The key a parse error at `span` is about: the span itself when it is a bare key
/// (an unknown field), else the `key = ...` its line starts with (a bad value).
fn key_at(text: &str, span: std::ops::Range<usize>) -> Option<String> {
    let bare = |s: &str| {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        ok.then(|| s.to_string())
    };
    if let Some(k) = text.get(span.clone()).and_then(bare) {
        return Some(k);
    }
    let start = text.get(..span.start)?.rfind('\n').map_or(0, |i| i + 1);
    let line = text.get(start..span.start)?;
    line.split_once('=').and_then(|(k, _)| bare(k))
}

/// Validation of a parsed file.
struct Checker<'a> {
    file: &'a str,
    text: &'a str,
    dir: &'a Path,
}

impl Checker<'_> {
    fn loc<T>(&self, table: &str, key: &str, v: &S<T>) -> Loc {
        Loc::new(table, Some(key), self.text, Some(v.span().start))
    }

    fn err<T>(&self, table: &str, key: &str, v: &S<T>, msg: impl Into<String>) -> FileError {
        FileError::new(self.file, self.loc(table, key, v), msg)
    }

    fn plan(&self, raw: RewardFile) -> Result<Plan, FileError> {
        let mut sources = Vec::new();
        for (i, t) in raw.terms.iter().enumerate() {
            sources.push(self.term(&format!("terms[{i}]"), t)?);
        }
        for (i, e) in raw.ensembles.iter().enumerate() {
            sources.push(self.ensemble(&format!("ensembles[{i}]"), e)?);
        }
        if sources.is_empty() {
            let loc = Loc::new("top level", None, self.text, None);
            return Err(FileError::new(
                self.file,
                loc,
                "no [[terms]] or [[ensembles]]: a reward file needs at least one",
            ));
        }
        let subgoals = raw
            .subgoals
            .iter()
            .enumerate()
            .map(|(i, g)| self.subgoal(&format!("subgoals[{i}]"), g))
            .collect::<Result<Vec<_>, _>>()?;
        self.unique_names(&raw, &subgoals)?;
        let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
        let constraints = raw
            .constraints
            .iter()
            .enumerate()
            .map(|(i, c)| self.constraint(&format!("constraints[{i}]"), c, &names))
            .collect::<Result<Vec<_>, _>>()?;
        let limits = match &raw.limits {
            Some(l) => self.limits(l)?,
            None => Limits::default(),
        };
        Ok(Plan {
            file: self.file.to_string(),
            limits,
            sources,
            constraints,
            subgoals,
        })
    }

    /// `[limits]`: each given budget in 1..=its maximum.
    fn limits(&self, l: &LimitsSpec) -> Result<Limits, FileError> {
        let mut limits = Limits::default();
        let check = |key: &str, v: &S<u64>, max: u64| {
            let n = *v.get_ref();
            if (1..=max).contains(&n) {
                Ok(n)
            } else {
                Err(self.err("limits", key, v, format!("expected 1 to {max}, found {n}")))
            }
        };
        if let Some(v) = &l.ops {
            limits.max_ops = check("ops", v, MAX_OPS)?;
        }
        if let Some(v) = &l.memory_mb {
            limits.memory_bytes = (check("memory_mb", v, MAX_MEMORY_MB)? as usize) << 20;
        }
        if let Some(v) = &l.call_ms {
            limits.max_call_time =
                std::time::Duration::from_millis(check("call_ms", v, MAX_CALL_MS)?);
        }
        Ok(limits)
    }

    /// Names are component prefixes: non-empty, without `/`, each used once.
    fn unique_names(&self, raw: &RewardFile, subgoals: &[SubgoalPlan]) -> Result<(), FileError> {
        let mut seen: Vec<&str> = Vec::new();
        let named = raw
            .terms
            .iter()
            .enumerate()
            .map(|(i, t)| (format!("terms[{i}]"), &t.name))
            .chain(
                raw.ensembles
                    .iter()
                    .enumerate()
                    .map(|(i, e)| (format!("ensembles[{i}]"), &e.name)),
            );
        for (table, name) in named {
            let n = name.get_ref().as_str();
            if n.is_empty() || n.contains('/') {
                return Err(self.err(
                    &table,
                    "name",
                    name,
                    "expected a non-empty name without `/`",
                ));
            }
            if seen.contains(&n) || super::RESERVED_NAMES.contains(&n) {
                return Err(self.err(
                    &table,
                    "name",
                    name,
                    format!(
                        "name \"{n}\" is already used (or reserved: {})",
                        super::RESERVED_NAMES.join(", ")
                    ),
                ));
            }
            seen.push(n);
        }
        for (i, (g, spec)) in subgoals.iter().zip(&raw.subgoals).enumerate() {
            if subgoals[..i].iter().any(|o| o.name == g.name) {
                let table = format!("subgoals[{i}]");
                return Err(match &spec.name {
                    Some(n) => self.err(
                        &table,
                        "name",
                        n,
                        format!("subgoal name \"{}\" is already used", g.name),
                    ),
                    None => self.err(
                        &table,
                        "program",
                        &spec.program,
                        format!(
                            "subgoal name \"{}\" (the file's stem) is already used; give a `name`",
                            g.name
                        ),
                    ),
                });
            }
        }
        Ok(())
    }

    fn program(&self, table: &str, key: &str, p: &S<String>) -> Result<PathBuf, FileError> {
        let path = self.dir.join(p.get_ref());
        if !path.is_file() {
            return Err(self.err(
                table,
                key,
                p,
                format!("no such program: {}", path.display()),
            ));
        }
        Ok(path)
    }

    fn finite(
        &self,
        table: &str,
        key: &str,
        v: &Option<S<f64>>,
        default: f64,
    ) -> Result<f64, FileError> {
        match v {
            Some(x) if !x.get_ref().is_finite() => Err(self.err(
                table,
                key,
                x,
                format!("expected a finite number, found {}", x.get_ref()),
            )),
            Some(x) => Ok(*x.get_ref()),
            None => Ok(default),
        }
    }

    fn term(&self, table: &str, t: &TermSpec) -> Result<SourcePlan, FileError> {
        let program = match (&t.program, &t.clip) {
            (Some(p), None) => self.program(table, "program", p)?,
            (_, Some(c)) => {
                return Err(self.err(table, "clip", c, "CLIP terms in reward files are not yet supported; use `train --clip-goal` with a .luau reward"));
            }
            (None, None) => {
                return Err(self.err(table, "name", &t.name, "a term needs a `program`"));
            }
        };
        let (transform, r_ref_quantile) = self.transform(
            table,
            &t.name,
            &t.transform,
            [&t.r_ref, &t.r_ref_quantile, &t.lo, &t.hi],
        )?;
        Ok(SourcePlan {
            name: t.name.get_ref().clone(),
            programs: vec![program],
            aggregate: None,
            weight: self.finite(table, "weight", &t.weight, 1.0)?,
            transform,
            r_ref_quantile,
        })
    }

    fn ensemble(&self, table: &str, e: &EnsembleSpec) -> Result<SourcePlan, FileError> {
        if e.programs.get_ref().is_empty() {
            return Err(self.err(
                table,
                "programs",
                &e.programs,
                "an ensemble needs at least one program",
            ));
        }
        let programs = e
            .programs
            .get_ref()
            .iter()
            .map(|p| self.program(table, "programs", p))
            .collect::<Result<Vec<_>, _>>()?;
        let kind = *e.aggregate.get_ref();
        let k = self.finite(table, "k", &e.k, 1.0)?;
        if let Some(ks) = &e.k {
            if kind != Aggregate::Uwo {
                return Err(self.err(table, "k", ks, "`k` applies to aggregate = \"uwo\" only"));
            }
            if k < 0.0 {
                return Err(self.err(table, "k", ks, format!("expected k ≥ 0, found {k}")));
            }
        }
        let (transform, r_ref_quantile) = self.transform(
            table,
            &e.name,
            &e.transform,
            [&e.r_ref, &e.r_ref_quantile, &e.lo, &e.hi],
        )?;
        Ok(SourcePlan {
            name: e.name.get_ref().clone(),
            programs,
            aggregate: Some(Aggregator { kind, k }),
            weight: self.finite(table, "weight", &e.weight, 1.0)?,
            transform,
            r_ref_quantile,
        })
    }

    /// The transform from `transform` and its parameters `[r_ref, r_ref_quantile, lo,
    /// hi]`, with the quantile still to calibrate; a parameter the transform does not
    /// take is an error.
    fn transform(
        &self,
        table: &str,
        name: &S<String>,
        kind: &Option<S<TransformKind>>,
        [r_ref, quantile, lo, hi]: [&Option<S<f64>>; 4],
    ) -> Result<(Transform, Option<f64>), FileError> {
        let k = kind.as_ref().map_or(TransformKind::None, |k| *k.get_ref());
        let takes = |key: &str| {
            matches!(
                (k, key),
                (TransformKind::Lsc, "r_ref" | "r_ref_quantile")
                    | (TransformKind::Clip, "lo" | "hi")
            )
        };
        for (key, v) in [
            ("r_ref", r_ref),
            ("r_ref_quantile", quantile),
            ("lo", lo),
            ("hi", hi),
        ] {
            if let Some(v) = v
                && !takes(key)
            {
                return Err(self.err(
                    table,
                    key,
                    v,
                    format!("`{key}` does not apply to this term's transform"),
                ));
            }
        }
        let missing = |key: &str, what: &str| {
            let at = kind.as_ref().map_or_else(
                || self.loc(table, "name", name),
                |k| self.loc(table, "transform", k),
            );
            let at = Loc {
                key: Some(key.to_string()),
                ..at
            };
            FileError::new(
                self.file,
                at,
                format!(
                    "transform = \"{what}\" needs `{key}`{}",
                    if what == "lsc" {
                        " or `r_ref_quantile`"
                    } else {
                        ""
                    }
                ),
            )
        };
        Ok(match k {
            TransformKind::None => (Transform::None, None),
            TransformKind::Normalize => (Transform::Normalize(Normalizer::default()), None),
            TransformKind::Lsc => match (r_ref, quantile) {
                (Some(_), None) => (
                    Transform::Lsc {
                        r_ref: self.finite(table, "r_ref", r_ref, 0.0)?,
                    },
                    None,
                ),
                (None, Some(q)) => {
                    let v = *q.get_ref();
                    if !(v > 0.0 && v < 1.0) {
                        return Err(self.err(
                            table,
                            "r_ref_quantile",
                            q,
                            format!("expected a quantile strictly between 0 and 1, found {v}"),
                        ));
                    }
                    (Transform::Lsc { r_ref: 0.0 }, Some(v))
                }
                (Some(_), Some(q)) => {
                    return Err(self.err(
                        table,
                        "r_ref_quantile",
                        q,
                        "give `r_ref` or `r_ref_quantile`, not both",
                    ));
                }
                (None, None) => return Err(missing("r_ref", "lsc")),
            },
            TransformKind::Clip => {
                let (Some(lo_s), Some(_)) = (lo, hi) else {
                    return Err(missing(if lo.is_none() { "lo" } else { "hi" }, "clip"));
                };
                let l = self.finite(table, "lo", lo, 0.0)?;
                let h = self.finite(table, "hi", hi, 0.0)?;
                if l > h {
                    return Err(self.err(table, "lo", lo_s, format!("lo {l} is above hi {h}")));
                }
                (Transform::Clip { lo: l, hi: h }, None)
            }
        })
    }

    fn constraint(
        &self,
        table: &str,
        c: &ConstraintSpec,
        names: &[&str],
    ) -> Result<ConstraintPlan, FileError> {
        let comp = c.component.get_ref();
        let prefix = comp.split('/').next().unwrap_or_default();
        if !names.contains(&prefix) {
            return Err(self.err(table, "component", &c.component, format!(
                "no term or ensemble produces component \"{comp}\"; components are <name>, <name>/raw or <name>/<program component>, with names: {}",
                names.join(", ")
            )));
        }
        let max = self.finite(table, "max", &c.max, 0.0)?;
        let min = self.finite(table, "min", &c.min, 0.0)?;
        let bounds = match (&c.min, &c.max) {
            (None, None) => {
                return Err(self.err(
                    table,
                    "component",
                    &c.component,
                    "a constraint needs `max`, `min` or both",
                ));
            }
            (None, Some(_)) => Bounds::Max(max),
            (Some(_), None) => Bounds::Min(min),
            (Some(m), Some(_)) if min > max => {
                return Err(self.err(table, "min", m, format!("min {min} is above max {max}")));
            }
            (Some(_), Some(_)) => Bounds::Both { min, max },
        };
        let lr = self.finite(table, "lr", &c.lr, DEFAULT_LAMBDA_LR)?;
        if let Some(l) = &c.lr
            && lr <= 0.0
        {
            return Err(self.err(table, "lr", l, format!("expected lr > 0, found {lr}")));
        }
        Ok(ConstraintPlan {
            component: comp.clone(),
            bounds,
            lr,
            at: self.loc(table, "component", &c.component),
        })
    }

    fn subgoal(&self, table: &str, g: &SubgoalSpec) -> Result<SubgoalPlan, FileError> {
        let program = self.program(table, "program", &g.program)?;
        let name = match &g.name {
            Some(n) if n.get_ref().is_empty() || n.get_ref().contains('/') => {
                return Err(self.err(table, "name", n, "expected a non-empty name without `/`"));
            }
            Some(n) => n.get_ref().clone(),
            None => program.file_stem().map_or_else(
                || g.program.get_ref().clone(),
                |s| s.to_string_lossy().into_owned(),
            ),
        };
        let bonus = *g.bonus.get_ref();
        if !bonus.is_finite() {
            return Err(self.err(
                table,
                "bonus",
                &g.bonus,
                format!("expected a finite number, found {bonus}"),
            ));
        }
        Ok(SubgoalPlan {
            name,
            program,
            bonus,
            at: self.loc(table, "program", &g.program),
        })
    }
}
