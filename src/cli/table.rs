//! What the CLI prints for people: aligned Markdown tables in the style of the Python tool's
//! README (`DataFrame.to_markdown()`: numbers right-aligned, text left-aligned), and the one
//! place where text read from a registry is made safe for a terminal.
//!
//! Every text the CLI prints (tables, reports, error messages) goes through [`terminal_safe`]
//! (or [`json_terminal_safe`] for `--json`): control characters that a terminal would act on
//! (C0 but tab and newline, ESC, DEL, C1, and the Unicode bidirectional overrides and
//! isolates) are shown escaped, as `\x1b` or `\u{9b}`, so a description, a column name, a
//! model name or a reference id stored in a file cannot set the window title, clear the
//! screen or reorder what is shown.

use std::borrow::Cow;

pub use mlops_lite::dataset::export::is_control as is_unsafe_char;

/// `text` with every character that [`is_unsafe_char`] names escaped: `\x1b` for C0 and DEL,
/// `\u{9b}` for the others. Newlines and tabs are kept when `keep_layout` (free text whose
/// lines are ours), escaped as `\n`, `\t` and `\r` otherwise (a table cell, an error line).
pub fn terminal_safe(text: &str, keep_layout: bool) -> Cow<'_, str> {
    let keep = |c: char| keep_layout && (c == '\n' || c == '\t');
    if !text.chars().any(|c| is_unsafe_char(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if !is_unsafe_char(c) || keep(c) {
            out.push(c);
        } else {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\0'..='\x1f' | '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
                _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        }
    }
    Cow::Owned(out)
}

/// JSON text with no raw control character: see
/// [`mlops_lite::dataset::export::json_escape_controls`] (the same JSON value).
pub fn json_terminal_safe(json: &str) -> Cow<'_, str> {
    mlops_lite::dataset::export::json_escape_controls(json)
}

/// A table being filled.
pub struct Table {
    header: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Columns as (title, right-aligned).
    pub fn new(header: &[(&str, bool)]) -> Table {
        Table {
            header: header.iter().map(|(h, r)| (cell(h), *r)).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (one cell per column). `|`, line breaks, tabs and every control
    /// character are escaped ([`terminal_safe`]), so each row is one line and the widths
    /// are those shown.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells.iter().map(|c| cell(c)).collect());
    }

    /// The table as text, one line per row, ending with a newline.
    pub fn render(&self) -> String {
        let width = |s: &str| s.chars().count();
        let widths: Vec<usize> = self
            .header
            .iter()
            .enumerate()
            .map(|(i, (h, _))| {
                self.rows
                    .iter()
                    .map(|r| width(&r[i]))
                    .chain([width(h)])
                    .max()
                    .unwrap_or(0)
                    .max(3)
            })
            .collect();
        let line = |cells: &[String]| {
            let mut s = String::from("|");
            for (i, c) in cells.iter().enumerate() {
                let pad = " ".repeat(widths[i] - width(c));
                if self.header[i].1 {
                    s.push_str(&format!(" {pad}{c} |"));
                } else {
                    s.push_str(&format!(" {c}{pad} |"));
                }
            }
            s.push('\n');
            s
        };
        let titles: Vec<String> = self.header.iter().map(|(h, _)| h.clone()).collect();
        let mut out = line(&titles);
        out.push('|');
        for (i, (_, right)) in self.header.iter().enumerate() {
            if *right {
                out.push_str(&format!("{}:|", "-".repeat(widths[i] + 1)));
            } else {
                out.push_str(&format!(":{}|", "-".repeat(widths[i] + 1)));
            }
        }
        out.push('\n');
        for r in &self.rows {
            out.push_str(&line(r));
        }
        out
    }
}

/// A number for display: at most 6 decimals, no trailing zeros; empty for none.
pub fn num(x: Option<f64>) -> String {
    match x {
        None => String::new(),
        Some(x) => {
            let s = format!("{x:.6}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            if s == "-0" {
                "0".into()
            } else {
                s.to_string()
            }
        }
    }
}

/// One table cell: escaped ([`terminal_safe`]), with `|` as `\|`.
fn cell(text: &str) -> String {
    terminal_safe(text, false).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_the_rest_kept() {
        let hostile = "a\x1b]0;owned\x07b\x1b[2Jc\u{9b}31md\u{202e}e\x7f\0f\u{2066}";
        assert_eq!(
            terminal_safe(hostile, true),
            "a\\x1b]0;owned\\x07b\\x1b[2Jc\\u{9b}31md\\u{202e}e\\x7f\\x00f\\u{2066}"
        );
        assert_eq!(terminal_safe("x\ny\tz\r", true), "x\ny\tz\\r");
        assert_eq!(terminal_safe("x\ny\tz\r", false), "x\\ny\\tz\\r");
        // Printable text, accents and other scripts are left alone (and not copied).
        let plain = "petal length (cm) é 花 \u{200b}";
        assert!(matches!(terminal_safe(plain, false), Cow::Borrowed(t) if t == plain));
    }

    #[test]
    fn json_keeps_its_value_and_loses_raw_controls() {
        let value = serde_json::json!({"d": "a\x1b[2J\u{9b}\u{202e}\x7fz"});
        let text = serde_json::to_string_pretty(&value).unwrap();
        let safe = json_terminal_safe(&text);
        assert!(
            !safe.chars().any(|c| is_unsafe_char(c) && c != '\n'),
            "{safe}"
        );
        assert!(safe.contains("\\u001b[2J\\u009b\\u202e\\u007fz"), "{safe}");
        let back: serde_json::Value = serde_json::from_str(&safe).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn table_cells_are_one_line_and_aligned_as_shown() {
        let mut t = Table::new(&[("name\x1b", false), ("n", true)]);
        t.row(vec!["a|b\nc\x1b[1m".into(), "1".into()]);
        let text = t.render();
        assert_eq!(
            text,
            "| name\\x1b       |   n |\n\
             |:---------------|----:|\n\
             | a\\|b\\nc\\x1b[1m |   1 |\n"
        );
    }
}
