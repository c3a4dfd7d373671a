//! A Terraform state at an `https://` (or `http://`) URL, as tfstate-lookup reads it: one plain
//! GET, the body is the state. Blocking, because templates are rendered synchronously; it never
//! starts an async runtime (ARCHITECTURE.md §2).
//!
//! TLS is rustls with ring (the stack the AWS SDK already uses) and the system's CA
//! certificates, loaded by rustls-native-certs as the SDK loads them: `SSL_CERT_FILE` (a PEM
//! bundle) or `SSL_CERT_DIR` replaces them, e.g. with a private CA. Proxies come from
//! `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.
//! Must not: interpret the body (the caller decodes the state) or retry.

use std::sync::Arc;
use std::time::Duration;

/// How long one state download may take in all. A state is read once per run; a server that
/// does not answer must not hang a deploy.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The largest state accepted (ureq's default limit, 10 MB, is below what big states reach).
const MAX_STATE_BYTES: u64 = 1 << 30;

/// The body of a successful GET of `url`; the error is one line (status, or what failed).
pub(crate) fn get(url: &str) -> Result<Vec<u8>, String> {
    let agent = agent(url.starts_with("https://"))?;
    let mut response = agent.get(url).call().map_err(|error| match error {
        ureq::Error::StatusCode(status) => format!("HTTP status {status}"),
        other => other.to_string(),
    })?;
    response
        .body_mut()
        .with_config()
        .limit(MAX_STATE_BYTES)
        .read_to_vec()
        .map_err(|error| format!("reading the body: {error}"))
}

/// An agent trusting the system's CA certificates; with `secure`, finding none is an error
/// (every HTTPS request would fail with a less helpful message).
fn agent(secure: bool) -> Result<ureq::Agent, String> {
    let loaded = rustls_native_certs::load_native_certs();
    if secure && loaded.certs.is_empty() {
        let reasons: Vec<String> = loaded.errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "no CA certificates found on this system{}",
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" ({})", reasons.join("; "))
            }
        ));
    }
    let roots: Vec<ureq::tls::Certificate<'static>> = loaded
        .certs
        .iter()
        .map(|der| ureq::tls::Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(roots)))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    Ok(ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_global(Some(TIMEOUT))
        .user_agent(concat!("ristretto/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent())
}
