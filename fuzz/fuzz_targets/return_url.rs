//! The return-URL router on arbitrary input: it never panics, and what it accepts is on the
//! callback base, carries exactly one well-formed `value`, and hashes to the commitment the
//! backend would have handed out for that token.
#![no_main]

use std::sync::OnceLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use sidkit_app::{CallbackBase, ReturnUrl};

fn bases() -> &'static [CallbackBase; 2] {
    static B: OnceLock<[CallbackBase; 2]> = OnceLock::new();
    B.get_or_init(|| {
        [
            CallbackBase::new("https://rp.example.com/smart-id/return").expect("valid base"),
            CallbackBase::new("https://rp.example.com:8443/sid?app=bank&v=2").expect("valid base"),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    // Also try the input as the query of the base, so that the fuzzer explores the parameters.
    let which = data.first().map_or(0, |b| usize::from(b & 1));
    let base = &bases()[which];
    let prefix = base.as_str().split('?').next().unwrap_or_default();
    for url in [input.to_owned(), format!("{prefix}?{input}")] {
        let Ok(r) = ReturnUrl::parse(base, &url) else {
            continue;
        };
        assert!(
            url.starts_with("https://"),
            "accepted a non-https URL: {url:?}"
        );
        let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
        let tokens: Vec<&str> = query
            .split('&')
            .filter_map(|p| p.strip_prefix("value="))
            .collect();
        assert_eq!(
            tokens.len(),
            1,
            "accepted without exactly one value: {url:?}"
        );
        let token = tokens[0];
        assert!(token.len() >= 22 && token.len() <= 128, "{url:?}");
        let expected: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        assert_eq!(r.commitment(), &expected);
        let commitment_text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(expected);
        assert_eq!(commitment_text.len(), 43);
        assert_eq!(r.find([&[0u8; 32], &expected]), Some(1));
        // Deterministic.
        assert_eq!(ReturnUrl::parse(base, &url).ok().as_ref(), Some(&r));
    }
});
