//! Untrusted bytes as CSV prediction records (`predict --format csv`): read by the model's
//! signature into a batch and run through the pipeline.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_lite::predict;
use mlops_lite::records::Records;

fuzz_target!(|data: &[u8]| {
    for p in mlops_lite_fuzz::pipelines() {
        if let Err(e) = predict::predict(p, Records::csv(data, "fuzz.csv")) {
            let _ = e.to_string();
        }
    }
});
