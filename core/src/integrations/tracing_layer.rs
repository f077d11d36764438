//! A [`tracing_subscriber`] layer that ships application events to SLS through a
//! producer (feature `tracing-layer`; native targets, where the producer is `Send`).
//!
//! ```text
//!  tracing::info!(user = 42, "login")  ──► SlsLayer::on_event ──► Log ──► Producer::send (never waits)
//!        inside span `request{id=7}`         │ ignored: the producer's own targets,
//!                                            │ its HTTP/TLS stack, anything raised while
//!                                            │ the producer's driver runs
//!                                            ▼ refused (buffer full, closed): counted, reported later
//! ```
//!
//! Each event becomes one log:
//!
//! | Key | Value |
//! |---|---|
//! | `level` | `ERROR`, `WARN`, `INFO`, `DEBUG` or `TRACE` |
//! | `target` | the event's target (by default its module path) |
//! | `location` | `file:line`, with [`SlsLayerBuilder::with_location`] |
//! | `message` | the event's message |
//! | each field | its value: strings as is, numbers and booleans in decimal, other values with `Debug`, errors with `Display` |
//! | `spans` | the names of the enclosing spans, outermost first, joined with `:` |
//! | `{span}.{field}` | the fields of each enclosing span (see [`SpanFields`]) |
//!
//! An event field named `level`, `target`, `location` or `spans` is stored as
//! `field.{name}`. The log's time is the producer's wall clock when the event was raised.
//!
//! ```no_run
//! # fn demo(producer: sls_producer_core::producer::Producer) -> Result<(), Box<dyn std::error::Error>> {
//! use sls_producer_core::engine::Route;
//! use sls_producer_core::integrations::tracing_layer::SlsLayer;
//! use tracing_subscriber::prelude::*;
//!
//! let layer = SlsLayer::builder(producer.clone(), Route::new("my-project", "app-logs")?).build();
//! let shipping = layer.handle();
//! tracing_subscriber::registry()
//!     .with(layer.with_filter(tracing_subscriber::filter::LevelFilter::INFO))
//!     .init();
//!
//! tracing::info!(user = 42, "login");
//! // ... at shutdown: `producer.close(Some(timeout)).await`, then
//! println!("dropped {} events", shipping.stats().dropped());
//! # Ok(()) }
//! ```
//!
//! # Never blocking, never looping
//!
//! The layer calls [`Producer::send`], which returns at once: when the producer's memory
//! budget is full (or it is closed) the event is dropped and counted in [`ShipStats`](super::ShipStats). Once
//! there is room again the layer first sends one `WARN` log saying how many events were
//! dropped, so the gap is visible in SLS too; the start and end of each dropping episode
//! are also raised as `tracing` events for your other layers (e.g. `fmt` on stderr).
//!
//! The producer's own diagnostics would otherwise come back through this layer: a failing
//! endpoint would turn each failure into one more log to send. So the layer never ships
//! events whose target starts with `sls_producer`, nor those of the targets in
//! [`DEFAULT_IGNORED_TARGETS`](super::DEFAULT_IGNORED_TARGETS) (the HTTP and TLS stack), nor any event raised on a thread
//! while the producer's driver is being polled (which covers delivery callbacks and
//! transport code). Those events still reach every other layer.

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString as _};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::engine::Route;
use crate::integrations::ship::{
    Shipper, default_ignored, push_field, push_field_fmt, push_located,
};
use crate::producer::Producer;
use crate::protocol::proto::Log;

use crate::integrations::ship::ShipHandle;

/// Keys the layer writes itself; event fields with these names get a `field.` prefix.
const RESERVED: &[&str] = &["level", "target", "location", "spans"];

/// Which span fields an event's log carries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpanFields {
    /// Every field of every enclosing span, as `{span name}.{field}` (the default).
    #[default]
    Prefixed,
    /// Every field of every enclosing span under its own name; an inner span's field comes
    /// after an outer one's of the same name.
    Flat,
    /// Only the `spans` key with the span names.
    NamesOnly,
    /// Nothing about spans.
    None,
}

/// Configures an [`SlsLayer`]; from [`SlsLayer::builder`].
#[derive(Debug)]
#[must_use]
pub struct SlsLayerBuilder {
    producer: Producer,
    route: Route,
    span_fields: SpanFields,
    location: bool,
    ignored: Vec<Cow<'static, str>>,
}

impl SlsLayerBuilder {
    /// How span context is recorded. Default [`SpanFields::Prefixed`].
    pub fn span_fields(mut self, span_fields: SpanFields) -> Self {
        self.span_fields = span_fields;
        self
    }

    crate::integrations::ship::ship_builder_setters!("event", "events");

    /// The layer.
    pub fn build(self) -> SlsLayer {
        SlsLayer {
            shipper: Arc::new(Shipper::new(
                self.producer,
                self.route,
                self.ignored,
                "target",
            )),
            span_fields: self.span_fields,
            location: self.location,
        }
    }
}

/// A layer that ships every event it sees to one producer route. See the
/// [module docs](self).
pub struct SlsLayer {
    shipper: Arc<Shipper>,
    span_fields: SpanFields,
    location: bool,
}

impl SlsLayer {
    /// Configure a layer that sends through `producer` to `route` (project, logstore,
    /// topic, source).
    pub fn builder(producer: Producer, route: Route) -> SlsLayerBuilder {
        SlsLayerBuilder {
            producer,
            route,
            span_fields: SpanFields::default(),
            location: false,
            ignored: default_ignored(),
        }
    }

    /// A handle to the layer's counters, to keep once the layer moves into a subscriber.
    pub fn handle(&self) -> ShipHandle {
        self.shipper.handle()
    }

    /// The producer the layer sends through.
    pub fn producer(&self) -> &Producer {
        self.shipper.producer()
    }

    fn event_log<S>(&self, event: &Event<'_>, ctx: &Context<'_, S>) -> Log
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let meta = event.metadata();
        let mut log = self
            .shipper
            .new_log()
            .with_content("level", meta.level().as_str())
            .with_content("target", meta.target());
        if self.location {
            if let (Some(file), Some(line)) = (meta.file(), meta.line()) {
                push_located(&mut log, file, line);
            }
        }
        event.record(&mut FieldWriter(&mut log));
        if self.span_fields == SpanFields::None {
            return log;
        }
        let Some(scope) = ctx.event_scope(event) else {
            return log;
        };
        let mut names = String::new();
        for span in scope.from_root() {
            if !names.is_empty() {
                names.push(':');
            }
            names.push_str(span.name());
            let prefix = match self.span_fields {
                SpanFields::Prefixed => Some(span.name()),
                SpanFields::Flat => None,
                SpanFields::NamesOnly | SpanFields::None => continue,
            };
            let extensions = span.extensions();
            let Some(fields) = extensions.get::<SpanValues>() else {
                continue;
            };
            for (name, value) in &fields.0 {
                let key = match prefix {
                    Some(p) => Cow::Owned(format!("{p}.{name}")),
                    None => Cow::Borrowed(*name),
                };
                push_field(&mut log, RESERVED, &key, value);
            }
        }
        if !names.is_empty() {
            log.push("spans", names);
        }
        log
    }
}

impl fmt::Debug for SlsLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlsLayer")
            .field("shipper", &self.shipper)
            .field("span_fields", &self.span_fields)
            .field("location", &self.location)
            .finish()
    }
}

impl<S> Layer<S> for SlsLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if matches!(self.span_fields, SpanFields::NamesOnly | SpanFields::None) {
            return;
        }
        let mut values = SpanValues(Vec::new());
        attrs.record(&mut values);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(values);
        }
    }

    fn on_record(&self, id: &Id, record: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let mut extensions = span.extensions_mut();
        if let Some(values) = extensions.get_mut::<SpanValues>() {
            record.record(values);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if self.shipper.skips(event.metadata().target()) {
            return;
        }
        let log = self.event_log(event, &ctx);
        self.shipper.ship(log);
    }
}

/// The recorded fields of a span, in its extensions.
struct SpanValues(Vec<(&'static str, String)>);

impl SpanValues {
    fn set(&mut self, field: &Field, value: String) {
        match self.0.iter_mut().find(|(name, _)| *name == field.name()) {
            Some((_, old)) => *old = value,
            None => self.0.push((field.name(), value)),
        }
    }
}

impl Visit for SpanValues {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field, value.to_string());
    }

    fn record_error(&mut self, field: &Field, value: &(dyn core::error::Error + 'static)) {
        self.set(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.set(field, format!("{value:?}"));
    }
}

/// Appends an event's fields to a log, each value written straight into it.
struct FieldWriter<'a>(&'a mut Log);

impl Visit for FieldWriter<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        push_field(self.0, RESERVED, field.name(), value);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn core::error::Error + 'static)) {
        push_field_fmt(self.0, RESERVED, field.name(), format_args!("{value}"));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        push_field_fmt(self.0, RESERVED, field.name(), format_args!("{value:?}"));
    }
}
