//! The text parsers the CLI feeds with user input: `Value::parse_literal` (the VALUE of
//! `--set` and `struct pack`), `Subscript::parse` (`--index`, the EXPR of `--set`) and
//! `Slice::indices`.
//!
//! Checked: no panic; a parsed literal's repr parses back to the same value (except
//! `inf`/`nan`, which are not literals); slice indices stay in range.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pymemory_buffer::{Index, Subscript};
use pymemory_struct::Value;

fn check_indices(sub: &Subscript, len: usize) {
    let indexes: Vec<Index> = match sub {
        Subscript::Single(i) => vec![*i],
        Subscript::Tuple(v) => v.clone(),
    };
    for index in indexes {
        if let Index::Slice(s) = index {
            if let Ok((start, step, n)) = s.indices(len) {
                assert!(n <= len, "{s:?} on {len}: {n} items");
                assert!(step != 0);
                if n > 0 {
                    let last = start as i128 + (n as i128 - 1) * step as i128;
                    assert!((0..len as i128).contains(&(start as i128)), "{s:?} {len}");
                    assert!((0..len as i128).contains(&last), "{s:?} {len}");
                }
            }
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&ctl, rest)) = input.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    if let Ok(v) = Value::parse_literal(&text) {
        let r = v.to_string();
        if !r.contains("inf") && !r.contains("nan") {
            let back = Value::parse_literal(&r)
                .unwrap_or_else(|e| panic!("{text:?} -> {r:?} does not parse back: {e}"));
            // Equal as Python values (`==`): a repr need not survive literal_eval
            // unchanged, e.g. `(-0-13j)` evaluates to `-13j` in Python too.
            assert_eq!(back, v, "{text:?} -> {r:?}");
        }
    }
    if let Ok(sub) = Subscript::parse(&text) {
        check_indices(&sub, usize::from(ctl));
        check_indices(&sub, 0);
    }
    // Text split at '=' the way `--set EXPR=VALUE` splits it.
    if let Some((key, value)) = text.split_once('=') {
        let _ = Subscript::parse(key);
        let _ = Value::parse_literal(value);
    }
});
