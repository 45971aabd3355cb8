//! Hex input parsing and hex formatting.
//!
//! The parser accepts what people paste from protocol docs and other tools:
//! `48 65 6C`, `48656c`, `0x48,0x65`, `48-65-6C`, `48:65`, with line breaks.

use std::fmt;

/// Why a hex input could not be parsed. `at` is the char index in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HexError {
    /// A character that is neither a hex digit nor a separator.
    InvalidChar { at: usize, ch: char },
    /// A run of digits with an odd count (more than one digit), e.g. `123`.
    OddDigits { at: usize, len: usize },
}

impl fmt::Display for HexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HexError::InvalidChar { at, ch } => {
                write!(f, "'{ch}' at position {} is not a hex digit", at + 1)
            }
            HexError::OddDigits { at, len } => write!(
                f,
                "odd number of hex digits ({len}) in the group starting at position {}",
                at + 1
            ),
        }
    }
}

impl std::error::Error for HexError {}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | ':' | '-' | '_')
}

/// Parses hex text into bytes.
///
/// Groups are separated by whitespace, `,`, `;`, `:`, `-` or `_`. A group may
/// carry a `0x`/`0X` prefix or a `\x` prefix. A group of digits is read two at a
/// time; a lone digit (`A`) is one byte (`0x0A`); a longer odd group is an error.
pub fn parse_hex(input: &str) -> Result<Vec<u8>, HexError> {
    let chars: Vec<char> = input.chars().collect();
    let mut out = Vec::with_capacity(chars.len() / 2);
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if is_separator(c) {
            i += 1;
            continue;
        }
        // Optional prefix.
        if (c == '0' && matches!(chars.get(i + 1), Some('x' | 'X')))
            || (c == '\\' && matches!(chars.get(i + 1), Some('x' | 'X')))
        {
            i += 2;
        }
        let start = i;
        while let Some(&ch) = chars.get(i).filter(|c| !is_separator(**c)) {
            if ch == '\\' && matches!(chars.get(i + 1), Some('x' | 'X')) {
                // `\x48\x65` written without separators.
                break;
            }
            if !ch.is_ascii_hexdigit() {
                return Err(HexError::InvalidChar { at: i, ch });
            }
            i += 1;
        }
        let group = chars.get(start..i).unwrap_or_default();
        match group {
            [] => {
                if chars.get(start) == Some(&'\\') {
                    continue;
                }
                // A bare prefix such as "0x" with nothing after it.
                return Err(HexError::OddDigits { at: start, len: 0 });
            }
            [one] => out.push(digit(*one)),
            g if g.len() % 2 == 1 => {
                return Err(HexError::OddDigits {
                    at: start,
                    len: g.len(),
                });
            }
            g => {
                for pair in g.chunks_exact(2) {
                    if let [hi, lo] = pair {
                        out.push(digit(*hi) << 4 | digit(*lo));
                    }
                }
            }
        }
    }
    Ok(out)
}

fn digit(c: char) -> u8 {
    c.to_digit(16).map_or(0, |d| d as u8)
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// The upper-case hex digit of the low four bits of `n`.
pub(crate) fn hex_digit(n: u8) -> char {
    HEX_UPPER
        .get(usize::from(n & 0xF))
        .map_or('0', |&c| c as char)
}

/// Formats bytes as upper-case hex pairs separated by single spaces: `48 65 6C`.
pub fn format_hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 3);
    push_hex(&mut s, bytes);
    s
}

/// Appends `48 65 6C` to `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push(hex_digit(b >> 4));
        out.push(hex_digit(*b));
    }
}

/// One line of a hexdump: the offset, 16 bytes in hex (a gap after 8),
/// and the same bytes as ASCII (`.` for anything else), as `xxd` and
/// `hexdump -C` show it:
/// `00000010  48 65 6C 6C 6F 0D 0A 00  ...                |Hello...|`.
pub fn hexdump_line(offset: usize, chunk: &[u8]) -> String {
    let mut s = format!("{offset:08X}  ");
    for i in 0..16 {
        match chunk.get(i) {
            Some(b) => {
                s.push(hex_digit(b >> 4));
                s.push(hex_digit(*b));
                s.push(' ');
            }
            None => s.push_str("   "),
        }
        if i == 7 {
            s.push(' ');
        }
    }
    s.push_str(" |");
    for b in chunk.iter().take(16) {
        s.push(if b.is_ascii_graphic() || *b == b' ' {
            *b as char
        } else {
            '.'
        });
    }
    s.push('|');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_common_forms() {
        let cases: &[(&str, &[u8])] = &[
            ("48 65 6C", b"Hel"),
            ("48656c", b"Hel"),
            ("0x48,0x65", b"He"),
            ("0x48, 0X65 ,0x6c", b"Hel"),
            ("48\n65\r\n6C\n", b"Hel"),
            ("48-65-6c", b"Hel"),
            ("48:65", b"He"),
            ("\\x48\\x65", b"He"),
            ("A 1 ff", &[0x0A, 0x01, 0xFF]),
            ("", b""),
            ("   \n ", b""),
            ("0102 0304", &[1, 2, 3, 4]),
        ];
        for (input, want) in cases {
            assert_eq!(parse_hex(input).as_deref(), Ok(*want), "input {input:?}");
        }
    }

    #[test]
    fn rejects_bad_input_with_position() {
        assert_eq!(
            parse_hex("48 6G"),
            Err(HexError::InvalidChar { at: 4, ch: 'G' })
        );
        assert_eq!(
            parse_hex("48 656"),
            Err(HexError::OddDigits { at: 3, len: 3 })
        );
        assert!(parse_hex("hello").is_err());
        assert!(parse_hex("0x").is_err());
        assert!(parse_hex("4 8 中").is_err());
        // An x is a prefix only after 0 or \ at the start of a group.
        assert_eq!(
            parse_hex("1x2"),
            Err(HexError::InvalidChar { at: 1, ch: 'x' })
        );
        assert_eq!(
            parse_hex("48 4x8"),
            Err(HexError::InvalidChar { at: 4, ch: 'x' })
        );
        // The words the user reads, counting characters from 1.
        assert_eq!(
            parse_hex("48 6G").map_err(|e| e.to_string()),
            Err("'G' at position 5 is not a hex digit".into())
        );
        assert_eq!(
            parse_hex("48 656").map_err(|e| e.to_string()),
            Err("odd number of hex digits (3) in the group starting at position 4".into())
        );
    }

    #[test]
    fn hexdump_lines() {
        assert_eq!(
            hexdump_line(0x10, b"Hello\r\n\x00ABCDEFGH"),
            "00000010  48 65 6C 6C 6F 0D 0A 00  41 42 43 44 45 46 47 48  |Hello...ABCDEFGH|"
        );
        assert_eq!(
            hexdump_line(0, b"ab"),
            "00000000  61 62                                             |ab|"
        );
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_hex(b"Hel"), "48 65 6C");
        assert_eq!(format_hex(&[]), "");
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(parse_hex(&format_hex(&all)), Ok(all));
    }
}
