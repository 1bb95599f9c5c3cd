use pymemory_gc::Gc;

fn main() {
    let g = Gc::new(1u32);
    let w = Gc::downgrade(&g);
    std::thread::spawn(move || drop(w));
}
