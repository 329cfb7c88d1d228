//! The served OpenAPI document and the server agree: schemathesis (PyPI, pinned; scripts/test
//! installs it in target/venv-schemathesis) generates requests from the document, valid and
//! invalid, and checks every answer against it (status codes, headers, bodies, refusals of
//! what the document forbids, acceptance of what it allows). Beside it, the points the
//! document once got wrong, each checked by hand: HEAD, 429's Retry-After, a cursor the API
//! never gave, `next` on the last page.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use redress_testing::TestDb;
use redress_testing::on_both_backends;
use serde_json::{Value, json};

use crate::{TestApp, csrf_in, spawn_app_with};

on_both_backends!(
    the_openapi_document_and_the_server_agree_under_generated_requests,
    head_answers_wherever_get_does_and_a_limited_token_is_told_when_to_come_back,
);

/// The schemathesis the tests run: REDRESS_SCHEMATHESIS, else scripts/test's venv.
fn schemathesis() -> PathBuf {
    std::env::var_os("REDRESS_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("target/venv-schemathesis/bin/schemathesis")
        })
}

/// An admin creates a token through the page; returns it.
async fn token(app: &TestApp) -> String {
    let admin = app.another_visitor();
    admin.sign_in_as(redress_store::Role::Admin).await;
    let page = admin.get("/admin/api-tokens").await.text().await.unwrap();
    let html = admin
        .post_form(
            "/admin/api-tokens",
            &[
                ("csrf", &csrf_in(&page)),
                ("name", "Contract test"),
                ("scope_admin", "on"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    let marker = "<code class=\"token\">";
    let start = html.find(marker).expect("the token is shown once") + marker.len();
    html[start..start + html[start..].find('<').unwrap()].to_string()
}

async fn file(app: &TestApp, token: &str, email: &str) -> Value {
    reqwest::Client::new()
        .post(format!("{}/api/v1/complaints", app.address))
        .bearer_auth(token)
        .json(&json!({
            "name": "Zhang Wei", "email": email, "category": "Billing",
            "summary": "Charged twice", "description": "Twice.",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn the_openapi_document_and_the_server_agree_under_generated_requests(db: TestDb) {
    let tool = schemathesis();
    assert!(
        tool.exists(),
        "{} is missing: run scripts/test (it installs schemathesis==4.32.5 there), or set \
         REDRESS_SCHEMATHESIS",
        tool.display()
    );
    // Schemathesis works the running server as an integration would: its workers run.
    let app =
        crate::spawn_live_app_with(db, &[("REDRESS_API_REQUESTS_PER_MINUTE", "1000000")]).await;
    let token = token(&app).await;
    for i in 0..3 {
        file(&app, &token, &format!("contract{i}@example.com")).await;
    }
    app.store.projections.run_until_idle().await.unwrap();
    let report =
        std::env::temp_dir().join(format!("redress-schemathesis-{}", uuid::Uuid::new_v4()));
    let started = Instant::now();
    let mut child = Command::new(&tool)
        .arg("--config-file")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/api/schemathesis.toml"
        ))
        .arg("run")
        .arg(format!("{}/api/openapi.json", app.address))
        .env("REDRESS_API_TOKEN", &token)
        .args(["--checks", "all", "--max-examples", "40", "--workers", "1"])
        // Repeatable: the same requests on every run.
        .args([
            "--seed",
            "20261207",
            "--no-color",
            // Generous: a loaded CI machine, not the server, makes a request slow.
            "--request-timeout",
            "60",
        ])
        // A fresh Idempotency-Key per request (see the hooks' module).
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env(
            "PYTHONPATH",
            concat!(env!("CARGO_MANIFEST_DIR"), "/tests/api"),
        )
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&report).unwrap())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("schemathesis starts");
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        // About 45 s alone on the development machine; several times that beside the rest of
        // the suite on CI's two cores (300 s once ran out there as the API grew).
        if started.elapsed() > Duration::from_secs(900) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let output = std::fs::read_to_string(&report).unwrap_or_default();
    let _ = std::fs::remove_file(&report);
    assert!(
        status.is_some(),
        "schemathesis did not finish within 900 s (stopped after {:.1?}):\n{output}",
        started.elapsed()
    );
    assert!(
        status.is_some_and(|s| s.success()),
        "schemathesis found the document and the server disagree ({status:?} after {:.1?}):\n{output}",
        started.elapsed()
    );
    assert!(output.contains("Test cases:"), "{output}");
    println!("{output}");
    app.stop().await;
}

async fn head_answers_wherever_get_does_and_a_limited_token_is_told_when_to_come_back(db: TestDb) {
    let app = spawn_app_with(db, &[("REDRESS_API_REQUESTS_PER_MINUTE", "20")]).await;
    let token = token(&app).await;
    let filed = file(&app, &token, "head@example.com").await;
    let reference = filed["reference"].as_str().unwrap().to_string();
    app.store.projections.run_until_idle().await.unwrap();
    let client = reqwest::Client::new();
    // HEAD where GET works: the same status and headers, no body.
    for path in [
        format!("/api/v1/complaints/{reference}"),
        "/api/v1/complaints".to_string(),
    ] {
        let get = client
            .get(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let head = client
            .head(format!("{}{path}", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(get.status(), 200, "{path}");
        assert_eq!(head.status(), 200, "{path}");
        assert_eq!(
            head.headers()["content-type"],
            get.headers()["content-type"],
            "{path}"
        );
        assert!(
            head.bytes().await.unwrap().is_empty(),
            "{path}: HEAD sent a body"
        );
    }
    for path in ["/api/openapi.json", "/healthz", "/sign-in"] {
        let head = client
            .head(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(head.status(), 200, "{path}");
    }
    // A method nobody answers names HEAD among those allowed.
    let put = client
        .put(format!("{}/api/v1/complaints", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 405);
    let allow = put.headers()["allow"].to_str().unwrap().to_string();
    assert!(
        allow.contains("GET") && allow.contains("HEAD") && allow.contains("POST"),
        "{allow}"
    );
    // The last page says so with an explicit null.
    let page: Value = client
        .get(format!("{}/api/v1/complaints", app.address))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        page.as_object().unwrap().contains_key("next") && page["next"].is_null(),
        "{page}"
    );
    // A cursor of the right shape that the API never gave: refused, not an empty page.
    let never = client
        .get(format!(
            "{}/api/v1/complaints?after=9~1~RDR-0000-0000",
            app.address
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(never.status(), 404);
    let never: Value = never.json().await.unwrap();
    assert!(
        never["error"].as_str().unwrap().contains("never")
            || never["error"].as_str().unwrap().contains("no place"),
        "{never}"
    );
    for shape in ["", "9~1~x~y~z~too-long-for-a-reference", "~~", "abc"] {
        let bad = client
            .get(format!("{}/api/v1/complaints?after={shape}", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(bad.status(), 400, "after={shape:?}");
    }
    // Beyond the token's rate: 429, with how long to wait.
    let mut limited = None;
    for _ in 0..30 {
        let response = client
            .get(format!("{}/api/v1/complaints", app.address))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
    }
    let limited = limited.expect("no 429 beyond twenty requests a minute");
    let wait: i64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    app.stop().await;
}
