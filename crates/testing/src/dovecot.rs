//! A throwaway Dovecot IMAP server, for the intake's tests and benchmark: its own
//! configuration, Maildir, TLS certificates (a little CA and a server certificate made with
//! `openssl`) and password file in a temporary folder, on a free port of 127.0.0.1, IMAP over
//! TLS only. Needs Debian's `dovecot-imapd` and `openssl` (`.ci/run` installs them). Stopped
//! and removed when dropped.
//!
//! Run as root (as CI does), Dovecot's own `dovecot` and `dovenull` users serve the mail;
//! otherwise the current user does.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redress_intake::mailbox::{Mailbox, MailboxSettings};

/// The mailbox's login.
pub const USER: &str = "intake";
/// Its password.
pub const PASSWORD: &str = "intake-secret-2026";

/// A running test server.
pub struct TestImapServer {
    child: Child,
    dir: PathBuf,
    /// Its IMAPS port on 127.0.0.1.
    pub port: u16,
    /// The CA that signed its certificate (PEM).
    pub ca_pem: Vec<u8>,
}

fn run(command: &mut Command) -> Result<String, String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// The Dovecot binary, if installed.
pub fn dovecot_binary() -> Option<PathBuf> {
    ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// A port nobody listens on now, for a throwaway server (this Dovecot, the tests' SMTP
/// servers) to take, and which no other caller in this process is given.
///
/// Not one from `bind(0)`: those come from the kernel's ephemeral range (32768–60999 on
/// Linux) and go back to it when released, so a server stopped for a while (an SMTP outage
/// test) or restarted (the crash tests) could find another test's server on its port — it
/// happened: one test's emails reached the other's server, and its own never started. These
/// come from 21000–28999, below that range, each at most once per process (test binaries
/// run one after another); a port something already listens on is passed over.
pub fn spare_port() -> Result<u16, String> {
    use std::sync::atomic::{AtomicU32, Ordering};
    const FIRST: u32 = 21_000;
    const COUNT: u32 = 8_000;
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id() % COUNT;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        if n >= COUNT {
            return Err(format!(
                "every port of {FIRST}-{} was given out",
                FIRST + COUNT - 1
            ));
        }
        let port = u16::try_from(FIRST + (start + n) % COUNT).map_err(|e| e.to_string())?;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
}

fn certificates(dir: &Path) -> Result<(), String> {
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    run(Command::new("openssl").args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "3",
        "-subj",
        "/CN=redress-test-ca",
        "-keyout",
        &path("ca.key"),
        "-out",
        &path("ca.pem"),
    ]))?;
    run(Command::new("openssl").args([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-subj",
        "/CN=localhost",
        "-keyout",
        &path("key.pem"),
        "-out",
        &path("leaf.csr"),
    ]))?;
    // webpki (rustls) refuses a CA certificate as a server's, and wants the address named.
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n\
         keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n",
    )
    .map_err(|e| e.to_string())?;
    run(Command::new("openssl").args([
        "x509",
        "-req",
        "-in",
        &path("leaf.csr"),
        "-CA",
        &path("ca.pem"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-days",
        "3",
        "-extfile",
        &path("leaf.ext"),
        "-out",
        &path("cert.pem"),
    ]))?;
    Ok(())
}

impl TestImapServer {
    /// Starts a server and waits until it takes a login over TLS.
    pub async fn start() -> Result<Self, String> {
        let dovecot = dovecot_binary().ok_or(
            "the email intake tests need Dovecot: apt-get install -y dovecot-imapd \
             (bash .ci/run installs it)",
        )?;
        let dir =
            std::env::temp_dir().join(format!("redress-imap-{}", uuid::Uuid::new_v4().simple()));
        for sub in ["run", "state", "mail"] {
            std::fs::create_dir_all(dir.join(sub)).map_err(|e| e.to_string())?;
        }
        certificates(&dir)?;
        std::fs::write(dir.join("passwd"), format!("{USER}:{{PLAIN}}{PASSWORD}\n"))
            .map_err(|e| e.to_string())?;
        let root = run(Command::new("id").arg("-u"))? == "0";
        let me = run(Command::new("id").arg("-un"))?;
        let my_group = run(Command::new("id").arg("-gn"))?;
        let (internal, login, mail_user) = if root {
            (
                "dovecot".to_string(),
                "dovenull".to_string(),
                "dovecot".to_string(),
            )
        } else {
            (me.clone(), me.clone(), me.clone())
        };
        let internal_group = run(Command::new("id").args(["-gn", &internal]))?;
        let mail_group = if root {
            "dovecot".to_string()
        } else {
            my_group
        };
        let mail_uid = run(Command::new("id").args(["-u", &mail_user]))?;
        let port = spare_port()?;
        let d = dir.display();
        let config = format!(
            "# A throwaway test server (redress-intake's dovecot module).\n\
             base_dir = {d}/run\nstate_dir = {d}/state\ninstance_name = redress-test-{port}\n\
             protocols = imap\nlisten = 127.0.0.1\nlog_path = {d}/dovecot.log\n\
             default_internal_user = {internal}\ndefault_internal_group = {internal_group}\n\
             default_login_user = {login}\nfirst_valid_uid = {mail_uid}\nlast_valid_uid = {mail_uid}\n\
             ssl = required\nssl_cert = <{d}/cert.pem\nssl_key = <{d}/key.pem\n\
             ssl_min_protocol = TLSv1.2\nauth_mechanisms = plain login\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%n {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={mail_user} gid={mail_group} home={d}/mail/%n\n}}\n\
             mail_location = maildir:~/Maildir\n\
             namespace inbox {{\n  inbox = yes\n  separator = /\n}}\n\
             imap_idle_notify_interval = 2 mins\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    port = 0\n  }}\n\
             inet_listener imaps {{\n    port = {port}\n    ssl = yes\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\n"
        );
        std::fs::write(dir.join("dovecot.conf"), config).map_err(|e| e.to_string())?;
        if root {
            run(Command::new("chown").args([
                "-R",
                &format!("{mail_user}:{mail_group}"),
                &dir.join("mail").to_string_lossy(),
            ]))?;
        }
        let log = std::fs::File::create(dir.join("stderr.log")).map_err(|e| e.to_string())?;
        let child = Command::new(dovecot)
            .arg("-F")
            .arg("-c")
            .arg(dir.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start dovecot: {e}"))?;
        let ca_pem = std::fs::read(dir.join("ca.pem")).map_err(|e| e.to_string())?;
        let server = Self {
            child,
            dir,
            port,
            ca_pem,
        };
        // Listening is not enough: ready is when a login over TLS works.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            match Mailbox::connect(&server.settings()).await {
                Ok(mailbox) => {
                    mailbox.logout().await;
                    return Ok(server);
                }
                Err(error) if Instant::now() > deadline => {
                    return Err(format!(
                        "the test IMAP server did not take a login within 20 s: {error}\n{}",
                        server.log()
                    ));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// How to reach its mailbox.
    pub fn settings(&self) -> MailboxSettings {
        MailboxSettings {
            host: "127.0.0.1".into(),
            port: self.port,
            implicit_tls: true,
            user: USER.into(),
            password: PASSWORD.into(),
            ca_pem: Some(self.ca_pem.clone()),
        }
    }

    /// Its URL, for `REDRESS_IMAP_URL`.
    pub fn url(&self) -> String {
        format!("imaps://{USER}:{PASSWORD}@127.0.0.1:{}", self.port)
    }

    /// The file holding its CA, for `REDRESS_IMAP_CA_FILE`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Its log, for test failures.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default()
            + &std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
    }
}

impl Drop for TestImapServer {
    fn drop(&mut self) {
        // SIGKILL on the master: its children follow at once (a polite stop takes seconds).
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
