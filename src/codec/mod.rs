//! Pure functions: hex, text encodings, display formatting. No I/O, no UI.

pub mod hex;
pub mod text;

pub use hex::{HexError, format_hex, parse_hex, push_hex};
pub use text::{ENCODINGS, EncodeError, decode_for_display, encode_text, encoding_by_name};
