//! The synchronous CPU work of one benchmark request, in its own crate so it
//! can be built optimised in every profile (see the workspace Cargo.toml):
//! the work per request is then the same machine code in the release, debug
//! and frame-pointer builds, and only the async plumbing differs.

/// `rounds` dependent multiply/xor-shift steps on `x` (a 64-bit finaliser
/// mixed with the round number), a dependent chain: about 2.7 ns a round on
/// the bench VM, so the default 15,000 rounds a request are ~40 us.
#[inline(never)]
pub fn mix_rounds(mut x: u64, rounds: u32) -> u64 {
    let mut i: u32 = 0;
    while i < rounds {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 29;
        x = x.wrapping_add(i as u64 | 1);
        i += 1;
    }
    core::hint::black_box(x)
}
