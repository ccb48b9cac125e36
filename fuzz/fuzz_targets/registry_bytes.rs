//! Untrusted bytes as a whole registry file (`Registry.open` in the npm package and the page):
//! opened, then every dataset and model listed, described and pulled, each model asked to
//! predict (logged), and the log queried. Every error is fine; a panic is not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mlops_lite_fuzz::use_registry(data));
