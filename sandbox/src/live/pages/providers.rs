//! The wizard's `providers` parameter as the page reads it: `URLSearchParams` has already
//! percent-decoded it (a literal `+` became a space), `atob` decodes standard Base64 with the
//! forgiving algorithm (ASCII whitespace dropped, so that space silently corrupts the payload;
//! `-`/`_` fail), one character per byte, then `JSON.parse` and a filter keeping objects with a
//! string `provider`. Anything that fails is an empty list: "No providers specified".

use serde_json::Value;

/// One provider card the wizard shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRequest {
    /// Lower-cased provider name (`github`, `google`…).
    pub provider: String,
    /// Provider-native scopes a credential must carry (empty = provider defaults).
    pub scopes: Vec<String>,
}

/// `atob`: WHATWG forgiving-base64 decode.
pub fn atob(data: &str) -> Option<Vec<u8>> {
    let mut s: Vec<u8> = data.bytes().filter(|b| !matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')).collect();
    if s.len().is_multiple_of(4) {
        if s.ends_with(b"==") {
            s.truncate(s.len() - 2);
        } else if s.ends_with(b"=") {
            s.truncate(s.len() - 1);
        }
    }
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for b in s {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The provider list of the wizard; duplicates of one provider become one card with the
/// union of their scopes.
pub fn decode(raw: &str) -> Vec<ProviderRequest> {
    let Some(bytes) = atob(raw) else {
        return Vec::new();
    };
    // `atob` yields one UTF-16 unit per byte: non-ASCII UTF-8 turns into mojibake, as in the browser.
    let text: String = bytes.iter().map(|b| char::from(*b)).collect();
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(&text) else {
        return Vec::new();
    };
    let mut out: Vec<ProviderRequest> = Vec::new();
    for item in items {
        let Some(provider) = item.get("provider").and_then(Value::as_str).map(str::to_ascii_lowercase) else {
            continue;
        };
        if provider.is_empty() {
            continue;
        }
        let scopes: Vec<String> = item
            .get("scopes")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default();
        match out.iter_mut().find(|p| p.provider == provider) {
            Some(p) => {
                for s in scopes {
                    if !p.scopes.contains(&s) {
                        p.scopes.push(s);
                    }
                }
            }
            None => out.push(ProviderRequest { provider, scopes }),
        }
    }
    out
}

/// The label the page shows for a provider.
pub fn display_name(provider: &str) -> String {
    match provider {
        "github" => "GitHub".into(),
        "google" => "Google".into(),
        "notion" => "Notion".into(),
        "linear" => "Linear".into(),
        "openai" => "OpenAI".into(),
        "twitter" => "Twitter".into(),
        "slack" => "Slack".into(),
        "hubspot" => "HubSpot".into(),
        other => crate::live::pages::cards::title_case(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn standard_base64_json_array() {
        let raw = b64(r#"[{"provider":"github","scopes":["repo","read:user"]},{"provider":"google"},{"x":1},"y"]"#);
        assert_eq!(
            decode(&raw),
            [
                ProviderRequest { provider: "github".into(), scopes: vec!["repo".into(), "read:user".into()] },
                ProviderRequest { provider: "google".into(), scopes: vec![] },
            ]
        );
    }

    /// A JSON payload whose standard Base64 contains `+` (only a `~` or `>` as the third byte of a
    /// group yields one in ASCII text).
    pub fn payload_with_plus() -> (String, String) {
        for pad in 0..3 {
            let json =
                format!(r#"[{{"provider":"github","scopes":["{}~repo"]}},{{"provider":"notion"}}]"#, "x".repeat(pad));
            let encoded = b64(&json);
            if encoded.contains('+') {
                return (json, encoded);
            }
        }
        unreachable!("one of three alignments puts the ~ in third position")
    }

    #[test]
    fn base64url_garbage_and_plus_turned_space_fail() {
        let (_, std) = payload_with_plus();
        assert_eq!(decode(&std).len(), 2);
        let url = std.replace('+', "-").replace('/', "_");
        assert_eq!(decode(&url), []);
        assert_eq!(decode("not base64!"), []);
        assert_eq!(decode(&b64("{\"provider\":\"github\"}")), []);
        // URLSearchParams turns a literal + into a space; atob drops it: the payload is corrupt.
        assert_eq!(decode(&std.replace('+', " ")), []);
    }

    #[test]
    fn atob_is_forgiving_about_padding_and_whitespace() {
        assert_eq!(atob("YQ==").unwrap(), b"a");
        assert_eq!(atob("YQ").unwrap(), b"a");
        assert_eq!(atob(" Y Q = = ").unwrap(), b"a");
        assert!(atob("Y").is_none());
        assert!(atob("YQ=").is_none());
    }
}
