//! "Did you mean" messages for unknown names (bodies, joints, task parameters, fields).

/// How many known names an error message lists before eliding the rest.
const MAX_LISTED: usize = 16;

/// Levenshtein distance between two strings, by chars.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
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
