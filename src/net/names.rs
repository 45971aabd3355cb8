//! Names for peers that have no IP address. Unix domain sockets have paths;
//! the rest of NetPal (events, the log, peer lists) names a peer by socket
//! address. Each such peer gets a stand-in address from 100::/64, the IPv6
//! discard-only prefix (RFC 6666: never a real peer), and a name here; text
//! shown to the user has stand-ins replaced by their names ([`humanize`]).

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, RwLock};

struct Names {
    by_addr: HashMap<SocketAddr, String>,
    by_name: HashMap<String, SocketAddr>,
}

static NAMES: LazyLock<RwLock<Names>> = LazyLock::new(|| {
    RwLock::new(Names {
        by_addr: HashMap::new(),
        by_name: HashMap::new(),
    })
});
static NEXT: AtomicU64 = AtomicU64::new(1);

/// The stand-in address for `name` (the same name, the same address).
pub fn stand_in(name: &str) -> SocketAddr {
    if let Ok(n) = NAMES.read()
        && let Some(a) = n.by_name.get(name)
    {
        return *a;
    }
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    let seg = |s: u32| ((k >> s) & 0xffff) as u16;
    let addr = SocketAddr::new(
        IpAddr::V6(Ipv6Addr::new(
            0x100,
            0,
            0,
            0,
            seg(48),
            seg(32),
            seg(16),
            seg(0),
        )),
        0,
    );
    if let Ok(mut n) = NAMES.write() {
        if let Some(a) = n.by_name.get(name) {
            return *a;
        }
        n.by_addr.insert(addr, name.to_string());
        n.by_name.insert(name.to_string(), addr);
    }
    addr
}

/// Whether `a` is a stand-in.
pub fn is_stand_in(a: &SocketAddr) -> bool {
    matches!(a.ip(), IpAddr::V6(v6) if v6.segments()[..4] == [0x100, 0, 0, 0])
}

/// The name of a stand-in address.
pub fn name_of(a: &SocketAddr) -> Option<String> {
    if !is_stand_in(a) {
        return None;
    }
    NAMES.read().ok()?.by_addr.get(a).cloned()
}

/// How a peer is shown: its name when it has one, else its address.
pub fn peer_text(a: impl std::borrow::Borrow<SocketAddr>) -> String {
    let a = a.borrow();
    name_of(a).unwrap_or_else(|| a.to_string())
}

/// `text` with every stand-in address in it (`[100::…]:0`) replaced by
/// its name.
pub fn humanize(text: &str) -> Cow<'_, str> {
    if !text.contains("[100::") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("[100::") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        // The address runs to "]:PORT".
        let end = tail
            .find("]:")
            .map(|j| {
                j + 2
                    + tail[j + 2..]
                        .find(|c: char| !c.is_ascii_digit())
                        .unwrap_or(tail.len() - j - 2)
            })
            .unwrap_or(tail.len());
        let candidate = &tail[..end];
        match candidate
            .parse::<SocketAddr>()
            .ok()
            .and_then(|a| name_of(&a))
        {
            Some(name) => out.push_str(&name),
            None => out.push_str(candidate),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stand_ins_read_as_their_names() {
        let a = stand_in("unix:/tmp/names-test.sock");
        assert!(is_stand_in(&a));
        assert_eq!(
            stand_in("unix:/tmp/names-test.sock"),
            a,
            "one name, one address"
        );
        assert_eq!(peer_text(a), "unix:/tmp/names-test.sock");
        let line = format!("RX ← {a}  (5 B) and {a}.");
        assert_eq!(
            humanize(&line),
            "RX ← unix:/tmp/names-test.sock  (5 B) and unix:/tmp/names-test.sock."
        );
        let plain = "RX ← 127.0.0.1:5000";
        assert!(matches!(humanize(plain), Cow::Borrowed(_)));
        let b: SocketAddr = "127.0.0.1:80".parse().unwrap();
        assert_eq!(peer_text(b), "127.0.0.1:80");
    }
}
