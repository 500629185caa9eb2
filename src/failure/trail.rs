//! A failure's trail: the `#[inline_callbacks]` functions it travelled out of.
//!
//! A clone starts with the trail it was cloned with and records its own from there: a
//! cached failure handed out again and again, or one given to several waiters, gains frames
//! only on the journey of the clone that travels. The trail is a persistent list, newest
//! frame first, so copying one is a reference count, and a frame is one small allocation
//! however many clones share the frames before it.

use std::sync::Arc;

use super::AsyncFrame;

#[derive(Clone, Default)]
pub(super) struct Trail {
    newest: Option<Arc<Link>>,
}

struct Link {
    frame: AsyncFrame,
    earlier: Trail,
}

impl Trail {
    /// Adds the function the failure has just travelled out of.
    pub(super) fn push(&mut self, frame: AsyncFrame) {
        let earlier = std::mem::take(self);
        self.newest = Some(Arc::new(Link { frame, earlier }));
    }

    /// The frames, innermost (oldest) first.
    pub(super) fn frames(&self) -> Vec<AsyncFrame> {
        let mut frames = Vec::new();
        let mut next = self.newest.as_deref();
        while let Some(link) = next {
            frames.push(link.frame);
            next = link.earlier.newest.as_deref();
        }
        frames.reverse();
        frames
    }
}

impl Drop for Link {
    /// A failure that left a hundred thousand stacked functions has a trail as long: unlink
    /// it in a loop, as far as nobody else shares it, instead of one nested drop per frame.
    fn drop(&mut self) {
        let mut next = self.earlier.newest.take();
        while let Some(mut link) = next.and_then(Arc::into_inner) {
            next = link.earlier.newest.take();
        }
    }
}
