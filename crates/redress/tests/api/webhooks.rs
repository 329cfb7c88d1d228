//! Webhooks against a real HTTP receiver (Python's http.server, `webhook_receiver.py`) that
//! verifies each signature as README says: delivered at least once, in order per complaint,
//! after the receiver was down for a while; switched off after too many failures.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use reqwest::Method;
use serde_json::{Value, json};

use crate::api_actions::token_with;
use crate::json_api::api;
use crate::{TestApp, Visitor, csrf_in, spawn_live_app_with};

on_both_backends!(
    a_receiver_gets_every_event_signed_once_and_in_order_even_after_being_down,
    an_endpoint_that_keeps_failing_is_switched_off_and_on_again,
);

/// A receiver on `port`, writing what it gets to `out`.
struct Receiver {
    child: Child,
}

impl Receiver {
    fn start(port: u16, secret: &Path, out: &Path) -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api/webhook_receiver.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(secret)
            .arg(out)
            .stdin(Stdio::null())
            .spawn()
            .expect("python3 runs the receiver");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the receiver listens"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child }
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn received(out: &Path) -> Vec<Value> {
    std::fs::read_to_string(out)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// An admin registers `url` on the page; returns the secret it shows once.
async fn register(admin: &Visitor, url: &str, extra: &[(&str, &str)]) -> String {
    let page = admin.get("/admin/webhooks").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    let mut form = vec![("csrf", csrf.as_str()), ("url", url)];
    form.extend_from_slice(extra);
    let response = admin.post_form("/admin/webhooks", &form).await;
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    let marker = "<code class=\"token\">";
    let start = html.find(marker).expect("the secret is shown once") + marker.len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

async fn act(app: &TestApp, token: &str, reference: &str, action: &str, body: Value) {
    let response = api(
        app,
        Method::POST,
        &format!("/api/v1/complaints/{reference}/{action}"),
        Some(token),
    )
    .json(&body)
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), 200, "{action}");
}

async fn file(app: &TestApp, token: &str, n: usize) -> String {
    let response = api(app, Method::POST, "/api/v1/complaints", Some(token))
        .json(&json!({
            "name": "Ana Pop", "email": format!("ana{n}@example.ro"), "category": "billing",
            "summary": "Charged twice", "description": "Twice.",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json::<Value>().await.unwrap()["reference"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Waits until the queue holds no pending delivery and `out` has at least `at_least` lines.
async fn until_delivered(app: &TestApp, out: &Path, at_least: usize) {
    let started = Instant::now();
    loop {
        let waiting = app.store.webhooks.waiting().await.unwrap();
        let got = received(out).len();
        if waiting == 0 && got >= at_least {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{waiting} deliveries still waiting, {got} of {at_least} received"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn work_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("redress-webhooks-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn a_receiver_gets_every_event_signed_once_and_in_order_even_after_being_down(db: TestDb) {
    let app = spawn_live_app_with(
        db,
        &[
            ("REDRESS_WEBHOOK_RETRY_MS", "100"),
            ("REDRESS_WEBHOOK_MAX_FAILURES", "1000"),
        ],
    )
    .await;
    let dir = work_dir("order");
    let (secret_file, out) = (dir.join("secret"), dir.join("received.jsonl"));
    let port = free_port();
    let receiver = Receiver::start(port, &secret_file, &out);
    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let secret = register(
        &admin,
        &format!("http://127.0.0.1:{port}/hook"),
        &[("all", "on")],
    )
    .await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    std::fs::write(&secret_file, &secret).unwrap();
    let token = token_with(&app, "CRM", &["file", "act"]).await;

    // Three complaints, each acknowledged and tagged.
    let mut references = Vec::new();
    for n in 0..3 {
        let reference = file(&app, &token, n).await;
        act(
            &app,
            &token,
            &reference,
            "acknowledge",
            json!({"apology": "Sorry."}),
        )
        .await;
        act(
            &app,
            &token,
            &reference,
            "add_tag",
            json!({"tag": "billing"}),
        )
        .await;
        references.push(reference);
    }
    until_delivered(&app, &out, 9).await;

    // Down: more events, attempts fail, nothing is lost.
    receiver.stop();
    for reference in &references {
        act(
            &app,
            &token,
            reference,
            "change_priority",
            json!({"priority": "high"}),
        )
        .await;
        act(&app, &token, reference, "add_tag", json!({"tag": "urgent"})).await;
    }
    let started = Instant::now();
    loop {
        let endpoint = app.store.webhooks.list().await.unwrap().remove(0);
        if endpoint.failures >= 3 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "attempts fail while down"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let receiver = Receiver::start(port, &secret_file, &out);
    until_delivered(&app, &out, 15).await;
    receiver.stop();

    let lines = received(&out);
    // Every request verified with the documented scheme, and every event is there once.
    assert!(lines.iter().all(|l| l["verified"] == true), "{lines:?}");
    let mut ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    let count = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), count, "no event twice");
    let endpoint = app.store.webhooks.list().await.unwrap().remove(0);
    let queued = app.store.webhooks.log(endpoint.id, 1000).await.unwrap();
    assert_eq!(queued.len(), count, "each queued delivery received");
    assert!(queued.iter().all(|d| d.state == "delivered"));
    // In order per complaint: the sequence numbers each complaint's deliveries arrived in.
    for reference in &references {
        let sequences: Vec<i64> = lines
            .iter()
            .filter(|l| l["reference"] == reference.as_str())
            .map(|l| l["sequence"].as_i64().unwrap())
            .collect();
        assert!(sequences.len() >= 5, "{reference}: {sequences:?}");
        assert!(
            sequences.windows(2).all(|w| w[0] < w[1]),
            "{reference}: {sequences:?}"
        );
    }
    // No personal data without the endpoint's permission.
    assert!(
        lines
            .iter()
            .all(|l| !l["body"].as_str().unwrap().contains("@example.ro"))
    );
    let first: Value = serde_json::from_str(lines[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(first["type"], "ComplaintReceived");
    assert!(first.get("customer").is_none(), "{first}");
    assert_eq!(first["complaint"]["status"], "open");

    // The log shows each delivery's answer; "send again" sends it once more.
    let log = admin
        .get(&format!("/admin/webhooks/{}", endpoint.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        log.contains("HTTP 200") && log.contains(&references[0]),
        "the log"
    );
    let receiver = Receiver::start(port, &secret_file, &out);
    let resend = admin
        .post_form(
            &format!("/admin/webhooks/deliveries/{}/resend", queued[0].id),
            &[("csrf", &csrf_in(&log))],
        )
        .await;
    assert_eq!(resend.status(), 303);
    until_delivered(&app, &out, count + 1).await;
    receiver.stop();
    let again = received(&out);
    assert_eq!(again.last().unwrap()["id"], queued[0].id.as_str());
    let _ = std::fs::remove_dir_all(&dir);
    app.stop().await;
}

async fn an_endpoint_that_keeps_failing_is_switched_off_and_on_again(db: TestDb) {
    let mail = crate::mail_dir_for(&db);
    let app = spawn_live_app_with(
        db,
        &[
            ("REDRESS_WEBHOOK_RETRY_MS", "50"),
            ("REDRESS_WEBHOOK_MAX_FAILURES", "3"),
        ],
    )
    .await;
    let dir = work_dir("off");
    let (secret_file, out) = (dir.join("secret"), dir.join("received.jsonl"));
    let port = free_port();
    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    // Bad addresses and no event are refused, nothing registered.
    for (url, extra) in [
        ("ftp://example.com/hook", vec![("all", "on")]),
        ("not an address", vec![("all", "on")]),
        ("https://example.com/hook", vec![]),
    ] {
        let page = admin.get("/admin/webhooks").await.text().await.unwrap();
        let csrf = csrf_in(&page);
        let mut form = vec![("csrf", csrf.as_str()), ("url", url)];
        form.extend(extra);
        assert_eq!(
            admin.post_form("/admin/webhooks", &form).await.status(),
            422,
            "{url}"
        );
    }
    assert!(app.store.webhooks.list().await.unwrap().is_empty());
    let secret = register(
        &admin,
        &format!("http://127.0.0.1:{port}/hook"),
        &[("kind_ComplaintReceived", "on"), ("personal_data", "on")],
    )
    .await;
    std::fs::write(&secret_file, &secret).unwrap();
    let token = token_with(&app, "CRM", &["file", "act"]).await;
    // Nobody listens: three failures switch it off.
    let reference = file(&app, &token, 1).await;
    act(
        &app,
        &token,
        &reference,
        "acknowledge",
        json!({"apology": "Sorry."}),
    )
    .await;
    let started = Instant::now();
    let endpoint = loop {
        let endpoint = app.store.webhooks.list().await.unwrap().remove(0);
        if !endpoint.active {
            break endpoint;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "switched off in time"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(endpoint.failures, 3);
    assert!(
        endpoint
            .switched_off
            .as_deref()
            .unwrap_or_default()
            .contains("3 failed attempts"),
        "{endpoint:?}"
    );
    let audit = admin.get("/admin/audit").await.text().await.unwrap();
    assert!(audit.contains("switched off by failures"), "audited");
    let page = admin.get("/admin/webhooks").await.text().await.unwrap();
    assert!(page.contains("3 failed attempts"), "the admins see why");
    // And are told by email, with the address and the reason.
    let started = Instant::now();
    loop {
        let sent = crate::conversation::every_email(&mail);
        if sent.contains("failed too often in a row") {
            assert!(sent.contains(&format!("127.0.0.1:{port}/hook")), "{sent}");
            assert!(sent.contains("3 failed attempts"), "{sent}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the admins are emailed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Back on, with a receiver: what waited is sent (only the kind wanted, with the customer).
    let receiver = Receiver::start(port, &secret_file, &out);
    let log = admin
        .get(&format!("/admin/webhooks/{}", endpoint.id))
        .await
        .text()
        .await
        .unwrap();
    let on = admin
        .post_form(
            &format!("/admin/webhooks/{}/active", endpoint.id),
            &[("csrf", &csrf_in(&log)), ("active", "1")],
        )
        .await;
    assert_eq!(on.status(), 303);
    until_delivered(&app, &out, 1).await;
    receiver.stop();
    let lines = received(&out);
    assert_eq!(
        lines.len(),
        1,
        "only ComplaintReceived is wanted: {lines:?}"
    );
    let body: Value = serde_json::from_str(lines[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "ComplaintReceived");
    assert_eq!(
        body["customer"]["email"], "ana1@example.ro",
        "allowed personal data"
    );
    assert!(app.store.webhooks.list().await.unwrap()[0].active);
    // An agent may not see or change webhooks.
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    assert_eq!(agent.get("/admin/webhooks").await.status(), 403);
    let _ = std::fs::remove_dir_all(&dir);
    app.stop().await;
}
