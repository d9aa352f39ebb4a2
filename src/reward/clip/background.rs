//! A CLIP reward on its own thread: frames go in, scores come out in the same order, so
//! the image encoder works on one step's frames while the caller steps the physics and
//! renders the next. The request queue is bounded, so at most [`DEPTH`] steps wait.

use std::sync::Mutex;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, sync_channel};
use std::thread::JoinHandle;

use super::{ClipError, ClipReward};
use crate::render::Frame;

/// Requests that may wait for the scoring thread beyond the one it is working on.
pub const DEPTH: usize = 1;

/// The scores of one request.
type Scored = Result<Vec<f64>, ClipError>;

/// The scoring thread and its two queues.
pub struct Background {
    requests: Option<SyncSender<Vec<Frame>>>,
    // in a mutex so that the term can live in shared state (a bevy resource)
    results: Mutex<Receiver<Scored>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    /// Moves `reward` onto a new thread that scores the frames sent to it.
    pub fn spawn(mut reward: ClipReward) -> Result<Self, ClipError> {
        let (req_tx, req_rx) = sync_channel::<Vec<Frame>>(DEPTH);
        let (res_tx, res_rx) = std::sync::mpsc::channel::<Scored>();
        let thread = std::thread::Builder::new()
            .name("clip-scorer".into())
            .spawn(move || {
                for frames in req_rx {
                    let refs: Vec<&Frame> = frames.iter().collect();
                    if res_tx.send(reward.score_frames(&refs)).is_err() {
                        break;
                    }
                }
            })
            .map_err(|e| ClipError::Score(format!("starting the CLIP scoring thread: {e}")))?;
        Ok(Self {
            requests: Some(req_tx),
            results: Mutex::new(res_rx),
            thread: Some(thread),
        })
    }

    /// Queues frames for scoring (waits while [`DEPTH`] requests are already waiting).
    pub fn send(&self, frames: Vec<Frame>) -> Result<(), ClipError> {
        self.requests
            .as_ref()
            .and_then(|tx| tx.send(frames).ok())
            .ok_or_else(stopped)
    }

    /// The scores of the oldest request not yet received, waiting for them when `wait`,
    /// else `None` while they are not ready.
    pub fn receive(&self, wait: bool) -> Option<Scored> {
        let results = self.results.lock().unwrap_or_else(|e| e.into_inner());
        if wait {
            return Some(results.recv().unwrap_or_else(|_| Err(stopped())));
        }
        match results.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err(stopped())),
        }
    }
}

fn stopped() -> ClipError {
    ClipError::Score("the CLIP scoring thread stopped (it panicked?)".into())
}

impl Drop for Background {
    fn drop(&mut self) {
        // closing the request queue ends the thread's loop
        self.requests.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
