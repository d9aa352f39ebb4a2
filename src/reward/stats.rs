//! Per-component reward statistics: what `reward check` prints and what reward
//! reflection reports to the LLM (Eureka, Ma et al. 2023).

use crate::reward::RewardOut;

/// Running statistics of one named series (Welford's algorithm for the variance).
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesStats {
    /// Series name (a component, or `total`).
    pub name: String,
    /// Number of values seen.
    pub count: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Mean value.
    pub mean: f64,
    m2: f64,
    abs_sum: f64,
}

impl SeriesStats {
    fn new(name: &str) -> Self {
        Self {
            name: name.to_string(),
            count: 0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            mean: 0.0,
            m2: 0.0,
            abs_sum: 0.0,
        }
    }

    fn push(&mut self, x: f64) {
        self.count += 1;
        self.min = self.min.min(x);
        self.max = self.max.max(x);
        let delta = x - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (x - self.mean);
        self.abs_sum += x.abs();
    }

    /// Population standard deviation.
    pub fn std(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            (self.m2 / self.count as f64).sqrt()
        }
    }
}

/// Statistics of every component of a reward, plus the total.
#[derive(Debug, Clone, Default)]
pub struct RewardStats {
    /// The total reward.
    pub total: Option<SeriesStats>,
    /// One entry per component name, in first-seen order.
    pub components: Vec<SeriesStats>,
}

impl RewardStats {
    /// Add one step's reward.
    pub fn push(&mut self, r: &RewardOut) {
        self.total
            .get_or_insert_with(|| SeriesStats::new("total"))
            .push(r.total);
        for (name, v) in &r.components {
            match self.components.iter_mut().find(|c| &c.name == name) {
                Some(c) => c.push(*v),
                None => {
                    let mut c = SeriesStats::new(name);
                    c.push(*v);
                    self.components.push(c);
                }
            }
        }
    }

    /// Each component's share of the summed magnitudes of all components, in [0, 1].
    pub fn share(&self, c: &SeriesStats) -> f64 {
        let all: f64 = self.components.iter().map(|c| c.abs_sum).sum();
        if all > 0.0 { c.abs_sum / all } else { 0.0 }
    }

    /// A plain-text table: component, min, mean, max, std, share.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<20} {:>11} {:>11} {:>11} {:>11} {:>7}\n",
            "component", "min", "mean", "max", "std", "share"
        );
        let row = |c: &SeriesStats, share: String| {
            format!(
                "{:<20} {:>11.4} {:>11.4} {:>11.4} {:>11.4} {:>7}\n",
                c.name,
                c.min,
                c.mean,
                c.max,
                c.std(),
                share
            )
        };
        for c in &self.components {
            out.push_str(&row(c, format!("{:.1}%", 100.0 * self.share(c))));
        }
        if let Some(t) = &self.total {
            out.push_str(&row(t, String::new()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(a: f64, b: f64) -> RewardOut {
        RewardOut {
            total: a + b,
            components: vec![("a".into(), a), ("b".into(), b)],
        }
    }

    #[test]
    fn statistics_match_hand_values() {
        let mut s = RewardStats::default();
        for (a, b) in [(1.0, -3.0), (2.0, -3.0), (3.0, -3.0), (4.0, -3.0)] {
            s.push(&out(a, b));
        }
        let a = &s.components[0];
        assert_eq!((a.min, a.max, a.mean, a.count), (1.0, 4.0, 2.5, 4));
        assert!((a.std() - 1.25f64.sqrt()).abs() < 1e-12);
        // |a| sums to 10, |b| to 12.
        assert!((s.share(a) - 10.0 / 22.0).abs() < 1e-12);
        let t = s.total.as_ref().expect("total");
        assert_eq!((t.min, t.max), (-2.0, 1.0));
        assert!(s.table().contains("45.5%"));
    }
}
