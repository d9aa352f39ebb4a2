//! Action spaces with Gymnasium's meaning: `Box` bounds and `Discrete` choices.

use rand::Rng;

/// A Box space: per-component bounds (Gymnasium's `spaces.Box`).
#[derive(Debug, Clone, PartialEq)]
pub struct BoxSpace {
    /// Lower bounds.
    pub low: Vec<f64>,
    /// Upper bounds.
    pub high: Vec<f64>,
}

impl BoxSpace {
    /// Number of components.
    pub fn dim(&self) -> usize {
        self.low.len()
    }
}

/// A Discrete space (Gymnasium's `spaces.Discrete`): action `i` applies the control
/// vector `choices[i]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscreteSpace {
    /// One control vector (one value per actuator) per action.
    pub choices: Vec<Vec<f64>>,
}

impl DiscreteSpace {
    /// Number of actions.
    pub fn n(&self) -> usize {
        self.choices.len()
    }

    /// The choice an action names: a flat action of one component holding an integer
    /// index in `0..n`.
    pub fn index(&self, action: &[f64]) -> Result<usize, String> {
        match action {
            [a] if a.fract() == 0.0 && *a >= 0.0 && (*a as usize) < self.n() => Ok(*a as usize),
            [a] => Err(format!(
                "{a} is not an action of Discrete({}): expected an integer in 0..{}",
                self.n(),
                self.n()
            )),
            _ => Err(format!(
                "a Discrete({}) action is one component (the index), got {}",
                self.n(),
                action.len()
            )),
        }
    }
}

/// The space an agent acts in. Actions are flat `f64` slices either way: `dim()`
/// components for a Box, one component holding the index for a Discrete space.
#[derive(Debug, Clone, PartialEq)]
pub enum ActionSpace {
    /// Continuous controls, clipped to the bounds.
    Box(BoxSpace),
    /// One of a few control vectors.
    Discrete(DiscreteSpace),
}

impl ActionSpace {
    /// Components of one flat action (Box: its dimension; Discrete: 1).
    pub fn dim(&self) -> usize {
        match self {
            Self::Box(b) => b.dim(),
            Self::Discrete(_) => 1,
        }
    }

    /// The Box, if continuous.
    pub fn as_box(&self) -> Option<&BoxSpace> {
        match self {
            Self::Box(b) => Some(b),
            Self::Discrete(_) => None,
        }
    }

    /// A uniformly random action.
    pub fn sample(&self, rng: &mut impl Rng) -> Vec<f64> {
        match self {
            Self::Box(b) => (0..b.dim())
                .map(|i| uniform(rng, [b.low[i], b.high[i]]))
                .collect(),
            Self::Discrete(d) => vec![rng.random_range(0..d.n()) as f64],
        }
    }
}

impl std::fmt::Display for ActionSpace {
    /// Gymnasium's notation: `Box(3)`, `Discrete(2)`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Box(b) => write!(f, "Box({})", b.dim()),
            Self::Discrete(d) => write!(f, "Discrete({})", d.n()),
        }
    }
}

/// A uniform sample in `[lo, hi)`, or `lo` when the range is empty.
pub(crate) fn uniform(rng: &mut impl Rng, [lo, hi]: [f64; 2]) -> f64 {
    if hi > lo {
        rng.random_range(lo..hi)
    } else {
        lo
    }
}
