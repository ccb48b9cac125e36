//! Writing datasets as CSV or JSON, and CSV for people (spreadsheets).
//!
//! CSV: a header, then one line per row; nulls are empty cells, booleans `True`/`False`
//! (as pandas writes them), floats in the shortest form that reads back to the same bits and
//! always with a `.` or an exponent, so they read back as floats. Reading that CSV again gives
//! the same md5 for any dataset that came from CSV. JSON: an array of records, keys in column
//! order, typed values and `null`; it round-trips every dataset exactly. Strings are escaped
//! as serde_json does, and DEL, C1 and bidi controls as `\uXXXX` too
//! ([`json_escape_controls`]), so the JSON shown on a terminal cannot drive it.
//!
//! CSV for people ([`CsvOptions::escape_formulas`], [`write_people_record`]; used by
//! `dataset pull --escape-formulas` and by [`crate::log::to_csv`]: `log export` and the
//! page's log export)
//! follows OWASP's advice on CSV injection: a text cell that begins with `=`, `+`, `-`, `@`,
//! tab or carriage return ([`FORMULA_TRIGGERS`]) is written with a `'` in front and in double
//! quotes, so a spreadsheet shows it as text instead of running it as a formula. Numbers stay
//! numbers: typed numeric cells are never changed, and neither is a text cell that is a plain
//! decimal number such as `-1.5` or `+3e2` (a spreadsheet reads it as that number; no formula
//! fits in it). That output no longer round-trips those cells exactly; plain `dataset pull`
//! does.

use std::borrow::Cow;
use std::io::Write;

use super::{Dataset, Values};
use crate::error::{Error, Result};

/// The characters that make a spreadsheet read a cell beginning with them as a formula
/// (OWASP, "CSV Injection").
pub const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet would read the text cell `text` as a formula: it begins with one of
/// [`FORMULA_TRIGGERS`] and is not a plain decimal number (`-2`, `+.5`, `-1e-3`).
pub fn is_formula_like(text: &str) -> bool {
    text.starts_with(FORMULA_TRIGGERS) && !is_plain_number(text)
}

/// `[+-]?(digits[.digits?] | .digits)([eE][+-]?digits)?`, nothing else.
fn is_plain_number(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let digits = |i: &mut usize| {
        let start = *i;
        while b.get(*i).is_some_and(u8::is_ascii_digit) {
            *i += 1;
        }
        *i - start
    };
    let mut mantissa = digits(&mut i);
    if b.get(i) == Some(&b'.') {
        i += 1;
        mantissa += digits(&mut i);
    }
    if mantissa == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// `text` with a `'` in front when it [is formula-like](is_formula_like), else unchanged.
pub fn neutralise_formula(text: &str) -> Cow<'_, str> {
    if is_formula_like(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// One cell of CSV for people.
#[derive(Clone, Copy, Debug)]
pub enum Cell<'a> {
    /// Text: neutralised when formula-like.
    Text(&'a str),
    /// A number (or any value we formatted ourselves): written as it is.
    Number(&'a str),
}

/// Appends one CSV record of `cells` and a `\n` to `out`, as CSV for people: RFC 4180
/// quoting (a cell holding `,`, `"`, CR or LF is quoted, `"` doubled), and every formula-like
/// text cell written as `'` + text, in quotes.
pub fn write_people_record(out: &mut Vec<u8>, cells: &[Cell<'_>]) {
    for (i, cell) in cells.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let (text, force) = match *cell {
            Cell::Text(t) if is_formula_like(t) => (neutralise_formula(t), true),
            Cell::Text(t) | Cell::Number(t) => (Cow::Borrowed(t), false),
        };
        // A record of one empty cell is written `""`, so that it is not a blank line.
        let quote =
            force || text.contains([',', '"', '\r', '\n']) || (cells.len() == 1 && text.is_empty());
        if quote {
            out.push(b'"');
            out.extend_from_slice(text.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(text.as_bytes());
        }
    }
    out.push(b'\n');
}

/// How [`write_csv_with`] writes.
#[derive(Clone, Copy, Debug, Default)]
pub struct CsvOptions {
    /// CSV for people: formula-like column names and text cells neutralised (see the module
    /// note). Off by default, which keeps exact round trips.
    pub escape_formulas: bool,
}

/// Writes `data` as CSV to `out`.
pub fn write_csv<W: Write>(data: &Dataset, out: W) -> Result<()> {
    write_csv_with(data, out, CsvOptions::default())
}

/// Writes `data` as CSV to `out`, as `options` say.
pub fn write_csv_with<W: Write>(data: &Dataset, out: W, options: CsvOptions) -> Result<()> {
    if options.escape_formulas {
        return write_people_csv(data, out);
    }
    let mut w = csv::WriterBuilder::new().from_writer(out);
    let err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io("<output>", io),
        other => Error::InvalidArgument(format!("writing CSV failed: {other:?}")),
    };
    w.write_record(data.columns().iter().map(|c| c.name.as_bytes()))
        .map_err(err)?;
    let mut ints: Vec<itoa::Buffer> = (0..data.columns().len())
        .map(|_| itoa::Buffer::new())
        .collect();
    let mut floats: Vec<ryu::Buffer> = (0..data.columns().len())
        .map(|_| ryu::Buffer::new())
        .collect();
    for r in 0..data.rows() {
        let mut record = csv::ByteRecord::new();
        for (i, c) in data.columns().iter().enumerate() {
            // Borrow splitting: each column has its own formatting buffer.
            let field: &[u8] = match &c.values {
                Values::Integer(v) => match v[r] {
                    Some(x) => ints[i].format(x).as_bytes(),
                    None => b"",
                },
                Values::Float(v) => {
                    if v[r].is_nan() {
                        b""
                    } else {
                        floats[i].format_finite(v[r]).as_bytes()
                    }
                }
                Values::Boolean(v) => match v[r] {
                    Some(true) => b"True",
                    Some(false) => b"False",
                    None => b"",
                },
                Values::String(v) => v[r].as_deref().unwrap_or("").as_bytes(),
            };
            record.push_field(field);
        }
        w.write_byte_record(&record).map_err(err)?;
    }
    w.flush()
        .map_err(|e| Error::InvalidArgument(format!("writing CSV failed: {e}")))?;
    Ok(())
}

/// [`write_csv`] as CSV for people, through [`write_people_record`]; the same cells but for
/// neutralised text (and quoting where the csv crate would not need it).
fn write_people_csv<W: Write>(data: &Dataset, out: W) -> Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let io = |e: std::io::Error| Error::io("<output>", e);
    let mut line = Vec::new();
    let names: Vec<Cell<'_>> = data
        .columns()
        .iter()
        .map(|c| Cell::Text(c.name.as_str()))
        .collect();
    write_people_record(&mut line, &names);
    out.write_all(&line).map_err(io)?;
    let mut ints = itoa::Buffer::new();
    let mut floats = ryu::Buffer::new();
    let mut texts: Vec<String> = Vec::with_capacity(data.columns().len());
    for r in 0..data.rows() {
        // Numbers are formatted into owned strings first (one buffer each would not outlive
        // the loop over columns); text cells are borrowed.
        texts.clear();
        for c in data.columns() {
            texts.push(match &c.values {
                Values::Integer(v) => v[r].map(|x| ints.format(x).to_owned()).unwrap_or_default(),
                Values::Float(v) if v[r].is_nan() => String::new(),
                Values::Float(v) => floats.format_finite(v[r]).to_owned(),
                Values::Boolean(v) => match v[r] {
                    Some(true) => "True".into(),
                    Some(false) => "False".into(),
                    None => String::new(),
                },
                Values::String(_) => String::new(),
            });
        }
        let cells: Vec<Cell<'_>> = data
            .columns()
            .iter()
            .zip(&texts)
            .map(|(c, t)| match &c.values {
                Values::String(v) => Cell::Text(v[r].as_deref().unwrap_or("")),
                _ => Cell::Number(t),
            })
            .collect();
        line.clear();
        write_people_record(&mut line, &cells);
        out.write_all(&line).map_err(io)?;
    }
    out.flush().map_err(io)
}

/// JSON text (as serde_json writes it, which escapes C0 controls) with DEL, the C1 controls
/// and the Unicode bidirectional overrides and isolates (U+202A..U+202E, U+2066..U+2069)
/// written as `\uXXXX` escapes too: the same JSON value, but none of the characters a
/// terminal acts on is left raw. Outside strings JSON text is ASCII with no control but
/// whitespace, so replacing characters anywhere in it is safe.
pub fn json_escape_controls(json: &str) -> Cow<'_, str> {
    let raw = |c: char| is_control(c) && !matches!(c, '\t' | '\n' | '\r');
    if !json.chars().any(raw) {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if raw(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether a terminal would act on `c` rather than show it: C0 controls, DEL, C1 controls,
/// and the bidirectional embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069).
pub fn is_control(c: char) -> bool {
    matches!(c, '\0'..='\x1f' | '\x7f'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Writes `data` as a JSON array of records to `out`.
pub fn write_json<W: Write>(data: &Dataset, out: W) -> Result<()> {
    let mut out = std::io::BufWriter::new(out);
    let io = |e: std::io::Error| Error::io("<output>", e);
    let keys: Vec<String> = data
        .columns()
        .iter()
        .map(|c| serde_json::to_string(&c.name).expect("strings serialize"))
        .collect();
    let mut fbuf = ryu::Buffer::new();
    out.write_all(b"[").map_err(io)?;
    for r in 0..data.rows() {
        out.write_all(if r == 0 { b"\n{" } else { b",\n{" })
            .map_err(io)?;
        for (i, c) in data.columns().iter().enumerate() {
            if i > 0 {
                out.write_all(b", ").map_err(io)?;
            }
            out.write_all(keys[i].as_bytes()).map_err(io)?;
            out.write_all(b": ").map_err(io)?;
            match &c.values {
                Values::Integer(v) => match v[r] {
                    Some(x) => write!(out, "{x}").map_err(io)?,
                    None => out.write_all(b"null").map_err(io)?,
                },
                Values::Float(v) => {
                    if v[r].is_nan() {
                        out.write_all(b"null").map_err(io)?
                    } else {
                        out.write_all(fbuf.format_finite(v[r]).as_bytes())
                            .map_err(io)?
                    }
                }
                Values::Boolean(v) => match v[r] {
                    Some(b) => write!(out, "{b}").map_err(io)?,
                    None => out.write_all(b"null").map_err(io)?,
                },
                Values::String(v) => match &v[r] {
                    // The common case (no control character) is written without a copy.
                    Some(s) if !s.chars().any(is_control) => serde_json::to_writer(&mut out, s)
                        .map_err(|e| Error::io("<output>", e.into()))?,
                    Some(s) => {
                        let text = serde_json::to_string(s).map_err(|e| {
                            Error::InvalidArgument(format!("cannot write JSON: {e}"))
                        })?;
                        out.write_all(json_escape_controls(&text).as_bytes())
                            .map_err(io)?
                    }
                    None => out.write_all(b"null").map_err(io)?,
                },
            }
        }
        out.write_all(b"}").map_err(io)?;
    }
    out.write_all(b"\n]\n").map_err(io)?;
    out.flush().map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::import::{read, Format, Input};
    use super::*;

    fn roundtrip(text: &str, format: Format) -> (Dataset, Dataset) {
        let d = read(
            Input::Bytes {
                bytes: text.as_bytes(),
                label: "in",
            },
            format,
            &mut |_, _| {},
        )
        .unwrap();
        let mut buf = Vec::new();
        match format {
            Format::Csv => write_csv(&d, &mut buf).unwrap(),
            Format::Json => write_json(&d, &mut buf).unwrap(),
        }
        let back = read(
            Input::Bytes {
                bytes: &buf,
                label: "out",
            },
            format,
            &mut |_, _| {},
        )
        .unwrap();
        (d, back)
    }

    #[test]
    fn csv_roundtrip_keeps_types_and_bits() {
        let (a, b) = roundtrip(
            "i,f,b,s\n1,1.0,true,\"x,y\"\n,0.1,,\n-3,1e300,False,z\n",
            Format::Csv,
        );
        assert_eq!(a, b);
        assert_eq!(a.md5(), b.md5());
    }

    #[test]
    fn json_roundtrip_is_exact_even_for_numeric_strings() {
        let (a, b) = roundtrip(
            r#"[{"s": "5", "e": "", "f": 2.5e-10, "b": false}, {"s": null, "e": "x", "f": null, "b": null}]"#,
            Format::Json,
        );
        assert_eq!(a, b);
        assert_eq!(a.md5(), b.md5());
    }

    #[test]
    fn formula_triggers_are_neutralised_and_numbers_are_not() {
        for t in [
            "=1+2",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
            "-",
            "+",
            "=",
            "-1e",
            "--1",
            "-1-1",
            "-.",
            "+1,2",
        ] {
            assert!(is_formula_like(t), "{t:?}");
            assert_eq!(neutralise_formula(t), format!("'{t}"));
        }
        for t in [
            "", "-1", "+1", "-1.5", "+.5", "-5.", "-1e-3", "+3E+2", "1=1", "a-b", "'=1", " =1", "x",
        ] {
            assert!(!is_formula_like(t), "{t:?}");
            assert_eq!(neutralise_formula(t), t);
        }
    }

    #[test]
    fn people_records_quote_neutralised_cells_and_read_back() {
        let cells = [
            Cell::Number("-3"),
            Cell::Text("=HYPERLINK(\"http://x\",\"y\")"),
            Cell::Text("@a,b"),
            Cell::Text("plain"),
            Cell::Text("-7"),
            Cell::Text("line\nbreak"),
            Cell::Text(""),
        ];
        let mut out = Vec::new();
        write_people_record(&mut out, &cells);
        assert_eq!(
            String::from_utf8(out.clone()).unwrap(),
            "-3,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",\"'@a,b\",plain,-7,\"line\nbreak\",\n"
        );
        let mut r = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(&out[..]);
        let record = r.records().next().unwrap().unwrap();
        let back: Vec<&str> = record.iter().collect();
        assert_eq!(
            back,
            [
                "-3",
                "'=HYPERLINK(\"http://x\",\"y\")",
                "'@a,b",
                "plain",
                "-7",
                "line\nbreak",
                ""
            ]
        );
        let mut one = Vec::new();
        write_people_record(&mut one, &[Cell::Text("")]);
        assert_eq!(one, b"\"\"\n");
    }

    #[test]
    fn escaped_dataset_csv_neutralises_text_only() {
        let text = "n,s,=h\n-1,=1+2,x\n2,-3,@y\n,\"a,b\",\n";
        let d = read(
            Input::Bytes {
                bytes: text.as_bytes(),
                label: "in",
            },
            Format::Csv,
            &mut |_, _| {},
        )
        .unwrap();
        let mut plain = Vec::new();
        write_csv(&d, &mut plain).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), text);
        let mut people = Vec::new();
        write_csv_with(
            &d,
            &mut people,
            CsvOptions {
                escape_formulas: true,
            },
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(people).unwrap(),
            "n,s,\"'=h\"\n-1,\"'=1+2\",x\n2,-3,\"'@y\"\n,\"a,b\",\n"
        );
    }
}
