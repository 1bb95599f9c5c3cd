use pymemory_gc::{Finalize, Trace};

#[derive(Trace, Finalize)]
struct S {
    #[trace(skipp)]
    a: u32,
}

#[derive(Trace, Finalize)]
#[trace(krate = "x")]
struct T {
    a: u32,
}

#[derive(Trace)]
union U {
    a: u32,
}

fn main() {}
