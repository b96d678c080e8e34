//! The benchmark's workloads: for each case and size, the netplug document and the `ip -batch`
//! file that make the kernel reach the same state.
//!
//! The batch files are ordered the way `ip` is fastest and the way netplug's phases run: every
//! link created first, then ports enslaved, then links set up, then addresses, then routes.
//! Routes carry netplug's protocol (176) in both, so the two states compare equal.

use std::fmt::Write;

/// One benchmark case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Case {
    /// N veth pairs, an IPv4 address on one end, that end up.
    Veth,
    /// N unicast routes through a gateway on one bridge with one address.
    Routes,
    /// N bridges, each with one veth port and an IPv4 address, bridge and port up.
    Bridges,
    /// N veths that exist before the run (made untimed), declared as `<interface device>` and
    /// enslaved as ports into one bridge per [`PORTS_PER_BRIDGE`], each bridge with an IPv4
    /// address; ports and bridges up. The commonest layout on a real host.
    Ports,
}

pub const ALL: [Case; 4] = [Case::Veth, Case::Routes, Case::Bridges, Case::Ports];

/// How many existing ports the `ports` case puts into each bridge (1,000 ports: 10 bridges).
pub const PORTS_PER_BRIDGE: usize = 100;

/// The rtnetlink protocol netplug's `<route>`s carry (`RTPROT_NETPLUG`).
const RTPROT_NETPLUG: u32 = 176;

impl Case {
    pub fn name(self) -> &'static str {
        match self {
            Case::Veth => "veth",
            Case::Routes => "routes",
            Case::Bridges => "bridges",
            Case::Ports => "ports",
        }
    }

    pub fn parse(s: &str) -> Option<Case> {
        ALL.into_iter().find(|c| c.name() == s)
    }

    /// What the case builds, for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Case::Veth => "N veth pairs, an IPv4 /24 on one end, that end up",
            Case::Routes => "N routes via one gateway on one bridge (with one address, up)",
            Case::Bridges => "N bridges, each with one veth port and an IPv4 /24; bridge and port up",
            Case::Ports => {
                "N existing veths (made before timing, declared as `<interface device>`) enslaved 100 to \
                 a bridge, each bridge with an IPv4 /24; ports and bridges up"
            }
        }
    }

    /// The interfaces the document declares, for targets stated per 1,000 interfaces.
    pub fn interfaces(self, n: usize) -> usize {
        match self {
            Case::Veth => n,
            Case::Routes => 1,
            Case::Bridges => 2 * n,
            Case::Ports => n + bridges_for(n),
        }
    }

    /// Whether the case creates every link it declares (netplug can then send fewer messages
    /// than `ip`: a link created up, with its master, in one request).
    pub fn creates_links(self) -> bool {
        matches!(self, Case::Veth | Case::Bridges)
    }

    /// The largest size the address plan below has room for.
    pub fn max_size(self) -> usize {
        65_536
    }
}

/// The bridges of the `ports` case at size `n`.
fn bridges_for(n: usize) -> usize {
    n.div_ceil(PORTS_PER_BRIDGE)
}

/// The `ip -batch` file that makes what a case needs to exist before it is timed (the `ports`
/// case's veths), run untimed in each namespace, netplug's and `ip`'s alike.
pub fn setup(case: Case, n: usize) -> Option<String> {
    let Case::Ports = case else { return None };
    let mut b = String::with_capacity(n * 40);
    for i in 0..n {
        let _ = writeln!(b, "link add p{i} type veth peer name q{i}");
    }
    Some(b)
}

/// The `i`th /24's first address: 10.(i/256).(i%256).1, unique for i < 65,536.
fn address(i: usize) -> String {
    format!("10.{}.{}.1/24", (i >> 8) & 255, i & 255)
}

/// The `i`th route's destination, disjoint from the gateway's subnet.
fn destination(i: usize) -> String {
    format!("10.{}.{}.0/24", (i >> 8) & 255, i & 255)
}

const ROUTES_LINK: &str = "rt0";
const ROUTES_ADDRESS: &str = "192.168.0.1/24";
const ROUTES_GATEWAY: &str = "192.168.0.2";

/// The netplug document for `case` at size `n`.
pub fn document(case: Case, n: usize) -> String {
    let mut x = String::with_capacity(n * 120);
    x.push_str("<?xml version=\"1.0\"?>\n<interfaces>\n");
    match case {
        Case::Veth => {
            for i in 0..n {
                let _ = writeln!(
                    x,
                    "  <veth name=\"va{i}\" peer=\"vb{i}\"><static ipaddr=\"{}\"/></veth>",
                    address(i)
                );
            }
        }
        Case::Routes => {
            let _ = writeln!(x, "  <bridge name=\"{ROUTES_LINK}\">");
            let _ = writeln!(x, "    <static ipaddr=\"{ROUTES_ADDRESS}\"/>");
            for i in 0..n {
                let _ = writeln!(
                    x,
                    "    <route destination=\"{}\" gateway=\"{ROUTES_GATEWAY}\"/>",
                    destination(i)
                );
            }
            x.push_str("  </bridge>\n");
        }
        Case::Bridges => {
            for i in 0..n {
                let _ = writeln!(x, "  <veth name=\"bp{i}\" peer=\"bq{i}\"/>");
                let _ = writeln!(
                    x,
                    "  <bridge name=\"br{i}\"><member device=\"bp{i}\"/><static ipaddr=\"{}\"/></bridge>",
                    address(i)
                );
            }
        }
        Case::Ports => {
            for i in 0..n {
                let _ = writeln!(x, "  <interface device=\"p{i}\"/>");
            }
            for b in 0..bridges_for(n) {
                let _ = writeln!(x, "  <bridge name=\"br{b}\">");
                for i in ports_of(b, n) {
                    let _ = writeln!(x, "    <member device=\"p{i}\"/>");
                }
                let _ = writeln!(x, "    <static ipaddr=\"{}\"/>\n  </bridge>", address(b));
            }
        }
    }
    x.push_str("</interfaces>\n");
    x
}

/// The `ip -batch` file doing the same work as [`document`].
pub fn batch(case: Case, n: usize) -> String {
    let mut b = String::with_capacity(n * 150);
    match case {
        Case::Veth => {
            for i in 0..n {
                let _ = writeln!(b, "link add va{i} type veth peer name vb{i}");
            }
            for i in 0..n {
                let _ = writeln!(b, "link set va{i} up");
            }
            for i in 0..n {
                let _ = writeln!(b, "address add {} dev va{i}", address(i));
            }
        }
        Case::Routes => {
            let _ = writeln!(b, "link add {ROUTES_LINK} type bridge");
            let _ = writeln!(b, "link set {ROUTES_LINK} up");
            let _ = writeln!(b, "address add {ROUTES_ADDRESS} dev {ROUTES_LINK}");
            for i in 0..n {
                let _ = writeln!(
                    b,
                    "route add {} via {ROUTES_GATEWAY} dev {ROUTES_LINK} proto {RTPROT_NETPLUG}",
                    destination(i)
                );
            }
        }
        Case::Bridges => {
            for i in 0..n {
                let _ = writeln!(b, "link add bp{i} type veth peer name bq{i}");
            }
            for i in 0..n {
                let _ = writeln!(b, "link add br{i} type bridge");
            }
            for i in 0..n {
                let _ = writeln!(b, "link set bp{i} master br{i}");
            }
            for i in 0..n {
                let _ = writeln!(b, "link set bp{i} up");
                let _ = writeln!(b, "link set br{i} up");
            }
            for i in 0..n {
                let _ = writeln!(b, "address add {} dev br{i}", address(i));
            }
        }
        Case::Ports => {
            let bridges = bridges_for(n);
            for j in 0..bridges {
                let _ = writeln!(b, "link add br{j} type bridge");
            }
            for j in 0..bridges {
                for i in ports_of(j, n) {
                    let _ = writeln!(b, "link set p{i} master br{j}");
                }
            }
            for i in 0..n {
                let _ = writeln!(b, "link set p{i} up");
            }
            for j in 0..bridges {
                let _ = writeln!(b, "link set br{j} up");
            }
            for j in 0..bridges {
                let _ = writeln!(b, "address add {} dev br{j}", address(j));
            }
        }
    }
    b
}

/// The ports of the `ports` case's bridge `b`.
fn ports_of(b: usize, n: usize) -> std::ops::Range<usize> {
    b * PORTS_PER_BRIDGE..((b + 1) * PORTS_PER_BRIDGE).min(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_batches_have_one_line_per_operation() {
        assert_eq!(batch(Case::Veth, 10).lines().count(), 30);
        assert_eq!(batch(Case::Routes, 10).lines().count(), 13);
        assert_eq!(batch(Case::Bridges, 10).lines().count(), 60);
        assert_eq!(document(Case::Routes, 10).matches("<route ").count(), 10);
        assert_eq!(document(Case::Bridges, 10).matches("<member ").count(), 10);
        // 250 ports: 3 bridges; create, enslave, port up, bridge up, address.
        assert_eq!(batch(Case::Ports, 250).lines().count(), 3 + 250 + 250 + 3 + 3);
        assert_eq!(document(Case::Ports, 250).matches("<member ").count(), 250);
        assert_eq!(document(Case::Ports, 250).matches("<bridge ").count(), 3);
        assert_eq!(setup(Case::Ports, 250).unwrap().lines().count(), 250);
    }

    #[test]
    fn addresses_are_unique_across_the_largest_size() {
        let all: std::collections::HashSet<String> = (0..Case::Veth.max_size()).map(address).collect();
        assert_eq!(all.len(), Case::Veth.max_size());
    }
}
