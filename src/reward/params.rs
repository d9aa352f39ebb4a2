//! Reward parameters: the numbers and points a program declares in its top-level
//! `params = { name = default, ... }` table and reads as `s.param.name` (Language to
//! Rewards, Yu et al. 2023: the LLM sets parameters, the program stays the same), and
//! the overrides a user gives (`--param name=value`, `--params FILE.json`).
//!
//! A value is a number or a vec3; every value is finite. Overrides are checked against
//! the declared names and kinds when they are applied to a program
//! ([`ScriptProgram::set_params`](super::ScriptProgram::set_params)).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::RewardError;
use super::suggest::unknown_name_message;

/// One parameter value: a number or a vec3 (`[x, y, z]` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// A number.
    Number(f64),
    /// A point or direction.
    Vec3([f64; 3]),
}

impl ParamValue {
    /// `number` or `vec3`, as messages name the kinds.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Number(_) => "number",
            Self::Vec3(_) => "vec3",
        }
    }

    /// Whether every component is finite.
    pub fn is_finite(&self) -> bool {
        match self {
            Self::Number(x) => x.is_finite(),
            Self::Vec3(v) => v.iter().all(|x| x.is_finite()),
        }
    }

    /// Parse `1.5` (a number) or `0.1,0.2,0.3` (a vec3); `None` for anything else.
    fn parse(text: &str) -> Option<Self> {
        let parts: Vec<&str> = text.split(',').map(str::trim).collect();
        let nums: Option<Vec<f64>> = parts.iter().map(|p| p.parse::<f64>().ok()).collect();
        match nums?.as_slice() {
            [x] => Some(Self::Number(*x)),
            [x, y, z] => Some(Self::Vec3([*x, *y, *z])),
            _ => None,
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Number(x) => write!(f, "{x}"),
            Self::Vec3([x, y, z]) => write!(f, "vec3({x}, {y}, {z})"),
        }
    }
}

/// Named parameter values, sorted by name: a program's declared (or effective) values,
/// or a set of overrides.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Params(pub BTreeMap<String, ParamValue>);

impl Params {
    /// No parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<ParamValue> {
        self.0.get(name).copied()
    }

    /// Set `name` to `value` (replacing an earlier value).
    pub fn insert(&mut self, name: &str, value: ParamValue) {
        self.0.insert(name.to_string(), value);
    }

    /// The names, sorted.
    pub fn names(&self) -> Vec<String> {
        self.0.keys().cloned().collect()
    }

    /// Add `other`'s values over these (later sources win).
    pub fn extend(&mut self, other: &Params) {
        for (k, v) in &other.0 {
            self.0.insert(k.clone(), *v);
        }
    }

    /// Parse one `name=value` assignment (`--param`): a number, or `x,y,z` for a vec3.
    pub fn parse_assignment(text: &str) -> Result<(String, ParamValue), RewardError> {
        let bad = |message: String| RewardError::Param {
            source_name: "--param".into(),
            message,
        };
        let (name, value) = text
            .split_once('=')
            .ok_or_else(|| bad(format!("`{text}` is not name=value")))?;
        let name = name.trim();
        if !is_identifier(name) {
            return Err(bad(format!(
                "`{name}` is not a parameter name (letters, digits and _, not starting with a digit)"
            )));
        }
        let v = ParamValue::parse(value).ok_or_else(|| {
            bad(format!(
                "{name}: `{}` is neither a number nor x,y,z",
                value.trim()
            ))
        })?;
        if !v.is_finite() {
            return Err(bad(format!("{name} = {v} is not finite")));
        }
        Ok((name.to_string(), v))
    }

    /// Read a JSON object of parameter values (`--params FILE.json`): each value a
    /// finite number or an array of three.
    pub fn from_json_file(path: &Path) -> Result<Self, RewardError> {
        let text = std::fs::read_to_string(path).map_err(|e| RewardError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_json_str(&text, &path.display().to_string())
    }

    /// Parse a JSON object of parameter values; `source_name` names it in errors.
    pub fn from_json_str(text: &str, source_name: &str) -> Result<Self, RewardError> {
        let bad = |message: String| RewardError::Param {
            source_name: source_name.to_string(),
            message,
        };
        let v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| bad(format!("not JSON: {e}")))?;
        let obj = v.as_object().ok_or_else(|| {
            bad("expected a JSON object of name: number or [x, y, z]".to_string())
        })?;
        let mut out = Params::new();
        for (name, value) in obj {
            let nums: Option<Vec<f64>> = match value {
                serde_json::Value::Number(n) => n.as_f64().map(|x| vec![x]),
                serde_json::Value::Array(a) => a.iter().map(serde_json::Value::as_f64).collect(),
                _ => None,
            };
            let v = match nums.as_deref() {
                Some([x]) if value.is_number() => ParamValue::Number(*x),
                Some([x, y, z]) => ParamValue::Vec3([*x, *y, *z]),
                _ => {
                    return Err(bad(format!(
                        "{name}: expected a number or [x, y, z], got {value}"
                    )));
                }
            };
            if !v.is_finite() {
                return Err(bad(format!("{name} = {v} is not finite")));
            }
            out.insert(name, v);
        }
        Ok(out)
    }

    /// These values with `overrides` applied: every override must name a declared
    /// parameter (self) of the same kind and be finite.
    pub fn overridden(&self, overrides: &Params, program: &str) -> Result<Params, RewardError> {
        let mut out = self.clone();
        for (name, v) in &overrides.0 {
            let Some(declared) = self.get(name) else {
                let mut message = unknown_name_message("parameter", name, &self.names());
                if self.is_empty() {
                    message.push_str(
                        "; declare parameters in the program: params = { name = default, ... }",
                    );
                }
                return Err(RewardError::UnknownName {
                    program: program.to_string(),
                    line: None,
                    message,
                });
            };
            if declared.kind() != v.kind() {
                return Err(RewardError::Param {
                    source_name: program.to_string(),
                    message: format!(
                        "parameter `{name}` is a {} (default {declared}), got a {} ({v})",
                        declared.kind(),
                        v.kind()
                    ),
                });
            }
            if !v.is_finite() {
                return Err(RewardError::Param {
                    source_name: program.to_string(),
                    message: format!("parameter `{name}` = {v} is not finite"),
                });
            }
            out.insert(name, *v);
        }
        Ok(out)
    }

    /// The values as a JSON object (numbers and `[x, y, z]` arrays).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// A Luau identifier: letters, digits and `_`, not starting with a digit.
fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_parse_numbers_and_vec3_and_reject_the_rest() {
        assert_eq!(
            Params::parse_assignment("h=0.5").unwrap(),
            ("h".into(), ParamValue::Number(0.5))
        );
        assert_eq!(
            Params::parse_assignment(" goal = 0.1, -0.2,3 ").unwrap(),
            ("goal".into(), ParamValue::Vec3([0.1, -0.2, 3.0]))
        );
        for bad in ["h", "h=", "h=1,2", "h=abc", "1h=2", "h=nan", "h=1,inf,2"] {
            assert!(Params::parse_assignment(bad).is_err(), "{bad}");
        }
        let e = Params::parse_assignment("h=inf").unwrap_err().to_string();
        assert!(e.contains("not finite"), "{e}");
    }

    #[test]
    fn json_objects_parse_and_bad_values_are_named() {
        let p = Params::from_json_str(r#"{"w": 2, "goal": [1, 2, 3]}"#, "p.json").unwrap();
        assert_eq!(p.get("w"), Some(ParamValue::Number(2.0)));
        assert_eq!(p.get("goal"), Some(ParamValue::Vec3([1.0, 2.0, 3.0])));
        let e = Params::from_json_str(r#"{"w": "x"}"#, "p.json")
            .unwrap_err()
            .to_string();
        assert!(e.contains("p.json") && e.contains("w:"), "{e}");
        assert!(Params::from_json_str("[1]", "p.json").is_err());
        assert!(Params::from_json_str(r#"{"v": [1, 2]}"#, "p.json").is_err());
        assert!(Params::from_json_str(r#"{"v": [1]}"#, "p.json").is_err());
        // JSON round trip.
        let back = Params::from_json_str(&p.to_json().to_string(), "again").unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn overrides_must_be_declared_of_the_same_kind() {
        let mut declared = Params::new();
        declared.insert("height", ParamValue::Number(0.3));
        declared.insert("goal", ParamValue::Vec3([0.0; 3]));
        let mut o = Params::new();
        o.insert("height", ParamValue::Number(0.5));
        let eff = declared.overridden(&o, "p.luau").unwrap();
        assert_eq!(eff.get("height"), Some(ParamValue::Number(0.5)));
        assert_eq!(eff.get("goal"), Some(ParamValue::Vec3([0.0; 3])));
        o.insert("heigth", ParamValue::Number(1.0));
        let e = declared.overridden(&o, "p.luau").unwrap_err().to_string();
        assert!(
            e.contains("unknown parameter \"heigth\"") && e.contains("did you mean \"height\""),
            "{e}"
        );
        assert!(e.contains("known: goal, height"), "{e}");
        let mut o = Params::new();
        o.insert("goal", ParamValue::Number(1.0));
        let e = declared.overridden(&o, "p.luau").unwrap_err().to_string();
        assert!(e.contains("is a vec3"), "{e}");
        let e = Params::new()
            .overridden(&o, "p.luau")
            .unwrap_err()
            .to_string();
        assert!(e.contains("declare parameters"), "{e}");
    }
}
