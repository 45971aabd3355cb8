//! The window icon: `assets/netpal.png` (rendered from `assets/netpal.svg`),
//! built into the binary.

/// NetPal's icon for the window and task bar. If it cannot be decoded, the
/// result is empty, which eframe takes as "no icon": a bad icon never stops
/// the app from starting.
pub fn window_icon() -> egui::IconData {
    decode(include_bytes!("../assets/netpal.png"))
}

fn decode(png: &[u8]) -> egui::IconData {
    eframe::icon_data::from_png_bytes(png).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_icon_decodes() {
        let icon = window_icon();
        assert_eq!((icon.width, icon.height), (256, 256));
        assert_eq!(icon.rgba.len(), 256 * 256 * 4);
    }

    #[test]
    fn a_bad_icon_is_no_icon() {
        assert!(decode(b"not a png").is_empty());
        assert!(decode(&include_bytes!("../assets/netpal.png")[..100]).is_empty());
    }
}
