//! A `DeferredQueue`'s values as a `futures` `Stream`.

use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use futures_core::{FusedStream, Stream};

use super::queue::{DeferredQueue, QueueUnderflow};
use crate::future::DeferredFuture;

#[cfg_attr(docsrs, doc(cfg(feature = "futures")))]
impl<T: 'static> DeferredQueue<T> {
    /// The queue's values as a [`Stream`]: each item is the result of one
    /// [`get`](DeferredQueue::get), taken when the stream is polled for it, so the stream
    /// waits in the line of gets like any other. See [`QueueStream`].
    ///
    /// ```
    /// use deferreds::{ensure_deferred, testing, DeferredQueue, Failure};
    /// use futures::StreamExt;
    ///
    /// let queue = DeferredQueue::new();
    /// let mut values = queue.stream();
    /// let total = ensure_deferred(async move {
    ///     let mut total = 0;
    ///     while let Some(value) = values.next().await {
    ///         match value? {
    ///             0 => break, // the producer's "done"
    ///             n => total += n,
    ///         }
    ///     }
    ///     Ok::<_, Failure>(total)
    /// });
    /// for n in [1, 2, 3, 0] {
    ///     queue.put(n)?;
    /// }
    /// assert_eq!(testing::success_result_of(total), 6);
    /// # Ok::<(), deferreds::QueueOverflow<i32>>(())
    /// ```
    pub fn stream(&self) -> QueueStream<T> {
        QueueStream {
            queue: self.clone(),
            pending: None,
        }
    }
}

/// A [`Stream`] of a [`DeferredQueue`]'s values, from [`DeferredQueue::stream`] (feature
/// `futures`).
///
/// Polled for an item, the stream gets one from the queue: a value the queue keeps comes at
/// once; otherwise the stream's get waits in line for a later `put`, first come first
/// served among all gets. The stream never ends, as a queue has none (so it is a
/// [`FusedStream`] that is never terminated, and fits `futures::select!`). An item is
/// `Err(QueueUnderflow)` when the queue's line of gets is full; the next poll tries again.
///
/// Dropping the stream while its get waits cancels the get, so the queue keeps the next
/// value. A value already handed to that get, but not yet given out by the stream, goes
/// back to the queue: to the next get in line, or to the front of the queue, where it was.
///
/// ```
/// use deferreds::DeferredQueue;
/// use futures::StreamExt;
/// use std::task::{Context, Waker};
///
/// let queue = DeferredQueue::new();
/// let mut stream = queue.stream();
/// let mut context = Context::from_waker(Waker::noop());
/// assert!(stream.poll_next_unpin(&mut context).is_pending()); // its get waits
/// queue.put("handed to the stream")?;
/// queue.put("kept")?;
/// drop(stream); // never gave out its value
/// assert_eq!(queue.len(), 2);
/// assert_eq!(deferreds::testing::success_result_of(queue.get()?), "handed to the stream");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct QueueStream<T: 'static> {
    queue: DeferredQueue<T>,
    /// The get waiting for the next item, if the stream was polled since its last item.
    pending: Option<DeferredFuture<T>>,
}

impl<T: 'static> Stream for QueueStream<T> {
    type Item = Result<T, QueueUnderflow>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let pending = match &mut this.pending {
            Some(pending) => pending,
            None => match this.queue.get() {
                Ok(get) => this.pending.insert(get.into_future()),
                Err(underflow) => return Poll::Ready(Some(Err(underflow))),
            },
        };
        let result = match Pin::new(pending).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(result) => result,
        };
        this.pending = None;
        // Only the stream holds its get, and only the stream cancels it: a get fails for no
        // other reason, so this is always a value.
        Poll::Ready(result.ok().map(Ok))
    }
}

impl<T: 'static> FusedStream for QueueStream<T> {
    fn is_terminated(&self) -> bool {
        false
    }
}

impl<T: 'static> Drop for QueueStream<T> {
    fn drop(&mut self) {
        let Some(mut pending) = self.pending.take() else {
            return;
        };
        // Already handed a value? Then taking it is immediate, and it goes back.
        let mut context = Context::from_waker(Waker::noop());
        if let Poll::Ready(Ok(value)) = Pin::new(&mut pending).poll(&mut context) {
            self.queue.give_back(value);
        }
        // Still waiting: dropping the get cancels it, which takes it out of the line.
    }
}

impl<T: 'static> fmt::Debug for QueueStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueStream")
            .field("queue", &self.queue)
            .field("waiting", &self.pending.is_some())
            .finish()
    }
}
