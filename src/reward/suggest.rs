//! "Did you mean" messages for unknown names (bodies, joints, task parameters, fields).

/// How many known names an error message lists before eliding the rest.
const MAX_LISTED: usize = 16;

/// Edit distance between two strings, by chars: insertions, deletions, substitutions and
/// transpositions of adjacent chars each cost 1 (optimal string alignment).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for (i, row) in d.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, x) in d.iter_mut().take(w).enumerate() {
        *x = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The known name closest to `name`, if it is close enough to be a plausible typo
/// (case-insensitive match, or edit distance at most a third of its length, clamped to 1..=3).
pub fn closest<'a>(name: &str, known: &'a [String]) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).clamp(1, 3);
    known
        .iter()
        .map(|k| {
            let d = if k.to_lowercase() == lower {
                0
            } else {
                edit_distance(name, k)
            };
            (d, k)
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k.as_str())
}

/// `unknown <kind> "<name>"; did you mean "<close>"? known: a, b, c`.
pub fn unknown_name_message(kind: &str, name: &str, known: &[String]) -> String {
    let mut msg = format!("unknown {kind} \"{name}\"");
    if let Some(c) = closest(name, known) {
        msg.push_str(&format!("; did you mean \"{c}\"?"));
    }
    if known.is_empty() {
        msg.push_str(" (none are defined)");
    } else {
        let listed: Vec<&str> = known.iter().take(MAX_LISTED).map(String::as_str).collect();
        msg.push_str(&format!(" known: {}", listed.join(", ")));
        if known.len() > MAX_LISTED {
            msg.push_str(&format!(", ... ({} more)", known.len() - MAX_LISTED));
        }
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestion() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("nrom", "norm"), 1);
        let known = vec!["cart".to_string(), "pole".to_string(), "ground".to_string()];
        assert_eq!(closest("polee", &known), Some("pole"));
        assert_eq!(closest("POLE", &known), Some("pole"));
        assert_eq!(closest("zzzzzz", &known), None);
        let m = unknown_name_message("body", "polee", &known);
        assert_eq!(
            m,
            "unknown body \"polee\"; did you mean \"pole\"? known: cart, pole, ground"
        );
    }
}
