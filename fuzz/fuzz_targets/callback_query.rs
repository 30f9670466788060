//! The OAuth redirect's query (`authorize::parse_callback`, shared by both profiles) and the
//! setup wizard's (`live::wizard::parse_wizard_callback`).
//!
//! Asserts: never panics; each reads the last value of each parameter (`error` wins over
//! `code`; only `error=user_cancelled` is a cancel; only `success=true` without `error` is a
//! success); `state` is kept whatever the outcome; and what a parser accepts round-trips: the
//! same fields written back as a query parse to the same result.
#![no_main]

use autogpt::authorize::{Callback, parse_callback};
use autogpt::live::wizard::{WizardCallback, parse_wizard_callback};
use libfuzzer_sys::fuzz_target;
use url::form_urlencoded;

/// The last value of `key`, as `URLSearchParams`-style decoding reads it.
fn last(query: &str, key: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k == key).last().map(|(_, v)| v.into_owned())
}

fn query(pairs: &[(&str, Option<&str>)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

/// The fields of a guide callback, comparable.
fn fields(cb: &Callback) -> (Option<String>, Option<String>, Option<String>, Option<String>, Option<String>) {
    match cb {
        Callback::Code { code, state, iss } => {
            (Some(code.secret().to_owned()), None, None, state.as_ref().map(|s| s.as_str().to_owned()), iss.clone())
        }
        Callback::Error { error, error_description, state, iss } => (
            None,
            Some(error.as_str().to_owned()),
            error_description.clone(),
            state.as_ref().map(|s| s.as_str().to_owned()),
            iss.clone(),
        ),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(q) = std::str::from_utf8(data) else { return };
    let (code, error, desc, state, iss) =
        (last(q, "code"), last(q, "error"), last(q, "error_description"), last(q, "state"), last(q, "iss"));

    match parse_callback(q) {
        Err(_) => assert!(code.is_none() && error.is_none()),
        Ok(cb) => {
            assert_eq!(cb.state().map(|s| s.as_str().to_owned()), state);
            let got = fields(&cb);
            match &error {
                Some(e) => assert_eq!(got, (None, Some(e.clone()), desc.clone(), state.clone(), iss.clone())),
                None => assert_eq!(got, (code.clone(), None, None, state.clone(), iss.clone())),
            }
            let (c, e, d, s, i) = &got;
            let again = query(&[
                ("code", c.as_deref()),
                ("error", e.as_deref()),
                ("error_description", d.as_deref()),
                ("state", s.as_deref()),
                ("iss", i.as_deref()),
            ]);
            assert_eq!(fields(&parse_callback(&again).expect("round trip")), got, "{again}");
        }
    }

    let success = last(q, "success");
    let wizard = parse_wizard_callback(q);
    assert_eq!(wizard.state().map(|s| s.as_str().to_owned()), state);
    match &wizard {
        WizardCallback::Cancelled { description, .. } => {
            assert_eq!(error.as_deref(), Some("user_cancelled"));
            assert_eq!(description, &desc);
        }
        WizardCallback::Success { .. } => assert!(error.is_none() && success.as_deref() == Some("true")),
        WizardCallback::Unrecognised { error: e, description, .. } => {
            assert!(error.as_deref() != Some("user_cancelled"));
            assert!(error.is_some() || success.as_deref() != Some("true"));
            assert_eq!((e, description), (&error, &desc));
        }
    }
    let again = match &wizard {
        WizardCallback::Success { state } => {
            query(&[("success", Some("true")), ("state", state.as_ref().map(|s| s.as_str()))])
        }
        WizardCallback::Cancelled { description, state } => query(&[
            ("error", Some("user_cancelled")),
            ("error_description", description.as_deref()),
            ("state", state.as_ref().map(|s| s.as_str())),
        ]),
        WizardCallback::Unrecognised { error, description, state } => query(&[
            ("success", success.as_deref().filter(|s| *s != "true" || error.is_some())),
            ("error", error.as_deref()),
            ("error_description", description.as_deref()),
            ("state", state.as_ref().map(|s| s.as_str())),
        ]),
    };
    assert_eq!(parse_wizard_callback(&again), wizard, "{again}");
});
