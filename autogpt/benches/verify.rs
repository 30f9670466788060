//! Webhook verification (raw-body and canonical-JSON signatures, 1 KiB and 64 KiB) and PKCE.

use std::hint::black_box;

use autogpt::pkce::PkceVerifier;
use autogpt::secret::WebhookSecret;
use autogpt::webhook::{SIGNATURE_HEADER, WebhookVerifier, canonical_json, sign_raw};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use time::macros::datetime;

/// A platform-like body of about `size` bytes (httpx < 0.28 style, mixed content).
fn body(size: usize) -> Vec<u8> {
    let mut items = Vec::new();
    let mut len = 0;
    let mut i = 0;
    while len < size {
        let item = format!(r#"{{"line": {i}, "text": "caf\u00e9 r\u00e9sum\u00e9 {i}", "score": {}.5}}"#, i * 7);
        len += item.len() + 2;
        items.push(item);
        i += 1;
    }
    format!(
        r#"{{"event": "execution.completed", "timestamp": "2025-01-02T03:04:05.678901+00:00", "data": {{"execution_id": "exec-1", "agent_id": "agent-1", "status": "completed", "outputs": {{"rows": [{}]}}}}}}"#,
        items.join(", ")
    )
    .into_bytes()
}

fn headers(sig: &str) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(SIGNATURE_HEADER, sig.parse().unwrap());
    h
}

fn webhook(c: &mut Criterion) {
    let secret = WebhookSecret::new("whsec_bench");
    let verifier = WebhookVerifier::new(vec![secret.clone()]);
    let now = datetime!(2025-01-02 03:04:05 UTC);
    let mut group = c.benchmark_group("webhook_verify");
    for (label, size) in [("1KiB", 1024), ("64KiB", 64 * 1024)] {
        let b = body(size);
        let raw = headers(&sign_raw(&secret, &b));
        let canonical = headers(&sign_raw(&secret, canonical_json(&b).unwrap().as_bytes()));
        assert!(verifier.verify(&b, &raw, now).is_ok());
        assert!(verifier.verify(&b, &canonical, now).is_ok());
        group.bench_with_input(BenchmarkId::new("raw", label), &b, |bench, b| {
            bench.iter(|| verifier.verify(black_box(b), &raw, now).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("canonical", label), &b, |bench, b| {
            bench.iter(|| verifier.verify(black_box(b), &canonical, now).unwrap())
        });
    }
    group.finish();
}

fn pkce(c: &mut Criterion) {
    c.bench_function("pkce_generate_and_challenge", |b| {
        b.iter(|| {
            let v = PkceVerifier::generate();
            black_box(v.challenge())
        })
    });
}

criterion_group!(benches, webhook, pkce);
criterion_main!(benches);
