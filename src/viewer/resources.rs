//! The resources the viewer's systems share: the worlds, the playback clock, the
//! window layout, the comparison being ranked, and the first failure.

use std::sync::{Arc, Mutex, PoisonError};

use bevy::prelude::*;

use super::ViewerError;
use super::compare::{CompareSet, Ranking};
use super::layout::Layout;
use super::sim::Sim;

/// The worlds, stepped in lockstep.
#[derive(Resource)]
pub(crate) struct Sims {
    /// The worlds.
    pub list: Vec<Sim>,
    /// Seed of the first episode.
    pub seed: u64,
    /// Resets asked for so far (each takes the next seed).
    pub resets: u64,
}

impl Sims {
    /// Reset every world with the next seed.
    pub fn reset_all(&mut self) -> Result<u64, ViewerError> {
        self.resets += 1;
        let seed = self.seed.wrapping_add(self.resets);
        for s in &mut self.list {
            s.reset(seed)?;
        }
        Ok(seed)
    }
}

/// Play/pause, speed and the clock.
#[derive(Resource, Debug)]
pub(crate) struct Playback {
    /// Paused (single steps only).
    pub paused: bool,
    /// Real time × speed.
    pub speed: f64,
    /// Simulated seconds owed to the clock.
    pub acc: f64,
    /// Steps asked for while paused.
    pub single_steps: u32,
    /// Capturing: one step per frame while frames are left (the clock is ignored).
    pub fixed_left: Option<u32>,
}

/// The first error a system met; the app exits and `view` returns it.
#[derive(Resource, Clone, Default)]
pub(crate) struct Failure(pub Arc<Mutex<Option<ViewerError>>>);

impl Failure {
    /// Record `e` (the first one wins).
    pub fn set(&self, e: ViewerError) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        slot.get_or_insert(e);
    }
}

/// The window layout.
#[derive(Resource, Debug)]
pub(crate) struct Views(pub Layout);

/// The comparison, if any, and the ranking given so far.
#[derive(Resource, Default)]
pub(crate) struct Comparing {
    /// The runs shown.
    pub set: Option<CompareSet>,
    /// Viewports ranked so far, best first.
    pub ranking: Ranking,
}
