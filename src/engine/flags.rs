//! A chain's flags: its state besides its slot and its steps, in one word (see the
//! [engine's docs](super) for the legal combinations).

/// One yes-or-no of a chain's state.
#[derive(Clone, Copy)]
#[repr(u8)]
pub(super) enum Flag {
    /// It has its first result (fired, cancelled or abandoned): it takes no other.
    Called = 1 << 0,
    /// The run loop holds its result and is calling its steps.
    Running = 1 << 1,
    /// The result is an abandonment nobody was waiting for, passed on untouched: it is
    /// not reported as unhandled (Twisted never reports a Deferred that never fired).
    Unseen = 1 << 2,
    /// Its canceller is running: a resolver dropped meanwhile leaves the outcome to the
    /// cancel (the canceller's own result, or `CancelledError`), not to abandonment.
    Cancelling = 1 << 3,
    /// The first step is a coroutine's driver that has not finished: the chain counts as
    /// not called yet (Twisted's inlineCallbacks Deferred fires when the generator returns),
    /// though internally it has fired and waits on the Deferred the coroutine waits on.
    Coroutine = 1 << 4,
    /// Its extra holds a hook to call when nobody but its resolver is left to see it.
    WatchesObservers = 1 << 5,
}

/// The flags, the pause count and the chain's note, in eight bytes.
#[derive(Clone, Copy, Default)]
pub(super) struct Flags {
    bits: u8,
    /// Pauses not yet undone. 65,535 at most: more pauses stay at that.
    pub(super) paused: u16,
    /// A number the typed layer keeps on the chain for its own use: see
    /// [`Chain::note`](super::Chain::note).
    pub(super) note: u32,
}

impl Flags {
    #[inline(always)]
    pub(super) fn is(self, flag: Flag) -> bool {
        self.bits & flag as u8 != 0
    }

    #[inline(always)]
    pub(super) fn set(&mut self, flag: Flag, on: bool) {
        if on {
            self.bits |= flag as u8;
        } else {
            self.bits &= !(flag as u8);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_flag_is_set_and_cleared_alone() {
        let mut flags = Flags::default();
        flags.set(Flag::Running, true);
        flags.set(Flag::Unseen, true);
        flags.set(Flag::Running, false);
        assert!(flags.is(Flag::Unseen) && !flags.is(Flag::Running) && !flags.is(Flag::Called));
        assert_eq!(std::mem::size_of::<Flags>(), 8);
    }
}
