//! Who may use which route: `docs/access.md` is the rule. This reads its table, checks it
//! lists exactly the routes the code's table (`redress_web::routes::ROUTES`) knows, then walks
//! every route as someone not signed in, as an agent, a manager and an admin (and with and
//! without a customer's link or an API token), asserting what the document says.

use redress_domain::{Actor, ComplaintChange, Reference};
use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use redress_web::access::Access;
use redress_web::routes::ROUTES as RULES;

use crate::{TestApp, Visitor, csrf_in, spawn_app_with};

on_both_backends!(every_route_answers_each_role_as_docs_access_md_says);

/// The document's table: (method, route, who).
fn documented() -> Vec<(String, String, String)> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/access.md");
    let text = std::fs::read_to_string(path).expect("docs/access.md");
    text.lines()
        .filter(|l| l.starts_with("| GET") || l.starts_with("| POST"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (
                cells[1].to_string(),
                cells[2].trim_matches('`').to_string(),
                cells[3].to_string(),
            )
        })
        .collect()
}

#[test]
fn the_document_lists_exactly_the_routes_the_code_knows() {
    let mut docs = documented();
    let mut code: Vec<(String, String, String)> = RULES
        .iter()
        .map(|r| {
            (
                r.method.to_string(),
                r.path.to_string(),
                r.access.code().to_string(),
            )
        })
        .collect();
    docs.sort();
    code.sort();
    assert_eq!(
        docs, code,
        "docs/access.md and crates/web/src/routes.rs differ"
    );
}

/// Everything the routes' parameters need, made for real.
struct Fixtures {
    reference: String,
    link_token: String,
    company: String,
    customer: String,
    account: String,
    api_token: String,
    revocable_token: String,
    outbox_id: String,
    set_aside: String,
    file: String,
    email: String,
    /// A file the link's customer added (they may open it from their page).
    customer_file: String,
    /// A team.
    team: String,
    /// A webhook endpoint, and one of its deliveries.
    webhook: String,
    delivery: String,
    /// A corrective action (against the root cause `billing`).
    corrective_action: String,
    /// The token of a periodic survey's invitation (to the link's customer).
    survey_token: String,
}

async fn fixtures(app: &TestApp) -> Fixtures {
    let store = &app.store;
    // Registered first, so the complaint's events are delivered to it (nowhere: the worker
    // does not run here).
    let (webhook, _) = store
        .webhooks
        .create(
            "http://127.0.0.1:9/hook",
            "*",
            false,
            "test",
            store.clock.now(),
        )
        .await
        .unwrap();
    let reference = store
        .complaints
        .receive(
            Actor::Customer,
            redress_domain::NewComplaint {
                reference: Reference::parse("RDR-0000-0000").unwrap(),
                customer: redress_domain::NewCustomer {
                    name: "Ana Pop".into(),
                    email: Some(redress_domain::CustomerEmail::parse("ana@example.ro").unwrap()),
                    phone: None,
                    language: redress_domain::Language::Ro,
                },
                company: Some("Contoso Ltd".into()),
                tier: redress_domain::Tier::Standard,
                channel: redress_domain::Channel::Phone,
                category: "Billing".into(),
                summary: "Charged twice".into(),
                description: "I was charged twice.".into(),
                remedy_requested: None,
                priority: redress_domain::Priority::Normal,
                routing: None,
            },
        )
        .await
        .unwrap();
    // An email with a file (a complaint of its own) and an auto-reply set aside.
    let intake = redress_intake::Intake::new(
        store.clone(),
        crate::intake::test_settings(),
        redress_intake::StatusBoard::default(),
    );
    let with_file = "From: ion@example.ro\r\nSubject: Photo\r\nMessage-ID: <access-1@mail.example>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n\
         Content-Type: text/plain\r\n\r\nSee the photo.\r\n--b\r\nContent-Type: image/png\r\n\
         Content-Disposition: attachment; filename=\"p.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         aGVsbG8=\r\n--b--\r\n";
    let auto = "From: ion@example.ro\r\nSubject: Away\r\nMessage-ID: <access-2@mail.example>\r\n\
         Auto-Submitted: auto-replied\r\n\r\nAway.\r\n";
    let place = |uid| redress_store::MailboxPlace {
        folder: "INBOX".into(),
        uid_validity: 1,
        uid,
    };
    let redress_intake::Outcome::Created(by_email) = intake
        .ingest(&place(1), with_file.as_bytes())
        .await
        .unwrap()
    else {
        panic!("the email became no complaint")
    };
    intake.ingest(&place(2), auto.as_bytes()).await.unwrap();
    let (file, email) = store
        .complaints
        .events_of(&Reference::parse(&by_email).unwrap())
        .await
        .unwrap()
        .into_iter()
        .find_map(|e| match e.change {
            ComplaintChange::EmailReceived {
                id, attachments, ..
            } => Some((attachments[0].id.to_string(), id.to_string())),
            _ => None,
        })
        .unwrap();
    // A file the customer added on their page.
    let customer = store
        .complaints
        .load(&reference)
        .await
        .unwrap()
        .unwrap()
        .customer()
        .unwrap();
    let customer_file = uuid::Uuid::new_v4();
    store
        .attachments
        .store(
            customer_file,
            reference.as_str(),
            customer,
            b"%PDF-1.4",
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    store
        .complaints
        .execute(
            &reference,
            redress_domain::ComplaintCommand::new(
                Actor::Customer,
                redress_domain::ComplaintAction::AttachFiles {
                    files: vec![redress_domain::AttachmentMeta {
                        id: customer_file,
                        name: "statement.pdf".into(),
                        content_type: "application/pdf".into(),
                        size: 8,
                    }],
                },
            ),
        )
        .await
        .unwrap();
    store.projections.run_until_idle().await.unwrap();
    // The receipt, as if it had been sent: a copy to open.
    let receipt = store
        .outbox
        .of_complaint(reference.as_str())
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.kind == "receipt")
        .unwrap()
        .id;
    let key = store.vault.key(customer).await.unwrap().unwrap();
    let copy = redress_store::SentCopy {
        headers: vec![("Subject".into(), "Your complaint".into())],
        text: "Dear Ana".into(),
        html: "<p>Dear Ana</p>".into(),
        files: vec![],
    };
    store
        .outbox
        .keep_copy(
            &receipt,
            customer,
            &key.seal_bytes(customer, &serde_json::to_vec(&copy).unwrap()),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let row = store
        .complaint_list
        .get(reference.as_str())
        .await
        .unwrap()
        .unwrap();
    let delivery = store
        .webhooks
        .log(webhook.id, 1)
        .await
        .unwrap()
        .remove(0)
        .id;
    let hash = redress_store::accounts::hash_password(crate::PASSWORD).unwrap();
    let account = store
        .accounts
        .create("someone@staff.example", "Some One", Role::Agent, &hash)
        .await
        .unwrap();
    let (api_token, _) = store
        .api_tokens
        .create("walker", &[redress_store::Scope::Admin], "test")
        .await
        .unwrap();
    let (_, revocable) = store
        .api_tokens
        .create("to revoke", &[redress_store::Scope::Read], "test")
        .await
        .unwrap();
    // A root cause whose code is the one `{code}` stands for, and an action against it.
    store
        .root_causes
        .create(
            "billing",
            &redress_store::root_causes::CauseDraft {
                category: None,
                names: vec!["Billing".into(); 4],
                retired: false,
            },
            &[],
            store.clock.now(),
        )
        .await
        .unwrap();
    let corrective_action = store
        .root_causes
        .open_action(
            "billing",
            "Check the invoices.",
            (account.id, &account.name),
            chrono::Utc::now().date_naive(),
            "test",
            store.clock.now(),
        )
        .await
        .unwrap()
        .to_string();
    let invitation = uuid::Uuid::new_v4();
    let sql = "INSERT INTO survey_invitations (id, customer_id, language, major, asked_at, send_at)
               VALUES ($1, $2, 'en', FALSE, $3, $3)";
    let now = chrono::Utc::now();
    match &store.db {
        redress_store::Database::Sqlite(pool) => {
            sqlx::query(sql)
                .bind(invitation)
                .bind(row.customer_id)
                .bind(now)
                .execute(pool)
                .await
                .unwrap();
        }
        redress_store::Database::Postgres(pool) => {
            sqlx::query(sql)
                .bind(invitation)
                .bind(row.customer_id)
                .bind(now)
                .execute(pool)
                .await
                .unwrap();
        }
    }
    Fixtures {
        survey_token: store.surveys.token(invitation),
        corrective_action,
        webhook: webhook.id.to_string(),
        delivery,
        team: redress_store::teams::FIRST_TEAM.to_string(),
        link_token: store
            .links
            .token(&reference, chrono::Utc::now() + chrono::Duration::days(1)),
        reference: reference.to_string(),
        company: redress_domain::CompanyId::for_name("Contoso Ltd")
            .0
            .to_string(),
        customer: row.customer_id.to_string(),
        account: account.id.to_string(),
        api_token,
        revocable_token: revocable.id.to_string(),
        outbox_id: receipt,
        set_aside: store.inbound.set_aside_list(5).await.unwrap()[0]
            .id
            .to_string(),
        file,
        email,
        customer_file: customer_file.to_string(),
    }
}

/// The route with its parameters filled in.
fn concrete(path: &str, f: &Fixtures, link: &str) -> String {
    let id = if path.starts_with("/status/") {
        &f.customer_file
    } else if path.starts_with("/complaints/") {
        &f.outbox_id
    } else if path.starts_with("/companies/") {
        &f.company
    } else if path.starts_with("/customers/") {
        &f.customer
    } else if path.starts_with("/admin/users/") || path.starts_with("/account/passkeys/") {
        &f.account
    } else if path.starts_with("/admin/api-tokens/") {
        &f.revocable_token
    } else if path.starts_with("/admin/mail/") {
        &f.outbox_id
    } else if path.starts_with("/admin/intake/") {
        &f.set_aside
    } else if path.starts_with("/files/") {
        &f.file
    } else if path.starts_with("/teams/") {
        &f.team
    } else if path.starts_with("/causes/actions/") {
        &f.corrective_action
    } else if path.starts_with("/admin/webhooks/deliveries/") {
        &f.delivery
    } else if path.starts_with("/admin/webhooks/") {
        &f.webhook
    } else {
        &f.email
    };
    path.replace("{reference}", &f.reference)
        .replace("{action}", "acknowledge")
        .replace("{token}", link)
        .replace("{id}", id)
        .replace("{file}", "redress.css")
        .replace("{code}", "billing")
}

/// Sends the request as `visitor` (with the session's CSRF token on a POST, and a bearer
/// token if given); returns (status, where it redirects).
async fn send(
    visitor: &Visitor,
    method: &str,
    path: &str,
    csrf: &str,
    bearer: Option<&str>,
) -> (u16, String) {
    let url = format!("{}{path}", visitor.address);
    let mut request = match method {
        "GET" => visitor.client.get(&url),
        _ => visitor.client.post(&url).form(&[("csrf", csrf)]),
    };
    if path.starts_with("/api/v1/") && method == "POST" {
        request = visitor
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body("{}");
    }
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (response.status().as_u16(), location)
}

async fn every_route_answers_each_role_as_docs_access_md_says(db: TestDb) {
    // With every way in: passkeys (a domain name) and single sign-on (whose provider is not
    // there: its routes answer, with the refusal page).
    let app = spawn_app_with(
        db,
        &[
            ("REDRESS_PUBLIC_URL", "http://localhost:8080"),
            ("REDRESS_SSO_ISSUER", "http://127.0.0.1:9"),
            ("REDRESS_SSO_CLIENT_ID", "redress"),
        ],
    )
    .await;
    let f = fixtures(&app).await;
    let anonymous = app.another_visitor();
    let mut staff = Vec::new();
    // Each of them has a notification of their own to mark read: the fixture's complaint
    // assigned to them.
    let mut notices = Vec::new();
    for role in [Role::Agent, Role::Manager, Role::Admin] {
        let visitor = app.another_visitor();
        let account = visitor.sign_in_as(role).await;
        let csrf = csrf_in(&visitor.get("/account").await.text().await.unwrap());
        let reference = Reference::parse(&f.reference).unwrap();
        app.store
            .complaints
            .execute(
                &reference,
                redress_domain::ComplaintCommand::new(
                    Actor::System {
                        name: "test".into(),
                    },
                    redress_domain::ComplaintAction::AssignOwner {
                        owner: account.member(),
                    },
                ),
            )
            .await
            .unwrap();
        let sequence = app
            .store
            .complaints
            .events_of(&reference)
            .await
            .unwrap()
            .len() as i64;
        notices.push(redress_store::notifications::notification_id(
            &f.reference,
            sequence,
            redress_store::NotificationKind::Assigned,
            account.id,
        ));
        staff.push((role, visitor, csrf));
    }
    app.store.projections.run_until_idle().await.unwrap();
    let anonymous_csrf = csrf_in(&anonymous.get("/sign-in").await.text().await.unwrap());
    let documented = documented();
    assert_eq!(documented.len(), RULES.len());
    let mut checked = 0;
    for rule in RULES {
        // Sign-out ends the session it is sent in: walked last.
        if rule.path == "/sign-out" {
            continue;
        }
        // (`/login` is there to lead to the sign-in page, and `/sign-in/code` leads back to
        // it when no password was given first.)
        let allowed = |status: u16, location: &str| {
            !matches!(status, 401 | 403 | 404)
                && (!location.starts_with("/sign-in")
                    || rule.path == "/login"
                    || rule.path == "/sign-in/code")
        };
        // A survey's link is its invitation's; every other link is the status page's.
        let link = if rule.path.starts_with("/survey/") {
            &f.survey_token
        } else {
            &f.link_token
        };
        let path = concrete(rule.path, &f, link);
        let what = format!("{} {}", rule.method, rule.path);
        match rule.access {
            Access::Anyone => {
                for (visitor, csrf) in std::iter::once((&anonymous, &anonymous_csrf))
                    .chain(staff.iter().map(|(_, v, c)| (v, c)))
                {
                    let (status, location) = send(visitor, rule.method, &path, csrf, None).await;
                    assert!(allowed(status, &location), "{what}: {status} {location}");
                    checked += 1;
                }
            }
            Access::Link => {
                let (status, location) =
                    send(&anonymous, rule.method, &path, &anonymous_csrf, None).await;
                assert!(allowed(status, &location), "{what} with its link: {status}");
                let forged = concrete(rule.path, &f, &format!("{link}x"));
                let (status, _) =
                    send(&anonymous, rule.method, &forged, &anonymous_csrf, None).await;
                assert_eq!(status, 404, "{what} with a tampered link");
                checked += 2;
            }
            Access::Token => {
                let (status, _) = send(&anonymous, rule.method, &path, &anonymous_csrf, None).await;
                assert_eq!(status, 401, "{what} without a token");
                let (status, location) = send(
                    &anonymous,
                    rule.method,
                    &path,
                    &anonymous_csrf,
                    Some(&f.api_token),
                )
                .await;
                assert!(allowed(status, &location), "{what} with a token: {status}");
                checked += 2;
            }
            Access::Staff(needed) => {
                let (status, location) =
                    send(&anonymous, rule.method, &path, &anonymous_csrf, None).await;
                assert!(
                    status == 303 && location.starts_with("/sign-in"),
                    "{what} not signed in: {status} {location}"
                );
                checked += 1;
                for (i, (role, visitor, csrf)) in staff.iter().enumerate() {
                    // One's own notifications only: each marks one of theirs.
                    let path = if rule.path == "/notifications/{id}/read" {
                        rule.path.replace("{id}", &notices[i])
                    } else {
                        path.clone()
                    };
                    let (status, location) = send(visitor, rule.method, &path, csrf, None).await;
                    if *role >= needed {
                        assert!(
                            allowed(status, &location),
                            "{what} as {role:?}: {status} {location}"
                        );
                    } else {
                        assert_eq!(status, 403, "{what} as {role:?}");
                    }
                    checked += 1;
                }
            }
        }
    }
    // Sign-out, for every role, in sessions of its own.
    for role in [Role::Agent, Role::Manager, Role::Admin] {
        let visitor = app.another_visitor();
        visitor.sign_in_as(role).await;
        let csrf = csrf_in(&visitor.get("/account").await.text().await.unwrap());
        let (status, location) = send(&visitor, "POST", "/sign-out", &csrf, None).await;
        assert_eq!((status, location.as_str()), (303, "/sign-in"), "{role:?}");
        checked += 1;
    }
    let (status, location) = send(&anonymous, "POST", "/sign-out", &anonymous_csrf, None).await;
    assert!(status == 303 && location.starts_with("/sign-in"));
    assert!(checked > 200, "{checked} requests checked");
    // A path written with percent-encoded letters is the same route, with the same rule.
    let (_, agent, agent_csrf) = &staff[0];
    for (method, path) in [
        ("GET", "/admin/user%73".to_string()),
        ("POST", "/admin/user%73".to_string()),
        ("GET", "/report%73".to_string()),
        ("GET", format!("/customers/{}/expor%74", f.customer)),
        ("POST", format!("/admin/users/{}/rol%65", f.account)),
        ("GET", "/%61dmin/audit".to_string()),
    ] {
        let (status, _) = send(agent, method, &path, agent_csrf, None).await;
        assert_eq!(status, 403, "{method} {path} as an agent");
    }
    // A method the table does not know on a known route is refused before any handler,
    // whatever the role, as 405 with the methods it takes (an OPTIONS, a stray POST or PUT);
    // HEAD is answered wherever GET is (a load balancer's probe), without a body.
    let (_, admin, csrf) = &staff[2];
    let (status, _) = send(admin, "POST", "/complaints", csrf, None).await;
    assert_eq!(status, 405, "a method without a rule");
    for method in [reqwest::Method::OPTIONS, reqwest::Method::PUT] {
        let response = admin
            .client
            .request(method.clone(), format!("{}/healthz", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 405, "{method} /healthz");
        assert_eq!(
            response.headers()["allow"],
            "GET, HEAD",
            "{method} /healthz"
        );
    }
    let head = admin
        .client
        .head(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert!(head.bytes().await.unwrap().is_empty(), "HEAD sent a body");
    // HEAD on a staff page is checked as its GET is: the role still decides.
    let (_, agent_visitor, _) = &staff[0];
    let head = agent_visitor
        .client
        .head(format!("{}/admin/users", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 403, "HEAD /admin/users as an agent");
    app.stop().await;
}
