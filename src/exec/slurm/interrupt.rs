//! Ctrl-C while the submitting process waits on Slurm: the wait ends in an orderly way
//! (asking whether to cancel the arrays) instead of the process dying mid-decision.
//! Outside a wait, Ctrl-C ends the process as it always does (exit status 130).

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

static INSTALLED: Once = Once::new();
static WAITING: AtomicBool = AtomicBool::new(false);
static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Marks a wait: Ctrl-C is noted (see [`requested`]) until the guard is dropped.
pub struct Waiting;

impl Drop for Waiting {
    fn drop(&mut self) {
        WAITING.store(false, Ordering::SeqCst);
    }
}

/// Start noting Ctrl-C for the wait that lasts as long as the returned guard.
pub fn watch() -> Waiting {
    INSTALLED.call_once(|| {
        // Another handler already installed (an embedding program's) keeps its place;
        // then Ctrl-C simply ends the wait as that handler decides.
        let _ = ctrlc::set_handler(|| {
            if WAITING.load(Ordering::SeqCst) {
                REQUESTED.store(true, Ordering::SeqCst);
            } else {
                std::process::exit(130);
            }
        });
    });
    REQUESTED.store(false, Ordering::SeqCst);
    WAITING.store(true, Ordering::SeqCst);
    Waiting
}

/// Whether Ctrl-C came during the current wait.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}
