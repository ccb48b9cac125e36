//! Untrusted bytes as JSON prediction records, against models with numeric, boolean and
//! string features; records that read are run through the pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_lite::predict;
use mlops_lite::records::Records;

fuzz_target!(|data: &[u8]| {
    for p in mlops_lite_fuzz::pipelines() {
        if let Err(e) = predict::predict(p, Records::from(data)) {
            let _ = e.to_string();
        }
    }
});
