//! How the simulated app opens a callback: the callback URL (`initialCallbackUrl` with
//! `sessionSecretDigest` and `userChallengeVerifier`), and the HTTP client and `GET` of
//! [`CallbackMode::HttpGet`](crate::CallbackMode::HttpGet).

use std::sync::Arc;
use std::time::Duration;

use sidkit_proto::secret::SessionSecret;

use crate::config::CallbackMode;
use crate::error::SimulatorError;
use crate::events::CallbackEvent;
use crate::tls::ServerTls;

/// `initialCallbackUrl&sessionSecretDigest=…[&userChallengeVerifier=…]`.
pub(crate) fn callback_url(
    initial: &str,
    secret: &SessionSecret,
    verifier: Option<&str>,
) -> String {
    let sep = if initial.contains('?') { '&' } else { '?' };
    let mut url = format!(
        "{initial}{sep}sessionSecretDigest={}",
        secret.digest().to_base64url()
    );
    if let Some(v) = verifier {
        url.push_str("&userChallengeVerifier=");
        url.push_str(v);
    }
    url
}

pub(crate) fn callback_client(
    mode: &CallbackMode,
    tls: Option<&ServerTls>,
) -> Result<reqwest::Client, SimulatorError> {
    let mut roots = rustls::RootCertStore::empty();
    let mut pems: Vec<String> = tls.map(|t| vec![t.ca_pem()]).unwrap_or_default();
    if let CallbackMode::HttpGet { extra_ca_pem, .. } = mode {
        pems.extend(extra_ca_pem.iter().cloned());
    }
    use rustls::pki_types::pem::PemObject;
    for pem in &pems {
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| SimulatorError::Tls(format!("callback CA: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| SimulatorError::Tls(format!("callback CA: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    if !roots.is_empty() {
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| SimulatorError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        builder = builder.use_preconfigured_tls(tls);
    }
    builder
        .build()
        .map_err(|e| SimulatorError::Tls(format!("callback client: {e}")))
}

pub(crate) async fn http_get_callback(
    client: &reqwest::Client,
    event: &CallbackEvent,
    plain_http: bool,
) -> Result<u16, String> {
    let url =
        sidkit_proto::url::parse_https("callbackUrl", &event.url).map_err(|e| e.to_string())?;
    let host = url.host.to_ascii_lowercase();
    if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!(
            "not delivered: {host} is not a loopback host (the simulator only calls loopback)"
        ));
    }
    let target = if plain_http {
        format!("http://{}", &event.url["https://".len()..])
    } else {
        event.url.clone()
    };
    let mut req = client.get(target);
    if let Some(c) = &event.browser_cookie {
        req = req.header(reqwest::header::COOKIE, c);
    }
    req.send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.without_url().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_url_shape() {
        let secret =
            SessionSecret::from_base64("B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=").unwrap();
        assert_eq!(
            callback_url("https://rp.example.com/cb?value=x", &secret, Some("v")),
            "https://rp.example.com/cb?value=x&sessionSecretDigest=U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc&userChallengeVerifier=v"
        );
    }
}
