//! Page life: deliver what is buffered when the page is hidden or unloaded.
//!
//! ```text
//!  pagehide / visibilitychange→hidden ──► PageLifeTransport::set_hidden(true)
//!                                     └─► Producer::flush ──► engine seals every batch
//!  driver ──► PageLifeTransport ──► fetch(…, {keepalive: true})   (within the 64 KiB quota)
//!                               └─► fetch(…)                      (the rest)
//! ```

use core::cell::{Cell, RefCell};
use std::rc::Rc;

use async_trait::async_trait;
use js_sys::Reflect;
use sls_producer_core::Producer;
use sls_producer_core::rt::{HttpRequest, HttpResponse};
use sls_producer_core::rt::{HttpTransport, TransportError};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::EventTarget;

use crate::FetchTransport;
use crate::keepalive::KeepaliveBudget;

#[derive(Debug, Default)]
struct PageState {
    hidden: Cell<bool>,
    budget: Cell<KeepaliveBudget>,
    keepalive_requests: Cell<u64>,
}

impl PageState {
    fn try_reserve(&self, len: usize) -> bool {
        let mut budget = self.budget.get();
        let fits = budget.try_reserve(len);
        self.budget.set(budget);
        fits
    }

    fn release(&self, len: usize) {
        let mut budget = self.budget.get();
        budget.release(len);
        self.budget.set(budget);
    }
}

/// A [`FetchTransport`] that sends with `keepalive: true` while the page is hidden, so that
/// requests started as the page goes away complete even if it is closed.
///
/// Browsers allow at most [`KEEPALIVE_QUOTA`](crate::KEEPALIVE_QUOTA) bytes of keep-alive
/// request bodies in flight per document and refuse requests beyond it. This transport
/// counts its own keep-alive bodies and sends a request with `keepalive` only if it fits;
/// the others go as ordinary requests (which a closing page may cancel). Keep
/// `max_batch_bytes` well under 64 KiB in pages so that one batch always fits.
///
/// Clones share the hidden flag and the count.
#[derive(Clone, Debug)]
pub struct PageLifeTransport {
    normal: FetchTransport,
    keepalive: FetchTransport,
    state: Rc<PageState>,
}

impl PageLifeTransport {
    /// Send through `fetch` (its timeouts and limits apply to both kinds of request).
    pub fn new(fetch: FetchTransport) -> Self {
        Self {
            keepalive: fetch.clone().with_keepalive(true),
            normal: fetch.with_keepalive(false),
            state: Rc::default(),
        }
    }

    /// Mark the page hidden (keep-alive on) or visible again (off).
    pub fn set_hidden(&self, hidden: bool) {
        self.state.hidden.set(hidden);
    }

    /// Whether requests are currently sent with `keepalive`.
    pub fn is_hidden(&self) -> bool {
        self.state.hidden.get()
    }

    /// How many requests were sent with `keepalive` so far.
    pub fn keepalive_requests(&self) -> u64 {
        self.state.keepalive_requests.get()
    }
}

#[async_trait(?Send)]
impl HttpTransport for PageLifeTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let len = request.body.len();
        if !self.state.hidden.get() || !self.state.try_reserve(len) {
            return self.normal.send(request).await;
        }
        let state = &self.state;
        state
            .keepalive_requests
            .set(state.keepalive_requests.get() + 1);
        // Returned when the exchange ends or is dropped.
        let _reservation = Reservation {
            state: Rc::clone(state),
            len,
        };
        self.keepalive.send(request).await
    }

    /// `false`: `fetch` owns the `Date` header.
    fn can_set_date_header(&self) -> bool {
        false
    }
}

/// Returns a keep-alive reservation when the exchange ends or is dropped.
struct Reservation {
    state: Rc<PageState>,
    len: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.state.release(self.len);
    }
}

/// Whether the page can be seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageVisibility {
    /// `pagehide`, or `visibilitychange` with `document.visibilityState === "hidden"`: the
    /// user switched away, or the page is being unloaded or frozen. It may never run again.
    Hidden,
    /// `pageshow`, or `visibilitychange` back to visible.
    Visible,
}

type Listener = Closure<dyn FnMut(JsValue)>;

/// Listens for a page becoming hidden or visible; the listeners are removed on drop.
///
/// `pagehide` and `visibilitychange` are the events browsers reliably fire when a page goes
/// away, on mobile too (`beforeunload` and `unload` are not).
pub struct PageLifeListener {
    window: EventTarget,
    document: Option<EventTarget>,
    listeners: [(&'static str, Listener); 3],
}

impl core::fmt::Debug for PageLifeListener {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PageLifeListener")
            .field("document", &self.document.is_some())
            .finish_non_exhaustive()
    }
}

impl PageLifeListener {
    /// Call `on_change` whenever the page is hidden or shown again. `None` where there is
    /// no page (workers, Node, Cloudflare Workers): the global scope has no `document`.
    pub fn install(on_change: impl FnMut(PageVisibility) + 'static) -> Option<Self> {
        let global = js_sys::global();
        let document = Reflect::get(&global, &JsValue::from_str("document"))
            .ok()
            .filter(|d| d.is_object())?;
        if !has_method(&global, "addEventListener") {
            return None;
        }
        let window: EventTarget = global.unchecked_into();
        let document = has_method(&document, "addEventListener")
            .then(|| document.unchecked_into::<EventTarget>());

        let on_change = Rc::new(RefCell::new(on_change));
        let notify = |visibility: PageVisibility| {
            let on_change = Rc::clone(&on_change);
            move |_event: JsValue| {
                // Re-entrant events (a handler that triggers another) are dropped rather
                // than panicking on the borrow.
                if let Ok(mut f) = on_change.try_borrow_mut() {
                    f(visibility);
                }
            }
        };
        let on_visibility = {
            let on_change = Rc::clone(&on_change);
            let document = document.clone();
            move |_event: JsValue| {
                let hidden = document
                    .as_ref()
                    .and_then(|d| Reflect::get(d, &JsValue::from_str("visibilityState")).ok())
                    .and_then(|state| state.as_string())
                    .is_some_and(|state| state == "hidden");
                let visibility = if hidden {
                    PageVisibility::Hidden
                } else {
                    PageVisibility::Visible
                };
                if let Ok(mut f) = on_change.try_borrow_mut() {
                    f(visibility);
                }
            }
        };
        let listeners: [(&'static str, Listener); 3] = [
            (
                "pagehide",
                Closure::new(notify(PageVisibility::Hidden)) as Listener,
            ),
            (
                "pageshow",
                Closure::new(notify(PageVisibility::Visible)) as Listener,
            ),
            ("visibilitychange", Closure::new(on_visibility) as Listener),
        ];
        for (event, listener) in &listeners {
            let target = match (*event, &document) {
                ("visibilitychange", Some(document)) => document,
                ("visibilitychange", None) => continue,
                _ => &window,
            };
            let _ =
                target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
        Some(Self {
            window,
            document,
            listeners,
        })
    }
}

impl Drop for PageLifeListener {
    fn drop(&mut self) {
        for (event, listener) in &self.listeners {
            let target = match (*event, &self.document) {
                ("visibilitychange", Some(document)) => document,
                ("visibilitychange", None) => continue,
                _ => &self.window,
            };
            let _ = target
                .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
    }
}

/// Flush `producer` through `transport`'s keep-alive requests whenever the page is hidden.
///
/// On [`PageVisibility::Hidden`] the transport switches to `keepalive` and the producer
/// seals and sends every batch at once; on [`PageVisibility::Visible`] the transport
/// switches back. Returns `None` where there is no page. The listener holds a producer
/// handle: drop it (or close the producer) when done.
pub fn flush_on_page_hide(
    producer: &Producer,
    transport: &PageLifeTransport,
) -> Option<PageLifeListener> {
    let producer = producer.clone();
    let transport = transport.clone();
    PageLifeListener::install(move |visibility| match visibility {
        PageVisibility::Hidden => {
            transport.set_hidden(true);
            // The flush starts now; nobody waits for it (the page may be gone).
            drop(producer.flush());
        }
        PageVisibility::Visible => transport.set_hidden(false),
    })
}

fn has_method(target: &JsValue, name: &str) -> bool {
    Reflect::get(target, &JsValue::from_str(name)).is_ok_and(|f| f.is_function())
}
