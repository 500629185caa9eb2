//! The `tracing` feature: unhandled-error reports as structured `tracing` events, and
//! `#[inline_callbacks]` bodies resumed inside the span they were called in.
//!
//! A recording layer over `tracing_subscriber`'s registry keeps every event with its fields
//! and the spans it happened in; each test installs it for its own thread only.
//!
//! The unhandled-error hook and the debugging switch are process-wide, so every test that
//! makes a report takes `LOCK` and puts both back as it found them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use deferreds::testing::{capture_unhandled, success_result_of};
use deferreds::{inline_callbacks, set_debugging, set_unhandled_error_hook, Deferred, Failure};
use tracing::field::{Field, Visit};
use tracing::span::Id;
use tracing::{Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One event as the recorder saw it.
#[derive(Debug, Clone, PartialEq)]
struct Recorded {
    target: String,
    level: Level,
    /// Every field, the message included (as `message`), as text.
    fields: BTreeMap<String, String>,
    /// The spans the event happened in, outermost first.
    spans: Vec<String>,
}

impl Recorded {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Clone, Default)]
struct Recorder {
    events: Arc<Mutex<Vec<Recorded>>>,
    enters: Arc<Mutex<Vec<String>>>,
}

impl Recorder {
    fn events(&self) -> Vec<Recorded> {
        self.events.lock().unwrap().clone()
    }

    /// Each event's message and the spans it happened in.
    fn messages_in_spans(&self) -> Vec<(String, Vec<String>)> {
        self.events()
            .into_iter()
            .map(|event| (event.fields["message"].clone(), event.spans))
            .collect()
    }

    fn enters(&self) -> Vec<String> {
        self.enters.lock().unwrap().clone()
    }

    /// Runs `body` with this recorder as the subscriber of this thread.
    fn run<R>(&self, body: impl FnOnce() -> R) -> R {
        let subscriber = tracing_subscriber::registry().with(self.clone());
        tracing::subscriber::with_default(subscriber, body)
    }
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn on_event(&self, event: &tracing::Event<'_>, ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let spans = ctx
            .event_scope(event)
            .map(|scope| {
                scope
                    .from_root()
                    .map(|span| span.name().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        self.events.lock().unwrap().push(Recorded {
            target: event.metadata().target().to_owned(),
            level: *event.metadata().level(),
            fields,
            spans,
        });
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let name = ctx.span(id).map(|span| span.name()).unwrap_or("?");
        self.enters.lock().unwrap().push(name.to_owned());
    }
}

mod support;
use support::process_wide::serial;
use support::ZeroDivisionError;

/// The fields whose presence does not depend on the environment (`error.backtrace` is there
/// only if `RUST_BACKTRACE` asks for backtraces).
fn stable_field_names(event: &Recorded) -> Vec<&str> {
    event
        .fields
        .keys()
        .map(String::as_str)
        .filter(|name| *name != "error.backtrace")
        .collect()
}

#[test]
fn an_unhandled_failure_is_an_error_event_with_its_fields() {
    let _serial = serial();
    let recorder = Recorder::default();
    let location = recorder.run(|| {
        let failure = Failure::new(ZeroDivisionError);
        let location = failure.location().to_string();
        drop(Deferred::<u8>::fail(failure));
        location
    });
    let events = recorder.events();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.target, "deferreds::unhandled");
    assert_eq!(event.level, Level::ERROR);
    assert_eq!(
        stable_field_names(event),
        [
            "async_frames",
            "error.message",
            "error.type",
            "location",
            "message"
        ]
    );
    assert_eq!(event.field("message"), Some("Unhandled error in Deferred"));
    assert_eq!(
        event.field("error.type"),
        Some(std::any::type_name::<ZeroDivisionError>())
    );
    assert_eq!(event.field("error.message"), Some("division by zero"));
    assert_eq!(event.field("location"), Some(location.as_str()));
    assert_eq!(event.field("async_frames"), Some(""));
}

const FETCH_YIELD_LINE: u32 = line!() + 3;
#[inline_callbacks]
fn fetch(d: Deferred<u8>) -> Result<u8, Failure> {
    yield_!(d)
}

const SERVE_YIELD_LINE: u32 = line!() + 3;
#[inline_callbacks]
fn serve(d: Deferred<u8>) -> Result<u8, Failure> {
    yield_!(fetch(d))
}

#[test]
fn the_event_lists_the_async_frames_innermost_first() {
    let _serial = serial();
    let recorder = Recorder::default();
    recorder.run(|| {
        let (d, resolver) = Deferred::new();
        let served = serve(d); // both wait, each at its `yield_!`
        resolver.errback(Failure::msg("gone"));
        drop(served);
    });
    let events = recorder.events();
    assert_eq!(events.len(), 1, "{events:?}");
    let expected = format!(
        "fetch ({file}:{FETCH_YIELD_LINE}), serve ({file}:{SERVE_YIELD_LINE})",
        file = file!()
    );
    assert_eq!(events[0].field("async_frames"), Some(expected.as_str()));
}

#[test]
fn with_debugging_on_the_event_says_where_the_deferred_was_created_and_fired() {
    let _serial = serial();
    set_debugging(true);
    let recorder = Recorder::default();
    let (created, fired) = recorder.run(|| {
        let (d, resolver) = Deferred::<u8>::new();
        let created = format!("{}:{}:", file!(), line!() - 1);
        resolver.errback(Failure::msg("late"));
        let fired = format!("{}:{}:", file!(), line!() - 1);
        drop(d);
        (created, fired)
    });
    let events = recorder.events();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(
        stable_field_names(event),
        [
            "async_frames",
            "created",
            "created.backtrace",
            "error.message",
            "error.type",
            "fired",
            "fired.backtrace",
            "location",
            "message"
        ]
    );
    assert!(
        event.field("created").unwrap().starts_with(&created),
        "{event:?}"
    );
    assert!(
        event.field("fired").unwrap().starts_with(&fired),
        "{event:?}"
    );
}

#[test]
fn a_hook_takes_the_report_instead_of_the_subscriber() {
    let _serial = serial();
    let hooked = Arc::new(Mutex::new(Vec::new()));
    let into_hook = hooked.clone();
    set_unhandled_error_hook(move |report| {
        into_hook
            .lock()
            .unwrap()
            .push(report.failure().error_message());
    });
    let recorder = Recorder::default();
    recorder.run(|| drop(Deferred::<u8>::fail(Failure::msg("to the hook"))));
    assert_eq!(recorder.events(), []);
    assert_eq!(*hooked.lock().unwrap(), ["to the hook"]);
}

#[test]
fn a_capture_takes_the_report_instead_of_the_subscriber() {
    let _serial = serial();
    let recorder = Recorder::default();
    let captured =
        recorder.run(|| capture_unhandled(|| drop(Deferred::<u8>::fail(Failure::msg("captured")))));
    assert_eq!(recorder.events(), []);
    assert_eq!(captured.len(), 1);
    assert_eq!(captured[0].failure().error_message(), "captured");
}

#[inline_callbacks]
fn handle(request: Deferred<u32>, reply: Deferred<u32>) -> Result<u32, Failure> {
    tracing::info!("started");
    let id = yield_!(request)?;
    tracing::info!(id, "got the request");
    let answer = yield_!(reply)?;
    tracing::info!(answer, "replying");
    Ok(answer)
}

fn spans(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| name.to_string()).collect()
}

#[test]
fn an_inline_body_resumes_inside_the_span_it_was_called_in() {
    let recorder = Recorder::default();
    recorder.run(|| {
        let (request, fire_request) = Deferred::new();
        let (reply, fire_reply) = Deferred::new();
        let handled = {
            let _request = tracing::info_span!("request").entered();
            handle(request, reply)
        };
        {
            // Fired from inside another span: the body still runs in its own.
            let _network = tracing::info_span!("network").entered();
            fire_request.callback(7);
        }
        fire_reply.callback(42); // fired outside any span
        tracing::info!("after");
        assert_eq!(success_result_of(handled), 42);
    });
    assert_eq!(
        recorder.messages_in_spans(),
        [
            ("started".to_string(), spans(&["request"])),
            ("got the request".to_string(), spans(&["request"])),
            ("replying".to_string(), spans(&["request"])),
            ("after".to_string(), spans(&[])),
        ]
    );
}

#[test]
fn the_span_is_entered_for_every_run_of_the_body_and_left_after_each() {
    let recorder = Recorder::default();
    recorder.run(|| {
        let (request, fire_request) = Deferred::new();
        let (reply, fire_reply) = Deferred::new();
        let request_span = tracing::info_span!("request");
        let handled = request_span.in_scope(|| handle(request, reply));
        fire_request.callback(7);
        tracing::info!("between");
        fire_reply.callback(42);
        assert_eq!(success_result_of(handled), 42);
    });
    // The caller's own enter, then one per run of the body: the first and two resumptions.
    assert_eq!(recorder.enters(), ["request"; 4]);
    assert_eq!(
        recorder.messages_in_spans()[2],
        ("between".to_string(), spans(&[]))
    );
}

#[inline_callbacks]
fn panics_after(d: Deferred<u8>) -> Result<u8, Failure> {
    let value = yield_!(d)?;
    if value > 0 {
        panic!("the body gave up");
    }
    Ok(value)
}

#[test]
fn a_body_that_panics_leaves_its_span() {
    let recorder = Recorder::default();
    let failure = recorder.run(|| {
        let (d, resolver) = Deferred::new();
        let outcome = tracing::info_span!("request").in_scope(|| panics_after(d));
        resolver.callback(1);
        tracing::info!("after");
        deferreds::testing::failure_result_of(outcome)
    });
    assert!(
        failure.error_message().contains("the body gave up"),
        "{failure:?}"
    );
    assert_eq!(
        recorder.messages_in_spans(),
        [("after".to_string(), spans(&[]))]
    );
}

/// A subscriber whose `on_event` panics, after counting the call.
struct Panicking(Arc<Mutex<usize>>);

impl<S: Subscriber> Layer<S> for Panicking {
    fn on_event(&self, _event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        *self.0.lock().unwrap() += 1;
        panic!("the subscriber broke");
    }
}

#[test]
fn a_panicking_subscriber_does_not_unwind_into_the_dropped_chain() {
    let _serial = serial();
    let events = Arc::new(Mutex::new(0));
    let subscriber = tracing_subscriber::registry().with(Panicking(events.clone()));
    let dropped = tracing::subscriber::with_default(subscriber, || {
        std::panic::catch_unwind(|| {
            let (d, resolver) = Deferred::<u8>::new();
            let d = d.add_callback(|value| Ok(value + 1));
            resolver.errback(Failure::msg("lost"));
            drop(d);
        })
    });
    assert_eq!(
        *events.lock().unwrap(),
        1,
        "the report reached the subscriber"
    );
    assert!(dropped.is_ok(), "the subscriber's panic reached the caller");
    // The library is still in order afterwards.
    let (d, resolver) = Deferred::<u8>::new();
    resolver.callback(1);
    assert_eq!(success_result_of(d.add_callback(|value| Ok(value + 1))), 2);
}
