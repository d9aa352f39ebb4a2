//! Pulling the reward program out of an LLM reply: one fenced code block in Lua/Luau
//! (or unlabelled), with any prose around it.

use thiserror::Error;

/// Why no program could be taken from a reply. Each becomes a failed sample whose
/// reason is recorded and sent back to the LLM.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ExtractError {
    /// The reply has no fenced code block at all.
    #[error(
        "the reply contains no fenced code block (expected one ```lua block holding the program)"
    )]
    NoCode,
    /// Only blocks in another language.
    #[error(
        "the reply's code is in the wrong language (```{0}); write the program in Luau, in a ```lua block"
    )]
    WrongLanguage(String),
    /// The reply was cut off (max tokens) or a fence never closes.
    #[error("the reply was cut off ({0}); the program is incomplete — write a shorter program")]
    Truncated(String),
    /// Several Lua blocks, and not exactly one defines `reward`.
    #[error(
        "the reply has {blocks} Lua code blocks and {defining} of them define `function reward(s)`; send exactly one program"
    )]
    Ambiguous {
        /// Lua blocks found.
        blocks: usize,
        /// How many define `reward`.
        defining: usize,
    },
}

struct Block {
    lang: String,
    body: String,
}

fn is_lua(lang: &str) -> bool {
    matches!(lang, "" | "lua" | "luau")
}

fn defines_reward(code: &str) -> bool {
    let squashed: String = code.split_whitespace().collect::<Vec<_>>().join(" ");
    squashed.contains("function reward(")
        || squashed.contains("function reward (")
        || squashed.contains("reward = function")
}

/// Extract the program from `reply`. `finish_reason` is the API's (`length` means the
/// reply hit the max-tokens limit and is treated as cut off).
pub fn extract_program(reply: &str, finish_reason: Option<&str>) -> Result<String, ExtractError> {
    if finish_reason == Some("length") {
        return Err(ExtractError::Truncated(
            "finish_reason `length`: the max-tokens limit was reached".into(),
        ));
    }
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, Vec<&str>)> = None;
    for line in reply.lines() {
        let t = line.trim_start();
        match &mut open {
            None => {
                if let Some(info) = t.strip_prefix("```") {
                    let fence = 3 + info.chars().take_while(|&c| c == '`').count();
                    let lang = info.trim_start_matches('`').trim();
                    let lang = lang.split_whitespace().next().unwrap_or("").to_lowercase();
                    open = Some((lang, fence, Vec::new()));
                }
            }
            Some((lang, fence, lines)) => {
                let ticks = t.chars().take_while(|&c| c == '`').count();
                if ticks >= *fence && t[ticks..].trim().is_empty() {
                    blocks.push(Block {
                        lang: std::mem::take(lang),
                        body: lines.join("\n"),
                    });
                    open = None;
                } else {
                    lines.push(line);
                }
            }
        }
    }
    if open.is_some() {
        return Err(ExtractError::Truncated(
            "a code fence is never closed".into(),
        ));
    }
    let lua: Vec<&Block> = blocks.iter().filter(|b| is_lua(&b.lang)).collect();
    match lua.len() {
        0 => match blocks.first() {
            Some(b) => Err(ExtractError::WrongLanguage(b.lang.clone())),
            None => Err(ExtractError::NoCode),
        },
        1 => Ok(format!("{}\n", lua[0].body.trim_end())),
        n => {
            let defining: Vec<&&Block> = lua.iter().filter(|b| defines_reward(&b.body)).collect();
            if defining.len() == 1 {
                Ok(format!("{}\n", defining[0].body.trim_end()))
            } else {
                Err(ExtractError::Ambiguous {
                    blocks: n,
                    defining: defining.len(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROG: &str = "function reward(s)\n  return { up = 1 }\nend";

    #[test]
    fn one_block_with_prose() {
        let r = format!("Here you go:\n\n```lua\n{PROG}\n```\n\nThis rewards being up.");
        assert_eq!(
            extract_program(&r, Some("stop")).unwrap(),
            format!("{PROG}\n")
        );
        let r = format!("```luau\n{PROG}\n```");
        assert_eq!(extract_program(&r, None).unwrap(), format!("{PROG}\n"));
        let r = format!("```\n{PROG}\n```");
        assert_eq!(extract_program(&r, None).unwrap(), format!("{PROG}\n"));
    }

    #[test]
    fn two_blocks_pick_the_reward() {
        let r = format!("Helper:\n```lua\nlocal k = 2\n```\nProgram:\n```lua\n{PROG}\n```");
        assert_eq!(extract_program(&r, None).unwrap(), format!("{PROG}\n"));
        let r = format!("```lua\n{PROG}\n```\n```lua\n{PROG}\n```");
        assert_eq!(
            extract_program(&r, None),
            Err(ExtractError::Ambiguous {
                blocks: 2,
                defining: 2
            })
        );
    }

    #[test]
    fn failures_say_why() {
        assert_eq!(
            extract_program("I cannot help.", None),
            Err(ExtractError::NoCode)
        );
        let e = extract_program("```python\ndef reward(s):\n  return 1\n```", None).unwrap_err();
        assert_eq!(e, ExtractError::WrongLanguage("python".into()));
        assert!(e.to_string().contains("python"));
        let e = extract_program(&format!("```lua\n{PROG}"), None).unwrap_err();
        assert!(matches!(e, ExtractError::Truncated(_)));
        let e = extract_program(&format!("```lua\n{PROG}\n```"), Some("length")).unwrap_err();
        assert!(e.to_string().contains("max-tokens"));
    }
}
