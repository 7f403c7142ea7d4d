//! Fetching OCSP responses and CRLs: the [`RevocationTransport`] trait (tests plug their own)
//! and [`HttpTransport`], its reqwest implementation. OCSP and CRLs travel over plain
//! `http://` (RFC 6960 Appendix A, RFC 5280 §4.2.1.13): what they carry is signed, and it is
//! checked after the fetch. No redirects, no proxy, a timeout per request and a size cap.

use std::time::Duration;

use async_trait::async_trait;

/// Why a fetch failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The URL is not one the transport fetches (only `http://` is).
    #[error("refused URL {url}: {reason}")]
    Refused {
        /// The URL.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// The server answered with a status other than `200`.
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The body is larger than the cap.
    #[error("{url} sent more than {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap in bytes.
        limit: usize,
    },
    /// Connecting, sending or reading failed (or timed out).
    #[error("{url}: {reason}")]
    Io {
        /// The URL.
        url: String,
        /// What happened.
        reason: String,
    },
}

/// How revocation data is fetched. Implement it to route through your own HTTP stack, or in
/// tests; [`HttpTransport`] is the default.
#[async_trait]
pub trait RevocationTransport: Send + Sync + 'static {
    /// POSTs the DER OCSP `request` to `url` (`application/ocsp-request`) and returns the
    /// response body.
    async fn post_ocsp(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, TransportError>;
    /// GETs the DER CRL at `url`.
    async fn get_crl(&self, url: &str) -> Result<Vec<u8>, TransportError>;
}

/// The reqwest [`RevocationTransport`]: plain `http://` only, no redirects, no proxy, a
/// timeout per request, and size caps on OCSP responses and CRLs.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    client: reqwest::Client,
    max_ocsp_bytes: usize,
    max_crl_bytes: usize,
}

impl HttpTransport {
    /// Default timeout per request: 5 seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default cap on an OCSP response: 64 KiB.
    pub const DEFAULT_MAX_OCSP_BYTES: usize = 64 * 1024;
    /// Default cap on a CRL: 32 MiB (SK's CRLs run to megabytes).
    pub const DEFAULT_MAX_CRL_BYTES: usize = 32 * 1024 * 1024;

    /// A transport with the default timeout and caps.
    pub fn new() -> Result<Self, TransportError> {
        Self::with_limits(
            Self::DEFAULT_TIMEOUT,
            Self::DEFAULT_MAX_OCSP_BYTES,
            Self::DEFAULT_MAX_CRL_BYTES,
        )
    }

    /// A transport with `timeout` per request (connect included) and the given caps.
    pub fn with_limits(
        timeout: Duration,
        max_ocsp_bytes: usize,
        max_crl_bytes: usize,
    ) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .connect_timeout(timeout)
            .timeout(timeout)
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .no_proxy()
            .user_agent(concat!("sidkit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| TransportError::Io {
                url: String::new(),
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(HttpTransport {
            client,
            max_ocsp_bytes,
            max_crl_bytes,
        })
    }

    async fn fetch(
        &self,
        url: &str,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> Result<Vec<u8>, TransportError> {
        let io = |e: reqwest::Error| TransportError::Io {
            url: url.to_owned(),
            reason: e.to_string(),
        };
        let mut resp = request.send().await.map_err(io)?;
        if resp.status() != reqwest::StatusCode::OK {
            return Err(TransportError::Status {
                url: url.to_owned(),
                status: resp.status().as_u16(),
            });
        }
        let too_large = || TransportError::TooLarge {
            url: url.to_owned(),
            limit,
        };
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(io)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

fn check_url(url: &str) -> Result<(), TransportError> {
    if url.len() > 7 && url[..7].eq_ignore_ascii_case("http://") {
        Ok(())
    } else {
        Err(TransportError::Refused {
            url: url.chars().take(200).collect(),
            reason: "only http:// revocation URLs are fetched",
        })
    }
}

#[async_trait]
impl RevocationTransport for HttpTransport {
    async fn post_ocsp(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        check_url(url)?;
        let req = self
            .client
            .post(url)
            .header("Content-Type", "application/ocsp-request")
            .header("Accept", "application/ocsp-response")
            .body(request.to_vec());
        self.fetch(url, req, self.max_ocsp_bytes).await
    }

    async fn get_crl(&self, url: &str) -> Result<Vec<u8>, TransportError> {
        check_url(url)?;
        let req = self.client.get(url);
        self.fetch(url, req, self.max_crl_bytes).await
    }
}
