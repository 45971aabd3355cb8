//! Text encodings: decoding received bytes for display without hiding
//! anything, and encoding typed text for sending.

use encoding_rs::{DecoderResult, EncoderResult, Encoding};
use std::fmt;

/// "Auto": each record is shown as UTF-8 when it is valid UTF-8, else as
/// GBK (what socket tutorials' programs do by hand). It travels as this
/// marker, which is never used to decode anything: every decoding function
/// here resolves it per record ([`resolve`]), and sending text under it
/// uses UTF-8.
pub static AUTO: &Encoding = encoding_rs::REPLACEMENT;

/// The name "Auto" is saved and shown under.
pub const AUTO_NAME: &str = "Auto (UTF-8 / GBK)";

/// The encoding to read `bytes` with: `enc` itself, or for [`AUTO`] UTF-8
/// when the bytes are valid UTF-8 (a character cut at their end counts as
/// valid) and GBK otherwise.
pub fn resolve(enc: &'static Encoding, bytes: &[u8]) -> &'static Encoding {
    if enc != AUTO {
        return enc;
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => encoding_rs::UTF_8,
        Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
        Err(_) => encoding_rs::GBK,
    }
}

/// The name an encoding is shown and saved under.
pub fn encoding_name(enc: &'static Encoding) -> &'static str {
    if enc == AUTO { AUTO_NAME } else { enc.name() }
}

/// The encodings offered in the UI, most used first. Every one of them is
/// an `encoding_rs` encoding, named by its WHATWG name, except [`AUTO`].
pub const ENCODINGS: &[&Encoding] = &[
    AUTO,
    encoding_rs::UTF_8,
    encoding_rs::GBK,
    encoding_rs::GB18030,
    encoding_rs::BIG5,
    encoding_rs::SHIFT_JIS,
    encoding_rs::EUC_JP,
    encoding_rs::ISO_2022_JP,
    encoding_rs::EUC_KR,
    encoding_rs::UTF_16LE,
    encoding_rs::UTF_16BE,
    encoding_rs::WINDOWS_1252,
    encoding_rs::WINDOWS_1250,
    encoding_rs::WINDOWS_1251,
    encoding_rs::WINDOWS_1253,
    encoding_rs::WINDOWS_1254,
    encoding_rs::WINDOWS_1255,
    encoding_rs::WINDOWS_1256,
    encoding_rs::WINDOWS_1257,
    encoding_rs::WINDOWS_1258,
    encoding_rs::WINDOWS_874,
    encoding_rs::ISO_8859_2,
    encoding_rs::ISO_8859_3,
    encoding_rs::ISO_8859_4,
    encoding_rs::ISO_8859_5,
    encoding_rs::ISO_8859_6,
    encoding_rs::ISO_8859_7,
    encoding_rs::ISO_8859_8,
    encoding_rs::ISO_8859_10,
    encoding_rs::ISO_8859_13,
    encoding_rs::ISO_8859_14,
    encoding_rs::ISO_8859_15,
    encoding_rs::ISO_8859_16,
    encoding_rs::KOI8_R,
    encoding_rs::KOI8_U,
    encoding_rs::IBM866,
    encoding_rs::MACINTOSH,
    encoding_rs::X_MAC_CYRILLIC,
];

/// Finds an encoding by name or label (`"UTF-8"`, `"gbk"`, `"gb2312"`...,
/// or `"auto"`). Unknown names fall back to UTF-8.
pub fn encoding_by_name(name: &str) -> &'static Encoding {
    let name = name.trim();
    if name.eq_ignore_ascii_case("auto") || name == AUTO_NAME {
        return AUTO;
    }
    Encoding::for_label_no_replacement(name.as_bytes()).unwrap_or(encoding_rs::UTF_8)
}

/// Decodes `bytes` for display. Nothing is dropped silently: bytes that are
/// not valid in `enc`, and control characters other than tab and line feed,
/// are shown as `\xNN`; a CR is shown as `\r` (so `\r\n` ends a line with a
/// visible `\r`, and CR LF, LF and a lone CR are never confused).
pub fn decode_for_display(bytes: &[u8], enc: &'static Encoding) -> String {
    let mut decoded = String::new();
    decode_into(bytes, enc, &mut decoded);
    let mut out = String::with_capacity(decoded.len());
    for c in decoded.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            // Always shown, so CR LF, LF and CR can be told apart.
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7F => push_escape(&mut out, c as u8),
            c => out.push(c),
        }
    }
    out
}

/// Decodes with `\xNN` for malformed bytes, keeping control characters as they are.
pub fn decode_into(bytes: &[u8], enc: &'static Encoding, out: &mut String) {
    let enc = resolve(enc, bytes);
    let mut decoder = enc.new_decoder_without_bom_handling();
    let mut src = bytes;
    reserve_for(&decoder, out, src.len());
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(src, out, true);
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(bad, extra) => {
                let end = read.saturating_sub(extra as usize);
                let start = end.saturating_sub(bad as usize);
                for &b in src.get(start..end).unwrap_or_default() {
                    push_escape(out, b);
                }
            }
        }
        src = src.get(read..).unwrap_or_default();
        reserve_for(&decoder, out, src.len());
    }
}

fn reserve_for(decoder: &encoding_rs::Decoder, out: &mut String, len: usize) {
    let need = decoder
        .max_utf8_buffer_length_without_replacement(len)
        .unwrap_or(len.saturating_mul(4))
        .saturating_add(16);
    out.reserve(need);
}

fn push_escape(out: &mut String, b: u8) {
    out.push('\\');
    out.push('x');
    out.push(super::hex::hex_digit(b >> 4));
    out.push(super::hex::hex_digit(b));
}

/// True when every byte is printable ASCII or a line feed: text that every
/// ASCII-compatible encoding shows byte for byte. Checked in blocks without
/// an early exit inside them, so the compiler vectorises it.
pub fn printable_ascii(bytes: &[u8]) -> bool {
    let mut blocks = bytes.chunks_exact(64);
    for block in &mut blocks {
        let mut bad = 0u8;
        for &b in block {
            bad |= ((b.wrapping_sub(0x20) >= 0x5F) & (b != b'\n')) as u8;
        }
        if bad != 0 {
            return false;
        }
    }
    blocks
        .remainder()
        .iter()
        .all(|&b| b.wrapping_sub(0x20) < 0x5F || b == b'\n')
}

/// Most line feeds a [`TextShape`] lists (a 64 KiB read of lines of 32
/// bytes or more); beyond that the UI finds them itself.
pub const MAX_BREAKS: usize = 2048;

/// What the UI needs to count the display rows of plain text without reading
/// it again: found by the worker while the bytes are still in its cache.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextShape {
    /// Every byte is printable ASCII or a line feed.
    pub ascii: bool,
    /// Where the line feeds are, when `ascii` and there are at most
    /// [`MAX_BREAKS`] of them.
    pub breaks: Option<Breaks>,
    /// `(cols, rows)`: the rows the text takes at `cols` columns a row,
    /// counted by the worker for the width the log had when it read the
    /// bytes. With it, only a line feed or two are kept in `breaks`.
    pub rows: Option<(u32, u32)>,
}

/// Offsets of line feeds: a line or two (a framed record) without an
/// allocation of their own, more on the heap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Breaks {
    Few { n: u8, at: [u32; 2] },
    Many(Box<[u32]>),
}

impl std::ops::Deref for Breaks {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            Breaks::Few { n, at } => at.get(..usize::from(*n)).unwrap_or(at),
            Breaks::Many(b) => b,
        }
    }
}

impl TextShape {
    pub fn of(bytes: &[u8]) -> TextShape {
        if !printable_ascii(bytes) {
            return TextShape::default();
        }
        let none = TextShape {
            ascii: true,
            breaks: None,
            rows: None,
        };
        // Most framed records have a line feed or two: no allocation for
        // them.
        let mut few = [0u32; 2];
        let mut n = 0;
        let mut many = Vec::new();
        for i in memchr::memchr_iter(b'\n', bytes) {
            let Ok(i) = u32::try_from(i) else {
                return none;
            };
            if let Some(slot) = few.get_mut(n) {
                *slot = i;
                n += 1;
                continue;
            }
            if many.is_empty() {
                many.extend_from_slice(&few);
            }
            if many.len() == MAX_BREAKS {
                return none;
            }
            many.push(i);
        }
        let breaks = if many.is_empty() {
            Breaks::Few {
                n: n as u8,
                at: few,
            }
        } else {
            Breaks::Many(many.into_boxed_slice())
        };
        TextShape {
            ascii: true,
            breaks: Some(breaks),
            rows: None,
        }
    }

    /// [`TextShape::of`], and with `cols` also the rows the text takes at
    /// that width: a flood of lines is then counted here, while the bytes
    /// are hot, and the log keeps no list of where each line ends.
    pub fn of_at(bytes: &[u8], cols: Option<usize>) -> TextShape {
        let Some(cols) = cols.filter(|&c| c > 0) else {
            return TextShape::of(bytes);
        };
        let Some(rows) = plain_rows_checked(bytes, cols) else {
            return TextShape::default();
        };
        let (Ok(c), Ok(r)) = (u32::try_from(cols), u32::try_from(rows)) else {
            return TextShape::of(bytes);
        };
        // A line feed or two are kept as ever (no allocation).
        let mut few = [0u32; 2];
        let mut n = 0;
        let mut more = false;
        for i in memchr::memchr_iter(b'\n', bytes) {
            match (few.get_mut(n), u32::try_from(i)) {
                (Some(slot), Ok(i)) => {
                    *slot = i;
                    n += 1;
                }
                _ => {
                    more = true;
                    break;
                }
            }
        }
        TextShape {
            ascii: true,
            breaks: (!more).then_some(Breaks::Few {
                n: n as u8,
                at: few,
            }),
            rows: Some((c, r)),
        }
    }

    /// Memory the shape takes besides itself.
    pub fn extra_bytes(&self) -> usize {
        match &self.breaks {
            Some(Breaks::Many(b)) => b.len() * 4,
            _ => 0,
        }
    }
}

/// Rows that plain text (printable ASCII and line feeds) takes at
/// `max_cols` columns a row: each line wraps, and a final line feed ends the
/// last line rather than opening an empty one.
pub fn plain_rows(text: &[u8], max_cols: usize) -> usize {
    let p = text.strip_suffix(b"\n").unwrap_or(text);
    let mut rows = 0;
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', p) {
        rows += line_rows(nl - start, max_cols);
        start = nl + 1;
    }
    rows + line_rows(p.len() - start, max_cols)
}

/// [`plain_rows`] when `text` is plain ([`printable_ascii`]), else `None`:
/// both in one pass over the bytes. A flood of short lines has a line feed
/// every few dozen bytes, and finding them one search at a time cost three
/// times what the bytes cost.
pub fn plain_rows_checked(text: &[u8], max_cols: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    {
        plain_rows_sse2(text, max_cols)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        printable_ascii(text).then(|| plain_rows(text, max_cols))
    }
}

/// [`plain_rows_checked`] 16 bytes at a time: one compare gives a mask of
/// the line feeds, another whether every byte is printable or a line feed.
#[cfg(target_arch = "x86_64")]
fn plain_rows_sse2(text: &[u8], max_cols: usize) -> Option<usize> {
    let p = text.strip_suffix(b"\n").unwrap_or(text);
    let mut rows = 0;
    let mut start = 0;
    let mut base = 0;
    let mut odd = 0u16;
    let mut blocks = p.chunks_exact(16);
    for block in &mut blocks {
        let (lf, bad) = sse2_block(block);
        odd |= bad;
        let mut m = u32::from(lf);
        while m != 0 {
            let nl = base + m.trailing_zeros() as usize;
            rows += line_rows(nl - start, max_cols);
            start = nl + 1;
            m &= m - 1;
        }
        base += 16;
    }
    if odd != 0 {
        return None;
    }
    for (i, &b) in blocks.remainder().iter().enumerate() {
        if b == b'\n' {
            rows += line_rows(base + i - start, max_cols);
            start = base + i + 1;
        } else if b.wrapping_sub(0x20) >= 0x5F {
            return None;
        }
    }
    Some(rows + line_rows(p.len() - start, max_cols))
}

/// The line feeds of a 16-byte block, and its bytes that are neither
/// printable ASCII nor a line feed, as bit masks (bit i: byte i). Other
/// lengths give no bits.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sse2_block(block: &[u8]) -> (u16, u16) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8, _mm_sub_epi8,
    };
    if block.len() != 16 {
        return (0, 0);
    }
    // SAFETY: SSE2 is part of every x86_64 CPU; the load reads the 16
    // bytes of `block` (its length was just checked), unaligned loads
    // allowed.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let is_lf = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8));
        // Printable: b - 0x20 (wrapping) is at most 0x5E, unsigned.
        let d = _mm_sub_epi8(v, _mm_set1_epi8(0x20));
        let printable = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(0x5E)), d);
        (
            _mm_movemask_epi8(is_lf) as u16,
            !(_mm_movemask_epi8(_mm_or_si128(printable, is_lf)) as u16),
        )
    }
}

/// The rows each frame of a read takes at `cols` columns, four bytes a
/// frame (0: not plain text, or not counted). The worker counts them while
/// the bytes are hot; the log then lays out a flood of small frames
/// without looking at their bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrameRows {
    pub cols: u32,
    pub rows: Vec<u32>,
}

impl FrameRows {
    /// The rows of `spans` of `data`, as [`plain_rows_checked`] counts
    /// each, found in one pass over the bytes: a read cut into hundreds of
    /// frames is not scanned hundreds of times. `spans` in order and apart,
    /// as a framer cuts them (else each is counted on its own).
    pub fn of(data: &[u8], spans: &[std::ops::Range<usize>], cols: Option<usize>) -> FrameRows {
        FrameRows::of_scanned(data, spans, cols, None)
    }

    /// [`FrameRows::of`], with the line feeds and odd bytes of `data`
    /// when they were found already (by the framer).
    pub fn of_scanned(
        data: &[u8],
        spans: &[std::ops::Range<usize>],
        cols: Option<usize>,
        scan: Option<&PlainScan>,
    ) -> FrameRows {
        let Some(c) = cols.filter(|&c| c > 0).and_then(|c| u32::try_from(c).ok()) else {
            return FrameRows::default();
        };
        let cols = c as usize;
        let count = |rows: Option<usize>| rows.and_then(|r| u32::try_from(r).ok()).unwrap_or(0);
        let one_by_one = || FrameRows {
            cols: c,
            rows: spans
                .iter()
                .map(|r| {
                    count(plain_rows_checked(
                        data.get(r.clone()).unwrap_or_default(),
                        cols,
                    ))
                })
                .collect(),
        };
        let in_order = spans.windows(2).all(|w| match w {
            [a, b] => a.start <= a.end && a.end <= b.start,
            _ => true,
        });
        let (Some(first), Some(last)) = (spans.first(), spans.last()) else {
            return FrameRows {
                cols: c,
                rows: Vec::new(),
            };
        };
        let (true, Some(all)) = (in_order, data.get(first.start..last.end)) else {
            return one_by_one();
        };
        let found;
        let (lfs, bad) = match scan {
            Some(s) if s.len == data.len() => (&s.lfs, &s.bad),
            _ => match scan_plain(all, first.start) {
                Some(s) => {
                    found = s;
                    (&found.0, &found.1)
                }
                None => return one_by_one(),
            },
        };
        let (mut li, mut bi) = (0, 0);
        let mut rows = Vec::with_capacity(spans.len());
        for r in spans {
            while bad.get(bi).is_some_and(|&at| at < r.start) {
                bi += 1;
            }
            while lfs.get(li).is_some_and(|&at| at < r.start) {
                li += 1;
            }
            if bad.get(bi).is_some_and(|&at| at < r.end) {
                rows.push(0);
                continue;
            }
            // A trailing line feed ends the last line (see `plain_rows`).
            let ends_lf = r.end > r.start && data.get(r.end - 1) == Some(&b'\n');
            let text_end = r.end - usize::from(ends_lf);
            let (mut n, mut start) = (0, r.start);
            while let Some(&at) = lfs.get(li).filter(|&&at| at < text_end) {
                n += line_rows(at - start, cols);
                start = at + 1;
                li += 1;
            }
            rows.push(count(Some(n + line_rows(text_end - start, cols))));
        }
        FrameRows { cols: c, rows }
    }

    /// The text shape of frame `k`, as far as it is known.
    pub fn shape(&self, k: usize) -> TextShape {
        match self.rows.get(k) {
            Some(&rows) if rows > 0 && self.cols > 0 => TextShape {
                ascii: true,
                breaks: None,
                rows: Some((self.cols, rows)),
            },
            _ => TextShape::default(),
        }
    }
}

/// Where the line feeds of some bytes are, and which of them are neither
/// printable ASCII nor a line feed, found in one pass.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlainScan {
    /// How many bytes were looked at.
    pub len: usize,
    pub lfs: Vec<usize>,
    pub bad: Vec<usize>,
}

impl PlainScan {
    /// `None` for bytes that are mostly not text.
    pub fn of(bytes: &[u8]) -> Option<PlainScan> {
        let (lfs, bad) = scan_plain(bytes, 0)?;
        Some(PlainScan {
            len: bytes.len(),
            lfs,
            bad,
        })
    }
}

/// Where `bytes` (which start at `base`) have line feeds, and which bytes
/// are neither printable ASCII nor a line feed; `None` when those are so
/// many (binary data) that listing them is not worth it.
fn scan_plain(bytes: &[u8], base: usize) -> Option<(Vec<usize>, Vec<usize>)> {
    #[cfg(target_arch = "x86_64")]
    {
        let mut lfs = Vec::with_capacity(bytes.len() / 64);
        let mut bad = Vec::new();
        let whole = if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU was just found to have AVX2.
            unsafe { scan_avx2(bytes, base, &mut lfs, &mut bad) }
        } else {
            scan_words(bytes, base, &mut lfs, &mut bad, sse2_masks)
        };
        whole.then_some((lfs, bad))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (bytes, base);
        None
    }
}

/// Bytes not plain text beyond which [`scan_plain`] gives up.
#[cfg(target_arch = "x86_64")]
const MAX_BAD: usize = 256;

/// [`scan_plain`] 64 bytes at a time: `masks` gives a word's line feeds
/// and odd bytes as bits, then the bits are listed (one branch per word).
/// False when there are too many odd bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn scan_words(
    bytes: &[u8],
    base: usize,
    lfs: &mut Vec<usize>,
    bad: &mut Vec<usize>,
    masks: impl Fn(&[u8]) -> (u64, u64),
) -> bool {
    let mut words = bytes.chunks_exact(64);
    let mut at = base;
    for word in &mut words {
        let (mut lf_bits, mut bad_bits) = masks(word);
        while lf_bits != 0 {
            lfs.push(at + lf_bits.trailing_zeros() as usize);
            lf_bits &= lf_bits - 1;
        }
        if bad_bits != 0 {
            while bad_bits != 0 {
                bad.push(at + bad_bits.trailing_zeros() as usize);
                bad_bits &= bad_bits - 1;
            }
            if bad.len() > MAX_BAD {
                return false;
            }
        }
        at += 64;
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        if b == b'\n' {
            lfs.push(at + i);
        } else if b.wrapping_sub(0x20) >= 0x5F {
            bad.push(at + i);
        }
    }
    bad.len() <= MAX_BAD
}

/// The line feeds and odd bytes of a 64-byte word, 16 bytes at a time.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn sse2_masks(word: &[u8]) -> (u64, u64) {
    let (mut lf_bits, mut bad_bits) = (0u64, 0u64);
    for (k, block) in word.chunks_exact(16).enumerate() {
        let (lf, odd) = sse2_block(block);
        lf_bits |= u64::from(lf) << (16 * k);
        bad_bits |= u64::from(odd) << (16 * k);
    }
    (lf_bits, bad_bits)
}

/// [`scan_words`] 32 bytes at a time.
///
/// # Safety
/// The CPU must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_avx2(bytes: &[u8], base: usize, lfs: &mut Vec<usize>, bad: &mut Vec<usize>) -> bool {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8, _mm256_movemask_epi8,
        _mm256_or_si256, _mm256_set1_epi8, _mm256_sub_epi8,
    };
    scan_words(bytes, base, lfs, bad, |word| {
        let (mut lf_bits, mut bad_bits) = (0u64, 0u64);
        for (k, half) in word.chunks_exact(32).enumerate() {
            // SAFETY: AVX2 is there (the caller's promise); the load reads
            // the 32 bytes of one `chunks_exact(32)` half, unaligned loads
            // allowed.
            let (lf, odd) = unsafe {
                let v = _mm256_loadu_si256(half.as_ptr().cast::<__m256i>());
                let is_lf = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(b'\n' as i8));
                let d = _mm256_sub_epi8(v, _mm256_set1_epi8(0x20));
                let printable = _mm256_cmpeq_epi8(_mm256_min_epu8(d, _mm256_set1_epi8(0x5E)), d);
                (
                    _mm256_movemask_epi8(is_lf) as u32,
                    !(_mm256_movemask_epi8(_mm256_or_si256(printable, is_lf)) as u32),
                )
            };
            lf_bits |= u64::from(lf) << (32 * k);
            bad_bits |= u64::from(odd) << (32 * k);
        }
        (lf_bits, bad_bits)
    })
}

/// Rows a line of `len` columns takes at `max_cols` a row (an empty line
/// takes one). Lines of one or two rows, nearly all of them, are counted
/// without a division: a flood of short lines is counted line by line.
#[inline]
pub fn line_rows(len: usize, max_cols: usize) -> usize {
    if len <= max_cols {
        1
    } else if len <= 2 * max_cols {
        2
    } else {
        len.div_ceil(max_cols.max(1))
    }
}

/// A character that the chosen encoding cannot represent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeError {
    pub ch: char,
    /// Char index of the first such character in the text.
    pub at: usize,
    pub encoding: &'static str,
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "'{}' (position {}) cannot be encoded in {}",
            self.ch,
            self.at + 1,
            self.encoding
        )
    }
}

impl std::error::Error for EncodeError {}

/// Encodes `text` in `enc`. Characters the encoding cannot represent are an
/// error (never a silent `?` or an HTML entity).
pub fn encode_text(text: &str, enc: &'static Encoding) -> Result<Vec<u8>, EncodeError> {
    if enc == encoding_rs::UTF_8 || enc == AUTO {
        return Ok(text.as_bytes().to_vec());
    }
    if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
        let le = enc == encoding_rs::UTF_16LE;
        let mut out = Vec::with_capacity(text.len() * 2);
        for unit in text.encode_utf16() {
            let b = if le {
                unit.to_le_bytes()
            } else {
                unit.to_be_bytes()
            };
            out.extend_from_slice(&b);
        }
        return Ok(out);
    }
    let mut encoder = enc.new_encoder();
    let mut out = Vec::with_capacity(
        encoder
            .max_buffer_length_from_utf8_without_replacement(text.len())
            .unwrap_or(text.len() * 4),
    );
    let mut src = text;
    loop {
        let (result, read) =
            encoder.encode_from_utf8_to_vec_without_replacement(src, &mut out, true);
        match result {
            EncoderResult::InputEmpty => return Ok(out),
            EncoderResult::OutputFull => {
                out.reserve(src.len().saturating_mul(4).max(16));
            }
            EncoderResult::Unmappable(ch) => {
                let consumed = text.len() - src.len() + read;
                let at = text[..consumed].chars().count().saturating_sub(1);
                return Err(EncodeError {
                    ch,
                    at,
                    encoding: enc.name(),
                });
            }
        }
        src = src.get(read..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_and_gbk_round_trip() {
        let samples = ["hello", "你好，世界", "混合 mixed 123\n第二行", ""];
        for enc in [encoding_rs::UTF_8, encoding_rs::GBK, encoding_rs::GB18030] {
            for s in samples {
                let bytes = encode_text(s, enc).expect("encodable");
                assert_eq!(decode_for_display(&bytes, enc), s, "{} {s:?}", enc.name());
            }
        }
    }

    #[test]
    fn gbk_bytes_are_the_known_ones() {
        assert_eq!(
            encode_text("你好", encoding_rs::GBK).unwrap(),
            [0xC4, 0xE3, 0xBA, 0xC3]
        );
        assert_eq!(
            decode_for_display(&[0xC4, 0xE3, 0xBA, 0xC3], encoding_rs::GBK),
            "你好"
        );
        assert_eq!(
            encode_text("你好", encoding_rs::UTF_8).unwrap(),
            "你好".as_bytes()
        );
    }

    #[test]
    fn utf16_encodes_as_utf16() {
        assert_eq!(
            encode_text("A中", encoding_rs::UTF_16LE).unwrap(),
            [0x41, 0, 0x2D, 0x4E]
        );
        assert_eq!(
            encode_text("A中", encoding_rs::UTF_16BE).unwrap(),
            [0, 0x41, 0x4E, 0x2D]
        );
        assert_eq!(
            decode_for_display(&[0x41, 0, 0x2D, 0x4E], encoding_rs::UTF_16LE),
            "A中"
        );
    }

    #[test]
    fn invalid_bytes_stay_visible() {
        assert_eq!(
            decode_for_display(b"ab\xFFcd", encoding_rs::UTF_8),
            "ab\\xFFcd"
        );
        // GBK lead byte followed by an invalid trail byte: both visible, nothing lost.
        let shown = decode_for_display(&[0x41, 0x81, 0x20, 0x42], encoding_rs::GBK);
        assert!(shown.starts_with('A') && shown.ends_with('B'), "{shown}");
        assert!(shown.contains("\\x81"), "{shown}");
        // A truncated UTF-8 sequence at the end.
        assert_eq!(
            decode_for_display(b"x\xE4\xBD", encoding_rs::UTF_8),
            "x\\xE4\\xBD"
        );
    }

    #[test]
    fn control_characters_are_escaped_and_cr_stays_visible() {
        assert_eq!(
            decode_for_display(b"a\r\nb\0c\rd\te", encoding_rs::UTF_8),
            "a\\r\nb\\x00c\\rd\te"
        );
    }

    #[test]
    fn unencodable_text_is_an_error() {
        let err = encode_text("ab😀", encoding_rs::GBK).unwrap_err();
        assert_eq!(err.ch, '😀');
        assert_eq!(err.at, 2);
        assert_eq!(
            err.to_string(),
            "'😀' (position 3) cannot be encoded in GBK"
        );
        // GB18030 covers all of Unicode.
        assert!(encode_text("ab😀", encoding_rs::GB18030).is_ok());
    }

    #[test]
    fn names_resolve() {
        assert_eq!(encoding_by_name("gb2312"), encoding_rs::GBK);
        assert_eq!(encoding_by_name("UTF-8"), encoding_rs::UTF_8);
        assert_eq!(encoding_by_name("nonsense"), encoding_rs::UTF_8);
        // Every offered encoding comes back from the name it is saved under.
        for enc in ENCODINGS {
            assert_eq!(encoding_by_name(encoding_name(enc)), *enc);
        }
    }

    #[test]
    fn rows_counted_in_one_pass_agree_with_the_plain_count_everywhere() {
        let slow = |t: &[u8], c: usize| printable_ascii(t).then(|| plain_rows(t, c));
        // Every length around the 16-byte blocks, a line feed or a byte
        // that is not plain at every position, at several widths.
        for len in 0..70 {
            for at in 0..len.max(1) {
                for b in [b'\n', b'\r', 0x1F, 0x7F, 0x80, 0xFF, b' ', b'~'] {
                    let mut t = vec![b'a'; len];
                    if let Some(x) = t.get_mut(at) {
                        *x = b;
                    }
                    for cols in [1, 5, 16, 80] {
                        assert_eq!(
                            plain_rows_checked(&t, cols),
                            slow(&t, cols),
                            "{b:#x} at {at} of {len}, {cols} columns"
                        );
                    }
                }
            }
        }
        // Lines of every length up to three rows, one after another.
        let mut lines = Vec::new();
        for n in 0..200 {
            lines.extend(std::iter::repeat_n(b'x', n % 97));
            lines.push(b'\n');
        }
        for cols in [8, 40, 45, 96, 512] {
            for end in [lines.len(), lines.len() - 1, 1000, 4097] {
                let t = &lines[..end];
                assert_eq!(
                    plain_rows_checked(t, cols),
                    slow(t, cols),
                    "{end} bytes, {cols}"
                );
            }
        }
    }

    #[test]
    fn rows_of_a_whole_read_agree_with_each_frame_counted_alone() {
        // A small generator: the same cases every run.
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for case in 0..400 {
            let len = next(3000);
            // Lines of text; now and then a byte that is not plain, and in
            // some reads many of them (binary data).
            let odd = if case % 10 == 0 { 3 } else { 400 };
            let data: Vec<u8> = (0..len)
                .map(|_| match next(odd.max(40)) {
                    0 => [0x00, 0x0D, 0x7F, 0x80, 0xE4][next(5)],
                    1..=3 => b'\n',
                    _ => b'a' + next(26) as u8,
                })
                .collect();
            // Frames in order, some apart, some empty, some ending on a
            // line feed.
            let mut spans = Vec::new();
            let mut at = next(20).min(len);
            while at < len && spans.len() < 200 {
                let end = (at + next(150)).min(len);
                spans.push(at..end);
                at = end + if next(3) == 0 { next(10) } else { 0 };
            }
            for cols in [1, 8, 33, 100] {
                let alone: Vec<u32> = spans
                    .iter()
                    .map(|r| plain_rows_checked(&data[r.clone()], cols).map_or(0, |n| n as u32))
                    .collect();
                let got = FrameRows::of(&data, &spans, Some(cols));
                assert_eq!(got.rows, alone, "case {case}, {cols} columns");
                // Both ways of scanning (the CPU's widest and SSE2) agree.
                #[cfg(target_arch = "x86_64")]
                {
                    let (mut lfs, mut bad) = (Vec::new(), Vec::new());
                    let whole = scan_words(&data, 7, &mut lfs, &mut bad, sse2_masks);
                    assert_eq!(
                        whole.then_some((lfs, bad)),
                        scan_plain(&data, 7),
                        "case {case}"
                    );
                }
                // The same with the bytes scanned beforehand.
                let scan = PlainScan::of(&data);
                let again = FrameRows::of_scanned(&data, &spans, Some(cols), scan.as_ref());
                assert_eq!(again, got, "case {case}, {cols} columns, scanned");
                // The shape says what the worker's own shape says.
                for (k, r) in spans.iter().enumerate() {
                    let own = TextShape::of_at(&data[r.clone()], Some(cols));
                    assert_eq!(got.shape(k).rows, own.rows, "case {case}, frame {k}");
                    assert_eq!(got.shape(k).ascii, own.ascii, "case {case}, frame {k}");
                }
            }
        }
        // Spans out of order are counted one by one, the same way.
        let data = b"ab\ncd\nefgh".to_vec();
        let rows = FrameRows::of(&data, &[6..10, 0..3], Some(2));
        assert_eq!(rows.rows, [2, 1]);
        // No width, no count.
        assert_eq!(
            FrameRows::of(&data, &[0..3, 3..6], None),
            FrameRows::default()
        );
        assert_eq!(FrameRows::default().shape(0), TextShape::default());
    }

    #[test]
    fn printable_ascii_is_exact_at_every_position() {
        let base = vec![b'a'; 200];
        assert!(printable_ascii(&base));
        assert!(printable_ascii(b""));
        assert!(printable_ascii(b"line\n"));
        for i in 0..base.len() {
            for bad in [0x00, 0x09, 0x0D, 0x1F, 0x7F, 0x80, 0xE4, 0xFF] {
                let mut v = base.clone();
                v[i] = bad;
                assert!(!printable_ascii(&v), "byte {bad:#x} at {i}");
            }
        }
    }

    #[test]
    fn a_text_shape_lists_the_line_feeds_of_plain_text() {
        let s = TextShape::of(b"ab\ncd\n");
        assert!(s.ascii);
        assert_eq!(s.breaks.as_deref(), Some(&[2u32, 5][..]));
        assert_eq!(TextShape::of("不是".as_bytes()), TextShape::default());
        let many = b"\n".repeat(MAX_BREAKS + 1);
        let s = TextShape::of(&many);
        assert!(s.ascii && s.breaks.is_none());
        // Two line feeds fit in the shape itself; more take memory of their
        // own, which the log counts against its cap.
        assert_eq!(TextShape::of(b"a\nb\n").extra_bytes(), 0);
        // With the rows counted, many line feeds are not kept: nothing to
        // allocate, nothing to count against the log's cap.
        let counted = TextShape::of_at(&many, Some(40));
        assert!(counted.ascii && counted.breaks.is_none());
        assert_eq!(counted.extra_bytes(), 0);
        assert_eq!(counted.rows, Some((40, plain_rows(&many, 40) as u32)));
        let two = TextShape::of_at(b"ab\ncd\n", Some(40));
        assert_eq!(two.breaks.as_deref(), Some(&[2u32, 5][..]));
        assert_eq!(
            TextShape::of_at("不是".as_bytes(), Some(40)),
            TextShape::default()
        );
        // No width known (0 or none): the shape without rows.
        for cols in [None, Some(0)] {
            assert_eq!(TextShape::of_at(&many, cols), TextShape::of(&many));
        }
        assert_eq!(TextShape::of(b"a\nb\nc\nd\n").extra_bytes(), 4 * 4);
    }
}

#[cfg(test)]
mod auto_tests {
    use super::*;

    #[test]
    fn auto_reads_utf8_when_valid_and_gbk_otherwise() {
        let utf8 = "网络调试".as_bytes();
        let gbk = [0xCD, 0xF8, 0xC2, 0xE7]; // 网络 in GBK
        assert_eq!(decode_for_display(utf8, AUTO), "网络调试");
        assert_eq!(decode_for_display(&gbk, AUTO), "网络");
        // A UTF-8 character cut at the end is still UTF-8.
        assert_eq!(resolve(AUTO, &utf8[..4]), encoding_rs::UTF_8);
        assert_eq!(resolve(encoding_rs::BIG5, &gbk), encoding_rs::BIG5);
        assert_eq!(encoding_by_name("auto"), AUTO);
        assert_eq!(encoding_by_name(AUTO_NAME), AUTO);
        assert_eq!(encoding_name(AUTO), AUTO_NAME);
        assert_eq!(encode_text("网", AUTO).as_deref(), Ok("网".as_bytes()));
    }
}
