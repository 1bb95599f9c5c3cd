//! The [`Trace`] and [`Finalize`] traits, the [`Tracer`] and the std impls.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, LinkedList, VecDeque};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::rc::Rc;

use crate::raw::{self, GcHeader, IN_SET, REACHABLE};
use crate::weak::WeakRecord;

/// Python's `tp_finalize` / `__del__`: runs at most once per object (PEP 442).
///
/// The collector calls `finalize` on every object of a garbage cycle before it clears
/// any of them; a plain reference-count death calls it just before the value is dropped.
/// A finalizer may resurrect objects by storing handles it reaches somewhere reachable;
/// resurrected objects survive the collection unharmed (and are never finalized again).
///
/// `#[derive(Finalize)]` implements the empty finalizer.
pub trait Finalize {
    /// Whether [`finalize`](Finalize::finalize) does anything. `#[derive(Finalize)]` and the
    /// std impls set it to `false` so the collector skips them (and `is_finalized` stays
    /// `false`, as for a Python class without `__del__`). Hand-written impls keep `true`.
    #[doc(hidden)]
    const NEEDS_FINALIZE: bool = true;

    /// The finalizer. The default does nothing.
    fn finalize(&self) {}
}

/// Reports the [`Gc`](crate::Gc) edges of a value to the collector (`tp_traverse`).
///
/// `trace` calls [`Trace::trace`] on every field that may hold a `Gc` (directly or
/// inside containers). `#[derive(Trace)]` writes it for structs and enums;
/// `#[trace(skip)]` on a field leaves it out (for fields that hold no `Gc`).
///
/// # Exactness: what a hand-written impl may get wrong
///
/// `Trace` is a safe trait: a wrong impl can never cause undefined behaviour. The
/// collector only *subtracts* (counts as internal, the step that can make an object
/// garbage) the edges of types whose [`EXACTNESS`](Trace::EXACTNESS) is vouched for;
/// every handle held by any other type counts as a reference from outside. So:
///
/// * `#[derive(Trace)]` vouches for its type when every traced field type is exact, and
///   the std impls are exact (containers when their element types are);
/// * a hand-written impl that keeps the default [`Exactness::UNVERIFIED`] is safe
///   whatever it reports (missing edges, edges it does not own, edges twice): the
///   collector never runs it during a collection, and every object it holds a handle
///   to is treated as referenced from outside. A cycle that passes through such a value
///   is never collected (it leaks, like a Python object whose `tp_traverse` is missing);
/// * a hand-written impl that is exact can say so with `unsafe`
///   ([`Exactness::vouched`]), and its cycles are then collected:
///
/// ```
/// use std::cell::RefCell;
/// use pymemory_gc::{self as gc, Exactness, Finalize, Gc, Trace, Tracer};
///
/// #[derive(Finalize)]
/// struct Pair {
///     left: RefCell<Option<Gc<Pair>>>,
///     right: RefCell<Option<Gc<Pair>>>,
/// }
///
/// impl Trace for Pair {
///     // SAFETY: `trace` reports `left` and `right`, each once; both are owned by the
///     // value (dropped with it), and it reports nothing else and has no side effects.
///     const EXACTNESS: Exactness<Self> = unsafe { Exactness::vouched() }
///         .and(<RefCell<Option<Gc<Pair>>> as Trace>::EXACTNESS);
///     fn trace(&self, tracer: &mut Tracer<'_>) {
///         self.left.trace(tracer);
///         self.right.trace(tracer);
///     }
/// }
///
/// let a = Gc::new(Pair { left: RefCell::new(None), right: RefCell::new(None) });
/// *a.left.borrow_mut() = Some(a.clone());
/// drop(a);
/// assert_eq!(gc::collect(), 1); // vouched: the self-cycle is collected
/// ```
///
/// Without the `EXACTNESS` line the same `Pair` is safe too, but its cycles leak.
pub trait Trace: Finalize {
    /// Whether values of this type can reach a `Gc`. Types where it is `false` are not
    /// tracked by the collector (like Python ints and strings) and cost it nothing.
    /// The derive computes it from the field types; the default is `true`.
    const MAY_CONTAIN_GC: bool = true;

    /// Whether [`trace`](Trace::trace) is exact (see [`Exactness`]): only exact types
    /// take part in finding garbage. The default is [`Exactness::UNVERIFIED`]; the derive
    /// vouches when every traced field type is exact.
    const EXACTNESS: Exactness<Self> = Exactness::UNVERIFIED;

    /// Calls `tracer` (through `Trace::trace` of the fields) on every `Gc` held.
    fn trace(&self, tracer: &mut Tracer<'_>);
}

/// Whether a type's [`Trace`] impl is exact, as [`Trace::EXACTNESS`].
///
/// A token that safe code can only make *unverified*: an exact `Exactness<T>` comes
/// from [`Exactness::vouched`] (`unsafe`), from `#[derive(Trace)]`, or from this
/// crate's std impls. The type parameter ties the token to the type it speaks for, so
/// an impl cannot borrow another type's exact token.
pub struct Exactness<T: ?Sized> {
    exact: bool,
    // Invariant in `T`: no subtyping can turn one type's token into another's.
    _for: PhantomData<fn(*const T) -> *const T>,
}

impl<T: ?Sized> Exactness<T> {
    /// Not vouched for: the collector treats every handle the value holds as a
    /// reference from outside and never runs its `trace` while collecting. Always safe.
    pub const UNVERIFIED: Exactness<T> = Exactness {
        exact: false,
        _for: PhantomData,
    };

    /// Vouches that `T`'s [`Trace`] impl is exact.
    ///
    /// # Safety
    ///
    /// For every value `v` of type `T`, `v.trace(tracer)`:
    /// 1. reports each `Gc` handle it reports at most once per call, and only handles
    ///    stored inside `v` itself (owned by it: dropped when `v` is dropped), never a
    ///    handle shared with other values (behind an `Rc`, a `&'static`, a thread-local);
    /// 2. reports the same handles each time it is called while `v` is not mutated by
    ///    other code (it may leave out handles it cannot read, such as those behind a
    ///    mutably borrowed `RefCell`: missing edges only make objects look referenced
    ///    from outside);
    /// 3. has no side effects on any `Gc` or `Weak` (creates, drops, moves or
    ///    dereferences none, does not call into the collector) and runs no other code
    ///    that could.
    ///
    /// The collector relies on this to decide which objects are garbage: an impl that
    /// breaks it could let the collector drop a value that is still borrowed.
    pub const unsafe fn vouched() -> Exactness<T> {
        Exactness {
            exact: true,
            _for: PhantomData,
        }
    }

    /// Exact only if both are: `Exactness::vouched().and(<Field as Trace>::EXACTNESS)`
    /// for each field an impl traces by calling the field's own `trace`.
    pub const fn and<U: ?Sized>(self, other: Exactness<U>) -> Exactness<T> {
        Exactness {
            exact: self.exact && other.exact,
            _for: PhantomData,
        }
    }

    /// Whether this token vouches for exactness.
    pub const fn is_exact(&self) -> bool {
        self.exact
    }
}

impl<T: ?Sized> Clone for Exactness<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Exactness<T> {}

impl<T: ?Sized> std::fmt::Debug for Exactness<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.exact {
            "Exactness(exact)"
        } else {
            "Exactness(unverified)"
        })
    }
}

/// `unsafe { Exactness::vouched() }.and(<A>::EXACTNESS).and(<B>::EXACTNESS)...` for the
/// std impls below, whose `trace` only calls the `trace` of values they own (`$g`).
macro_rules! exact_if {
    ($($g:ty),*) => {
        // Their own exactness is then that of the element types, combined by `and`.
        // SAFETY: only for impls in this module whose `trace` reports nothing itself, calls
        // `trace` once on each element it owns (rule 1), the same way each time (rule 2),
        // and runs no other code (rule 3).
        unsafe { Exactness::vouched() } $(.and(<$g as Trace>::EXACTNESS))*
    };
}

/// What a trace pass does with each edge.
pub(crate) enum Mode<'a> {
    /// Subtract internal references from the collector's copy of the counts.
    Subtract { error: bool },
    /// Propagate reachability: push newly reached set members.
    Mark(&'a mut Vec<NonNull<GcHeader>>),
    /// Collect every tracked referent (`get_referents`).
    Collect(&'a mut Vec<NonNull<GcHeader>>),
    /// Whether `target` is among the referents (`get_referrers`).
    Find {
        target: NonNull<GcHeader>,
        found: bool,
    },
    /// Count the weak-reference records (with callbacks) held.
    WeakRecords(&'a mut HashMap<*const WeakRecord, (usize, Rc<WeakRecord>)>),
}

/// The visitor handed to [`Trace::trace`]. Created only by the collector.
pub struct Tracer<'a> {
    pub(crate) mode: Mode<'a>,
}

impl std::fmt::Debug for Tracer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer").finish_non_exhaustive()
    }
}

impl<'a> Tracer<'a> {
    pub(crate) fn new(mode: Mode<'a>) -> Self {
        Tracer { mode }
    }

    /// An edge to a tracked object.
    #[inline]
    pub(crate) fn edge(&mut self, h: NonNull<GcHeader>) {
        // SAFETY: `h` comes from a live `Gc` handle being traced, so it is allocated.
        let hd = unsafe { raw::header(h) };
        match &mut self.mode {
            Mode::Subtract { error } => {
                if let Some(w) = hd.links.set_word() {
                    let refs = w >> 2;
                    if refs == 0 {
                        // More edges than handles: the Trace impl is wrong.
                        *error = true;
                    } else {
                        hd.links.set_set_word(((refs - 1) << 2) | (w & 3));
                    }
                }
            }
            Mode::Mark(stack) => {
                if let Some(w) = hd.links.set_word() {
                    if w & REACHABLE == 0 {
                        hd.links.set_set_word(w | REACHABLE | IN_SET);
                        stack.push(h);
                    }
                }
            }
            Mode::Collect(out) => out.push(h),
            Mode::Find { target, found } => {
                if *target == h {
                    *found = true;
                }
            }
            Mode::WeakRecords(_) => {}
        }
    }

    pub(crate) fn weak_record(&mut self, rec: &Rc<WeakRecord>) {
        if let Mode::WeakRecords(map) = &mut self.mode {
            map.entry(Rc::as_ptr(rec))
                .or_insert_with(|| (0, rec.clone()))
                .0 += 1;
        }
    }
}

macro_rules! leaf {
    ($($t:ty),* $(,)?) => {$(
        impl Finalize for $t {
            const NEEDS_FINALIZE: bool = false;
        }
        impl Trace for $t {
            const MAY_CONTAIN_GC: bool = false;
            const EXACTNESS: Exactness<Self> = exact_if!();
            #[inline]
            fn trace(&self, _: &mut Tracer<'_>) {}
        }
    )*};
}

leaf!(
    (),
    bool,
    char,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    f32,
    f64,
    String,
    str,
    std::num::NonZeroU32,
    std::num::NonZeroU64,
    std::num::NonZeroUsize,
    std::time::Duration,
    std::path::PathBuf,
    std::ffi::OsString,
);

impl<T: ?Sized> Finalize for &'static T {
    const NEEDS_FINALIZE: bool = false;
}
impl<T: ?Sized> Trace for &'static T {
    // A shared 'static reference owns nothing the collector could free, so it reports
    // nothing (which is exact: the handles behind it count as outside references).
    const MAY_CONTAIN_GC: bool = false;
    const EXACTNESS: Exactness<Self> = exact_if!();
    fn trace(&self, _: &mut Tracer<'_>) {}
}

macro_rules! wrapper {
    ($(impl<$($g:ident),*> for $t:ty => |$s:ident, $tr:ident| $body:expr;)*) => {$(
        impl<$($g: Trace),*> Finalize for $t {
            const NEEDS_FINALIZE: bool = false;
        }
        impl<$($g: Trace),*> Trace for $t {
            const MAY_CONTAIN_GC: bool = false $(|| $g::MAY_CONTAIN_GC)*;
            const EXACTNESS: Exactness<Self> = exact_if!($($g),*);
            #[inline]
            fn trace(&self, tracer: &mut Tracer<'_>) {
                let $s = self;
                let $tr = tracer;
                $body
            }
        }
    )*};
}

wrapper! {
    impl<T> for Option<T> => |s, t| if let Some(v) = s { v.trace(t) };
    impl<T> for Box<T> => |s, t| (**s).trace(t);
    impl<T> for Vec<T> => |s, t| s.iter().for_each(|v| v.trace(t));
    impl<T> for Box<[T]> => |s, t| s.iter().for_each(|v| v.trace(t));
    impl<T> for VecDeque<T> => |s, t| s.iter().for_each(|v| v.trace(t));
    impl<T> for LinkedList<T> => |s, t| s.iter().for_each(|v| v.trace(t));
    impl<T> for BTreeSet<T> => |s, t| s.iter().for_each(|v| v.trace(t));
    impl<K, V> for BTreeMap<K, V> => |s, t| s.iter().for_each(|(k, v)| { k.trace(t); v.trace(t) });
    impl<T, E> for Result<T, E> => |s, t| match s { Ok(v) => v.trace(t), Err(e) => e.trace(t) };
    impl<T> for RefCell<T> => |s, t| {
        // A value mutably borrowed right now cannot be read; skipping it is the
        // conservative choice: its children then look externally referenced.
        if let Ok(v) = s.try_borrow() { v.trace(t) }
    };
    impl<T> for std::cell::OnceCell<T> => |s, t| if let Some(v) = s.get() { v.trace(t) };
    impl<T> for std::cmp::Reverse<T> => |s, t| s.0.trace(t);
}

impl<K: Trace, V: Trace, S> Finalize for HashMap<K, V, S> {
    const NEEDS_FINALIZE: bool = false;
}
impl<K: Trace, V: Trace, S> Trace for HashMap<K, V, S> {
    const MAY_CONTAIN_GC: bool = K::MAY_CONTAIN_GC || V::MAY_CONTAIN_GC;
    // Iteration calls no `Hash`/`Eq`/hasher code.
    const EXACTNESS: Exactness<Self> = exact_if!(K, V);
    fn trace(&self, tracer: &mut Tracer<'_>) {
        for (k, v) in self {
            k.trace(tracer);
            v.trace(tracer);
        }
    }
}

impl<T: Trace, S> Finalize for HashSet<T, S> {
    const NEEDS_FINALIZE: bool = false;
}
impl<T: Trace, S> Trace for HashSet<T, S> {
    const MAY_CONTAIN_GC: bool = T::MAY_CONTAIN_GC;
    const EXACTNESS: Exactness<Self> = exact_if!(T);
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.iter().for_each(|v| v.trace(tracer));
    }
}

impl<T: Trace + Copy> Finalize for Cell<T> {
    const NEEDS_FINALIZE: bool = false;
}
impl<T: Trace + Copy> Trace for Cell<T> {
    const MAY_CONTAIN_GC: bool = T::MAY_CONTAIN_GC;
    // `get` is a bitwise copy (no user code); the copy is the cell's content.
    const EXACTNESS: Exactness<Self> = exact_if!(T);
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.get().trace(tracer);
    }
}

impl<T: Trace, const N: usize> Finalize for [T; N] {
    const NEEDS_FINALIZE: bool = false;
}
impl<T: Trace, const N: usize> Trace for [T; N] {
    const MAY_CONTAIN_GC: bool = N > 0 && T::MAY_CONTAIN_GC;
    const EXACTNESS: Exactness<Self> = exact_if!(T);
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.iter().for_each(|v| v.trace(tracer));
    }
}

macro_rules! tuples {
    ($(($($n:tt $g:ident),+))*) => {$(
        impl<$($g: Trace),+> Finalize for ($($g,)+) {
            const NEEDS_FINALIZE: bool = false;
        }
        impl<$($g: Trace),+> Trace for ($($g,)+) {
            const MAY_CONTAIN_GC: bool = false $(|| $g::MAY_CONTAIN_GC)+;
            const EXACTNESS: Exactness<Self> = exact_if!($($g),+);
            fn trace(&self, tracer: &mut Tracer<'_>) {
                $(self.$n.trace(tracer);)+
            }
        }
    )*};
}

tuples! {
    (0 A)
    (0 A, 1 B)
    (0 A, 1 B, 2 C)
    (0 A, 1 B, 2 C, 3 D)
    (0 A, 1 B, 2 C, 3 D, 4 E)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G)
    (0 A, 1 B, 2 C, 3 D, 4 E, 5 F, 6 G, 7 H)
}

impl<T: ?Sized> Finalize for std::marker::PhantomData<T> {
    const NEEDS_FINALIZE: bool = false;
}
impl<T: ?Sized> Trace for std::marker::PhantomData<T> {
    const MAY_CONTAIN_GC: bool = false;
    const EXACTNESS: Exactness<Self> = exact_if!();
    fn trace(&self, _: &mut Tracer<'_>) {}
}

impl<T: Trace + ?Sized> Finalize for Rc<T> {
    const NEEDS_FINALIZE: bool = false;
}
/// An `Rc` is opaque to the collector: it reports nothing, so a `Gc` inside it counts as
/// an outside (root) reference, and a cycle through an `Rc` leaks but is never cleared
/// wrongly. (Reporting the shared contents would not be exact: every owner of the `Rc`
/// would report the same handles.) Use `Gc` for shared values that hold `Gc`s.
impl<T: Trace + ?Sized> Trace for Rc<T> {
    const MAY_CONTAIN_GC: bool = false;
    // Reports nothing: exact whatever `T` is, so values holding an `Rc` stay collectable.
    const EXACTNESS: Exactness<Self> = exact_if!();
    fn trace(&self, _: &mut Tracer<'_>) {}
}
