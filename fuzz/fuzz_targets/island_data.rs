//! What an island reads from its `<script type="application/octet-stream">` element
//! (`app::islands::data`): the percent-decoding, then postcard into each island's data type.
//!
//! Asserts: never panics (a page edited by an extension or a proxy must not crash an island);
//! `decode(encode(bytes))` is the bytes for any bytes, and `encode` never lets `<`, `>`, `&`,
//! quotes or `%` through unescaped; every value an island accepts survives the trip back
//! (postcard, encode, decode, postcard) unchanged.
#![no_main]

use app::islands::agent_runner::AgentRunnerData;
use app::islands::connect_panel::ConnectPanelData;
use app::islands::data::{decode, decode_value, encode};
use app::islands::executions_live::ExecutionsData;
use app::islands::run_live::RunLiveData;
use app::islands::sign_in::SignInData;
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str) {
    let Some(value) = decode_value::<T>(text) else { return };
    let bytes = postcard::to_allocvec(&value).expect("island data serializes");
    assert_eq!(decode_value::<T>(&encode(&bytes)).as_ref(), Some(&value));
}

fuzz_target!(|data: &[u8]| {
    let text = encode(data);
    assert!(!text.contains(['<', '>', '&', '"', '\'']), "{text}");
    assert!(text.bytes().all(|b| (0x20..0x7f).contains(&b)), "{text}");
    assert_eq!(decode(&text).as_deref(), Some(data));

    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(bytes) = decode(text) {
        assert_eq!(decode(&encode(&bytes)), Some(bytes));
    }
    round_trip::<SignInData>(text);
    round_trip::<RunLiveData>(text);
    round_trip::<AgentRunnerData>(text);
    round_trip::<ConnectPanelData>(text);
    round_trip::<ExecutionsData>(text);
});
