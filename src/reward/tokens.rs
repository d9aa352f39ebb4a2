//! A small Luau tokenizer for the static checks on reward programs (`lint`, `hints`):
//! names, strings, numbers and punctuation with their lines; comments dropped.

/// One token of a program.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    /// A name (identifier or keyword).
    Ident(String),
    /// A string literal's contents.
    Str(String),
    /// A number literal's value (NaN for one that does not parse as f64, e.g. hex).
    Num(f64),
    /// Any other character.
    Punct(char),
}

/// Tokens with their 1-based line; comments dropped, operators as punctuation.
pub(super) fn tokenize(src: &str) -> Vec<(Tok, u32)> {
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
            let text: String = c[i..j].iter().filter(|&&ch| ch != '_').collect();
            out.push((Tok::Num(text.parse().unwrap_or(f64::NAN)), line));
            i = j;
        } else {
            out.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    out
}
