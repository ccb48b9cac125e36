//! Writing datasets as CSV or JSON.
//!
//! CSV: a header, then one line per row; nulls are empty cells, booleans `True`/`False`
//! (as pandas writes them), floats in the shortest form that reads back to the same bits and
//! always with a `.` or an exponent, so they read back as floats. Reading that CSV again gives
//! the same md5 for any dataset that came from CSV. JSON: an array of records, keys in column
//! order, typed values and `null`; it round-trips every dataset exactly.

use std::io::Write;

use super::{Dataset, Values};
use crate::error::{Error, Result};

/// Writes `data` as CSV to `out`.
pub fn write_csv<W: Write>(data: &Dataset, out: W) -> Result<()> {
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
                    Some(s) => serde_json::to_writer(&mut out, s)
                        .map_err(|e| Error::io("<output>", e.into()))?,
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
}
