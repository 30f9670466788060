//! Helpers shared by the fuzz targets: the plain-text framing of their inputs (so seed files
//! can be written by hand) and the "no secret in what we print" check.

use http::{HeaderName, HeaderValue, Response, StatusCode};
use serde_json::Value;

/// Reads an input framed like an HTTP response without the protocol name:
///
/// ```text
/// 200
/// retry-after: 5
///
/// {"body": "..."}
/// ```
///
/// The first line is the status (100–999); header lines follow up to an empty line (ill-formed
/// header lines are skipped); the rest is the body. `None` without a status line.
pub fn http_response(data: &[u8]) -> Option<Response<Vec<u8>>> {
    let (status_line, mut rest) = split_line(data)?;
    let status = std::str::from_utf8(status_line).ok()?.trim().parse::<u16>().ok()?;
    let status = StatusCode::from_u16(status).ok()?;
    let mut builder = Response::builder().status(status);
    loop {
        let Some((line, after)) = split_line(rest) else {
            // Headers up to the end: no body.
            rest = &[];
            break;
        };
        rest = after;
        if line.is_empty() {
            break;
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else { continue };
        let (name, value) = (&line[..colon], line[colon + 1..].trim_ascii());
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            builder = builder.header(n, v);
        }
    }
    builder.body(rest.to_vec()).ok()
}

/// The same response with another status (targets try each body under several statuses:
/// the body shapes are what is hard to find, the statuses that matter are few).
pub fn with_status(res: &Response<Vec<u8>>, status: u16) -> Response<Vec<u8>> {
    let mut out = Response::new(res.body().clone());
    *out.status_mut() = StatusCode::from_u16(status).expect("a valid status");
    *out.headers_mut() = res.headers().clone();
    out
}

/// The first line (without `\n` or `\r\n`) and what follows; `None` for empty input.
fn split_line(data: &[u8]) -> Option<(&[u8], &[u8])> {
    if data.is_empty() {
        return None;
    }
    Some(match data.iter().position(|&b| b == b'\n') {
        Some(i) => (data[..i].strip_suffix(b"\r").unwrap_or(&data[..i]), &data[i + 1..]),
        None => (data, &[][..]),
    })
}

/// Splits `data` at the first line `---` (two parts of one input, such as a schema and a form).
pub fn split_parts(data: &[u8]) -> (&[u8], &[u8]) {
    const SEP: &[u8] = b"\n---\n";
    match data.windows(SEP.len()).position(|w| w == SEP) {
        Some(i) => (&data[..i], &data[i + SEP.len()..]),
        None => (data, &[]),
    }
}

/// String values of `body` (when it is JSON) that look like secrets: ASCII token characters
/// only, at least 12 long, containing `agpt_` (the platform's token prefixes) or `s3cr3t`
/// (the seeds' marker for secret inputs). Values that also occur inside an object key are
/// left out: paths in parse errors name keys by design.
pub fn secret_values(body: &[u8]) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<Value>(body) else { return Vec::new() };
    let (mut values, mut keys) = (Vec::new(), Vec::new());
    walk(&v, &mut values, &mut keys);
    values.retain(|s: &String| {
        s.len() >= 12
            && (s.contains("agpt_") || s.contains("s3cr3t"))
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            && !keys.iter().any(|k: &String| k.contains(s.as_str()))
    });
    values
}

fn walk(v: &Value, values: &mut Vec<String>, keys: &mut Vec<String>) {
    match v {
        Value::String(s) => values.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|i| walk(i, values, keys)),
        Value::Object(map) => {
            for (k, item) in map {
                keys.push(k.clone());
                walk(item, values, keys);
            }
        }
        _ => {}
    }
}

/// Panics if `shown` (an error's `Display` or `Debug`) contains one of `secrets`.
pub fn assert_hidden(what: &str, shown: &str, secrets: &[String]) {
    for s in secrets {
        assert!(!shown.contains(s.as_str()), "{what} shows a secret value from the body: {shown}");
    }
}

/// Equal JSON values, numbers compared as `f64` within 4 ULP: serde_json (without its
/// `float_roundtrip` feature, as the project builds it) does not round every decimal text to
/// the nearest `f64`, so reading the shortest form of a float back can land an ULP away.
/// `-0` and `0` are equal (serde_json reads `-0` as the float `-0.0`, Python as the integer 0).
pub fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y || (x.signum() == y.signum() && x.to_bits().abs_diff(y.to_bits()) <= 4),
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|((ka, va), (kb, vb))| ka == kb && same_json(va, vb))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing() {
        let r = http_response(b"429\nRetry-After: 5\nbad line\n\n{\"a\":1}").unwrap();
        assert_eq!(r.status(), 429);
        assert_eq!(r.headers()["retry-after"], "5");
        assert_eq!(r.body(), b"{\"a\":1}");
        assert_eq!(http_response(b"200").unwrap().body(), b"");
        assert!(http_response(b"x\n\n{}").is_none());
        assert_eq!(split_parts(b"{}\n---\na=1"), (&b"{}"[..], &b"a=1"[..]));
        let s = secret_values(br#"{"a":"agpt_xt_0123456789","agpt_rt_0123456789ab":"agpt_rt_0123456789"}"#);
        assert_eq!(s, ["agpt_xt_0123456789"]);
        let (a, b): (Value, Value) =
            (serde_json::from_str("[-0, 1.5]").unwrap(), serde_json::from_str("[0, 1.5]").unwrap());
        assert!(same_json(&a, &b));
        assert!(!same_json(&a, &serde_json::from_str("[0, 1.6]").unwrap()));
    }
}
