//! Untrusted bytes as a model artifact (a pipeline stored as data): refused, or a pipeline
//! that predicts rows without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mlops_lite::pipeline::Pipeline;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = Pipeline::from_artifact(data) {
        mlops_lite_fuzz::exercise(&p);
    }
});
