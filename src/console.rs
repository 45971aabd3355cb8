//! The terminal a Windows NetPal prints to.
//!
//! On Windows `netpal.exe` is a GUI program (the Windows subsystem), so
//! starting it from Explorer opens no console window behind it. When it is
//! started from a terminal for `--headless`, `--help`, `--version`, or with
//! an argument it cannot take, [`attach`] joins the console of the terminal
//! that started it, so what it prints appears there and Ctrl+C in that
//! terminal reaches it. Standard handles the parent redirected (a pipe or a
//! file) are kept as they are. Elsewhere a program always has its terminal,
//! and [`attach`] does nothing.

/// Joins the parent's console, when there is one (see the module notes).
#[cfg(windows)]
pub fn attach() {
    use windows_sys::Win32::Foundation::{GENERIC_READ, GENERIC_WRITE, INVALID_HANDLE_VALUE};
    use windows_sys::Win32::Storage::FileSystem::{
        CreateFileW, FILE_SHARE_READ, FILE_SHARE_WRITE, OPEN_EXISTING,
    };
    use windows_sys::Win32::System::Console::{
        ATTACH_PARENT_PROCESS, AttachConsole, GetStdHandle, STD_ERROR_HANDLE, STD_HANDLE,
        STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, SetStdHandle,
    };

    // SAFETY: plain Win32 calls with constant arguments; a failure leaves
    // the process as it was (printing then goes nowhere, as before).
    unsafe {
        if AttachConsole(ATTACH_PARENT_PROCESS) == 0 {
            // Started from Explorer (no console), or already on one.
            return;
        }
        let handles: [(STD_HANDLE, &str); 3] = [
            (STD_INPUT_HANDLE, "CONIN$"),
            (STD_OUTPUT_HANDLE, "CONOUT$"),
            (STD_ERROR_HANDLE, "CONOUT$"),
        ];
        for (which, device) in handles {
            let h = GetStdHandle(which);
            if !h.is_null() && h != INVALID_HANDLE_VALUE {
                // Redirected by the parent, or already the console's.
                continue;
            }
            let name: Vec<u16> = device.encode_utf16().chain(Some(0)).collect();
            let console = CreateFileW(
                name.as_ptr(),
                GENERIC_READ | GENERIC_WRITE,
                FILE_SHARE_READ | FILE_SHARE_WRITE,
                std::ptr::null(),
                OPEN_EXISTING,
                0,
                std::ptr::null_mut(),
            );
            if console != INVALID_HANDLE_VALUE {
                SetStdHandle(which, console);
            }
        }
    }
}

/// Joins the parent's console, when there is one (see the module notes).
#[cfg(not(windows))]
pub fn attach() {}
