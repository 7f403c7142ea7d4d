//! Object identifiers used by the verifier.

pub(crate) use x509_cert::der::oid::ObjectIdentifier as Oid;

/// Smart-ID scheme policy, qualified.
pub const SMART_ID_QUALIFIED: Oid = Oid::new_unwrap("1.3.6.1.4.1.10015.17.2");
/// Smart-ID scheme policy, non-qualified.
pub const SMART_ID_NON_QUALIFIED: Oid = Oid::new_unwrap("1.3.6.1.4.1.10015.17.1");
/// ETSI NCP+ (qualified authentication).
pub const ETSI_NCP_PLUS: Oid = Oid::new_unwrap("0.4.0.2042.1.2");
/// ETSI NCP (non-qualified).
pub const ETSI_NCP: Oid = Oid::new_unwrap("0.4.0.2042.1.1");
/// ETSI QCP-n-qscd (qualified signature on a QSCD).
pub const ETSI_QCP_N_QSCD: Oid = Oid::new_unwrap("0.4.0.194112.1.2");

/// Smart-ID authentication EKU (certificates since April 2025).
pub const EKU_SMART_ID_AUTH: Oid = Oid::new_unwrap("1.3.6.1.4.1.62306.5.7.0");
/// `id-kp-clientAuth` (the legacy authentication EKU).
pub const EKU_CLIENT_AUTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.2");

/// `qcStatements` extension.
pub const QC_STATEMENTS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.3");
/// `id-etsi-qcs-QcCompliance`.
pub const QCS_QC_COMPLIANCE: Oid = Oid::new_unwrap("0.4.0.1862.1.1");
/// `id-etsi-qcs-QcSSCD`.
pub const QCS_QC_SSCD: Oid = Oid::new_unwrap("0.4.0.1862.1.4");
/// `id-etsi-qcs-QcType`.
pub const QCS_QC_TYPE: Oid = Oid::new_unwrap("0.4.0.1862.1.6");
/// `id-etsi-qct-esign`.
pub const QCT_ESIGN: Oid = Oid::new_unwrap("0.4.0.1862.1.6.1");

/// `subjectDirectoryAttributes` extension.
pub const SUBJECT_DIRECTORY_ATTRIBUTES: Oid = Oid::new_unwrap("2.5.29.9");
/// `id-pda-dateOfBirth`.
pub const DATE_OF_BIRTH: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.9.1");
/// `id-ad-ocsp`.
pub const AD_OCSP: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1");

/// `id-kp-OCSPSigning`: the EKU of a delegated OCSP responder.
pub const EKU_OCSP_SIGNING: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.3.9");
/// `id-pkix-ocsp-basic`: the `BasicOCSPResponse` response type.
pub const OCSP_BASIC: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// `id-pkix-ocsp-nonce`.
pub const OCSP_NONCE: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// `id-pkix-ocsp-nocheck`: a delegated responder certificate need not be checked itself.
pub const OCSP_NOCHECK: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// `id-sha1` (OCSP CertIDs only).
pub const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
/// `reasonCode` (CRL entry extension).
pub const CRL_REASON: Oid = Oid::new_unwrap("2.5.29.21");

/// Subject `serialNumber`.
pub const SERIAL_NUMBER: Oid = Oid::new_unwrap("2.5.4.5");
/// Subject `givenName`.
pub const GIVEN_NAME: Oid = Oid::new_unwrap("2.5.4.42");
/// Subject `surname`.
pub const SURNAME: Oid = Oid::new_unwrap("2.5.4.4");
/// Subject `commonName`.
pub const CN: Oid = Oid::new_unwrap("2.5.4.3");

/// Extensions the verifier understands (or that carry no constraint it must enforce). A
/// certificate with any other extension marked critical is rejected (RFC 5280 §4.2).
pub const KNOWN_EXTENSIONS: &[Oid] = &[
    Oid::new_unwrap("2.5.29.19"),         // basicConstraints
    Oid::new_unwrap("2.5.29.15"),         // keyUsage
    Oid::new_unwrap("2.5.29.37"),         // extKeyUsage
    Oid::new_unwrap("2.5.29.32"),         // certificatePolicies
    Oid::new_unwrap("2.5.29.14"),         // subjectKeyIdentifier
    Oid::new_unwrap("2.5.29.35"),         // authorityKeyIdentifier
    Oid::new_unwrap("2.5.29.17"),         // subjectAltName
    Oid::new_unwrap("2.5.29.31"),         // cRLDistributionPoints
    Oid::new_unwrap("2.5.29.9"),          // subjectDirectoryAttributes
    Oid::new_unwrap("1.3.6.1.5.5.7.1.1"), // authorityInfoAccess
    Oid::new_unwrap("1.3.6.1.5.5.7.1.3"), // qcStatements
];

// ---- algorithms ----

/// `rsaEncryption`.
pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
/// `sha256WithRSAEncryption`.
pub const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
/// `sha384WithRSAEncryption`.
pub const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
/// `sha512WithRSAEncryption`.
pub const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
/// `id-RSASSA-PSS`.
pub const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
/// `id-mgf1`.
pub const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
/// `id-sha256`.
pub const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
/// `id-sha384`.
pub const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
/// `id-sha512`.
pub const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
/// `id-ecPublicKey`.
pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
/// `prime256v1`.
pub const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
/// `secp384r1`.
pub const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
/// `secp521r1`.
pub const P521: Oid = Oid::new_unwrap("1.3.132.0.35");
/// `ecdsa-with-SHA256`.
pub const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
/// `ecdsa-with-SHA384`.
pub const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
/// `ecdsa-with-SHA512`.
pub const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
