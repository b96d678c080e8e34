//! Time validate + order of a synthetic document by hand: `cargo run -p netplug-core --release
//! --example validate_order -- 10000` (`cargo xtask bench` calls the same `bench::run`).

fn main() {
    let n = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let m = netplug_core::bench::run(n);
    println!(
        "{} interfaces: validate {:.1} ms, order {:.1} ms ({} diagnostics, {} steps)",
        m.interfaces,
        m.validate.as_secs_f64() * 1e3,
        m.order.as_secs_f64() * 1e3,
        m.diagnostics,
        m.steps
    );
}
