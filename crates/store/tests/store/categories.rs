use chrono::NaiveDate;
use redress_domain::{Actor, Basis, ComplaintAction, ComplaintCommand, ComplaintError, Reference};
use redress_store::reports::{Grouping, Range, ReportFilter};
use redress_store::sla::SlaFilter;
use redress_store::{CategoryDraft, CategoryError, CommandError, QueueFilter, QueueSort};
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use uuid::Uuid;

use crate::{Fixture, new_complaint};

on_both_backends!(
    a_new_complaint_records_the_code_of_a_category_on_the_list_and_nothing_else,
    recorded_free_text_counts_under_its_category_once_mapped_in_every_read_and_a_rebuild_agrees,
    admins_keep_the_list_and_a_retired_category_is_no_longer_offered,
);

fn draft(names: [&str; 4], group: Option<&str>) -> CategoryDraft {
    CategoryDraft {
        names: names.iter().map(|n| n.to_string()).collect(),
        fca_group: group.map(String::from),
        retired: false,
    }
}

/// A complaint as one was filed before the managed list (free text in its category): the
/// command goes to the aggregate directly, as the events of an older version hold it.
async fn filed_before_the_list(f: &Fixture, category: &str) -> Reference {
    let reference = Reference::generate(&mut rand::thread_rng());
    let mut new = new_complaint("Ana Pop", "ana@example.ro");
    new.category = category.into();
    new.reference = reference.clone();
    f.store
        .complaints
        .execute(
            &reference,
            ComplaintCommand::new(Actor::Customer, ComplaintAction::Receive(Box::new(new))),
        )
        .await
        .unwrap();
    reference
}

async fn receive(f: &Fixture, category: &str) -> Result<Reference, CommandError> {
    let mut new = new_complaint("Ana Pop", "ana@example.ro");
    new.category = category.into();
    f.store.complaints.receive(Actor::Customer, new).await
}

async fn a_new_complaint_records_the_code_of_a_category_on_the_list_and_nothing_else(db: TestDb) {
    let f = Fixture::new(db).await;
    // A code, a name in any language and any case: the code is recorded.
    for given in ["billing", "Billing", "facturación", "账单"] {
        let reference = receive(&f, given).await.unwrap();
        let complaint = f.store.complaints.load(&reference).await.unwrap().unwrap();
        assert_eq!(complaint.category(), "billing", "{given}");
    }
    let refused = receive(&f, "Aliens").await.unwrap_err();
    let CommandError::Rejected(ComplaintError::UnknownCategory { given, known }) = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(given, "Aliens");
    assert_eq!(
        known,
        "billing, delivery, product, service, staff, general, other"
    );
    assert!(
        refused
            .to_string()
            .contains("choose one of: billing, delivery")
    );
    // Changing the category follows the same list.
    let reference = receive(&f, "delivery").await.unwrap();
    let change = |category: &str| ComplaintAction::ChangeCategory {
        category: category.into(),
    };
    assert!(matches!(
        f.run(&reference, change("Aliens")).await,
        Err(CommandError::Rejected(
            ComplaintError::UnknownCategory { .. }
        ))
    ));
    f.run(&reference, change("Calidad del producto"))
        .await
        .unwrap();
    let complaint = f.store.complaints.load(&reference).await.unwrap().unwrap();
    assert_eq!(complaint.category(), "product");
}

async fn recorded_free_text_counts_under_its_category_once_mapped_in_every_read_and_a_rebuild_agrees(
    db: TestDb,
) {
    let f = Fixture::new(db).await;
    let now = f.store.clock.now();
    let admin = Uuid::new_v4();
    let coded = receive(&f, "billing").await.unwrap();
    // "Facturación" is a name of billing (mapped from the start); "Bills" is not mapped yet.
    let spanish = filed_before_the_list(&f, "Facturación").await;
    let bills = filed_before_the_list(&f, "Bills").await;
    let delivery = receive(&f, "delivery").await.unwrap();
    f.store.projections.run_until_idle().await.unwrap();

    let queue = |category: &str| {
        let filter = QueueFilter {
            category: Some(category.into()),
            ..QueueFilter::default()
        };
        let list = f.store.complaint_list.clone();
        async move {
            let mut refs: Vec<String> = list
                .queue(&filter, QueueSort::Newest, None, 50)
                .await
                .unwrap()
                .rows
                .into_iter()
                .map(|r| r.reference)
                .collect();
            refs.sort();
            refs
        }
    };
    let sorted = |refs: &[&Reference]| {
        let mut refs: Vec<String> = refs.iter().map(|r| r.to_string()).collect();
        refs.sort();
        refs
    };
    assert_eq!(queue("billing").await, sorted(&[&coded, &spanish]));
    assert_eq!(queue("Bills").await, sorted(&[&bills]), "unmapped: itself");
    assert_eq!(queue("delivery").await, sorted(&[&delivery]));
    let recorded = f.store.categories.recorded_values().await.unwrap();
    assert_eq!(
        recorded[0].value, "Bills",
        "the unmapped first: {recorded:?}"
    );
    assert_eq!((recorded[0].complaints, &recorded[0].mapped_to), (1, &None));
    assert!(
        recorded
            .iter()
            .any(|r| r.value == "Facturación" && r.mapped_to.as_deref() == Some("billing"))
    );

    let range = Range {
        from: NaiveDate::from_ymd_opt(2026, 3, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 3, 31).unwrap(),
    };
    let by_category = |only: Option<&str>| ReportFilter {
        range,
        grouping: Grouping::Month,
        by: "category",
        only: only.map(String::from),
        basis: Basis::Calendar,
    };
    let report_rows = || async {
        f.store
            .reports
            .volume(&by_category(None))
            .await
            .unwrap()
            .breakdown
            .into_iter()
            .map(|(value, v, _)| (value, v.received))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        report_rows().await,
        [
            ("billing".to_string(), 2),
            ("Bills".to_string(), 1),
            ("delivery".to_string(), 1)
        ]
    );

    // An admin maps "Bills" once: every read counts it under billing, the events unchanged.
    f.store
        .categories
        .map_value("Bills", "billing", admin, now)
        .await
        .unwrap();
    assert!(matches!(
        f.store
            .categories
            .map_value("Bills", "nope", admin, now)
            .await,
        Err(CategoryError::Unknown(_))
    ));
    assert_eq!(queue("billing").await, sorted(&[&coded, &spanish, &bills]));
    assert_eq!(
        report_rows().await,
        [("billing".to_string(), 3), ("delivery".to_string(), 1)]
    );
    let only_billing = f
        .store
        .reports
        .volume(&by_category(Some("billing")))
        .await
        .unwrap();
    assert_eq!(
        only_billing.total.received, 3,
        "the series follows one category"
    );
    let speed = f.store.reports.speed(&by_category(None)).await.unwrap();
    assert!(
        speed
            .iter()
            .all(|clock| clock.breakdown.iter().all(|(value, _)| value != "Bills"))
    );
    // The SLA dashboard narrows to one category, however its complaints recorded it.
    let day = (
        now - chrono::Duration::days(1),
        now + chrono::Duration::days(1),
    );
    let dashboard = f
        .store
        .sla
        .dashboard(
            &SlaFilter {
                category: Some("billing".into()),
                ..SlaFilter::default()
            },
            now,
            day,
            now - chrono::Duration::days(30),
            50,
        )
        .await
        .unwrap();
    let open = dashboard.counts.breached
        + dashboard.counts.at_risk
        + dashboard.counts.on_track
        + dashboard.counts.paused;
    assert_eq!(open, 3, "{:?}", dashboard.counts);
    // The mapping is not in the read models: a rebuild gives the same rows.
    for name in f.store.projections.names() {
        let report = f.store.projections.check(name).await.unwrap();
        assert!(report.matches(), "{report:?}");
    }
    // Taken away, the text counts as itself again.
    assert!(f.store.categories.unmap("Bills").await.unwrap());
    assert_eq!(queue("billing").await, sorted(&[&coded, &spanish]));
}

async fn admins_keep_the_list_and_a_retired_category_is_no_longer_offered(db: TestDb) {
    let f = Fixture::new(db).await;
    let now = f.store.clock.now();
    let categories = &f.store.categories;
    categories
        .create(
            "mortgages",
            &draft(
                ["Mortgages", "Hipotecas", "Credite ipotecare", "抵押贷款"],
                Some("Home finance"),
            ),
            now,
        )
        .await
        .unwrap();
    assert!(matches!(
        categories
            .create("mortgages", &draft(["M", "M", "M", "M"], None), now)
            .await,
        Err(CategoryError::Taken(_))
    ));
    assert!(matches!(
        categories
            .create("Late delivery", &draft(["L", "L", "L", "L"], None), now)
            .await,
        Err(CategoryError::BadCode)
    ));
    assert!(matches!(
        categories
            .create("late", &draft(["Late", "", "Tarde", "迟"], None), now)
            .await,
        Err(CategoryError::BadName("Spanish"))
    ));
    let map = categories.map().await.unwrap();
    let mortgages = map.get("mortgages").unwrap();
    assert_eq!(
        mortgages.name(redress_domain::Language::Ro),
        "Credite ipotecare"
    );
    assert_eq!(mortgages.fca_group.as_deref(), Some("Home finance"));
    assert_eq!(
        map.all().last().unwrap().code,
        "mortgages",
        "added at the end"
    );
    let reference = receive(&f, "Hipotecas").await.unwrap();

    let mut retired = draft(
        ["Mortgages", "Hipotecas", "Credite ipotecare", "抵押贷款"],
        None,
    );
    retired.retired = true;
    categories.update("mortgages", &retired).await.unwrap();
    assert!(matches!(
        categories.update("nope", &retired).await,
        Err(CategoryError::Unknown(_))
    ));
    assert!(matches!(
        receive(&f, "mortgages").await,
        Err(CommandError::Rejected(
            ComplaintError::UnknownCategory { .. }
        ))
    ));
    // Complaints filed under it keep it.
    let map = categories.map().await.unwrap();
    let complaint = f.store.complaints.load(&reference).await.unwrap().unwrap();
    assert_eq!(
        map.label(complaint.category(), redress_domain::Language::Es),
        "Hipotecas"
    );
    assert!(map.offered().all(|c| c.code != "mortgages"));
}
