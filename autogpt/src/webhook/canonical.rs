//! The platform's canonical JSON: Python `json.dumps(payload, sort_keys=True,
//! separators=(",", ":"))` with the default `ensure_ascii=True`, reproduced byte for byte.
//!
//! The body is parsed with a small parser of our own rather than `serde_json::Value` because
//! the output must keep what Python keeps: integers of any size digit for digit (serde_json
//! would turn big ones into `f64`), floats in Python `repr` form, and duplicate keys resolved
//! like a Python dict (last one wins). Rules implemented, from CPython's `json` encoder:
//! - keys sorted by code point at every depth; `,` and `:` separators without spaces;
//! - strings: `"` `\` and `\b \f \n \r \t` get short escapes; every other character below
//!   0x20, DEL (0x7f) and everything above it becomes `\uXXXX` with lower-case hex, astral
//!   characters as a UTF-16 surrogate pair; `/` is not escaped;
//! - integers (no `.`, `e`, `E`): Python `int`, so `-0` becomes `0`; other digits unchanged;
//! - floats: Python `repr` (shortest round-trip digits; exponent form when the decimal
//!   exponent is < -4 or ≥ 16, as `1e-07` / `1.5e+16`; otherwise fixed with at least `.0`);
//!   overflow to infinity prints `Infinity`, and `NaN`/`Infinity`/`-Infinity` literals
//!   (which Python emits and accepts) are kept.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::pyfloat::python_float_repr;

/// A JSON value keeping what the canonical form needs.
enum Json {
    Null,
    Bool(bool),
    /// Canonical number text, already in Python form.
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(BTreeMap<String, Json>),
}

/// The body could not be read as JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotJson;

/// Canonical bytes of a JSON body, or `NotJson`.
pub(crate) fn canonicalize(body: &[u8]) -> Result<String, NotJson> {
    let text = std::str::from_utf8(body).map_err(|_| NotJson)?;
    let mut p = Parser { s: text.as_bytes(), i: 0, depth: 0 };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(NotJson);
    }
    let mut out = String::with_capacity(body.len());
    write_value(&v, &mut out);
    Ok(out)
}

/// Nesting limit: keeps a hostile body from exhausting the stack (bodies are ≤ 256 KiB).
const MAX_DEPTH: usize = 128;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Result<Json, NotJson> {
        match self.s.get(self.i).copied().ok_or(NotJson)? {
            b'{' => self.object(),
            b'[' => self.array(),
            b'"' => self.string().map(Json::Str),
            b'n' if self.eat("null") => Ok(Json::Null),
            b't' if self.eat("true") => Ok(Json::Bool(true)),
            b'f' if self.eat("false") => Ok(Json::Bool(false)),
            b'N' if self.eat("NaN") => Ok(Json::Num("NaN".into())),
            b'I' if self.eat("Infinity") => Ok(Json::Num("Infinity".into())),
            b'-' if self.eat("-Infinity") => Ok(Json::Num("-Infinity".into())),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(NotJson),
        }
    }

    fn enter(&mut self) -> Result<(), NotJson> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(NotJson) } else { Ok(()) }
    }

    fn object(&mut self) -> Result<Json, NotJson> {
        self.enter()?;
        self.i += 1;
        let mut map = BTreeMap::new();
        self.ws();
        if self.eat("}") {
            self.depth -= 1;
            return Ok(Json::Obj(map));
        }
        loop {
            self.ws();
            if self.s.get(self.i) != Some(&b'"') {
                return Err(NotJson);
            }
            let k = self.string()?;
            self.ws();
            if !self.eat(":") {
                return Err(NotJson);
            }
            self.ws();
            let v = self.value()?;
            map.insert(k, v); // last duplicate wins, as in a Python dict
            self.ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("}") {
                self.depth -= 1;
                return Ok(Json::Obj(map));
            }
            return Err(NotJson);
        }
    }

    fn array(&mut self) -> Result<Json, NotJson> {
        self.enter()?;
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.eat("]") {
            self.depth -= 1;
            return Ok(Json::Arr(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            if self.eat(",") {
                continue;
            }
            if self.eat("]") {
                self.depth -= 1;
                return Ok(Json::Arr(items));
            }
            return Err(NotJson);
        }
    }

    fn hex4(&mut self) -> Result<u32, NotJson> {
        let h = self.s.get(self.i..self.i + 4).ok_or(NotJson)?;
        let h = std::str::from_utf8(h).map_err(|_| NotJson)?;
        if !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NotJson);
        }
        self.i += 4;
        u32::from_str_radix(h, 16).map_err(|_| NotJson)
    }

    fn string(&mut self) -> Result<String, NotJson> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let start = self.i;
            while let Some(&b) = self.s.get(self.i) {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.i += 1;
            }
            // Input is valid UTF-8 and we stopped on an ASCII byte, so this slice is too.
            out.push_str(std::str::from_utf8(&self.s[start..self.i]).map_err(|_| NotJson)?);
            match self.s.get(self.i).copied().ok_or(NotJson)? {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let c = self.s.get(self.i).copied().ok_or(NotJson)?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return Err(NotJson),
                    }
                }
                // A raw control character: Python's strict json.loads refuses it too.
                _ => return Err(NotJson),
            }
        }
    }

    fn unicode_escape(&mut self) -> Result<char, NotJson> {
        let hi = self.hex4()?;
        if (0xD800..0xDC00).contains(&hi) {
            // A lone surrogate cannot be a Rust `char`; the platform never sends one.
            if !self.eat("\\u") {
                return Err(NotJson);
            }
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(NotJson);
            }
            char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)).ok_or(NotJson)
        } else {
            char::from_u32(hi).ok_or(NotJson)
        }
    }

    fn number(&mut self) -> Result<Json, NotJson> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - s
        };
        self.eat("-");
        let int_start = self.i;
        let n = digits(self);
        if n == 0 || (n > 1 && self.s[int_start] == b'0') {
            return Err(NotJson);
        }
        let mut is_float = false;
        if self.eat(".") {
            is_float = true;
            if digits(self) == 0 {
                return Err(NotJson);
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            is_float = true;
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(NotJson);
            }
        }
        let text = std::str::from_utf8(&self.s[start..self.i]).map_err(|_| NotJson)?;
        if is_float {
            let f: f64 = text.parse().map_err(|_| NotJson)?;
            Ok(Json::Num(python_float_repr(f)))
        } else if text.bytes().skip(1).all(|b| b == b'0') && text.starts_with('-') {
            Ok(Json::Num("0".into())) // Python: int("-0") == 0
        } else {
            Ok(Json::Num(text.to_owned()))
        }
    }
}

fn write_value(v: &Json, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(true) => out.push_str("true"),
        Json::Bool(false) => out.push_str("false"),
        Json::Num(n) => out.push_str(n),
        Json::Str(s) => write_str(s, out),
        Json::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(item, out);
            }
            out.push(']');
        }
        Json::Obj(map) => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_value(item, out);
            }
            out.push('}');
        }
    }
}

/// CPython `ascii_escape_unichar`: printable ASCII except `"` and `\` passes through.
fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{u:04x}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(s: &str) -> String {
        canonicalize(s.as_bytes()).unwrap()
    }

    #[test]
    fn sorts_escapes_and_compacts() {
        assert_eq!(
            canon("{\"b\": 1, \"a\": {\"d\": [1, 2.50, \"x\"], \"c\": null}}"),
            r#"{"a":{"c":null,"d":[1,2.5,"x"]},"b":1}"#
        );
        assert_eq!(canon("\"é😀\u{7f}\\u0001\\n/\""), r#""\u00e9\ud83d\ude00\u007f\u0001\n/""#);
        assert_eq!(canon("[-0, 123456789012345678901234567890, 1E400]"), "[0,123456789012345678901234567890,Infinity]");
        assert_eq!(canon("{\"a\":1,\"a\":2}"), r#"{"a":2}"#);
        assert_eq!(canon("[NaN,-Infinity]"), "[NaN,-Infinity]");
    }

    #[test]
    fn refuses_non_json() {
        for bad in ["", "{", "[1,]", "01", "\"\u{1}\"", "\"\\ud800\"", "1 2", "{\"a\" 1}", "-", "1."] {
            assert!(canonicalize(bad.as_bytes()).is_err(), "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(canonicalize(deep.as_bytes()).is_err());
    }
}
