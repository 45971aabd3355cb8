//! What the network answered to a UDP send (Linux): with IP_RECVERR on, an
//! ICMP error such as "port unreachable" is queued on the socket with the
//! address the datagram was sent to, so the user learns which send failed
//! and why. Elsewhere such answers are not reported for unconnected sockets.

use super::{NetError, Op};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

/// Asks the system to queue the network's answers to what `sock` sends.
pub(super) fn enable(sock: &impl AsRawFd, v6: bool) {
    let on: libc::c_int = 1;
    let (level, name) = if v6 {
        (libc::IPPROTO_IPV6, libc::IPV6_RECVERR)
    } else {
        (libc::IPPROTO_IP, libc::IP_RECVERR)
    };
    // SAFETY: a valid descriptor, and a c_int option of the right size.
    unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            level,
            name,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

/// The destination a queued error is about, from the message's address.
fn destination(name: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match name.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let a = unsafe { &*(name as *const _ as *const libc::sockaddr_in) };
            Some(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let a = unsafe { &*(name as *const _ as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(a.sin6_port),
                0,
                a.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// Takes the queued answers off `sock`: each as an error naming the
/// destination of the send it answers (at most `max`, so a flood of them
/// cannot hold the loop).
pub(super) fn drain(sock: &impl AsRawFd, max: usize) -> Vec<NetError> {
    let mut out = Vec::new();
    for _ in 0..max {
        let mut data = [0u8; 64];
        let mut control = [0u8; 512];
        // SAFETY: zeroed storage is a valid (empty) sockaddr_storage.
        let mut name: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut iov = libc::iovec {
            iov_base: data.as_mut_ptr().cast(),
            iov_len: data.len(),
        };
        // SAFETY: zeroed is a valid msghdr; its buffers are set below and
        // outlive the call.
        let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
        msg.msg_name = (&mut name as *mut libc::sockaddr_storage).cast();
        msg.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        msg.msg_iov = &mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = control.len() as _;
        // SAFETY: a valid descriptor and a msghdr whose buffers are live.
        let n = unsafe {
            libc::recvmsg(
                sock.as_raw_fd(),
                &mut msg,
                libc::MSG_ERRQUEUE | libc::MSG_DONTWAIT,
            )
        };
        if n < 0 {
            break;
        }
        let mut errno = 0;
        // SAFETY: walking the control messages the call filled in, with the
        // macros that bound each by the buffer's length.
        unsafe {
            let mut c = libc::CMSG_FIRSTHDR(&msg);
            while !c.is_null() {
                let level = (*c).cmsg_level;
                let ty = (*c).cmsg_type;
                if (level == libc::IPPROTO_IP && ty == libc::IP_RECVERR)
                    || (level == libc::IPPROTO_IPV6 && ty == libc::IPV6_RECVERR)
                {
                    let ee = libc::CMSG_DATA(c) as *const libc::sock_extended_err;
                    errno = std::ptr::read_unaligned(ee).ee_errno as i32;
                }
                c = libc::CMSG_NXTHDR(&msg, c);
            }
        }
        if errno == 0 {
            continue;
        }
        let e = std::io::Error::from_raw_os_error(errno);
        let op = match destination(&name) {
            Some(to) => Op::Send(super::conn::canonical(to)),
            None => Op::SendNowhere,
        };
        out.push(NetError::from_io(&e, op));
    }
    out
}
