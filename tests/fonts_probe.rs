//! A machine whose fontconfig knows no font: the system-font fallback,
//! which would panic there on the first missing glyph, is switched off.
#![cfg(target_os = "linux")]

use std::process::Command;

/// Not a test of its own: the entry point the test below runs in a child
/// process, with the environment that process needs.
#[test]
fn probe_in_child_process() {
    if std::env::var_os("NETPAL_PROBE_CHILD").is_none() {
        return;
    }
    println!("usable={}", netpal::fonts_probe::system_fonts_usable());
}

/// Whether the fontconfig library is installed (without it, egui has no
/// system fonts to fall back on and nothing can panic).
fn fontconfig_installed() -> bool {
    let dirs = [
        "/usr/lib",
        "/usr/lib64",
        "/lib",
        "/lib64",
        "/usr/lib/x86_64-linux-gnu",
        "/usr/lib/aarch64-linux-gnu",
        "/lib/x86_64-linux-gnu",
    ];
    dirs.iter()
        .any(|d| std::path::Path::new(d).join("libfontconfig.so.1").exists())
}

#[test]
fn no_fonts_at_all_turns_the_system_font_fallback_off() {
    if !fontconfig_installed() {
        println!("skipped: libfontconfig.so.1 is not installed here");
        return;
    }
    let dir = std::env::temp_dir().join(format!("netpal-fonts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("empty-fonts.conf");
    std::fs::write(
        &conf,
        "<?xml version=\"1.0\"?>\n<!DOCTYPE fontconfig SYSTEM \"fonts.dtd\">\n<fontconfig></fontconfig>\n",
    )
    .unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "probe_in_child_process",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env("NETPAL_PROBE_CHILD", "1")
        .env("FONTCONFIG_FILE", &conf)
        .env("HOME", &dir)
        .env("XDG_CACHE_HOME", &dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("usable=false"), "{stdout}");
}
