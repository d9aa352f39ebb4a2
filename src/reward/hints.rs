//! `reward lint`'s suggestions: places where a program approximates something the
//! reward API gives directly (a hand-copied mass table, joint limits or action bounds
//! typed in as numbers, a site's offset rotated by hand, a value carried over from the
//! previous call), each with the accessor to use instead. Best effort and advisory: a
//! hint never stops a program.

use super::tokens::{Tok, tokenize};
use crate::env::StateLayout;
use std::fmt;

/// One suggestion: where, and what to use instead.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    /// 1-based line of the code it is about.
    pub line: u32,
    /// What the code seems to do and the accessor that does it.
    pub message: String,
}

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Whether a literal `x` is (to 4 significant digits) the value `v`.
fn same_number(x: f64, v: f64) -> bool {
    v != 0.0 && (x - v).abs() <= 5e-4 * v.abs().max(1e-3)
}

/// Suggestions for `src` against `layout`, in line order.
pub fn hints(src: &str, layout: &StateLayout) -> Vec<Hint> {
    let toks = tokenize(src);
    let mut out = Vec::new();
    mass_table(&toks, layout, &mut out);
    copied_bounds(&toks, layout, &mut out);
    site_offsets(&toks, layout, &mut out);
    carried_values(&toks, &mut out);
    out.sort_by_key(|h| h.line);
    out
}

/// Two or more robot links' masses written out: keyed by the link's name (`torso =
/// 8.907`), or numbers too precise to be round ones (1, 2.5 or 0.25 are thresholds and
/// weights far more often than masses).
fn mass_table(toks: &[(Tok, u32)], layout: &StateLayout, out: &mut Vec<Hint>) {
    let mut found: Vec<usize> = Vec::new();
    let mut first_line = 0;
    let keyed_by_a_link = |k: usize| {
        k >= 2
            && toks[k - 1].0 == Tok::Punct('=')
            && match &toks[k - 2].0 {
                Tok::Ident(n) | Tok::Str(n) => layout.bodies[..layout.robot_links].contains(n),
                Tok::Punct(']') => matches!(toks.get(k.wrapping_sub(3)).map(|t| &t.0),
                    Some(Tok::Str(n)) if layout.bodies[..layout.robot_links].contains(n)),
                _ => false,
            }
    };
    for (k, (tok, line)) in toks.iter().enumerate() {
        let Tok::Num(x) = tok else { continue };
        let round = (x * 100.0).fract() == 0.0;
        if round && !keyed_by_a_link(k) {
            continue;
        }
        let hit = (0..layout.robot_links)
            .find(|&i| !found.contains(&i) && same_number(*x, layout.body_masses[i]));
        if let Some(i) = hit {
            if found.is_empty() {
                first_line = *line;
            }
            found.push(i);
        }
    }
    if found.len() >= 2 {
        let names: Vec<&str> = found.iter().map(|&i| layout.bodies[i].as_str()).collect();
        out.push(Hint {
            line: first_line,
            message: format!(
                "these numbers are the masses of {}: read them as s.body(name).mass, \
                 and the robot's centre of mass and its velocity as s.com() and s.com_vel()",
                names.join(", ")
            ),
        });
    }
}

/// A joint limit or an action bound typed in on a line that reads that joint or the
/// action.
fn copied_bounds(toks: &[(Tok, u32)], layout: &StateLayout, out: &mut Vec<Hint>) {
    // Tokens come in line order: one group per line.
    for group in toks.chunk_by(|a, b| a.1 == b.1) {
        let line = group[0].1;
        let on_line: Vec<&Tok> = group.iter().map(|(t, _)| t).collect();
        let nums: Vec<f64> = on_line
            .iter()
            .filter_map(|t| match t {
                Tok::Num(x) => Some(*x),
                _ => None,
            })
            .collect();
        let names_ident = |id: &str| {
            on_line
                .iter()
                .any(|t| matches!(t, Tok::Ident(i) if i == id))
        };
        if names_ident("joint") {
            let joint = layout.joints.iter().find(|j| {
                on_line
                    .iter()
                    .any(|t| matches!(t, Tok::Str(n) if *n == j.name))
                    && j.limits.is_some_and(|[lo, hi]| {
                        nums.iter().any(|&x| {
                            same_number(x.abs(), lo.abs()) || same_number(x.abs(), hi.abs())
                        })
                    })
            });
            if let Some(j) = joint {
                out.push(Hint {
                    line,
                    message: format!(
                        "a limit of joint \"{}\" is typed in: s.joint(\"{}\").lower, .upper \
                         and .range give them",
                        j.name, j.name
                    ),
                });
            }
        }
        if names_ident("action") && !names_ident("action_norm") {
            let bound =
                layout.action_ranges.iter().flatten().any(|&b| {
                    b.abs() != 1.0 && nums.iter().any(|&x| same_number(x.abs(), b.abs()))
                });
            if bound {
                out.push(Hint {
                    line,
                    message: "the action is scaled by a bound of its range: \
                              s.action_norm[i] is the action in the policy's [-1, 1]"
                        .into(),
                });
            }
        }
    }
}

/// `quat:rotate(vec3(x, y, z))` with a site's offset: the site is that point.
fn site_offsets(toks: &[(Tok, u32)], layout: &StateLayout, out: &mut Vec<Hint>) {
    for k in 0..toks.len() {
        if toks[k].0 != Tok::Ident("vec3".into()) {
            continue;
        }
        let Some(v) = vec3_literal(&toks[k + 1..]) else {
            continue;
        };
        let site = layout.sites.iter().find(|s| {
            s.offset.iter().any(|&o| o != 0.0)
                && s.offset
                    .iter()
                    .zip(&v)
                    .all(|(&o, &x)| o == x || same_number(x, o))
        });
        if let Some(site) = site {
            out.push(Hint {
                line: toks[k].1,
                message: format!(
                    "this is the offset of site \"{}\" on \"{}\": s.site(\"{}\").pos and \
                     .linvel give that point",
                    site.name, layout.bodies[site.body], site.name
                ),
            });
        }
    }
}

/// The three numbers of `(x, y, z)` at the start of `toks` (each optionally negated).
fn vec3_literal(toks: &[(Tok, u32)]) -> Option<[f64; 3]> {
    let mut it = toks.iter().map(|(t, _)| t);
    if it.next() != Some(&Tok::Punct('(')) {
        return None;
    }
    let mut v = [0.0; 3];
    for (i, slot) in v.iter_mut().enumerate() {
        let mut t = it.next()?;
        let sign = if *t == Tok::Punct('-') {
            t = it.next()?;
            -1.0
        } else {
            1.0
        };
        let Tok::Num(x) = t else { return None };
        *slot = sign * x;
        let want = if i < 2 { ',' } else { ')' };
        if it.next() != Some(&Tok::Punct(want)) {
            return None;
        }
    }
    Some(v)
}

/// A name like `prev_x`, `last_height` or `x_before` assigned in a program that never
/// reads `s.prev`: a value carried between calls, which the VM pool does not keep per
/// env.
fn carried_values(toks: &[(Tok, u32)], out: &mut Vec<Hint>) {
    let reads_prev = toks.iter().any(|(t, _)| *t == Tok::Ident("prev".into()));
    if reads_prev {
        return;
    }
    let carried = |id: &str| {
        let id = id.to_ascii_lowercase();
        ["prev_", "previous_", "last_", "old_"]
            .iter()
            .any(|p| id.starts_with(p))
            || ["_prev", "_previous", "_last", "_before"]
                .iter()
                .any(|p| id.ends_with(p))
    };
    for k in 0..toks.len() {
        let (Tok::Ident(id), line) = &toks[k] else {
            continue;
        };
        let assigned = toks.get(k + 1).map(|(t, _)| t) == Some(&Tok::Punct('='))
            && toks.get(k + 2).map(|(t, _)| t) != Some(&Tok::Punct('='));
        if assigned && carried(id) {
            out.push(Hint {
                line: *line,
                message: format!(
                    "`{id}` looks like a value kept from the previous call; a reward \
                     program's calls are spread over a pool of VMs, so read the previous \
                     step as s.prev (e.g. s.prev.body(\"torso\").pos; nil at an \
                     episode's first step)"
                ),
            });
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{JointInfo, JointKind, SiteInfo};

    fn layout() -> StateLayout {
        StateLayout {
            bodies: vec![
                "torso".into(),
                "thigh".into(),
                "shin".into(),
                "ground".into(),
            ],
            robot_links: 3,
            body_masses: vec![8.907, 4.5, 2.755, 0.0],
            body_coms: vec![[0.0; 3]; 4],
            joints: vec![JointInfo {
                name: "knee".into(),
                kind: JointKind::Revolute,
                limits: Some([-2.7925, 0.0349]),
                parent: 1,
                child: 2,
            }],
            actuators: vec!["knee".into()],
            action_ranges: vec![[-0.4, 0.4]],
            task: Vec::new(),
            sites: vec![SiteInfo {
                name: "foot".into(),
                body: 2,
                offset: [0.0, 0.0, -0.3],
            }],
            success: None,
            dt: 0.02,
        }
    }

    fn messages(src: &str) -> Vec<String> {
        hints(src, &layout())
            .into_iter()
            .map(|h| h.to_string())
            .collect()
    }

    #[test]
    fn each_approximation_gets_its_accessor() {
        let masses = "local M = { torso = 8.907, thigh = 4.5 }\nfunction reward(s) return 0 end";
        let m = messages(masses);
        assert_eq!(m.len(), 1, "{m:?}");
        assert!(
            m[0].starts_with("line 1:") && m[0].contains("s.com()"),
            "{m:?}"
        );
        let limit = "function reward(s)\n  return -math.abs(s.joint('knee').q + 2.7925)\nend";
        let m = messages(limit);
        assert!(m.len() == 1 && m[0].contains(".lower, .upper"), "{m:?}");
        let scaled = "function reward(s)\n  local a = s.action[1] / 0.4\n  return -a * a\nend";
        let m = messages(scaled);
        assert!(m.len() == 1 && m[0].contains("s.action_norm"), "{m:?}");
        let site = "function reward(s)\n  local b = s.body('shin')\n  \
                    local p = b.pos + b.quat:rotate(vec3(0, 0, -0.3))\n  return p.z\nend";
        let m = messages(site);
        assert!(
            m.len() == 1 && m[0].starts_with("line 3:") && m[0].contains("s.site(\"foot\")"),
            "{m:?}"
        );
        let carried = "local last_x = 0\nfunction reward(s)\n  local x = s.body('torso').pos.x\n  \
                       local v = (x - last_x) / s.dt\n  last_x = x\n  return v\nend";
        let m = messages(carried);
        assert!(m.len() == 1 && m[0].contains("s.prev"), "{m:?}");
    }

    #[test]
    fn programs_using_the_accessors_get_no_hints() {
        let src = "function reward(s)\n  local t = s.body('torso')\n  \
                   local v = (t.pos.x - s.prev.body('torso').pos.x) / s.dt\n  \
                   local knee = s.joint('knee')\n  \
                   local bend = (knee.q - knee.lower) / knee.range\n  \
                   return v + bend - 0.1 * s.action_norm[1] ^ 2 + s.site('foot').pos.z + s.com().z\nend";
        assert_eq!(messages(src), Vec::<String>::new());
        // One number that happens to be a mass is not a table, nor are round numbers.
        assert_eq!(
            messages("function reward(s) return 4.5 end"),
            Vec::<String>::new()
        );
        let round = "function reward(s)\n  return if s.t > 4.5 then 2.755 else 4.5\nend";
        assert_eq!(messages(round), Vec::<String>::new());
        let keyed =
            "local M = { [\"thigh\"] = 4.5, shin = 2.755 }\nfunction reward(s) return 0 end";
        assert_eq!(messages(keyed).len(), 1);
    }
}
