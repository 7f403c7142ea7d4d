//! The unsigned informational fields of a session status reach every verified result alike
//! (issue 13, item 5): `deviceIpAddress` (with `shareMdClientIpAddress`) and
//! `ignoredProperties`, for authentication, signature and certificate choice; absent, they are
//! absent from the result's JSON.

mod common;

use common::*;
use sidkit_proto::models::FlowType;

const IP: &str = "203.0.113.34";

fn ignored() -> Vec<String> {
    vec![
        "capabilities.unknownCapability".to_owned(),
        "nonce".to_owned(),
    ]
}

#[test]
fn device_ip_address_and_ignored_properties_in_every_result() {
    let pki = Pki::new();

    let mut a = Auth::new(&pki, FlowType::Qr);
    a.status.device_ip_address = Some(IP.into());
    a.status.ignored_properties = Some(ignored());
    let r = a.verify(&pki).unwrap();
    assert_eq!(r.device_ip_address.as_deref(), Some(IP));
    assert_eq!(r.ignored_properties, ignored());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["deviceIpAddress"], IP);
    assert_eq!(
        json["ignoredProperties"][0],
        "capabilities.unknownCapability"
    );

    let mut s = Sign::new(&pki, FlowType::Qr);
    s.status.device_ip_address = Some(IP.into());
    s.status.ignored_properties = Some(ignored());
    let r = s.verify(&pki).unwrap();
    assert_eq!(r.device_ip_address.as_deref(), Some(IP));
    assert_eq!(r.ignored_properties, ignored());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["deviceIpAddress"], IP);
    assert_eq!(json["ignoredProperties"][1], "nonce");

    let mut c = Choice::new(&pki, FlowType::Qr, &sign_spec(), None);
    c.status.device_ip_address = Some(IP.into());
    c.status.ignored_properties = Some(ignored());
    let r = c.verify(&pki).unwrap();
    assert_eq!(r.device_ip_address.as_deref(), Some(IP));
    assert_eq!(r.ignored_properties, ignored());
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["deviceIpAddress"], IP);
}

#[test]
fn absent_fields_stay_absent() {
    let pki = Pki::new();
    let r = Sign::new(&pki, FlowType::Qr).verify(&pki).unwrap();
    assert_eq!(r.device_ip_address, None);
    assert!(r.ignored_properties.is_empty());
    let json = serde_json::to_value(&r).unwrap();
    assert!(json.get("deviceIpAddress").is_none() && json.get("ignoredProperties").is_none());
    let r = Choice::new(&pki, FlowType::Qr, &sign_spec(), None)
        .verify(&pki)
        .unwrap();
    let json = serde_json::to_value(&r).unwrap();
    assert!(json.get("deviceIpAddress").is_none() && json.get("ignoredProperties").is_none());
}
