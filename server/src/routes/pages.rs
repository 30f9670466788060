//! Small HTML pages answered outside the Leptos app: errors of the sign-in
//! routes and the popup callback page. Everything echoed is escaped.

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON safe to embed in an inline `<script>` (no `</script>`, no `<!--`, no U+2028/9).
pub fn script_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

fn document(stylesheet: &str, title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><link rel=\"stylesheet\" href=\"{stylesheet}\"></head>\
         <body><main class=\"site-main\"><section class=\"card connect\">{body}</section></main></body></html>",
        title = escape(title),
        stylesheet = escape(stylesheet),
    )
}

/// A page with a heading, a message and a way back to `/connect`.
pub fn message_page(stylesheet: &str, title: &str, message: &str) -> String {
    document(
        stylesheet,
        title,
        &format!(
            "<h1>{}</h1><p class=\"banner banner-error\" role=\"alert\" id=\"error-message\">{}</p>\
             <p><a class=\"btn btn-primary\" href=\"/connect\">Back to sign in</a></p>",
            escape(title),
            escape(message)
        ),
    )
}

/// The callback's answer inside a popup: tell the opener (same origin only) and close;
/// without an opener, continue in this window.
pub fn popup_result_page(
    stylesheet: &str,
    nonce: &str,
    app_origin: &str,
    ok: bool,
    message: &str,
    next: &str,
) -> String {
    let payload = serde_json::json!({ "type": "autogpt_signed_in", "success": ok, "error": if ok { None } else { Some(message) } });
    let script = format!(
        "<script nonce=\"{nonce}\">(function(){{var m={msg};var o={origin};\
         if(window.opener&&!window.opener.closed){{window.opener.postMessage(m,o);setTimeout(function(){{window.close();}},300);}}\
         else{{window.location.replace({next});}}}})();</script>",
        msg = script_json(&payload),
        origin = script_json(&serde_json::Value::String(app_origin.to_owned())),
        next = script_json(&serde_json::Value::String(next.to_owned())),
        nonce = escape(nonce),
    );
    let heading = if ok { "Signed in" } else { "Sign-in failed" };
    document(
        stylesheet,
        heading,
        &format!(
            "<h1>{}</h1><p id=\"signin-result\" data-success=\"{ok}\">{}</p>{script}",
            escape(heading),
            escape(message)
        ),
    )
}

/// What the live setup wizard's callback tells the window that opened it (L3): a Connect
/// result in the guide's message format (`autogpt_connect_result` with the attempt's nonce),
/// posted to the opener on our own origin. Without an opener (the popup was blocked and the
/// wizard ran in this window), a success is recorded by posting `record` (same origin) and a
/// failure lands on `/connect` with the reason.
pub fn connect_result_page(
    stylesheet: &str,
    nonce: &str,
    app_origin: &str,
    message: &serde_json::Value,
    text: &str,
) -> String {
    let ok = message.get("success").and_then(serde_json::Value::as_bool).unwrap_or(false);
    let field = |name: &str| message.get(name).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    let fallback = if ok {
        "document.getElementById('record').submit();".to_owned()
    } else {
        let next = format!(
            "/connect?{}",
            url::form_urlencoded::Serializer::new(String::new()).append_pair("error", text).finish()
        );
        format!("window.location.replace({});", script_json(&serde_json::Value::String(next)))
    };
    let script = format!(
        "<script nonce=\"{csp}\">(function(){{var m={msg};var o={origin};\
         if(window.opener&&!window.opener.closed){{window.opener.postMessage(m,o);setTimeout(function(){{window.close();}},300);}}\
         else{{{fallback}}}}})();</script>",
        csp = escape(nonce),
        msg = script_json(message),
        origin = script_json(&serde_json::Value::String(app_origin.to_owned())),
    );
    let heading = if ok { "Connected" } else { "Not connected" };
    document(
        stylesheet,
        heading,
        &format!(
            "<h1>{}</h1><p id=\"connect-result\" data-success=\"{ok}\">{}</p>\
             <form id=\"record\" method=\"post\" action=\"/api/autogpt/integrations/record\">\
             <input type=\"hidden\" name=\"nonce\" value=\"{}\"><input type=\"hidden\" name=\"grant_id\" value=\"{}\">\
             <noscript><button class=\"btn btn-primary\" type=\"submit\">Continue</button></noscript></form>{script}",
            escape(heading),
            escape(text),
            escape(&field("nonce")),
            escape(&field("grant_id")),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoed_text_is_escaped() {
        let page = message_page("/pkg/site.css", "<b>", "<script>alert('x')</script>");
        assert!(!page.contains("<script>alert"));
        assert!(page.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let page = popup_result_page(
            "/pkg/site.css",
            "n0nce",
            "http://127.0.0.1:3000",
            false,
            "</script><script>alert(1)</script>",
            "/connect",
        );
        assert_eq!(page.matches("</script>").count(), 1, "{page}");
    }
}
