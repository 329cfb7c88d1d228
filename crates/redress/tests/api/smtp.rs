//! A real SMTP server for the mail tests: Python's aiosmtpd (installed by `.ci/run`), run as
//! its own process, writing what it receives to a Maildir the tests read back.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) aiosmtpd on a fixed port.
pub(crate) struct SmtpServer {
    pub(crate) port: u16,
    maildir: PathBuf,
    child: Option<Child>,
    /// The command that runs the server (without the port and maildir).
    command: Vec<String>,
}

/// One message as received.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) raw: Vec<u8>,
}

impl Received {
    pub(crate) fn parsed(&self) -> mail_parser::Message<'_> {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .expect("a parsable message")
    }

    pub(crate) fn message_id(&self) -> String {
        self.parsed()
            .message_id()
            .expect("a Message-ID")
            .to_string()
    }
}

/// A port nobody listens on now, and which no other test of this process will be given
/// (see `spare_port`: not from the kernel's ephemeral range, which hands released ports out
/// again).
pub(crate) fn free_port() -> u16 {
    redress_testing::dovecot::spare_port().expect("a spare port")
}

impl SmtpServer {
    /// Starts a server on a free port.
    pub(crate) fn start() -> Self {
        let mut server = Self::stopped(free_port());
        server.resume();
        server
    }

    /// A server that will listen on `port` once resumed.
    pub(crate) fn stopped(port: u16) -> Self {
        let maildir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("smtp")
            .join(format!("{port}-{}", uuid::Uuid::new_v4().simple()));
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let command = ["-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Mailbox"]
            .map(String::from)
            .to_vec();
        Self {
            port,
            maildir,
            child: None,
            command,
        }
    }

    /// A server with STARTTLS (`tls` = "starttls") or implicit TLS ("smtps") under a
    /// self-signed certificate for 127.0.0.1, requiring `user`/`password` when given (our own
    /// script on aiosmtpd). Returns it running and the PEM file of the authority that signed its certificate.
    pub(crate) fn start_secure(tls: &str, auth: Option<(&str, &str)>) -> (Self, PathBuf) {
        let mut server = Self::stopped(free_port());
        let dir = server.maildir.with_extension("tls");
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
        let (ca, ca_key) = (dir.join("ca.pem"), dir.join("ca.key"));
        let (csr, ext) = (dir.join("leaf.csr"), dir.join("leaf.ext"));
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
        )
        .unwrap();
        let openssl = |args: &[&std::ffi::OsStr]| {
            let status = Command::new("openssl")
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("openssl makes test certificates (apt-get install -y openssl)");
            assert!(status.success(), "openssl {args:?} failed");
        };
        let os = |s: &'static str| std::ffi::OsStr::new(s);
        // A throwaway certificate authority, and a certificate for 127.0.0.1 it signs.
        openssl(&[
            os("req"),
            os("-x509"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-days"),
            os("1"),
            os("-subj"),
            os("/CN=Redress test CA"),
            os("-keyout"),
            ca_key.as_os_str(),
            os("-out"),
            ca.as_os_str(),
        ]);
        openssl(&[
            os("req"),
            os("-newkey"),
            os("rsa:2048"),
            os("-nodes"),
            os("-subj"),
            os("/CN=127.0.0.1"),
            os("-keyout"),
            key.as_os_str(),
            os("-out"),
            csr.as_os_str(),
        ]);
        openssl(&[
            os("x509"),
            os("-req"),
            os("-in"),
            csr.as_os_str(),
            os("-CA"),
            ca.as_os_str(),
            os("-CAkey"),
            ca_key.as_os_str(),
            os("-CAcreateserial"),
            os("-days"),
            os("1"),
            os("-extfile"),
            ext.as_os_str(),
            os("-out"),
            cert.as_os_str(),
        ]);
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/smtp_server.py");
        let mut command = vec![
            script.to_string(),
            "--tls".into(),
            tls.into(),
            "--cert".into(),
            cert.to_string_lossy().into_owned(),
            "--key".into(),
            key.to_string_lossy().into_owned(),
        ];
        if let Some((user, password)) = auth {
            command.extend([
                "--user".into(),
                user.into(),
                "--password".into(),
                password.into(),
            ]);
        }
        server.command = command;
        server.resume();
        (server, ca)
    }

    /// `smtp://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Starts (again) listening on the port.
    pub(crate) fn resume(&mut self) {
        assert!(self.child.is_none(), "already running");
        let mut command = Command::new("python3");
        command.args(&self.command);
        if self.command[0] == "-m" {
            command
                .args(["-l", &format!("127.0.0.1:{}", self.port)])
                .arg(&self.maildir);
        } else {
            command
                .args(["--port", &self.port.to_string(), "--maildir"])
                .arg(&self.maildir);
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs aiosmtpd (pip install aiosmtpd==1.4.6; .ci/run installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                panic!(
                    "aiosmtpd exited with {status}: is it installed? (pip install aiosmtpd==1.4.6)"
                );
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops listening (the port refuses connections until [`SmtpServer::resume`]).
    pub(crate) fn pause(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Every message received so far.
    pub(crate) fn received(&self) -> Vec<Received> {
        let mut files: Vec<PathBuf> = ["new", "cur"]
            .iter()
            .flat_map(|sub| std::fs::read_dir(self.maildir.join(sub)).unwrap())
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|path| Received {
                raw: std::fs::read(path).unwrap(),
            })
            .collect()
    }

    /// Waits until at least `count` messages have arrived, and returns them all.
    pub(crate) async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "only {} of {count} messages arrived",
                received.len()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.pause();
        let _ = std::fs::remove_dir_all(&self.maildir);
        let _ = std::fs::remove_dir_all(self.maildir.with_extension("tls"));
    }
}
