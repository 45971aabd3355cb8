//! A network namespace of the test's own, for what the loopback interface
//! cannot carry (IPv6 multicast, link-local addresses). Linux, as root.
#![allow(dead_code)]

/// Runs `f` on a thread of its own inside a new network namespace with a
/// pair of virtual Ethernet interfaces, np0 and np1, linked to each other
/// (the loopback interface carries no IPv6 multicast); None when this
/// process may not create one. A failure inside `f` fails the test.
#[cfg(target_os = "linux")]
pub fn in_new_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let run = std::thread::spawn(move || {
        // Only this thread (and the threads and programs it starts) move.
        if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
            return None;
        }
        let setup: [&[&str]; 4] = [
            &["link", "set", "lo", "up"],
            &["link", "add", "np0", "type", "veth", "peer", "name", "np1"],
            &["link", "set", "np0", "up"],
            &["link", "set", "np1", "up"],
        ];
        for args in setup {
            let ok = std::process::Command::new("ip")
                .args(args)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !ok {
                return None;
            }
        }
        Some(f())
    });
    match run.join() {
        Ok(r) => r,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

#[cfg(target_os = "linux")]
pub fn if_index(name: &str) -> u32 {
    let c = std::ffi::CString::new(name).unwrap();
    unsafe { libc::if_nametoindex(c.as_ptr()) }
}
