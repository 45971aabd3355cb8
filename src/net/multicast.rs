//! UDP multicast: joining and leaving groups on a chosen interface (IPv4
//! and IPv6), and sending to a group out of that interface.

use super::{Detail, NetError, NetErrorKind, Op};
use socket2::SockRef;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

/// A group to be a member of, on an interface (a name such as `eth0`, an
/// address of it, an IPv6 interface index, or none: the system's choice).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Membership {
    pub group: IpAddr,
    pub iface: Option<String>,
}

impl fmt::Display for Membership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.iface {
            Some(i) => write!(f, "{}@{i}", self.group),
            None => write!(f, "{}", self.group),
        }
    }
}

/// Why a `GROUP[@IFACE]` is not one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    NotAnAddress(String),
    NotMulticast(IpAddr),
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JoinError::NotAnAddress(s) => write!(
                f,
                "'{s}' is not a group address (write GROUP[@INTERFACE], e.g. 239.1.2.3@eth0)"
            ),
            JoinError::NotMulticast(ip) => write!(
                f,
                "{ip} is not a multicast address (224.0.0.0/4 for IPv4, ff00::/8 for IPv6)"
            ),
        }
    }
}

impl Membership {
    /// Parses `GROUP[@IFACE]`; the group must be a multicast address.
    pub fn parse(s: &str) -> Result<Membership, JoinError> {
        let t = s.trim();
        let (g, iface) = match t.split_once('@') {
            Some((g, i)) if !i.trim().is_empty() => (g, Some(i.trim().to_string())),
            Some((g, _)) => (g, None),
            None => (t, None),
        };
        let group =
            super::parse_ip(g).ok_or_else(|| JoinError::NotAnAddress(g.trim().to_string()))?;
        if !group.is_multicast() {
            return Err(JoinError::NotMulticast(group));
        }
        Ok(Membership { group, iface })
    }
}

fn op(m: &Membership, leave: bool) -> Op {
    if leave {
        Op::Leave(m.group)
    } else {
        Op::Join(m.group)
    }
}

fn no_interface(m: &Membership, leave: bool, name: &str) -> NetError {
    NetError::new(
        NetErrorKind::AddrNotAvailable,
        op(m, leave),
        Detail::NoInterface(name.to_string()),
    )
}

/// The IPv4 address that names `iface` (an address, or an interface's
/// first IPv4 address); unspecified when none is given.
fn v4_interface(iface: Option<&str>) -> Option<Ipv4Addr> {
    let Some(name) = iface else {
        return Some(Ipv4Addr::UNSPECIFIED);
    };
    if let Ok(ip) = name.parse::<Ipv4Addr>() {
        return Some(ip);
    }
    if_addrs::get_if_addrs()
        .ok()?
        .into_iter()
        .find_map(|i| match (i.name == name, i.addr) {
            (true, if_addrs::IfAddr::V4(a)) => Some(a.ip),
            _ => None,
        })
}

/// The index of the interface `iface` names (a number, a name, or one of
/// its addresses); 0 (the system's choice) when none is given.
fn v6_interface(iface: Option<&str>) -> Option<u32> {
    let Some(name) = iface else {
        return Some(0);
    };
    super::interfaces::index_of(name)
}

/// Joins (or leaves) `m` on `sock`; a join also makes the group's
/// interface the one multicast sends go out of. Returns the interface as
/// used, for the log.
pub(super) fn apply(sock: SockRef<'_>, m: &Membership, leave: bool) -> Result<String, NetError> {
    let local_v6 = sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .is_some_and(|a| a.is_ipv6());
    let iface = m.iface.as_deref();
    let os = |e: std::io::Error| NetError::from_io(&e, op(m, leave));
    match m.group {
        IpAddr::V4(g) => {
            if local_v6 {
                return Err(NetError::new(
                    NetErrorKind::InvalidAddress,
                    op(m, leave),
                    Detail::WrongFamily,
                ));
            }
            let ifa = v4_interface(iface)
                .ok_or_else(|| no_interface(m, leave, iface.unwrap_or_default()))?;
            if leave {
                sock.leave_multicast_v4(&g, &ifa).map_err(os)?;
            } else {
                sock.join_multicast_v4(&g, &ifa).map_err(os)?;
                if !ifa.is_unspecified() {
                    sock.set_multicast_if_v4(&ifa).map_err(os)?;
                }
            }
            Ok(if ifa.is_unspecified() {
                String::new()
            } else {
                ifa.to_string()
            })
        }
        IpAddr::V6(g) => {
            if !local_v6 {
                return Err(NetError::new(
                    NetErrorKind::InvalidAddress,
                    op(m, leave),
                    Detail::WrongFamily,
                ));
            }
            let idx = v6_interface(iface)
                .ok_or_else(|| no_interface(m, leave, iface.unwrap_or_default()))?;
            if leave {
                sock.leave_multicast_v6(&g, idx).map_err(os)?;
            } else {
                sock.join_multicast_v6(&g, idx).map_err(os)?;
                if idx != 0 {
                    sock.set_multicast_if_v6(idx).map_err(os)?;
                }
            }
            Ok(match (iface, idx) {
                (_, 0) => String::new(),
                (Some(name), _) => name.to_string(),
                (None, i) => i.to_string(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_parse_with_their_interface() {
        let m = Membership::parse("239.1.2.3@eth0").unwrap();
        assert_eq!(m.group, "239.1.2.3".parse::<IpAddr>().unwrap());
        assert_eq!(m.iface.as_deref(), Some("eth0"));
        assert_eq!(m.to_string(), "239.1.2.3@eth0");
        let m = Membership::parse("ff02::1").unwrap();
        assert_eq!(m.iface, None);
        assert_eq!(
            Membership::parse("[ff12::7]@2").unwrap().iface.as_deref(),
            Some("2")
        );
        assert_eq!(
            Membership::parse("10.0.0.1"),
            Err(JoinError::NotMulticast("10.0.0.1".parse().unwrap()))
        );
        assert!(matches!(
            Membership::parse("group@eth0"),
            Err(JoinError::NotAnAddress(_))
        ));
    }
}
