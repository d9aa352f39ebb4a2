//! Compile-time check of the literal names a program uses (`s.body("pole")`,
//! `s.joint("hinge")`, `s.contact("a", "b")`, `s.task.target`) against the layout, so a
//! typo is reported before any state is evaluated. Best effort: names built at run time
//! are checked when the call runs.

use super::suggest::unknown_name_message;
use crate::env::StateLayout;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Punct(char),
}

/// Tokens with their 1-based line; comments dropped, numbers and operators as punctuation.
fn tokenize(src: &str) -> Vec<(Tok, u32)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1u32);
    // Length of a long bracket opener `[==[` at j (returns level), if any.
    let long_open = |j: usize| -> Option<usize> {
        if c.get(j) != Some(&'[') {
            return None;
        }
        let mut k = j + 1;
        while c.get(k) == Some(&'=') {
            k += 1;
        }
        (c.get(k) == Some(&'[')).then_some(k - j - 1)
    };
    // Skips a long bracket body starting after its opener; returns the new index.
    let skip_long = |mut j: usize, level: usize, line: &mut u32| -> usize {
        while j < c.len() {
            if c[j] == '\n' {
                *line += 1;
            }
            if c[j] == ']' {
                let mut k = j + 1;
                while c.get(k) == Some(&'=') {
                    k += 1;
                }
                if k - j - 1 == level && c.get(k) == Some(&']') {
                    return k + 1;
                }
            }
            j += 1;
        }
        j
    };
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '-' && c.get(i + 1) == Some(&'-') {
            if let Some(level) = long_open(i + 2) {
                i = skip_long(i + 4 + level, level, &mut line);
            } else {
                while i < c.len() && c[i] != '\n' {
                    i += 1;
                }
            }
        } else if let Some(level) = long_open(i) {
            let start_line = line;
            let start = i + 2 + level;
            let end = skip_long(start, level, &mut line);
            let body: String = c[start..end.saturating_sub(2 + level).max(start)]
                .iter()
                .collect();
            out.push((Tok::Str(body), start_line));
            i = end;
        } else if ch == '"' || ch == '\'' || ch == '`' {
            let mut s = String::new();
            let mut j = i + 1;
            while j < c.len() && c[j] != ch && c[j] != '\n' {
                if c[j] == '\\' && j + 1 < c.len() {
                    j += 1;
                }
                s.push(c[j]);
                j += 1;
            }
            out.push((Tok::Str(s), line));
            i = j + 1;
        } else if ch.is_alphabetic() || ch == '_' {
            let mut j = i;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '_') {
                j += 1;
            }
            out.push((Tok::Ident(c[i..j].iter().collect()), line));
            i = j;
        } else if ch.is_ascii_digit() {
            // Numbers (including `1.5`, `0x1F`, `1e-3`) must not produce a '.' token.
            let mut j = i;
            while j < c.len() && (c[j].is_alphanumeric() || c[j] == '.' || c[j] == '_') {
                if (c[j] == 'e' || c[j] == 'E') && matches!(c.get(j + 1), Some('+' | '-')) {
                    j += 1;
                }
                j += 1;
            }
            out.push((Tok::Punct('0'), line));
            i = j;
        } else {
            out.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    out
}

/// A name that is not in the layout: the 1-based line and the message.
#[derive(Debug, Clone, PartialEq)]
pub struct LintError {
    /// 1-based line of the use.
    pub line: u32,
    /// `unknown body "polee"; did you mean "pole"? ...`
    pub message: String,
}

/// Checks literal body/joint/task names in `src` against `layout`; the first unknown one.
pub fn check_names(src: &str, layout: &StateLayout) -> Option<LintError> {
    let toks = tokenize(src);
    let bodies = &layout.bodies;
    let joints: Vec<String> = layout.joints.iter().map(|j| j.name.clone()).collect();
    let task: Vec<String> = layout.task.iter().map(|p| p.name.clone()).collect();
    let is = |k: usize, t: Tok| toks.get(k).map(|(x, _)| x) == Some(&t);
    let str_at = |k: usize| match toks.get(k) {
        Some((Tok::Str(s), _)) => Some(s.as_str()),
        _ => None,
    };
    let err = |kind: &str, name: &str, known: &[String], line: u32| {
        Some(LintError {
            line,
            message: unknown_name_message(kind, name, known),
        })
    };
    for k in 0..toks.len() {
        let (tok, line) = &toks[k];
        let Tok::Ident(id) = tok else { continue };
        let after_dot = k > 0 && (is(k - 1, Tok::Punct('.')) || is(k - 1, Tok::Punct(':')));
        if !after_dot {
            continue;
        }
        let call = is(k + 1, Tok::Punct('('));
        match id.as_str() {
            "body" if call => {
                if let Some(n) = str_at(k + 2).filter(|n| !bodies.iter().any(|b| b == n)) {
                    return err("body", n, bodies, *line);
                }
            }
            "joint" if call => {
                if let Some(n) = str_at(k + 2).filter(|n| !joints.iter().any(|b| b == n)) {
                    return err("joint", n, &joints, *line);
                }
            }
            "contact" if call => {
                for n in [str_at(k + 2), str_at(k + 4)].into_iter().flatten() {
                    if !bodies.iter().any(|b| b == n) {
                        return err("body", n, bodies, *line);
                    }
                }
            }
            "task" if is(k + 1, Tok::Punct('.')) => {
                if let Some((Tok::Ident(n), l)) = toks.get(k + 2)
                    && !task.iter().any(|t| t == n)
                {
                    return err("task parameter", n, &task, *l);
                }
            }
            _ => {}
        }
    }
    None
}

/// Checks the literal parameter names a program reads (`s.param.NAME`, and
/// `params.NAME` when it declares any) against the names its `params` table declares;
/// the first unknown one.
pub fn check_param_names(src: &str, declared: &[String]) -> Option<LintError> {
    let toks = tokenize(src);
    let is = |k: usize, t: Tok| toks.get(k).map(|(x, _)| x) == Some(&t);
    for k in 0..toks.len() {
        let (Tok::Ident(id), _) = &toks[k] else {
            continue;
        };
        let after_dot = k > 0 && (is(k - 1, Tok::Punct('.')) || is(k - 1, Tok::Punct(':')));
        // `s.param.x` (after a dot), or the global `params.x` (not after one) when the
        // program declares parameters (else `params` may be a local of its own).
        let reads =
            (id == "param" && after_dot) || (id == "params" && !after_dot && !declared.is_empty());
        if !reads || !is(k + 1, Tok::Punct('.')) {
            continue;
        }
        if let Some((Tok::Ident(n), line)) = toks.get(k + 2)
            && !declared.iter().any(|d| d == n)
        {
            let mut message = unknown_name_message("parameter", n, declared);
            if declared.is_empty() {
                message.push_str(
                    "; declare parameters at the top level: params = { name = default, ... }",
                );
            }
            return Some(LintError {
                line: *line,
                message,
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{JointInfo, JointKind, TaskParamInfo};

    fn layout() -> StateLayout {
        StateLayout {
            bodies: vec!["cart".into(), "pole".into()],
            joints: vec![JointInfo {
                name: "hinge".into(),
                kind: JointKind::Revolute,
                limits: None,
                parent: 0,
                child: 1,
            }],
            actuators: vec![],
            action_ranges: vec![],
            robot_links: 0,
            body_masses: vec![],
            body_coms: vec![],
            task: vec![TaskParamInfo {
                name: "target".into(),
                doc: String::new(),
                offset: 0,
                dim: 3,
                low: vec![0.0; 3],
                high: vec![1.0; 3],
            }],
            dt: 0.02,
        }
    }

    #[test]
    fn finds_unknown_literal_names() {
        let l = layout();
        assert_eq!(check_names("return s.body('pole').pos.z + 1.5", &l), None);
        let e = check_names("local a = 1\nlocal p = s.body(\"polee\")", &l).expect("error");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("did you mean \"pole\""), "{}", e.message);
        let e = check_names("x = s.task.targt", &l).expect("error");
        assert!(e.message.contains("task parameter \"targt\""));
        assert!(check_names("x = s.joint('hing').q", &l).is_some());
        assert!(check_names("x = s.contact('cart', 'floor')", &l).is_some());
        let declared = ["goal".to_string(), "height".to_string()];
        assert_eq!(
            check_param_names("x = s.param.goal + params.height", &declared),
            None
        );
        let e = check_param_names("local a\nx = s.param.hieght", &declared).expect("error");
        assert_eq!(e.line, 2);
        assert!(
            e.message.contains("did you mean \"height\""),
            "{}",
            e.message
        );
        assert!(check_param_names("x = params.nope", &declared).is_some());
        // Without declared parameters, `params` may be the program's own local.
        assert_eq!(
            check_param_names("local params = {a = 1}\nx = params.a", &[]),
            None
        );
        // `t.params.x` is some table's field, not the program's parameters.
        assert_eq!(check_param_names("x = t.params.nope", &declared), None);
        let e = check_param_names("x = s.param.w", &[]).expect("error");
        assert!(e.message.contains("declare parameters"), "{}", e.message);
        // Comments and strings are not code.
        assert_eq!(
            check_names(
                "-- s.body('nope')\n--[[ s.body('no') ]] x = 'a.body(\"q\")'",
                &l
            ),
            None
        );
    }
}
