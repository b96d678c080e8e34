//! What one item costs to cross the plugin boundary: encode on one side, decode on the other,
//! for items shaped like the bench's (`<veth name= peer=>` with its envelope and a `<static>`
//! item each, spans as a parsed document has them) and for the changes planned from them.
//! Prints the best of several rounds; `docs/performance.md` quotes it. Run with
//! `cargo run --release -p netplug-plugin-sdk --example transport_cost`.

use std::time::{Duration, Instant};

use netplug_plugin_sdk::abi::{self, Apply, ApplyRef, Plan, PlanRef};
use netplug_plugin_sdk::{Change, Element, Envelope, Item, Phase, Span};

fn span(line: u32) -> Span {
    Span { file: 1, start: line * 80, end: line * 80 + 40, line, col: 5 }
}

fn items(n: u32) -> Vec<Item> {
    (0..n)
        .flat_map(|i| {
            let name = format!("va{i}");
            let envelope =
                Envelope { name: name.clone(), kind: "veth".into(), mtu: Some(1500), ..Default::default() };
            let mut veth = Element::new("veth").with_attr("peer", format!("vb{i}"));
            veth.span = span(i);
            veth.attributes[0].span = span(i);
            veth.attributes[0].value_span = span(i);
            let mut address =
                Element::new("static").with_attr("ipaddr", format!("10.{}.{}.1/24", i / 256, i % 256));
            address.span = span(i);
            address.attributes[0].value_span = span(i);
            [
                Item {
                    interface: name.clone(),
                    kind: "veth".into(),
                    envelope: Some(envelope.clone()),
                    element: veth,
                },
                Item { interface: name, kind: "veth".into(), envelope: Some(envelope), element: address },
            ]
        })
        .collect()
}

fn best(rounds: usize, mut f: impl FnMut()) -> Duration {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap()
}

fn main() {
    for n in [1_000u32, 10_000] {
        let desired = items(n);
        let scope: Vec<String> = (0..n).map(|i| format!("va{i}")).collect();
        let request = PlanRef { desired: &desired, live: &[], scope: &scope };
        let bytes = abi::encode(&request);
        let encode = best(9, || drop(abi::encode(&request)));
        let decode = best(9, || drop(abi::decode::<Plan>(&bytes).unwrap()));
        let per = |d: Duration| d.as_secs_f64() * 1e6 / desired.len() as f64;
        println!(
            "{n} interfaces, {} items: {} bytes/item, encode {:.2} µs/item, decode {:.2} µs/item",
            desired.len(),
            bytes.len() / desired.len(),
            per(encode),
            per(decode)
        );
        let changes: Vec<Change> = scope
            .iter()
            .map(|s| {
                let op = Op { op: "create", name: s, peer: "vb", mtu: 1500 };
                Change::new(s, Phase::Create, format!("create veth {s} peer vb (mtu 1500)"), &op)
            })
            .collect();
        let request = ApplyRef { changes: &changes };
        let bytes = abi::encode(&request);
        let encode = best(9, || drop(abi::encode(&request)));
        let decode = best(9, || drop(abi::decode::<Apply>(&bytes).unwrap()));
        let per = |d: Duration| d.as_secs_f64() * 1e6 / changes.len() as f64;
        println!(
            "{n} changes: {} bytes/change, encode {:.2} µs/change, decode {:.2} µs/change",
            bytes.len() / changes.len(),
            per(encode),
            per(decode)
        );
    }
}

/// A change's operation shaped like a kind plugin's.
#[derive(serde::Serialize)]
struct Op<'a> {
    op: &'a str,
    name: &'a str,
    peer: &'a str,
    mtu: u32,
}
