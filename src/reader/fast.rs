//! The fast path of mlops-lite's JSON records reader (its `json_records` module): a single
//! pass over the bytes for the records most callers send (an array of flat objects whose fields are features or `reference_id`, with
//! numbers, booleans, null and strings without escapes), which fills the [`Builder`] exactly
//! as the serde reader would. It accepts a strict subset of what that reader accepts and
//! never words an error: on anything else (an escape, a syntax or type error, a duplicate or
//! unknown field, a number out of range, too many records) it gives up, and the caller reads
//! the whole text again with the serde reader, which decides and words the error. So the
//! fast path can change speed, never results or messages; mlops-lite's `json_records`
//! tests check it against the serde reader on generated and mutated records.
//!
//! Numbers: the JSON grammar is checked here, then the literal is parsed by `core`'s
//! correctly rounded `str::parse::<f64>`, which gives serde_json's value (with
//! `float_roundtrip`) for every literal it accepts: an integer that fits `u64` or `i64` is
//! exact before its conversion, `-0` is -0.0 in both, and a literal whose value overflows
//! or underflows is left to serde_json.

use crate::{Builder, Kind};

/// Reads `bytes` into `builder` (empty) if they are in the fast path's subset; `false` when
/// not, with `builder` then in an unspecified state (the caller resets it).
pub fn read(bytes: &[u8], names: &[&str], builder: &mut Builder) -> bool {
    let mut r = Reader {
        b: bytes,
        i: 0,
        names,
        set: vec![false; names.len()],
    };
    r.records(builder).is_some()
}

struct Reader<'b, 'n> {
    b: &'b [u8],
    i: usize,
    names: &'n [&'n str],
    /// Which features the current record set.
    set: Vec<bool>,
}

impl<'b> Reader<'b, '_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn records(&mut self, builder: &mut Builder) -> Option<()> {
        self.ws();
        self.eat(b'[')?;
        self.ws();
        if self.eat(b']').is_none() {
            loop {
                builder.check_room().ok()?;
                self.record(builder)?;
                self.ws();
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
                self.ws();
            }
        }
        self.ws();
        (self.i == self.b.len()).then_some(())
    }

    fn record(&mut self, builder: &mut Builder) -> Option<()> {
        self.eat(b'{')?;
        builder.push_record();
        self.set.iter_mut().for_each(|s| *s = false);
        let mut reference_set = false;
        self.ws();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.string()?;
            self.ws();
            self.eat(b':')?;
            self.ws();
            if key == b"reference_id" {
                if reference_set {
                    return None;
                }
                reference_set = true;
                let r = self.reference()?;
                builder.set_reference(r);
            } else {
                let f = self.names.iter().position(|n| n.as_bytes() == key)?;
                if self.set[f] {
                    return None;
                }
                self.set[f] = true;
                self.value(builder, f)?;
            }
            self.ws();
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
            self.ws();
        }
    }

    /// A string without escapes or control characters: its bytes, unchecked UTF-8.
    fn string(&mut self) -> Option<&'b [u8]> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' | 0x00..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        let b = self.b;
        let s = &b[start..self.i];
        self.i += 1;
        Some(s)
    }

    fn text(&mut self) -> Option<String> {
        std::str::from_utf8(self.string()?).ok().map(str::to_string)
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.i.checked_add(word.len())?;
        (self.b.get(self.i..end)? == word).then(|| self.i = end)
    }

    /// `reference_id`'s value: a string, a non-negative integer (its digits, as serde_json
    /// writes the `u64` it reads) or null. Anything else goes to the serde reader.
    fn reference(&mut self) -> Option<Option<String>> {
        match self.peek()? {
            b'"' => Some(Some(self.text()?)),
            b'n' => self.literal(b"null").map(|()| None),
            b'0'..=b'9' => {
                let start = self.i;
                let (integer, end) = number_end(self.b, start)?;
                let digits = &self.b[start..end];
                if !integer || digits.len() > 19 {
                    return None;
                }
                self.i = end;
                // ASCII digits, no leading zero (the grammar), at most 19: a u64, as written.
                Some(Some(String::from_utf8(digits.to_vec()).ok()?))
            }
            _ => None,
        }
    }

    fn value(&mut self, builder: &mut Builder, f: usize) -> Option<()> {
        let c = self.peek()?;
        if c == b'n' {
            return self.literal(b"null");
        }
        match builder.kind(f) {
            Kind::Number => {
                let start = self.i;
                let (_, end) = number_end(self.b, start)?;
                let literal = &self.b[start..end];
                let x = match short_decimal(literal) {
                    Some(x) => x,
                    None => {
                        // Only ASCII digits, signs, '.', 'e' and 'E' were accepted: UTF-8.
                        let text = std::str::from_utf8(literal).ok()?;
                        let x: f64 = text.parse().ok()?;
                        if !x.is_finite() || (x == 0.0 && has_nonzero_digit(text)) {
                            return None;
                        }
                        x
                    }
                };
                self.i = end;
                builder.set_number(f, x);
            }
            Kind::Boolean => {
                let x = if c == b't' {
                    self.literal(b"true")?;
                    1.0
                } else {
                    self.literal(b"false")?;
                    0.0
                };
                builder.set_number(f, x);
            }
            Kind::String => {
                let s = self.text()?;
                builder.set_string(f, s);
            }
        }
        Some(())
    }
}

/// Where the JSON number starting at `start` ends, and whether it is an integer (no fraction,
/// no exponent); `None` if the bytes there are not a JSON number:
/// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
fn number_end(b: &[u8], start: usize) -> Option<(bool, usize)> {
    let digits = |mut i: usize| {
        let from = i;
        while let Some(b'0'..=b'9') = b.get(i) {
            i += 1;
        }
        (i > from).then_some(i)
    };
    let mut i = start;
    if b.get(i) == Some(&b'-') {
        i += 1;
    }
    i = match b.get(i)? {
        b'0' => i + 1,
        b'1'..=b'9' => digits(i)?,
        _ => return None,
    };
    let mut integer = true;
    if b.get(i) == Some(&b'.') {
        integer = false;
        i = digits(i + 1)?;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        integer = false;
        i += 1;
        if let Some(b'+' | b'-') = b.get(i) {
            i += 1;
        }
        i = digits(i)?;
    }
    // A digit right after "0" ("01") is no JSON number; serde_json words that error.
    match b.get(i) {
        Some(b'0'..=b'9') => None,
        _ => Some((integer, i)),
    }
}

/// Exact powers of ten as f64 (10^22 is the largest that is).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The value of a JSON number literal (grammar already checked) whose digits make an integer
/// `m` <= 2^53 and whose decimal exponent `e` is within 22 of zero, as `m * 10^e` or
/// `m / 10^-e`: one IEEE operation on two exact values, so correctly rounded (Clinger's fast
/// path, which `str::parse` also takes first), the same bits as any correct parser, without
/// the 128-bit arithmetic of the general case that WebAssembly has no instruction for.
/// `None` for every other literal (the caller parses it in full).
pub fn short_decimal(b: &[u8]) -> Option<f64> {
    let (negative, b) = match b.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, b),
    };
    let mut m: u64 = 0;
    let mut digits = 0u32;
    let mut scale: i32 = 0;
    let mut i = 0;
    let mut fraction = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                if digits > 19 {
                    return None;
                }
                m = m * 10 + u64::from(c - b'0');
                scale -= i32::from(fraction);
            }
            b'.' => fraction = true,
            _ => break,
        }
        i += 1;
    }
    if let Some(b'e' | b'E') = b.get(i) {
        let rest = &b[i + 1..];
        let (sign, rest) = match rest.split_first() {
            Some((b'-', r)) => (-1, r),
            Some((b'+', r)) => (1, r),
            _ => (1, rest),
        };
        if rest.len() > 4 {
            return None;
        }
        let mut e: i32 = 0;
        for &c in rest {
            e = e * 10 + i32::from(c - b'0');
        }
        scale += sign * e;
    }
    if m > 1 << 53 || !(-22..=22).contains(&scale) {
        return None;
    }
    let x = m as f64;
    let x = if scale >= 0 {
        x * POW10[scale as usize]
    } else {
        x / POW10[(-scale) as usize]
    };
    Some(if negative { -x } else { x })
}

/// Whether a number literal has a nonzero digit in its significand (so a value of 0 means it
/// underflowed).
fn has_nonzero_digit(text: &str) -> bool {
    text.bytes()
        .take_while(|c| !matches!(c, b'e' | b'E'))
        .any(|c| matches!(c, b'1'..=b'9'))
}
