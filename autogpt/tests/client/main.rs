//! Transport tests of the `client` feature against stubs on 127.0.0.1:0, plus golden fixtures.
#![cfg(feature = "client")]

mod external;
mod golden;
mod oauth;
mod stub;

use autogpt::client::Transport;
use autogpt::origin::PlatformUrl;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wire");

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

pub fn transport() -> Transport {
    Transport::new().unwrap()
}

pub fn platform(url: &str) -> PlatformUrl {
    PlatformUrl::parse(url).unwrap()
}
