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

/// A chain's allocation: 40 bytes, and the two counts of its `Rc`.
const CHAIN: i64 = 56;

/// A pending `Deferred<u64>` with one callback: one allocation (the shared chain, which
/// the resolver points at too), at most 64 bytes.
#[test]
fn a_pending_deferred_with_one_callback() {
    let ((d, resolver), usage) = measure(|| {
        let (d, resolver) = Deferred::<u64>::new();
        (d.add_callback(|x| Ok(x + 1)), resolver)
    });
    assert!(usage.held <= 64, "{usage:?}");
    assert_eq!(usage.held, CHAIN);
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

/// A first callback whose captures fit in one word (a number, an `Rc`, a `Box`) sits inside
/// the chain too: still one allocation of at most 64 bytes. Larger captures are boxed
/// beside it.
#[test]
fn a_pending_deferred_with_one_capturing_callback() {
    let offset = black_box(5u64);
    let ((d, resolver), usage) = measure(|| {
        let (d, resolver) = Deferred::<u64>::new();
        (d.add_callback(move |x| Ok(x + offset)), resolver)
    });
    assert_eq!(usage.allocations, 1);
    assert_eq!(usage.held, CHAIN);
    resolver.callback(1);
    assert_eq!(success_result_of(d), 6);

    let shared = std::rc::Rc::new(Cell::new(0));
    let (resolver, usage) = measure(|| {
        let (d, resolver) = Deferred::<u64>::new();
        sink(d, &shared);
        resolver
    });
    assert_eq!((usage.allocations, usage.held), (1, CHAIN), "{usage:?}");
    resolver.callback(3);
    assert_eq!(shared.get(), 3);

    let (first, second) = black_box((1u64, 2u64));
    let ((d, resolver), usage) = measure(|| {
        let (d, resolver) = Deferred::<u64>::new();
        (d.add_callback(move |x| Ok(x + first + second)), resolver)
    });
    assert_eq!(usage.allocations, 2);
    assert_eq!(usage.held, CHAIN + 16);
    resolver.callback(0);
    assert_eq!(success_result_of(d), 3);
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
    // allocation per callback; beside it, the segment (24 bytes) and the chain's spill that
    // holds it (the first callback sits in the chain): at most 136 bytes.
    assert!(adding.allocations < 20, "{adding:?}");
    assert!(adding.held <= 1024 * 16 + 24 + 136, "{adding:?}");

    let ((), firing) = measure(|| resolver.callback(0));
    assert_eq!(firing.allocations, 1, "{firing:?}");
    assert_eq!(firing.allocated, SPARE_BOX as u64);
    // The callbacks' `Vec` went away as they ran. Left held: the result's box and the
    // chain's emptied spill.
    assert!(
        adding.held + firing.held <= SPARE_BOX + 136,
        "{adding:?} {firing:?}"
    );

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

/// Dropping a pending chain gives back everything it held, but the thread's one spare value
/// box: the emptied box of the last value taken, kept for the next value of that type.
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
    assert_eq!(usage.held, SPARE_BOX, "{usage:?}");
}

/// The emptied box of an `Option<u64>` a thread keeps for its next `u64` value (behind a
/// one-word header that says what it holds).
const SPARE_BOX: i64 = 8 + std::mem::size_of::<Option<u64>>() as i64;

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
    assert_eq!(returned.allocated, SPARE_BOX as u64, "{returned:?}");
    // Nothing: the inner's result moves into the box the outer's value left empty (the
    // thread's spare), and on to the outer chain; the inner chain keeps no result of its
    // own (nothing can read it, its only handle was consumed).
    let ((), fired) = measure(|| fire_inner.callback(41));
    assert_eq!(fired.allocations, 0, "{fired:?}");
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
    // The head's result box, moved along to the tail, and nothing per link: the `()` each
    // linked Deferred is left with is not boxed.
    assert_eq!(fired.allocations, 1, "{fired:?}");
    assert_eq!(fired.allocated, SPARE_BOX as u64, "{fired:?}");
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
    // A chain per level, and the callback (holding the next level's handle, more than a
    // word) boxed beside it.
    let handle = std::mem::size_of::<Deferred<u64>>();
    assert_eq!(
        built.held as usize,
        vec_bytes + DEPTH * CHAIN as usize + (DEPTH - 1) * handle,
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
    // One value box for all the levels: each level's callback takes the value out, and the
    // next level's value moves into the emptied box. Waiting costs nothing: the link back to
    // the level waiting sits inline beside the level's own callback (two steps are kept in
    // the chain itself).
    assert_eq!(waiting.allocations, 1, "{waiting:?}");
    let ((), fired) = measure(|| innermost.callback(5));
    // The innermost's value moves into the spare box and travels out; the levels it leaves
    // keep no result (nothing can read them); then everything is freed.
    assert_eq!(fired.allocations, 0, "{fired:?}");
    // All that is left is the outermost chain and its result, in the one box.
    assert_eq!(fired.held + waiting.held + built.held, CHAIN + SPARE_BOX);
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
    // Per yield: the chain of the next Deferred the body makes (after the last, none), and
    // one value box in all: each value moves into the box the one before left empty.
    assert_eq!(usage.allocations, YIELDS, "{usage:?}");
    assert_eq!(
        usage.allocated,
        (YIELDS - 1) * CHAIN as u64 + SPARE_BOX as u64,
        "{usage:?}"
    );
    assert_eq!(success_result_of(sum), YIELDS);
}

/// What `ops` operations cost, per operation, once the thread has warmed up (its spare value
/// box made by one operation first).
fn per_op(ops: u64, mut operation: impl FnMut()) -> Usage {
    operation();
    let ((), usage) = measure(|| (0..ops).for_each(|_| operation()));
    assert_eq!(
        usage.allocations % ops,
        0,
        "not the same per operation: {usage:?}"
    );
    Usage {
        allocations: usage.allocations / ops,
        allocated: usage.allocated / ops,
        held: usage.held / ops as i64,
    }
}

/// A result sink that captures something, as real code's last callback does.
fn sink(d: Deferred<u64>, into: &std::rc::Rc<Cell<u64>>) {
    let into = into.clone();
    drop(d.add_callback(move |v| {
        into.set(into.get() + v);
        Ok(())
    }));
}

/// A pending Deferred with one callback, fired and read: its chain, which holds the callback
/// too (its captures are one word). The value moves into the thread's spare box; the
/// callback's `()` costs nothing.
#[test]
fn cost_of_a_pending_deferred_fired() {
    let total = std::rc::Rc::new(Cell::new(0));
    let usage = per_op(100, || {
        let (d, resolver) = Deferred::<u64>::new();
        sink(d, &total);
        resolver.callback(1);
    });
    assert_eq!(usage.allocations, 1, "{usage:?}");
    assert_eq!(usage.allocated, CHAIN as u64, "{usage:?}");
    assert_eq!(total.get(), 101);
}

/// What each of `n` more costs in a scenario of `n`: the allocations `scenario(2 n)` counts
/// less those `scenario(n)` counts, per one, so that what the scenario does once drops out.
fn marginal(n: usize, scenario: impl Fn(usize) -> u64) -> u64 {
    scenario(n); // warm up: the thread's spare value box
    let (once, twice) = (scenario(n), scenario(2 * n));
    assert_eq!(
        (twice - once) % n as u64,
        0,
        "not the same for each: {once} vs {twice}"
    );
    (twice - once) / n as u64
}

/// `n` unfired Deferreds and their resolvers (in two allocations, whatever `n`).
fn unfired(n: usize) -> (Vec<Deferred<u64>>, Vec<Resolver<u64>>) {
    let mut unfired = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (d, resolver) = Deferred::<u64>::new();
        unfired.0.push(d);
        unfired.1.push(resolver);
    }
    unfired
}

/// The allocations `body` makes.
fn allocations(body: impl FnOnce()) -> u64 {
    measure(body).1.allocations
}

/// One input of `gather_results`, not counting its creation: nothing. The step that hands
/// its value to the gathered list is one pointer (which input it is, the input's chain
/// keeps), so it sits inside the input's chain; the value moves through the spare box.
#[test]
fn cost_of_one_gathered_input() {
    let per_input = marginal(1000, |inputs| {
        let (made, resolvers) = unfired(inputs);
        allocations(|| {
            let list = deferreds::gather_results(made);
            resolvers.into_iter().for_each(|r| r.callback(1));
            assert_eq!(success_result_of(list).len(), inputs);
        })
    });
    assert_eq!(per_input, 0);
}

/// One level of a nested chain (a callback returning the next, pending Deferred), created
/// and fired outermost first: the level's chain and its callback's box. Waiting costs
/// nothing more: the link to the level waiting sits beside the level's own callback, inline.
#[test]
fn cost_of_one_nested_level() {
    let per_level = marginal(1000, |depth| allocations(|| nest(depth)));
    assert_eq!(per_level, 2);
}

/// `depth` levels, each returned by the callback of the one outside it, fired outermost
/// first: every level waits on the next, until the innermost's value travels out.
fn nest(depth: usize) {
    let total = std::rc::Rc::new(Cell::new(0));
    let (levels, resolvers) = unfired(depth);
    let mut levels = levels.into_iter().rev();
    let mut nested = levels.next().expect("at least one level");
    for outer in levels {
        let inner = nested;
        nested = outer.add_callback(move |_| inner);
    }
    sink(nested, &total);
    for (k, resolver) in resolvers.into_iter().enumerate() {
        resolver.callback(k as u64);
    }
    assert_eq!(total.get(), depth as u64 - 1);
}

#[deferreds::inline_callbacks]
fn sum_all(pending: Vec<Deferred<u64>>) -> Result<u64, Failure> {
    let mut total = 0;
    for d in pending {
        total += yield_!(d)?;
    }
    Ok(total)
}

/// One pending `yield_!`, the Deferred's creation and firing included: the yielded
/// Deferred's chain, nothing else. The coroutine waits without allocating, and each value
/// moves into the box the one before left empty.
#[test]
fn cost_of_one_pending_yield() {
    let per_yield = marginal(1000, |yields| allocations(|| yield_each(yields)));
    assert_eq!(per_yield, 1);
}

/// `yields` pending Deferreds yielded one after the other, each fired while the coroutine
/// waits on it.
fn yield_each(yields: usize) {
    let (pending, resolvers) = unfired(yields);
    let sum = sum_all(pending);
    for resolver in resolvers {
        resolver.callback(1);
    }
    assert_eq!(success_result_of(sum), yields as u64);
}
