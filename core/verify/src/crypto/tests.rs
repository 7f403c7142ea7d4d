//! ring and `rsa` must agree on every RSASSA-PSS input: valid signatures for every key size
//! and hash, and hostile encodings (other salt lengths, another MGF1 or message hash, bad
//! trailer, bad padding, bits set above the modulus, truncated, oversized and out-of-range
//! values, the wrong key).
//!
//! (Past 600 lines on purpose: one differential suite, every backend on the same valid and
//! hostile inputs, is easier to check for gaps in one file.)

use super::*;
use rsa::{BoxedUint, PrivateKey as RsaPrivateKey};

const SHA2: [HashAlgorithm; 3] = [
    HashAlgorithm::Sha256,
    HashAlgorithm::Sha384,
    HashAlgorithm::Sha512,
];

/// A change to an [`Encoding`].
type Tamper = fn(&mut Encoding);

/// How an EMSA-PSS encoding is built (RFC 8017 §9.1.1), and what is wrong with it.
#[derive(Clone, Copy)]
struct Encoding {
    hash: HashAlgorithm,
    mgf_hash: HashAlgorithm,
    salt_len: usize,
    trailer: u8,
    /// Set the bits above `emBits` (must be zero).
    high_bits: bool,
    /// Make a padding byte before the 0x01 separator non-zero.
    bad_padding: bool,
    /// Replace the 0x01 separator with 0x02.
    bad_separator: bool,
}

impl Encoding {
    fn good(hash: HashAlgorithm) -> Self {
        Encoding {
            hash,
            mgf_hash: hash,
            salt_len: hash.output_len(),
            trailer: 0xbc,
            high_bits: false,
            bad_padding: false,
            bad_separator: false,
        }
    }
}

fn mgf1(hash: HashAlgorithm, seed: &[u8], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64);
    let mut counter = 0u32;
    while out.len() < len {
        let mut input = seed.to_vec();
        input.extend_from_slice(&counter.to_be_bytes());
        out.extend(digest(hash, &input));
        counter += 1;
    }
    out.truncate(len);
    out
}

/// EMSA-PSS-ENCODE of `message` for a modulus of `mod_bits` bits, as `enc` says.
fn emsa_pss(enc: Encoding, message: &[u8], mod_bits: usize) -> Vec<u8> {
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    let m_hash = digest(enc.hash, message);
    let h_len = m_hash.len();
    let salt: Vec<u8> = (0..enc.salt_len).map(|i| (i * 7 + 3) as u8).collect();
    let mut m_prime = vec![0u8; 8];
    m_prime.extend_from_slice(&m_hash);
    m_prime.extend_from_slice(&salt);
    let h = digest(enc.hash, &m_prime);
    let db_len = em_len - h_len - 1;
    let mut db = vec![0u8; db_len - enc.salt_len - 1];
    if enc.bad_padding && !db.is_empty() {
        let last = db.len() - 1;
        db[last] = 0x01;
    }
    db.push(if enc.bad_separator { 0x02 } else { 0x01 });
    db.extend_from_slice(&salt);
    let mask = mgf1(enc.mgf_hash, &h, db_len);
    let mut masked: Vec<u8> = db.iter().zip(&mask).map(|(a, b)| a ^ b).collect();
    let unused = 8 * em_len - em_bits;
    masked[0] &= 0xff >> unused;
    if enc.high_bits && unused > 0 {
        // The highest bit below the modulus's top bit: the value can still be below n.
        masked[0] |= 0x80 >> (unused - 1);
    }
    let mut em = masked;
    em.extend_from_slice(&h);
    em.push(enc.trailer);
    em
}

/// The raw RSA private operation on `em` (left-padded to the modulus length).
fn raw_sign(key: &RsaPrivateKey, em: &[u8]) -> Vec<u8> {
    try_raw_sign(key, em).expect("encoded message below the modulus")
}

/// [`raw_sign`], or `None` when `em` is not below the modulus.
fn try_raw_sign(key: &RsaPrivateKey, em: &[u8]) -> Option<Vec<u8>> {
    let k = key.size();
    let mut padded = vec![0u8; k - em.len()];
    padded.extend_from_slice(em);
    let prec = key.n().as_ref().bits_precision();
    let m = BoxedUint::from_be_slice(&padded, prec).ok()?;
    let s = rsa::hazmat::rsa_decrypt::<getrandom::SysRng>(None, key, &m).ok()?;
    let bytes = s.to_be_bytes();
    let mut out = bytes[bytes.len() - k.min(bytes.len())..].to_vec();
    while out.len() < k {
        out.insert(0, 0);
    }
    Some(out)
}

fn sign_pss_salt(key: &RsaPrivateKey, hash: HashAlgorithm, msg: &[u8], salt: usize) -> Vec<u8> {
    let d = digest(hash, msg);
    let mut rng = getrandom::SysRng;
    match hash {
        HashAlgorithm::Sha256 => {
            key.sign_with_rng(&mut rng, Pss::<sha2::Sha256>::new_with_salt(salt), &d)
        }
        HashAlgorithm::Sha384 => {
            key.sign_with_rng(&mut rng, Pss::<sha2::Sha384>::new_with_salt(salt), &d)
        }
        HashAlgorithm::Sha512 => {
            key.sign_with_rng(&mut rng, Pss::<sha2::Sha512>::new_with_salt(salt), &d)
        }
        HashAlgorithm::Sha3_256 => {
            key.sign_with_rng(&mut rng, Pss::<sha3::Sha3_256>::new_with_salt(salt), &d)
        }
        HashAlgorithm::Sha3_384 => {
            key.sign_with_rng(&mut rng, Pss::<sha3::Sha3_384>::new_with_salt(salt), &d)
        }
        HashAlgorithm::Sha3_512 => {
            key.sign_with_rng(&mut rng, Pss::<sha3::Sha3_512>::new_with_salt(salt), &d)
        }
    }
    .unwrap()
}

/// Runs both paths; asserts they agree and that the answer is `expected`.
fn both(
    case: &str,
    key: &RsaPublicKey,
    hash: HashAlgorithm,
    msg: &[u8],
    sig: &[u8],
    expected: bool,
) {
    let salt = hash.output_len();
    let key = &RsaKey::of(key);
    let ring = verify_pss_ring(key, hash, salt, msg, sig)
        .unwrap_or_else(|| panic!("{case}: ring has no parameter set"));
    let rust = verify_pss_rustcrypto(key, hash, salt, msg, sig);
    let bits = key.bits();
    assert_eq!(
        ring, rust,
        "{case} ({bits} bits, {hash}): ring {ring}, rsa {rust}"
    );
    #[cfg(feature = "aws-lc")]
    {
        let aws = verify_pss_aws(key, hash, salt, msg, sig)
            .unwrap_or_else(|| panic!("{case}: aws-lc-rs has no parameter set"));
        assert_eq!(
            aws, rust,
            "{case} ({bits} bits, {hash}): aws-lc-rs {aws}, rsa {rust}"
        );
        // Again through the key prepared by the first call.
        assert_eq!(
            verify_pss_aws(key, hash, salt, msg, sig),
            Some(aws),
            "{case}"
        );
    }
    assert_eq!(ring, expected, "{case} ({bits} bits, {hash})");
    assert_eq!(verify_pss(key, hash, salt, msg, sig), expected, "{case}");
}

fn check_key(key: &RsaPrivateKey, other: &RsaPrivateKey) {
    let public = key.to_public_key();
    let msg = b"smart-id|c2VydmVyUmFuZG9t|cnBDaGFsbGVuZ2U=|... the ACSP_V2 payload";
    let k = public.size();
    let mod_bits = rsa_bits(&public);
    for hash in SHA2 {
        let h_len = hash.output_len();
        let good = sign_pss_salt(key, hash, msg, h_len);
        both("valid", &public, hash, msg, &good, true);
        let crafted = raw_sign(key, &emsa_pss(Encoding::good(hash), msg, mod_bits));
        both("valid (hand-encoded)", &public, hash, msg, &crafted, true);
        both(
            "other message",
            &public,
            hash,
            b"another payload",
            &good,
            false,
        );
        for salt in [0, 20, h_len - 1, h_len + 1, 2 * h_len] {
            let s = sign_pss_salt(key, hash, msg, salt);
            both(&format!("salt {salt}"), &public, hash, msg, &s, false);
        }
        for other_hash in HashAlgorithm::ALL.iter().copied().filter(|h| *h != hash) {
            let mut enc = Encoding::good(hash);
            enc.mgf_hash = other_hash;
            let s = raw_sign(key, &emsa_pss(enc, msg, mod_bits));
            both(
                &format!("MGF1 with {other_hash}"),
                &public,
                hash,
                msg,
                &s,
                false,
            );
            if other_hash.output_len() == h_len {
                // Same length, other message hash and MGF hash: only the hash differs.
                let s = raw_sign(key, &emsa_pss(Encoding::good(other_hash), msg, mod_bits));
                both(
                    &format!("hashed with {other_hash}"),
                    &public,
                    hash,
                    msg,
                    &s,
                    false,
                );
            }
        }
        if mod_bits % 8 != 1 {
            // A bit above emBits set: only producible while the value stays below n.
            let mut enc = Encoding::good(hash);
            enc.high_bits = true;
            let (m, s) = (0u8..=255)
                .find_map(|i| {
                    let m = [&msg[..], &[i]].concat();
                    try_raw_sign(key, &emsa_pss(enc, &m, mod_bits)).map(|s| (m, s))
                })
                .expect("some message encodes below n");
            both("bit above emBits", &public, hash, &m, &s, false);
        }
        let tamper: [(&str, Tamper); 3] = [
            ("trailer 0xbd", |e| e.trailer = 0xbd),
            ("non-zero padding", |e| e.bad_padding = true),
            ("separator 0x02", |e| e.bad_separator = true),
        ];
        for (case, f) in tamper {
            let mut enc = Encoding::good(hash);
            f(&mut enc);
            let s = raw_sign(key, &emsa_pss(enc, msg, mod_bits));
            both(case, &public, hash, msg, &s, false);
        }
        both("truncated", &public, hash, msg, &good[1..], false);
        both("last byte cut", &public, hash, msg, &good[..k - 1], false);
        let mut long = vec![0u8];
        long.extend_from_slice(&good);
        both("leading zero byte added", &public, hash, msg, &long, false);
        let mut long = good.clone();
        long.push(0);
        both("trailing byte added", &public, hash, msg, &long, false);
        both("empty", &public, hash, msg, &[], false);
        both("zero", &public, hash, msg, &vec![0u8; k], false);
        both(
            "one",
            &public,
            hash,
            msg,
            &{
                let mut v = vec![0u8; k];
                v[k - 1] = 1;
                v
            },
            false,
        );
        both(
            "all 0xff (≥ n)",
            &public,
            hash,
            msg,
            &vec![0xffu8; k],
            false,
        );
        let n = public.n_bytes();
        let mut n_padded = vec![0u8; k - n.len()];
        n_padded.extend_from_slice(&n);
        both("the modulus", &public, hash, msg, &n_padded, false);
        for i in [0, k / 2, k - 1] {
            let mut s = good.clone();
            s[i] ^= 0x01;
            both(
                &format!("bit flipped at {i}"),
                &public,
                hash,
                msg,
                &s,
                false,
            );
        }
        let other_public = other.to_public_key();
        if other_public.size() == k {
            both("wrong key", &other_public, hash, msg, &good, false);
        } else {
            assert!(!verify_pss(
                &RsaKey::of(&other_public),
                hash,
                h_len,
                msg,
                &good
            ));
        }
    }
    // Outside ring's (and aws-lc-rs's) parameter sets the `rsa` crate alone decides (and
    // still verifies).
    let public = RsaKey::of(&public);
    let s = sign_pss_salt(key, HashAlgorithm::Sha3_512, msg, 64);
    assert!(verify_pss_ring(&public, HashAlgorithm::Sha3_512, 64, msg, &s).is_none());
    #[cfg(feature = "aws-lc")]
    assert!(verify_pss_aws(&public, HashAlgorithm::Sha3_512, 64, msg, &s).is_none());
    assert!(verify_pss(&public, HashAlgorithm::Sha3_512, 64, msg, &s));
    let s = sign_pss_salt(key, HashAlgorithm::Sha256, msg, 48);
    assert!(verify_pss_ring(&public, HashAlgorithm::Sha256, 48, msg, &s).is_none());
    #[cfg(feature = "aws-lc")]
    assert!(verify_pss_aws(&public, HashAlgorithm::Sha256, 48, msg, &s).is_none());
    assert!(verify_pss(&public, HashAlgorithm::Sha256, 48, msg, &s));
}

#[test]
fn ring_and_rsa_agree_on_every_pss_input() {
    // 2049 bits: the encoded message is one byte shorter than the modulus.
    let sizes = [2048usize, 2049, 3072, 4096, 6144];
    let keys: Vec<_> = sizes
        .iter()
        .map(|b| sidkit_testpki::rsa_key(*b, 7).unwrap())
        .collect();
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(rsa_bits(&key.to_public_key()), sizes[i]);
        let other = &keys[(i + 1) % keys.len()];
        let same_size_other = sidkit_testpki::rsa_key(sizes[i], 8).unwrap();
        check_key(key, &same_size_other);
        check_key(key, other);
    }
}

#[test]
fn certificate_pss_signatures_use_the_same_rule() {
    // A PSS-signed certificate is verified through `verify_pss` (ring for salt = hash
    // length); a longer salt goes to `rsa`; a shorter one is refused before either.
    let key = sidkit_testpki::rsa_key(2048, 7).unwrap();
    let public = RsaKey::of(&key.to_public_key());
    let tbs = b"tbsCertificate bytes";
    for hash in SHA2 {
        let h = hash.output_len();
        for salt in [h, h + 10] {
            let s = sign_pss_salt(&key, hash, tbs, salt);
            assert!(verify_pss(&public, hash, salt, tbs, &s));
        }
    }
}

/// DER of a length.
fn der_len(len: usize) -> Vec<u8> {
    match len {
        0..=127 => vec![len as u8],
        128..=255 => vec![0x81, len as u8],
        _ => vec![0x82, (len >> 8) as u8, len as u8],
    }
}

/// DER TLV.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    out.extend(der_len(content.len()));
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER of the unsigned big-endian `v` (minimal: leading zeros dropped, a zero byte
/// added before a set top bit).
fn der_uint(v: &[u8]) -> Vec<u8> {
    let v = &v[v.iter().take_while(|b| **b == 0).count()..];
    let mut c = Vec::new();
    if v.is_empty() || v[0] & 0x80 != 0 {
        c.push(0);
    }
    c.extend_from_slice(v);
    tlv(0x02, &c)
}

fn rsa_public_der(n_int: &[u8], e_int: &[u8]) -> Vec<u8> {
    tlv(0x30, &[n_int, e_int].concat())
}

#[test]
fn rsa_key_acceptance_is_the_rsa_crates() {
    let key = sidkit_testpki::rsa_key(2048, 7).unwrap().to_public_key();
    let n = key.n_bytes().to_vec();
    let odd = |mut v: Vec<u8>| {
        *v.last_mut().unwrap() |= 1;
        v
    };
    let even = |mut v: Vec<u8>| {
        *v.last_mut().unwrap() &= 0xfe;
        v
    };
    let moduli: Vec<(&str, Vec<u8>)> = vec![
        ("2048 bits", n.clone()),
        ("even", even(n.clone())),
        ("1024 bits", odd(vec![0xc5; 128])),
        ("2047 bits", odd([vec![0x7f], vec![0xa3; 255]].concat())),
        ("2049 bits", odd([vec![0x01], vec![0xa3; 256]].concat())),
        ("8192 bits", odd(vec![0xe7; 1024])),
        ("8193 bits", odd([vec![0x01], vec![0xe7; 1024]].concat())),
        ("one", vec![1]),
    ];
    let exponents: Vec<(&str, Vec<u8>)> = vec![
        ("1", vec![1]),
        ("2", vec![2]),
        ("3", vec![3]),
        ("65537", vec![1, 0, 1]),
        ("65536", vec![1, 0, 0]),
        ("2^33-1", vec![1, 0xff, 0xff, 0xff, 0xff]),
        ("2^33+1", vec![2, 0, 0, 0, 1]),
        ("2^40+1", vec![1, 0, 0, 0, 0, 1]),
        ("a 2048-bit exponent", odd(vec![0x55; 256])),
    ];
    for (nc, nv) in &moduli {
        for (ec, ev) in &exponents {
            let der = rsa_public_der(&der_uint(nv), &der_uint(ev));
            let ours = RsaKey::from_pkcs1_der(&der);
            let theirs = RsaPublicKey::from_pkcs1_der(&der)
                .ok()
                .filter(|k| rsa_bits(k) >= MIN_RSA_BITS);
            assert_eq!(
                ours.is_ok(),
                theirs.is_some(),
                "n {nc}, e {ec}: ours {:?}",
                ours.as_ref().err()
            );
            if let Ok(k) = ours {
                assert!(k.rustcrypto().is_some(), "n {nc}, e {ec}: rsa builds it");
                assert_eq!(k.rustcrypto(), theirs.as_ref());
            }
        }
    }
    // Encodings the DER decoder refuses: a negative modulus, a non-minimal exponent, trailing
    // data, an empty sequence.
    let e = der_uint(&[1, 0, 1]);
    let negative = tlv(0x02, &n);
    let non_minimal = tlv(0x02, &[0, 1, 0, 1]);
    for (case, der) in [
        ("negative modulus", rsa_public_der(&negative, &e)),
        (
            "non-minimal exponent",
            rsa_public_der(&der_uint(&n), &non_minimal),
        ),
        (
            "trailing data",
            [rsa_public_der(&der_uint(&n), &e), vec![0]].concat(),
        ),
        ("empty", tlv(0x30, &[])),
    ] {
        let ours = RsaKey::from_pkcs1_der(&der);
        assert!(ours.is_err(), "{case}");
        let theirs = RsaPublicKey::from_pkcs1_der(&der);
        assert!(theirs.is_err(), "{case}");
        assert_eq!(
            ours.unwrap_err(),
            format!("RSA key: {}", theirs.unwrap_err())
        );
    }
}

/// The order of each curve's group.
fn curve_order(curve: EcCurve) -> Vec<u8> {
    let hex = match curve {
        EcCurve::P256 => "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
        EcCurve::P384 => concat!(
            "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf",
            "581a0db248b0a77aecec196accc52973"
        ),
        EcCurve::P521 => concat!(
            "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "fffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409"
        ),
    };
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// `a - b` on big-endian integers of the same length (`a ≥ b`).
fn sub_be(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut borrow = 0i16;
    for i in (0..a.len()).rev() {
        let d = i16::from(a[i]) - i16::from(b[i]) - borrow;
        borrow = i16::from(d < 0);
        out[i] = d.rem_euclid(256) as u8;
    }
    out
}

/// `r || s` as a DER ECDSA-Sig-Value.
fn ecdsa_der(fixed: &[u8]) -> Vec<u8> {
    let (r, s) = fixed.split_at(fixed.len() / 2);
    tlv(0x30, &[der_uint(r), der_uint(s)].concat())
}

/// Every hostile variant of the valid signature `good` (`r || s`) over `msg` by `key`, checked
/// through [`verify_ecdsa`] (AWS-LC for the curve's own hash with the `aws-lc` feature) and
/// RustCrypto alone: both agree, and only the valid signatures verify.
fn check_ecdsa<K: EcVerifier>(
    key: &EcKey<K>,
    other: &EcKey<K>,
    curve: EcCurve,
    hash: CertHash,
    msg: &[u8],
    good: &[u8],
) {
    let len = ec_field_len(curve);
    let n = curve_order(curve);
    assert_eq!(n.len(), len);
    let (r, s) = good.split_at(len);
    let mut cases: Vec<(String, Vec<u8>, bool)> = vec![
        ("valid".into(), good.to_vec(), true),
        // ECDSA accepts (r, n - s) as well: neither backend enforces low-S.
        ("high/low S".into(), [r, &sub_be(&n, s)].concat(), true),
        ("r = 0".into(), [&vec![0; len][..], s].concat(), false),
        ("s = 0".into(), [r, &vec![0; len][..]].concat(), false),
        ("r = n".into(), [&n[..], s].concat(), false),
        ("s = n".into(), [r, &n[..]].concat(), false),
        (
            "s = n - 1".into(),
            [
                r,
                &sub_be(&n, &{
                    let mut one = vec![0; len];
                    one[len - 1] = 1;
                    one
                }),
            ]
            .concat(),
            false,
        ),
        ("r, s = all ones".into(), vec![0xff; 2 * len], false),
    ];
    for i in [0, len / 2, len - 1, len, 2 * len - 1] {
        let mut f = good.to_vec();
        f[i] ^= 0x04;
        cases.push((format!("bit flipped at {i}"), f, false));
    }
    for (case, fixed, expected) in cases {
        let der = ecdsa_der(&fixed);
        for (m, key, expected) in [
            (msg, key, expected),
            (&b"another tbsCertificate"[..], key, false),
            (msg, other, false),
        ] {
            let all = verify_ecdsa(key, curve, hash, m, &der);
            let rust = verify_ecdsa_rustcrypto(key, hash, m, &fixed);
            assert_eq!(
                all, rust,
                "{curve:?} {hash:?} {case}: dispatch {all}, RustCrypto {rust}"
            );
            assert_eq!(all, expected, "{curve:?} {hash:?} {case}");
            #[cfg(feature = "aws-lc")]
            if hash == curve.own_hash() {
                let aws = key.aws.as_ref().expect("AWS-LC parsed the key");
                assert_eq!(aws.verify_sig(m, &fixed).is_ok(), rust, "{curve:?} {case}");
            }
        }
    }
    // DER the decoder refuses never reaches a backend.
    let mut long = ecdsa_der(good);
    long.push(0);
    assert!(!verify_ecdsa(key, curve, hash, msg, &long));
    assert!(!verify_ecdsa(key, curve, hash, msg, good));
}

#[test]
fn every_ecdsa_backend_agrees_on_every_input() {
    use p256::ecdsa::signature::hazmat::PrehashSigner;
    let msg = b"tbsCertificate of a Smart-ID user certificate".as_slice();
    for hash in [CertHash::Sha256, CertHash::Sha384, CertHash::Sha512] {
        let d = hash.digest(msg);
        {
            let sk = p256::ecdsa::SigningKey::from_slice(&[0x17; 32]).unwrap();
            let other = p256::ecdsa::SigningKey::from_slice(&[0x18; 32]).unwrap();
            let point = |k: &p256::ecdsa::SigningKey| {
                k.verifying_key().to_sec1_point(false).as_bytes().to_vec()
            };
            let key = EcKey::new(*sk.verifying_key(), &point(&sk), EcCurve::P256);
            let other = EcKey::new(*other.verifying_key(), &point(&other), EcCurve::P256);
            let sig: p256::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
            check_ecdsa(&key, &other, EcCurve::P256, hash, msg, &sig.to_bytes());
        }
        {
            let sk = p384::ecdsa::SigningKey::from_slice(&[0x27; 48]).unwrap();
            let other = p384::ecdsa::SigningKey::from_slice(&[0x28; 48]).unwrap();
            let point = |k: &p384::ecdsa::SigningKey| {
                k.verifying_key().to_sec1_point(false).as_bytes().to_vec()
            };
            let key = EcKey::new(*sk.verifying_key(), &point(&sk), EcCurve::P384);
            let other = EcKey::new(*other.verifying_key(), &point(&other), EcCurve::P384);
            let sig: p384::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
            check_ecdsa(&key, &other, EcCurve::P384, hash, msg, &sig.to_bytes());
        }
        {
            let mut secret = [0x37; 66];
            secret[0] = 0;
            let sk = p521::ecdsa::SigningKey::from_slice(&secret).unwrap();
            secret[1] = 0x38;
            let other = p521::ecdsa::SigningKey::from_slice(&secret).unwrap();
            let point = |k: &p521::ecdsa::SigningKey| {
                p521::ecdsa::VerifyingKey::from(k)
                    .to_sec1_point(false)
                    .as_bytes()
                    .to_vec()
            };
            let vk = |k: &p521::ecdsa::SigningKey| p521::ecdsa::VerifyingKey::from(k);
            let key = EcKey::new(vk(&sk), &point(&sk), EcCurve::P521);
            let other = EcKey::new(vk(&other), &point(&other), EcCurve::P521);
            let sig: p521::ecdsa::Signature = sk.sign_prehash(&d).unwrap();
            check_ecdsa(&key, &other, EcCurve::P521, hash, msg, &sig.to_bytes());
        }
    }
}
