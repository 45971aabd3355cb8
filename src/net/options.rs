//! Socket options a session sets (through socket2) and reads back: what a
//! user asks for, what the operating system made of it (Linux doubles a
//! buffer size), and a clear error for what it refused.

use super::{NetError, Op};
use serde::{Deserialize, Serialize};
use socket2::{SockRef, Socket, TcpKeepalive};
use std::fmt;
use std::time::Duration;

/// Options a session asks for; None leaves the system's (or NetPal's)
/// default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SocketOptions {
    /// TCP_NODELAY (NetPal's default: on, so small sends leave at once).
    pub nodelay: Option<bool>,
    /// SO_KEEPALIVE, with the idle time and the probe interval in seconds
    /// where the system has them.
    pub keepalive: Option<bool>,
    pub keepalive_idle: Option<u32>,
    pub keepalive_interval: Option<u32>,
    /// SO_REUSEADDR (NetPal's default for servers on Unix: on).
    pub reuse_addr: Option<bool>,
    /// SO_REUSEPORT (Unix).
    pub reuse_port: Option<bool>,
    /// SO_RCVBUF and SO_SNDBUF in bytes (NetPal's default for UDP: 4 MiB).
    pub recv_buf: Option<u32>,
    pub send_buf: Option<u32>,
    /// IP_TTL, or the IPv6 unicast hop limit.
    pub ttl: Option<u32>,
    /// SO_LINGER on, with this many seconds (0: a close resets).
    pub linger: Option<u32>,
    /// SO_BROADCAST (UDP; NetPal's default: on).
    pub broadcast: Option<bool>,
    /// IPV6_V6ONLY: a socket bound to `::` takes IPv6 only (NetPal's
    /// default: off, so `::` takes IPv4 too).
    pub v6only: Option<bool>,
    /// Multicast TTL (hop limit on IPv6) and loopback (UDP).
    pub mcast_ttl: Option<u32>,
    pub mcast_loop: Option<bool>,
}

/// One option's name, as the system calls it.
pub type OptName = &'static str;

/// What a socket says its options are, after they were set.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReadBack {
    pub values: Vec<(OptName, String)>,
}

impl fmt::Display for ReadBack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .values
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        write!(f, "{}", parts.join(" "))
    }
}

fn on_off(b: bool) -> String {
    if b { "on" } else { "off" }.into()
}

/// The error for an option the system refused.
fn refused(name: OptName, e: &std::io::Error) -> NetError {
    NetError::from_io(e, Op::SetOption(name))
}

/// Sets `name` with `f` when the user asked for `value`; a refusal joins
/// `errors`.
fn set<T: Copy>(
    errors: &mut Vec<NetError>,
    name: OptName,
    value: Option<T>,
    f: impl FnOnce(T) -> std::io::Result<()>,
) {
    if let Some(v) = value
        && let Err(e) = f(v)
    {
        errors.push(refused(name, &e));
    }
}

impl SocketOptions {
    /// Whether any option is asked for.
    pub fn is_default(&self) -> bool {
        *self == SocketOptions::default()
    }

    /// Options set on a new socket before it binds, listens or connects
    /// (buffer sizes must be set before a TCP connection forms to count;
    /// reuse before binding). `udp` adds SO_BROADCAST.
    pub fn before_bind(&self, sock: &Socket, v6: bool, udp: bool) -> Vec<NetError> {
        let mut errors = Vec::new();
        set(&mut errors, "SO_REUSEADDR", self.reuse_addr, |b| {
            sock.set_reuse_address(b)
        });
        #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
        set(&mut errors, "SO_REUSEPORT", self.reuse_port, |b| {
            sock.set_reuse_port(b)
        });
        #[cfg(not(all(unix, not(any(target_os = "solaris", target_os = "illumos")))))]
        if self.reuse_port.is_some() {
            errors.push(NetError::new(
                super::NetErrorKind::Other,
                Op::SetOption("SO_REUSEPORT"),
                super::Detail::NotOnThisSystem,
            ));
        }
        set(&mut errors, "SO_RCVBUF", self.recv_buf, |n| {
            sock.set_recv_buffer_size(n as usize)
        });
        set(&mut errors, "SO_SNDBUF", self.send_buf, |n| {
            sock.set_send_buffer_size(n as usize)
        });
        if v6 {
            set(&mut errors, "IPV6_V6ONLY", self.v6only, |b| {
                sock.set_only_v6(b)
            });
            set(&mut errors, "IPV6_UNICAST_HOPS", self.ttl, |n| {
                sock.set_unicast_hops_v6(n)
            });
        } else {
            set(&mut errors, "IP_TTL", self.ttl, |n| sock.set_ttl_v4(n));
        }
        if udp {
            set(&mut errors, "SO_BROADCAST", self.broadcast, |b| {
                sock.set_broadcast(b)
            });
            if v6 {
                set(&mut errors, "IPV6_MULTICAST_HOPS", self.mcast_ttl, |n| {
                    sock.set_multicast_hops_v6(n)
                });
                set(&mut errors, "IPV6_MULTICAST_LOOP", self.mcast_loop, |b| {
                    sock.set_multicast_loop_v6(b)
                });
            } else {
                set(&mut errors, "IP_MULTICAST_TTL", self.mcast_ttl, |n| {
                    sock.set_multicast_ttl_v4(n)
                });
                set(&mut errors, "IP_MULTICAST_LOOP", self.mcast_loop, |b| {
                    sock.set_multicast_loop_v4(b)
                });
            }
        }
        errors
    }

    /// Options of a TCP connection (set on each, once it exists; an
    /// accepted one takes its listener's buffers and reuse).
    pub fn on_connection(&self, sock: SockRef<'_>) -> Vec<NetError> {
        let mut errors = Vec::new();
        set(
            &mut errors,
            "TCP_NODELAY",
            Some(self.nodelay.unwrap_or(true)),
            |b| sock.set_tcp_nodelay(b),
        );
        match self.keepalive {
            Some(true) => {
                let mut ka = TcpKeepalive::new();
                if let Some(idle) = self.keepalive_idle {
                    ka = ka.with_time(Duration::from_secs(idle.into()));
                }
                #[cfg(any(target_os = "linux", target_os = "macos", windows))]
                if let Some(iv) = self.keepalive_interval {
                    ka = ka.with_interval(Duration::from_secs(iv.into()));
                }
                if let Err(e) = sock.set_tcp_keepalive(&ka) {
                    errors.push(refused("SO_KEEPALIVE", &e));
                }
            }
            Some(false) => set(&mut errors, "SO_KEEPALIVE", Some(false), |b| {
                sock.set_keepalive(b)
            }),
            None => {}
        }
        set(&mut errors, "SO_LINGER", self.linger, |s| {
            sock.set_linger(Some(Duration::from_secs(s.into())))
        });
        errors
    }

    /// The spec keys of the options asked for (`nodelay=0,rcvbuf=65536`).
    pub fn spec_keys(&self) -> Vec<String> {
        let b = |x: bool| if x { "1" } else { "0" };
        let mut out = Vec::new();
        if let Some(x) = self.nodelay {
            out.push(format!("nodelay={}", b(x)));
        }
        match (self.keepalive, self.keepalive_idle, self.keepalive_interval) {
            (Some(true), Some(i), Some(v)) => out.push(format!("keepalive={i}/{v}")),
            (Some(true), Some(i), None) => out.push(format!("keepalive={i}")),
            (Some(true), _, _) => out.push("keepalive=on".into()),
            (Some(false), _, _) => out.push("keepalive=off".into()),
            (None, _, _) => {}
        }
        if let Some(x) = self.reuse_addr {
            out.push(format!("reuseaddr={}", b(x)));
        }
        if let Some(x) = self.reuse_port {
            out.push(format!("reuseport={}", b(x)));
        }
        if let Some(n) = self.recv_buf {
            out.push(format!("rcvbuf={n}"));
        }
        if let Some(n) = self.send_buf {
            out.push(format!("sndbuf={n}"));
        }
        if let Some(n) = self.ttl {
            out.push(format!("ttl={n}"));
        }
        if let Some(n) = self.linger {
            out.push(format!("linger={n}"));
        }
        if let Some(x) = self.broadcast {
            out.push(format!("broadcast={}", b(x)));
        }
        if let Some(x) = self.v6only {
            out.push(format!("v6only={}", b(x)));
        }
        if let Some(n) = self.mcast_ttl {
            out.push(format!("mttl={n}"));
        }
        if let Some(x) = self.mcast_loop {
            out.push(format!("mloop={}", b(x)));
        }
        out
    }

    /// Takes one `key=value` of a spec; false when the key is not an
    /// option's, Err when its value is wrong.
    pub fn parse_key(&mut self, key: &str, value: &str) -> Result<bool, String> {
        let v = value.trim();
        let flag = || match v {
            "1" | "on" | "true" => Ok(true),
            "0" | "off" | "false" => Ok(false),
            _ => Err(format!("{key}={v}: use 1 or 0")),
        };
        let num = |max: u32| {
            v.parse::<u32>()
                .ok()
                .filter(|n| *n <= max)
                .ok_or_else(|| format!("{key}={v}: a whole number up to {max}"))
        };
        match key.trim() {
            "nodelay" => self.nodelay = Some(flag()?),
            "keepalive" => {
                let (idle, interval) = match v.split_once('/') {
                    Some((i, n)) => (Some(i), Some(n)),
                    None => (Some(v), None),
                };
                // The last keepalive= says it all: times it does not give
                // are not kept from an earlier one.
                self.keepalive_idle = None;
                self.keepalive_interval = None;
                match (idle, interval) {
                    // A number is the idle time: `on` and `off` (or 0) say
                    // on and off alone, so `keepalive=1` is one second.
                    (Some("0" | "off" | "false"), None) => self.keepalive = Some(false),
                    (Some("on" | "true"), None) => self.keepalive = Some(true),
                    (Some(i), n) => {
                        let secs = |s: &str| {
                            s.trim()
                                .parse::<u32>()
                                .ok()
                                .filter(|n| (1..=86_400).contains(n))
                                .ok_or_else(|| {
                                    format!("keepalive={v}: IDLE[/INTERVAL] in seconds, 1 to 86400")
                                })
                        };
                        self.keepalive = Some(true);
                        self.keepalive_idle = Some(secs(i)?);
                        self.keepalive_interval = n.map(secs).transpose()?;
                    }
                    (None, _) => {}
                }
            }
            "reuseaddr" => self.reuse_addr = Some(flag()?),
            "reuseport" => self.reuse_port = Some(flag()?),
            "rcvbuf" => self.recv_buf = Some(num(1 << 30)?),
            "sndbuf" => self.send_buf = Some(num(1 << 30)?),
            "ttl" => match num(255)? {
                0 => return Err(format!("ttl={v}: 1 to 255")),
                n => self.ttl = Some(n),
            },
            "linger" => self.linger = Some(num(3600)?),
            "broadcast" => self.broadcast = Some(flag()?),
            "mttl" => self.mcast_ttl = Some(num(255)?),
            "v6only" => self.v6only = Some(flag()?),
            "mloop" => self.mcast_loop = Some(flag()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// What a socket's options are now: those that apply to its kind.
pub fn read_back(sock: SockRef<'_>, tcp_conn: bool, udp: bool) -> ReadBack {
    let mut values = Vec::new();
    let mut put = |name: OptName, v: std::io::Result<String>| {
        if let Ok(v) = v {
            values.push((name, v));
        }
    };
    if tcp_conn {
        put("TCP_NODELAY", sock.tcp_nodelay().map(on_off));
        let ka = sock.keepalive();
        put(
            "SO_KEEPALIVE",
            ka.as_ref().map(|b| on_off(*b)).map_err(clone_err),
        );
        #[cfg(any(target_os = "linux", target_os = "macos"))]
        if matches!(ka, Ok(true)) {
            put(
                "TCP_KEEPIDLE",
                sock.tcp_keepalive_time()
                    .map(|d| format!("{}s", d.as_secs())),
            );
            put(
                "TCP_KEEPINTVL",
                sock.tcp_keepalive_interval()
                    .map(|d| format!("{}s", d.as_secs())),
            );
        }
        put(
            "SO_LINGER",
            sock.linger().map(|l| match l {
                Some(d) => format!("{}s", d.as_secs()),
                None => "off".into(),
            }),
        );
    } else {
        put("SO_REUSEADDR", sock.reuse_address().map(on_off));
        #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
        put("SO_REUSEPORT", sock.reuse_port().map(on_off));
    }
    put("SO_RCVBUF", sock.recv_buffer_size().map(|n| n.to_string()));
    put("SO_SNDBUF", sock.send_buffer_size().map(|n| n.to_string()));
    let v6 = sock
        .local_addr()
        .ok()
        .and_then(|a| a.as_socket())
        .is_some_and(|a| a.is_ipv6());
    if v6 {
        put("IPV6_V6ONLY", sock.only_v6().map(on_off));
        put(
            "IPV6_UNICAST_HOPS",
            sock.unicast_hops_v6().map(|n| n.to_string()),
        );
    } else {
        put("IP_TTL", sock.ttl_v4().map(|n| n.to_string()));
    }
    if udp {
        put("SO_BROADCAST", sock.broadcast().map(on_off));
        if v6 {
            put(
                "IPV6_MULTICAST_HOPS",
                sock.multicast_hops_v6().map(|n| n.to_string()),
            );
            put("IPV6_MULTICAST_LOOP", sock.multicast_loop_v6().map(on_off));
        } else {
            put(
                "IP_MULTICAST_TTL",
                sock.multicast_ttl_v4().map(|n| n.to_string()),
            );
            put("IP_MULTICAST_LOOP", sock.multicast_loop_v4().map(on_off));
        }
    }
    ReadBack { values }
}

fn clone_err(e: &std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_keys_parse_and_print_back() {
        let mut o = SocketOptions::default();
        for (k, v) in [
            ("nodelay", "0"),
            ("keepalive", "30/5"),
            ("reuseaddr", "1"),
            ("rcvbuf", "65536"),
            ("sndbuf", "32768"),
            ("ttl", "7"),
            ("linger", "0"),
            ("broadcast", "0"),
        ] {
            assert_eq!(o.parse_key(k, v), Ok(true), "{k}={v}");
        }
        assert_eq!(o.keepalive_idle, Some(30));
        assert_eq!(o.keepalive_interval, Some(5));
        assert_eq!(
            o.spec_keys().join(","),
            "nodelay=0,keepalive=30/5,reuseaddr=1,rcvbuf=65536,sndbuf=32768,ttl=7,linger=0,broadcast=0"
        );
        assert_eq!(o.parse_key("remote", "x"), Ok(false));
        // Found by fuzzing: a later keepalive= does not keep earlier times,
        // and keepalive=1 is one second (not "on") both ways.
        let mut one = SocketOptions::default();
        assert_eq!(one.parse_key("keepalive", "01"), Ok(true));
        assert_eq!(one.keepalive_idle, Some(1));
        assert_eq!(one.spec_keys(), ["keepalive=1"]);
        let mut on = SocketOptions::default();
        assert_eq!(on.parse_key("keepalive", "on"), Ok(true));
        assert_eq!(on.spec_keys(), ["keepalive=on"]);
        assert_eq!(o.parse_key("keepalive", "0"), Ok(true));
        assert_eq!((o.keepalive, o.keepalive_idle), (Some(false), None));
        assert_eq!(
            o.spec_keys()
                .iter()
                .filter(|k| k.starts_with("keep"))
                .count(),
            1
        );
        for (k, v) in [
            ("nodelay", "yes please"),
            ("ttl", "0"),
            ("ttl", "300"),
            ("keepalive", "0/5"),
            ("rcvbuf", "-1"),
            ("linger", "forever"),
        ] {
            assert!(o.parse_key(k, v).is_err(), "{k}={v}");
        }
    }
}
