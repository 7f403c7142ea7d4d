//! ring and `rsa` must agree on every RSASSA-PSS input: valid signatures for every key size
//! and hash, and hostile encodings (other salt lengths, another MGF1 or message hash, bad
//! trailer, bad padding, bits set above the modulus, truncated, oversized and out-of-range
//! values, the wrong key).

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
    let ring = verify_pss_ring(key, hash, salt, msg, sig)
        .unwrap_or_else(|| panic!("{case}: ring has no parameter set"));
    let rust = verify_pss_rustcrypto(key, hash, salt, msg, sig);
    let bits = rsa_bits(key);
    assert_eq!(
        ring, rust,
        "{case} ({bits} bits, {hash}): ring {ring}, rsa {rust}"
    );
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
            assert!(!verify_pss(&other_public, hash, h_len, msg, &good));
        }
    }
    // Outside ring's parameter sets the `rsa` crate alone decides (and still verifies).
    let s = sign_pss_salt(key, HashAlgorithm::Sha3_512, msg, 64);
    assert!(verify_pss_ring(&public, HashAlgorithm::Sha3_512, 64, msg, &s).is_none());
    assert!(verify_pss(&public, HashAlgorithm::Sha3_512, 64, msg, &s));
    let s = sign_pss_salt(key, HashAlgorithm::Sha256, msg, 48);
    assert!(verify_pss_ring(&public, HashAlgorithm::Sha256, 48, msg, &s).is_none());
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
    let public = key.to_public_key();
    let tbs = b"tbsCertificate bytes";
    for hash in SHA2 {
        let h = hash.output_len();
        for salt in [h, h + 10] {
            let s = sign_pss_salt(&key, hash, tbs, salt);
            assert!(verify_pss(&public, hash, salt, tbs, &s));
        }
    }
}
