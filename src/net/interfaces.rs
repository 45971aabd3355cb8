//! Local addresses to bind to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A local address with a label for the drop-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    pub ip: IpAddr,
    /// Interface name, or empty for the wildcard and loopback entries.
    pub interface: String,
    /// The IPv4 broadcast address of its network (a UDP remote that
    /// reaches every host on it).
    pub broadcast: Option<Ipv4Addr>,
}

impl LocalAddr {
    /// The address as it is typed to bind to it: a link-local IPv6
    /// address carries its interface (`fe80::1%eth0`).
    pub fn text(&self) -> String {
        match self.ip {
            IpAddr::V6(v6) if is_link_local(&v6) && !self.interface.is_empty() => {
                format!("{v6}%{}", self.interface)
            }
            ip => ip.to_string(),
        }
    }
}

/// fe80::/10: an address that means something only on one link, so it
/// needs its interface (zone) to be used.
pub fn is_link_local(ip: &Ipv6Addr) -> bool {
    ip.segments()[0] & 0xffc0 == 0xfe80
}

/// The index of the interface `name` names: a number, an interface name,
/// or one of its addresses.
pub fn index_of(name: &str) -> Option<u32> {
    let name = name.trim();
    if let Ok(n) = name.parse::<u32>() {
        return Some(n);
    }
    // By name, whether or not the interface has an address yet.
    #[cfg(unix)]
    if let Ok(c) = std::ffi::CString::new(name) {
        // SAFETY: `c` is a valid NUL-terminated string for the call's length.
        let idx = unsafe { libc::if_nametoindex(c.as_ptr()) };
        if idx != 0 {
            return Some(idx);
        }
    }
    let by_ip = super::parse_ip(name);
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find(|i| i.name == name || Some(i.ip()) == by_ip)
        .and_then(|i| i.index)
}

/// The broadcast address of an IPv4 network: the address with every host
/// bit set; none for a /31 or /32, which have no broadcast.
fn broadcast_of(ip: Ipv4Addr, prefix: u8) -> Option<Ipv4Addr> {
    if prefix >= 31 {
        return None;
    }
    let host_bits = u32::MAX >> prefix;
    Some(Ipv4Addr::from(u32::from(ip) | host_bits))
}

/// Broadcast addresses a UDP session can send to: the limited broadcast
/// and each interface network's, with the interface's name.
pub fn broadcast_addresses(addrs: &[LocalAddr]) -> Vec<(Ipv4Addr, String)> {
    let mut out = vec![(Ipv4Addr::BROADCAST, String::new())];
    for a in addrs {
        if let Some(b) = a.broadcast
            && !out.iter().any(|(x, _)| *x == b)
        {
            out.push((b, a.interface.clone()));
        }
    }
    out
}

/// The wildcard and loopback addresses first, then every address of every
/// interface (duplicates removed). Never fails: when the interfaces cannot
/// be listed, the fixed entries remain.
pub fn local_addresses() -> Vec<LocalAddr> {
    let mut out: Vec<LocalAddr> = [
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ]
    .into_iter()
    .map(|ip| LocalAddr {
        ip,
        interface: String::new(),
        broadcast: None,
    })
    .collect();
    if let Ok(ifaces) = if_addrs::get_if_addrs() {
        for i in ifaces {
            let ip = i.ip();
            let broadcast = match &i.addr {
                if_addrs::IfAddr::V4(v4) => {
                    v4.broadcast.or_else(|| broadcast_of(v4.ip, v4.prefixlen))
                }
                if_addrs::IfAddr::V6(_) => None,
            };
            if let Some(a) = out.iter_mut().find(|a| a.ip == ip) {
                // 127.0.0.1 is listed first; its network's broadcast still counts.
                if a.broadcast.is_none() {
                    a.broadcast = broadcast;
                }
                continue;
            }
            out.push(LocalAddr {
                ip,
                interface: i.name.clone(),
                broadcast,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_addresses_set_every_host_bit() {
        assert_eq!(
            broadcast_of(Ipv4Addr::new(192, 168, 1, 20), 24),
            Some(Ipv4Addr::new(192, 168, 1, 255))
        );
        assert_eq!(
            broadcast_of(Ipv4Addr::new(127, 0, 0, 1), 8),
            Some(Ipv4Addr::new(127, 255, 255, 255))
        );
        assert_eq!(broadcast_of(Ipv4Addr::new(10, 0, 0, 1), 32), None);
        let list = broadcast_addresses(&local_addresses());
        assert_eq!(
            list[0].0,
            Ipv4Addr::BROADCAST,
            "the limited broadcast first"
        );
    }

    #[test]
    fn fixed_entries_come_first_and_are_unique() {
        let list = local_addresses();
        assert_eq!(list[0].ip, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(list[2].ip, IpAddr::V4(Ipv4Addr::LOCALHOST));
        for (i, a) in list.iter().enumerate() {
            assert!(
                !list[i + 1..].iter().any(|b| b.ip == a.ip),
                "duplicate {}",
                a.ip
            );
        }
    }
}
