//! Aligned Markdown tables for the CLI, in the style of the Python tool's README
//! (`DataFrame.to_markdown()`): numbers right-aligned, text left-aligned.

/// A table being filled.
pub struct Table {
    header: Vec<(String, bool)>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// Columns as (title, right-aligned).
    pub fn new(header: &[(&str, bool)]) -> Table {
        Table {
            header: header.iter().map(|(h, r)| (h.to_string(), *r)).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (one cell per column). Line breaks and `|` in cells are escaped.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(
            cells
                .into_iter()
                .map(|c| {
                    c.replace('|', "\\|")
                        .replace('\n', "\\n")
                        .replace('\r', "\\r")
                })
                .collect(),
        );
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
