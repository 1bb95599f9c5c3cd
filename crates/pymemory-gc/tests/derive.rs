//! `#[derive(Trace, Finalize)]`: structs, tuple structs, enums, generics, `#[trace(skip)]`,
//! recursive types, `MAY_CONTAIN_GC`, `#[trace(crate = "...")]`, and the exact header
//! sizes, and `EXACTNESS` (the derive vouches only when every traced field type is exact).
//!
//! `forbid(unsafe_code)`: the derive's output must compile in crates that forbid
//! `unsafe` (its `unsafe` vouching lives in the macro expansion, not in user code).
#![forbid(unsafe_code)]

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

use pymemory_gc::{self as gc, Exactness, Finalize, Gc, Trace, Tracer, Weak};

#[derive(Trace, Finalize)]
struct Plain {
    a: u32,
    b: String,
    c: Vec<(i64, f64)>,
}

#[derive(Trace, Finalize)]
struct Tuple(Option<Box<Gc<Plain>>>, #[trace(skip)] Alien);

/// A type that does not implement `Trace`.
struct Alien(u32);

#[derive(Trace, Finalize)]
enum E {
    Unit,
    Leaf(u8),
    Node {
        kids: RefCell<Vec<Gc<E>>>,
        #[trace(skip)]
        _tag: std::time::Instant,
    },
}

#[derive(Trace, Finalize)]
struct Generic<T: Trace + 'static> {
    v: T,
    next: RefCell<Option<Gc<Generic<T>>>>,
}

/// Recursive without `Gc`: the constant must not depend on itself.
#[derive(Trace, Finalize)]
struct Tree {
    kids: Vec<Tree>,
    label: String,
}

#[derive(Trace, Finalize)]
struct TreeWithGc {
    kids: Vec<TreeWithGc>,
    link: Option<Gc<Plain>>,
}

#[derive(Trace, Finalize)]
#[trace(crate = "pymemory_gc")]
struct WithCratePath {
    x: RefCell<Option<Gc<WithCratePath>>>,
}

#[derive(Trace, Finalize)]
struct Containers {
    m: RefCell<HashMap<u32, Gc<Containers>>>,
    b: BTreeMap<u32, Vec<Gc<Containers>>>,
    d: VecDeque<Option<Gc<Containers>>>,
    w: Option<Weak<Containers>>,
    arr: [Option<Gc<Containers>>; 2],
}

#[test]
fn may_contain_gc_is_structural() {
    const { assert!(!<Plain as Trace>::MAY_CONTAIN_GC) };
    const { assert!(<Tuple as Trace>::MAY_CONTAIN_GC) };
    const { assert!(<E as Trace>::MAY_CONTAIN_GC) };
    const { assert!(<Generic<u8> as Trace>::MAY_CONTAIN_GC) };
    const { assert!(!<Tree as Trace>::MAY_CONTAIN_GC) };
    const { assert!(<TreeWithGc as Trace>::MAY_CONTAIN_GC) };
    const { assert!(<Containers as Trace>::MAY_CONTAIN_GC) };
    const { assert!(!<Weak<Containers> as Trace>::MAY_CONTAIN_GC) };
    const { assert!(!<Option<Vec<String>> as Trace>::MAY_CONTAIN_GC) };
    assert!(!gc::is_tracked(&Gc::new(Tree {
        kids: vec![],
        label: "x".into()
    })));
}

#[test]
fn derived_enums_and_generics_collect() {
    let a = Gc::new(E::Node {
        kids: RefCell::new(vec![]),
        _tag: std::time::Instant::now(),
    });
    if let E::Node { kids, .. } = &*a {
        kids.borrow_mut().push(a.clone());
        kids.borrow_mut().push(Gc::new(E::Leaf(1)));
        kids.borrow_mut().push(Gc::new(E::Unit));
    }
    let g = Gc::new(Generic {
        v: 5u8,
        next: RefCell::new(None),
    });
    *g.next.borrow_mut() = Some(g.clone());
    let p = Gc::new(WithCratePath {
        x: RefCell::new(None),
    });
    *p.x.borrow_mut() = Some(p.clone());
    drop((a, g, p));
    assert_eq!(gc::collect(), 5);
}

#[test]
fn container_impls_report_edges() {
    let c = Gc::new(Containers::empty());
    c.m.borrow_mut().insert(1, c.clone());
    let other = Gc::new(Containers {
        b: BTreeMap::from([(1, vec![c.clone()])]),
        d: VecDeque::from([Some(c.clone())]),
        arr: [Some(c.clone()), None],
        w: Some(Gc::downgrade(&c)),
        ..Containers::empty()
    });
    assert_eq!(gc::get_referents(&other).len(), 3);
    c.m.borrow_mut().insert(2, other);
    drop(c);
    assert_eq!(gc::collect(), 2);
}

impl Containers {
    fn empty() -> Containers {
        Containers {
            m: RefCell::default(),
            b: BTreeMap::new(),
            d: VecDeque::new(),
            w: None,
            arr: [None, None],
        }
    }
}

/// Exact per-object overheads reported in the docs: 32 bytes tracked, 8 untracked.
#[test]
fn header_sizes() {
    if cfg!(target_pointer_width = "64") {
        assert_eq!(gc::layout::TRACKED_HEADER, 32);
    }
    assert_eq!(gc::layout::UNTRACKED_HEADER, 8);
    assert_eq!(std::mem::size_of::<Gc<u64>>(), std::mem::size_of::<usize>());
    assert_eq!(
        std::mem::size_of::<Option<Gc<u64>>>(),
        std::mem::size_of::<usize>()
    );
}

#[test]
fn skipped_field_is_not_traced() {
    let t = Gc::new(Tuple(
        Some(Box::new(Gc::new(Plain {
            a: 0,
            b: String::new(),
            c: vec![],
        }))),
        Alien(3),
    ));
    assert!(gc::is_tracked(&t));
    assert_eq!(t.1.0, 3);
    assert_eq!(
        gc::get_referents(&t).len(),
        0,
        "edges to untracked objects are not reported"
    );
}

#[test]
fn plain_struct_is_untracked_and_usable() {
    let p = Gc::new(Plain {
        a: 1,
        b: "x".into(),
        c: vec![(1, 2.0)],
    });
    assert!(!gc::is_tracked(&p));
    assert_eq!(p.a + p.c[0].0 as u32, 2);
    assert_eq!(p.b, "x");
}

/// A hand-written impl that does not vouch: `Exactness::UNVERIFIED` by default.
#[derive(Finalize)]
struct HandWritten(RefCell<Option<Gc<HandWritten>>>);
impl Trace for HandWritten {
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.0.trace(tracer);
    }
}

/// A hand-written impl that tries to borrow another type's exact token in safe code:
/// the token's type parameter makes that a type error, so the best safe code can do
/// is `and` with `UNVERIFIED`, which stays unverified.
#[derive(Finalize)]
struct Borrower(RefCell<Option<Gc<Borrower>>>);
impl Trace for Borrower {
    const EXACTNESS: Exactness<Self> = Exactness::UNVERIFIED.and(<u32 as Trace>::EXACTNESS);
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.0.trace(tracer);
    }
}

#[derive(Trace, Finalize)]
struct HoldsUnverified {
    inner: HandWritten,
}

#[derive(Trace, Finalize)]
struct SkipsUnverified {
    x: RefCell<Option<Gc<SkipsUnverified>>>,
    #[trace(skip)]
    _inner: HandWritten,
}

#[derive(Trace, Finalize)]
struct GenericPair<A: 'static, B: 'static> {
    a: Vec<A>,
    b: Option<B>,
}

#[derive(Trace, Finalize)]
struct Shared {
    // `Rc` and `&'static` report nothing: exact, their contents count as roots.
    name: Rc<str>,
    cfg: &'static str,
    next: RefCell<Option<Gc<Shared>>>,
}

#[test]
fn exactness_is_structural() {
    const fn exact<T: Trace + ?Sized>() -> bool {
        T::EXACTNESS.is_exact()
    }
    // Derived types whose traced fields are exact (recursive ones included).
    const { assert!(exact::<Plain>()) };
    const { assert!(exact::<Tuple>()) };
    const { assert!(exact::<E>()) };
    const { assert!(exact::<Generic<u8>>()) };
    const { assert!(exact::<Tree>()) };
    const { assert!(exact::<TreeWithGc>()) };
    const { assert!(exact::<Containers>()) };
    const { assert!(exact::<WithCratePath>()) };
    const { assert!(exact::<SkipsUnverified>()) };
    const { assert!(exact::<Shared>()) };
    // Std impls: exact when their element types are.
    const { assert!(exact::<Gc<HandWritten>>()) };
    const { assert!(exact::<Weak<HandWritten>>()) };
    const { assert!(exact::<Rc<HandWritten>>()) };
    const { assert!(exact::<&'static HandWritten>()) };
    const { assert!(exact::<str>()) };
    const { assert!(exact::<(u8, String, [Gc<Plain>; 3])>()) };
    const { assert!(exact::<Cell<Option<u8>>>()) };
    const { assert!(exact::<OnceCell<Box<Gc<Plain>>>>()) };
    // Unverified: hand-written without `unsafe`, and everything holding one.
    const { assert!(!exact::<HandWritten>()) };
    const { assert!(!exact::<Borrower>()) };
    const { assert!(!exact::<HoldsUnverified>()) };
    const { assert!(!exact::<Vec<HandWritten>>()) };
    const { assert!(!exact::<Option<Box<HandWritten>>>()) };
    const { assert!(!exact::<RefCell<HashMap<u8, HandWritten>>>()) };
    const { assert!(!exact::<(u8, HandWritten)>()) };
    const { assert!(!exact::<[HandWritten; 1]>()) };
    const { assert!(exact::<GenericPair<u8, Gc<Plain>>>()) };
    const { assert!(!exact::<GenericPair<u8, HandWritten>>()) };
    const { assert!(!exact::<GenericPair<HandWritten, u8>>()) };
    assert_eq!(
        format!("{:?} {:?}", Plain::EXACTNESS, HandWritten::EXACTNESS),
        "Exactness(exact) Exactness(unverified)"
    );
}

/// Cycles through exact types are collected; a cycle through an unverified type leaks
/// (its edges count as outside references) but everything stays usable.
#[test]
fn unverified_cycles_leak_exact_ones_collect() {
    let h = Gc::new(HandWritten(RefCell::new(None)));
    *h.0.borrow_mut() = Some(h.clone());
    let wh = Gc::downgrade(&h);
    let s = Gc::new(Shared {
        name: "s".into(),
        cfg: "c",
        next: RefCell::new(None),
    });
    *s.next.borrow_mut() = Some(s.clone());
    let ws = Gc::downgrade(&s);
    drop((h, s));
    assert_eq!(gc::collect(), 1);
    assert!(ws.upgrade().is_none(), "the exact cycle was collected");
    let h = wh.upgrade().expect("the unverified cycle leaked");
    assert!(gc::is_tracked(&h));
    // `get_referents` still runs the hand-written trace (outside a collection).
    assert_eq!(gc::get_referents(&h).len(), 1);
    let inner = h.0.borrow_mut().take();
    drop((inner, h));
    assert!(wh.upgrade().is_none());
}
