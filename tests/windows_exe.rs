//! What Windows shows of `netpal.exe` before it runs: it is a GUI program
//! (no console window opens behind it), and it carries NetPal's icon and
//! version information (Explorer, the taskbar and the file's properties
//! show them) and a manifest. Read from the exe the tests run.
#![cfg(windows)]

fn exe() -> Vec<u8> {
    std::fs::read(env!("CARGO_BIN_EXE_netpal")).expect("read netpal.exe")
}

fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

#[test]
fn the_exe_is_a_windows_subsystem_program() {
    let data = exe();
    let pe = u32::from_le_bytes(data[0x3C..0x40].try_into().unwrap()) as usize;
    assert_eq!(&data[pe..pe + 4], b"PE\0\0");
    // The optional header's Subsystem: 2 is the Windows GUI, 3 the console.
    let at = pe + 24 + 68;
    let subsystem = u16::from_le_bytes([data[at], data[at + 1]]);
    assert_eq!(subsystem, 2, "netpal.exe would open a console window");
}

#[test]
fn the_exe_carries_the_icon_and_version_information() {
    let data = exe();
    // The version resource's strings are UTF-16.
    for s in [
        "ProductName",
        "NetPal",
        "FileDescription",
        "NetPal network debugging assistant",
        "ProductVersion",
        env!("CARGO_PKG_VERSION"),
    ] {
        assert!(
            contains(&data, &utf16(s)),
            "no {s:?} in the version information"
        );
    }
    // The manifest: Windows 10 behaviour and sharp text at every scale.
    assert!(contains(&data, b"<dpiAwareness xmlns=\"http://schemas.microsoft.com/SMI/2016/WindowsSettings\">PerMonitorV2</dpiAwareness>"));
    // Every image of assets/netpal.ico is in the exe's resources as it is
    // in the file (the icon directory gives each one's size and offset).
    let ico = include_bytes!("../assets/netpal.ico");
    let count = u16::from_le_bytes([ico[4], ico[5]]) as usize;
    assert!(count >= 4, "the icon should hold several sizes");
    for i in 0..count {
        let entry = &ico[6 + 16 * i..6 + 16 * (i + 1)];
        let len = u32::from_le_bytes(entry[8..12].try_into().unwrap()) as usize;
        let off = u32::from_le_bytes(entry[12..16].try_into().unwrap()) as usize;
        assert!(
            contains(&data, &ico[off..off + len]),
            "icon image {i} ({}x{}) is not in the exe",
            entry[0],
            entry[1]
        );
    }
}
