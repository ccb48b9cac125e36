//! Untrusted bytes as a CSV dataset (`dataset add x.csv`): an error is fine, a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_lite::dataset::import::Format;
use mlops_lite_fuzz::read_dataset;

fuzz_target!(|data: &[u8]| read_dataset(data, Format::Csv));
