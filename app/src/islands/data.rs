//! What a page hands to an island, without a JSON parser in the browser.
//!
//! Leptos serialises island props with `serde_json` and parses them in the browser,
//! which costs the bundle a JSON parser, float formatting and their error messages
//! (about a sixth of the WASM). So islands take no props: the page wraps an island
//! in [`IslandData`], which provides the value as context while the server renders
//! the island and writes it next to the island as postcard bytes in a
//! `<script type="application/octet-stream">` element; in the browser the island
//! reads that element back with [`island_data`].
//!
//! The bytes are percent-encoded, keeping printable ASCII as is: the text is safe
//! inside `<script>` (no `<`, `&` or `%` survive unescaped) and strings stay
//! readable in the page source, so the test suite's scans of every response for
//! tokens (checklist 35) still see them.

use leptos::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Element ids of the islands' data (one island of each kind per page).
pub mod ids {
    /// Data of [`crate::islands::connect_panel::ConnectPanel`].
    pub const CONNECT_PANEL: &str = "connect-panel-data";
    /// Data of [`crate::islands::sign_in::SignInPanel`].
    pub const SIGN_IN: &str = "sign-in-data";
    /// Data of [`crate::islands::agent_runner::AgentRunner`].
    pub const AGENT_RUNNER: &str = "agent-runner-data";
    /// Data of [`crate::islands::executions_live::ExecutionsLive`].
    pub const EXECUTIONS: &str = "executions-data";
    /// Data of [`crate::islands::run_live::RunLive`].
    pub const RUN: &str = "run-data";
}

/// Renders `children` (an island) with `value` available to it through [`island_data`].
#[component]
pub fn IslandData<T>(
    /// Element id the island reads (one of [`ids`]).
    id: &'static str,
    /// The island's data.
    value: T,
    /// The island.
    children: Children,
) -> impl IntoView
where
    T: Serialize + Clone + Send + Sync + 'static,
{
    let encoded = postcard::to_allocvec(&value).map(|bytes| encode(&bytes)).unwrap_or_default();
    provide_context(value);
    view! {
        <script type="application/octet-stream" id=id>{encoded}</script>
        {children()}
    }
}

/// The island's data: from the page's context while the server renders, from the
/// element `id` in the browser. `None` when it is missing or does not decode.
pub fn island_data<T>(id: &'static str) -> Option<T>
where
    T: DeserializeOwned + Clone + Send + Sync + 'static,
{
    if cfg!(feature = "ssr") {
        let _ = id;
        use_context::<T>()
    } else {
        let text = web_sys::window()?.document()?.get_element_by_id(id)?.text_content()?;
        decode_value(&text)
    }
}

/// The value an island reads from its element's text: [`decode`], then postcard. `None` when
/// either fails (pure, so `fuzz/`'s `island_data` target runs it natively).
pub fn decode_value<T: DeserializeOwned>(text: &str) -> Option<T> {
    postcard::from_bytes(&decode(text)?).ok()
}

/// Percent-encodes everything but printable ASCII other than `<`, `>`, `&`, `%`, quotes.
pub fn encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && !b"<>&%\"'".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

/// Reverses [`encode`]; `None` for a malformed escape.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let hex = |c: u8| char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let (hi, lo) = (hex(bytes.next()?)?, hex(bytes.next()?)?);
            out.push(hi << 4 | lo);
        } else {
            out.push(b);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_round_trips_and_nothing_html_special_survives() {
        let all: Vec<u8> = (0..=255).collect();
        let text = encode(&all);
        assert!(!text.contains(['<', '>', '&', '"', '\'']), "{text}");
        assert!(text.chars().all(|c| c.is_ascii_graphic() || c == ' '));
        assert_eq!(decode(&text).unwrap(), all);
    }

    #[test]
    fn strings_stay_readable_and_bad_escapes_are_refused() {
        assert_eq!(encode(b"grant-1 google"), "grant-1 google");
        assert_eq!(encode(b"</script>"), "%3C/script%3E");
        assert_eq!(decode("%3"), None);
        assert_eq!(decode("%zz"), None);
        assert_eq!(decode("a%41").unwrap(), b"aA");
    }

    #[test]
    fn postcard_values_survive_the_trip() {
        let grants = vec![crate::api::GrantView {
            grant_id: "g-1".into(),
            provider: "google".into(),
            scopes: vec!["gmail.readonly".into()],
        }];
        let text = encode(&postcard::to_allocvec(&grants).unwrap());
        assert!(text.contains("gmail.readonly"), "{text}");
        let back: Vec<crate::api::GrantView> = postcard::from_bytes(&decode(&text).unwrap()).unwrap();
        assert_eq!(back, grants);
    }
}
