use pymemory_gc::Gc;

fn assert_sync<T: Sync>(_: &T) {}

fn main() {
    let g = Gc::new(String::new());
    let w = Gc::downgrade(&g);
    assert_sync(&w);
}
