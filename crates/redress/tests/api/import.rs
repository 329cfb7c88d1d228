//! `redress import`: a file of complaints brought in back-dated, counted like any other, once;
//! refused row by row; a Zendesk export through its mapping; and 100,000 rows.

use std::path::{Path, PathBuf};

use chrono::{Duration, Utc};
use redress::import::{Mapping, import};
use redress_store::Role;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::spawn_app;

on_both_backends!(
    an_import_is_back_dated_counts_like_any_complaint_sends_nothing_and_runs_once,
    a_file_with_bad_rows_is_refused_row_by_row_and_nothing_is_written,
    a_zendesk_export_comes_in_through_its_mapping,
    an_import_of_100000_rows_succeeds_and_a_second_run_imports_nothing,
);

const HEADER: &str = "external_id,received_at,customer_name,customer_email,customer_phone,company,category,channel,priority,language,summary,description,owner,acknowledged_at,resolved_at,outcome,resolution,redress_paid,closed_at";

fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("redress-import-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn at(days_ago: i64, hour: u32) -> String {
    let day = (Utc::now() - Duration::days(days_ago)).date_naive();
    format!("{day} {hour:02}:15")
}

async fn quiet(
    store: &redress_store::Store,
    path: &Path,
    mapping: Mapping,
    dry: bool,
) -> redress::import::ImportReport {
    import(store, path, mapping, dry, &|_, _| {}).await.unwrap()
}

async fn an_import_is_back_dated_counts_like_any_complaint_sends_nothing_and_runs_once(db: TestDb) {
    let app = spawn_app(db).await;
    let owner = app.another_visitor().sign_in_as(Role::Agent).await;
    let mut csv = format!("{HEADER}\n");
    // Ten open, ten resolved, ten closed (half upheld, with redress), all at Fabrikam.
    for i in 0..30 {
        let received = at(20, 9);
        let (resolved, outcome, closed, paid) = match i / 10 {
            0 => (String::new(), "", String::new(), ""),
            1 => (at(12, 14), "not_upheld", String::new(), ""),
            _ => (
                at(12, 14),
                if i % 2 == 0 {
                    "upheld"
                } else {
                    "partly_upheld"
                },
                at(10, 16),
                "25.00",
            ),
        };
        csv.push_str(&format!(
            "OLD-{i},{received},Customer {i},customer{i}@example.com,,Fabrikam Retail,billing,phone,normal,en,\"Charged twice, {i}\",The invoice was paid twice.,{},,{resolved},{outcome},We refunded it.,{paid},{closed}\n",
            owner.email
        ));
    }
    let path = file("history.csv", &csv);
    let dry = quiet(&app.store, &path, Mapping::Redress, true).await;
    assert!(dry.refused.is_empty(), "{:?}", dry.refused);
    assert_eq!((dry.rows, dry.imported, dry.events), (30, 30, 0));
    assert_eq!(
        app.store.projections.event_count().await.unwrap(),
        0,
        "a dry run writes nothing"
    );

    let report = quiet(&app.store, &path, Mapping::Redress, false).await;
    assert_eq!((report.rows, report.imported, report.already), (30, 30, 0));
    assert!(report.refused.is_empty());
    let events = app.store.projections.event_count().await.unwrap();
    assert_eq!(events, report.events);
    app.store.projections.run_until_idle().await.unwrap();
    let rows = app.store.complaint_list.all().await.unwrap();
    assert_eq!(rows.len(), 30);
    assert_eq!(rows.iter().filter(|r| r.status == "closed").count(), 10);
    assert_eq!(rows.iter().filter(|r| r.status == "resolved").count(), 10);
    assert!(
        rows.iter()
            .all(|r| Utc::now() - r.received_at > Duration::days(19)),
        "back-dated"
    );
    assert!(
        rows.iter()
            .all(|r| r.owner_name.as_deref() == Some(owner.name.as_str()))
    );
    // No email, whatever the events' age.
    assert!(
        app.store
            .outbox
            .of_complaint(&rows[0].reference)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.store.outbox.counts().await.unwrap().pending, 0);

    // Counted like any other: the company file and the FCA return.
    let manager = app.another_visitor();
    manager.sign_in_as(Role::Manager).await;
    let company = app
        .store
        .companies
        .list("Fabrikam", 10)
        .await
        .unwrap()
        .remove(0);
    let page = manager
        .get(&format!("/companies/{}", company.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&rows[0].reference),
        "the company file lists them"
    );
    let fca = manager
        .get("/reports/fca?format=csv&table=fca_return")
        .await
        .text()
        .await
        .unwrap();
    assert!(fca.contains("\nTotal,30,"), "{fca}");

    // The same file again imports nothing.
    let again = quiet(&app.store, &path, Mapping::Redress, false).await;
    assert_eq!((again.imported, again.already, again.events), (0, 30, 0));
    assert_eq!(app.store.projections.event_count().await.unwrap(), events);
    app.stop().await;
}

async fn a_file_with_bad_rows_is_refused_row_by_row_and_nothing_is_written(db: TestDb) {
    let app = spawn_app(db).await;
    let good = |id: &str| {
        format!(
            "{id},{},Ana Pop,ana@example.ro,,,billing,email,normal,ro,Charged twice,Twice.,,,,,,,\n",
            at(5, 9)
        )
    };
    let mut csv = format!("{HEADER}\n");
    csv.push_str(&good("A1"));
    csv.push_str(&format!(
        "A2,{},,ana@example.ro,,,billing,email,normal,en,Charged,Twice.,,,,,,,\n",
        at(5, 9)
    ));
    csv.push_str(
        "A3,yesterday-ish,Ana,ana@example.ro,,,billing,email,normal,en,Charged,Twice.,,,,,,,\n",
    );
    csv.push_str(&format!(
        "A4,{},Ana,ana@example.ro,,,parking,email,normal,en,Charged,Twice.,,,,,,,\n",
        at(5, 9)
    ));
    csv.push_str(&format!(
        "A5,{},Ana,ana@example.ro,,,billing,email,normal,en,Charged,Twice.,,,{},,,,\n",
        at(5, 9),
        at(4, 9)
    ));
    csv.push_str(&format!("A6,{},Ana,ana@example.ro,,,billing,email,normal,en,Charged,Twice.,,,{},upheld,Refunded.,,{}\n", at(5, 9), at(4, 9), at(6, 9)));
    csv.push_str(&format!("A7,{},Ana,ana@example.ro,,,billing,email,normal,en,Charged,Twice.,nobody@staff.example,,,,,,\n", at(5, 9)));
    csv.push_str(&good("A1"));
    csv.push_str(&format!(
        "A9,{},Ana,not an address,,,billing,fax,normal,en,Charged,Twice.,,,,,,ten,\n",
        at(5, 9)
    ));
    csv.push_str(&format!(
        "A10,{},Ana,ana@example.ro,,,billing,email,normal,en,{},Twice.,,,,,,,\n",
        at(5, 9),
        "x".repeat(300)
    ));
    let path = file("bad.csv", &csv);
    for dry in [true, false] {
        let report = quiet(&app.store, &path, Mapping::Redress, dry).await;
        let said: Vec<String> = report.refused.iter().map(ToString::to_string).collect();
        let expect = [
            ("line 3 (A2)", "customer_name is empty"),
            ("line 4 (A3)", "received_at \"yesterday-ish\" is not a time"),
            ("line 5 (A4)", "category"),
            ("line 6 (A5)", "needs its outcome"),
            ("line 6 (A5)", "needs its owner"),
            ("line 7 (A6)", "closed_at is before resolved_at"),
            (
                "line 8 (A7)",
                "owner \"nobody@staff.example\" is no staff account",
            ),
            ("line 9 (A1)", "is on line 2 already"),
            ("line 10 (A9)", "customer_email"),
            ("line 10 (A9)", "channel"),
            ("line 10 (A9)", "redress_paid \"ten\""),
            ("line 11 (A10)", "summary"),
        ];
        for (line, words) in expect {
            assert!(
                said.iter()
                    .any(|s| s.starts_with(line) && s.contains(words)),
                "{line}: {words} in {said:#?}"
            );
        }
        assert_eq!(report.refused.len(), 9, "{said:#?}");
        assert_eq!(report.events, 0);
        assert_eq!(
            app.store.projections.event_count().await.unwrap(),
            0,
            "nothing written"
        );
        assert!(
            app.store
                .imports
                .known("redress", &["A1".to_string()])
                .await
                .unwrap()
                .is_empty()
        );
    }
    app.stop().await;
}

async fn a_zendesk_export_comes_in_through_its_mapping(db: TestDb) {
    let app = spawn_app(db).await;
    let owner = app.another_visitor().sign_in_as(Role::Agent).await;
    // A sample of Zendesk's ticket export, written for this test: its own column names,
    // "Via" and "Status" in its words, times as it writes them, columns Redress ignores.
    let csv = format!(
        "Summation column,Id,Requester,Requester id,Requester email,Organization,Subject,Description,Status,Priority,Via,Created at,Updated at,Assignee,Assignee email,Solved at,Category,Outcome,Resolution,Tags\n\
         ,101,Ion Ionescu,9001,ion@example.ro,Contoso Ltd,Late delivery,The parcel came a week late.,Closed,High,Web Form,{c1} +0000,{c1} +0000,{name},{email},{s1} +0000,delivery,upheld,Refunded the postage.,late\n\
         ,102,Mei Chen,9002,mei@example.cn,,Wrong size,,Open,Normal,Phone call (incoming),{c2} +0000,{c2} +0000,,,,product,,,\n",
        c1 = at(30, 10) + ":00",
        s1 = at(25, 12) + ":00",
        c2 = at(8, 11) + ":00",
        name = owner.name,
        email = owner.email,
    );
    let path = file("zendesk.csv", &csv);
    let report = quiet(&app.store, &path, Mapping::Zendesk, false).await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.imported, 2);
    app.store.projections.run_until_idle().await.unwrap();
    let mut rows = app.store.complaint_list.all().await.unwrap();
    rows.sort_by_key(|r| r.received_at);
    assert_eq!(rows[0].status, "closed");
    assert_eq!(rows[0].channel, "web_form");
    assert_eq!(rows[0].priority, "high");
    assert_eq!(rows[0].category, "delivery");
    assert_eq!(rows[0].owner_name.as_deref(), Some(owner.name.as_str()));
    assert_eq!(rows[1].status, "open");
    assert_eq!(rows[1].channel, "phone");
    // A subject with no description is the customer's words too.
    let page = app.another_visitor();
    page.sign_in_as(Role::Agent).await;
    let html = page
        .get(&format!("/complaints/{}", rows[1].reference))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Wrong size"));
    assert_eq!(
        app.store
            .imports
            .known("zendesk", &["101".into(), "102".into()])
            .await
            .unwrap()
            .len(),
        2
    );
    app.stop().await;
}

async fn an_import_of_100000_rows_succeeds_and_a_second_run_imports_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    let owner = app.another_visitor().sign_in_as(Role::Agent).await;
    let rows = 100_000;
    let mut jsonl = String::with_capacity(rows * 300);
    for i in 0..rows {
        // One customer in three has come back: the same address on three rows.
        let closed = i % 10 == 0;
        let line = serde_json::json!({
            "external_id": format!("T-{i}"),
            "received_at": at(40 - (i % 30) as i64, 9),
            "customer_name": format!("Customer {}", i / 3),
            "customer_email": format!("c{}@example.com", i / 3),
            "category": if i % 2 == 0 { "billing" } else { "delivery" },
            "summary": format!("Complaint {i}"),
            "resolved_at": if closed { at(5, 10) } else { String::new() },
            "outcome": if closed { "upheld" } else { "" },
            "owner": if closed { owner.email.as_str() } else { "" },
            "closed_at": if closed { at(4, 10) } else { String::new() },
        });
        jsonl.push_str(&line.to_string());
        jsonl.push('\n');
    }
    let path = file("big.jsonl", &jsonl);
    let started = std::time::Instant::now();
    let report = quiet(&app.store, &path, Mapping::Redress, false).await;
    let took = started.elapsed();
    assert!(
        report.refused.is_empty(),
        "{:?}",
        &report.refused[..3.min(report.refused.len())]
    );
    assert_eq!(report.imported, rows);
    // Open: received; closed: received, owner, acknowledged, points, fact, findings,
    // commitment, resolved, closed.
    assert_eq!(
        report.events,
        (rows - rows / 10) as u64 + (rows / 10) as u64 * 9
    );
    assert_eq!(
        app.store.projections.event_count().await.unwrap(),
        report.events
    );
    println!(
        "imported {rows} rows in {took:.1?} ({:.0} rows/s)",
        rows as f64 / took.as_secs_f64()
    );
    let again = quiet(&app.store, &path, Mapping::Redress, false).await;
    assert_eq!((again.imported, again.already, again.events), (0, rows, 0));
    app.stop().await;
}
