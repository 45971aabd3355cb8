//! The machine's ports: every TCP and UDP socket (IPv4 and IPv6) with the
//! processes that hold it, read from the system's own tables (netlink
//! INET_DIAG on Linux, iphlpapi on Windows, through `netstat2`), never by
//! running `ss` or `netstat`. Process names come from `/proc` on Linux and
//! a ToolHelp snapshot on Windows.
//!
//! [`PortWatch`] reads the tables on a thread of its own about once a
//! second while someone looks, and not at all while nobody does.

use netstat2::{AddressFamilyFlags, ProtocolFlags, ProtocolSocketInfo, TcpState};
use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// TCP or UDP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PortProto {
    Tcp,
    Udp,
}

impl PortProto {
    pub fn name(self) -> &'static str {
        match self {
            PortProto::Tcp => "TCP",
            PortProto::Udp => "UDP",
        }
    }
}

/// One socket of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortSocket {
    pub proto: PortProto,
    pub local: SocketAddr,
    /// The peer of a connected TCP socket (none while listening, or UDP).
    pub remote: Option<SocketAddr>,
    /// A TCP socket's state as netstat names it (`LISTEN`, `ESTABLISHED`).
    pub state: Option<&'static str>,
    /// The processes holding it, with their names where the system says.
    pub holders: Vec<Holder>,
    /// The owner's user id where the system gives it (Linux): a socket of
    /// another user's process shows no process to an unprivileged reader.
    pub uid: Option<u32>,
}

/// A process holding a socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub name: Option<String>,
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} (PID {})", self.pid),
            None => write!(f, "PID {}", self.pid),
        }
    }
}

impl PortSocket {
    /// What identifies the socket from one reading to the next.
    pub fn key(&self) -> (PortProto, SocketAddr, Option<SocketAddr>) {
        (self.proto, self.local, self.remote)
    }

    /// Whether this process (NetPal itself) holds it.
    pub fn is_ours(&self) -> bool {
        let me = std::process::id();
        self.holders.iter().any(|h| h.pid == me)
    }

    /// Whether a listening TCP socket.
    pub fn is_listening(&self) -> bool {
        self.state == Some("LISTEN")
    }

    /// Whether it matches a filter: a number is a port (local or remote)
    /// or a PID; other text is looked for in the addresses, the state, the
    /// protocol, the PIDs and the process names (case does not matter).
    pub fn matches(&self, filter: &str) -> bool {
        let f = filter.trim();
        if f.is_empty() {
            return true;
        }
        if let Ok(n) = f.parse::<u32>() {
            let port = |a: SocketAddr| u32::from(a.port()) == n;
            return port(self.local)
                || self.remote.is_some_and(port)
                || self.holders.iter().any(|h| h.pid == n);
        }
        let f = f.to_lowercase();
        let mut text = format!("{} {}", self.proto.name(), self.local);
        if let Some(r) = self.remote {
            text.push_str(&format!(" {r}"));
        }
        if let Some(s) = self.state {
            text.push(' ');
            text.push_str(s);
        }
        for h in &self.holders {
            text.push_str(&format!(" {h}"));
        }
        text.to_lowercase().contains(&f)
    }
}

/// This process's effective user id, where sockets carry one (Linux).
pub fn own_uid() -> Option<u32> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: geteuid has no preconditions and cannot fail.
        Some(unsafe { libc::geteuid() })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// One reading of the tables.
#[derive(Debug, Clone)]
pub struct PortSnapshot {
    pub at: SystemTime,
    pub sockets: Vec<PortSocket>,
    /// How long the reading took.
    pub took: Duration,
    /// What could not be read (the rest was).
    pub error: Option<String>,
}

fn state_name(s: TcpState) -> &'static str {
    match s {
        TcpState::Closed => "CLOSED",
        TcpState::Listen => "LISTEN",
        TcpState::SynSent => "SYN_SENT",
        TcpState::SynReceived => "SYN_RCVD",
        TcpState::Established => "ESTABLISHED",
        TcpState::FinWait1 => "FIN_WAIT_1",
        TcpState::FinWait2 => "FIN_WAIT_2",
        TcpState::CloseWait => "CLOSE_WAIT",
        TcpState::Closing => "CLOSING",
        TcpState::LastAck => "LAST_ACK",
        TcpState::TimeWait => "TIME_WAIT",
        TcpState::DeleteTcb => "DELETE_TCB",
        TcpState::Unknown => "UNKNOWN",
    }
}

/// An address as a user reads it: an IPv4-mapped IPv6 one as IPv4.
fn plain(ip: IpAddr, port: u16) -> SocketAddr {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    };
    SocketAddr::new(ip, port)
}

/// Reads every TCP and UDP socket of the machine, with its holders.
pub fn read_sockets() -> PortSnapshot {
    PortReader::default().read()
}

/// Reads the tables again and again, keeping who holds which socket and
/// the processes' names from one reading to the next: the processes are
/// looked through again only when a socket (or PID) not seen before
/// appears, so a machine where nothing changes costs one table dump.
#[derive(Default)]
pub struct PortReader {
    /// Linux: each socket inode to its processes (empty: none in sight).
    owners: HashMap<u32, Vec<u32>>,
    names: HashMap<u32, String>,
    /// PIDs the last look through the processes found no name for.
    nameless: std::collections::HashSet<u32>,
    looked: bool,
}

impl PortReader {
    pub fn read(&mut self) -> PortSnapshot {
        let start = Instant::now();
        let mut infos = Vec::new();
        let mut errors = Vec::new();
        let families = AddressFamilyFlags::IPV4 | AddressFamilyFlags::IPV6;
        // Each protocol on its own: one the system will not list (a kernel
        // without UDP diagnostics) leaves the other.
        for (proto, flags) in [
            (PortProto::Tcp, ProtocolFlags::TCP),
            (PortProto::Udp, ProtocolFlags::UDP),
        ] {
            match processes::iterate(families, flags) {
                Ok(iter) => {
                    for item in iter {
                        match item {
                            Ok(si) => infos.push((proto, si)),
                            Err(e) => {
                                errors.push(format!("{}: {e}", proto.name()));
                                break;
                            }
                        }
                    }
                }
                Err(e) => errors.push(format!("{}: {e}", proto.name())),
            }
        }
        let unknown = infos.iter().any(|(_, si)| {
            processes::inode_of(si).is_some_and(|i| !self.owners.contains_key(&i))
                || processes::listed_pids(si)
                    .iter()
                    .any(|p| !self.names.contains_key(p) && !self.nameless.contains(p))
        });
        if unknown || !self.looked {
            (self.owners, self.names) = processes::look();
            self.looked = true;
            self.nameless.clear();
            for (_, si) in &infos {
                // Still nobody's after a fresh look: so it stays.
                if let Some(i) = processes::inode_of(si) {
                    self.owners.entry(i).or_default();
                }
                for p in processes::listed_pids(si) {
                    if !self.names.contains_key(&p) {
                        self.nameless.insert(p);
                    }
                }
            }
        }
        // What closed is forgotten.
        let present: std::collections::HashSet<u32> = infos
            .iter()
            .filter_map(|(_, si)| processes::inode_of(si))
            .collect();
        self.owners.retain(|i, _| present.contains(i));
        let sockets = infos
            .into_iter()
            .map(|(proto, si)| self.socket(proto, si))
            .collect();
        PortSnapshot {
            at: SystemTime::now(),
            sockets,
            took: start.elapsed(),
            error: (!errors.is_empty()).then(|| errors.join("; ")),
        }
    }

    fn socket(&self, proto: PortProto, si: netstat2::SocketInfo) -> PortSocket {
        let holders = processes::pids_of(&si, &self.owners)
            .into_iter()
            .map(|pid| Holder {
                pid,
                name: self.names.get(&pid).cloned(),
            })
            .collect();
        let uid = processes::uid_of(&si);
        match si.protocol_socket_info {
            ProtocolSocketInfo::Tcp(t) => {
                let remote = (t.remote_port != 0 || !t.remote_addr.is_unspecified())
                    .then(|| plain(t.remote_addr, t.remote_port));
                PortSocket {
                    proto,
                    local: plain(t.local_addr, t.local_port),
                    remote,
                    state: Some(state_name(t.state)),
                    holders,
                    uid,
                }
            }
            ProtocolSocketInfo::Udp(u) => PortSocket {
                proto,
                local: plain(u.local_addr, u.local_port),
                remote: None,
                state: None,
                holders,
                uid,
            },
        }
    }
}

/// Who holds `port` (TCP or UDP) on this machine, best first: a listener,
/// then any socket bound to it. None when nobody does (as far as the
/// tables say).
pub fn holders_of(proto: PortProto, port: u16) -> Option<PortSocket> {
    let snap = read_sockets();
    let mut found: Vec<PortSocket> = snap
        .sockets
        .into_iter()
        .filter(|s| s.proto == proto && s.local.port() == port)
        .collect();
    found.sort_by_key(|s| (!s.is_listening(), s.remote.is_some(), s.holders.is_empty()));
    found.into_iter().next()
}

/// A port-in-use error that names who holds the port, as the system's
/// tables say (any other error is returned as it is).
pub fn name_holder(e: super::NetError) -> super::NetError {
    use super::{Detail, NetErrorKind, Op};
    if e.kind != NetErrorKind::AddrInUse {
        return e;
    }
    let (proto, port) = match &e.op {
        Op::Listen(a) => (PortProto::Tcp, a.port()),
        Op::BindUdp(a) => (PortProto::Udp, a.port()),
        _ => return e,
    };
    let Some(s) = (port != 0).then(|| holders_of(proto, port)).flatten() else {
        return e;
    };
    let listening = s.is_listening();
    let detail = if s.holders.is_empty() {
        Detail::HeldByHidden {
            port,
            local: s.local,
            listening,
            uid: s.uid,
        }
    } else {
        Detail::HeldBy {
            port,
            holders: s.holders.into_iter().map(|h| (h.pid, h.name)).collect(),
            local: s.local,
            listening,
        }
    };
    super::NetError { detail, ..e }
}

/// The range the system picks ephemeral (client) ports from, and where
/// the figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EphemeralRange {
    pub low: u16,
    pub high: u16,
    /// The system said so (Linux); otherwise it is the system's default.
    pub read: bool,
}

impl EphemeralRange {
    pub fn contains(&self, port: u16) -> bool {
        (self.low..=self.high).contains(&port)
    }
}

/// The ephemeral port range: Linux reads it from
/// `/proc/sys/net/ipv4/ip_local_port_range`; Windows has no call that
/// reports it (only `netsh int ipv4 show dynamicport tcp`, which NetPal
/// does not run), so its documented default, 49152 to 65535, is given.
pub fn ephemeral_range() -> Option<EphemeralRange> {
    #[cfg(target_os = "linux")]
    {
        let text = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").ok()?;
        parse_range(&text)
    }
    #[cfg(windows)]
    {
        Some(EphemeralRange {
            low: 49152,
            high: 65535,
            read: false,
        })
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        None
    }
}

/// `32768\t60999\n` as the kernel writes it.
pub fn parse_range(text: &str) -> Option<EphemeralRange> {
    let mut it = text.split_whitespace().map(|t| t.parse::<u16>());
    let (Some(Ok(low)), Some(Ok(high))) = (it.next(), it.next()) else {
        return None;
    };
    (low <= high).then_some(EphemeralRange {
        low,
        high,
        read: true,
    })
}

/// Reads the tables again and again, each reading a message, while
/// [`PortWatch::set_shown`] says someone looks; sleeps otherwise.
pub struct PortWatch {
    rx: crossbeam_channel::Receiver<PortSnapshot>,
    shown: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// How often a shown pane is read again (less often where one reading
/// takes more than a hundredth of that, down to [`REFRESH_SLOWEST`]).
pub const REFRESH: Duration = Duration::from_secs(1);
/// The longest a shown pane waits for its next reading.
pub const REFRESH_SLOWEST: Duration = Duration::from_secs(4);

impl PortWatch {
    /// Starts the thread (reading at once); `wake` is called after each
    /// reading so a window repaints.
    pub fn start(wake: Arc<dyn Fn() + Send + Sync>) -> std::io::Result<PortWatch> {
        let (tx, rx) = crossbeam_channel::bounded(2);
        let shown = Arc::new(AtomicBool::new(true));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (shown.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("netpal-ports".into())
            .spawn(move || {
                let mut last: Option<(Vec<PortSocket>, Option<String>)> = None;
                let mut reader = PortReader::default();
                while !st.load(Ordering::Relaxed) {
                    if !s.load(Ordering::Relaxed) {
                        // Nobody looks: no reading until someone does.
                        std::thread::park();
                        continue;
                    }
                    let began = Instant::now();
                    let mut snap = reader.read();
                    snap.sockets.sort_by_key(PortSocket::key);
                    // Only news is sent: a machine where nothing changes
                    // costs the window no frame.
                    let same = last
                        .as_ref()
                        .is_some_and(|(l, e)| *l == snap.sockets && *e == snap.error);
                    if !same {
                        let kept = (snap.sockets.clone(), snap.error.clone());
                        // A reader that is behind keeps its older reading.
                        if tx.try_send(snap).is_ok() {
                            last = Some(kept);
                            wake();
                        }
                    }
                    // About a hundredth of a core at most: on a machine
                    // with very many sockets, readings come less often,
                    // but at least every few seconds.
                    let wait = (began.elapsed() * 100).clamp(REFRESH, REFRESH_SLOWEST);
                    std::thread::park_timeout(wait);
                }
            })?;
        Ok(PortWatch {
            rx,
            shown,
            stop,
            thread: Some(thread),
        })
    }

    /// Whether the pane is on screen: readings go on only while it is.
    pub fn set_shown(&self, shown: bool) {
        let was = self.shown.swap(shown, Ordering::Relaxed);
        if shown
            && !was
            && let Some(t) = &self.thread
        {
            t.thread().unpark();
        }
    }

    /// The newest reading since the last call, if any.
    pub fn latest(&self) -> Option<PortSnapshot> {
        self.rx.try_iter().last()
    }
}

impl Drop for PortWatch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// The processes: who holds which socket, and their names.
#[cfg(target_os = "linux")]
mod processes {
    use netstat2::{AddressFamilyFlags, ProtocolFlags, SocketInfo};
    use std::collections::HashMap;

    pub type Iter = Box<dyn Iterator<Item = Result<SocketInfo, netstat2::error::Error>>>;

    /// The sockets, without PIDs: those come from one walk over `/proc`
    /// for both protocols ([`owners`]).
    pub fn iterate(
        families: AddressFamilyFlags,
        flags: ProtocolFlags,
    ) -> Result<Iter, netstat2::error::Error> {
        Ok(Box::new(netstat2::iterate_sockets_info_without_pids(
            families, flags,
        )?))
    }

    /// One walk over `/proc`: each socket inode to the processes that
    /// have it open, and each process's name (`/proc/PID/comm`); only the
    /// processes this user may look into.
    pub fn look() -> (HashMap<u32, Vec<u32>>, HashMap<u32, String>) {
        let mut owners: HashMap<u32, Vec<u32>> = HashMap::new();
        let mut names = HashMap::new();
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return (owners, names);
        };
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            if let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) {
                names.insert(pid, comm.trim_end().to_string());
            }
            let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
                continue;
            };
            for fd in fds.flatten() {
                let Ok(link) = std::fs::read_link(fd.path()) else {
                    continue;
                };
                let Some(inode) = link
                    .to_str()
                    .and_then(|l| l.strip_prefix("socket:["))
                    .and_then(|l| l.strip_suffix(']'))
                    .and_then(|l| l.parse::<u32>().ok())
                else {
                    continue;
                };
                let pids = owners.entry(inode).or_default();
                if !pids.contains(&pid) {
                    pids.push(pid);
                }
            }
        }
        (owners, names)
    }

    pub fn pids_of(si: &SocketInfo, owners: &HashMap<u32, Vec<u32>>) -> Vec<u32> {
        owners.get(&si.inode).cloned().unwrap_or_default()
    }

    /// The socket's inode; none for one no process can hold (0: a
    /// connection closing, or one waiting to be accepted).
    pub fn inode_of(si: &SocketInfo) -> Option<u32> {
        (si.inode != 0).then_some(si.inode)
    }

    /// The PIDs the table itself names (Linux's does not).
    pub fn listed_pids(_si: &SocketInfo) -> Vec<u32> {
        Vec::new()
    }

    pub fn uid_of(si: &SocketInfo) -> Option<u32> {
        Some(si.uid)
    }
}

/// The processes on Windows: the tables name each socket's PID; names
/// come from a ToolHelp snapshot of the processes.
#[cfg(not(target_os = "linux"))]
mod processes {
    use netstat2::{AddressFamilyFlags, ProtocolFlags, SocketInfo};
    use std::collections::HashMap;

    pub type Iter = Box<dyn Iterator<Item = Result<SocketInfo, netstat2::error::Error>>>;

    pub fn iterate(
        families: AddressFamilyFlags,
        flags: ProtocolFlags,
    ) -> Result<Iter, netstat2::error::Error> {
        Ok(Box::new(netstat2::iterate_sockets_info(families, flags)?))
    }

    /// No inodes to own here; the processes' names.
    pub fn look() -> (HashMap<u32, Vec<u32>>, HashMap<u32, String>) {
        (HashMap::new(), names())
    }

    pub fn pids_of(si: &SocketInfo, _owners: &HashMap<u32, Vec<u32>>) -> Vec<u32> {
        listed_pids(si)
    }

    /// The PIDs the table names; 0 is no process (the table's "not
    /// known", as under Wine).
    pub fn listed_pids(si: &SocketInfo) -> Vec<u32> {
        si.associated_pids
            .iter()
            .copied()
            .filter(|p| *p != 0)
            .collect()
    }

    /// Sockets carry no inode here.
    pub fn inode_of(_si: &SocketInfo) -> Option<u32> {
        None
    }

    pub fn uid_of(_si: &SocketInfo) -> Option<u32> {
        None
    }

    #[cfg(windows)]
    pub fn names() -> HashMap<u32, String> {
        use windows_sys::Win32::Foundation::{CloseHandle, INVALID_HANDLE_VALUE};
        use windows_sys::Win32::System::Diagnostics::ToolHelp::{
            CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW,
            TH32CS_SNAPPROCESS,
        };
        let mut map = HashMap::new();
        // SAFETY: a snapshot handle is checked before use and closed after;
        // the entry is a plain struct with its size set as the API asks.
        unsafe {
            let snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
            if snap == INVALID_HANDLE_VALUE || snap.is_null() {
                return map;
            }
            let mut e: PROCESSENTRY32W = std::mem::zeroed();
            e.dwSize = std::mem::size_of::<PROCESSENTRY32W>() as u32;
            let mut ok = Process32FirstW(snap, &mut e) != 0;
            while ok {
                let len = e
                    .szExeFile
                    .iter()
                    .position(|c| *c == 0)
                    .unwrap_or(e.szExeFile.len());
                let name = String::from_utf16_lossy(e.szExeFile.get(..len).unwrap_or_default());
                map.insert(e.th32ProcessID, name);
                ok = Process32NextW(snap, &mut e) != 0;
            }
            CloseHandle(snap);
        }
        map
    }

    #[cfg(not(windows))]
    pub fn names() -> HashMap<u32, String> {
        HashMap::new()
    }
}

/// Sockets by what identifies them (for finding what appeared or went).
pub fn by_key(
    sockets: &[PortSocket],
) -> HashMap<(PortProto, SocketAddr, Option<SocketAddr>), &PortSocket> {
    sockets.iter().map(|s| (s.key(), s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kernel_s_range_parses_and_bad_text_does_not() {
        assert_eq!(
            parse_range("32768\t60999\n"),
            Some(EphemeralRange {
                low: 32768,
                high: 60999,
                read: true
            })
        );
        assert_eq!(parse_range("60999 32768"), None);
        assert_eq!(parse_range("x"), None);
        assert_eq!(parse_range(""), None);
    }

    #[test]
    fn a_filter_takes_a_port_an_address_a_state_or_a_name() {
        let s = PortSocket {
            proto: PortProto::Tcp,
            local: "127.0.0.1:8080".parse().unwrap(),
            remote: Some("127.0.0.1:51000".parse().unwrap()),
            state: Some("ESTABLISHED"),
            holders: vec![Holder {
                pid: 4242,
                name: Some("python3".into()),
            }],
            uid: None,
        };
        assert!(s.matches("8080") && s.matches("51000") && s.matches("4242"));
        assert!(!s.matches("80"), "a number is a whole port");
        assert!(s.matches("127.0.0.1:8080") && s.matches("establ"));
        assert!(s.matches("PYTHON") && s.matches("tcp"));
        assert!(!s.matches("udp") && !s.matches("listen"));
        assert!(s.matches("  "));
    }
}
