//! From what the user typed to the bytes that go out: hex or text (with
//! escapes if asked), then a checksum, then a line ending.
//!
//! The order is the one device protocols use: the checksum covers the
//! payload (from a start offset, so a header byte can be left out), and
//! the line ending comes last, outside the checksum.

use super::checksum::Checksum;
use super::escape::{EscapeError, EscapedError, encode_escaped};
use super::hex::{HexError, parse_hex};
use super::text::{EncodeError, encode_text};
use encoding_rs::Encoding;
use serde::{Deserialize, Serialize};

/// What is appended to every send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum LineEnd {
    #[default]
    None,
    Cr,
    Lf,
    CrLf,
}

impl LineEnd {
    pub const ALL: [LineEnd; 4] = [LineEnd::None, LineEnd::Cr, LineEnd::Lf, LineEnd::CrLf];

    pub fn bytes(self) -> &'static [u8] {
        match self {
            LineEnd::None => b"",
            LineEnd::Cr => b"\r",
            LineEnd::Lf => b"\n",
            LineEnd::CrLf => b"\r\n",
        }
    }

    /// The name on the command line (`--append crlf`) and in the window.
    pub fn name(self) -> &'static str {
        match self {
            LineEnd::None => "none",
            LineEnd::Cr => "cr",
            LineEnd::Lf => "lf",
            LineEnd::CrLf => "crlf",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LineEnd::None => "—",
            LineEnd::Cr => "\\r",
            LineEnd::Lf => "\\n",
            LineEnd::CrLf => "\\r\\n",
        }
    }

    pub fn from_name(s: &str) -> Option<LineEnd> {
        let s = s.trim().to_ascii_lowercase();
        LineEnd::ALL.into_iter().find(|l| l.name() == s)
    }
}

/// How typed text becomes bytes. Saved with a session and with each quick
/// command.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SendFormat {
    /// The text is hex (`01 03 00 0A`).
    pub hex: bool,
    /// In text mode, `\r \n \t \\ \0 \xHH` are escapes.
    pub escapes: bool,
    pub append: LineEnd,
    pub checksum: Checksum,
    /// The checksum covers the payload from this byte on.
    pub checksum_from: usize,
}

/// Why the typed text cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    Hex(HexError),
    Escape(EscapeError),
    Encode(EncodeError),
    /// The checksum's start offset is past the payload's end.
    ChecksumStart {
        from: usize,
        len: usize,
    },
}

impl std::fmt::Display for PayloadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PayloadError::Hex(e) => write!(f, "invalid hex: {e}"),
            PayloadError::Escape(e) => write!(f, "invalid escape: {e}"),
            PayloadError::Encode(e) => write!(f, "cannot encode: {e}"),
            PayloadError::ChecksumStart { from, len } => write!(
                f,
                "the checksum starts at byte {from}, but the payload has only {len} bytes"
            ),
        }
    }
}

impl std::error::Error for PayloadError {}

impl SendFormat {
    /// Whether a line ending or a checksum is added to what is sent.
    pub fn adds_anything(&self) -> bool {
        self.append != LineEnd::None || self.checksum != Checksum::None
    }

    /// The same format without its additions: the payload alone.
    pub fn bare(&self) -> SendFormat {
        SendFormat {
            append: LineEnd::None,
            checksum: Checksum::None,
            checksum_from: 0,
            ..self.clone()
        }
    }

    /// The bytes a send of `text` puts on the wire, where nothing typed is
    /// nothing sent: a line ending and a checksum are added to a payload,
    /// never made into one (no CRC-16 of nothing).
    pub fn build_send(&self, text: &str, enc: &'static Encoding) -> Result<Vec<u8>, PayloadError> {
        let mut out = self.bare().build(text, enc)?;
        if !out.is_empty() {
            self.finish(&mut out)?;
        }
        Ok(out)
    }

    /// The exact bytes a send of `text` puts on the wire.
    pub fn build(&self, text: &str, enc: &'static Encoding) -> Result<Vec<u8>, PayloadError> {
        let mut out = if self.hex {
            parse_hex(text).map_err(PayloadError::Hex)?
        } else if self.escapes {
            encode_escaped(text, enc).map_err(|e| match e {
                EscapedError::Escape(e) => PayloadError::Escape(e),
                EscapedError::Encode(e) => PayloadError::Encode(e),
            })?
        } else {
            encode_text(text, enc).map_err(PayloadError::Encode)?
        };
        self.finish(&mut out)?;
        Ok(out)
    }

    /// Appends the checksum and the line ending to a payload.
    pub fn finish(&self, out: &mut Vec<u8>) -> Result<(), PayloadError> {
        if self.checksum != Checksum::None {
            let Some(covered) = out.get(self.checksum_from..) else {
                return Err(PayloadError::ChecksumStart {
                    from: self.checksum_from,
                    len: out.len(),
                });
            };
            let sum = self.checksum.compute(covered);
            out.extend_from_slice(&sum);
        }
        out.extend_from_slice(self.append.bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const UTF8: &Encoding = encoding_rs::UTF_8;

    #[test]
    fn a_send_of_nothing_gets_no_checksum_or_line_ending() {
        let f = SendFormat {
            hex: true,
            checksum: Checksum::Crc16Modbus,
            append: LineEnd::CrLf,
            ..Default::default()
        };
        assert_eq!(
            f.build("", UTF8).as_deref(),
            Ok(&[0xFF, 0xFF, b'\r', b'\n'][..])
        );
        assert_eq!(f.build_send("", UTF8).as_deref(), Ok(&[][..]));
        assert_eq!(f.build_send(" ", UTF8).as_deref(), Ok(&[][..]));
        assert_eq!(f.build_send("01", UTF8), f.build("01", UTF8));
        assert!(f.build_send("zz", UTF8).is_err());
    }

    #[test]
    fn line_endings() {
        for (end, want) in [
            (LineEnd::None, &b"hi"[..]),
            (LineEnd::Cr, b"hi\r"),
            (LineEnd::Lf, b"hi\n"),
            (LineEnd::CrLf, b"hi\r\n"),
        ] {
            let f = SendFormat {
                append: end,
                ..Default::default()
            };
            assert_eq!(f.build("hi", UTF8).as_deref(), Ok(want));
            assert_eq!(LineEnd::from_name(end.name()), Some(end));
        }
    }

    #[test]
    fn modbus_frame_from_hex() {
        let f = SendFormat {
            hex: true,
            checksum: Checksum::Crc16Modbus,
            ..Default::default()
        };
        assert_eq!(
            f.build("01 03 00 00 00 0A", UTF8),
            Ok(vec![0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD])
        );
    }

    #[test]
    fn checksum_then_line_ending_and_start_offset() {
        let f = SendFormat {
            checksum: Checksum::Sum8,
            checksum_from: 1,
            append: LineEnd::CrLf,
            ..Default::default()
        };
        // Sum of "BC" only: 0x42 + 0x43 = 0x85.
        assert_eq!(f.build("ABC", UTF8), Ok(b"ABC\x85\r\n".to_vec()));
        assert_eq!(
            f.build("", UTF8),
            Err(PayloadError::ChecksumStart { from: 1, len: 0 })
        );
    }

    #[test]
    fn escapes_only_when_asked_and_not_in_hex() {
        let plain = SendFormat::default();
        assert_eq!(plain.build("a\\n", UTF8), Ok(b"a\\n".to_vec()));
        let esc = SendFormat {
            escapes: true,
            ..Default::default()
        };
        assert_eq!(esc.build("a\\n", UTF8), Ok(b"a\n".to_vec()));
        assert!(matches!(
            esc.build("a\\q", UTF8),
            Err(PayloadError::Escape(_))
        ));
        let hex = SendFormat {
            hex: true,
            escapes: true,
            ..Default::default()
        };
        assert!(matches!(hex.build("zz", UTF8), Err(PayloadError::Hex(_))));
    }
}
