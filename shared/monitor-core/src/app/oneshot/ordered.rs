//! Work on every core, results folded in input order, with a bounded number in flight
//! (issue 16 items 2 and 3).
//!
//! The one-shot job profiles each capture file into a partial profile and merges the partials
//! in key order, as the tick does. Profiling is independent per file, so it runs on `threads`
//! worker threads; the merge is not commutative bit for bit (KLL compaction depends on the
//! order), so the calling thread folds the results strictly in input order, holding the ones
//! that finish early in a small reorder buffer. A worker only starts item `i` once item
//! `i - window` has been folded, so at most `window` results (a partial profile each, raw KLL
//! values included) are alive at a time: memory stays flat in the number of files, and the
//! result is the one a single thread would produce.
//!
//! Plain scoped threads, a mutex and a condition variable from `std`: no task needs to be
//! stolen (items are whole files) and the order guarantee is the point.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::sync::{Condvar, Mutex, PoisonError};

/// The number of worker threads to use when the caller asks for `0` ("every core").
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// The workers of [`map_fold_in_order`] on "every core": one per core, and one more.
///
/// The calling thread folds each result as it arrives and sleeps in between, and a worker
/// sleeps when it runs `window` items ahead of the fold; with one worker per core a core
/// idles in those moments. With one more, the cores stay busy: the one-shot job at 1M records
/// on 2 cores used 1.93 cores instead of 1.89 and ran about 5 % faster, for 2 MB more memory
/// (issue 16 item 2, 2026-12-07).
pub fn fold_workers() -> usize {
    default_threads() + 1
}

/// Which items the workers may start: the next one to claim, the next one to fold, and
/// whether the fold stopped (an error).
struct Gate {
    next: usize,
    folded: usize,
    stop: bool,
}

/// Stops every worker if a `map` call panics (its result will never arrive, so nothing after
/// it can be folded): the scope then re-raises the panic instead of waiting forever.
struct StopOnPanic<'a> {
    gate: &'a Mutex<Gate>,
    turn: &'a Condvar,
}

impl Drop for StopOnPanic<'_> {
    fn drop(&mut self) {
        self.gate
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stop = true;
        self.turn.notify_all();
    }
}

/// Maps every item of `items` with `map` on `threads` worker threads (`0` = every core) and
/// hands the results to `fold` in item order; at most `window` results are mapped but not yet
/// folded at any time (`window` is raised to `threads`).
///
/// With `threads == 1` no thread is spawned: items are mapped and folded one by one on the
/// calling thread, which is the reference order every other thread count reproduces.
///
/// # Errors
/// The first error in item order, from `map` or from `fold`; once one is seen no further item
/// is started, and nothing after it is folded.
pub fn map_fold_in_order<T, U, E>(
    items: &[T],
    threads: usize,
    window: usize,
    map: impl Fn(&T) -> Result<U, E> + Sync,
    mut fold: impl FnMut(U) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    U: Send,
    E: Send,
{
    let threads = if threads == 0 {
        default_threads()
    } else {
        threads
    }
    .min(items.len().max(1));
    if threads <= 1 {
        for item in items {
            fold(map(item)?)?;
        }
        return Ok(());
    }
    let window = window.max(threads);
    let gate = Mutex::new(Gate {
        next: 0,
        folded: 0,
        stop: false,
    });
    let turn = Condvar::new();
    let lock = || gate.lock().unwrap_or_else(PoisonError::into_inner);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Result<U, E>)>();
        for _ in 0..threads {
            let tx = tx.clone();
            let (map, gate, turn) = (&map, &gate, &turn);
            scope.spawn(move || loop {
                let i = {
                    let mut g = gate.lock().unwrap_or_else(PoisonError::into_inner);
                    while !g.stop && g.next < items.len() && g.next >= g.folded + window {
                        g = turn.wait(g).unwrap_or_else(PoisonError::into_inner);
                    }
                    if g.stop || g.next >= items.len() {
                        return;
                    }
                    g.next += 1;
                    g.next - 1
                };
                let guard = StopOnPanic { gate, turn };
                let r = map(&items[i]);
                std::mem::forget(guard);
                if tx.send((i, r)).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut early: BTreeMap<usize, Result<U, E>> = BTreeMap::new();
        let mut outcome = Ok(());
        let mut next = 0;
        'recv: for (i, r) in rx.iter() {
            early.insert(i, r);
            while let Some(r) = early.remove(&next) {
                next += 1;
                if let Err(e) = r.and_then(&mut fold) {
                    outcome = Err(e);
                    break 'recv;
                }
                lock().folded = next;
                turn.notify_all();
            }
        }
        // on an error, stop the workers (they finish the item in hand); dropping `rx`
        // makes their sends fail
        lock().stop = true;
        turn.notify_all();
        drop(rx);
        outcome
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fold that is order-sensitive (not commutative): the sequence itself.
    fn run(threads: usize, window: usize, n: usize) -> Vec<usize> {
        let items: Vec<usize> = (0..n).collect();
        let mut seen = Vec::new();
        map_fold_in_order(
            &items,
            threads,
            window,
            |&i| {
                // later items finish first, to exercise the reorder buffer
                std::thread::sleep(std::time::Duration::from_micros(((n - i) % 7) as u64 * 200));
                Ok::<_, String>(i * 10)
            },
            |v| {
                seen.push(v);
                Ok(())
            },
        )
        .unwrap();
        seen
    }

    #[test]
    fn results_are_folded_in_item_order_whatever_the_thread_count() {
        let want: Vec<usize> = (0..50).map(|i| i * 10).collect();
        for threads in [1, 2, 3, 8] {
            for window in [1, 2, 5] {
                assert_eq!(
                    run(threads, window, 50),
                    want,
                    "{threads} threads, window {window}"
                );
            }
        }
        assert!(run(4, 4, 0).is_empty());
    }

    #[test]
    fn at_most_window_results_are_in_flight() {
        let items: Vec<usize> = (0..40).collect();
        let started = AtomicUsize::new(0);
        let mut folded = 0usize;
        let mut max_ahead = 0usize;
        map_fold_in_order(
            &items,
            3,
            4,
            |&i| {
                started.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_micros(300));
                Ok::<_, ()>(i)
            },
            |i| {
                assert_eq!(i, folded);
                folded += 1;
                // items started but not yet folded, counting this one
                max_ahead = max_ahead.max(started.load(Ordering::SeqCst) - (folded - 1));
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(folded, 40);
        assert!((1..=4).contains(&max_ahead), "{max_ahead} in flight");
    }

    #[test]
    fn the_first_error_in_item_order_wins_and_stops_the_fold() {
        let items: Vec<usize> = (0..30).collect();
        for threads in [1, 2, 4] {
            let mut folded = Vec::new();
            let r = map_fold_in_order(
                &items,
                threads,
                4,
                |&i| if i == 7 || i == 9 { Err(i) } else { Ok(i) },
                |i| {
                    folded.push(i);
                    Ok(())
                },
            );
            assert_eq!(r, Err(7), "{threads} threads");
            assert_eq!(folded, (0..7).collect::<Vec<_>>());
            // an error of the fold itself stops it too
            let r = map_fold_in_order(
                &items,
                threads,
                4,
                |&i| Ok(i),
                |i| {
                    if i == 3 {
                        Err(100 + i)
                    } else {
                        Ok(())
                    }
                },
            );
            assert_eq!(r, Err(103));
        }
    }
}
