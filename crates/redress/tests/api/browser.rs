//! The staff pages in a real browser: headless Chromium, driven by `e2e/six_steps.mjs`
//! (playwright-core), against a server on PostgreSQL. The script checks every page it sees
//! with axe-core (WCAG 2 A/AA) and saves the server's HTML of each; this test then runs the
//! Nu HTML Checker (`vnu.jar`) on all of them in one batch. [`run_script`] does that for any
//! script of `e2e/` (the conversation's is run by `conversation_browser.rs`).
//!
//! Needs Debian's Chromium at /usr/bin/chromium, Java (for vnu.jar) and `e2e/node_modules`;
//! `.ci/run` installs them. Without them the test fails and says how to install them.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redress_domain::Reference;
use redress_store::Role;
use redress_store::accounts::hash_password;
use redress_testing::TestDb;

use crate::spawn_live_app_with;

/// The workspace root, where `e2e/` lives.
const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");

/// How long the script may take before the test gives up on it.
const DEADLINE: Duration = Duration::from_secs(180);

const INSTALL_HINT: &str = "run `bash .ci/run`, or install them by hand: \
     `apt-get install -y chromium default-jre-headless && (cd e2e && npm ci)`";

/// The Nu HTML Checker, from the `vnu-jar` package.
const VNU_JAR: &str = "e2e/node_modules/vnu-jar/build/dist/vnu.jar";

/// The browser the script drives (as in the script: REDRESS_E2E_CHROMIUM, else Debian's).
fn chromium() -> PathBuf {
    std::env::var_os("REDRESS_E2E_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// `<target dir>/e2e/`, where the screenshots go.
pub(crate) fn artifacts_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .join("e2e")
}

/// Fails, saying what to install, when the browser or the script's packages are missing.
fn require_browser_tools(workspace: &Path) {
    let browser = chromium();
    assert!(
        browser.is_file(),
        "{} is missing (Debian's chromium package): {INSTALL_HINT}",
        browser.display()
    );
    let playwright = workspace.join("e2e/node_modules/playwright-core/package.json");
    assert!(
        playwright.is_file(),
        "e2e/node_modules is missing or incomplete (no {}): {INSTALL_HINT}",
        playwright.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "`node` cannot be run ({node:?}); Node.js 20 or later is needed for e2e/"
    );
    let vnu = workspace.join(VNU_JAR);
    assert!(
        vnu.is_file(),
        "{} is missing (the vnu-jar package of e2e/): {INSTALL_HINT}",
        vnu.display()
    );
    let java = Command::new("java").arg("-version").output();
    assert!(
        java.as_ref().is_ok_and(|o| o.status.success()),
        "`java` cannot be run ({:?}); the Nu HTML Checker ({VNU_JAR}) needs Java 11 or later. \
         On Debian: `apt-get install -y default-jre-headless` (`bash .ci/run` installs it)",
        java.as_ref().map(|o| o.status).map_err(|e| e.to_string())
    );
}

/// Runs the Nu HTML Checker on `pages` in one batch (the JVM takes seconds to start); fails
/// with its report if it finds any error.
fn check_markup(workspace: &Path, pages: &[PathBuf]) {
    let started = Instant::now();
    let output = Command::new("java")
        .arg("-jar")
        .arg(workspace.join(VNU_JAR))
        .args(["--errors-only", "--format", "text"])
        .args(pages)
        .current_dir(workspace)
        .stdin(Stdio::null())
        .output()
        .expect("java starts");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "the Nu HTML Checker ({VNU_JAR}) found errors in the pages ({}):\n{report}",
        output.status
    );
    println!(
        "vnu.jar: no errors in {} pages ({:.1?}): {}",
        pages.len(),
        started.elapsed(),
        report.trim()
    );
}

/// One browser at a time: two Chromiums and the servers they drive on 2 cores make each
/// slow enough to miss its deadline.
static ONE_BROWSER: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a script printed, and where its artifacts are.
pub(crate) struct ScriptRun {
    pub(crate) stdout: String,
    report: String,
}

impl ScriptRun {
    /// The value of the line "`key`: value" the script printed.
    pub(crate) fn printed(&self, key: &str) -> String {
        let prefix = format!("{key}: ");
        self.stdout
            .lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("the script printed no \"{prefix}\": {}", self.report))
            .to_string()
    }
}

/// Runs `e2e/{script}.mjs` with `args` and `env` in headless Chromium (one browser at a time),
/// its output and the pages' HTML going to `dir`; fails with its output if it fails, or if
/// the Nu HTML Checker finds errors in the (at least `min_pages`) pages it saved.
pub(crate) async fn run_script(
    script: &str,
    dir: &Path,
    args: &[String],
    env: &[(&str, String)],
    min_pages: usize,
) -> ScriptRun {
    let workspace = Path::new(WORKSPACE)
        .canonicalize()
        .expect("the workspace root");
    require_browser_tools(&workspace);
    let _one = ONE_BROWSER.lock().await;
    std::fs::create_dir_all(dir).unwrap();
    let stdout_path = dir.join(format!("{script}.stdout.txt"));
    let stderr_path = dir.join(format!("{script}.stderr.txt"));
    // The script empties this and saves each page's HTML in it.
    let pages_dir = dir.join("pages");
    let _ = std::fs::remove_file(dir.join("failure.png"));
    let _ = std::fs::remove_dir_all(&pages_dir);

    // Output goes to files, so the runtime only polls the child and the server keeps serving.
    let started = Instant::now();
    let mut child = Command::new("node")
        .arg(format!("e2e/{script}.mjs"))
        .args(args)
        .env("REDRESS_E2E_PAGES", &pages_dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(&workspace)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout_path).unwrap())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .expect("node starts");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let elapsed = started.elapsed();
    let stdout = std::fs::read_to_string(&stdout_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let report = format!(
        "e2e/{script}.mjs ({status:?} after {elapsed:.1?})\n\
         --- stdout ---\n{stdout}\n--- stderr ---\n{stderr}\n\
         (screenshots in {}, pages' HTML in {})",
        dir.display(),
        pages_dir.display()
    );
    assert!(
        status.is_some_and(|s| s.success()),
        "the browser test failed: {report}"
    );
    println!("{report}");

    // The server's HTML of every page the script saw is valid.
    let mut pages: Vec<PathBuf> = std::fs::read_dir(&pages_dir)
        .unwrap_or_else(|e| panic!("no pages saved in {}: {e}", pages_dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "html"))
        .collect();
    pages.sort();
    assert!(
        pages.len() >= min_pages,
        "only {} pages saved in {}: {pages:?}",
        pages.len(),
        pages_dir.display()
    );
    tokio::task::spawn_blocking(move || check_markup(&workspace, &pages))
        .await
        .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()));
    ScriptRun { stdout, report }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_works_a_phone_complaint_to_closure_in_a_real_browser() {
    // A person at a browser cannot wait for the test to drive the workers: they run.
    let app = spawn_live_app_with(TestDb::postgres().await, &[]).await;
    let email = format!("browser-{}@staff.example", uuid::Uuid::new_v4().simple());
    let password = "a long browser test password";
    let hash = hash_password(password).unwrap();
    app.store
        .accounts
        .create(&email, "Brenda Browser", Role::Agent, &hash)
        .await
        .unwrap();
    // An admin, for the staff accounts page.
    let admin_email = format!("admin-{}@staff.example", uuid::Uuid::new_v4().simple());
    let admin_password = "a long browser test admin password";
    let admin_hash = hash_password(admin_password).unwrap();
    app.store
        .accounts
        .create(&admin_email, "Adam Admin", Role::Admin, &admin_hash)
        .await
        .unwrap();

    // A customer's complaint, for its status page (reached from the signed link in emails).
    let reference = app
        .store
        .complaints
        .receive(
            redress_domain::Actor::Customer,
            redress_domain::NewComplaint {
                reference: redress_domain::Reference::parse("RDR-0000-0000").unwrap(),
                customer: redress_domain::NewCustomer {
                    name: "Lucía García".into(),
                    email: Some(redress_domain::CustomerEmail::parse("lucia@example.es").unwrap()),
                    phone: None,
                    language: redress_domain::Language::Es,
                },
                company: None,
                tier: redress_domain::Tier::Standard,
                channel: redress_domain::Channel::WebForm,
                category: "Billing".into(),
                summary: "Charged twice".into(),
                description: "Me cobraron dos veces.".into(),
                remedy_requested: None,
                priority: redress_domain::Priority::Normal,
                routing: None,
            },
        )
        .await
        .unwrap();
    let status_path = format!(
        "/status/{}",
        app.store
            .links
            .token(&reference, chrono::Utc::now() + chrono::Duration::days(1))
    );

    // Emails read by the intake (handed to it directly: no mailbox is needed for the pages):
    // a complaint by email with a file kept and one refused, an auto-reply ignored, a broken
    // message quarantined.
    let intake = redress_intake::Intake::new(
        app.store.clone(),
        redress_intake::IntakeSettings {
            max_file_bytes: 64,
            ..crate::intake::test_settings()
        },
        redress_intake::StatusBoard::default(),
    );
    let by_email = "From: =?UTF-8?Q?Ana_=C8=98tef=C4=83nescu?= <ana@example.ro>\r\n\
         Subject: Colet deteriorat\r\nMessage-ID: <browser-1@mail.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nColetul a ajuns deteriorat. Vreau banii \
         \u{ee}napoi.\r\n\r\n-- \r\nAna\r\n--b\r\nContent-Type: image/png\r\n\
         Content-Disposition: attachment; filename=\"poza.png\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b\r\n\
         Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"factura.pdf\"\r\n\r\n\
         %PDF-1.4 this file is larger than the sixty-four bytes the test allows, so it is refused.\r\n--b--\r\n";
    let auto_reply = "From: ana@example.ro\r\nSubject: Out of office\r\n\
         Message-ID: <browser-2@mail.example>\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n";
    let broken = "From: ana@example.ro\r\nSubject: Broken\r\nMessage-ID: <browser-3@mail.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"never\"\r\n\r\nHello\r\n";
    let mut email_complaint = None;
    for (uid, raw) in [by_email, auto_reply, broken].into_iter().enumerate() {
        let place = redress_store::MailboxPlace {
            folder: "INBOX".into(),
            uid_validity: 1,
            uid: uid as u32 + 1,
        };
        if let redress_intake::Outcome::Created(reference) =
            intake.ingest(&place, raw.as_bytes()).await.unwrap()
        {
            email_complaint = Some(reference);
        }
    }
    let email_complaint = email_complaint.expect("the email became a complaint");
    let original = app
        .store
        .complaints
        .events_of(&Reference::parse(&email_complaint).unwrap())
        .await
        .unwrap()
        .iter()
        .find_map(|e| match &e.change {
            redress_domain::ComplaintChange::EmailReceived { id, .. } => Some(*id),
            _ => None,
        })
        .expect("the email on the complaint");

    app.store.projections.run_until_idle().await.unwrap();
    let customer = app
        .store
        .complaint_list
        .get(reference.as_str())
        .await
        .unwrap()
        .expect("the status page's complaint is listed")
        .customer_id;

    let dir = artifacts_dir();
    let screenshot = dir.join("complaint-page.png");
    let _ = std::fs::remove_file(&screenshot);
    let run = run_script(
        "six_steps",
        &dir,
        &[
            app.address.clone(),
            email.clone(),
            password.to_string(),
            screenshot.to_string_lossy().into_owned(),
        ],
        &[
            ("REDRESS_E2E_ADMIN_EMAIL", admin_email.clone()),
            ("REDRESS_E2E_ADMIN_PASSWORD", admin_password.to_string()),
            ("REDRESS_E2E_STATUS_PATH", status_path.clone()),
            (
                "REDRESS_E2E_EMAIL_COMPLAINT",
                format!("/complaints/{email_complaint}"),
            ),
            ("REDRESS_E2E_ORIGINAL_PATH", format!("/emails/{original}")),
            ("REDRESS_E2E_CUSTOMER", format!("/customers/{customer}")),
        ],
        15,
    )
    .await;

    // The screenshot is a real PNG of a real page.
    let png = std::fs::read(&screenshot)
        .unwrap_or_else(|e| panic!("no screenshot at {}: {e}", screenshot.display()));
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{} is not a PNG",
        screenshot.display()
    );
    assert!(
        png.len() > 10 * 1024,
        "{} is only {} bytes",
        screenshot.display(),
        png.len()
    );

    // What the browser did is in the database.
    let reference = Reference::parse(&run.printed("complaint")).unwrap();
    let events = app.store.complaints.events_of(&reference).await.unwrap();
    assert!(
        events.len() >= 10,
        "{reference} has only {} events: {events:?}",
        events.len()
    );
    let complaint = app
        .store
        .complaints
        .load(&reference)
        .await
        .unwrap()
        .expect("the complaint exists");
    assert_eq!(complaint.progress().step(), redress_domain::Step::Closed);

    app.stop().await;
}
