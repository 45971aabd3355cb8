//! Local addresses to bind to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A local address with a label for the drop-down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalAddr {
    pub ip: IpAddr,
    /// Interface name, or empty for the wildcard and loopback entries.
    pub interface: String,
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
    })
    .collect();
    if let Ok(ifaces) = if_addrs::get_if_addrs() {
        for i in ifaces {
            let ip = i.ip();
            if out.iter().any(|a| a.ip == ip) {
                continue;
            }
            out.push(LocalAddr {
                ip,
                interface: i.name.clone(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
