//! Pure functions: hex, escapes, checksums, text encodings, display
//! formatting, building a payload. No I/O, no UI.

// Pure functions fed by peers and users: no indexing that can panic.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod checksum;
pub mod escape;
pub mod framing;
pub mod hex;
pub mod payload;
pub mod reply;
pub mod text;

pub use checksum::Checksum;
pub use escape::{EscapeError, check_escapes, encode_escaped};
pub use framing::{FrameBatch, FrameOut, Framer, Framing, Oversize};
pub use hex::{HexError, format_hex, hexdump_line, parse_hex, push_hex};
pub use payload::{LineEnd, PayloadError, SendFormat};
pub use reply::{CompiledRule, MatchKind, ReplyRule, RuleError};
pub use text::{ENCODINGS, EncodeError, decode_for_display, encode_text, encoding_by_name};
