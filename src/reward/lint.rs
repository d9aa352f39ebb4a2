//! Compile-time check of the literal names a program uses (`s.body("pole")`,
//! `s.joint("hinge")`, `s.site("foot")`, `s.contact("a", "b")`, `s.task.target`)
//! against the layout, so a typo is reported before any state is evaluated. Best
//! effort: names built at run time are checked when the call runs.

use super::suggest::unknown_name_message;
use super::tokens::{Tok, tokenize};
use crate::env::StateLayout;

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
    let sites: Vec<String> = layout.sites.iter().map(|p| p.name.clone()).collect();
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
            "site" if call => {
                if let Some(n) = str_at(k + 2).filter(|n| !sites.iter().any(|b| b == n)) {
                    return err("site", n, &sites, *line);
                }
            }
            "contact" | "contact_force" if call => {
                let second = if is(k + 3, Tok::Punct(',')) {
                    str_at(k + 4)
                } else {
                    None
                };
                for n in [str_at(k + 2), second].into_iter().flatten() {
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

/// Whether the program's code (not its comments or strings) names `ident`.
pub fn uses_ident(src: &str, ident: &str) -> bool {
    tokenize(src)
        .iter()
        .any(|(t, _)| matches!(t, Tok::Ident(id) if id == ident))
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
            sites: Vec::new(),
            success: None,
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
