//! Byte searches of the capture parser's hot loops, sixteen bytes at a time (issue 16 item 2).
//!
//! Each block of 16 bytes becomes a flag word: one byte per input byte, 0xFF where the byte is
//! wanted and 0 elsewhere, read as a little-endian `u128`, so the lowest set bit is the first
//! hit in the text and `trailing_zeros() / 8` is its offset. Written as a plain loop over a
//! `[u8; 16]`, the flags compile to vector compares (SSE2 `pcmpeqb`/`pminub` on x86-64, NEON on
//! arm64) without `unsafe` or target-specific code; the exact byte tests leave no false hits,
//! so every set byte is a real one (unlike the borrow of the has-zero-byte trick on a `u64`).
//! The shape matters to the vectoriser, checked with callgrind: `[u8; 16]::map` is not
//! inlined (a call per byte), and flags of 1 instead of 0xFF (or a mask applied to them) turn
//! the compares back into sixteen scalar ones.
//! The SageMaker envelope's strings and a CSV payload's fields are short, so one block costs
//! less than a `memchr` call's set-up, and a block holds all the commas it contains in one word.

use std::ops::ControlFlow;

/// Bytes per block.
const BLOCK: usize = 16;

/// The flag word of `block`: byte `i` is 0xFF when `hit(block[i])`, 0 otherwise.
#[inline(always)]
fn flags(block: [u8; BLOCK], hit: impl Fn(u8) -> bool) -> u128 {
    let mut flags = [0u8; BLOCK];
    for (flag, c) in flags.iter_mut().zip(block) {
        *flag = u8::from(hit(c)).wrapping_neg();
    }
    u128::from_le_bytes(flags)
}

/// The first block of `b` from `at` on, if 16 bytes remain.
#[inline(always)]
fn block_at(b: &[u8], at: usize) -> Option<[u8; BLOCK]> {
    b.get(at..at + BLOCK)
        .and_then(|s| <[u8; BLOCK]>::try_from(s).ok())
}

/// Whether `c` ends a run of plain bytes inside a JSON string: `"`, `\\` or a control
/// character (RFC 8259 §7: below U+0020 must be escaped).
#[inline(always)]
fn is_string_special(c: u8) -> bool {
    (c == b'"') | (c == b'\\') | (c < 0x20)
}

/// Index of the first byte of `b` that is `"`, `\\` or a control character (below 0x20).
/// (`#[inline]`, not `always`: forced, it kept the scanner's string fast path out of line,
/// 275 instructions per record more.)
#[inline]
pub(super) fn find_string_special(b: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(block) = block_at(b, at) {
        let hits = flags(block, is_string_special);
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += BLOCK;
    }
    b.get(at..)?
        .iter()
        .position(|&c| is_string_special(c))
        .map(|i| at + i)
}

/// Index of the first byte of `b` that is `x` or `y`.
#[inline]
pub(super) fn find_either(b: &[u8], x: u8, y: u8) -> Option<usize> {
    let mut at = 0;
    while let Some(block) = block_at(b, at) {
        let hits = flags(block, |c| (c == x) | (c == y));
        if hits != 0 {
            return Some(at + (hits.trailing_zeros() / 8) as usize);
        }
        at += BLOCK;
    }
    b.get(at..)?
        .iter()
        .position(|&c| (c == x) | (c == y))
        .map(|i| at + i)
}

/// Calls `f` with the index of each comma of `line`, in order, until it breaks; returns the
/// break's value. The block loop [`for_each_field`] and [`nth_field`] share.
#[inline(always)]
fn each_comma<B>(line: &[u8], mut f: impl FnMut(usize) -> ControlFlow<B>) -> Option<B> {
    let mut at = 0;
    while let Some(block) = block_at(line, at) {
        let mut commas = flags(block, |c| c == b',');
        while commas != 0 {
            let bit = commas.trailing_zeros();
            if let ControlFlow::Break(b) = f(at + (bit / 8) as usize) {
                return Some(b);
            }
            commas ^= 0xFF << bit;
        }
        at += BLOCK;
    }
    for (i, &c) in line.get(at..).unwrap_or(&[]).iter().enumerate() {
        if c == b',' {
            if let ControlFlow::Break(b) = f(at + i) {
                return Some(b);
            }
        }
    }
    None
}

/// Calls `f(start, end)` with the span of each comma-separated field of `line`, in order:
/// `end` is the comma after the field, or `line.len()` for the last one. A line without commas
/// is one field; an empty line is one empty field.
#[inline]
pub(super) fn for_each_field(line: &[u8], mut f: impl FnMut(usize, usize)) {
    let mut start = 0;
    each_comma::<()>(line, |comma| {
        f(start, comma);
        start = comma + 1;
        ControlFlow::Continue(())
    });
    f(start, line.len());
}

/// The `n`-th comma-separated field of `line` (from 0), what `line.split(',').nth(n)` gives,
/// found a block at a time and without looking past it (the facet and label columns of a
/// CSV payload: `split` by a `char` was 5.7 % of the one-shot bias job's CPU at 1M records).
#[inline]
pub(super) fn nth_field(line: &str, n: usize) -> Option<&str> {
    let (mut field, mut start) = (0, 0);
    let found = each_comma(line.as_bytes(), |comma| {
        if field == n {
            return ControlFlow::Break(line.get(start..comma));
        }
        field += 1;
        start = comma + 1;
        ControlFlow::Continue(())
    });
    match found {
        Some(hit) => hit,
        None if field == n => line.get(start..),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Bytes around every boundary the searches test: 0x1f/0x20, the three specials, the
    /// comma and newline, 0x7f/0x80 and 0xff (where a signed compare would go wrong).
    fn alphabet() -> impl Strategy<Value = u8> {
        prop::sample::select(vec![
            b'a', b'"', b'\\', 0x00, 0x1f, 0x20, b'!', b'#', b',', b'\n', b'\r', b'[', b']', 0x7f,
            0x80, 0xff,
        ])
    }

    /// Mostly plain bytes with a few others, so blocks without a hit are common.
    fn sparse() -> impl Strategy<Value = u8> {
        prop_oneof![6 => Just(b'x'), 1 => alphabet()]
    }

    proptest! {
        /// The block search finds what a byte-by-byte one finds, at every length and offset
        /// (several blocks and a tail).
        #[test]
        fn find_string_special_is_the_first_quote_backslash_or_control_byte(
            b in prop::collection::vec(alphabet(), 0..80),
            s in prop::collection::vec(sparse(), 0..80),
        ) {
            for b in [&b, &s] {
                let naive = b.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
                prop_assert_eq!(find_string_special(b), naive);
                let either = b.iter().position(|&c| c == b'"' || c == b'\n');
                prop_assert_eq!(find_either(b, b'"', b'\n'), either);
            }
        }

        /// The `n`-th field is `split(',').nth(n)`, at every length, past the last one too.
        #[test]
        fn the_nth_field_is_the_nth_piece_between_commas(
            b in prop::collection::vec(alphabet(), 0..80),
            s in prop::collection::vec(sparse(), 0..80),
            n in 0usize..40,
        ) {
            for b in [&b, &s] {
                let line = String::from_utf8_lossy(b);
                prop_assert_eq!(nth_field(&line, n), line.split(',').nth(n));
            }
        }

        /// The fields are those of `split(',')`, in order, at every length.
        #[test]
        fn fields_are_the_pieces_between_commas(
            b in prop::collection::vec(alphabet(), 0..80),
            s in prop::collection::vec(sparse(), 0..80),
        ) {
            for b in [&b, &s] {
                let mut spans = Vec::new();
                for_each_field(b, |start, end| spans.push((start, end)));
                let mut want = Vec::new();
                let mut start = 0;
                for piece in b.split(|&c| c == b',') {
                    want.push((start, start + piece.len()));
                    start += piece.len() + 1;
                }
                prop_assert_eq!(spans, want);
            }
        }
    }

    #[test]
    fn hits_in_the_second_block_and_in_the_tail_are_found() {
        let mut b = [b'x'; 40];
        b[21] = b'\\';
        assert_eq!(find_string_special(&b), Some(21));
        b[21] = b'x';
        b[37] = 0x1f;
        assert_eq!(find_string_special(&b), Some(37));
        b[37] = b'x';
        assert_eq!(find_string_special(&b), None);
        let mut spans = Vec::new();
        for_each_field(b",a,,bcdefghijklmnopqrstu,", |s, e| spans.push((s, e)));
        assert_eq!(spans, [(0, 0), (1, 2), (3, 3), (4, 24), (25, 25)]);
    }
}
