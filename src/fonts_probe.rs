//! Whether the system's fonts can be used as a fallback for glyphs the
//! bundled fonts lack.
//!
//! egui's system-font fallback enumerates fonts on a thread of its own the
//! first time a glyph is missing; on Linux, when fontconfig knows no font
//! at all, that enumeration panics and the window goes down with it. A peer
//! sending 網絡調試 must never end NetPal, so the same enumeration is
//! tried here first, where its failure is caught, and the fallback is only
//! switched on when it works (missing glyphs are then drawn as boxes).

/// True when the system-font fallback is safe to switch on.
#[cfg(target_os = "linux")]
pub fn system_fonts_usable() -> bool {
    // Runs before any other thread: the silent hook only hides the
    // probe's own panic message.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let ok = std::panic::catch_unwind(|| {
        let _ = fontique::Collection::new(fontique::CollectionOptions {
            shared: false,
            system_fonts: true,
        });
    })
    .is_ok();
    std::panic::set_hook(hook);
    ok
}

/// Elsewhere the system's font APIs always answer.
#[cfg(not(target_os = "linux"))]
pub fn system_fonts_usable() -> bool {
    true
}
