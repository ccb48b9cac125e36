//! Untrusted bytes as JSON prediction records, against models with numeric, boolean and
//! string features; parsed records are run through the pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_lite::predict;

fuzz_target!(|data: &[u8]| {
    for p in mlops_lite_fuzz::pipelines() {
        if let Ok(batch) = predict::parse_records(data, p) {
            let _ = predict::run(p, &batch);
        }
    }
});
