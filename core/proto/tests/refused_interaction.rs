//! A typed refusal for each interaction kind of `USER_REFUSED_INTERACTION` (issue 13, item 5),
//! from the session status as Smart-ID sends it.

use sidkit_proto::interactions::InteractionType;
use sidkit_proto::models::SessionStatus;
use sidkit_proto::session_end::{EndResult, RefusedInteraction};
use sidkit_proto::SessionEnded;

fn ended(json: &str) -> SessionEnded {
    let s: SessionStatus = serde_json::from_str(json).unwrap();
    let r = s.result.unwrap();
    SessionEnded {
        end_result: r.end_result,
        interaction: r.details.and_then(|d| d.interaction),
    }
}

fn refused(interaction: &str) -> String {
    format!(
        r#"{{"state":"COMPLETE","result":{{"endResult":"USER_REFUSED_INTERACTION","details":{{"interaction":"{interaction}"}}}}}}"#
    )
}

#[test]
fn each_interaction_kind_has_its_refusal() {
    let cases = [
        (
            "displayTextAndPIN",
            RefusedInteraction::DisplayTextAndPin,
            "user_refused_display_text_and_pin",
        ),
        (
            "confirmationMessage",
            RefusedInteraction::ConfirmationMessage,
            "user_refused_confirmation_message",
        ),
        (
            "confirmationMessageAndVerificationCodeChoice",
            RefusedInteraction::ConfirmationMessageAndVerificationCodeChoice,
            "user_refused_confirmation_message_and_verification_code_choice",
        ),
    ];
    for (wire, typed, code) in cases {
        let e = ended(&refused(wire));
        assert_eq!(e.end_result, EndResult::UserRefusedInteraction);
        let r = e.refused_interaction().unwrap();
        assert_eq!(r, typed);
        assert_eq!(r.code(), code);
        assert_eq!(r.interaction_type(), InteractionType::parse(wire));
        assert!(r.interaction_type().is_some());
    }
}

#[test]
fn unreported_or_unknown_interactions_and_other_end_results() {
    // The legacy value a Java fixture shows for a DEMO account, kept as sent.
    let e = ended(&refused("verificationCodeChoice"));
    let r = e.refused_interaction().unwrap();
    assert_eq!(
        r,
        RefusedInteraction::Unreported(Some("verificationCodeChoice".into()))
    );
    assert_eq!(r.code(), "user_refused_interaction");
    assert_eq!(r.interaction_type(), None);
    let e = ended(r#"{"state":"COMPLETE","result":{"endResult":"USER_REFUSED_INTERACTION"}}"#);
    assert_eq!(
        e.refused_interaction(),
        Some(RefusedInteraction::Unreported(None))
    );
    // Not an interaction refusal: none, even with a details.interaction.
    let e = ended(
        r#"{"state":"COMPLETE","result":{"endResult":"USER_REFUSED","details":{"interaction":"displayTextAndPIN"}}}"#,
    );
    assert_eq!(e.refused_interaction(), None);
}
