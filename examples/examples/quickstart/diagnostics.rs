//! The producer's own diagnostics in the quickstart: failed attempts printed to stderr as
//! they happen (above the progress bar), and the last error of the failed batches kept
//! for the summary.
//!
//! The producer already reports every failed attempt as a `tracing` event carrying the
//! attempt's record (HTTP status, error code, message). Reading those events costs
//! nothing per log and sees every batch, where tracking a sample of sends would add work
//! to the hot loop and could miss the failure that matters.

use core::fmt;
use std::io::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::ProgressBar;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::layer::Context;
use tracing_subscriber::prelude::*;
use tracing_subscriber::registry::LookupSpan;

/// The target prefix of the producer's diagnostics.
const PRODUCER_TARGETS: &str = "sls_producer";

/// Install the global subscriber: the producer's `WARN` and `ERROR` events printed to
/// stderr without tearing `bar`, and `errors` fed.
pub(crate) fn install(bar: &ProgressBar, errors: &LastErrors) {
    let stderr = tracing_subscriber::fmt::layer()
        .with_writer(BarWriter(bar.clone()))
        .with_target(false)
        .with_filter(Targets::new().with_target(PRODUCER_TARGETS, Level::WARN));
    // Another subscriber (a test's) may be installed already: then it sees the events.
    let _ = tracing_subscriber::registry()
        .with(stderr)
        .with(errors.layer())
        .try_init();
}

/// The last error of the batches the producer gave up, and how many ended with it.
#[derive(Clone, Debug, Default)]
pub(crate) struct LastErrors(Arc<Mutex<Failures>>);

/// What [`LastErrors`] has seen.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Failures {
    /// Batches given up.
    pub(crate) batches: u64,
    /// The error of the last batch given up, e.g. `connection refused to 127.0.0.1:1` or
    /// `403 Unauthorized: …`.
    pub(crate) last: Option<String>,
    /// How many of the given-up batches ended with [`last`](Self::last).
    pub(crate) last_count: u64,
}

impl LastErrors {
    /// A snapshot.
    pub(crate) fn get(&self) -> Failures {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// A layer that feeds this from the producer's events.
    pub(crate) fn layer<S>(&self) -> impl Layer<S> + use<S>
    where
        S: Subscriber + for<'span> LookupSpan<'span>,
    {
        Collector(self.clone())
            .with_filter(Targets::new().with_target(PRODUCER_TARGETS, Level::WARN))
    }
}

struct Collector(LastErrors);

impl<S: Subscriber> Layer<S> for Collector {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        // Only attempt outcomes carry these; credentials or shutdown warnings do not.
        let Some(error) = fields.error() else {
            return;
        };
        let mut failures = (self.0).0.lock().unwrap_or_else(PoisonError::into_inner);
        if fields.failed_logs.is_some() {
            failures.batches += 1;
            if failures.last.as_deref() == Some(error.as_str()) {
                failures.last_count += 1;
            } else {
                failures.last = Some(error);
                failures.last_count = 1;
            }
        }
    }
}

/// The fields of an attempt event that say what went wrong.
#[derive(Default)]
struct Fields {
    http_status: Option<u64>,
    error_code: Option<String>,
    error_message: Option<String>,
    failed_logs: Option<u64>,
}

impl Fields {
    /// `403 Unauthorized: message` for an HTTP answer; the message alone for a transport
    /// failure (it names the address).
    fn error(&self) -> Option<String> {
        let message = self.error_message.as_deref().unwrap_or("");
        match (self.http_status, self.error_code.as_deref()) {
            (Some(status), Some(code)) => Some(format!("{status} {code}: {message}")),
            (Some(status), None) => Some(format!("HTTP {status}: {message}")),
            (None, Some(code)) if message.is_empty() => Some(code.to_owned()),
            (None, _) if !message.is_empty() => Some(message.to_owned()),
            _ => None,
        }
    }
}

impl Visit for Fields {
    fn record_u64(&mut self, field: &Field, value: u64) {
        match field.name() {
            "http_status" => self.http_status = Some(value),
            "failed_logs" => self.failed_logs = Some(value),
            _ => {}
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Ok(value) = u64::try_from(value) {
            self.record_u64(field, value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "error_code" => self.error_code = Some(value.to_owned()),
            "error_message" => self.error_message = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn fmt::Debug) {}
}

/// Writes whole lines to stderr with the progress bar hidden meanwhile, so the two do not
/// overwrite each other.
#[derive(Clone)]
struct BarWriter(ProgressBar);

/// One event's text, written on drop.
struct Line {
    bar: ProgressBar,
    text: Vec<u8>,
}

impl<'a> MakeWriter<'a> for BarWriter {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line {
            bar: self.0.clone(),
            text: Vec::new(),
        }
    }
}

impl io::Write for Line {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        if !self.text.is_empty() {
            let text = core::mem::take(&mut self.text);
            self.bar.suspend(|| {
                let _ = io::stderr().lock().write_all(&text);
            });
        }
    }
}
