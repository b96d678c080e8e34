//! Hash maps keyed by route (destination, table, metric): plan keeps one per side and
//! interface and validation one per document, each with an entry per route, and SipHash was
//! most of their cost. Keys come from the host's own documents and kernel, nothing an
//! attacker picks to collide, so a multiply-rotate hash with a final mix does.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A `HashMap` hashed by [`KeyHasher`].
pub type KeyMap<K, V> = HashMap<K, V, BuildHasherDefault<KeyHasher>>;

/// An empty [`KeyMap`] with room for `n` entries.
pub fn with_capacity<K, V>(n: usize) -> KeyMap<K, V> {
    KeyMap::with_capacity_and_hasher(n, BuildHasherDefault::default())
}

/// FxHash's word step (rustc's hasher), then murmur3's 64-bit finaliser: every word is a
/// bijection of the state, and the finaliser spreads it into the low bits the table indexes
/// by, which the product alone leaves poor for addresses ending in zero bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, n: u8) {
        self.write_u64(n.into());
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(n.into());
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x517c_c1b7_2722_0a95);
    }

    fn finish(&self) -> u64 {
        let mut h = self.0;
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        h ^ (h >> 33)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::hash::BuildHasher;
    use std::net::IpAddr;

    use super::*;

    /// 10,000 /24s (as the benchmark's document) and /64s spread over 16,384 buckets about as
    /// a random hash would (~7,500 distinct).
    #[test]
    fn route_keys_spread_over_the_low_bits() {
        let build = BuildHasherDefault::<KeyHasher>::default();
        let v4 = (0..10_000u32).map(|i| IpAddr::from((0x0a00_0000 + (i << 8)).to_be_bytes()));
        let v6 = (0..10_000u128).map(|i| IpAddr::from(((0x2001_0db8u128 << 96) + (i << 64)).to_be_bytes()));
        for (family, addrs) in [("v4", v4.collect::<Vec<_>>()), ("v6", v6.collect())] {
            let buckets: HashSet<u64> =
                addrs.iter().map(|&a| build.hash_one((a, 24u8, 254u32, 0u32)) & 0x3fff).collect();
            assert!(buckets.len() > 7_000, "{family}: {} buckets", buckets.len());
        }
    }
}
