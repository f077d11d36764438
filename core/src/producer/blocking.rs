//! Waiting for a producer from a plain thread: where that is allowed, and how (feature
//! `std`).
//!
//! A blocking call waits for progress that the producer's driver makes. It is refused
//! where the waiting thread could be the one the driver needs:
//!
//! * the producer's own driver and the delivery callbacks it runs (the driver marks its
//!   thread while it is polled: [`DriverThread`]);
//! * a thread the runtime says must not block ([`Runtime::may_block`](crate::rt::Runtime::may_block):
//!   inside a tokio runtime, the only thread of a browser, a simulation).

use core::fmt;
#[cfg(feature = "std")]
use core::future::Future;

#[cfg(feature = "std")]
use core::cell::Cell;

#[cfg(feature = "std")]
std::thread_local! {
    /// How many drivers are being polled on this thread right now.
    static IN_DRIVER: Cell<u32> = const { Cell::new(0) };
}

/// A blocking call was refused: waiting here could stall the very progress it waits for.
/// Nothing was done. Await the async form instead (`send_async`, `flush`, `close`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockingError {
    /// The calling thread runs asynchronous tasks (a tokio runtime's thread, the browser's
    /// event loop, a simulation) that the producer may need.
    InsideRuntime,
    /// The call came from the producer's own driver: a delivery callback, or code the
    /// driver's transport or timer ran.
    InsideDriver,
}

impl fmt::Display for BlockingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::InsideRuntime => {
                "a blocking producer call was made on a thread that runs async tasks; await the async method instead"
            }
            Self::InsideDriver => {
                "a blocking producer call was made from the producer's driver (e.g. a delivery callback), which would wait for itself"
            }
        })
    }
}

impl core::error::Error for BlockingError {}

/// While alive, marks this thread as running a producer's driver. Without `std` it does
/// nothing (and nothing can block).
pub(crate) struct DriverThread {
    _thread_bound: core::marker::PhantomData<*const ()>,
}

impl DriverThread {
    pub(crate) fn enter() -> Self {
        #[cfg(feature = "std")]
        IN_DRIVER.with(|n| n.set(n.get().saturating_add(1)));
        Self {
            _thread_bound: core::marker::PhantomData,
        }
    }
}

impl Drop for DriverThread {
    fn drop(&mut self) {
        #[cfg(feature = "std")]
        IN_DRIVER.with(|n| n.set(n.get().saturating_sub(1)));
    }
}

/// Whether the calling thread may block on a producer whose runtime allows it or not
/// (`runtime_allows`).
#[cfg(feature = "std")]
pub(crate) fn check(runtime_allows: bool) -> Result<(), BlockingError> {
    if IN_DRIVER.with(Cell::get) > 0 {
        Err(BlockingError::InsideDriver)
    } else if !runtime_allows {
        Err(BlockingError::InsideRuntime)
    } else {
        Ok(())
    }
}

/// Run `future` to completion on this thread, parking it between polls.
#[cfg(feature = "std")]
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    use alloc::sync::Arc;
    use core::pin::pin;
    use core::task::{Context, Poll};
    use std::task::Wake;
    use std::thread::{self, Thread};

    struct Unpark(Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.0.unpark();
        }
    }

    let waker = Arc::new(Unpark(thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        thread::park();
    }
}
