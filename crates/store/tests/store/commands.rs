use chrono::Duration;
use redress_domain::{
    Actor, ComplaintAction, ComplaintCommand, ComplaintError, Reference, Status, Step,
};
use redress_store::CommandError;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{Fixture, agent, new_complaint, other_agent};

on_both_backends!(
    a_received_complaint_is_listed_with_its_customer_opened_from_the_seal,
    each_step_moves_the_complaint_along_in_the_list,
    a_refused_command_writes_nothing,
    a_command_on_an_unknown_complaint_is_reported_as_not_found,
    concurrent_commands_on_one_complaint_all_land_or_are_reported_as_conflicts,
    personal_data_is_never_stored_in_the_clear,
    the_same_customer_is_recognised_across_complaints,
    a_complaint_loads_back_from_its_events,
);

async fn a_received_complaint_is_listed_with_its_customer_opened_from_the_seal(db: TestDb) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "Ana.Pop@Example.ro").await;
    f.store.projections.run_until_idle().await.unwrap();

    let row = f.row(&reference).await;
    assert_eq!(row.customer_name.as_deref(), Some("Ana Pop"));
    assert_eq!(row.customer_email.as_deref(), Some("Ana.Pop@example.ro"));
    assert_eq!(row.company.as_deref(), Some("Contoso Ltd"));
    assert_eq!(row.summary, "Charged twice for one order");
    assert_eq!(row.step, Step::Acknowledge.code());
    assert_eq!(row.status, Status::Open.code());
    assert_eq!(row.priority, "high");
    assert_eq!(row.channel, "phone");
    assert_eq!(row.language, "ro");
    assert_eq!(row.received_at, crate::start_of_test());
    assert_eq!(row.owner_name, None);
    assert!(!row.personal_data_erased);
}

async fn each_step_moves_the_complaint_along_in_the_list(db: TestDb) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    let expected_after = [
        Step::Listen,         // acknowledged
        Step::EstablishFacts, // the points of complaint
        Step::EstablishFacts, // customer statement
        Step::EstablishFacts, // a fact
        Step::CommitToAction, // concluded
        Step::NameOwner,      // committed
        Step::KeepInformed,   // owner named
        Step::KeepInformed,   // progress update
    ];
    for (action, expected) in f.six_steps().into_iter().zip(expected_after) {
        f.ok(&reference, action).await;
        f.store.projections.run_until_idle().await.unwrap();
        let row = f.row(&reference).await;
        assert_eq!(row.step, expected.code());
    }
    let row = f.row(&reference).await;
    assert_eq!(row.owner_name.as_deref(), Some("Maria Ionescu"));
    // The receipt, its team, and eight steps.
    assert_eq!(row.event_count, 10);
    assert!(row.customer_informed_at.is_some());

    f.ok(
        &reference,
        ComplaintAction::Resolve {
            outcome: None,
            decisions: vec![redress_domain::PointDecision {
                point: 1,
                outcome: redress_domain::Outcome::Upheld,
                reasons: "Decided on the facts.".into(),
            }],
            reasons: "Our error.".into(),
            remedy: None,
            redress_paid_cents: None,
        },
    )
    .await;
    f.ok(&reference, ComplaintAction::Close).await;
    f.store.projections.run_until_idle().await.unwrap();
    let row = f.row(&reference).await;
    assert_eq!(row.step, Step::Closed.code());
    assert_eq!(row.status, Status::Closed.code());
    assert_eq!(row.outcome.as_deref(), Some("upheld"));

    f.ok(
        &reference,
        ComplaintAction::Reopen {
            reason: "The refund never arrived.".into(),
        },
    )
    .await;
    f.store.projections.run_until_idle().await.unwrap();
    let row = f.row(&reference).await;
    assert_eq!(row.step, Step::EstablishFacts.code());
    assert_eq!(row.status, Status::Open.code());
    assert_eq!(row.outcome, None);
}

async fn a_refused_command_writes_nothing(db: TestDb) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    let before = f.event_count().await;

    let yesterday = f.today() - Duration::days(1);
    let refusals: Vec<(ComplaintAction, &str)> = vec![
        (
            ComplaintAction::RecordFact {
                fact: "x".into(),
                source: None,
            },
            "must be acknowledged",
        ),
        (
            ComplaintAction::Close,
            "must be resolved with an outcome before it can be closed",
        ),
        (
            ComplaintAction::Acknowledge {
                apology: "   ".into(),
            },
            "The apology must not be empty.",
        ),
    ];
    for (action, words) in refusals {
        match f.run(&reference, action).await {
            Err(CommandError::Rejected(error)) => {
                assert!(error.to_string().contains(words), "{error}")
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
    f.ok(
        &reference,
        ComplaintAction::Acknowledge {
            apology: "Sorry.".into(),
        },
    )
    .await;
    f.ok(
        &reference,
        ComplaintAction::RecordFact {
            fact: "Two captures".into(),
            source: None,
        },
    )
    .await;
    f.ok(
        &reference,
        ComplaintAction::RecordPoints {
            points: vec!["Charged twice".into()],
            send: false,
        },
    )
    .await;
    f.ok(
        &reference,
        ComplaintAction::ConcludeInvestigation {
            findings: "Gateway retry".into(),
        },
    )
    .await;
    let after_valid = f.event_count().await;
    assert_eq!(after_valid, before + 4);
    let refused = f
        .run(
            &reference,
            ComplaintAction::CommitToAction {
                action: "Refund".into(),
                due_on: yesterday,
                resolve_by: None,
            },
        )
        .await;
    assert!(
        matches!(
            refused,
            Err(CommandError::Rejected(ComplaintError::DateInPast { .. }))
        ),
        "{refused:?}"
    );

    let mut empty_summary = new_complaint("Ion", "ion@example.ro");
    empty_summary.summary = "  ".into();
    let refused = f
        .store
        .complaints
        .receive(Actor::Customer, empty_summary)
        .await;
    assert!(
        matches!(
            refused,
            Err(CommandError::Rejected(ComplaintError::Empty {
                field: "The summary"
            }))
        ),
        "{refused:?}"
    );
    assert_eq!(f.event_count().await, after_valid);
}

async fn a_command_on_an_unknown_complaint_is_reported_as_not_found(db: TestDb) {
    let f = Fixture::new(db).await;
    let unknown = Reference::parse("RDR-ZZZZ-ZZZZ").unwrap();
    let result = f
        .run(
            &unknown,
            ComplaintAction::Acknowledge {
                apology: "Sorry".into(),
            },
        )
        .await;
    match result {
        Err(error @ CommandError::NotFound(_)) => {
            assert_eq!(
                error.to_string(),
                "No complaint has the reference RDR-ZZZZ-ZZZZ."
            )
        }
        other => panic!("expected not found, got {other:?}"),
    }
    assert_eq!(f.event_count().await, 0);
    assert!(f.store.complaints.load(&unknown).await.unwrap().is_none());
}

async fn concurrent_commands_on_one_complaint_all_land_or_are_reported_as_conflicts(db: TestDb) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    let writers = 12;
    let mut tasks = Vec::new();
    for i in 0..writers {
        let complaints = f.store.complaints.clone();
        let reference = reference.clone();
        tasks.push(tokio::spawn(async move {
            complaints
                .execute(
                    &reference,
                    ComplaintCommand::new(
                        Actor::Staff(agent()),
                        ComplaintAction::RecordCustomerStatement {
                            channel: redress_domain::Channel::Phone,
                            statement: format!("Call number {i}"),
                            shared: false,
                        },
                    ),
                )
                .await
        }));
    }
    let mut landed = 0;
    let mut conflicts = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => landed += 1,
            Err(CommandError::Conflict) => conflicts += 1,
            Err(other) => panic!("a concurrent command failed with {other:?}"),
        }
    }
    assert_eq!(landed + conflicts, writers);
    assert!(landed >= 1);
    // Every success is in the store, and nothing else is.
    // The receipt and its team, then the statements that landed.
    assert_eq!(f.event_count().await, 2 + landed as i64);
    f.store.projections.run_until_idle().await.unwrap();
    let row = f.row(&reference).await;
    assert_eq!(row.event_count, 2 + landed as i64);
    let _ = other_agent();
}

async fn personal_data_is_never_stored_in_the_clear(db: TestDb) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ана Zăpadă", "zapada@example.ro").await;
    f.ok(
        &reference,
        ComplaintAction::RecordCustomerStatement {
            channel: redress_domain::Channel::Email,
            statement: "My neighbour Gheorghe signed for it".into(),
            shared: false,
        },
    )
    .await;
    let payloads = f.raw_payloads().await.join("\n");
    for secret in [
        "Ана Zăpadă",
        "zapada@example.ro",
        "+40 721 000 111",
        "my card was charged twice",
        "Refund the second payment",
        "Gheorghe",
    ] {
        assert!(
            !payloads.contains(secret),
            "{secret:?} is stored in the clear"
        );
    }
    // What is not personal stays readable for reports.
    assert!(payloads.contains("Charged twice for one order"));
    assert!(payloads.contains("\"billing\""), "the category's code");
}

async fn the_same_customer_is_recognised_across_complaints(db: TestDb) {
    let f = Fixture::new(db).await;
    let first = f.receive("Ana Pop", "ana@example.ro").await;
    let second = f.receive("Ana Pop", "ANA@EXAMPLE.RO").await;
    let third = f.receive("Ion Pop", "ion@example.ro").await;
    let customer_of = |complaint: Option<redress_domain::Complaint>| {
        complaint.and_then(|c| c.customer()).expect("a customer")
    };
    let a = customer_of(f.store.complaints.load(&first).await.unwrap());
    let b = customer_of(f.store.complaints.load(&second).await.unwrap());
    let c = customer_of(f.store.complaints.load(&third).await.unwrap());
    assert_eq!(a, b);
    assert_ne!(a, c);
    let mut of_a = f.store.complaints.references_of(a).await.unwrap();
    of_a.sort();
    let mut expected = vec![first, second];
    expected.sort();
    assert_eq!(of_a, expected);
}

async fn a_complaint_loads_back_from_its_events(db: TestDb) {
    let f = Fixture::new(db).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    f.work_to_closure(&reference).await;
    let complaint = f.store.complaints.load(&reference).await.unwrap().unwrap();
    assert_eq!(complaint.reference(), Some(&reference));
    assert_eq!(complaint.status(), Status::Closed);
    assert_eq!(
        complaint.owner().map(|o| o.name.as_str()),
        Some("Maria Ionescu")
    );
    assert_eq!(
        complaint.outcome(),
        Some(redress_domain::Outcome::PartlyUpheld)
    );
}
