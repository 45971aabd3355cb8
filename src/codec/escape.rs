//! Escape sequences in typed text: `\r \n \t \\ \0 \xHH`.
//!
//! Text between escapes is encoded in the session's encoding; `\xHH` is one
//! raw byte, whatever the encoding, so a device's framing bytes can sit in
//! the middle of readable text (`AT+CMD\r\n`, `\x02DATA\x03`).

use super::text::{EncodeError, encode_text};
use encoding_rs::Encoding;
use std::fmt;

/// A backslash that starts no known escape. `at` is the char index of the
/// backslash in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscapeError {
    /// `\q`: not one of `r n t \ 0 x`.
    Unknown { at: usize, ch: char },
    /// `\x` not followed by two hex digits.
    BadHex { at: usize },
    /// A lone `\` at the end.
    Trailing { at: usize },
}

impl fmt::Display for EscapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EscapeError::Unknown { at, ch } => {
                write!(f, "'\\{ch}' at position {} is not an escape", at + 1)
            }
            EscapeError::BadHex { at } => write!(
                f,
                "'\\x' at position {} needs two hex digits (\\x0D)",
                at + 1
            ),
            EscapeError::Trailing { at } => {
                write!(f, "a lone '\\' at position {} ends the text", at + 1)
            }
        }
    }
}

impl std::error::Error for EscapeError {}

/// Why escaped text could not become bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscapedError {
    Escape(EscapeError),
    Encode(EncodeError),
}

/// One piece of escaped text: literal text or one raw byte.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    /// Text, and the char index where it starts in the input.
    Text(&'a str, usize),
    Byte(u8),
}

fn pieces(input: &str) -> Result<Vec<Piece<'_>>, EscapeError> {
    let mut out = Vec::new();
    let mut run_start = 0; // byte offset of the current literal run
    let mut run_char = 0; // its char index
    let mut iter = input.char_indices().enumerate().peekable();
    while let Some((ci, (bi, c))) = iter.next() {
        if c != '\\' {
            continue;
        }
        if bi > run_start {
            out.push(Piece::Text(&input[run_start..bi], run_char));
        }
        let Some((_, (_, e))) = iter.next() else {
            return Err(EscapeError::Trailing { at: ci });
        };
        let byte = match e {
            'r' => b'\r',
            'n' => b'\n',
            't' => b'\t',
            '\\' => b'\\',
            '0' => 0,
            'x' | 'X' => {
                let mut v = 0u8;
                for _ in 0..2 {
                    match iter.next() {
                        Some((_, (_, h))) if h.is_ascii_hexdigit() => {
                            v = v << 4 | h.to_digit(16).unwrap_or(0) as u8;
                        }
                        _ => return Err(EscapeError::BadHex { at: ci }),
                    }
                }
                v
            }
            other => return Err(EscapeError::Unknown { at: ci, ch: other }),
        };
        out.push(Piece::Byte(byte));
        match iter.peek() {
            Some(&(nci, (nbi, _))) => {
                run_start = nbi;
                run_char = nci;
            }
            None => {
                run_start = input.len();
                run_char = ci;
            }
        }
    }
    if run_start < input.len() {
        out.push(Piece::Text(&input[run_start..], run_char));
    }
    Ok(out)
}

/// Checks the escapes in `input` without encoding it.
pub fn check_escapes(input: &str) -> Result<(), EscapeError> {
    pieces(input).map(|_| ())
}

/// Encodes `input` in `enc`, with escapes turned into their bytes.
pub fn encode_escaped(input: &str, enc: &'static Encoding) -> Result<Vec<u8>, EscapedError> {
    let mut out = Vec::with_capacity(input.len());
    for p in pieces(input).map_err(EscapedError::Escape)? {
        match p {
            Piece::Byte(b) => out.push(b),
            Piece::Text(t, start) => {
                let bytes = encode_text(t, enc).map_err(|mut e| {
                    // Positions count from the start of the whole input.
                    e.at += start;
                    EscapedError::Encode(e)
                })?;
                out.extend_from_slice(&bytes);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8(s: &str) -> Result<Vec<u8>, EscapedError> {
        encode_escaped(s, encoding_rs::UTF_8)
    }

    #[test]
    fn each_escape_gives_its_byte() {
        let cases: &[(&str, &[u8])] = &[
            ("\\r", b"\r"),
            ("\\n", b"\n"),
            ("\\t", b"\t"),
            ("\\\\", b"\\"),
            ("\\0", b"\0"),
            ("\\x41", b"A"),
            ("\\xff", &[0xFF]),
            ("\\X0d", b"\r"),
            ("AT\\r\\n", b"AT\r\n"),
            ("\\x02DATA\\x03", b"\x02DATA\x03"),
            ("a\\\\n", b"a\\n"),
            ("no escapes", b"no escapes"),
            ("", b""),
        ];
        for (input, want) in cases {
            assert_eq!(utf8(input).as_deref(), Ok(*want), "input {input:?}");
        }
    }

    #[test]
    fn text_around_escapes_uses_the_encoding() {
        let gbk = encoding_rs::GBK;
        assert_eq!(
            encode_escaped("你好\\r\\n", gbk),
            Ok(vec![0xC4, 0xE3, 0xBA, 0xC3, b'\r', b'\n'])
        );
        // \xHH is a raw byte, not a character of the encoding.
        assert_eq!(encode_escaped("\\xC4\\xE3", gbk), Ok(vec![0xC4, 0xE3]));
    }

    #[test]
    fn malformed_escapes_say_where() {
        assert_eq!(
            utf8("ab\\q"),
            Err(EscapedError::Escape(EscapeError::Unknown {
                at: 2,
                ch: 'q'
            }))
        );
        assert_eq!(
            utf8("\\x4"),
            Err(EscapedError::Escape(EscapeError::BadHex { at: 0 }))
        );
        assert_eq!(
            utf8("x\\xZZ"),
            Err(EscapedError::Escape(EscapeError::BadHex { at: 1 }))
        );
        assert_eq!(
            utf8("end\\"),
            Err(EscapedError::Escape(EscapeError::Trailing { at: 3 }))
        );
        assert_eq!(
            utf8("中\\é"),
            Err(EscapedError::Escape(EscapeError::Unknown {
                at: 1,
                ch: 'é'
            }))
        );
        // The words the user reads, counting characters from 1; a check
        // alone finds the same errors.
        let said = |input: &str| check_escapes(input).map_err(|e| e.to_string());
        assert_eq!(
            said("ab\\q"),
            Err("'\\q' at position 3 is not an escape".into())
        );
        assert_eq!(
            said("\\x4"),
            Err("'\\x' at position 1 needs two hex digits (\\x0D)".into())
        );
        assert_eq!(
            said("end\\"),
            Err("a lone '\\' at position 4 ends the text".into())
        );
        assert_eq!(said("a\\r\\n\\x0D\\\\"), Ok(()));
    }

    #[test]
    fn encode_errors_count_from_the_whole_input() {
        let Err(EscapedError::Encode(e)) = encode_escaped("ab\\r\\n😀", encoding_rs::GBK) else {
            panic!("😀 is not in GBK");
        };
        assert_eq!((e.ch, e.at), ('😀', 6));
    }
}
