//! How many threads covmap may use (`--jobs`). covmap splits a few large steps in two (scoring
//! the leaves of a large inventory, writing assessment.json, reading inventories while ATT&CK
//! loads); `1` does every step on the calling thread. The outputs are the same bytes either
//! way: the CLI tests compare them.

use std::sync::atomic::{AtomicUsize, Ordering};

/// 0: not set (the default, two threads where a step splits).
static JOBS: AtomicUsize = AtomicUsize::new(0);

/// Sets the number of threads for the rest of the process (`0` restores the default).
pub fn set_jobs(jobs: usize) {
    JOBS.store(jobs, Ordering::Relaxed);
}

/// Whether a step may split across threads.
pub fn parallel() -> bool {
    JOBS.load(Ordering::Relaxed) != 1
}

/// Renders `batches` and hands each rendering to `consume`, in order, stopping at the first
/// error `consume` returns. With threads allowed and more than one batch, a second thread
/// renders every other batch while this one renders and consumes the rest: output is never
/// held whole, and consuming (writing) overlaps rendering. The other thread stays at most one
/// batch ahead, so memory stays at a few batches. `consume` gets each batch's position too.
pub fn render_in_order<B: Sync, R: Send, E>(
    batches: &[B],
    render: impl Fn(&B) -> R + Sync,
    mut consume: impl FnMut(usize, R) -> Result<(), E>,
) -> Result<(), E> {
    if batches.len() < 2 || !parallel() {
        for (i, batch) in batches.iter().enumerate() {
            consume(i, render(batch))?;
        }
        return Ok(());
    }
    let render = &render;
    std::thread::scope(|scope| {
        let (sender, receiver) = std::sync::mpsc::sync_channel::<R>(1);
        scope.spawn(move || {
            for batch in batches.iter().skip(1).step_by(2) {
                // Fails only when this side stopped early (an error): nothing more is wanted.
                if sender.send(render(batch)).is_err() {
                    return;
                }
            }
        });
        for (i, batch) in batches.iter().enumerate() {
            let rendered = if i.is_multiple_of(2) {
                render(batch)
            } else {
                // The other thread sends every odd batch, in order, unless it panicked (then
                // render it here).
                receiver.recv().unwrap_or_else(|_| render(batch))
            };
            consume(i, rendered)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::render_in_order;

    #[test]
    fn renders_every_batch_in_order_and_stops_at_the_first_error() {
        let batches: Vec<u32> = (0..9).collect();
        for count in 0..=batches.len() {
            let mut seen = Vec::new();
            let result: Result<(), ()> = render_in_order(
                &batches[..count],
                |b| b * 10,
                |i, r| {
                    seen.push((i, r));
                    Ok(())
                },
            );
            assert_eq!(result, Ok(()));
            let expected: Vec<(usize, u32)> = (0..count).map(|i| (i, i as u32 * 10)).collect();
            assert_eq!(seen, expected);
        }
        let mut consumed = 0;
        let result = render_in_order(
            &batches,
            |b| *b,
            |_, r| {
                consumed += 1;
                if r == 4 { Err(r) } else { Ok(()) }
            },
        );
        assert_eq!(result, Err(4));
        assert_eq!(consumed, 5);
    }
}
