//! A small Python-like object model for the tests: instances with attributes, weak
//! attributes and an optional `__del__`.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::cell::RefCell;
use std::collections::BTreeMap;

use pymemory_gc::{Finalize, Gc, Trace, Weak};

type Del = Box<dyn Fn(&Obj)>;

/// A Python instance: `__dict__` of strong attributes, a list of weak references it
/// holds, and an optional `__del__`.
#[derive(Trace)]
pub struct Obj {
    #[trace(skip)]
    pub name: &'static str,
    pub attrs: RefCell<BTreeMap<&'static str, Gc<Obj>>>,
    pub items: RefCell<Vec<Gc<Obj>>>,
    pub weaks: RefCell<Vec<Weak<Obj>>>,
    #[trace(skip)]
    del: Option<Del>,
}

impl Finalize for Obj {
    fn finalize(&self) {
        if let Some(d) = &self.del {
            d(self);
        }
    }
}

impl std::fmt::Debug for Obj {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}>", self.name)
    }
}

impl Obj {
    pub fn new(name: &'static str) -> Gc<Obj> {
        Gc::new(Obj::bare(name, None))
    }

    pub fn with_del(name: &'static str, del: impl Fn(&Obj) + 'static) -> Gc<Obj> {
        Gc::new(Obj::bare(name, Some(Box::new(del))))
    }

    fn bare(name: &'static str, del: Option<Del>) -> Obj {
        Obj {
            name,
            attrs: RefCell::default(),
            items: RefCell::default(),
            weaks: RefCell::default(),
            del,
        }
    }

    pub fn set(&self, k: &'static str, v: &Gc<Obj>) {
        let old = self.attrs.borrow_mut().insert(k, v.clone());
        drop(old);
    }

    pub fn get(&self, k: &'static str) -> Option<Gc<Obj>> {
        self.attrs.borrow().get(k).cloned()
    }

    pub fn del_attr(&self, k: &'static str) {
        let old = self.attrs.borrow_mut().remove(k);
        drop(old);
    }

    pub fn append(&self, v: &Gc<Obj>) {
        self.items.borrow_mut().push(v.clone());
    }
}

/// Address of an object, Python's `id()`.
pub fn id(o: &Gc<Obj>) -> usize {
    std::ptr::from_ref::<Obj>(o).addr()
}
