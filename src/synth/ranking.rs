//! Human ranking of a round's candidates (ICPL, Yu et al. 2024, "In-Context Preference
//! Learning"): a page that shows each candidate's rollout GIF side by side
//! (`round_R/rank.html`), the ranking a person gives (`round_R/ranking.json`, also
//! written by `rewardsmith view --compare`), and the text the ranking prompt gets.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SynthError;
use super::record::SampleRecord;

/// File name of the ranking in a round directory.
pub const RANKING_FILE: &str = "ranking.json";
/// File name of the ranking page in a round directory.
pub const PAGE_FILE: &str = "rank.html";
/// A candidate's rollout, relative to its sample directory: the final evaluation video
/// `rewardsmith train` writes.
pub const VIDEO: &str = "run/videos/final.gif";

/// `ranking.json`: sample indices, best first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ranking {
    /// Sample indices of the round, best first.
    pub ranking: Vec<usize>,
}

/// What a person is asked to rank.
#[derive(Debug, Clone, PartialEq)]
pub struct RankRequest {
    /// Round, from 1.
    pub round: usize,
    /// The page showing the candidates.
    pub page: PathBuf,
    /// Where the ranking goes.
    pub file: PathBuf,
    /// The samples to rank (the evaluated ones), with a one-line description each.
    pub samples: Vec<(usize, String)>,
}

/// Asks a person for a ranking (e.g. at a terminal): `Ok(None)` means "not now" and the
/// synth run waits for `ranking.json`; an error is one of talking to the person.
pub type Ranker<'a> = &'a (dyn Fn(&RankRequest) -> std::io::Result<Option<Vec<usize>>> + Sync);

/// Check a ranking against the evaluated samples: non-empty, no repeats, only
/// evaluated samples (a partial ranking, best first, is allowed).
pub fn validate(ranking: &[usize], evaluated: &[usize]) -> Result<(), String> {
    if ranking.is_empty() {
        return Err("the ranking is empty: name at least the best sample".into());
    }
    for (i, k) in ranking.iter().enumerate() {
        if !evaluated.contains(k) {
            return Err(format!(
                "sample {k} is not one of this round's evaluated samples ({})",
                list(evaluated)
            ));
        }
        if ranking[..i].contains(k) {
            return Err(format!("sample {k} appears twice"));
        }
    }
    Ok(())
}

/// Parse a ranking typed as sample numbers, best first, separated by spaces, commas or
/// `>` (e.g. `2 0 1` or `2 > 0 > 1`), and validate it.
pub fn parse(text: &str, evaluated: &[usize]) -> Result<Vec<usize>, String> {
    let ranking = text
        .split(|c: char| c.is_whitespace() || c == ',' || c == '>')
        .filter(|t| !t.is_empty())
        .map(|t| {
            t.trim_start_matches("sample_")
                .parse::<usize>()
                .map_err(|_| format!("`{t}` is not a sample number"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    validate(&ranking, evaluated)?;
    Ok(ranking)
}

/// Read and validate `ranking.json`; `Ok(None)` when the file does not exist.
pub fn read(file: &Path, evaluated: &[usize]) -> Result<Option<Vec<usize>>, SynthError> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(SynthError::io("reading", file)(e)),
    };
    let bad = |message| SynthError::Ranking {
        file: file.to_path_buf(),
        message,
    };
    let r: Ranking = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "{e}; expected {{\"ranking\": [best sample, next, ...]}}"
        ))
    })?;
    validate(&r.ranking, evaluated).map_err(bad)?;
    Ok(Some(r.ranking))
}

/// Write `ranking.json` (atomically; the one writer of the file, which `rewardsmith view
/// --compare` also calls).
pub fn write(file: &Path, ranking: &[usize]) -> Result<(), SynthError> {
    let text = serde_json::to_string_pretty(&Ranking {
        ranking: ranking.to_vec(),
    })
    .map_err(SynthError::encode(file))?;
    crate::fs::write_atomic(file, (text + "\n").as_bytes())?;
    Ok(())
}

/// One line describing an evaluated sample (for the page and the terminal).
pub fn describe(rec: &SampleRecord) -> String {
    match &rec.result {
        Some(r) => format!(
            "sample {}: success rate {:.2}, task score {:.2}, return {:.2}, episode length {:.0}",
            rec.sample, r.success_rate, r.task_return, r.mean_return, r.episode_length
        ),
        None => format!("sample {}: {:?}", rec.sample, rec.status),
    }
}

/// The ranking page of round `round`: one card per evaluated sample with its rollout GIF,
/// its numbers and its program; `programs[i]` belongs to `evaluated[i]`.
pub fn page(round: usize, evaluated: &[&SampleRecord], programs: &[String]) -> String {
    let mut cards = String::new();
    for (rec, program) in evaluated.iter().zip(programs) {
        let k = rec.sample;
        let _ = writeln!(
            cards,
            "<figure><img src=\"sample_{k}/{VIDEO}\" alt=\"rollout of sample {k}\">\
             <figcaption><b>sample {k}</b><br>{}</figcaption>\
             <details><summary>program</summary><pre>{}</pre></details></figure>",
            escape(&describe(rec)),
            escape(program)
        );
    }
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>rewardsmith synth: rank round {round}</title>\n\
         <style>body{{font-family:sans-serif;margin:1.5em}}main{{display:flex;flex-wrap:wrap;gap:1em}}\
         figure{{margin:0;padding:.5em;border:1px solid #ccc;border-radius:6px;width:300px}}\
         img{{width:100%;image-rendering:pixelated}}pre{{font-size:11px;white-space:pre-wrap}}</style></head>\n\
         <body><h1>Round {round}: rank the candidates</h1>\n\
         <p>Watch each policy and rank the samples from best to worst by how well they do the task. \
         Type the ranking at the terminal prompt (e.g. <code>2 0 1</code>), or write it to \
         <code>{RANKING_FILE}</code> beside this page as <code>{{\"ranking\": [2, 0, 1]}}</code> and resume with \
         <code>rewardsmith synth --resume DIR</code>.</p>\n<main>\n{cards}</main></body></html>\n"
    )
}

/// The ranking as the ranking prompt states it: one line per place.
pub fn ranking_text(ranking: &[usize]) -> String {
    let mut s = String::new();
    for (place, k) in ranking.iter().enumerate() {
        let _ = writeln!(s, "{}. sample {k}", place + 1);
    }
    s
}

/// The candidates in ranked order (unranked evaluated ones after), each with its
/// numbers and program, for the ranking prompt; `programs[i]` belongs to `evaluated[i]`.
pub fn candidates_text(
    ranking: &[usize],
    evaluated: &[&SampleRecord],
    programs: &[String],
) -> String {
    let mut order: Vec<usize> = ranking.to_vec();
    order.extend(
        evaluated
            .iter()
            .map(|r| r.sample)
            .filter(|k| !ranking.contains(k)),
    );
    let mut s = String::new();
    for k in order {
        let Some(i) = evaluated.iter().position(|r| r.sample == k) else {
            continue;
        };
        let place = ranking
            .iter()
            .position(|&x| x == k)
            .map_or("unranked".to_string(), |p| format!("ranked {}", p + 1));
        let _ = write!(
            s,
            "### sample {k} ({place})\n{}\n\n```lua\n{}\n```\n\n",
            describe(evaluated[i]),
            programs[i].trim_end()
        );
    }
    s
}

fn list(xs: &[usize]) -> String {
    xs.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Escape text for HTML.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_rankings_parse_in_every_separator_style() {
        let ev = [0, 1, 2];
        assert_eq!(parse("2 0 1", &ev), Ok(vec![2, 0, 1]));
        assert_eq!(parse(" 2, 0 ,1 ", &ev), Ok(vec![2, 0, 1]));
        assert_eq!(parse("2 > 0", &ev), Ok(vec![2, 0]));
        assert_eq!(parse("sample_1", &ev), Ok(vec![1]));
    }

    #[test]
    fn bad_rankings_say_what_is_wrong() {
        let ev = [0, 2];
        assert!(parse("", &ev).unwrap_err().contains("empty"));
        assert!(parse("x", &ev).unwrap_err().contains("`x` is not a sample"));
        assert!(parse("1", &ev).unwrap_err().contains("sample 1 is not one"));
        assert!(parse("2 2", &ev).unwrap_err().contains("twice"));
    }

    #[test]
    fn ranking_files_round_trip_and_bad_ones_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join(RANKING_FILE);
        assert_eq!(read(&f, &[0, 1]).unwrap(), None);
        write(&f, &[1, 0]).unwrap();
        assert_eq!(read(&f, &[0, 1]).unwrap(), Some(vec![1, 0]));
        std::fs::write(&f, "{\"order\": [1]}").unwrap();
        let e = read(&f, &[0, 1]).unwrap_err().to_string();
        assert!(e.contains(RANKING_FILE) && e.contains("expected"), "{e}");
        std::fs::write(&f, "{\"ranking\": [5]}").unwrap();
        let e = read(&f, &[0, 1]).unwrap_err().to_string();
        assert!(e.contains("sample 5"), "{e}");
    }

    #[test]
    fn the_page_escapes_programs() {
        let p = page(1, &[], &[]);
        assert!(p.contains("Round 1"));
        assert_eq!(
            escape("a < b && c > \"d\""),
            "a &lt; b &amp;&amp; c &gt; &quot;d&quot;"
        );
    }
}
