//! The names of a composite reward's components, cached: a composite writes the same
//! components at every step, so the names are built (and sorted) once and each step
//! only checks them and places the values, without allocating.

use crate::reward::RewardOut;

/// Component names in the order a composite produces them, and their sorted order.
#[derive(Debug, Default)]
pub struct Layout {
    names: Vec<String>,
    /// `position[g]`: where produced entry `g` goes in the sorted components.
    position: Vec<usize>,
    sorted: Vec<String>,
}

impl Layout {
    /// Whether produced entry `g` is named `prefix`, or `prefix/suffix` with a suffix.
    pub fn matches(&self, g: usize, prefix: &str, suffix: Option<&str>) -> bool {
        let Some(n) = self.names.get(g) else {
            return false;
        };
        match suffix {
            None => n == prefix,
            Some(s) => {
                n.len() == prefix.len() + 1 + s.len()
                    && n.starts_with(prefix)
                    && n.as_bytes()[prefix.len()] == b'/'
                    && n.ends_with(s)
            }
        }
    }

    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are no names yet.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The produced index of `name` among the first `n` entries.
    pub fn index(&self, name: &str, n: usize) -> Option<usize> {
        self.names.iter().take(n).position(|x| x == name)
    }

    /// The produced names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Replace the names (in produced order).
    pub fn set(&mut self, names: Vec<String>) {
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by(|&a, &b| names[a].cmp(&names[b]));
        self.position = vec![0; names.len()];
        for (rank, &g) in order.iter().enumerate() {
            self.position[g] = rank;
        }
        self.sorted = order.iter().map(|&g| names[g].clone()).collect();
        self.names = names;
    }

    /// Write `values` (in produced order) into `o` as sorted components; `o`'s names
    /// are rewritten only when they are not these already.
    pub fn write(&self, values: &[f64], o: &mut RewardOut) {
        let same = o.components.len() == self.sorted.len()
            && o.components
                .iter()
                .zip(&self.sorted)
                .all(|(c, n)| &c.0 == n);
        if !same {
            o.components = self.sorted.iter().map(|n| (n.clone(), 0.0)).collect();
        }
        for (&p, &v) in self.position.iter().zip(values) {
            o.components[p].1 = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_land_under_their_sorted_names() {
        let mut l = Layout::default();
        l.set(vec!["t/b".into(), "t/a".into(), "t".into()]);
        assert!(l.matches(0, "t", Some("b")) && l.matches(2, "t", None));
        assert!(!l.matches(1, "t", Some("b")) && !l.matches(3, "t", None));
        assert!(!l.matches(0, "t/", Some("b")));
        let mut o = RewardOut::default();
        l.write(&[2.0, 1.0, 3.0], &mut o);
        let expected: Vec<(String, f64)> =
            vec![("t".into(), 3.0), ("t/a".into(), 1.0), ("t/b".into(), 2.0)];
        assert_eq!(o.components, expected);
        assert_eq!(l.index("t/a", 3), Some(1));
        assert_eq!(l.index("t", 2), None);
    }
}
