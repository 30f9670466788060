//! The platform's canonical JSON (Python `json.dumps(sort_keys=True, separators=(",", ":"))`),
//! our own parser and printer behind the canonical-form webhook signature.
//!
//! Asserts: never panics; the output is ASCII and a fixed point (canonicalising it again gives
//! it back); every body serde_json reads is canonicalised; and, without the Python-only
//! `NaN`/`Infinity` literals, the output reads back with serde_json as the same value as the
//! body (keys sorted, last duplicate wins, strings unescaped, numbers equal as `f64` up to
//! serde_json's own rounding).
#![no_main]

use autogpt::webhook::canonical_json;
use autogpt_fuzz::same_json;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

/// Deepest nesting both sides read (serde_json stops at 128 levels, our parser after 128).
const DEPTH: usize = 120;

fuzz_target!(|body: &[u8]| {
    let ours = canonical_json(body);
    let theirs = serde_json::from_slice::<Value>(body).ok();
    if theirs.is_some() {
        assert!(ours.is_some(), "serde_json reads the body, the canonical parser refuses it");
    }
    let Some(canonical) = ours else { return };
    assert!(canonical.is_ascii(), "{canonical}");
    assert_eq!(canonical_json(canonical.as_bytes()).as_deref(), Some(canonical.as_str()), "not a fixed point");
    if has_python_literal(&canonical) || depth(&canonical) > DEPTH {
        return;
    }
    let back: Value = match serde_json::from_str(&canonical) {
        Ok(v) => v,
        // `1e400` is `Infinity` for Python; serde_json refuses the out-of-range number.
        Err(e) if e.to_string().contains("number out of range") => return,
        Err(e) => panic!("canonical output is not JSON ({e}): {canonical}"),
    };
    if let Some(theirs) = theirs {
        assert!(same_json(&theirs, &back), "canonical form changed the value: {canonical}");
    }
});

/// `NaN`, `Infinity` or `-Infinity` outside strings.
fn has_python_literal(canonical: &str) -> bool {
    let mut in_str = false;
    let mut escaped = false;
    for (i, b) in canonical.bytes().enumerate() {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
        } else if b == b'"' {
            in_str = true;
        } else if matches!(b, b'N' | b'I') && !canonical[..i].ends_with(|c: char| c.is_ascii_alphanumeric()) {
            return true;
        }
    }
    false
}

/// Bracket nesting depth, outside strings.
fn depth(canonical: &str) -> usize {
    let (mut in_str, mut escaped, mut d, mut max) = (false, false, 0usize, 0usize);
    for b in canonical.bytes() {
        if in_str {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                d += 1;
                max = max.max(d);
            }
            b']' | b'}' => d = d.saturating_sub(1),
            _ => {}
        }
    }
    max
}
