//! The mailbox over IMAP (async-imap on tokio-rustls): TLS from the first byte (`imaps://`)
//! or after STARTTLS (`imap://`), never in the clear; login; the folder to read; the UIDs in
//! it; a message's raw bytes; moving a message to another folder (MOVE, or COPY + delete
//! where MOVE is missing); and waiting for new mail with IDLE, or by polling where the
//! server has no IDLE.

use std::sync::Arc;
use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::{Client, Session};
use futures::TryStreamExt;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::{TlsConnector, rustls};

use crate::IntakeError;

/// How to reach the mailbox.
#[derive(Clone)]
pub struct MailboxSettings {
    /// The server's host name (also checked against its certificate).
    pub host: String,
    /// Its port.
    pub port: u16,
    /// TLS from the first byte (`imaps`) or after STARTTLS (`imap`).
    pub implicit_tls: bool,
    /// The login.
    pub user: String,
    /// The password.
    pub password: String,
    /// A PEM certificate authority trusted beside the public roots (a private server).
    pub ca_pem: Option<Vec<u8>>,
}

impl std::fmt::Debug for MailboxSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("implicit_tls", &self.implicit_tls)
            .field("user", &self.user)
            .field("password", &"***")
            .finish()
    }
}

impl MailboxSettings {
    /// From a URL: `imaps://USER:PASSWORD@HOST[:993]` (TLS) or `imap://USER:PASSWORD@HOST[:143]`
    /// (STARTTLS, required); user and password percent-encoded.
    pub fn from_url(url: &str, ca_pem: Option<Vec<u8>>) -> Result<Self, IntakeError> {
        let bad = |why: &str| IntakeError::Settings(format!("the IMAP URL is not usable: {why}"));
        let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        let implicit_tls = match parsed.scheme() {
            "imaps" => true,
            "imap" => false,
            other => {
                return Err(bad(&format!(
                    "it starts with {other}://; use imaps://USER:PASSWORD@HOST:993 or \
                     imap://USER:PASSWORD@HOST:143 (STARTTLS)"
                )));
            }
        };
        let host = parsed
            .host_str()
            .ok_or_else(|| bad("it names no host"))?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let decode = |text: &str| {
            percent_encoding::percent_decode_str(text)
                .decode_utf8()
                .map(|t| t.into_owned())
                .map_err(|_| bad("the user or password is not valid UTF-8 once decoded"))
        };
        let user = decode(parsed.username())?;
        let password = decode(parsed.password().unwrap_or(""))?;
        if user.is_empty() || password.is_empty() {
            return Err(bad("put USER:PASSWORD@ before the host"));
        }
        Ok(Self {
            port: parsed
                .port()
                .unwrap_or(if implicit_tls { 993 } else { 143 }),
            host,
            implicit_tls,
            user,
            password,
            ca_pem,
        })
    }

    fn connector(&self) -> Result<TlsConnector, IntakeError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(pem) = &self.ca_pem {
            for certificate in CertificateDer::pem_slice_iter(pem) {
                let certificate = certificate.map_err(|e| {
                    IntakeError::Settings(format!("the IMAP CA certificate is not usable: {e}"))
                })?;
                roots.add(certificate).map_err(|e| {
                    IntakeError::Settings(format!("the IMAP CA certificate is not usable: {e}"))
                })?;
            }
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| IntakeError::Settings(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(TlsConnector::from(Arc::new(config)))
    }
}

/// An open, logged-in session.
pub struct Mailbox {
    session: Session<TlsStream<TcpStream>>,
    idle: bool,
    moves: bool,
    uidplus: bool,
}

/// How long one IMAP exchange may take before the connection counts as lost.
const EXCHANGE: Duration = Duration::from_secs(60);

async fn timed<T, E: Into<IntakeError>>(
    what: &str,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, IntakeError> {
    timed_for(what, EXCHANGE, future).await
}

/// [`timed`] with its own limit (a large download is given longer).
async fn timed_for<T, E: Into<IntakeError>>(
    what: &str,
    limit: Duration,
    future: impl Future<Output = Result<T, E>>,
) -> Result<T, IntakeError> {
    match tokio::time::timeout(limit, future).await {
        Ok(result) => result.map_err(Into::into),
        Err(_) => Err(IntakeError::Imap(format!(
            "the IMAP server did not answer {what} within {} s",
            limit.as_secs()
        ))),
    }
}

/// The time a download of `bytes` may take: the usual limit, and a second more per 256 KiB
/// (a slow link still gets a large message through).
fn download_limit(bytes: u64) -> Duration {
    EXCHANGE + Duration::from_secs(bytes / (256 * 1024))
}

impl Mailbox {
    /// Connects, secures the connection and logs in.
    pub async fn connect(settings: &MailboxSettings) -> Result<Self, IntakeError> {
        let connector = settings.connector()?;
        let name = ServerName::try_from(settings.host.clone())
            .map_err(|e| IntakeError::Settings(format!("the IMAP host name: {e}")))?;
        let tcp = timed(
            "the connection",
            TcpStream::connect((settings.host.as_str(), settings.port)),
        )
        .await?;
        let client = if settings.implicit_tls {
            let tls = timed("the TLS handshake", connector.connect(name, tcp)).await?;
            let mut client = Client::new(tls);
            timed("its greeting", client.read_response())
                .await?
                .ok_or_else(|| IntakeError::Imap("the IMAP server sent no greeting".into()))?;
            client
        } else {
            let mut plain = Client::new(tcp);
            timed("its greeting", plain.read_response())
                .await?
                .ok_or_else(|| IntakeError::Imap("the IMAP server sent no greeting".into()))?;
            timed("STARTTLS", plain.run_command_and_check_ok("STARTTLS", None)).await?;
            let tls = timed(
                "the TLS handshake",
                connector.connect(name, plain.into_inner()),
            )
            .await?;
            Client::new(tls)
        };
        let mut session = timed("the login", async {
            client
                .login(&settings.user, &settings.password)
                .await
                .map_err(|(error, _)| error)
        })
        .await
        .map_err(|e| match e {
            IntakeError::Imap(message) => IntakeError::Imap(format!(
                "the IMAP server refused the login of {}: {message}",
                settings.user
            )),
            other => other,
        })?;
        let capabilities = timed("CAPABILITY", session.capabilities()).await?;
        Ok(Self {
            idle: capabilities.has_str("IDLE"),
            moves: capabilities.has_str("MOVE"),
            uidplus: capabilities.has_str("UIDPLUS"),
            session,
        })
    }

    /// Whether the server announces IDLE.
    pub fn has_idle(&self) -> bool {
        self.idle
    }

    /// Creates `folder` unless it exists.
    pub async fn ensure_folder(&mut self, folder: &str) -> Result<(), IntakeError> {
        let existing: Vec<_> = timed("LIST", async {
            self.session
                .list(None, Some(folder))
                .await?
                .try_collect()
                .await
        })
        .await?;
        if existing.is_empty() {
            timed("CREATE", self.session.create(folder)).await?;
        }
        Ok(())
    }

    /// Selects `folder`; returns its UIDVALIDITY.
    pub async fn select(&mut self, folder: &str) -> Result<u32, IntakeError> {
        let mailbox = timed("SELECT", self.session.select(folder)).await?;
        Ok(mailbox.uid_validity.unwrap_or(0))
    }

    /// The UIDs of the messages in the selected folder, in order (not those marked deleted:
    /// where the server has no MOVE they wait, flagged, for whoever expunges the folder).
    pub async fn uids(&mut self) -> Result<Vec<u32>, IntakeError> {
        let mut uids: Vec<u32> = timed("UID SEARCH", self.session.uid_search("UNDELETED"))
            .await?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The sizes of the messages `uids`, in bytes (nothing is downloaded).
    pub async fn sizes(&mut self, uids: &[u32]) -> Result<Vec<(u32, u64)>, IntakeError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids);
        let fetched: Vec<_> = timed("UID FETCH RFC822.SIZE", async {
            self.session
                .uid_fetch(&set, "(UID RFC822.SIZE)")
                .await?
                .try_collect()
                .await
        })
        .await?;
        Ok(fetched
            .iter()
            .filter_map(|f| Some((f.uid?, u64::from(f.size?))))
            .collect())
    }

    /// The header of message `uid` only (for one too large to download).
    pub async fn header(&mut self, uid: u32) -> Result<Option<Vec<u8>>, IntakeError> {
        let fetched: Vec<_> = timed("UID FETCH BODY.PEEK[HEADER]", async {
            self.session
                .uid_fetch(uid.to_string(), "(UID BODY.PEEK[HEADER])")
                .await?
                .try_collect()
                .await
        })
        .await?;
        Ok(fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.header().map(<[u8]>::to_vec)))
    }

    /// The raw messages of `uids`, `bytes` in all as their sizes said, without marking them
    /// seen; a UID gone meanwhile is simply missing from the answer.
    pub async fn fetch(
        &mut self,
        uids: &[u32],
        bytes: u64,
    ) -> Result<Vec<(u32, Vec<u8>)>, IntakeError> {
        if uids.is_empty() {
            return Ok(Vec::new());
        }
        let set = uid_set(uids);
        let fetched: Vec<_> = timed_for("UID FETCH", download_limit(bytes), async {
            self.session
                .uid_fetch(&set, "(UID BODY.PEEK[])")
                .await?
                .try_collect()
                .await
        })
        .await?;
        Ok(fetched
            .iter()
            .filter_map(|f| Some((f.uid?, f.body()?.to_vec())))
            .collect())
    }

    /// Moves messages `uids` of the selected folder to `folder`.
    pub async fn move_to(&mut self, uids: &[u32], folder: &str) -> Result<(), IntakeError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        if self.moves {
            return timed("UID MOVE", self.session.uid_mv(&set, folder)).await;
        }
        timed("UID COPY", self.session.uid_copy(&set, folder)).await?;
        let _: Vec<_> = timed("UID STORE", async {
            self.session
                .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect()
                .await
        })
        .await?;
        // Only these messages: a plain EXPUNGE would also remove what another client had
        // marked deleted. Without UIDPLUS they stay flagged (and unread by `uids`).
        if self.uidplus {
            let _: Vec<_> = timed("UID EXPUNGE", async {
                self.session.uid_expunge(&set).await?.try_collect().await
            })
            .await?;
        }
        Ok(())
    }

    /// Adds a raw message to `folder` (tests and the benchmark fill mailboxes with it).
    pub async fn append(&mut self, folder: &str, raw: &[u8]) -> Result<(), IntakeError> {
        timed("APPEND", self.session.append(folder, None, None, raw)).await
    }

    /// Waits until the selected folder may have new mail, at most `at_most`: with IDLE where
    /// the server has it (woken at once by new mail), else by sleeping. Returns early when
    /// `stop` turns true.
    pub async fn wait(
        self,
        at_most: Duration,
        stop: &mut tokio::sync::watch::Receiver<bool>,
    ) -> Result<Self, IntakeError> {
        if !self.idle {
            tokio::select! {
                _ = tokio::time::sleep(at_most) => {}
                _ = stop.changed() => {}
            }
            return Ok(self);
        }
        let Self {
            session,
            idle,
            moves,
            uidplus,
        } = self;
        let mut handle = session.idle();
        timed("IDLE", handle.init()).await?;
        {
            // The server's own keep-alives restart async-imap's timeout, so the deadline is
            // kept here; dropping `interrupt` ends the wait.
            let (waiting, interrupt) = handle.wait_with_timeout(at_most);
            tokio::pin!(waiting);
            let outcome = tokio::select! {
                outcome = &mut waiting => Some(outcome),
                _ = tokio::time::sleep(at_most) => None,
                _ = stop.changed() => None,
            };
            let outcome = match outcome {
                Some(outcome) => outcome,
                None => {
                    drop(interrupt);
                    waiting.await
                }
            };
            match outcome {
                Ok(
                    IdleResponse::NewData(_)
                    | IdleResponse::Timeout
                    | IdleResponse::ManualInterrupt,
                ) => {}
                Err(error) => return Err(error.into()),
            }
        }
        let session = timed("DONE", handle.done()).await?;
        Ok(Self {
            session,
            idle,
            moves,
            uidplus,
        })
    }

    /// Logs out (politely; errors are of no consequence).
    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.session.logout()).await;
    }
}

/// `1,2,5` for the UIDs.
fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl From<async_imap::error::Error> for IntakeError {
    fn from(error: async_imap::error::Error) -> Self {
        IntakeError::Imap(error.to_string())
    }
}

impl From<std::io::Error> for IntakeError {
    fn from(error: std::io::Error) -> Self {
        IntakeError::Imap(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_tls_mode_port_and_decoded_credentials() {
        let s = MailboxSettings::from_url("imaps://intake%40example.com:p%40ss@mail.example", None)
            .unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.implicit_tls),
            ("mail.example", 993, true)
        );
        assert_eq!(
            (s.user.as_str(), s.password.as_str()),
            ("intake@example.com", "p@ss")
        );
        let s = MailboxSettings::from_url("imap://u:p@127.0.0.1:1143", None).unwrap();
        assert_eq!((s.port, s.implicit_tls), (1143, false));
        assert!(
            !format!("{s:?}").contains("\"p\""),
            "the password stays out of logs"
        );
        for bad in ["pop3://u:p@h", "imaps://h", "imaps://u@h", "not a url"] {
            let error = MailboxSettings::from_url(bad, None)
                .unwrap_err()
                .to_string();
            assert!(error.contains("IMAP URL"), "{bad}: {error}");
        }
    }
}
