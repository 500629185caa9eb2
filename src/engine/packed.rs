//! Values packed into machine words: the crate's one module with `unsafe` code.
//!
//! A pending Deferred costs one allocation, its chain, only if the chain keeps its first
//! callback inside itself and fits in 40 bytes (56 with its `Rc` counts: the allocator's
//! 64-byte size class). Safe Rust's layouts cannot get there: a callback of a type the chain
//! does not know must be boxed apart (`Box<dyn ..>`, a second allocation), a boxed value of
//! such a type is a two-word pointer, and an enum of pointers spends a word on its tag.
//! Built from those, a chain was 80 bytes plus a box per callback: two allocations and 120
//! bytes per pending Deferred (`benches/README.md` has the figures before and after). Three
//! types pack what safe Rust spreads out:
//!
//! - [`Word`]: nothing, or one of up to three pointers, in one word: the pointers'
//!   alignment leaves the two low bits of the address free for the tag.
//! - [`ThinBox`]: a value whose type is known only where it was boxed, behind a one-word
//!   pointer; its type and drop function sit in a header in front of it. A zero-sized value
//!   allocates nothing.
//! - [`Inline`]: a call whose type is known only where it was made (a [`Call`]), or a
//!   pointer, in two words: the call's captures sit in the second word when they fit, and
//!   are boxed there otherwise.
//!
//! Each type states its invariant, and each `unsafe` block the part it relies on. The test
//! suite runs under valgrind's memcheck (`.ci/memcheck`), this module's own tests included.

use std::any::{Any, TypeId};
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr::NonNull;
use std::rc::{Rc, Weak};
use std::sync::Arc;

/// A pointer that can be kept in a [`Word`], as the address it converts to and from.
///
/// # Safety
///
/// `from_raw` must turn an address made by `into_raw` of the same type back into the
/// pointer it was, owning what that pointer owned. [`Word`] checks the address's alignment
/// itself.
pub(crate) unsafe trait Pointer: Sized {
    fn into_raw(self) -> NonNull<()>;

    /// # Safety
    ///
    /// `raw` came from `into_raw` of this type and is turned back only once.
    unsafe fn from_raw(raw: NonNull<()>) -> Self;
}

/// The address of a live allocation is never null.
fn non_null<T: ?Sized>(raw: *const T) -> NonNull<()> {
    NonNull::new(raw.cast::<()>().cast_mut()).expect("deferreds: a pointer is never null")
}

/// `Pointer` for a smart pointer whose `into_raw` and `from_raw` are inverses, handing over
/// what it owns (a count, or the allocation) with the address.
macro_rules! pointer_by_raw {
    ($($pointer:ident),*) => {$(
        // SAFETY: `into_raw` and `from_raw` of the pointer type are inverses, and the trait's
        // contract passes `from_raw` only addresses from `into_raw` of the same type. (A
        // `Weak::new()` has no allocation and may give a null address: `non_null` refuses it;
        // the engine keeps weak pointers to live chains only.)
        unsafe impl<T> Pointer for $pointer<T> {
            fn into_raw(self) -> NonNull<()> {
                non_null($pointer::into_raw(self))
            }

            unsafe fn from_raw(raw: NonNull<()>) -> Self {
                // SAFETY: `raw` came from `into_raw` of a `$pointer<T>` (the trait's contract).
                unsafe { $pointer::from_raw(raw.cast::<T>().as_ptr()) }
            }
        }
    )*};
}

pointer_by_raw!(Rc, Weak, Arc, Box);

/// No pointer: the unused third kind of a [`Word`] that holds two.
pub(crate) enum Never {}

// SAFETY: there is no `Never` to convert, so neither function is ever called with one.
unsafe impl Pointer for Never {
    fn into_raw(self) -> NonNull<()> {
        match self {}
    }

    unsafe fn from_raw(_: NonNull<()>) -> Self {
        unreachable!("deferreds: no Word holds a Never")
    }
}

/// What a [`Word`] holds, unpacked.
pub(crate) enum Unpacked<A, B, C = Never> {
    Nothing,
    A(A),
    B(B),
    C(C),
}

/// The two low bits of an address aligned to 4: a [`Word`]'s tag.
const TAG_BITS: usize = 0b11;

/// Nothing, or one pointer of three kinds, in one word.
///
/// Invariant: `raw` is null (nothing), or the address of a pointer made by
/// [`Pointer::into_raw`], aligned to 4, with the low two bits set to 1, 2 or 3 for an `A`,
/// a `B` or a `C`. The word owns that pointer.
pub(crate) struct Word<A: Pointer, B: Pointer, C: Pointer = Never> {
    raw: *mut (),
    holds: PhantomData<(A, B, C)>,
}

impl<A: Pointer, B: Pointer, C: Pointer> Word<A, B, C> {
    #[inline]
    pub(crate) const fn nothing() -> Self {
        Word {
            raw: std::ptr::null_mut(),
            holds: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn pack(unpacked: Unpacked<A, B, C>) -> Self {
        let (raw, tag) = match unpacked {
            Unpacked::Nothing => return Word::nothing(),
            Unpacked::A(a) => (a.into_raw(), 1),
            Unpacked::B(b) => (b.into_raw(), 2),
            Unpacked::C(c) => (c.into_raw(), 3),
        };
        assert!(
            raw.as_ptr().addr() & TAG_BITS == 0,
            "deferreds: a packed pointer is aligned to 4"
        );
        Word {
            raw: raw.as_ptr().map_addr(|addr| addr | tag),
            holds: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn is_nothing(&self) -> bool {
        self.raw.is_null()
    }

    #[inline]
    pub(crate) fn unpack(self) -> Unpacked<A, B, C> {
        let word = ManuallyDrop::new(self);
        // SAFETY: `word` is never dropped, so the pointer read out is owned once, here.
        unsafe { word.read() }
    }

    /// Looks at what the word holds, without taking it.
    #[inline]
    pub(crate) fn peek<R>(&self, look: impl FnOnce(Unpacked<&A, &B, &C>) -> R) -> R {
        // SAFETY: the pointer read out is kept in a `ManuallyDrop` and only lent to `look`
        // while `self` is borrowed: the word stays its only owner.
        match unsafe { self.read() } {
            Unpacked::Nothing => look(Unpacked::Nothing),
            Unpacked::A(a) => look(Unpacked::A(&ManuallyDrop::new(a))),
            Unpacked::B(b) => look(Unpacked::B(&ManuallyDrop::new(b))),
            Unpacked::C(c) => look(Unpacked::C(&ManuallyDrop::new(c))),
        }
    }

    /// The pointer, read out of the word.
    ///
    /// # Safety
    ///
    /// The caller owns what is read out only if the word is not dropped or read again.
    #[inline]
    unsafe fn read(&self) -> Unpacked<A, B, C> {
        let tag = self.raw.addr() & TAG_BITS;
        let Some(raw) = NonNull::new(self.raw.map_addr(|addr| addr & !TAG_BITS)) else {
            return Unpacked::Nothing;
        };
        // SAFETY: by the invariant, a non-null word holds an address from `into_raw` of the
        // kind its tag names.
        unsafe {
            match tag {
                1 => Unpacked::A(A::from_raw(raw)),
                2 => Unpacked::B(B::from_raw(raw)),
                _ => Unpacked::C(C::from_raw(raw)),
            }
        }
    }
}

impl<A: Pointer, T, C: Pointer> Word<A, Box<T>, C> {
    /// The boxed `B`, if that is what the word holds.
    #[inline]
    pub(crate) fn b_mut(&mut self) -> Option<&mut T> {
        if self.raw.addr() & TAG_BITS != 2 {
            return None;
        }
        let boxed = self.raw.map_addr(|addr| addr & !TAG_BITS).cast::<T>();
        // SAFETY: tag 2 means `raw` is a `Box<T>`'s address, which the word owns; `&mut self`
        // lends it out once.
        Some(unsafe { &mut *boxed })
    }
}

impl<A: Pointer, B: Pointer, C: Pointer> Default for Word<A, B, C> {
    fn default() -> Self {
        Word::nothing()
    }
}

impl<A: Pointer, B: Pointer, C: Pointer> Drop for Word<A, B, C> {
    fn drop(&mut self) {
        // SAFETY: the word is being dropped: what is read out is owned here, once.
        drop(unsafe { self.read() });
    }
}

/// The header of a [`ThinBox`]: what its value is and how to drop it.
struct ValueTable {
    type_id: fn() -> TypeId,
    /// Drops the value and frees the box.
    drop: unsafe fn(NonNull<&'static ValueTable>),
    zero_sized: bool,
    needs_drop: bool,
}

/// A heap-allocated value with its header in front.
#[repr(C)]
struct Holder<T> {
    header: &'static ValueTable,
    value: T,
}

impl<T: Any> Holder<T> {
    const TABLE: ValueTable = ValueTable {
        type_id: TypeId::of::<T>,
        drop: Self::drop,
        zero_sized: std::mem::size_of::<T>() == 0,
        needs_drop: std::mem::needs_drop::<T>(),
    };
    /// A zero-sized value's whole box: its header, in static memory.
    const STATIC_HEADER: &'static &'static ValueTable = &&Self::TABLE;

    /// # Safety
    ///
    /// `header` is the header of a `ThinBox` made for a `T`, given up by it.
    unsafe fn drop(header: NonNull<&'static ValueTable>) {
        if std::mem::size_of::<T>() == 0 {
            // SAFETY: a zero-sized value needs no memory: a dangling, aligned pointer reads it.
            drop(unsafe { NonNull::<T>::dangling().read() });
        } else {
            // SAFETY: a non-zero-sized `T`'s header starts a `Box<Holder<T>>`
            // (`repr(C)`: the header is at offset 0).
            drop(unsafe { Box::from_raw(header.cast::<Holder<T>>().as_ptr()) });
        }
    }
}

/// A value of a type known only where it was boxed, behind a one-word pointer.
///
/// Invariant: `header` points to the header of a `Holder<T>` in a `Box` the `ThinBox` owns;
/// or, for a zero-sized `T`, to `Holder::<T>::STATIC_HEADER` (the value then needs no
/// memory). Either way the header's table is `Holder::<T>::TABLE`.
pub(crate) struct ThinBox {
    header: NonNull<&'static ValueTable>,
}

impl ThinBox {
    #[inline]
    pub(crate) fn new<T: Any>(value: T) -> Self {
        if std::mem::size_of::<T>() == 0 {
            // A zero-sized value is all in its type: the box of it is its static header.
            std::mem::forget(value);
            return ThinBox {
                header: NonNull::from(Holder::<T>::STATIC_HEADER).cast(),
            };
        }
        let holder = Box::new(Holder {
            header: &Holder::<T>::TABLE,
            value,
        });
        ThinBox {
            header: NonNull::from(Box::leak(holder)).cast(),
        }
    }

    #[inline]
    fn table(&self) -> &'static ValueTable {
        // SAFETY: by the invariant, `header` points to a live header.
        unsafe { self.header.as_ref() }
    }

    #[inline]
    pub(crate) fn is<T: Any>(&self) -> bool {
        // Most often the very table of `T`; but a table may have copies (one per codegen
        // unit), so another address still compares the types.
        std::ptr::eq(self.table(), &Holder::<T>::TABLE)
            || (self.table().type_id)() == TypeId::of::<T>()
    }

    #[inline]
    pub(crate) fn is_zero_sized(&self) -> bool {
        self.table().zero_sized
    }

    /// Does dropping the value run drop code (besides freeing the box)?
    #[inline]
    pub(crate) fn needs_drop(&self) -> bool {
        self.table().needs_drop
    }

    #[inline]
    pub(crate) fn downcast_mut<T: Any>(&mut self) -> Option<&mut T> {
        if !self.is::<T>() {
            return None;
        }
        if std::mem::size_of::<T>() == 0 {
            // SAFETY: a dangling, aligned pointer is a valid place for a zero-sized value.
            return Some(unsafe { NonNull::<T>::dangling().as_mut() });
        }
        // SAFETY: the box holds a `T` (checked above), in a `Holder<T>` it owns, lent out
        // once through `&mut self`.
        Some(unsafe { &mut (*self.header.cast::<Holder<T>>().as_ptr()).value })
    }

    /// The value, if it is a `T`; otherwise the box back.
    #[inline]
    pub(crate) fn downcast<T: Any>(self) -> Result<T, Self> {
        if !self.is::<T>() {
            return Err(self);
        }
        let this = ManuallyDrop::new(self);
        if std::mem::size_of::<T>() == 0 {
            // SAFETY: a zero-sized value is read from a dangling, aligned pointer; the box,
            // not dropped, gives it up.
            return Ok(unsafe { NonNull::<T>::dangling().read() });
        }
        // SAFETY: the box holds a `T` in a `Box<Holder<T>>` (checked above), taken back once
        // from the box, which is not dropped.
        let holder = unsafe { Box::from_raw(this.header.cast::<Holder<T>>().as_ptr()) };
        Ok(holder.value)
    }
}

impl Drop for ThinBox {
    fn drop(&mut self) {
        // SAFETY: the box gives up its header, once, to the function of the value's type.
        unsafe { (self.table().drop)(self.header) }
    }
}

// SAFETY: the header pointer round-trips as it is (a header is a reference, aligned to 8);
// the box's ownership goes with it.
unsafe impl Pointer for ThinBox {
    fn into_raw(self) -> NonNull<()> {
        ManuallyDrop::new(self).header.cast()
    }

    unsafe fn from_raw(raw: NonNull<()>) -> Self {
        ThinBox { header: raw.cast() }
    }
}

/// A signature of calls: what a [`Call`] takes and gives.
pub(crate) trait Signature: 'static {
    type Input;
    type Context: ?Sized;
    type Output;
}

/// What can be stored as a [`Call`] of signature `S`: called once, by value.
pub(crate) trait CallOnce<S: Signature>: Any {
    fn call_once(self, input: S::Input, context: &S::Context) -> S::Output;
}

/// A [`Call`]'s storage: the captures of the call, or a box of them.
type Slot = MaybeUninit<*mut ()>;

/// What a [`Call`] does with what it stores, for the type stored.
struct CallTable<S: Signature> {
    call: unsafe fn(Slot, S::Input, &S::Context) -> S::Output,
    drop: unsafe fn(Slot),
    as_any: unsafe fn(&mut Slot) -> &mut dyn Any,
}

/// The functions of a [`CallTable`] for `F`.
struct TableOf<S, F>(PhantomData<(S, F)>);

impl<S: Signature, F: CallOnce<S>> TableOf<S, F> {
    const TABLE: CallTable<S> = CallTable {
        call: Self::call,
        drop: Self::drop,
        as_any: Self::as_any,
    };

    /// Does an `F` fit in the slot itself?
    const INLINE: bool = std::mem::size_of::<F>() <= std::mem::size_of::<Slot>()
        && std::mem::align_of::<F>() <= std::mem::align_of::<Slot>();

    fn store(call: F) -> Slot {
        let mut slot = Slot::uninit();
        if Self::INLINE {
            // SAFETY: `F` fits the slot's size and alignment (`INLINE`).
            unsafe { slot.as_mut_ptr().cast::<F>().write(call) };
        } else {
            slot.write(Box::into_raw(Box::new(call)).cast());
        }
        slot
    }

    /// # Safety
    ///
    /// `slot` was made by `store` and is given up to this call.
    unsafe fn take(slot: Slot) -> F {
        if Self::INLINE {
            // SAFETY: the slot holds an `F` itself (`store`), moved out once.
            unsafe { slot.as_ptr().cast::<F>().read() }
        } else {
            // SAFETY: the slot holds a `Box<F>`'s address (`store`), taken back once.
            *unsafe { Box::from_raw(slot.assume_init().cast::<F>()) }
        }
    }

    /// # Safety
    ///
    /// As for `take`.
    unsafe fn call(slot: Slot, input: S::Input, context: &S::Context) -> S::Output {
        // SAFETY: passed on from the caller.
        unsafe { Self::take(slot) }.call_once(input, context)
    }

    /// # Safety
    ///
    /// As for `take`.
    unsafe fn drop(slot: Slot) {
        // SAFETY: passed on from the caller.
        drop(unsafe { Self::take(slot) });
    }

    /// # Safety
    ///
    /// `slot` was made by `store` and still holds its `F`.
    unsafe fn as_any(slot: &mut Slot) -> &mut dyn Any {
        if Self::INLINE {
            // SAFETY: the slot holds an `F` itself, lent out through `&mut`.
            unsafe { &mut *slot.as_mut_ptr().cast::<F>() }
        } else {
            // SAFETY: the slot holds a live `Box<F>`'s address, lent out through `&mut`.
            unsafe { &mut *slot.assume_init().cast::<F>() }
        }
    }
}

/// A call of a type known only where it was made, in two words.
///
/// Invariant: `slot` holds what `TableOf::<S, F>::store` made of an `F`, and `table` is
/// `TableOf::<S, F>::TABLE`, for the same `F`. The call owns the `F`.
pub(crate) struct Call<S: Signature> {
    table: &'static CallTable<S>,
    slot: Slot,
}

impl<S: Signature> Call<S> {
    #[inline]
    pub(crate) fn new<F: CallOnce<S>>(call: F) -> Self {
        Call {
            table: &TableOf::<S, F>::TABLE,
            slot: TableOf::<S, F>::store(call),
        }
    }

    #[inline]
    pub(crate) fn call(self, input: S::Input, context: &S::Context) -> S::Output {
        let call = ManuallyDrop::new(self);
        // SAFETY: the call, not dropped, gives up its slot to its own table, once.
        unsafe { (call.table.call)(call.slot, input, context) }
    }
}

impl<S: Signature> Drop for Call<S> {
    fn drop(&mut self) {
        // SAFETY: the call is being dropped: its slot goes to its own table, once.
        unsafe { (self.table.drop)(self.slot) }
    }
}

/// The head of an [`Inline`] holding a pointer is this static's address, which no table has.
static POINTER_HEAD: u8 = 0;

#[inline]
fn pointer_head() -> NonNull<()> {
    NonNull::from(&POINTER_HEAD).cast()
}

/// A [`Call`], or a pointer `L`, in two words; `Option<Inline>` is two words too.
///
/// Invariant: `head` is a `Call<S>`'s table, with `slot` its slot; or `pointer_head()`, with
/// `slot` holding an address from `L::into_raw`. It owns either.
pub(crate) struct Inline<S: Signature, L: Pointer> {
    head: NonNull<()>,
    slot: Slot,
    holds: PhantomData<(Call<S>, L)>,
}

impl<S: Signature, L: Pointer> Inline<S, L> {
    #[inline]
    pub(crate) fn call(call: Call<S>) -> Self {
        let call = ManuallyDrop::new(call);
        Inline {
            head: NonNull::from(call.table).cast(),
            slot: call.slot,
            holds: PhantomData,
        }
    }

    #[inline]
    pub(crate) fn pointer(pointer: L) -> Self {
        Inline {
            head: pointer_head(),
            slot: MaybeUninit::new(pointer.into_raw().as_ptr()),
            holds: PhantomData,
        }
    }

    #[inline]
    fn holds_pointer(&self) -> bool {
        self.head == pointer_head()
    }

    /// The pointer it holds, or else its call.
    #[inline]
    pub(crate) fn into_pointer(self) -> Result<L, Call<S>> {
        let inline = ManuallyDrop::new(self);
        if inline.holds_pointer() {
            // SAFETY: a pointer head means the slot holds an address from `L::into_raw`,
            // taken back once from `inline`, which is not dropped.
            let raw = unsafe { NonNull::new_unchecked(inline.slot.assume_init()) };
            Ok(unsafe { L::from_raw(raw) })
        } else {
            Err(Call {
                // SAFETY: any other head is a `Call<S>`'s table, moved out of `inline`,
                // which is not dropped, with its slot.
                table: unsafe { inline.head.cast::<CallTable<S>>().as_ref() },
                slot: inline.slot,
            })
        }
    }

    /// The stored call, to be downcast; `None` for a pointer.
    #[inline]
    pub(crate) fn as_any_mut(&mut self) -> Option<&mut dyn Any> {
        if self.holds_pointer() {
            return None;
        }
        // SAFETY: a head that is not the pointer head is a `Call<S>`'s table (the invariant),
        // whose slot holds its `F`, lent out through `&mut self`.
        let table = unsafe { self.head.cast::<CallTable<S>>().as_ref() };
        Some(unsafe { (table.as_any)(&mut self.slot) })
    }
}

impl<S: Signature, L: Pointer> Drop for Inline<S, L> {
    fn drop(&mut self) {
        // The copy takes over what `self` held (`self` is not used again), and unpacking it
        // does not drop it: dropping what it unpacks to drops the call or the pointer once.
        let copy: Inline<S, L> = Inline {
            head: self.head,
            slot: self.slot,
            holds: PhantomData,
        };
        drop(copy.into_pointer());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    struct Test;
    impl Signature for Test {
        type Input = u32;
        type Context = Cell<u32>;
        type Output = u32;
    }

    /// Adds its input and its captures; counts its drops.
    struct Adder<C> {
        captured: C,
        drops: Rc<Cell<u32>>,
    }

    /// What an `Adder` adds.
    trait Amount: Copy + 'static {
        fn amount(self) -> u32;
    }

    impl Amount for () {
        fn amount(self) -> u32 {
            0
        }
    }

    impl Amount for u8 {
        fn amount(self) -> u32 {
            self.into()
        }
    }

    impl Amount for u64 {
        fn amount(self) -> u32 {
            self.try_into().unwrap()
        }
    }

    impl<C: Amount> CallOnce<Test> for Adder<C> {
        fn call_once(self, input: u32, context: &Cell<u32>) -> u32 {
            context.set(context.get() + 1);
            input + self.captured.amount()
        }
    }

    impl<C> Drop for Adder<C> {
        fn drop(&mut self) {
            self.drops.set(self.drops.get() + 1);
        }
    }

    fn adder<C>(captured: C, drops: &Rc<Cell<u32>>) -> Adder<C> {
        Adder {
            captured,
            drops: drops.clone(),
        }
    }

    #[test]
    fn a_word_round_trips_each_kind_and_drops_what_it_holds() {
        type Three = Word<Rc<u32>, Box<u64>, Weak<u32>>;
        let shared = Rc::new(7_u32);
        let word = Three::pack(Unpacked::A(shared.clone()));
        assert_eq!(Rc::strong_count(&shared), 2);
        assert!(word.peek(|held| matches!(held, Unpacked::A(rc) if **rc == 7)));
        drop(word);
        assert_eq!(Rc::strong_count(&shared), 1);

        let mut word = Three::pack(Unpacked::B(Box::new(9)));
        *word.b_mut().unwrap() += 1;
        assert!(matches!(word.unpack(), Unpacked::B(b) if *b == 10));

        let word = Three::pack(Unpacked::C(Rc::downgrade(&shared)));
        assert_eq!(Rc::weak_count(&shared), 1);
        assert!(matches!(word.unpack(), Unpacked::C(weak) if weak.upgrade().is_some()));
        assert_eq!(Rc::weak_count(&shared), 0);
        assert!(Three::default().is_nothing());
    }

    #[test]
    fn a_thin_box_knows_its_type_and_gives_its_value_back() {
        let mut boxed = ThinBox::new(String::from("x"));
        assert!(boxed.is::<String>() && !boxed.is::<u8>() && !boxed.is_zero_sized());
        assert!(boxed.needs_drop() && !ThinBox::new(1_u8).needs_drop());
        boxed.downcast_mut::<String>().unwrap().push('y');
        let boxed = boxed.downcast::<u8>().unwrap_err();
        assert_eq!(boxed.downcast::<String>().ok().unwrap(), "xy");

        let unit = ThinBox::new(());
        assert!(unit.is_zero_sized() && unit.is::<()>());
        unit.downcast::<()>().ok().unwrap();
    }

    #[test]
    fn a_thin_box_drops_its_value_once_zero_sized_or_not() {
        let drops = Rc::new(Cell::new(0));
        drop(ThinBox::new(adder(1_u8, &drops)));
        assert_eq!(drops.get(), 1);

        thread_local!(static ZST_DROPS: Cell<u32> = const { Cell::new(0) });
        struct Zst;
        impl Drop for Zst {
            fn drop(&mut self) {
                ZST_DROPS.set(ZST_DROPS.get() + 1);
            }
        }
        drop(ThinBox::new(Zst));
        let zst = ThinBox::new(Zst).downcast::<Zst>().ok().unwrap();
        assert_eq!(ZST_DROPS.get(), 1);
        drop(zst);
        assert_eq!(ZST_DROPS.get(), 2);
    }

    #[test]
    fn a_call_runs_once_inline_or_boxed_and_drops_its_captures_once() {
        let drops = Rc::new(Cell::new(0));
        let calls = Cell::new(0);
        // An `Adder<()>` is one word (its `Rc`): stored inline; an `Adder<u64>` is boxed.
        const { assert!(TableOf::<Test, Adder<()>>::INLINE) };
        const { assert!(!TableOf::<Test, Adder<u64>>::INLINE) };

        let call = Call::<Test>::new(adder((), &drops));
        assert_eq!(call.call(40, &calls), 40);
        let call = Call::<Test>::new(adder(u64::from(u32::MAX - 1), &drops));
        assert_eq!(call.call(1, &calls), u32::MAX);
        assert_eq!((calls.get(), drops.get()), (2, 2));

        drop(Call::<Test>::new(adder(1_u64, &drops)));
        drop(Call::<Test>::new(adder((), &drops)));
        assert_eq!((calls.get(), drops.get()), (2, 4));
    }

    #[test]
    fn an_inline_holds_a_call_or_a_pointer_in_two_words() {
        type Step = Inline<Test, Rc<u32>>;
        assert_eq!(
            std::mem::size_of::<Option<Step>>(),
            2 * std::mem::size_of::<usize>()
        );
        let drops = Rc::new(Cell::new(0));
        let shared = Rc::new(5_u32);

        let mut step = Step::pointer(shared.clone());
        assert!(step.as_any_mut().is_none());
        assert!(matches!(step.into_pointer(), Ok(rc) if *rc == 5));
        drop(Step::pointer(shared.clone()));
        assert_eq!(Rc::strong_count(&shared), 1);

        let mut step = Step::call(Call::new(adder(3_u8, &drops)));
        assert!(step.as_any_mut().unwrap().is::<Adder<u8>>());
        let call = step.into_pointer().err().unwrap();
        assert_eq!(call.call(1, &Cell::new(0)), 4);
        drop(Step::call(Call::new(adder(3_u64, &drops))));
        assert_eq!(drops.get(), 2);
    }
}
