//! Differential tests: `pymemory_buffer::bytearray::ByteArray` against CPython's
//! `bytearray`: seeded random method sequences with random (often invalid) arguments,
//! comparing `repr(result)` / exception and `repr(b)` after every step, in one `python3`
//! process per test.
//!
//! `bytearray.resize(n)` is new in 3.14; the 3.11 oracle emulates it (zero-padding
//! `extend` or `del b[n:]`, with 3.14's `ValueError` for negative sizes).

mod common;

use pymemory_buffer::Slice;
use pymemory_buffer::bytearray::ByteArray;
use pymemory_buffer::{BufferExporter, BufferFlags, RawBuffer};
use pymemory_struct::Value;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const DRIVER: &str = r#"
import sys, json
NS = {"__builtins__": {}, "nan": float("nan"), "inf": float("inf")}
def V(s): return eval(s, NS)
def sl(s): return slice(s[0], s[1], s[2])
def resize(b, n):
    # bytearray.resize() is new in 3.14
    if n < 0:
        raise ValueError("Can only resize to positive sizes, got %d" % n)
    if n > len(b):
        b.extend(bytes(n - len(b)))
    elif n < len(b):
        del b[n:]
CMP = {"lt": lambda x, y: x < y, "le": lambda x, y: x <= y, "eq": lambda x, y: x == y,
       "ne": lambda x, y: x != y, "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y}
def step(b, views, o):
    n = o[0]
    if n == "append": return b.append(V(o[1]))
    if n == "insert": return b.insert(o[1], V(o[2]))
    if n == "extend_values": return b.extend(V(o[1]))
    if n == "extend": return b.extend(V(o[1]))
    if n == "pop": return b.pop() if o[1] is None else b.pop(o[1])
    if n == "remove": return b.remove(V(o[1]))
    if n == "count": return b.count(V(o[1]))
    if n == "index": return b.index(V(o[1]))
    if n == "clear": return b.clear()
    if n == "resize": return resize(b, o[1])
    if n == "reverse": return b.reverse()
    if n == "get": return b[o[1]]
    if n == "set":
        b[o[1]] = V(o[2]); return None
    if n == "delete":
        del b[o[1]]; return None
    if n == "get_slice": return b[sl(o[1])]
    if n == "set_slice":
        b[sl(o[1])] = V(o[2]); return None
    if n == "set_slice_values":
        b[sl(o[1])] = V(o[2]); return None
    if n == "set_slice_self":
        b[sl(o[1])] = b; return None
    if n == "del_slice":
        del b[sl(o[1])]; return None
    if n == "concat": return b + V(o[1])
    if n == "repeat": return b * o[1]
    if n == "imul":
        c = b
        c *= o[1]
        return None
    if n == "compare": return CMP[o[2]](b, bytearray(V(o[1])))
    if n == "len": return len(b)
    if n == "copy": return b.copy()
    if n == "tobytes": return bytes(b)
    if n == "export":
        views.append(memoryview(b)); return None
    if n == "release": return views.pop().release()
    if n == "vwrite":
        views[-1][o[1]] = o[2]; return None
    if n == "vread": return bytes(views[-1])
    raise Exception("unknown op " + n)
out = []
for line in sys.stdin:
    case = json.loads(line)
    res = []
    try:
        b = bytearray(V(case["init"]))
        res.append(repr(b))
    except Exception as e:
        res.append("!" + type(e).__name__ + ": " + str(e))
        out.append(json.dumps(res)); continue
    views = []
    for o in case["ops"]:
        try:
            r = repr(step(b, views, o))
        except Exception as e:
            r = "!" + type(e).__name__ + ": " + str(e)
        res.append(r + " | " + repr(b))
    for m in views:
        m.release()
    out.append(json.dumps(res))
sys.stdout.write("\n".join(out) + "\n")
"#;

struct Gen {
    rng: ChaCha8Rng,
}

impl Gen {
    fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs.choose(&mut self.rng).expect("non-empty").clone()
    }

    fn byte_value(&mut self) -> Value {
        match self.rng.gen_range(0..12) {
            0..=7 => Value::Int(self.rng.gen_range(0..256)),
            8 => Value::Int(self.pick(&[-1, 256, 1000, -300, 1 << 70])),
            9 => Value::Bool(self.rng.gen_bool(0.5)),
            10 => self.pick(&[
                Value::Float(1.5),
                Value::Str("a".into()),
                Value::Tuple(vec![]),
            ]),
            _ => Value::Bytes(self.bytes(2)),
        }
    }

    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.rng.gen_range(0..=max);
        (0..n)
            .map(|_| {
                self.pick(&[
                    0u8, b'a', b'b', b'\'', b'"', b'\\', b'\n', 0x7f, 0x80, 0xff, b'z',
                ])
            })
            .collect()
    }

    fn index(&mut self, len: usize) -> isize {
        let len = isize::try_from(len).expect("small");
        if self.rng.gen_bool(0.03) {
            return self.pick(&[isize::MAX, isize::MIN]);
        }
        self.rng.gen_range(-len - 2..=len + 2)
    }

    fn slice(&mut self, len: usize) -> Slice {
        let part = |g: &mut Gen| {
            if g.rng.gen_bool(0.3) {
                None
            } else {
                Some(g.index(len))
            }
        };
        let start = part(self);
        let stop = part(self);
        let step = if self.rng.gen_bool(0.4) {
            None
        } else {
            Some(self.pick(&[1, 1, 2, 3, -1, -1, -2, -3, 0]))
        };
        Slice::new(start, stop, step)
    }
}

fn show<E: std::fmt::Display>(r: Result<String, E>) -> String {
    match r {
        Ok(s) => s,
        Err(e) => format!("!{e}"),
    }
}

fn none<E>(r: Result<(), E>) -> Result<String, E> {
    r.map(|()| "None".to_owned())
}

fn py_bool(b: bool) -> String {
    if b { "True" } else { "False" }.to_owned()
}

fn lit(v: &Value) -> String {
    v.to_string()
}

fn gen_step(g: &mut Gen, b: &ByteArray, views: &mut Vec<RawBuffer>) -> (serde_json::Value, String) {
    use serde_json::json;
    let len = b.len();
    let choice = if len > 80 {
        100
    } else {
        g.rng.gen_range(0..32)
    };
    match choice {
        0..=2 => {
            let v = g.byte_value();
            (json!(["append", lit(&v)]), show(none(b.append(&v))))
        }
        3 => {
            let (i, v) = (g.index(len), g.byte_value());
            (json!(["insert", i, lit(&v)]), show(none(b.insert(i, &v))))
        }
        4 => {
            let vs: Vec<Value> = (0..g.rng.gen_range(0..4)).map(|_| g.byte_value()).collect();
            let vs: Vec<Value> = vs
                .into_iter()
                .filter(|v| !matches!(v, Value::Bytes(_)))
                .collect();
            (
                json!(["extend_values", Value::List(vs.clone()).to_string()]),
                show(none(b.extend_values(&vs))),
            )
        }
        5 => {
            let x = g.bytes(5);
            (
                json!(["extend", Value::Bytes(x.clone()).to_string()]),
                show(none(b.extend_from_slice(&x))),
            )
        }
        6 | 7 => {
            let i = if g.rng.gen_bool(0.4) {
                None
            } else {
                Some(g.index(len))
            };
            (json!(["pop", i]), show(b.pop(i).map(|x| x.to_string())))
        }
        8 => {
            let v = g.byte_value();
            (json!(["remove", lit(&v)]), show(none(b.remove(&v))))
        }
        9 => {
            let v = g.byte_value();
            (
                json!(["count", lit(&v)]),
                show(b.count(&v).map(|n| n.to_string())),
            )
        }
        10 => {
            let v = g.byte_value();
            (
                json!(["index", lit(&v)]),
                show(b.index(&v).map(|n| n.to_string())),
            )
        }
        11 => (json!(["clear"]), show(none(b.clear()))),
        12 => {
            let n = g
                .rng
                .gen_range(-2..=isize::try_from(len).expect("small") + 3);
            (json!(["resize", n]), show(none(b.resize(n))))
        }
        13 => {
            b.reverse();
            (json!(["reverse"]), "None".to_owned())
        }
        14 => {
            let i = g.index(len);
            (json!(["get", i]), show(b.get(i).map(|x| x.to_string())))
        }
        15 => {
            let (i, v) = (g.index(len), g.byte_value());
            (json!(["set", i, lit(&v)]), show(none(b.set(i, &v))))
        }
        16 => {
            let i = g.index(len);
            (json!(["delete", i]), show(none(b.delete(i))))
        }
        17 => {
            let s = g.slice(len);
            (
                json!(["get_slice", [s.start, s.stop, s.step]]),
                show(b.get_slice(s).map(|x| x.to_string())),
            )
        }
        18 | 19 => {
            let s = g.slice(len);
            let x = g.bytes(5);
            (
                json!([
                    "set_slice",
                    [s.start, s.stop, s.step],
                    Value::Bytes(x.clone()).to_string()
                ]),
                show(none(b.set_slice(s, &x))),
            )
        }
        20 => {
            let s = g.slice(len);
            let vs: Vec<Value> = (0..g.rng.gen_range(0..4)).map(|_| g.byte_value()).collect();
            let vs: Vec<Value> = vs
                .into_iter()
                .filter(|v| !matches!(v, Value::Bytes(_)))
                .collect();
            (
                json!([
                    "set_slice_values",
                    [s.start, s.stop, s.step],
                    Value::List(vs.clone()).to_string()
                ]),
                show(none(b.set_slice_values(s, &vs))),
            )
        }
        21 => {
            let s = g.slice(len);
            (
                json!(["set_slice_self", [s.start, s.stop, s.step]]),
                show(none(b.set_slice(s, &b.to_vec()))),
            )
        }
        22 => {
            let s = g.slice(len);
            (
                json!(["del_slice", [s.start, s.stop, s.step]]),
                show(none(b.del_slice(s))),
            )
        }
        23 => {
            let x = g.bytes(3);
            (
                json!(["concat", Value::Bytes(x.clone()).to_string()]),
                b.concat(&x).to_string(),
            )
        }
        24 => {
            let n = g.rng.gen_range(-1..4);
            (json!(["repeat", n]), b.repeat(n).to_string())
        }
        25 => {
            let n = g.rng.gen_range(-1..4);
            (json!(["imul", n]), show(none(b.imul(n))))
        }
        26 => {
            let x = if g.rng.gen_bool(0.3) {
                b.to_vec()
            } else {
                g.bytes(4)
            };
            let (name, r) = g.pick(&[
                ("lt", 0),
                ("le", 1),
                ("eq", 2),
                ("ne", 3),
                ("gt", 4),
                ("ge", 5),
            ]);
            let other = ByteArray::from_bytes(&x);
            let res = match r {
                0 => b < &other,
                1 => b <= &other,
                2 => b == &other,
                3 => b != &other,
                4 => b > &other,
                _ => b >= &other,
            };
            (
                json!(["compare", Value::Bytes(x).to_string(), name]),
                py_bool(res),
            )
        }
        27 => match g.rng.gen_range(0..3) {
            0 => (json!(["len"]), len.to_string()),
            1 => (json!(["copy"]), b.copy().to_string()),
            _ => (json!(["tobytes"]), Value::Bytes(b.to_vec()).to_string()),
        },
        28 | 29 => {
            if views.len() < 3 && g.rng.gen_bool(0.6) {
                views.push(
                    b.get_buffer(BufferFlags::FULL_RO)
                        .expect("bytearray exports never fail"),
                );
                (json!(["export"]), "None".to_owned())
            } else if let Some(raw) = views.pop() {
                drop(raw);
                (json!(["release"]), "None".to_owned())
            } else {
                (json!(["len"]), len.to_string())
            }
        }
        30 => match views.last() {
            // Python: memoryview(b)[i] = x; the write must show in repr(b).
            Some(raw) if raw.len > 0 => {
                let i = g.rng.gen_range(0..raw.len);
                let x: u8 = g.rng.r#gen();
                // SAFETY: the export is live, so `raw.buf` is valid for `raw.len` bytes of
                // writes (BufferExporter rule 1) and i < raw.len.
                unsafe { raw.buf.add(i).write(x) };
                (json!(["vwrite", i, x]), "None".to_owned())
            }
            _ => (json!(["len"]), len.to_string()),
        },
        31 => match views.last() {
            Some(raw) => {
                let mut buf = vec![0u8; raw.len];
                // SAFETY: the export is live, so `raw.buf` is valid for `raw.len` bytes of
                // reads; `buf` is a distinct allocation.
                unsafe { std::ptr::copy_nonoverlapping(raw.buf, buf.as_mut_ptr(), raw.len) };
                (json!(["vread"]), Value::Bytes(buf).to_string())
            }
            None => (json!(["len"]), len.to_string()),
        },
        _ => {
            let s = Slice::new(Some(g.index(len)), None, None);
            (
                json!(["del_slice", [s.start, s.stop, s.step]]),
                show(none(b.del_slice(s))),
            )
        }
    }
}

fn run_python(input: &str) -> Vec<Vec<String>> {
    common::oracle_lines(common::python_c(DRIVER), input.to_owned())
        .iter()
        .map(|l| serde_json::from_str(l).expect("driver output is JSON"))
        .collect()
}

fn differential(seed: u64, cases: usize, steps: usize) {
    let seed = common::seed(seed);
    use serde_json::json;
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
    };
    let mut input = String::new();
    let mut expected = Vec::new();
    for _ in 0..cases {
        let init = g.bytes(8);
        let b = ByteArray::from_bytes(&init);
        let mut exp = vec![b.to_string()];
        let mut ops = Vec::new();
        let mut views = Vec::new();
        for _ in 0..steps {
            let (op, r) = gen_step(&mut g, &b, &mut views);
            ops.push(op);
            exp.push(format!("{r} | {b}"));
        }
        views.clear();
        let case = json!({"init": Value::Bytes(init).to_string(), "ops": ops});
        input.push_str(&case.to_string());
        input.push('\n');
        expected.push((case, exp));
    }
    let got = run_python(&input);
    assert_eq!(
        got.len(),
        expected.len(),
        "seed {seed}: one output line per case"
    );
    let mut compared = 0;
    for (k, ((case, exp), got)) in expected.iter().zip(&got).enumerate() {
        assert_eq!(
            exp.len(),
            got.len(),
            "seed {seed}, case {k}: step count\ncase: {case}"
        );
        for (j, (e, p)) in exp.iter().zip(got).enumerate() {
            assert_eq!(
                e, p,
                "seed {seed}, case {k}, step {j} (0 = constructor)\ncase: {case}\nrust:   {e}\npython: {p}"
            );
            compared += 1;
        }
    }
    eprintln!("seed {seed}: {cases} bytearray cases, {compared} steps compared with CPython");
}

/// Mirrors `b = bytearray(init)` followed by random `b.<method>(...)` calls, item and
/// slice assignments, exports through `memoryview(b)` and writes through them.
#[test]
fn random_bytearray_sequences_match_cpython() {
    let cases = if cfg!(miri) { 2 } else { 2000 };
    differential(0xb17e_a11a, cases, 30);
}
