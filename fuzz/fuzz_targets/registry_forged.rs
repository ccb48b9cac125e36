//! A genuine registry with cells forged by the fuzz input (see `forge_registry`): opened,
//! listed, described, pulled, predicted with, its log queried and the whole file verified.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mlops_lite_fuzz::forge_registry(data));
