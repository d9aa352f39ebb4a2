//! Composite rewards: a TOML reward file declaring weighted, transformed terms,
//! ensembles of programs, Lagrangian constraints on named components and ordered
//! subgoals, evaluated as one [`Reward`].
//!
//! Every part is a logged component of the result:
//! - `<name>`: a term's or ensemble's contribution, `weight · transform(raw)`;
//! - `<name>/raw`: its raw value; `<name>/<component>`: a term program's components;
//!   `<name>/m<j>`: an ensemble member's value;
//! - `lambda/<c>`, `violation/<c>` (signed), `violated/<c>` (0 or 1: its mean is the
//!   violation rate) and `penalty/<c>` (`−λ · violation`) per constraint on component `c`;
//! - `subgoal/<name>`: the bonus a subgoal paid at this step (0 otherwise).
//!
//! The total is the sum of the contributions, penalties and bonuses.

mod constraint;
mod ensemble;
mod error;
mod file;
mod layout;
mod subgoal;
mod transform;

pub use constraint::{Bounds, Multiplier};
pub use ensemble::{Aggregate, Aggregator};
pub use error::{FileError, Loc};
pub use file::{DEFAULT_LAMBDA_LR, Plan, parse_plan, read_plan};
pub use layout::Layout;
pub use subgoal::{Subgoal, Subgoals};
pub use transform::{Normalizer, Transform, log_sigmoid};

use serde::{Deserialize, Serialize};

use crate::env::{Env, EnvError, State, StateLayout};
use crate::reward::{Reward, RewardError, RewardOut, ScriptReward, load_program_with};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Names no term, ensemble or subgoal may take: the prefixes of the components the
/// constraints and subgoals log.
pub const RESERVED_NAMES: [&str; 5] = ["lambda", "violation", "violated", "penalty", "subgoal"];

/// A term or an ensemble with its programs and per-batch outputs.
struct Source {
    name: String,
    raw_name: String,
    member_names: Vec<String>,
    programs: Vec<ScriptReward>,
    outs: Vec<Vec<RewardOut>>,
    aggregate: Option<Aggregator>,
    weight: f64,
    transform: Transform,
    /// `lsc`'s r_ref still to be taken as this quantile (see [`CompositeReward::calibrate`]).
    r_ref_quantile: Option<f64>,
}

/// Steps of the uniform random policy whose raw term values give `r_ref_quantile`.
pub const REFERENCE_STEPS: usize = 2000;

/// Seed of that reference rollout (env and action sampling).
const REFERENCE_SEED: u64 = 0;

/// A constraint with its multiplier.
struct Constraint {
    component: String,
    names: [String; 4],
    bounds: Bounds,
    lr: f64,
    at: Loc,
    multiplier: Multiplier,
    /// Produced index of the constrained component (see [`Layout`]).
    index: usize,
}

/// What a checkpoint keeps of a composite reward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct CompositeState {
    normalizers: Vec<Option<Normalizer>>,
    multipliers: Vec<Multiplier>,
    subgoal_progress: Vec<usize>,
}

/// A reward file's terms, ensembles, constraints and subgoals as one [`Reward`].
pub struct CompositeReward {
    file: String,
    sources: Vec<Source>,
    constraints: Vec<Constraint>,
    subgoals: Subgoals,
    members: Vec<f64>,
    values: Vec<f64>,
    layout: Layout,
}

impl CompositeReward {
    /// Compile every program of `plan` against `layout`.
    pub fn build(plan: Plan, layout: &StateLayout) -> Result<Self, RewardError> {
        let compile = |p: &std::path::Path| -> Result<ScriptReward, RewardError> {
            ScriptReward::from_program(load_program_with(p, layout, plan.limits)?)
        };
        let sources = plan
            .sources
            .into_iter()
            .map(|s| {
                let programs = s
                    .programs
                    .iter()
                    .map(|p| compile(p))
                    .collect::<Result<Vec<_>, _>>()?;
                let member_names = match s.aggregate {
                    Some(_) => (0..programs.len())
                        .map(|j| format!("{}/m{j}", s.name))
                        .collect(),
                    None => Vec::new(),
                };
                Ok(Source {
                    raw_name: format!("{}/raw", s.name),
                    name: s.name,
                    member_names,
                    outs: vec![Vec::new(); programs.len()],
                    programs,
                    aggregate: s.aggregate,
                    weight: s.weight,
                    transform: s.transform,
                    r_ref_quantile: s.r_ref_quantile,
                })
            })
            .collect::<Result<Vec<_>, RewardError>>()?;
        let constraints = plan
            .constraints
            .into_iter()
            .map(|c| Constraint {
                names: ["lambda", "violation", "violated", "penalty"]
                    .map(|p| format!("{p}/{}", c.component)),
                component: c.component,
                bounds: c.bounds,
                lr: c.lr,
                at: c.at,
                multiplier: Multiplier::default(),
                index: 0,
            })
            .collect();
        let mut goals = Vec::new();
        for g in plan.subgoals {
            let mut program = compile(&g.program)?;
            if !program.program().has_success() {
                return Err(FileError::new(
                    &plan.file,
                    g.at,
                    "a subgoal program must define `success(s)`",
                )
                .into());
            }
            goals.push(Subgoal {
                component: format!("subgoal/{}", g.name),
                program,
                bonus: g.bonus,
            });
        }
        Ok(Self {
            file: plan.file,
            sources,
            constraints,
            subgoals: Subgoals::new(goals),
            members: Vec::new(),
            values: Vec::new(),
            layout: Layout::default(),
        })
    }

    /// Evaluate `state` once to check what only a run shows (every constrained
    /// component exists, no two components share a name), then restore the state
    /// (normalizers, multipliers, subgoal progress) as it was.
    pub fn probe(&mut self, state: &State) -> Result<(), RewardError> {
        let saved = self.state();
        let mut out = [RewardOut::default()];
        self.eval_batch(std::slice::from_ref(state), &mut out)?;
        if let Some(w) = out[0].components.windows(2).find(|w| w[0].0 == w[1].0) {
            let loc = Loc::new("top level", None, "", None);
            return Err(FileError::new(
                &self.file,
                loc,
                format!(
                    "two components are named \"{}\"; rename a program component or a term",
                    w[0].0
                ),
            )
            .into());
        }
        self.set_state(saved);
        Ok(())
    }

    /// Sets each `lsc` term's `r_ref_quantile = q` reference: the q-quantile (linear
    /// interpolation) of its raw value over [`REFERENCE_STEPS`] steps of a uniformly
    /// random policy on a copy of `env` (Wang et al. 2024 take r_ref as a quantile of the
    /// reward under a reference policy). Deterministic: a fixed seed.
    pub fn calibrate(&mut self, env: &Env) -> Result<(), RewardError> {
        if self.sources.iter().all(|s| s.r_ref_quantile.is_none()) {
            return Ok(());
        }
        let file = self.file.clone();
        let fail = |e: EnvError| -> RewardError {
            let loc = Loc::new("top level", None, "", None);
            let msg = format!("rolling out the random reference policy for r_ref_quantile: {e}");
            FileError::new(&file, loc, msg).into()
        };
        let mut env = env.duplicate().map_err(fail)?;
        env.reset(Some(REFERENCE_SEED)).map_err(fail)?;
        let space = env.compiled().action_space.clone();
        let mut rng = ChaCha8Rng::seed_from_u64(REFERENCE_SEED);
        let mut states = Vec::with_capacity(REFERENCE_STEPS);
        for _ in 0..REFERENCE_STEPS {
            let (_, flags) = env.step(&space.sample(&mut rng)).map_err(fail)?;
            states.push(env.state().clone());
            if flags.terminated || flags.truncated {
                env.reset(None).map_err(fail)?;
            }
        }
        let saved = self.state();
        let mut outs = vec![RewardOut::default(); states.len()];
        self.eval_batch(&states, &mut outs)?;
        self.set_state(saved);
        for s in &mut self.sources {
            let Some(q) = s.r_ref_quantile else { continue };
            let mut raw: Vec<f64> = outs
                .iter()
                .filter_map(|o| o.component(&s.raw_name))
                .filter(|v| v.is_finite())
                .collect();
            if let Transform::Lsc { r_ref } = &mut s.transform {
                *r_ref = quantile(&mut raw, q).unwrap_or(0.0);
            }
        }
        Ok(())
    }

    fn state(&self) -> CompositeState {
        CompositeState {
            normalizers: self
                .sources
                .iter()
                .map(|s| s.transform.normalizer().cloned())
                .collect(),
            multipliers: self
                .constraints
                .iter()
                .map(|c| c.multiplier.clone())
                .collect(),
            subgoal_progress: self.subgoals.progress().to_vec(),
        }
    }

    fn set_state(&mut self, s: CompositeState) {
        for (src, n) in self.sources.iter_mut().zip(s.normalizers) {
            if let Some(n) = n {
                src.transform.set_normalizer(n);
            }
        }
        for (c, m) in self.constraints.iter_mut().zip(s.multipliers) {
            c.multiplier = m;
        }
        self.subgoals.set_progress(s.subgoal_progress);
    }

    /// Combine the programs' outputs for state `i` into `o`.
    fn combine(&mut self, i: usize, o: &mut RewardOut) -> Result<(), RewardError> {
        self.values.clear();
        let mut same = true;
        let mut total = 0.0;
        for s in &mut self.sources {
            let raw = match &s.aggregate {
                None => {
                    let r = &s.outs[0][i];
                    for (c, v) in &r.components {
                        same &= self.layout.matches(self.values.len(), &s.name, Some(c));
                        self.values.push(*v);
                    }
                    r.total
                }
                Some(a) => {
                    self.members.clear();
                    for (name, out) in s.member_names.iter().zip(&s.outs) {
                        same &= self.layout.matches(self.values.len(), name, None);
                        self.members.push(out[i].total);
                        self.values.push(out[i].total);
                    }
                    a.apply(&mut self.members)
                }
            };
            let v = s.weight * s.transform.apply(raw);
            same &= self.layout.matches(self.values.len(), &s.raw_name, None);
            same &= self.layout.matches(self.values.len() + 1, &s.name, None);
            self.values.extend([raw, v]);
            total += v;
        }
        let from_sources = self.values.len();
        if !same || self.layout.len() != from_sources + self.fixed_names().count() {
            self.relayout(i, from_sources)?;
        }
        for c in &mut self.constraints {
            let v = c.bounds.violation(self.values[c.index]);
            c.multiplier.observe(v);
            let penalty = -c.multiplier.lambda * v;
            let violated = f64::from(u8::from(v > 0.0));
            self.values
                .extend([c.multiplier.lambda, v, violated, penalty]);
            total += penalty;
        }
        let reached = self.subgoals.reach(i);
        for (j, g) in self.subgoals.goals().iter().enumerate() {
            let paid = if reached == Some(j) { g.bonus } else { 0.0 };
            self.values.push(paid);
            total += paid;
        }
        self.layout.write(&self.values, o);
        o.total = total;
        Ok(())
    }

    /// The names of the constraints' and subgoals' components, in produced order.
    fn fixed_names(&self) -> impl Iterator<Item = &String> {
        self.constraints
            .iter()
            .flat_map(|c| c.names.iter())
            .chain(self.subgoals.goals().iter().map(|g| &g.component))
    }

    /// The sources produced other components than the layout holds (the first state
    /// seen, or a program whose components changed): rebuild it from state `i` and
    /// find each constraint's component in it.
    fn relayout(&mut self, i: usize, from_sources: usize) -> Result<(), RewardError> {
        let mut names = Vec::with_capacity(from_sources);
        for s in &self.sources {
            match s.aggregate {
                None => names.extend(
                    s.outs[0][i]
                        .components
                        .iter()
                        .map(|(c, _)| format!("{}/{c}", s.name)),
                ),
                Some(_) => names.extend(s.member_names.iter().cloned()),
            }
            names.extend([s.raw_name.clone(), s.name.clone()]);
        }
        names.extend(self.fixed_names().cloned());
        self.layout.set(names);
        for c in &mut self.constraints {
            c.index = self
                .layout
                .index(&c.component, from_sources)
                .ok_or_else(|| {
                    let mut known = self.layout.names()[..from_sources].to_vec();
                    known.sort_unstable();
                    FileError::new(
                        &self.file,
                        c.at.clone(),
                        format!(
                            "no term produces component \"{}\"; components: {}",
                            c.component,
                            known.join(", ")
                        ),
                    )
                })?;
        }
        Ok(())
    }
}

impl Reward for CompositeReward {
    fn name(&self) -> &str {
        &self.file
    }

    fn eval_batch(&mut self, states: &[State], out: &mut [RewardOut]) -> Result<(), RewardError> {
        for s in &mut self.sources {
            for (p, o) in s.programs.iter_mut().zip(&mut s.outs) {
                o.resize(states.len(), RewardOut::default());
                p.eval_batch(states, o)?;
            }
        }
        self.subgoals.eval(states)?;
        for (i, o) in out.iter_mut().enumerate().take(states.len()) {
            self.combine(i, o)?;
        }
        Ok(())
    }

    /// A reward file defines no success predicate: the env's own applies.
    fn success_batch(
        &mut self,
        _states: &[State],
        out: &mut [Option<bool>],
    ) -> Result<(), RewardError> {
        out.fill(None);
        Ok(())
    }

    fn end_episodes(&mut self, done: &[bool]) {
        self.subgoals.end_episodes(done);
    }

    fn end_update(&mut self) {
        for c in &mut self.constraints {
            c.multiplier.end_update(c.lr);
        }
    }

    fn save_state(&self) -> serde_json::Value {
        serde_json::to_value(self.state()).unwrap_or(serde_json::Value::Null)
    }

    fn load_state(&mut self, state: serde_json::Value) -> Result<(), RewardError> {
        let bad = |message: String| RewardError::State {
            reward: self.file.clone(),
            message,
        };
        let s: CompositeState = serde_json::from_value(state).map_err(|e| bad(e.to_string()))?;
        let fits = s.normalizers.len() == self.sources.len()
            && s.multipliers.len() == self.constraints.len()
            && s.normalizers
                .iter()
                .zip(&self.sources)
                .all(|(n, src)| n.is_some() == src.transform.normalizer().is_some());
        if !fits {
            return Err(bad(format!(
                "saved for {} terms/ensembles and {} constraints, the file has {} and {}",
                s.normalizers.len(),
                s.multipliers.len(),
                self.sources.len(),
                self.constraints.len()
            )));
        }
        self.set_state(s);
        Ok(())
    }
}

#[cfg(test)]
mod tests;

/// The `q`-quantile of `values` with linear interpolation between order statistics
/// (NumPy's default); `None` when empty.
fn quantile(values: &mut [f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable_by(f64::total_cmp);
    let pos = q * (values.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos.fract());
    let hi = (lo + 1).min(values.len() - 1);
    Some(values[lo] + frac * (values[hi] - values[lo]))
}
