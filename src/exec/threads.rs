//! In-process work spread over a few threads.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Run `f` over `items` on `workers` scoped threads (each takes the next item when it is
/// free); results in item order. Unlike a rayon pool, the threads may block (an HTTP
/// request, a child process) without starving the global pool that training uses.
pub fn map_threads<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let out: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= items.len() {
                        break;
                    }
                    let r = f(&items[i]);
                    out.lock().expect("no worker panicked holding the results")[i] = Some(r);
                }
            });
        }
    });
    out.into_inner()
        .expect("no worker panicked holding the results")
        .into_iter()
        .map(|r| r.expect("every item ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order_whatever_the_workers() {
        let items: Vec<u64> = (0..50).collect();
        for workers in [0, 1, 3, 100] {
            let out = map_threads(&items, workers, |&x| {
                std::thread::sleep(std::time::Duration::from_micros(50 * (x % 5)));
                x * x
            });
            assert_eq!(out, items.iter().map(|x| x * x).collect::<Vec<_>>());
        }
    }
}
