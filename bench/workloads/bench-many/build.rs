// Generates $OUT_DIR/many.rs: MANY_FNS async fns `many_NNNN`, each awaiting a
// yield and returning a value that depends on its number, and `many_call(i, x)`
// (a match, no closures) so that every one of them is reachable and compiled.
use std::fmt::Write;

const MANY_FNS: usize = 2500;

fn main() {
    let mut s = String::new();
    let _ = writeln!(s, "pub const MANY_FNS: usize = {MANY_FNS};");
    for i in 0..MANY_FNS {
        let _ = writeln!(
            s,
            "#[inline(never)] pub async fn many_{i:04}(x: u64) -> u64 {{ \
             tokio::task::yield_now().await; x.wrapping_mul({}).wrapping_add({i}) }}",
            2 * i + 1
        );
    }
    let _ = writeln!(s, "pub type ManyFut = std::pin::Pin<Box<dyn std::future::Future<Output = u64> + Send>>;");
    let _ = writeln!(s, "#[inline(never)] pub fn many_call(i: usize, x: u64) -> ManyFut {{");
    let _ = writeln!(s, "    match i % MANY_FNS {{");
    for i in 0..MANY_FNS {
        let _ = writeln!(s, "        {i} => Box::pin(many_{i:04}(x)),");
    }
    let _ = writeln!(s, "        _ => unreachable!(),\n    }}\n}}");
    let out = std::env::var("OUT_DIR").unwrap();
    std::fs::write(format!("{out}/many.rs"), s).unwrap();
    println!("cargo:rerun-if-changed=build.rs");
}
