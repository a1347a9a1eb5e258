//! Writing JSON values straight into a buffer, the same bytes serde_json writes (tested
//! against it): strings escaped eight bytes at a time, and numbers rounded to a few decimals
//! written as the integers they are. Used where reports serialise most of their bytes.

use std::io::Write;

/// Append `x` as serde_json writes an `f64`. For a whole number of `10^-digits` (`digits` ≤
/// 6), 0 or from 0.001 to 10⁶, that is the decimal with its trailing zeros dropped (`0.25`,
/// `1.0`): the decimals with that many places are much further apart than the `f64`s near
/// them, so that decimal is the shortest that reads back as `x` (smaller numbers are written
/// with an exponent). Anything else is left to serde_json.
#[inline]
pub(super) fn push_decimal(out: &mut Vec<u8>, digits: u32, x: f64) {
    debug_assert!(digits <= 6);
    let scale = 10u64.pow(digits);
    let k = (x * scale as f64).round();
    if ((k == 0.0 && x.is_sign_positive()) || (0.001..=1e6).contains(&x))
        && k <= 1e6 * scale as f64
        && k / scale as f64 == x
    {
        let k = k as u64;
        let (whole, mut frac) = (k / scale, k % scale);
        if whole < 10 {
            out.extend_from_slice(&[b'0' + whole as u8, b'.']);
        } else {
            write!(out, "{whole}.").expect("in memory");
        }
        if frac == 0 {
            out.push(b'0');
            return;
        }
        let mut buf = [b'0'; 6];
        let d = &mut buf[..digits as usize];
        for c in d.iter_mut().rev() {
            *c = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        let n = d.len() - d.iter().rev().take_while(|&&c| c == b'0').count();
        out.extend_from_slice(&d[..n]);
    } else {
        serde_json::to_writer(&mut *out, &x).expect("a number serialises");
    }
}

/// Append `s` as a JSON string, escaped as serde_json escapes it (`\"`, `\\`, `\b`, `\f`,
/// `\n`, `\r`, `\t`, other control characters as `\u00xx`); with `SCRIPT`, `<` is also
/// written `\u003c`, so the string cannot close a `<script>` element. Eight bytes at a time
/// are tested for a byte to escape, and the runs between them copied whole.
pub(super) fn push_json_str<const SCRIPT: bool>(out: &mut Vec<u8>, s: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    /// Whether a byte of `w` is below 0x20, `"`, `\\` or (with `SCRIPT`) `<`: the tests for a
    /// zero byte and for a byte below 0x20 have no false positives for a word as a whole.
    #[inline(always)]
    fn special<const SCRIPT: bool>(w: u64) -> bool {
        let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGHS;
        let below = w.wrapping_sub(ONES * 0x20) & !w & HIGHS;
        let lt = if SCRIPT {
            zero(w ^ (ONES * b'<' as u64))
        } else {
            0
        };
        (below | zero(w ^ (ONES * b'"' as u64)) | zero(w ^ (ONES * b'\\' as u64)) | lt) != 0
    }
    let b = s.as_bytes();
    out.reserve(b.len() + 2);
    out.push(b'"');
    let mut run = 0; // start of the bytes not yet copied
    let mut i = 0;
    while i < b.len() {
        if i + 8 <= b.len() {
            let w = u64::from_le_bytes(b[i..i + 8].try_into().expect("eight bytes"));
            if !special::<SCRIPT>(w) {
                i += 8;
                continue;
            }
        }
        let c = b[i];
        let esc: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'<' if SCRIPT => b"\\u003c",
            0x08 => b"\\b",
            0x09 => b"\\t",
            0x0A => b"\\n",
            0x0C => b"\\f",
            0x0D => b"\\r",
            0..=0x1F => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&b[run..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let (hi, lo) = (HEX[(c >> 4) as usize], HEX[(c & 15) as usize]);
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hi, lo]);
        } else {
            out.extend_from_slice(esc);
        }
        i += 1;
        run = i;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

/// Append `items` to `out` between `brackets` (`[]` or `{}`), separated by commas, each
/// written by `each`.
pub(super) fn seq<T>(
    out: &mut Vec<u8>,
    brackets: &[u8; 2],
    items: impl IntoIterator<Item = T>,
    mut each: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(brackets[0]);
    for (k, x) in items.into_iter().enumerate() {
        if k > 0 {
            out.push(b',');
        }
        each(out, x);
    }
    out.push(brackets[1]);
}

#[cfg(test)]
mod tests {
    use super::*;

    const ODD: &str =
        "tab\there \"q\" back\\slash </script> \u{1} \u{7f} \u{1f} é 中文 \r\n\u{8}\u{c}<<";

    #[test]
    fn strings_are_what_serde_json_writes() {
        let check = |s: &str| {
            let (mut plain, mut script) = (Vec::new(), Vec::new());
            push_json_str::<false>(&mut plain, s);
            push_json_str::<true>(&mut script, s);
            let want = serde_json::to_string(s).unwrap();
            assert_eq!(String::from_utf8(plain).unwrap(), want, "{s:?}");
            assert_eq!(
                String::from_utf8(script).unwrap(),
                want.replace('<', "\\u003c")
            );
        };
        // every piece of the odd bytes, so each falls at every place in a word
        for n in 0..=ODD.len() {
            for s in [ODD.get(n..), ODD.get(..n)].into_iter().flatten() {
                check(s);
            }
        }
        for c in 0u8..=127 {
            check(&format!("abcdefgh{}ijklmnop{}", c as char, c as char));
        }
        check("");
    }

    #[test]
    fn decimals_are_what_serde_json_writes() {
        for digits in [3, 4, 6] {
            let scale = 10f64.powi(digits as i32);
            let step = if digits == 6 { 7 } else { 1 };
            for k in (0..=2 * scale as u64).step_by(step) {
                let x = (k as f64 / scale * scale).round() / scale;
                let mut fast = Vec::new();
                push_decimal(&mut fast, digits, x);
                assert_eq!(fast, serde_json::to_vec(&x).unwrap(), "{x}");
            }
        }
        for x in [
            0.00005,
            1e-9,
            -0.0,
            0.0009,
            0.001,
            -0.25,
            2.5e9,
            1234.5,
            f64::NAN,
            1.0 / 3.0,
        ] {
            for digits in [3, 4, 6] {
                let mut fast = Vec::new();
                push_decimal(&mut fast, digits, x);
                assert_eq!(fast, serde_json::to_vec(&x).unwrap(), "{x}");
            }
        }
    }
}
