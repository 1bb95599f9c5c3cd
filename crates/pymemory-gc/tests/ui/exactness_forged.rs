//! Safe code cannot claim exactness: another type's exact token has the wrong type, and
//! `Exactness::vouched` is `unsafe`.
use std::cell::RefCell;

use pymemory_gc::{Exactness, Finalize, Gc, Trace, Tracer};

#[derive(Finalize)]
struct Borrowed(RefCell<Option<Gc<Borrowed>>>);

impl Trace for Borrowed {
    const EXACTNESS: Exactness<Self> = <u32 as Trace>::EXACTNESS;
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.0.trace(tracer);
    }
}

#[derive(Finalize)]
struct Claimed(RefCell<Option<Gc<Claimed>>>);

impl Trace for Claimed {
    const EXACTNESS: Exactness<Self> = Exactness::vouched();
    fn trace(&self, tracer: &mut Tracer<'_>) {
        self.0.trace(tracer);
    }
}

fn main() {}
