//! Untrusted bytes as a JSON dataset (records, columns, pandas column objects).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_lite::dataset::import::Format;
use mlops_lite_fuzz::read_dataset;

fuzz_target!(|data: &[u8]| read_dataset(data, Format::Json));
