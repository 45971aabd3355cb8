//! The Windows exe carries NetPal's icon and version information, so
//! Explorer, the taskbar and the file's properties name it. Elsewhere
//! there is nothing to do.

/// Windows 10 and 11 behaviour (not an older version's compatibility
/// mode), sharp text on every monitor's scale (per-monitor DPI awareness,
/// set before the first window, which winit would otherwise do at run
/// time), and paths longer than 260 characters where the system allows.
const MANIFEST: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<assembly xmlns="urn:schemas-microsoft-com:asm.v1" manifestVersion="1.0">
  <assemblyIdentity type="win32" name="NetPal" version="1.0.0.0"/>
  <compatibility xmlns="urn:schemas-microsoft-com:compatibility.v1">
    <application>
      <supportedOS Id="{8e0f7a12-bfb3-4fe8-b9a5-48fd50a15a9a}"/>
    </application>
  </compatibility>
  <application xmlns="urn:schemas-microsoft-com:asm.v3">
    <windowsSettings>
      <dpiAware xmlns="http://schemas.microsoft.com/SMI/2005/WindowsSettings">true/pm</dpiAware>
      <dpiAwareness xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">PerMonitorV2</dpiAwareness>
      <longPathAware xmlns="http://schemas.microsoft.com/SMI/2016/WindowsSettings">true</longPathAware>
    </windowsSettings>
  </application>
</assembly>
"#;

fn main() {
    println!("cargo:rerun-if-changed=assets/netpal.ico");
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
        return;
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let icon = std::path::Path::new(&dir).join("assets").join("netpal.ico");
    let mut res = winresource::WindowsResource::new();
    res.set_icon(&icon.to_string_lossy())
        .set("ProductName", "NetPal")
        .set("FileDescription", "NetPal network debugging assistant")
        .set("CompanyName", "The NetPal developers")
        .set("LegalCopyright", "MIT OR Apache-2.0")
        .set("OriginalFilename", "netpal.exe")
        .set("InternalName", "netpal")
        .set_manifest(MANIFEST);
    // A missing resource compiler is a build error with its reason: a
    // Windows exe without its icon is not what we ship.
    if let Err(e) = res.compile() {
        eprintln!(
            "cannot embed the icon and version information: {e}\n\
             (cross-building from Linux needs mingw's windres: apt-get install gcc-mingw-w64-x86-64)"
        );
        std::process::exit(1);
    }
}
