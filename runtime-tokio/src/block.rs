//! Waiting for a future on a plain thread, without a runtime.

use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};
use std::sync::Arc;
use std::task::Wake;
use std::thread::{self, Thread};

/// Wakes the thread that is blocked in [`block_on`].
struct Unparker(Thread);

impl Wake for Unparker {
    fn wake(self: Arc<Self>) {
        self.0.unpark();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.0.unpark();
    }
}

/// Poll `future` on this thread, parking it between wake-ups. Only for futures that are
/// completed by other threads (the producer's flush and close futures wait for the
/// driver, which runs on the runtime's workers).
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    let waker = Waker::from(Arc::new(Unparker(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        // A stale unpark token only costs one extra poll.
        thread::park();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;

    #[test]
    fn waits_for_a_future_completed_by_another_thread() {
        let (tx, rx) = mpsc::channel::<Waker>();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let helper = thread::spawn(move || {
            let waker = rx.recv().unwrap();
            flag.store(true, Ordering::SeqCst);
            waker.wake();
        });
        let mut sent = Some(tx);
        let out = block_on(core::future::poll_fn(|cx| {
            if done.load(Ordering::SeqCst) {
                return Poll::Ready(42);
            }
            if let Some(tx) = sent.take() {
                tx.send(cx.waker().clone()).unwrap();
            }
            Poll::Pending
        }));
        assert_eq!(out, 42);
        helper.join().unwrap();
    }
}
