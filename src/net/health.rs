//! How a TCP connection is doing, as the system's TCP stack sees it:
//! round-trip time, retransmissions, the congestion window, bytes in flight,
//! the peer's receive window and the socket's queues. Linux answers
//! `TCP_INFO` (and the queue ioctls), Windows `SIO_TCP_INFO`; elsewhere,
//! or where the system refuses (Wine), there is nothing to show.

use socket2::SockRef;

/// One reading; a figure the system did not give is None.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TcpHealth {
    /// Smoothed round-trip time, microseconds.
    pub rtt_us: u32,
    /// Its variation (Linux).
    pub rtt_var_us: Option<u32>,
    /// Segments retransmitted in all (Linux).
    pub retrans: Option<u32>,
    /// Bytes retransmitted in all.
    pub retrans_bytes: Option<u64>,
    /// The congestion window, bytes.
    pub cwnd: Option<u32>,
    /// Bytes sent and not yet acknowledged.
    pub in_flight: Option<u32>,
    /// The peer's receive window, bytes (0: the peer reads nothing).
    pub peer_window: Option<u32>,
    /// Bytes written by NetPal that the system has not yet sent.
    pub unsent: Option<u32>,
    /// Bytes received that NetPal has not yet read.
    pub unread: Option<u32>,
}

/// Whether this system reports a connection's health at all (a system
/// that does may still refuse, as Wine does).
pub const SUPPORTED: bool = cfg!(any(target_os = "linux", windows));

/// Reads a connection's health, or None where the system will not say.
pub fn read(sock: SockRef<'_>) -> Option<TcpHealth> {
    imp::read(sock)
}

#[cfg(target_os = "linux")]
mod imp {
    use super::TcpHealth;
    use socket2::SockRef;
    use std::os::fd::AsRawFd;

    /// The kernel's `struct tcp_info` (include/uapi/linux/tcp.h) up to the
    /// peer's window; an older kernel fills less, and says how much.
    #[repr(C)]
    #[derive(Default)]
    struct TcpInfo {
        state: u8,
        ca_state: u8,
        retransmits: u8,
        probes: u8,
        backoff: u8,
        options: u8,
        wscale: u8,
        delivery_flags: u8,
        rto: u32,
        ato: u32,
        snd_mss: u32,
        rcv_mss: u32,
        unacked: u32,
        sacked: u32,
        lost: u32,
        retrans: u32,
        fackets: u32,
        last_data_sent: u32,
        last_ack_sent: u32,
        last_data_recv: u32,
        last_ack_recv: u32,
        pmtu: u32,
        rcv_ssthresh: u32,
        rtt: u32,
        rttvar: u32,
        snd_ssthresh: u32,
        snd_cwnd: u32,
        advmss: u32,
        reordering: u32,
        rcv_rtt: u32,
        rcv_space: u32,
        total_retrans: u32,
        pacing_rate: u64,
        max_pacing_rate: u64,
        bytes_acked: u64,
        bytes_received: u64,
        segs_out: u32,
        segs_in: u32,
        notsent_bytes: u32,
        min_rtt: u32,
        data_segs_in: u32,
        data_segs_out: u32,
        delivery_rate: u64,
        busy_time: u64,
        rwnd_limited: u64,
        sndbuf_limited: u64,
        delivered: u32,
        delivered_ce: u32,
        bytes_sent: u64,
        bytes_retrans: u64,
        dsack_dups: u32,
        reord_seen: u32,
        rcv_ooopack: u32,
        snd_wnd: u32,
    }

    /// Whether the kernel filled the struct as far as the field that ends
    /// at `end` bytes.
    fn has(len: usize, end: usize) -> bool {
        len >= end
    }

    pub fn read(sock: SockRef<'_>) -> Option<TcpHealth> {
        let fd = sock.as_raw_fd();
        let mut info = TcpInfo::default();
        let mut len = std::mem::size_of::<TcpInfo>() as libc::socklen_t;
        // SAFETY: the buffer is a plain struct of `len` bytes that the
        // kernel fills (at most `len`); the descriptor is the caller's.
        let r = unsafe {
            libc::getsockopt(
                fd,
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut TcpInfo).cast(),
                &mut len,
            )
        };
        if r != 0 {
            return None;
        }
        let len = len as usize;
        let end = |off: usize, size: usize| has(len, off + size);
        let outq = queue(fd, libc::TIOCOUTQ);
        let notsent =
            end(std::mem::offset_of!(TcpInfo, notsent_bytes), 4).then_some(info.notsent_bytes);
        Some(TcpHealth {
            rtt_us: info.rtt,
            rtt_var_us: Some(info.rttvar),
            retrans: Some(info.total_retrans),
            retrans_bytes: end(std::mem::offset_of!(TcpInfo, bytes_retrans), 8)
                .then_some(info.bytes_retrans),
            cwnd: Some(info.snd_cwnd.saturating_mul(info.snd_mss)),
            in_flight: match (outq, notsent) {
                (Some(q), Some(n)) => Some(q.saturating_sub(n)),
                _ => None,
            },
            peer_window: end(std::mem::offset_of!(TcpInfo, snd_wnd), 4).then_some(info.snd_wnd),
            unsent: notsent,
            unread: queue(fd, libc::FIONREAD),
        })
    }

    /// A queue's length in bytes (TIOCOUTQ: the send buffer; FIONREAD: the
    /// receive buffer).
    fn queue(fd: i32, request: libc::c_ulong) -> Option<u32> {
        let mut n: libc::c_int = 0;
        // SAFETY: the ioctl writes one int through the pointer given.
        let r = unsafe { libc::ioctl(fd, request, &mut n as *mut libc::c_int) };
        (r == 0 && n >= 0).then_some(n as u32)
    }
}

#[cfg(windows)]
mod imp {
    use super::TcpHealth;
    use socket2::SockRef;
    use std::os::windows::io::AsRawSocket;
    use windows_sys::Win32::Networking::WinSock::{
        FIONREAD, SIO_TCP_INFO, TCP_INFO_v0, WSAIoctl, ioctlsocket,
    };

    pub fn read(sock: SockRef<'_>) -> Option<TcpHealth> {
        let s = sock.as_raw_socket() as usize;
        let version: u32 = 0;
        // SAFETY: a plain struct with no invalid bit patterns for integers;
        // its bool field is written by the system before it is read.
        let mut info: TCP_INFO_v0 = unsafe { std::mem::zeroed() };
        let mut returned = 0u32;
        // SAFETY: the input is the 4-byte version, the output the struct of
        // the size given; no overlapped I/O.
        let r = unsafe {
            WSAIoctl(
                s,
                SIO_TCP_INFO,
                (&version as *const u32).cast(),
                std::mem::size_of::<u32>() as u32,
                (&mut info as *mut TCP_INFO_v0).cast(),
                std::mem::size_of::<TCP_INFO_v0>() as u32,
                &mut returned,
                std::ptr::null_mut(),
                None,
            )
        };
        if r != 0 || (returned as usize) < std::mem::size_of::<TCP_INFO_v0>() {
            return None;
        }
        let mut unread: u32 = 0;
        // SAFETY: FIONREAD writes one u32 through the pointer given.
        let q = unsafe { ioctlsocket(s, FIONREAD, &mut unread) };
        Some(TcpHealth {
            rtt_us: info.RttUs,
            rtt_var_us: None,
            retrans: None,
            retrans_bytes: Some(u64::from(info.BytesRetrans)),
            cwnd: Some(info.Cwnd),
            in_flight: Some(info.BytesInFlight),
            peer_window: Some(info.SndWnd),
            unsent: None,
            unread: (q == 0).then_some(unread),
        })
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
mod imp {
    use super::TcpHealth;
    use socket2::SockRef;

    pub fn read(_sock: SockRef<'_>) -> Option<TcpHealth> {
        None
    }
}
