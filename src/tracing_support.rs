//! What the `tracing` feature adds: unhandled-error reports as `tracing` events, and the
//! caller's span carried into every resumption of an `#[inline_callbacks]` body.
//!
//! Without the feature, nothing here costs anything: [`CallerSpan`] is zero-sized and its
//! methods do nothing, so a suspended `#[inline_callbacks]` body is as small as before.

/// The span that was current when an `#[inline_callbacks]` function was called. The body
/// runs inside it each time it resumes, whoever fired the Deferred it waited on, as
/// `tracing::Instrument` does for a future.
#[derive(Debug)]
pub(crate) struct CallerSpan {
    #[cfg(feature = "tracing")]
    span: tracing::Span,
}

// Proof that the driver carries nothing for it when the feature is off.
#[cfg(not(feature = "tracing"))]
const _: () = assert!(std::mem::size_of::<CallerSpan>() == 0);

impl CallerSpan {
    /// The span current on this thread now.
    #[inline]
    pub(crate) fn current() -> Self {
        CallerSpan {
            #[cfg(feature = "tracing")]
            span: tracing::Span::current(),
        }
    }

    /// Runs `body` inside the span; the span is exited again even if `body` panics.
    #[inline]
    pub(crate) fn in_scope<R>(&self, body: impl FnOnce() -> R) -> R {
        #[cfg(feature = "tracing")]
        let _entered = self.span.enter();
        body()
    }
}

#[cfg(feature = "tracing")]
mod events {
    use crate::debug::DebugInfo;
    use crate::failure::Failure;

    /// The target of unhandled-error events, to filter them by.
    const UNHANDLED_TARGET: &str = "deferreds::unhandled";

    /// Sends an unhandled failure to the current `tracing` subscriber as an `ERROR` event.
    /// Returns `false`, sending nothing, if no subscriber would record it (none is set, or
    /// its filter turns the event away): the report must then go elsewhere, not vanish.
    pub(crate) fn report_unhandled(failure: &Failure, debug: Option<&DebugInfo>) -> bool {
        if !tracing::event_enabled!(target: UNHANDLED_TARGET, tracing::Level::ERROR) {
            return false;
        }
        let frames = failure
            .async_frames()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let created = debug.and_then(|debug| debug.created.as_ref());
        let fired = debug.and_then(|debug| debug.fired.as_ref());
        tracing::event!(
            target: UNHANDLED_TARGET,
            tracing::Level::ERROR,
            "error.type" = failure.type_name(),
            error.message = failure.error_message(),
            error.backtrace = failure.captured_backtrace().map(tracing::field::display),
            location = %failure.location(),
            async_frames = frames,
            created = created.map(|trace| tracing::field::display(trace.location())),
            created.backtrace = created.map(|trace| tracing::field::display(trace.backtrace())),
            fired = fired.map(|trace| tracing::field::display(trace.location())),
            fired.backtrace = fired.map(|trace| tracing::field::display(trace.backtrace())),
            "Unhandled error in Deferred"
        );
        true
    }
}

#[cfg(feature = "tracing")]
pub(crate) use events::report_unhandled;
