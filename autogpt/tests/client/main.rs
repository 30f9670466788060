//! Transport tests of the `client` feature against stubs on 127.0.0.1:0, plus golden fixtures,
//! for both contracts (`live_*`: the live profile; `platform`: the seam over both), and the
//! real live clients against the live sandbox started in-process (`live_sandbox_*`).
#![cfg(feature = "client")]

mod external;
mod golden;
mod live_api;
mod live_golden;
mod live_oauth;
mod live_sandbox_api;
mod live_sandbox_errors;
mod live_sandbox_oauth;
mod live_sandbox_support;
mod oauth;
mod platform;
mod stub;

use autogpt::client::Transport;
use autogpt::origin::PlatformUrl;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/wire");

pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

pub const LIVE_FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/live");

/// A literal live-profile fixture (`tests/fixtures/live/`).
pub fn live_fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{LIVE_FIXTURES}/{name}")).unwrap()
}

pub fn transport() -> Transport {
    Transport::new().unwrap()
}

pub fn platform(url: &str) -> PlatformUrl {
    PlatformUrl::parse(url).unwrap()
}
