//! Managed categories and the staff's own language over HTTP, on both databases: the forms and
//! the API choose from the list (the API refuses another value with the valid codes); an admin
//! keeps the list and maps free text recorded before it, and the FCA return counts one row
//! per product group; each person reads the staff pages in the language they chose, else
//! their browser's.

use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use serde_json::{Value, json};

use crate::json_api::{api, token};
use crate::{csrf_in, spawn_app};

on_both_backends!(
    the_api_refuses_a_category_not_on_the_list_with_the_valid_codes,
    an_admin_keeps_the_categories_and_maps_free_text_and_the_fca_return_follows,
    each_person_reads_the_staff_pages_in_their_language,
);

async fn the_api_refuses_a_category_not_on_the_list_with_the_valid_codes(db: TestDb) {
    let app = spawn_app(db).await;
    let token = token(&app).await;
    let file = |category: &str| {
        api(
            &app,
            reqwest::Method::POST,
            "/api/v1/complaints",
            Some(&token),
        )
        .json(&json!({
            "name": "Zhang Wei",
            "email": "wei@example.cn",
            "category": category,
            "summary": "Charged twice",
            "description": "我被扣了两次款。",
            "language": "zh",
        }))
        .send()
    };
    let refused = file("Aliens").await.unwrap();
    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.unwrap();
    let message = body.to_string();
    assert!(
        message.contains("There is no category")
            && message.contains("billing, delivery, product, service, staff, general, other"),
        "{message}"
    );
    let filed = file("delivery").await.unwrap();
    assert_eq!(filed.status(), 201);
    let filed: Value = filed.json().await.unwrap();
    let reference = filed["reference"].as_str().unwrap().to_string();
    let read: Value = api(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/complaints/{reference}"),
        Some(&token),
    )
    .send()
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(read["category"], "delivery");
    // The document names the codes a new complaint (and a change of category) takes.
    let document: Value = app.get("/api/openapi.json").await.json().await.unwrap();
    let schemas = &document["components"]["schemas"];
    for body in ["NewComplaint", "ChangeCategoryBody"] {
        assert_eq!(
            schemas[body]["properties"]["category"]["$ref"],
            "#/components/schemas/CategoryCode"
        );
    }
    let category = &schemas["CategoryCode"];
    assert_eq!(category["enum"][0], "billing", "{category}");
    assert_eq!(category["enum"].as_array().unwrap().len(), 7);
}

async fn an_admin_keeps_the_categories_and_maps_free_text_and_the_fca_return_follows(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = app.sign_in_as(Role::Admin).await;
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    let page = app.get("/categories").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    assert!(
        page.contains("Facturación") && page.contains("账单"),
        "four languages"
    );
    // An agent sees the list but may not change it.
    let seen = agent.get("/categories").await;
    assert_eq!(seen.status(), 200);
    let agent_page = seen.text().await.unwrap();
    assert!(!agent_page.contains("action=\"/categories/map\""));
    let forbidden = agent
        .post_form(
            "/categories",
            &[("csrf", &csrf_in(&agent_page)), ("code", "x")],
        )
        .await;
    assert_eq!(forbidden.status(), 403);

    let new = |code: &'static str, en: &'static str, group: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("code", code.to_string()),
            ("name_en", en.to_string()),
            ("name_es", format!("{en} (es)")),
            ("name_ro", format!("{en} (ro)")),
            ("name_zh", format!("{en}（中文）")),
            ("fca_group", group.to_string()),
        ]
    };
    let as_refs =
        |form: &[(&'static str, String)]| -> Vec<(&'static str, String)> { form.to_vec() };
    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(path, &form).await
        }
    };
    let created = post(
        "/categories",
        as_refs(&new(
            "current-accounts",
            "Current accounts",
            "Banking and credit cards",
        )),
    )
    .await;
    assert_eq!(created.status(), 303);
    assert_eq!(created.headers()["location"], "/categories?done=saved");
    let created = post(
        "/categories",
        as_refs(&new("cards", "Credit cards", "Banking and credit cards")),
    )
    .await;
    assert_eq!(created.status(), 303);
    // A bad code and a missing name are refused beside the form, nothing saved.
    let refused = post("/categories", as_refs(&new("Bad Code", "Bad", ""))).await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("A code is 1 to 40 lower-case letters")
    );
    let mut nameless = new("nameless", "Nameless", "");
    nameless[3].1 = String::new();
    let refused = post("/categories", nameless.to_vec()).await;
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("name in Spanish"));
    let unknown = post("/categories/nope", as_refs(&new("nope", "Nope", ""))).await;
    assert_eq!(unknown.status(), 404);

    // Complaints under both, through the staff form and the public form.
    let filed = app
        .post_form(
            "/complaints/new",
            &[
                ("csrf", &csrf),
                (
                    "form_token",
                    &crate::teams::form_token(
                        &app.get("/complaints/new").await.text().await.unwrap(),
                    ),
                ),
                ("name", "Ana Pop"),
                ("email", "ana@example.ro"),
                ("category", "current-accounts"),
                ("summary", "Fee charged twice"),
                ("description", "The monthly fee was taken twice."),
                ("language", "ro"),
                ("channel", "phone"),
                ("priority", "normal"),
            ],
        )
        .await;
    assert_eq!(filed.status(), 303, "{:?}", filed.text().await);
    let form = app.get("/complaints/new").await.text().await.unwrap();
    assert!(
        form.contains("<option value=\"cards\">Credit cards</option>"),
        "the staff form offers the list"
    );
    let refused = app
        .post_form(
            "/complaints/new",
            &[
                ("csrf", &csrf),
                ("form_token", &crate::teams::form_token(&form)),
                ("name", "Ana Pop"),
                ("email", "ana@example.ro"),
                ("category", "Aliens"),
                ("summary", "Fee charged twice"),
                ("description", "The monthly fee was taken twice."),
                ("language", "ro"),
                ("channel", "phone"),
                ("priority", "normal"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains("id=\"category-error\"") && html.contains("There is no category"),
        "{html}"
    );
    let public = app.get("/complain?lang=es").await.text().await.unwrap();
    assert!(
        public.contains("<option value=\"cards\">Credit cards (es)</option>"),
        "the public form offers the list in the customer's language"
    );
    // A complaint filed before the list, under free text.
    let legacy = redress_domain::Reference::generate(&mut rand::thread_rng());
    let mut old = crate::teams::english("kim@example.com");
    old.category = "Tarjetas".into();
    old.reference = legacy.clone();
    app.store
        .complaints
        .execute(
            &legacy,
            redress_domain::ComplaintCommand::new(
                redress_domain::Actor::Customer,
                redress_domain::ComplaintAction::Receive(Box::new(old)),
            ),
        )
        .await
        .unwrap();
    app.settle().await;
    let page = app.get("/categories").await.text().await.unwrap();
    assert!(
        page.contains("<td>Tarjetas</td>"),
        "the value to map is listed"
    );
    let fca = app.get("/reports/fca").await.text().await.unwrap();
    assert!(fca.contains("Tarjetas"), "unmapped, it is a row of its own");
    let mapped = post(
        "/categories/map",
        vec![
            ("csrf", csrf.clone()),
            ("value", "Tarjetas".into()),
            ("code", "cards".into()),
        ],
    )
    .await;
    assert_eq!(mapped.status(), 303);
    let refused = post(
        "/categories/map",
        vec![
            ("csrf", csrf.clone()),
            ("value", "Tarjetas".into()),
            ("code", "nope".into()),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    // One row for the product group: both categories and the mapped text count under it.
    let fca = app.get("/reports/fca?format=csv&table=fca_return").await;
    let csv = fca.text().await.unwrap();
    let banking: Vec<&str> = csv
        .lines()
        .filter(|l| l.starts_with("Banking and credit cards"))
        .collect();
    assert_eq!(banking.len(), 1, "{csv}");
    assert!(
        banking[0].starts_with("Banking and credit cards,2,"),
        "{csv}"
    );
    assert!(!csv.contains("Tarjetas"), "{csv}");
    // The queue filters by the category, its mapped text included.
    let queue = app
        .get("/complaints?category=cards&status=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        queue.contains(legacy.as_str()),
        "the mapped complaint is in"
    );
    assert!(
        queue.contains("<small>Credit cards ·"),
        "its row names the category it counts under, not the recorded text"
    );
    // The audit trail says who changed the list and who mapped what.
    let audit = app.get("/admin/audit").await.text().await.unwrap();
    assert!(audit.contains("Recorded category mapped") && audit.contains("Category changed"));
    let _ = admin;
}

async fn each_person_reads_the_staff_pages_in_their_language(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    // Nothing chosen: the browser's language.
    let romanian = app
        .client
        .get(format!("{}/complaints", app.address))
        .header("accept-language", "ro-RO,ro;q=0.9,en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(romanian.contains("<html lang=\"ro\">"), "{romanian}");
    assert!(romanian.contains("Reclamații"));
    // Chosen on /account: Spanish, whatever the browser says.
    let page = app.get("/account").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    let saved = app
        .post_form(
            "/account",
            &[
                ("csrf", &csrf),
                ("time_zone", "Europe/Madrid"),
                ("language", "es"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let spanish = app.get("/complaints").await.text().await.unwrap();
    assert!(spanish.contains("<html lang=\"es\">"));
    assert!(spanish.contains("Reclamaciones") && spanish.contains("Etiquetas"));
    let account = app.get("/account").await.text().await.unwrap();
    assert!(account.contains("<option value=\"es\" lang=\"es\" selected>"));
    assert!(
        app.get("/categories")
            .await
            .text()
            .await
            .unwrap()
            .contains("Categorías")
    );
    // A language Redress does not speak is refused (in the person's language), and nothing
    // changes.
    let refused = app
        .post_form(
            "/account",
            &[
                ("csrf", &csrf),
                ("time_zone", "Europe/Madrid"),
                ("language", "fr"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("no es un idioma que Redress hable")
    );
    // Back to the browser's.
    let saved = app
        .post_form(
            "/account",
            &[
                ("csrf", &csrf),
                ("time_zone", "Europe/Madrid"),
                ("language", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    assert!(
        app.get("/complaints")
            .await
            .text()
            .await
            .unwrap()
            .contains("<html lang=\"en\">")
    );
}
