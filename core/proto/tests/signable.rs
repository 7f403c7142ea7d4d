//! `SignableHash` (issue 13, item 3): the six vectors of the official Java client's
//! `DigestCalculatorTest` ("Hello World!" under each Smart-ID hash algorithm), and every
//! algorithm against `openssl dgst` over data of many lengths, as an independent implementation.
#![cfg(feature = "signable")]

use std::io::Write as _;
use std::process::{Command, Stdio};

use sidkit_proto::env::RelyingParty;
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::HashAlgorithm;
use sidkit_proto::request::SignatureRequestBuilder;
use sidkit_proto::signable::SignableHash;

const ALL: [HashAlgorithm; 6] = [
    HashAlgorithm::Sha256,
    HashAlgorithm::Sha384,
    HashAlgorithm::Sha512,
    HashAlgorithm::Sha3_256,
    HashAlgorithm::Sha3_384,
    HashAlgorithm::Sha3_512,
];

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn the_java_clients_digest_calculator_vectors() {
    let vectors = [
        (HashAlgorithm::Sha256, "7f83b1657ff1fc53b92dc18148a1d65dfc2d4b1fa3d677284addd200126d9069"),
        (HashAlgorithm::Sha384, "bfd76c0ebbd006fee583410547c1887b0292be76d582d96c242d2a792723e3fd6fd061f9d5cfd13b8f961358e6adba4a"),
        (HashAlgorithm::Sha512, "861844d6704e8573fec34d967e20bcfef3d424cf48be04e6dc08f2bd58c729743371015ead891cc3cf1c9d34b49264b510751b1ff9e537937bc46b5d6ff4ecc8"),
        (HashAlgorithm::Sha3_256, "d0e47486bbf4c16acac26f8b653592973c1362909f90262877089f9c8a4536af"),
        (HashAlgorithm::Sha3_384, "f324cbd421326a2abaedf6f395d1a51e189d4a71c755f531289e519f079b224664961e385afcc37da348bd859f34fd1c"),
        (HashAlgorithm::Sha3_512, "32400b5e89822de254e8d5d94252c52bdcb27a3562ca593e980364d9848b8041b98eabe16c1a6797484941d2376864a1b0e248b0f7af8b1555a778c336a5bf48"),
    ];
    for (alg, expected) in vectors {
        let h = SignableHash::of_data(b"Hello World!", alg);
        assert_eq!(hex(h.digest()), expected, "{alg}");
        assert_eq!(h.algorithm(), alg);
    }
}

/// `openssl dgst -<alg> -binary` of `data`.
fn openssl_dgst(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    let name = match alg {
        HashAlgorithm::Sha256 => "-sha256",
        HashAlgorithm::Sha384 => "-sha384",
        HashAlgorithm::Sha512 => "-sha512",
        HashAlgorithm::Sha3_256 => "-sha3-256",
        HashAlgorithm::Sha3_384 => "-sha3-384",
        HashAlgorithm::Sha3_512 => "-sha3-512",
    };
    let mut child = Command::new("openssl")
        .args(["dgst", name, "-binary"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("openssl must be installed");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl dgst {name}");
    out.stdout
}

#[test]
fn every_algorithm_agrees_with_openssl_dgst() {
    // Lengths around the block sizes (64/128 bytes for SHA-2, 72–136 for SHA-3) and larger.
    let mut checked = 0;
    for len in [
        0usize, 1, 55, 56, 63, 64, 65, 71, 72, 104, 111, 112, 128, 135, 136, 137, 1000, 65_537,
    ] {
        let data: Vec<u8> = (0..len).map(|i| (i * 31 + len) as u8).collect();
        for alg in ALL {
            let h = SignableHash::of_data(&data, alg);
            assert_eq!(h.digest(), openssl_dgst(alg, &data), "{alg}, {len} bytes");
            assert_eq!(h.digest().len(), alg.output_len());
            checked += 1;
        }
    }
    assert_eq!(checked, 18 * 6);
}

#[test]
fn a_signature_request_takes_the_digest_and_its_algorithm_together() {
    let rp = RelyingParty::new("00000000-0000-0000-0000-000000000000", "DEMO").unwrap();
    let h = SignableHash::of_data(b"Hello World!", HashAlgorithm::Sha3_512);
    let interactions = Interactions::new(
        InteractionFlow::DeviceLink,
        vec![Interaction::display_text_and_pin("Sign the contract?").unwrap()],
    )
    .unwrap();
    let req = SignatureRequestBuilder::for_hash(&rp, &h)
        .interactions(interactions)
        .build_device_link()
        .unwrap();
    let json = serde_json::to_value(&req).unwrap();
    assert_eq!(json["signatureProtocolParameters"]["digest"], h.to_base64());
    assert_eq!(
        json["signatureProtocolParameters"]["signatureAlgorithmParameters"]["hashAlgorithm"],
        "SHA3-512"
    );
}
