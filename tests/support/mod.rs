//! What several test files share: a log of what ran, in order, and a plain error type.
// Each test file is its own crate and uses only part of this.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

/// What the callbacks of a test did, in order.
pub type Log = Rc<RefCell<Vec<String>>>;

/// Records `entry` in `log`.
pub fn note(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

/// A plain error with a message.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Oops(pub &'static str);
