//! The simulator's certificates prove the level it claims in `cert.certificateLevel`: the
//! verifier takes the level from the certificate (its Smart-ID policies and QC statements) and
//! refuses a response that claims more, so an account whose certificates proved less would
//! break every demo and end-to-end flow. Each account with outcome `OK` authenticates and
//! chooses its signing certificate over QR at its own level.

mod common;

use common::*;
use sidkit_proto::device_link::DeviceLinkType;
use sidkit_proto::env::RelyingParty;
use sidkit_proto::models::{CertificateLevel, Subject};
use sidkit_proto::request::{AuthenticationRequestBuilder, CertificateChoiceRequestBuilder};
use sidkit_simulator::{Outcome, RelyingPartyPermissions, Simulator, SimulatorConfig};
use sidkit_verify::{
    verify_authentication, verify_certificate_choice, AuthenticationSession, CallbackCheck,
    CertificateChoiceSession, OfferedFlows,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_account_proves_its_claimed_level() {
    // A relying party that may ask for ADVANCED (the DEMO one may not).
    let rp = RelyingParty::new("22222222-2222-4222-8222-222222222222", "LEVELS").unwrap();
    let sim = Simulator::start(
        SimulatorConfig::default().relying_party(RelyingPartyPermissions::full(rp.clone())),
    )
    .await
    .unwrap();
    let client = client(&sim);
    let trust = trust_store(&sim);
    let accounts: Vec<_> = sim
        .accounts()
        .into_iter()
        .filter(|a| a.outcome == Outcome::Ok)
        .collect();
    assert!(accounts
        .iter()
        .any(|a| a.level == CertificateLevel::Advanced));
    assert!(accounts
        .iter()
        .any(|a| a.level == CertificateLevel::Qualified));
    for (i, account) in accounts.iter().enumerate() {
        let doc = account.document_number.as_str();
        // Authentication at the account's level: the certificate proves exactly that level.
        let request = AuthenticationRequestBuilder::new(&rp)
            .interactions(device_link_interactions())
            .certificate_level(account.level)
            .build_device_link()
            .unwrap();
        let session = client
            .create_device_link_authentication(&Subject::Anonymous, &request)
            .await
            .unwrap();
        let frame = session
            .qr_ticker()
            .unwrap()
            .frame_at(std::time::Instant::now());
        mock_device(&sim, doc, frame.link.as_str(), DeviceLinkType::Qr, None)
            .await
            .unwrap();
        let status = client
            .poll_until_complete(session.session_id(), &fast_poll())
            .await
            .unwrap();
        assert_eq!(
            status.cert.as_ref().unwrap().level(),
            Some(account.level),
            "{doc}"
        );
        let verified = verify_authentication(
            &verifier(&trust),
            &AuthenticationSession::device_link(&request, Subject::Anonymous, OfferedFlows::QR),
            &status,
            CallbackCheck::None,
        )
        .unwrap_or_else(|e| panic!("{doc}: {e}"));
        assert_eq!(verified.certificate_level, account.level, "{doc}");

        // Certificate choice at the account's level (and at QSCD for qualified accounts): the
        // signing certificate of a qualified account carries QcSSCD and proves QSCD, more
        // than the QUALIFIED the simulator (like SK) claims.
        let mut levels = vec![account.level];
        if account.level == CertificateLevel::Qualified {
            levels.push(CertificateLevel::Qscd);
        }
        for level in levels {
            // A nonce each: the same body within 15 s would be the same session.
            let request = CertificateChoiceRequestBuilder::new(&rp)
                .certificate_level(level)
                .nonce(format!("levels-{i}-{level}"))
                .build_device_link()
                .unwrap();
            let choice = client
                .create_device_link_certificate_choice(&request)
                .await
                .unwrap();
            let link = choice.signer().unwrap().qr_link(0);
            mock_device(&sim, doc, link.as_str(), DeviceLinkType::Qr, None)
                .await
                .unwrap();
            let status = client
                .poll_until_complete(choice.session_id(), &fast_poll())
                .await
                .unwrap();
            assert_eq!(
                status.cert.as_ref().unwrap().level(),
                Some(account.level),
                "{doc}"
            );
            let chosen = verify_certificate_choice(
                &verifier(&trust),
                &CertificateChoiceSession::device_link(&request, OfferedFlows::QR),
                &status,
                CallbackCheck::None,
            )
            .unwrap_or_else(|e| panic!("{doc} {level}: {e}"));
            let proven = match account.level {
                CertificateLevel::Advanced => CertificateLevel::Advanced,
                _ => CertificateLevel::Qscd,
            };
            assert_eq!(chosen.certificate_level, proven, "{doc} {level}");
        }
    }
}
