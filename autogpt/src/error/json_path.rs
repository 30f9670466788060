//! Where in a JSON document a parse error happened, as a path (`items[2].status`).
//!
//! serde_json reports a line and column, not a field. This scanner walks the bytes up to that
//! position, tracking objects, keys and array indices, and names the innermost value. It reads
//! keys only, never values, and it is best effort: any input gives some answer (or `None`),
//! never a panic, so it is safe on the hostile bodies the parsers will be fuzzed with.

use super::parse::sanitize_key;

enum Frame {
    Object { key: Option<String>, expect_key: bool },
    Array { index: usize },
}

/// The path of the value at 1-based `line`/`column` of `body`; `None` at the top level.
pub(super) fn path_at(body: &[u8], line: usize, column: usize) -> Option<String> {
    let end = offset(body, line, column);
    let mut stack: Vec<Frame> = Vec::new();
    let mut in_string = false;
    let mut escaped = false;
    let mut key: Option<Vec<u8>> = None;
    for &b in &body[..end] {
        if in_string {
            if escaped {
                escaped = false;
                if let Some(k) = key.as_mut() {
                    k.push(b'\\');
                }
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
                if let (Some(k), Some(Frame::Object { key: slot, expect_key })) = (key.take(), stack.last_mut()) {
                    *slot = Some(sanitize_key(&String::from_utf8_lossy(&k)));
                    *expect_key = false;
                }
            } else if let Some(k) = key.as_mut()
                && k.len() <= 64
            {
                k.push(b);
            }
            continue;
        }
        match b {
            b'"' => {
                in_string = true;
                let is_key = matches!(stack.last(), Some(Frame::Object { expect_key: true, .. }));
                key = is_key.then(Vec::new);
            }
            b'{' => stack.push(Frame::Object { key: None, expect_key: true }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index = index.saturating_add(1),
                Some(Frame::Object { key, expect_key }) => {
                    *key = None;
                    *expect_key = true;
                }
                None => {}
            },
            _ => {}
        }
    }
    // A key still being read when the input stopped is the field at fault.
    if let (Some(k), Some(Frame::Object { key: slot, .. })) = (key, stack.last_mut()) {
        *slot = Some(sanitize_key(&String::from_utf8_lossy(&k)));
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            Frame::Object { key: None, .. } => break,
            Frame::Array { index } => path.push_str(&format!("[{index}]")),
        }
    }
    (!path.is_empty()).then_some(path)
}

/// Byte offset just after the character at `line`/`column` (both 1-based), clamped to the body.
fn offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut start = 0;
    let mut current = 1;
    while current < line {
        match body[start..].iter().position(|&b| b == b'\n') {
            Some(p) => start += p + 1,
            None => return body.len(),
        }
        current += 1;
    }
    start.saturating_add(column).min(body.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(body: &str, needle: &str) -> Option<String> {
        // Column of the last byte of `needle` (single-line bodies).
        let col = body.find(needle).unwrap() + needle.len();
        path_at(body.as_bytes(), 1, col)
    }

    #[test]
    fn names_keys_indices_and_nesting() {
        let b = r#"{"a":1,"b":{"c":[10,20,{"d":"x"}]}}"#;
        assert_eq!(at(b, "1").as_deref(), Some("a"));
        assert_eq!(at(b, "20").as_deref(), Some("b.c[1]"));
        assert_eq!(at(b, r#""x""#).as_deref(), Some("b.c[2].d"));
        assert_eq!(at(b, r#"{"d":"x"}"#).as_deref(), Some("b.c[2]"));
        assert_eq!(path_at(b"[1,2]", 1, 4).as_deref(), Some("[1]"));
        assert_eq!(path_at(b"{}", 1, 2), None);
    }

    #[test]
    fn keys_with_escapes_or_odd_characters_are_hidden() {
        let b = r#"{"a b":1}"#;
        assert_eq!(at(b, "1").as_deref(), Some("<key>"));
        let b = r#"{"k\"q":1}"#;
        assert_eq!(at(b, "1").as_deref(), Some("<key>"));
        let b = r#"{"s":"va\"l,ue{","t":2}"#;
        assert_eq!(at(b, "2").as_deref(), Some("t"));
    }

    #[test]
    fn multi_line_and_out_of_range_positions_never_panic() {
        let b = b"{\n  \"a\": {\n    \"b\": true\n  }\n}";
        assert_eq!(path_at(b, 3, 13).as_deref(), Some("a.b"));
        for (l, c) in [(0, 0), (1, 0), (99, 99), (usize::MAX, usize::MAX), (1, usize::MAX)] {
            let _ = path_at(b, l, c);
        }
        let _ = path_at(b"", 1, 1);
        let _ = path_at(b"\"\\", 1, 2);
        let _ = path_at("{\"\u{e9}\u{1F600}\":[".as_bytes(), 1, 7);
    }
}
