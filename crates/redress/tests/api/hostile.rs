//! Hostile input, generated (proptest): thousands of requests to the public complaint form,
//! a customer's status-page form, the sign-in form and the JSON API, built from huge fields,
//! invalid UTF-8, control characters, header-injection attempts, template syntax, script
//! tags, SQL fragments, wrong types and duplicate fields. For every one:
//!
//! - no 5xx answer;
//! - nothing written when the request is refused (the event count is unchanged);
//! - nothing the request carried is rendered unescaped, in the answer or, once stored, on the
//!   complaint's page, the customer's status page, the queue and the audit trail (some cases
//!   carry a marker tag, which must never come back as markup);
//!
//! and at the end, every email the accepted requests caused is read back from the mail
//! directory: no header was injected. The case counts and the result go to
//! `target/hostile-input.txt`, which `scripts/test` prints.

use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use redress_store::Role;
use redress_testing::TestDb;

use crate::{TestApp, csrf_in};

/// Cases per target (four targets).
const CASES: u32 = 600;

/// What a hostile text is made of.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        // Plain words, so some requests are accepted and reach the database and emails.
        "[A-Za-zÀ-ÿ ]{1,40}",
        // Header injection: a new line and a header.
        "[a-z]{1,8}".prop_map(|s| format!("{s}\r\nBcc: injected@evil.example")),
        "[a-z]{1,8}".prop_map(|s| format!("{s}\nX-Injected: yes\n\nbody")),
        // Template syntax (Tera) and script.
        Just("{{ 7*7 }} {% for x in [1] %}{{ x }}{% endfor %} {{ config }}".to_string()),
        Just("<script>alert(document.cookie)</script><img src=x onerror=alert(1)>".to_string()),
        Just("\"><svg onload=alert(1)>".to_string()),
        // SQL.
        Just("' OR 1=1; DROP TABLE events; --".to_string()),
        Just("Robert'); DELETE FROM complaint_list; --".to_string()),
        // Control characters, NUL, direction overrides, zero-width.
        "[\\x00-\\x1f\\x7f]{1,30}",
        Just("\u{202e}gnp.exe\u{200b}\u{feff}".to_string()),
        // Huge.
        (1usize..300_000).prop_map(|n| "x".repeat(n)),
        // Many lines.
        (1usize..3_000).prop_map(|n| "line\n".repeat(n)),
        // The marker every answer is checked for.
        "[a-z]{0,5}".prop_map(|s| format!("{MARKER}{s}")),
        // Anything at all.
        any::<String>(),
    ]
}

/// A form field's value, percent-encoded, sometimes with invalid UTF-8 in it.
fn encoded_value() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => hostile_text().prop_map(|t| encode(&t)),
        1 => Just("%FF%FE%C3%28%80".to_string()),
        1 => Just("%E2%82".to_string()),
    ]
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// A urlencoded body: a valid form (`base`), with up to four of its `hostile` fields replaced
/// by hostile values, maybe one field dropped, maybe one sent twice, maybe a field nobody
/// asked for. Most requests are thus nearly right, and reach the rules past the first.
fn form_body(
    base: &'static [(&'static str, &'static str)],
    hostile: &'static [&'static str],
) -> impl Strategy<Value = Vec<(String, String)>> {
    (
        proptest::collection::vec((0..hostile.len(), encoded_value()), 0..=4),
        proptest::option::of(0..base.len()),
        proptest::option::of((0..hostile.len(), encoded_value())),
        any::<bool>(),
    )
        .prop_map(move |(overrides, dropped, twice, extra)| {
            let mut body: Vec<(String, String)> = base
                .iter()
                .enumerate()
                .filter(|(i, _)| Some(*i) != dropped)
                .map(|(_, (name, value))| (name.to_string(), encode(value)))
                .collect();
            for (field, value) in overrides {
                let name = hostile[field];
                match body.iter_mut().find(|(n, _)| n == name) {
                    Some(pair) => pair.1 = value,
                    None => body.push((name.to_string(), value)),
                }
            }
            if let Some((field, value)) = twice {
                body.push((hostile[field].to_string(), value));
            }
            if extra {
                body.push(("is_admin".into(), "true".into()));
            }
            body
        })
}

/// A JSON body for the API: a valid complaint with some values hostile or wrongly typed,
/// a key maybe twice, an unknown one maybe, or not JSON at all.
fn json_body() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        4 => hostile_text().prop_map(serde_json::Value::String),
        1 => any::<i64>().prop_map(|n| serde_json::json!(n)),
        1 => Just(serde_json::json!(null)),
        1 => Just(serde_json::json!([1, "two", {"three": 3}])),
        1 => Just(serde_json::json!({"nested": {"deep": true}})),
    ];
    let key = prop::sample::select(vec![
        "name",
        "email",
        "phone",
        "company",
        "category",
        "summary",
        "description",
        "remedy",
        "language",
        "priority",
        "unknown_field",
    ]);
    prop_oneof![
        8 => proptest::collection::vec((key, value), 0..4).prop_map(|overrides| {
            let mut members: Vec<(String, serde_json::Value)> = [
                ("name", "Ana Pop"),
                ("email", "ana@example.ro"),
                ("category", "Billing"),
                ("summary", "Charged twice"),
                ("description", "I was charged twice."),
                ("language", "ro"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), serde_json::json!(v)))
            .collect();
            for (k, v) in overrides {
                // Sometimes replaced, sometimes given again (a duplicate key).
                if k.len() % 2 == 0 {
                    members.retain(|(name, _)| name != k);
                }
                members.push((k.to_string(), v));
            }
            let inner: Vec<String> = members
                .into_iter()
                .map(|(k, v)| format!("{}:{}", serde_json::json!(k), v))
                .collect();
            format!("{{{}}}", inner.join(",")).into_bytes()
        }),
        1 => Just(b"{\"name\": \"\xff\xfe\", \"email\": 1".to_vec()),
        1 => Just(b"[]".to_vec()),
        1 => any::<Vec<u8>>(),
    ]
}

/// A runner: the same cases on every run (CI stays reproducible), unless
/// `REDRESS_HOSTILE_RANDOM=1` asks for new ones.
fn runner(config: &Config) -> TestRunner {
    if std::env::var("REDRESS_HOSTILE_RANDOM").as_deref() == Ok("1") {
        TestRunner::new(config.clone())
    } else {
        TestRunner::new_with_rng(
            config.clone(),
            proptest::test_runner::TestRng::deterministic_rng(config.rng_algorithm),
        )
    }
}

/// What the run found.
#[derive(Default)]
struct Tally {
    cases: [AtomicUsize; 6],
    accepted: AtomicUsize,
}

const MARKER: &str = "<b data-hostile>";

async fn events(app: &TestApp) -> u64 {
    app.store.projections.event_count().await.unwrap()
}

/// How a form is sent: as a browser sends a form without files, or with them (the public
/// form and the status page take files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Urlencoded,
    Multipart,
}

/// The body of a form (its values percent-encoded, maybe wrongly) as `encoding` sends it:
/// its content type and bytes. In a multipart body each value goes as the bytes it decodes
/// to, invalid UTF-8 included.
fn encoded_form(encoding: Encoding, csrf: &str, body: &[(String, String)]) -> (String, Vec<u8>) {
    match encoding {
        Encoding::Urlencoded => {
            let mut raw = format!("csrf={}", encode(csrf));
            for (name, value) in body {
                raw.push_str(&format!("&{name}={value}"));
            }
            ("application/x-www-form-urlencoded".into(), raw.into_bytes())
        }
        Encoding::Multipart => {
            let boundary = format!("hostile-{}", uuid::Uuid::new_v4().simple());
            let mut raw = Vec::new();
            let fields =
                std::iter::once(("csrf".to_string(), encode(csrf))).chain(body.iter().cloned());
            for (name, value) in fields {
                raw.extend_from_slice(
                    format!(
                        "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                    )
                    .as_bytes(),
                );
                raw.extend(percent_encoding::percent_decode_str(
                    &value.replace('+', " "),
                ));
                raw.extend_from_slice(b"\r\n");
            }
            raw.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
            (format!("multipart/form-data; boundary={boundary}"), raw)
        }
    }
}

/// Sends a form and checks the answer; `accepted` says which statuses may have written
/// something. Returns where an accepted request was sent (its `Location`).
async fn check_form(
    app: &TestApp,
    (path, encoding): (&str, Encoding),
    csrf: &str,
    client: &str,
    body: Vec<(String, String)>,
    accepted: &[u16],
) -> Result<Option<String>, TestCaseError> {
    let (content_type, raw) = encoded_form(encoding, csrf, &body);
    let before = events(app).await;
    let response = app
        .client
        .post(format!("{}{path}", app.address))
        .header("content-type", content_type)
        .header("x-forwarded-for", client)
        .body(raw)
        .send()
        .await
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = response.text().await.unwrap_or_default();
    prop_assert!(status < 500, "{path} answered {status}: {text}");
    prop_assert!(
        !text.contains(MARKER),
        "{path} rendered the marker unescaped"
    );
    prop_assert!(
        !text.contains("<script>alert") && !text.contains("onerror=alert(1)>"),
        "{path} rendered a script unescaped"
    );
    let after = events(app).await;
    if !accepted.contains(&status) {
        prop_assert_eq!(after, before, "{} refused ({}) but wrote", path, status);
        return Ok(None);
    }
    Ok(location)
}

/// Reads `path` as a member of staff (or the customer): whatever was stored must come back
/// escaped.
async fn rendered_escaped(visitor: &crate::Visitor, path: &str) -> Result<(), TestCaseError> {
    let response = visitor.get(path).await;
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    prop_assert!(status < 500, "{path} answered {status}");
    prop_assert!(
        !text.contains(MARKER),
        "{path} rendered the marker unescaped"
    );
    prop_assert!(
        !text.contains("<script>alert") && !text.contains("onerror=alert(1)>"),
        "{path} rendered a script unescaped"
    );
    Ok(())
}

#[test]
fn thousands_of_hostile_requests_get_no_5xx_write_nothing_when_refused_and_inject_nothing() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tally = Tally::default();
    // With passkeys (a domain name) and single sign-on against a real provider.
    let (listener, address) = crate::sso::reserve();
    let provider = crate::sso::Provider::start(&[format!("{address}/sign-in/sso/callback")]);
    let app = runtime.block_on(async {
        let db = TestDb::postgres().await;
        crate::spawn_app_on(
            listener,
            db,
            &[
                ("REDRESS_TRUST_FORWARDED_FOR", "true"),
                ("REDRESS_API_REQUESTS_PER_MINUTE", "100000"),
                ("REDRESS_PUBLIC_URL", "http://localhost:8080"),
                ("REDRESS_SSO_ISSUER", &provider.issuer),
                ("REDRESS_SSO_CLIENT_ID", "redress"),
                ("REDRESS_SSO_CLIENT_SECRET", "redress-test-secret"),
            ],
        )
        .await
    });
    // A complaint with a status link, a token, and each form's CSRF token.
    let (status_path, complain_csrf, status_csrf, sign_in_csrf, api_token) =
        runtime.block_on(async {
            let page = app.get("/complain").await.text().await.unwrap();
            let complain_csrf = csrf_in(&page);
            let reference = app
                .store
                .complaints
                .receive(
                    redress_domain::Actor::Customer,
                    redress_domain::NewComplaint {
                        reference: redress_domain::Reference::parse("RDR-0000-0000").unwrap(),
                        customer: redress_domain::NewCustomer {
                            name: "Ana Pop".into(),
                            email: Some(
                                redress_domain::CustomerEmail::parse("ana@example.ro").unwrap(),
                            ),
                            phone: None,
                            language: redress_domain::Language::Ro,
                        },
                        company: None,
                        tier: redress_domain::Tier::Standard,
                        channel: redress_domain::Channel::WebForm,
                        category: "Billing".into(),
                        summary: "Charged twice".into(),
                        description: "Twice.".into(),
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
            let status_csrf = csrf_in(&app.get(&status_path).await.text().await.unwrap());
            let sign_in_csrf = csrf_in(&app.get("/sign-in").await.text().await.unwrap());
            let (token, _) = app
                .store
                .api_tokens
                .create("fuzz", &[redress_store::Scope::Admin], "test")
                .await
                .unwrap();
            (status_path, complain_csrf, status_csrf, sign_in_csrf, token)
        });
    let staff = app.another_visitor();
    runtime.block_on(staff.sign_in_as(redress_store::Role::Admin));
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    let client_of = |n: usize| format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255);
    let count = |i: usize| tally.cases[i].fetch_add(1, Ordering::Relaxed);

    // 1. The public complaint form.
    const COMPLAIN: &[(&str, &str)] = &[
        ("name", "Ana Pop"),
        ("email", "ana@example.ro"),
        ("category", "Billing"),
        ("summary", "Charged twice"),
        ("description", "I was charged twice for one order."),
        ("language", "ro"),
    ];
    const COMPLAIN_HOSTILE: &[&str] = &[
        "name",
        "phone",
        "company",
        "category",
        "summary",
        "description",
        "remedy",
        "language",
        "email",
        "website",
    ];
    runner(&config)
        .run(&form_body(COMPLAIN, COMPLAIN_HOSTILE), |body| {
            let n = count(0);
            runtime.block_on(async {
                let sent = check_form(
                    &app,
                    ("/complain", Encoding::Multipart),
                    &complain_csrf,
                    &client_of(n),
                    body,
                    &[303],
                )
                .await?;
                // A complaint was written (not the honeypot's "thanks"): what it holds is
                // shown to staff, escaped.
                if let Some(reference) = sent
                    .as_deref()
                    .and_then(|l| l.split("reference=").nth(1))
                    .map(|r| r.split('&').next().unwrap_or(r).to_string())
                {
                    tally.accepted.fetch_add(1, Ordering::Relaxed);
                    app.store.projections.run_until_idle().await.ok();
                    rendered_escaped(&staff, &format!("/complaints/{reference}")).await?;
                }
                Ok(())
            })
        })
        .unwrap_or_else(|e| panic!("the public form: {e}"));

    // 2. The status page's "add something" form.
    runner(&config)
        .run(&form_body(&[("text", "Thank you")], &["text"]), |body| {
            let n = count(1);
            let path = format!("{status_path}/add");
            runtime.block_on(async {
                if check_form(
                    &app,
                    (&path, Encoding::Multipart),
                    &status_csrf,
                    &client_of(n),
                    body,
                    &[303],
                )
                .await?
                .is_some()
                {
                    tally.accepted.fetch_add(1, Ordering::Relaxed);
                    // The customer's page shows what they added, escaped.
                    rendered_escaped(&app, &status_path).await?;
                }
                Ok(())
            })
        })
        .unwrap_or_else(|e| panic!("the status page: {e}"));

    // 3. The sign-in form (it writes no events, whatever it gets; only the failures it
    //    counts and the audit trail).
    runner(&config)
        .run(
            &form_body(
                &[
                    ("email", "someone@staff.example"),
                    ("password", "not the password at all"),
                    ("next", "/complaints"),
                ],
                &["email", "password", "next", "time_zone"],
            ),
            |body| {
                let n = count(2);
                runtime.block_on(async {
                    check_form(
                        &app,
                        ("/sign-in", Encoding::Urlencoded),
                        &sign_in_csrf,
                        &client_of(n),
                        body,
                        &[],
                    )
                    .await?;
                    Ok(())
                })
            },
        )
        .unwrap_or_else(|e| panic!("the sign-in form: {e}"));

    // 4. The JSON API.
    runner(&config)
        .run(&json_body(), |body| {
            count(3);
            runtime.block_on(async {
                let before = events(&app).await;
                let response = app
                    .client
                    .post(format!("{}/api/v1/complaints", app.address))
                    .bearer_auth(&api_token)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                prop_assert!(status < 500, "the API answered {status}: {text}");
                prop_assert!(
                    text.is_empty() || serde_json::from_str::<serde_json::Value>(&text).is_ok(),
                    "the API answered something else than JSON: {text}"
                );
                if status == 201 {
                    tally.accepted.fetch_add(1, Ordering::Relaxed);
                } else {
                    prop_assert_eq!(events(&app).await, before, "refused ({}) but wrote", status);
                }
                Ok(())
            })
        })
        .unwrap_or_else(|e| panic!("the JSON API: {e}"));

    // 5. A passkey's answer to a fresh sign-in ceremony (the form field the browser's
    //    credential travels in): refused in words as JSON, nothing written, nobody in.
    let small = Config {
        cases: CASES / 3,
        ..config.clone()
    };
    runner(&small)
        .run(
            &form_body(&[("credential", "{}")], &["credential", "next"]),
            |body| {
                let n = count(4);
                runtime.block_on(async {
                    let options = app
                        .client
                        .post(format!("{}/sign-in/passkey/options", app.address))
                        .header("x-forwarded-for", client_of(n))
                        .form(&[("csrf", sign_in_csrf.as_str())])
                        .send()
                        .await
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(options.status().as_u16(), 200);
                    check_form(
                        &app,
                        ("/sign-in/passkey", Encoding::Urlencoded),
                        &sign_in_csrf,
                        &client_of(n),
                        body,
                        &[],
                    )
                    .await?;
                    Ok(())
                })
            },
        )
        .unwrap_or_else(|e| panic!("the passkey sign-in: {e}"));

    // 6. The single sign-on provider's answer, forged: a sign-in is started (a real state),
    //    then the callback gets hostile values for the code, the state and the provider's
    //    error (whose words the refusal page shows, escaped).
    runner(&small)
        .run(
            &form_body(
                &[("code", "a-code"), ("state", "REAL")],
                &["code", "state", "error", "error_description", "iss"],
            ),
            |body| {
                let n = count(5);
                runtime.block_on(async {
                    let start = app
                        .client
                        .get(format!("{}/sign-in/sso", app.address))
                        .header("x-forwarded-for", client_of(n))
                        .send()
                        .await
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    prop_assert_eq!(start.status().as_u16(), 303);
                    let location = start.headers()["location"].to_str().unwrap().to_string();
                    let state = location
                        .split(['?', '&'])
                        .find_map(|p| p.strip_prefix("state="))
                        .unwrap_or("")
                        .to_string();
                    let query: Vec<(String, String)> = body
                        .into_iter()
                        .map(|(k, v)| {
                            // An address carries at most a few kilobytes (a longer one
                            // cannot even be sent).
                            let v: String = percent_encoding::percent_decode_str(&v)
                                .decode_utf8_lossy()
                                .chars()
                                .take(2000)
                                .collect();
                            (k, if v == "REAL" { state.clone() } else { v })
                        })
                        .collect();
                    let before = events(&app).await;
                    let answer = app
                        .client
                        .get(format!("{}/sign-in/sso/callback", app.address))
                        .header("x-forwarded-for", client_of(n))
                        .query(&query)
                        .send()
                        .await
                        .map_err(|e| TestCaseError::fail(e.to_string()))?;
                    let status = answer.status().as_u16();
                    let text = answer.text().await.unwrap_or_default();
                    prop_assert!(status < 500, "the callback answered {status}: {text}");
                    prop_assert!(
                        [400, 401, 403].contains(&status),
                        "a forged answer signed someone in: {status}"
                    );
                    prop_assert!(!text.contains(MARKER), "the callback rendered the marker");
                    prop_assert!(
                        !text.contains("<script>alert") && !text.contains("onerror=alert(1)>"),
                        "the callback rendered a script unescaped"
                    );
                    prop_assert_eq!(events(&app).await, before);
                    Ok(())
                })
            },
        )
        .unwrap_or_else(|e| panic!("the single sign-on answer: {e}"));

    // 7. Probes of what issue 18 found (items 21–27), each kind counted.
    let probes = runtime.block_on(probe_issue_18(&app, &status_path));

    // Every email the accepted requests caused: no header injected. And the lists staff read.
    let (emails, injected) = runtime.block_on(async {
        app.store.projections.run_until_idle().await.unwrap();
        for page in [
            "/complaints",
            "/complaints?status=all",
            "/sla",
            "/admin/audit",
        ] {
            rendered_escaped(&staff, page)
                .await
                .unwrap_or_else(|e| panic!("{page}: {e}"));
        }
        let dir = crate::mail_dir_for(&app.db);
        app.settle().await;
        let counts = app.store.outbox.counts().await.unwrap();
        assert_eq!(counts.pending, 0, "the outbox drained: {counts:?}");
        let mut emails = 0;
        let mut injected = Vec::new();
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            // A sender writes `.{id}.eml.partial` first and renames it when complete.
            if entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            let raw = std::fs::read(entry.path()).unwrap();
            emails += 1;
            let text = String::from_utf8_lossy(&raw);
            let header = text.split("\r\n\r\n").next().unwrap_or("");
            for line in header.split("\r\n") {
                let name = line.split(':').next().unwrap_or("").to_ascii_lowercase();
                if name == "bcc" || name == "x-injected" {
                    injected.push(format!("{}: {line}", entry.path().display()));
                }
            }
            let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
            if parsed.header_raw("Bcc").is_some() || parsed.header_raw("X-Injected").is_some() {
                injected.push(entry.path().display().to_string());
            }
        }
        (emails, injected)
    });
    assert!(injected.is_empty(), "headers were injected: {injected:#?}");
    let cases: Vec<usize> = tally
        .cases
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .collect();
    let total: usize = cases.iter().sum();
    let accepted = tally.accepted.load(Ordering::Relaxed);
    assert!(
        total >= 4 * CASES as usize + 2 * (CASES / 3) as usize,
        "{cases:?}"
    );
    assert!(
        accepted > 20,
        "too few accepted to reach the emails: {accepted}"
    );
    assert!(emails > 20, "too few emails to check: {emails}");
    let probe_total: usize = probes.iter().map(|(_, n)| n).sum();
    let probe_kinds: Vec<String> = probes.iter().map(|(k, n)| format!("{k} {n}")).collect();
    let summary = format!(
        "hostile input: {total} generated requests (public form {}, status page {}, sign-in {}, \
         JSON API {}, passkey sign-in {}, single sign-on answers {}); {accepted} accepted, the rest refused; 0 answers 5xx, 0 refusals wrote \
         anything, 0 rendered unescaped; {emails} emails read back, 0 headers injected; \
         {probe_total} probes, all handled ({})\n",
        cases[0],
        cases[1],
        cases[2],
        cases[3],
        cases[4],
        cases[5],
        probe_kinds.join(", ")
    );
    print!("{summary}");
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|target| target.join("hostile-input.txt"));
    if let Some(out) = out {
        let _ = std::fs::write(out, &summary);
    }
    runtime.block_on(app.stop());
    drop(provider);
}

/// Deterministic probes of the weaknesses issue 18 listed (items 21–27), each asserting the
/// fix; returns how many requests of each kind were sent.
async fn probe_issue_18(app: &TestApp, status_path: &str) -> Vec<(&'static str, usize)> {
    let mut tally: Vec<(&'static str, usize)> = Vec::new();
    let hash = redress_store::accounts::hash_password(crate::PASSWORD).unwrap();
    app.store
        .accounts
        .create("probe@staff.example", "Pat Probe", Role::Agent, &hash)
        .await
        .unwrap();

    // 21, 22: where signing in leads. Only a path on this site; control characters and line
    // breaks are never followed, never a 5xx.
    let nexts = [
        "/\t/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/x\r\nSet-Cookie: stolen=1",
        "https://evil.example",
        "/ /evil.example",
    ];
    for next in nexts {
        let visitor = app.another_visitor();
        let page = visitor.get("/sign-in").await.text().await.unwrap();
        let response = visitor
            .post_form(
                "/sign-in",
                &[
                    ("email", "probe@staff.example"),
                    ("password", crate::PASSWORD),
                    ("csrf", &csrf_in(&page)),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(response.status(), 303, "next {next:?}");
        assert_eq!(
            response.headers()["location"],
            "/complaints",
            "next {next:?}"
        );
    }
    tally.push(("sign-in next", nexts.len()));

    // 23: the public form sent twice with the same token files one complaint.
    let visitor = app.another_visitor();
    let page = visitor.get("/complain").await.text().await.unwrap();
    let token = page
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    let csrf = csrf_in(&page);
    let fields = [
        ("csrf", csrf.as_str()),
        ("form_token", token.as_str()),
        ("name", "Ana Replay"),
        ("email", "replay@example.ro"),
        ("category", "Billing"),
        ("summary", "Sent twice"),
        ("description", "A double click."),
        ("language", "ro"),
    ];
    let first = visitor.post_multipart("/complain", &fields, &[]).await;
    assert_eq!(first.status(), 303);
    let filed = events(app).await;
    for _ in 0..3 {
        let again = visitor.post_multipart("/complain", &fields, &[]).await;
        assert_eq!(again.status(), 303);
        assert!(
            again.headers()["location"]
                .to_str()
                .unwrap()
                .contains("again=1")
        );
    }
    assert_eq!(
        events(app).await,
        filed,
        "a replayed public form filed again"
    );
    tally.push(("public form replayed", 4));

    // 24: bytes that are not UTF-8, on a form without files and on one with them.
    let before = events(app).await;
    let staff_form = app
        .client
        .post(format!("{}/sign-in", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("csrf=x&email=%FF%FE%40staff.example&password=p")
        .send()
        .await
        .unwrap();
    assert_eq!(staff_form.status(), 400);
    let (content_type, body) = encoded_form(
        Encoding::Multipart,
        &csrf,
        &[
            ("name".into(), "Ana%FF%FE".into()),
            ("email".into(), "utf8@example.ro".into()),
            ("category".into(), "Billing".into()),
            ("summary".into(), "Bytes".into()),
            ("description".into(), "Bytes.".into()),
        ],
    );
    let public = visitor
        .client
        .post(format!("{}/complain", app.address))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), 400);
    assert_eq!(
        events(app).await,
        before,
        "bytes that are not UTF-8 were stored"
    );
    tally.push(("not UTF-8", 2));

    // 25: addresses no email can be built for.
    let literals = ["a@[127.0.0.1]", "a@127.0.0.1", "\"a b\"@example.com"];
    for address in literals {
        let page = visitor.get("/complain").await.text().await.unwrap();
        let csrf = csrf_in(&page);
        let refused = visitor
            .post_multipart(
                "/complain",
                &[
                    ("csrf", csrf.as_str()),
                    ("name", "Ana"),
                    ("email", address),
                    ("category", "Billing"),
                    ("summary", "Literal"),
                    ("description", "An address literal."),
                    ("language", "en"),
                ],
                &[],
            )
            .await;
        assert_eq!(refused.status(), 422, "{address}");
    }
    assert_eq!(
        events(app).await,
        before,
        "an unsendable address was accepted"
    );
    tally.push(("address literals", literals.len()));

    // 26: a status link opens only as issued.
    let token = status_path.trim_start_matches("/status/");
    let mut parts = token.splitn(3, '.');
    let (reference, expires, signature) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let variants = [
        format!("{}.{expires}.{signature}", reference.to_lowercase()),
        format!("{reference}.0{expires}.{signature}"),
        format!("{reference}.+{expires}.{signature}"),
        format!("{reference}.{expires}.{signature}="),
    ];
    for variant in &variants {
        let response = app.get(&format!("/status/{variant}")).await;
        assert_eq!(response.status(), 404, "{variant} opened");
    }
    assert_eq!(app.get(status_path).await.status(), 200);
    tally.push(("status links", variants.len()));

    // 27: forms without their CSRF field answer 403, as a wrong token does.
    let signed_in = app.another_visitor();
    assert_eq!(
        signed_in
            .sign_in("probe@staff.example", crate::PASSWORD)
            .await
            .status(),
        303
    );
    let without = [
        (
            &visitor,
            "/sign-in",
            vec![("email", "probe@staff.example"), ("password", "x")],
        ),
        (&signed_in, "/sign-out", vec![]),
        (&signed_in, "/notifications/read-all", vec![]),
    ];
    for (who, path, fields) in &without {
        let response = who.post_form(path, fields).await;
        assert_eq!(response.status(), 403, "{path}");
    }
    let public = visitor
        .post_multipart(
            "/complain",
            &[("name", "Ana"), ("email", "nocsrf@example.ro")],
            &[],
        )
        .await;
    assert_eq!(public.status(), 403);
    let add = visitor
        .post_multipart(&format!("{status_path}/add"), &[("text", "hello")], &[])
        .await;
    assert_eq!(add.status(), 403);
    assert_eq!(events(app).await, before, "a form without its token wrote");
    tally.push(("no CSRF field", without.len() + 2));
    tally
}
