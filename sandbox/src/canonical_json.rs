//! Python `json.dumps` emulation: the platform code signs
//! `json.dumps(payload, sort_keys=True, separators=(",",":"))` (ensure_ascii, Python float repr)
//! and sends the body the way httpx serialises it.

use serde_json::{Number, Value};

/// Options of `json.dumps` that matter here.
#[derive(Debug, Clone, Copy)]
pub struct Dumps {
    pub sort_keys: bool,
    pub item_separator: &'static str,
    pub key_separator: &'static str,
    pub ensure_ascii: bool,
}

impl Dumps {
    /// `json.dumps(v, sort_keys=True, separators=(",",":"))`: what the platform signs.
    pub const CANONICAL: Dumps = Dumps { sort_keys: true, item_separator: ",", key_separator: ":", ensure_ascii: true };
    /// `json.dumps(v)` defaults: what httpx < 0.28 sends for `json=`.
    pub const HTTPX_LEGACY: Dumps =
        Dumps { sort_keys: false, item_separator: ", ", key_separator: ": ", ensure_ascii: true };
}

pub fn dumps(value: &Value, opts: Dumps) -> String {
    let mut out = String::new();
    write_value(&mut out, value, opts);
    out
}

fn write_value(out: &mut String, value: &Value, opts: Dumps) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&number(n)),
        Value::String(s) => write_string(out, s, opts.ensure_ascii),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(opts.item_separator);
                }
                write_value(out, item, opts);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if opts.sort_keys {
                // Python sorts str keys by code point; Rust's str order is the same (UTF-8).
                entries.sort_by(|a, b| a.0.cmp(b.0));
            }
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(opts.item_separator);
                }
                write_string(out, k, opts.ensure_ascii);
                out.push_str(opts.key_separator);
                write_value(out, v, opts);
            }
            out.push('}');
        }
    }
}

fn write_string(out: &mut String, s: &str, ensure_ascii: bool) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            // ensure_ascii escapes everything outside ' '..='~' (so DEL too).
            c if ensure_ascii && (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{:04x}", unit));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `repr` of numbers: ints as is; floats shortest round-trip, exponent form outside
/// `1e-4 <= |x| < 1e16` as `1.5e+16` / `1e-07`, and `.0` on integral values.
fn number(n: &Number) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let f = n.as_f64().unwrap_or(0.0);
    python_float_repr(f)
}

pub fn python_float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.5e16", "-1e-7".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if negative { "-" } else { "" };
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let s = if point <= 0 {
            format!("0.{}{}", "0".repeat((-point) as usize), digits)
        } else if (point as usize) >= digits.len() {
            format!("{}{}.0", digits, "0".repeat(point as usize - digits.len()))
        } else {
            format!("{}.{}", &digits[..point as usize], &digits[point as usize..])
        };
        format!("{sign}{s}")
    } else {
        let m = if digits.len() > 1 { format!("{}.{}", &digits[..1], &digits[1..]) } else { digits };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{m}e{esign}{:02}", exp.abs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_like_python() {
        assert_eq!(python_float_repr(1.5e16), "1.5e+16");
        assert_eq!(python_float_repr(1e-7), "1e-07");
        assert_eq!(python_float_repr(1e16), "1e+16");
        assert_eq!(python_float_repr(120.5), "120.5");
        assert_eq!(python_float_repr(3.0), "3.0");
        assert_eq!(python_float_repr(0.0001), "0.0001");
        assert_eq!(python_float_repr(-2.5e-5), "-2.5e-05");
        assert_eq!(python_float_repr(123456789012345.0), "123456789012345.0");
        assert_eq!(python_float_repr(0.1), "0.1");
    }

    #[test]
    fn canonical_matches_python_literal() {
        // Literal expected output of Python 3:
        // json.dumps({"b":"é😀\x7f","a":[1,1.5e16,None,True],"c":{"z":"\n","y":1e-07}},
        //            sort_keys=True, separators=(",",":"))
        let v = json!({"b": "é😀\u{7f}", "a": [1, 1.5e16, null, true], "c": {"z": "\n", "y": 1e-7}});
        assert_eq!(
            dumps(&v, Dumps::CANONICAL),
            r#"{"a":[1,1.5e+16,null,true],"b":"\u00e9\ud83d\ude00\u007f","c":{"y":1e-07,"z":"\n"}}"#
        );
    }

    #[test]
    fn legacy_httpx_spacing() {
        let v = json!({"a": [1, 2], "b": "x"});
        assert_eq!(dumps(&v, Dumps::HTTPX_LEGACY), r#"{"a": [1, 2], "b": "x"}"#);
    }
}
