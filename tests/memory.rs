//! What the chain costs in heap memory: bytes held by a pending Deferred, allocations made
//! when adding callbacks and when firing. A counting global allocator wraps the system one
//! and counts per thread, so the test harness's other threads (and the other tests running
//! beside these) do not disturb the figures.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use deferreds::testing::success_result_of;
use deferreds::{Deferred, Failure, Resolver};

struct Counting;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Totals {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    allocations: u64,
    /// Bytes handed out (a `realloc` counts its growth), ever.
    allocated: u64,
    /// Bytes given back (a `realloc` counts its shrinking), ever.
    freed: u64,
}

thread_local! {
    static TOTALS: Cell<Totals> = const {
        Cell::new(Totals { allocations: 0, allocated: 0, freed: 0 })
    };
}

fn record(change: impl FnOnce(&mut Totals)) {
    // `try_with`: the allocator also runs while thread-locals are being torn down.
    let _ = TOTALS.try_with(|totals| {
        let mut now = totals.get();
        change(&mut now);
        totals.set(now);
    });
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(|t| {
            t.allocations += 1;
            t.allocated += layout.size() as u64;
        });
        System.alloc(layout)
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(|t| {
            t.allocations += 1;
            t.allocated += layout.size() as u64;
        });
        System.alloc_zeroed(layout)
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        record(|t| t.freed += layout.size() as u64);
        System.dealloc(ptr, layout)
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(|t| {
            t.allocations += 1;
            t.allocated += new_size as u64;
            t.freed += layout.size() as u64;
        });
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What `body` did to this thread's heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Usage {
    /// Allocation calls made.
    allocations: u64,
    /// Bytes allocated, whether or not freed again.
    allocated: u64,
    /// Bytes still held afterwards (negative if `body` freed more than it allocated).
    held: i64,
}

fn measure<R>(body: impl FnOnce() -> R) -> (R, Usage) {
    let before = TOTALS.with(Cell::get);
    let result = body();
    let after = TOTALS.with(Cell::get);
    let usage = Usage {
        allocations: after.allocations - before.allocations,
        allocated: after.allocated - before.allocated,
        // This thread may free what another allocated, so only the differences are meaningful.
        held: (after.allocated - before.allocated) as i64 - (after.freed - before.freed) as i64,
    };
    (result, usage)
}

/// The counter itself works (so the zeros below mean something).
#[test]
fn the_counter_counts_this_thread() {
    let (boxed, usage) = measure(|| black_box(Box::new([0u8; 40])));
    assert_eq!(usage.allocations, 1);
    assert_eq!(usage.held, 40);
    let ((), usage) = measure(|| drop(boxed));
    assert_eq!(usage.allocations, 0);
    assert_eq!(usage.held, -40);
}

/// A pending `Deferred<u64>` with one callback: one allocation (the shared chain, which
/// the resolver points at too), at most 96 bytes.
#[test]
fn a_pending_deferred_with_one_callback() {
    let ((d, resolver), usage) = measure(|| {
        let (d, resolver) = Deferred::<u64>::new();
        (d.add_callback(|x| Ok(x + 1)), resolver)
    });
    assert!(usage.held <= 96, "{usage:?}");
    assert_eq!(usage.held, 96);
    assert_eq!(usage.allocations, 1);

    // The callback itself (a closure capturing nothing) took no memory of its own.
    let ((d2, resolver2), bare) = measure(Deferred::<u64>::new);
    assert_eq!(bare.held, usage.held);

    // Firing allocates the result's box.
    let ((), fired) = measure(|| resolver.callback(1));
    assert_eq!(fired.allocations, 1);
    assert_eq!(success_result_of(d), 2);
    drop((d2, resolver2));
}

/// A callback that captures something is boxed: its captures are added on top.
#[test]
fn a_pending_deferred_with_one_capturing_callback() {
    let offset = black_box(5u64);
    let ((d, resolver), usage) = measure(|| {
        let (d, resolver) = Deferred::<u64>::new();
        (d.add_callback(move |x| Ok(x + offset)), resolver)
    });
    assert_eq!(usage.allocations, 2);
    assert_eq!(usage.held, 96 + 8);
    resolver.callback(1);
    assert_eq!(success_result_of(d), 6);
}

/// `Deferred::succeed` keeps its value inline: nothing on the heap.
#[test]
fn an_already_fired_deferred_allocates_nothing() {
    let (d, usage) = measure(|| Deferred::succeed(0u64));
    assert_eq!(usage.allocations, 0);
    assert_eq!(usage.held, 0);

    // Nor do callbacks added to it: they run at once on the inline value.
    let (d, usage) = measure(|| {
        let mut d = d;
        for _ in 0..1000 {
            d = d.add_callback(|x| Ok(x + 1));
        }
        d
    });
    assert_eq!(usage.allocations, 0);
    assert_eq!(success_result_of(d), 1000);

    // Callbacks that change the type, or that capture, do not allocate either.
    let step = black_box(3u64);
    let (d, usage) = measure(|| {
        Deferred::succeed(0u64)
            .add_callback(move |x| Ok(x as u32 + step as u32))
            .add_callback(|x| Ok(u64::from(x) * 2))
            .add_errback(|_| Ok(0))
            .add_both(|r| r)
    });
    assert_eq!(usage.allocations, 0);
    assert_eq!(success_result_of(d), 6);
}

/// Firing a pending chain of 1000 same-typed callbacks allocates only the result's box:
/// each callback writes its output back into the same box.
#[test]
fn firing_a_pending_chain_of_same_typed_callbacks() {
    let (d, resolver) = Deferred::<u64>::new();
    let (d, adding) = measure(|| {
        let mut d = d;
        for _ in 0..1000 {
            d = d.add_callback(|x| Ok(x + 1));
        }
        d
    });
    // Adding them costs the queue that holds them (a `Vec` of 16-byte pointers to the
    // capture-less closures, grown by doubling, as the bench's floor does), not one
    // allocation per callback; beside it, the segment (24 bytes) and the queue of the steps
    // before it (a 48-byte box with a 16-byte buffer for the first callback).
    assert!(adding.allocations < 20, "{adding:?}");
    assert!(adding.held <= 1024 * 16 + 24 + 48 + 16, "{adding:?}");

    let ((), firing) = measure(|| resolver.callback(0));
    assert_eq!(firing.allocations, 1, "{firing:?}");
    assert_eq!(firing.allocated, std::mem::size_of::<Option<u64>>() as u64);
    // The callbacks' `Vec` and the queue went away as they ran. Left held: the result's box.
    assert_eq!(adding.held + firing.held, 16);

    assert_eq!(success_result_of(d), 1000);
}

/// Callbacks that change the type need a new box for each new type.
#[test]
fn firing_a_pending_chain_that_changes_type() {
    let (d, resolver) = Deferred::<u64>::new();
    let mut d = d;
    for _ in 0..500 {
        d = d
            .add_callback(|x: u64| Ok(x as u32 + 1))
            .add_callback(|x: u32| Ok(u64::from(x) + 1));
    }
    let ((), firing) = measure(|| resolver.callback(0));
    // One box for the first value, then one for each change of type.
    assert_eq!(firing.allocations, 1 + 1000, "{firing:?}");
    assert_eq!(success_result_of(d), 1000);
}

/// Dropping a pending chain gives back everything it held.
#[test]
fn dropping_a_pending_chain_frees_everything() {
    let ((), usage) = measure(|| {
        let (d, resolver): (Deferred<u64>, Resolver<u64>) = Deferred::new();
        let mut d = d;
        for _ in 0..1000 {
            d = d.add_callback(|x| Ok(x + 1));
        }
        // Handle first: the resolver's drop then fails the chain; take that failure.
        let d = d.add_errback(|_: Failure| Ok(0));
        drop(resolver);
        assert_eq!(success_result_of(d), 0);
    });
    assert_eq!(usage.held, 0, "{usage:?}");
}

/// A Deferred returned by a callback and fired later: what waiting on it costs.
#[test]
fn a_callback_returning_a_pending_deferred() {
    let (inner, fire_inner) = Deferred::<u64>::new();
    let (outer, fire_outer) = Deferred::<u64>::new();
    let outer = outer
        .add_callback(move |_| inner)
        .add_callback(|x| Ok(x + 1));
    // The outer's result box (freed again when the callback takes the value); the link to
    // the outer chain sits inline in the inner chain's queue.
    let ((), returned) = measure(|| fire_outer.callback(0));
    assert_eq!(returned.allocations, 1, "{returned:?}");
    assert_eq!(returned.allocated, 16, "{returned:?}");
    // Only the inner's result box, which moves on to the outer chain: the inner chain keeps
    // no result of its own (nothing can read it, its only handle was consumed).
    let ((), fired) = measure(|| fire_inner.callback(41));
    assert_eq!(fired.allocations, 1, "{fired:?}");
    assert_eq!(fired.allocated, 16, "{fired:?}");
    assert_eq!(success_result_of(outer), 42);
}

/// Firing the head of `chain_deferred` links: the result moves along, and each link leaves
/// `()` behind as its chain's result.
#[test]
fn firing_chain_deferred_links() {
    const LINKS: usize = 1000;
    let (head, fire_head) = Deferred::<u64>::new();
    let mut units = Vec::with_capacity(LINKS);
    let mut tail = head;
    for _ in 0..LINKS {
        let (next, resolver) = Deferred::new();
        units.push(tail.chain_deferred(resolver));
        tail = next;
    }
    let ((), fired) = measure(|| fire_head.callback(7));
    // The head's result box, moved along to the tail, plus one 1-byte `Some(())` box per
    // link, the `()` each linked Deferred is left with.
    assert!(fired.allocations <= 1 + LINKS as u64, "{fired:?}");
    assert!(fired.allocated <= 16 + LINKS as u64, "{fired:?}");
    assert_eq!(success_result_of(tail), 7);
    for unit in units {
        success_result_of(unit);
    }
}

/// Nesting `DEPTH` pending Deferreds, each returned by the previous one's callback: the
/// memory each level holds while it waits.
#[test]
fn memory_per_nested_level() {
    const DEPTH: usize = 1000;
    let ((d, resolvers), built) = measure(|| {
        let mut resolvers = Vec::with_capacity(DEPTH);
        let (mut inner, resolver) = Deferred::<u64>::new();
        resolvers.push(resolver);
        for _ in 1..DEPTH {
            let (d, resolver) = Deferred::new();
            resolvers.push(resolver);
            inner = d.add_callback(move |_| inner);
        }
        (inner, resolvers)
    });
    let vec_bytes = DEPTH * std::mem::size_of::<Resolver<u64>>();
    // A 96-byte chain per level, and the callback (holding the next level's handle) boxed
    // beside it.
    let handle = std::mem::size_of::<Deferred<u64>>();
    assert_eq!(
        built.held as usize,
        vec_bytes + DEPTH * 96 + (DEPTH - 1) * handle,
        "{built:?}"
    );
    assert_eq!(built.allocations as usize, 1 + DEPTH + (DEPTH - 1));
    // Fire outermost first: every level waits on the next.
    let mut resolvers = resolvers;
    let innermost = resolvers.remove(0);
    let ((), waiting) = measure(|| {
        for resolver in resolvers.into_iter().rev() {
            resolver.callback(0);
        }
    });
    // The Vec of resolvers goes; each level's result box comes and goes again.
    // Each level's result box (freed again when its callback takes the value), and for
    // each level waited on that has a callback of its own queued, a queue buffer for two
    // steps: its callback and the link back to the level waiting on it (one step is kept
    // inline, two are not).
    assert_eq!(
        waiting.allocations as usize,
        (DEPTH - 1) + (DEPTH - 2),
        "{waiting:?}"
    );
    let ((), fired) = measure(|| innermost.callback(5));
    // The innermost's box travels out; each level it leaves gets a 1-byte `Some(())` box
    // as its result (which nothing can read); then everything is freed.
    assert!(fired.allocations <= DEPTH as u64, "{fired:?}");
    assert!(fired.allocated as usize <= 16 + (DEPTH - 1), "{fired:?}");
    // All that is left is the outermost chain and its result.
    assert_eq!(fired.held + waiting.held + built.held, 96 + 16);
    assert_eq!(success_result_of(d), 5);
}

#[deferreds::inline_callbacks]
fn sum_fired(n: u64) -> Result<u64, Failure> {
    let mut total = 0;
    for i in 0..n {
        total += yield_!(Deferred::succeed(black_box(i)))?;
    }
    Ok(total)
}

/// Yielding Deferreds that already have their result allocates nothing per yield: the
/// result is taken on the spot, without suspending the generator.
#[test]
fn fired_yields_allocate_nothing_per_yield() {
    let (few, short) = measure(|| success_result_of(sum_fired(10)));
    let (many, long) = measure(|| success_result_of(sum_fired(10_000)));
    assert_eq!((few, many), (45, 49_995_000));
    assert_eq!(short.allocations, long.allocations, "{short:?} vs {long:?}");
}

type Pending = std::rc::Rc<std::cell::RefCell<Option<Resolver<u64>>>>;

#[deferreds::inline_callbacks]
fn sum_pending(n: u64, pending: Pending) -> Result<u64, Failure> {
    let mut total = 0;
    for _ in 0..n {
        let (d, resolver) = Deferred::new();
        *pending.borrow_mut() = Some(resolver);
        total += yield_!(d)?;
    }
    Ok(total)
}

/// Yielding a pending Deferred, fire included, allocates only the Deferred itself: its
/// chain and its result's box. The generator waits without allocating.
#[test]
fn a_pending_yield_allocates_only_the_yielded_deferred() {
    const YIELDS: u64 = 1000;
    let pending: Pending = Default::default();
    let sum = sum_pending(YIELDS, pending.clone());
    let mut fired = 0;
    let ((), usage) = measure(|| loop {
        let resolver = pending.borrow_mut().take();
        let Some(resolver) = resolver else { break };
        resolver.callback(1);
        fired += 1;
    });
    assert_eq!(fired, YIELDS);
    // Per yield: the result box of the Deferred fired, and the chain of the next one the
    // body makes; after the last, the box of the function's own result instead.
    assert_eq!(usage.allocations, 2 * YIELDS, "{usage:?}");
    assert_eq!(success_result_of(sum), YIELDS);
}
