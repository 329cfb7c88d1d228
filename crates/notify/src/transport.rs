//! How mail leaves: an SMTP server (plain, STARTTLS or TLS, with or without authentication,
//! a private CA trusted) or a directory of `.eml` files, and why a message did not go.

use std::path::PathBuf;
use std::time::Duration;

use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// How mail leaves.
pub enum Transport {
    /// An SMTP server (plain, STARTTLS or TLS, with or without authentication: see
    /// [`Transport::smtp`]).
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Duration),
    /// A directory: each message becomes `ID.eml` (the embedded default, for demos).
    Directory(PathBuf),
}

impl Transport {
    /// An SMTP transport from a URL: `smtp://HOST:PORT` (plain), `smtp://HOST:PORT?tls=required`
    /// (STARTTLS), `smtps://HOST:PORT` (TLS); `USER:PASSWORD@` before the host authenticates.
    pub fn smtp(url: &str, timeout: Duration) -> Result<Self, String> {
        Self::smtp_trusting(url, timeout, None)
    }

    /// Like [`Transport::smtp`], trusting the certificate authority in `ca_pem` (a PEM file's
    /// contents) for the server's TLS, beside the usual public roots: for a relay with a
    /// private CA or a self-signed certificate.
    pub fn smtp_trusting(
        url: &str,
        timeout: Duration,
        ca_pem: Option<&[u8]>,
    ) -> Result<Self, String> {
        use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("the SMTP URL is not usable: {e}"))?;
        if let Some(pem) = ca_pem {
            let parsed =
                url::Url::parse(url).map_err(|e| format!("the SMTP URL is not usable: {e}"))?;
            let host = parsed
                .host_str()
                .ok_or("the SMTP URL is not usable: it names no host")?
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_string();
            let certificate = Certificate::from_pem(pem)
                .map_err(|e| format!("the SMTP CA certificate is not usable: {e}"))?;
            let parameters = TlsParameters::builder(host)
                .add_root_certificate(certificate)
                .build_rustls()
                .map_err(|e| format!("the SMTP TLS settings are not usable: {e}"))?;
            let tls_query = parsed
                .query_pairs()
                .find(|(k, _)| k == "tls")
                .map(|(_, v)| v.into_owned());
            let tls = match (parsed.scheme(), tls_query.as_deref()) {
                ("smtps", _) => Tls::Wrapper(parameters),
                (_, Some("required")) => Tls::Required(parameters),
                (_, Some("opportunistic")) => Tls::Opportunistic(parameters),
                _ => {
                    return Err(
                        "a CA certificate is set, but the SMTP URL asks for no TLS: use smtps:// or ?tls=required"
                            .into(),
                    );
                }
            };
            builder = builder.tls(tls);
        }
        Ok(Transport::Smtp(
            builder.timeout(Some(timeout)).build(),
            timeout * 2,
        ))
    }

    /// Sends one message; `id` names the file in directory mode.
    pub async fn send(&self, id: &str, message: &Message) -> Result<(), SendError> {
        match self {
            // lettre's own timeout covers each read, not a whole exchange: a server that stops
            // answering mid-exchange (seen after a refused AUTH) must not hold the sender.
            Transport::Smtp(smtp, limit) => {
                match tokio::time::timeout(*limit, smtp.send(message.clone())).await {
                    Ok(sent) => sent.map(|_| ()).map_err(SendError::Smtp),
                    Err(_) => Err(SendError::TimedOut(limit.as_secs())),
                }
            }
            Transport::Directory(dir) => {
                let write = |path: &std::path::Path| {
                    let path = path.to_path_buf();
                    move |source| SendError::Write { path, source }
                };
                tokio::fs::create_dir_all(dir).await.map_err(write(dir))?;
                let file = dir.join(format!("{id}.eml"));
                let partial = dir.join(format!(".{id}.eml.partial"));
                tokio::fs::write(&partial, message.formatted())
                    .await
                    .map_err(write(&partial))?;
                tokio::fs::rename(&partial, &file)
                    .await
                    .map_err(write(&file))
            }
        }
    }
}

/// Why a message did not go.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The SMTP server refused the message, or the exchange failed.
    #[error("SMTP")]
    Smtp(#[source] lettre::transport::smtp::Error),
    /// The SMTP server stopped answering part-way.
    #[error("the SMTP server did not finish the exchange within {0} s")]
    TimedOut(u64),
    /// The mail directory could not be written.
    #[error("cannot write {}", path.display())]
    Write {
        /// The file or directory.
        path: std::path::PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
}
