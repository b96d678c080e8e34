//! Health checks for a confirmed apply (`--check-gateway`, `--check-ping HOST`): is the host
//! still reachable after the change? netplug sends the ICMP echo itself (no `ping` program),
//! from the namespace the run acts in.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::{Duration, Instant};

/// The IPv4 default gateway of the current network namespace, from the kernel's route table as
/// `/proc` shows it to this thread (route lookups are the plugins' business; this is only a
/// read of what the kernel already decided).
pub fn default_gateway() -> Option<IpAddr> {
    let text = std::fs::read_to_string("/proc/thread-self/net/route").ok()?;
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // Iface Destination Gateway Flags ... Mask
        if f.len() > 7 && f[1] == "00000000" && f[7] == "00000000" {
            let g = u32::from_str_radix(f[2], 16).ok()?;
            if g != 0 {
                return Some(IpAddr::V4(Ipv4Addr::from(g.swap_bytes())));
            }
        }
    }
    let text = std::fs::read_to_string("/proc/thread-self/net/ipv6_route").ok()?;
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() > 4 && f[0] == "00000000000000000000000000000000" && f[1] == "00" {
            let g = u128::from_str_radix(f[4], 16).ok()?;
            if g != 0 {
                return Some(IpAddr::V6(Ipv6Addr::from(g)));
            }
        }
    }
    None
}

/// Send ICMP echo requests to `host` until one is answered or `timeout` passes.
pub fn ping(host: IpAddr, timeout: Duration) -> io::Result<Duration> {
    let (domain, proto, echo_request, echo_reply) = match host {
        IpAddr::V4(_) => (libc::AF_INET, libc::IPPROTO_ICMP, 8u8, 0u8),
        IpAddr::V6(_) => (libc::AF_INET6, libc::IPPROTO_ICMPV6, 128u8, 129u8),
    };
    // SAFETY: socket(2) returns a new descriptor we immediately own.
    let fd = unsafe { libc::socket(domain, libc::SOCK_RAW | libc::SOCK_CLOEXEC, proto) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, valid descriptor owned by nobody else.
    let sock = unsafe { OwnedFd::from_raw_fd(fd) };
    let started = Instant::now();
    let ident = (std::process::id() & 0xffff) as u16;
    let mut seq = 0u16;
    while started.elapsed() < timeout {
        seq = seq.wrapping_add(1);
        let mut packet =
            [echo_request, 0, 0, 0, (ident >> 8) as u8, ident as u8, (seq >> 8) as u8, seq as u8];
        if domain == libc::AF_INET {
            // The kernel fills in ICMPv6 checksums; ICMPv4's is ours.
            let sum = checksum(&packet);
            packet[2..4].copy_from_slice(&sum.to_be_bytes());
        }
        send_to(&sock, &packet, host)?;
        let wait_until = (Instant::now() + Duration::from_millis(300)).min(started + timeout);
        while Instant::now() < wait_until {
            let left = wait_until.saturating_duration_since(Instant::now());
            let mut buf = [0u8; 1500];
            let Some(n) = recv_timeout(&sock, &mut buf, left)? else { break };
            // Raw IPv4 sockets deliver the IP header too; IPv6 ones do not.
            let icmp = if domain == libc::AF_INET {
                &buf[((buf[0] & 0x0f) as usize * 4).min(n)..n]
            } else {
                &buf[..n]
            };
            if icmp.len() >= 8 && icmp[0] == echo_reply && icmp[4..6] == ident.to_be_bytes() {
                return Ok(started.elapsed());
            }
        }
    }
    Err(io::Error::new(io::ErrorKind::TimedOut, format!("no echo reply from {host} within {timeout:?}")))
}

fn checksum(data: &[u8]) -> u16 {
    let mut sum: u32 =
        data.chunks(2).map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))).sum();
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn send_to(sock: &OwnedFd, packet: &[u8], host: IpAddr) -> io::Result<()> {
    let addr: socket2_like::Addr = SocketAddr::new(host, 0).into();
    // SAFETY: the address buffer and its length come from one valid sockaddr.
    let rc = unsafe {
        libc::sendto(sock.as_raw_fd(), packet.as_ptr().cast(), packet.len(), 0, addr.as_ptr(), addr.len())
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn recv_timeout(sock: &OwnedFd, buf: &mut [u8], timeout: Duration) -> io::Result<Option<usize>> {
    let mut pfd = libc::pollfd { fd: sock.as_raw_fd(), events: libc::POLLIN, revents: 0 };
    let ms = timeout.as_millis().clamp(1, i32::MAX as u128) as i32;
    // SAFETY: one valid pollfd.
    let rc = unsafe { libc::poll(&mut pfd, 1, ms) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    if rc == 0 {
        return Ok(None);
    }
    // SAFETY: buf is valid for buf.len() bytes.
    let n = unsafe { libc::recv(sock.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Some(n as usize))
}

/// A `sockaddr_in`/`sockaddr_in6` built from a std address.
mod socket2_like {
    use super::*;

    pub enum Addr {
        V4(libc::sockaddr_in),
        V6(libc::sockaddr_in6),
    }

    impl From<SocketAddr> for Addr {
        fn from(a: SocketAddr) -> Addr {
            match a {
                SocketAddr::V4(a) => Addr::V4(v4(a)),
                SocketAddr::V6(a) => Addr::V6(v6(a)),
            }
        }
    }

    fn v4(a: SocketAddrV4) -> libc::sockaddr_in {
        libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: a.port().to_be(),
            sin_addr: libc::in_addr { s_addr: u32::from(*a.ip()).to_be() },
            sin_zero: [0; 8],
        }
    }

    fn v6(a: SocketAddrV6) -> libc::sockaddr_in6 {
        libc::sockaddr_in6 {
            sin6_family: libc::AF_INET6 as libc::sa_family_t,
            sin6_port: a.port().to_be(),
            sin6_flowinfo: 0,
            sin6_addr: libc::in6_addr { s6_addr: a.ip().octets() },
            sin6_scope_id: a.scope_id(),
        }
    }

    impl Addr {
        pub fn as_ptr(&self) -> *const libc::sockaddr {
            match self {
                Addr::V4(a) => (a as *const libc::sockaddr_in).cast(),
                Addr::V6(a) => (a as *const libc::sockaddr_in6).cast(),
            }
        }
        pub fn len(&self) -> libc::socklen_t {
            match self {
                Addr::V4(_) => std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                Addr::V6(_) => std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Run `f` on a thread in a network namespace of its own with `lo` up, so no packet of a
    /// test is seen by the machine's own namespace.
    fn in_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        std::thread::spawn(move || {
            // SAFETY: unshare and an interface-flags ioctl on a fresh socket; no memory effects.
            unsafe {
                assert_eq!(libc::unshare(libc::CLONE_NEWNET), 0, "unshare needs root");
                let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
                let mut req: libc::ifreq = std::mem::zeroed();
                req.ifr_name[..2].copy_from_slice(&[b'l' as libc::c_char, b'o' as libc::c_char]);
                req.ifr_ifru.ifru_flags = (libc::IFF_UP | libc::IFF_LOOPBACK | libc::IFF_RUNNING) as i16;
                assert_eq!(libc::ioctl(fd, libc::SIOCSIFFLAGS, &req), 0);
                libc::close(fd);
            }
            f()
        })
        .join()
        .unwrap()
    }

    #[test]
    fn loopback_answers_both_families() {
        in_netns(|| {
            ping(IpAddr::V4(Ipv4Addr::LOCALHOST), Duration::from_secs(2)).expect("ping 127.0.0.1");
            ping(IpAddr::V6(Ipv6Addr::LOCALHOST), Duration::from_secs(2)).expect("ping ::1");
            assert_eq!(default_gateway(), None);
            let err = ping("192.0.2.1".parse().unwrap(), Duration::from_millis(200)).unwrap_err();
            assert!(err.kind() == io::ErrorKind::TimedOut || err.raw_os_error() == Some(libc::ENETUNREACH));
        })
    }

    #[test]
    fn checksum_of_a_known_packet() {
        assert_eq!(checksum(&[8, 0, 0, 0, 0, 1, 0, 1]), 0xf7fd);
    }
}
