//! Addresses and numbers appended to a string exactly as their `Display` impls write them,
//! without the formatting machinery: a description, a payload and a read element each write a
//! route's destination and gateway, and `write!` of an IPv4 address cost ~100 ns, several
//! times the rest of building them.

use std::fmt::Write as _;
use std::net::IpAddr;

/// `a` as `Display` writes it.
pub fn addr(out: &mut String, a: IpAddr) {
    let IpAddr::V4(a) = a else {
        let _ = write!(out, "{a}");
        return;
    };
    out.reserve(15);
    for (i, &o) in a.octets().iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        if o >= 100 {
            out.push(char::from(b'0' + o / 100));
        }
        if o >= 10 {
            out.push(char::from(b'0' + o / 10 % 10));
        }
        out.push(char::from(b'0' + o % 10));
    }
}

/// `a/len`, as `Prefix` displays.
pub fn prefix(out: &mut String, a: IpAddr, len: u8) {
    addr(out, a);
    out.push('/');
    number(out, u32::from(len));
}

/// `n` in decimal.
pub fn number(out: &mut String, mut n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(digits[at..].iter().map(|&d| char::from(d)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl Fn(&mut String)) -> String {
        let mut s = String::from(">");
        f(&mut s);
        s
    }

    #[test]
    fn as_display_writes() {
        for n in [0, 7, 10, 99, 100, 255, 1024, 4_294_967_295] {
            assert_eq!(text(|s| number(s, n)), format!(">{n}"));
        }
        for a in [
            "0.0.0.0",
            "10.0.1.0",
            "192.168.100.255",
            "255.255.255.255",
            "::",
            "2001:db8::1",
            "::ffff:1.2.3.4",
        ] {
            let a: IpAddr = a.parse().unwrap();
            assert_eq!(text(|s| addr(s, a)), format!(">{a}"));
            assert_eq!(text(|s| prefix(s, a, 24)), format!(">{a}/24"));
        }
    }
}
