//! The [`Trace`] and [`Finalize`] traits, the [`Tracer`] and the std impls.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, LinkedList, VecDeque};
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
/// `trace` must call [`Trace::trace`] on every field that may hold a `Gc` (directly or
/// inside containers), once each. A missing edge only makes a cycle leak. Reporting
/// more edges than the value owns is detected when an object gets more edges than it
/// has handles (the collection is abandoned with a panic); otherwise it may make the
/// collector clear an object that is still referenced: using it through a handle then
/// panics, but a `&T` borrowed from it *before* the collection would dangle, so
/// hand-written impls must not over-report (see the crate docs, "Safety model").
/// `#[derive(Trace)]` is always exact.
///
/// `#[derive(Trace)]` writes this for structs and enums; `#[trace(skip)]` on a field
/// leaves it out (for fields that hold no `Gc`).
pub trait Trace: Finalize {
    /// Whether values of this type can reach a `Gc`. Types where it is `false` are not
    /// tracked by the collector (like Python ints and strings) and cost it nothing.
    /// The derive computes it from the field types; the default is `true`.
    const MAY_CONTAIN_GC: bool = true;

    /// Calls `tracer` (through `Trace::trace` of the fields) on every `Gc` held.
    fn trace(&self, tracer: &mut Tracer<'_>);
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
    // A shared 'static reference owns nothing the collector could free.
    const MAY_CONTAIN_GC: bool = false;
    fn trace(&self, _: &mut Tracer<'_>) {}
}

macro_rules! wrapper {
    ($(impl<$($g:ident),*> for $t:ty => |$s:ident, $tr:ident| $body:expr;)*) => {$(
        impl<$($g: Trace),*> Finalize for $t {
            const NEEDS_FINALIZE: bool = false;
        }
        impl<$($g: Trace),*> Trace for $t {
            const MAY_CONTAIN_GC: bool = false $(|| $g::MAY_CONTAIN_GC)*;
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
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.iter().for_each(|v| v.trace(tracer));
    }
}

impl<T: Trace + Copy> Finalize for Cell<T> {
    const NEEDS_FINALIZE: bool = false;
}
impl<T: Trace + Copy> Trace for Cell<T> {
    const MAY_CONTAIN_GC: bool = T::MAY_CONTAIN_GC;
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.get().trace(tracer);
    }
}

impl<T: Trace, const N: usize> Finalize for [T; N] {
    const NEEDS_FINALIZE: bool = false;
}
impl<T: Trace, const N: usize> Trace for [T; N] {
    const MAY_CONTAIN_GC: bool = N > 0 && T::MAY_CONTAIN_GC;
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
    fn trace(&self, _: &mut Tracer<'_>) {}
}

impl<T: Trace + ?Sized> Finalize for Rc<T> {
    const NEEDS_FINALIZE: bool = false;
}
/// An `Rc` is opaque to the collector: a `Gc` inside it counts as an outside (root)
/// reference, so a cycle through an `Rc` leaks but is never cleared wrongly. Use `Gc`
/// for shared values that hold `Gc`s.
impl<T: Trace + ?Sized> Trace for Rc<T> {
    const MAY_CONTAIN_GC: bool = false;
    fn trace(&self, _: &mut Tracer<'_>) {}
}
