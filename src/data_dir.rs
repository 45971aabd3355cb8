//! Where NetPal keeps the saved workspace (sessions, quick commands,
//! language, the window's size and place).
//!
//! By default that is the system's place for an application's data:
//! `%APPDATA%\netpal\data\app.ron` on Windows, `~/.local/share/netpal/app.ron`
//! on Linux (chosen by eframe). NetPal runs *portable*, as NetAssist does,
//! when a file named `portable` or a folder named `netpal-data` sits beside
//! its executable: the workspace is then kept in that folder, so a USB stick
//! or a shared folder carries NetPal with its sessions and quick commands.

use std::path::{Path, PathBuf};

/// The file beside the executable that asks for portable mode.
pub const PORTABLE_MARKER: &str = "portable";
/// The folder beside the executable that holds a portable workspace.
pub const PORTABLE_DIR: &str = "netpal-data";
/// The workspace file's name inside [`PORTABLE_DIR`].
pub const WORKSPACE_FILE: &str = "app.ron";

/// The workspace file of a NetPal whose executable is in `exe_dir`, when it
/// runs portable; `None` when the system's place is used.
pub fn portable_file(exe_dir: &Path) -> Option<PathBuf> {
    let data = exe_dir.join(PORTABLE_DIR);
    let portable = exe_dir.join(PORTABLE_MARKER).is_file() || data.is_dir();
    portable.then(|| data.join(WORKSPACE_FILE))
}

/// The workspace file of this NetPal when it runs portable (see
/// [`portable_file`]); `None` when the system's place is used.
pub fn workspace_file() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    portable_file(exe.parent()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("netpal-data-dir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_system_place_unless_asked_for_portable() {
        let dir = scratch("plain");
        assert_eq!(portable_file(&dir), None);
        // A folder of another name, or `portable` as a folder, is not a request.
        std::fs::create_dir(dir.join("data")).unwrap();
        std::fs::create_dir(dir.join("portable")).unwrap();
        assert_eq!(portable_file(&dir), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_portable_file_or_a_data_folder_keeps_the_workspace_beside_the_exe() {
        let dir = scratch("marker");
        std::fs::write(dir.join("portable"), b"").unwrap();
        assert_eq!(
            portable_file(&dir),
            Some(dir.join("netpal-data").join("app.ron"))
        );
        std::fs::remove_dir_all(&dir).unwrap();

        let dir = scratch("folder");
        std::fs::create_dir(dir.join("netpal-data")).unwrap();
        assert_eq!(
            portable_file(&dir),
            Some(dir.join("netpal-data").join("app.ron"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
