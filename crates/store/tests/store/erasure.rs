use redress_domain::{
    Actor, Channel, ComplaintAction, ComplaintChange, ComplaintError, ComplaintEvent, CustomerEmail,
};
use redress_store::{CommandError, ComplaintListProjector, OpenError};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::Fixture;

on_both_backends!(
    erasing_a_customer_blanks_their_personal_data_and_keeps_everything_else,
    an_erasure_interrupted_before_the_key_is_deleted_finishes_when_run_again,
    retention_keeps_a_customer_whose_new_complaint_the_reports_have_not_seen_yet,
    erasure_deletes_the_customers_files_and_the_copies_of_what_we_sent_them,
);

/// Retention picks customers from the reports projection, which runs behind the events; the
/// events decide. A customer long closed who has just complained again keeps their data,
/// even before the projection has seen the new complaint; once closed long enough, both go.
async fn retention_keeps_a_customer_whose_new_complaint_the_reports_have_not_seen_yet(db: TestDb) {
    let f = Fixture::new(db).await;
    let old = f.receive("Ana Pop", "ana@example.ro").await;
    f.work_to_closure(&old).await;
    f.store.projections.run_until_idle().await.unwrap();
    f.clock.advance(chrono::Duration::days(100));
    let cutoff = f.store.clock.now() - chrono::Duration::days(30);
    assert_eq!(f.store.retention.due(cutoff).await.unwrap().len(), 1);
    // A new complaint, not yet projected.
    let new = f.receive("Ana Pop", "ana@example.ro").await;
    let by = redress_store::AuditActor::system("test");
    let report = f
        .store
        .retention
        .pass(cutoff, &by, "")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.customers, 0, "the events show an open complaint");
    f.store.projections.run_until_idle().await.unwrap();
    assert!(f.store.retention.due(cutoff).await.unwrap().is_empty());
    // Closed, and long enough ago: the customer goes, both complaints record it.
    f.work_to_closure(&new).await;
    f.store.projections.run_until_idle().await.unwrap();
    f.clock.advance(chrono::Duration::days(31));
    let cutoff = f.store.clock.now() - chrono::Duration::days(30);
    // Two runs at once (the daily job and an admin's button): one erases, the other
    // stands aside (or, on SQLite, where a run can finish before the other starts, finds
    // nobody left), and the customer is erased once.
    let (first, second) = tokio::join!(
        f.store.retention.pass(cutoff, &by, ""),
        f.store.retention.pass(cutoff, &by, "")
    );
    let (first, second) = (first.unwrap(), second.unwrap());
    let report = first.expect("the first run erases");
    assert_eq!((report.customers, report.complaints), (1, 2));
    assert!(
        second.is_none_or(|r| r.customers == 0),
        "the second run stands aside or finds nobody: {second:?}"
    );
    let again = f
        .store
        .retention
        .pass(cutoff, &by, "")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.customers, 0, "nobody is due twice");
}

fn admin() -> Actor {
    Actor::System {
        name: "test".into(),
    }
}

async fn erasing_a_customer_blanks_their_personal_data_and_keeps_everything_else(db: TestDb) {
    let f = Fixture::new(db).await;
    let closed = f.receive("Ana Pop", "ana@example.ro").await;
    f.work_to_closure(&closed).await;
    let open = f.receive("Ana Pop", "ana@example.ro").await;
    let other = f.receive("Ion Pop", "ion@example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();
    let before = f.store.complaint_list.all().await.unwrap();
    let search = |text: &str| redress_store::QueueFilter {
        statuses: vec!["open".into(), "closed".into()],
        search: Some(text.into()),
        ..Default::default()
    };
    let found = f
        .store
        .complaint_list
        .queue(&search("ANA POP"), Default::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(
        found.total, 2,
        "search finds the customer by name before erasure"
    );

    let email = CustomerEmail::parse("ana@example.ro").unwrap();
    let customer = f.store.vault.find_customer(&email).await.unwrap().unwrap();
    let report = f
        .store
        .complaints
        .erase_customer_by_email(&email, admin(), "data-subject request")
        .await
        .unwrap()
        .expect("the customer is known");
    assert_eq!(report.customer, customer);
    let mut erased = report.complaints.clone();
    erased.sort();
    let mut expected = vec![closed.clone(), open.clone()];
    expected.sort();
    assert_eq!(erased, expected);
    assert!(report.key_deleted);
    f.store.projections.run_until_idle().await.unwrap();

    let after = f.store.complaint_list.all().await.unwrap();
    for (was, now) in before.iter().zip(&after) {
        assert_eq!(was.reference, now.reference);
        if now.reference == other.as_str() {
            assert_eq!(now, was, "another customer's complaint changed");
            continue;
        }
        assert_eq!(now.customer_name, None);
        assert_eq!(now.customer_email, None);
        assert!(now.personal_data_erased);
        // Timings, steps and outcomes stay for the reports.
        assert_eq!(now.step, was.step);
        assert_eq!(now.status, was.status);
        assert_eq!(now.outcome, was.outcome);
        assert_eq!(now.received_at, was.received_at);
        assert_eq!(now.acknowledged_at, was.acknowledged_at);
        assert_eq!(now.summary, was.summary);
        assert_eq!(now.owner_name, was.owner_name);
    }

    // Search no longer finds them by name or address, only by what is not personal.
    for gone in ["ana pop", "ana@example.ro"] {
        let found = f
            .store
            .complaint_list
            .queue(&search(gone), Default::default(), None, 50)
            .await
            .unwrap();
        assert_eq!(found.total, 0, "{gone} is still searchable after erasure");
    }
    let by_reference = f
        .store
        .complaint_list
        .queue(&search(open.as_str()), Default::default(), None, 50)
        .await
        .unwrap();
    assert_eq!(by_reference.total, 1);

    // The sealed values in the events can no longer be opened by anyone.
    let received = f.raw_payloads().await;
    let sealed_name = received
        .iter()
        .filter_map(|p| serde_json::from_str::<ComplaintEvent>(p).ok())
        .find_map(|e| match e.change {
            ComplaintChange::ComplaintReceived { customer: c, .. } if c.id == customer => {
                Some(c.name)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        f.store
            .vault
            .open_value(customer, &sealed_name)
            .await
            .unwrap(),
        Err(OpenError::Erased)
    );

    // A rebuild, unable to open the sealed fields, gives the same rows.
    f.store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert_eq!(f.store.complaint_list.all().await.unwrap(), after);

    // Nothing personal can be recorded any more; the rest of the work can go on.
    let refused = f
        .run(
            &open,
            ComplaintAction::RecordCustomerStatement {
                channel: Channel::Phone,
                statement: "More".into(),
                shared: false,
            },
        )
        .await;
    assert!(matches!(
        refused,
        Err(CommandError::Rejected(ComplaintError::PersonalDataErased))
    ));
    f.ok(
        &open,
        ComplaintAction::Acknowledge {
            apology: "Sorry.".into(),
        },
    )
    .await;

    // The same address later is a new customer, with a new key.
    let again = f.receive("Ana Pop", "ana@example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();
    let row = f.row(&again).await;
    assert_eq!(row.customer_name.as_deref(), Some("Ana Pop"));
    assert_ne!(row.customer_id, customer.0);

    // Erasing again by id finds nothing left to do.
    let repeat = f
        .store
        .complaints
        .erase_customer(customer, admin(), "again")
        .await
        .unwrap();
    assert!(repeat.complaints.is_empty());
    assert!(!repeat.key_deleted);
}

async fn an_erasure_interrupted_before_the_key_is_deleted_finishes_when_run_again(db: TestDb) {
    let f = Fixture::new(db).await;
    let first = f.receive("Ana Pop", "ana@example.ro").await;
    let second = f.receive("Ana Pop", "ana@example.ro").await;
    // As if a previous run recorded the erasure on one complaint and then died.
    f.ok(
        &first,
        ComplaintAction::ErasePersonalData {
            reason: "request".into(),
        },
    )
    .await;
    let email = CustomerEmail::parse("ana@example.ro").unwrap();
    assert!(f.store.vault.find_customer(&email).await.unwrap().is_some());

    let report = f
        .store
        .complaints
        .erase_customer_by_email(&email, admin(), "request")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(report.complaints, vec![second]);
    assert!(report.key_deleted);
    assert!(f.store.vault.find_customer(&email).await.unwrap().is_none());
    let erasures = f
        .raw_payloads()
        .await
        .iter()
        .filter(|p| p.contains("PersonalDataErased"))
        .count();
    assert_eq!(erasures, 2, "each complaint records the erasure once");
}

/// Files on complaints (sent with replies, added by the customer) and the copies of the
/// emails sent to the customer are sealed with the customer's key and go with an erasure;
/// another customer's stay.
async fn erasure_deletes_the_customers_files_and_the_copies_of_what_we_sent_them(db: TestDb) {
    let f = Fixture::new(db).await;
    let theirs = f.receive("Ana Pop", "ana@example.ro").await;
    let others = f.receive("Ion Pop", "ion@example.ro").await;
    let customer_of = |email: &'static str| {
        let store = f.store.clone();
        async move {
            store
                .vault
                .find_customer(&CustomerEmail::parse(email).unwrap())
                .await
                .unwrap()
                .unwrap()
        }
    };
    let (ana, ion) = (
        customer_of("ana@example.ro").await,
        customer_of("ion@example.ro").await,
    );
    let now = f.store.clock.now();
    let (ana_file, ion_file) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let attachments = &f.store.attachments;
    attachments
        .store(
            ana_file,
            theirs.as_str(),
            ana,
            b"%PDF-1.4 Ana's invoice",
            now,
        )
        .await
        .unwrap();
    attachments
        .store(ion_file, others.as_str(), ion, b"Ion's photo", now)
        .await
        .unwrap();
    let outbox = &f.store.outbox;
    outbox
        .keep_copy("ana.reply", ana, b"sealed copy of Ana's reply", now)
        .await
        .unwrap();
    outbox
        .keep_copy("ion.reply", ion, b"sealed copy of Ion's reply", now)
        .await
        .unwrap();
    let opened = attachments.open(ana_file).await.unwrap().unwrap().unwrap();
    assert_eq!(opened.bytes, b"%PDF-1.4 Ana's invoice");
    assert_eq!(opened.reference, theirs.as_str());

    f.store
        .complaints
        .erase_customer_by_email(
            &CustomerEmail::parse("ana@example.ro").unwrap(),
            admin(),
            "data-subject request",
        )
        .await
        .unwrap()
        .expect("the customer is known");
    assert!(
        !matches!(attachments.open(ana_file).await.unwrap(), Some(Ok(_))),
        "Ana's file can still be opened"
    );
    assert_eq!(outbox.copy("ana.reply").await.unwrap(), None);
    // Ion's are untouched.
    let opened = attachments.open(ion_file).await.unwrap().unwrap().unwrap();
    assert_eq!(opened.bytes, b"Ion's photo");
    assert_eq!(
        outbox.copy("ion.reply").await.unwrap(),
        Some((ion, b"sealed copy of Ion's reply".to_vec()))
    );
}
