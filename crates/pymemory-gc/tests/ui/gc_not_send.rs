use pymemory_gc::Gc;

fn main() {
    let g = Gc::new(1u32);
    std::thread::spawn(move || drop(g));
}
