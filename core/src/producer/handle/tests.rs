use alloc::sync::Arc;
use alloc::vec::Vec;
use core::pin::pin;
use core::sync::atomic::{AtomicUsize, Ordering};
use core::task::{Context, Poll, Waker};

use super::*;

fn delivered() -> DeliveryResult {
    DeliveryResult::delivered(Arc::from([]), 1)
}

fn ticket() -> Ticket {
    Ticket(7)
}

#[test]
fn an_awaited_handle_resolves_once_completed() {
    let (completion, handle) = DeliveryHandle::pair(ticket());
    assert_eq!(handle.ticket(), ticket());
    let mut handle = pin!(handle);
    let mut cx = Context::from_waker(Waker::noop());
    assert!(handle.as_mut().poll(&mut cx).is_pending());
    completion.complete(delivered());
    assert_eq!(handle.as_mut().poll(&mut cx), Poll::Ready(delivered()));
}

#[test]
fn try_result_takes_the_outcome_once() {
    let (completion, mut handle) = DeliveryHandle::pair(ticket());
    assert_eq!(handle.try_result(), None);
    completion.complete(delivered());
    assert_eq!(handle.try_result(), Some(delivered()));
    assert_eq!(handle.try_result(), None);
}

#[test]
fn a_callback_runs_once_whether_it_comes_before_or_after_the_outcome() {
    let calls = Arc::new(AtomicUsize::new(0));
    // Registered first: runs when the outcome comes.
    let (completion, handle) = DeliveryHandle::pair(ticket());
    let seen = calls.clone();
    handle.on_complete(move |r| {
        assert!(r.is_success());
        seen.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    completion.complete(delivered());
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // Outcome first: runs at once.
    let (completion, handle) = DeliveryHandle::pair(ticket());
    completion.complete(delivered());
    let seen = calls.clone();
    handle.on_complete(move |_| {
        seen.fetch_add(1, Ordering::SeqCst);
    });
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[test]
fn a_dropped_completion_abandons_the_send() {
    let (completion, mut handle) = DeliveryHandle::pair(ticket());
    drop(completion);
    let result = handle.try_result().expect("completed by the drop");
    assert_eq!(result.failure, Some(DeliveryFailure::Abandoned));
    assert_eq!(result.logs(), Vec::new());
    // A callback learns it too.
    let (completion, handle) = DeliveryHandle::pair(ticket());
    let abandoned = Arc::new(AtomicUsize::new(0));
    let seen = abandoned.clone();
    handle.on_complete(move |r| {
        if r.failure == Some(DeliveryFailure::Abandoned) {
            seen.fetch_add(1, Ordering::SeqCst);
        }
    });
    drop(completion);
    assert_eq!(abandoned.load(Ordering::SeqCst), 1);
}

#[test]
fn a_dropped_handle_does_not_stop_the_completion() {
    let (completion, handle) = DeliveryHandle::pair(ticket());
    drop(handle);
    completion.complete(delivered());
}
