//! Reading records into columns: the [`Builder`] every text source of mlops-lite's
//! `records` module fills (JSON, CSV, logged rows), and the fast path of its JSON records
//! reader ([`fast`]), which takes the common records in one pass and leaves everything else
//! (and every error) to the serde reader in mlops-lite's `json_records` module.
//!
//! A crate of its own only so that the size-optimised WebAssembly build can compile these
//! loops for speed (Cargo.toml's `[profile.wasm-release.package.mlops-lite-reader]`):
//! opt-level is set per crate. No dependencies; mlops-lite is its only user.

pub mod fast;

/// The most records one call may carry.
pub const MAX_BATCH_RECORDS: usize = 1_000_000;

/// Cells (records x features) a batch read from text may hold whatever its input: a record
/// that leaves every feature out (`{}`) still takes one cell per feature, so the input's size
/// alone does not bound the batch's memory.
pub const BATCH_CELLS_BASE: usize = 1_000_000;

/// Cells a batch read from text may hold per byte of input, on top of [`BATCH_CELLS_BASE`]:
/// memory stays within about 8 bytes per cell (more for string features), so a batch costs
/// at most about 32 bytes per input byte plus 8 MB.
pub const BATCH_CELLS_PER_BYTE: usize = 4;

/// The kind a signature feature takes.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    /// A number (null: NaN).
    Number,
    /// A boolean, read as 1 or 0 (null: NaN).
    Boolean,
    /// Text.
    String,
}

impl Kind {
    /// What a value of this kind may be, for messages.
    pub fn expected(self) -> &'static str {
        match self {
            Kind::Number => "a number or null",
            Kind::Boolean => "true, false or null",
            Kind::String => "a string or null",
        }
    }
}

/// A batch being read record by record (JSON, CSV, logged rows): one column per feature.
pub struct Builder {
    kinds: Vec<Kind>,
    numbers: Vec<Vec<f64>>,
    strings: Vec<Vec<Option<String>>>,
    reference_ids: Vec<Option<String>>,
    any_reference: bool,
    len: usize,
    max_cells: usize,
}

impl Builder {
    /// A builder for features of `kinds`, with room reserved for `expect` records (at most
    /// [`MAX_BATCH_RECORDS`]), refusing more than `max_cells` cells.
    pub fn new(kinds: Vec<Kind>, expect: usize, max_cells: usize) -> Builder {
        let expect = expect.min(MAX_BATCH_RECORDS);
        let per_column = expect.min(max_cells / kinds.len().max(1));
        Builder {
            numbers: kinds
                .iter()
                .map(|k| match k {
                    Kind::String => Vec::new(),
                    _ => Vec::with_capacity(per_column),
                })
                .collect(),
            strings: kinds.iter().map(|_| Vec::new()).collect(),
            kinds,
            reference_ids: Vec::new(),
            any_reference: false,
            len: 0,
            max_cells,
        }
    }

    /// Back to no records, keeping the memory reserved.
    pub fn reset(&mut self) {
        self.numbers.iter_mut().for_each(Vec::clear);
        self.strings.iter_mut().for_each(Vec::clear);
        self.reference_ids.clear();
        self.any_reference = false;
        self.len = 0;
    }

    /// Room for one more record, or the message saying why not.
    pub fn check_room(&self) -> std::result::Result<(), String> {
        if self.len == MAX_BATCH_RECORDS {
            return Err(format!(
                "more than {MAX_BATCH_RECORDS} records in one batch; split it"
            ));
        }
        let cells = (self.len + 1).saturating_mul(self.kinds.len().max(1));
        if cells > self.max_cells {
            return Err(format!(
                "{} records of {} features make more than {} cells ({BATCH_CELLS_BASE} plus \
                 {BATCH_CELLS_PER_BYTE} per byte of input); send the records in smaller batches",
                self.len + 1,
                self.kinds.len(),
                self.max_cells
            ));
        }
        Ok(())
    }

    /// Starts a record: every feature null, no reference id.
    pub fn push_record(&mut self) {
        for (j, k) in self.kinds.iter().enumerate() {
            match k {
                Kind::String => self.strings[j].push(None),
                _ => self.numbers[j].push(f64::NAN),
            }
        }
        self.reference_ids.push(None);
        self.len += 1;
    }

    /// Sets feature `j` of the current record.
    pub fn set_number(&mut self, j: usize, x: f64) {
        if let Some(slot) = self.numbers[j].last_mut() {
            *slot = x;
        }
    }

    /// Sets string feature `j` of the current record.
    pub fn set_string(&mut self, j: usize, s: String) {
        if let Some(slot) = self.strings[j].last_mut() {
            *slot = Some(s);
        }
    }

    /// Sets the current record's reference id.
    pub fn set_reference(&mut self, r: Option<String>) {
        self.any_reference |= r.is_some();
        if let Some(slot) = self.reference_ids.last_mut() {
            *slot = r;
        }
    }

    /// Records read so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no record was read.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The kind of feature `j`.
    pub fn kind(&self, j: usize) -> Kind {
        self.kinds[j]
    }

    /// What was read: per feature its kind and its numbers (numbers and booleans, NaN for
    /// null) or strings; the reference ids, one per record or none when no record has one.
    pub fn into_parts(self) -> Parts {
        Parts {
            len: self.len,
            columns: self
                .kinds
                .into_iter()
                .zip(self.numbers.into_iter().zip(self.strings))
                .collect(),
            reference_ids: if self.any_reference {
                self.reference_ids
            } else {
                Vec::new()
            },
        }
    }
}

/// What a [`Builder`] read.
pub struct Parts {
    /// Records.
    pub len: usize,
    /// Per feature: its kind, its numbers (empty for a string feature) and its strings
    /// (empty for a number or boolean feature).
    #[allow(clippy::type_complexity)]
    pub columns: Vec<(Kind, (Vec<f64>, Vec<Option<String>>))>,
    /// One per record, or empty when no record has one.
    pub reference_ids: Vec<Option<String>>,
}
