//! The framing form of a session, as the user fills it in (saved), and the
//! [`Framing`] it stands for.

use super::problem::{Field, Problem};
use crate::codec::{Framing, Oversize, framing::MAX_PENDING, parse_hex};
use serde::{Deserialize, Serialize};

/// The kinds of framing offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum FramingMode {
    #[default]
    None,
    Lf,
    CrLf,
    Delimiter,
    Fixed,
    LengthPrefix,
    Idle,
}

impl FramingMode {
    pub const ALL: [FramingMode; 7] = [
        FramingMode::None,
        FramingMode::Lf,
        FramingMode::CrLf,
        FramingMode::Delimiter,
        FramingMode::Fixed,
        FramingMode::LengthPrefix,
        FramingMode::Idle,
    ];
}

/// The framing fields of the Receive settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FramingForm {
    pub mode: FramingMode,
    /// The delimiter, in hex.
    pub delimiter: String,
    /// The delimiter stays in the frame.
    pub keep: bool,
    pub fixed_len: String,
    /// Bytes of the length field: 1, 2 or 4.
    pub len_width: u8,
    pub big_endian: bool,
    /// Bytes before the length field.
    pub len_offset: String,
    /// The length counts the whole frame, header included.
    pub includes_header: bool,
    pub max_frame: String,
    /// An oversize header closes the connection (else: resynchronise).
    pub close_on_oversize: bool,
    pub idle_ms: String,
}

impl Default for FramingForm {
    fn default() -> Self {
        FramingForm {
            mode: FramingMode::None,
            delimiter: "0D 0A".into(),
            keep: true,
            fixed_len: "16".into(),
            len_width: 2,
            big_endian: true,
            len_offset: "0".into(),
            includes_header: false,
            max_frame: "65536".into(),
            close_on_oversize: false,
            idle_ms: "50".into(),
        }
    }
}

impl FramingForm {
    /// The framing the form describes, or what is wrong with it.
    pub fn framing(&self) -> Result<Framing, Problem> {
        let num = |s: &str, field: Field, min: u64, max: u64| {
            s.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .ok_or(Problem::number(field, min, max))
        };
        let max = MAX_PENDING as u64;
        Ok(match self.mode {
            FramingMode::None => Framing::None,
            FramingMode::Lf => Framing::Delimiter {
                delim: b"\n".to_vec(),
                keep: self.keep,
            },
            FramingMode::CrLf => Framing::Delimiter {
                delim: b"\r\n".to_vec(),
                keep: self.keep,
            },
            FramingMode::Delimiter => {
                let delim = parse_hex(&self.delimiter)
                    .map_err(|e| Problem::at(Field::DelimiterHex, Problem::Hex(e)))?;
                if delim.is_empty() {
                    return Err(Problem::at(Field::DelimiterHex, Problem::Empty));
                }
                Framing::Delimiter {
                    delim,
                    keep: self.keep,
                }
            }
            FramingMode::Fixed => Framing::Fixed {
                len: num(&self.fixed_len, Field::FrameLength, 1, max)? as usize,
            },
            FramingMode::LengthPrefix => Framing::LengthPrefix {
                width: match self.len_width {
                    1 | 2 | 4 => self.len_width,
                    _ => 2,
                },
                big_endian: self.big_endian,
                offset: num(&self.len_offset, Field::LengthOffset, 0, 1024)? as usize,
                includes_header: self.includes_header,
                max: num(&self.max_frame, Field::MaxFrame, 1, max)? as usize,
                on_oversize: if self.close_on_oversize {
                    Oversize::Close
                } else {
                    Oversize::Resync
                },
            },
            FramingMode::Idle => Framing::Idle {
                gap_ms: num(&self.idle_ms, Field::IdleMs, 1, 3_600_000)?,
            },
        })
    }
}
