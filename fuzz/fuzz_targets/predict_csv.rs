//! Untrusted bytes as CSV prediction records (`predict --format csv`): converted by the
//! model's signature, then parsed and run like JSON records.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_lite::predict;

fuzz_target!(|data: &[u8]| {
    for p in mlops_lite_fuzz::pipelines() {
        if let Ok(records) = predict::records_from_csv(data, "fuzz.csv", p) {
            match predict::parse_records(&records.json, p) {
                Ok(batch) => {
                    let _ = predict::run(p, &batch);
                }
                Err(e) => {
                    let _ = records.locate(e);
                }
            }
        }
    }
});
