//! The managers' reports and time travel, over HTTP on a real server.

use crate::TestApp;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use redress_domain::{
    Actor, Channel, ComplaintAction, ComplaintCommand, CustomerEmail, Language, ManualClock,
    NewComplaint, NewCustomer, Outcome, Priority, Reference, StaffMember, Tier,
};
use redress_store::{Role, Store};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{spawn_app, spawn_app_on_clock};

on_both_backends!(
    the_complaint_page_travels_back_to_each_moment_of_its_lifecycle,
    reports_are_for_managers_with_filters_in_the_url_csv_and_charts,
    the_sla_dashboard_travels_back_to_a_past_moment,
);

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

fn complaint(email: &str, category: &str) -> NewComplaint {
    NewComplaint {
        reference: Reference::parse("RDR-0000-0000").unwrap(),
        customer: NewCustomer {
            name: "Ana Pop".into(),
            email: Some(CustomerEmail::parse(email).unwrap()),
            phone: None,
            language: Language::En,
        },
        company: Some("Contoso Ltd".into()),
        tier: Tier::Standard,
        channel: Channel::Phone,
        category: category.into(),
        summary: "Charged twice for one order".into(),
        description: "My card was charged twice.".into(),
        remedy_requested: None,
        priority: Priority::High,
        routing: None,
    }
}

/// The parts of a complaint page that record the complaint (between `<!--record-->` and
/// `<!--/record-->`): everything but the forms and the time-travel banner.
fn record(html: &str) -> String {
    let mut out = String::new();
    let html = html
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    let html = html.as_str();
    let mut rest = html;
    while let Some(start) = rest.find("<!--record-->") {
        rest = &rest[start + "<!--record-->".len()..];
        let end = rest
            .find("<!--/record-->")
            .expect("every record part is closed");
        out.push_str(&rest[..end]);
        out.push('\n');
        rest = &rest[end..];
    }
    assert!(!out.is_empty(), "the page marks its record");
    out.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs every projector until idle and sends every email due; then no email of `reference`
/// waits to be sent.
async fn settled(app: &TestApp, reference: &Reference) {
    app.settle().await;
    let rows = app
        .store
        .outbox
        .of_complaint(reference.as_str())
        .await
        .unwrap();
    assert!(
        rows.iter().all(|r| r.state != "pending"),
        "the emails of {reference} were not sent: {rows:?}"
    );
}

async fn the_complaint_page_travels_back_to_each_moment_of_its_lifecycle(db: TestDb) {
    // Monday 2 March 2026, 09:00 UTC; the server's store reads this clock.
    let clock = ManualClock::at(at("2026-03-02T09:00:00Z"));
    let app = spawn_app_on_clock(db, clock.clone()).await;
    let agent = app.sign_in_as(Role::Agent).await;
    let by = Actor::Staff(agent.member());
    let reference = app
        .store
        .complaints
        .receive(by.clone(), complaint("ana@example.com", "Billing"))
        .await
        .unwrap();
    let page = format!("/complaints/{reference}");
    let due = clock_date(&clock) + Duration::days(5);
    let plan: Vec<(i64, Option<ComplaintAction>)> = vec![
        (
            30,
            Some(ComplaintAction::Acknowledge {
                apology: "We are truly sorry.".into(),
            }),
        ),
        // Three quiet hours: the owner clock (4 business hours) is at risk, then breached.
        (150, None),
        (90, None),
        (
            20,
            Some(ComplaintAction::AssignOwner {
                owner: agent.member(),
            }),
        ),
        (
            60,
            Some(ComplaintAction::RecordFact {
                fact: "Two captures for one invoice.".into(),
                source: None,
            }),
        ),
        (
            5,
            Some(ComplaintAction::RecordPoints {
                points: vec!["Charged twice for one invoice.".into()],
                send: true,
            }),
        ),
        (
            10,
            Some(ComplaintAction::ConcludeInvestigation {
                findings: "A gateway retry.".into(),
            }),
        ),
        (
            10,
            Some(ComplaintAction::CommitToAction {
                action: "Refund the duplicate payment.".into(),
                due_on: due,
                resolve_by: None,
            }),
        ),
        (
            30,
            Some(ComplaintAction::WaitOnCustomer {
                request: "Please send the bank statement.".into(),
            }),
        ),
        (
            24 * 60,
            Some(ComplaintAction::RecordCustomerResponse {
                response: "Attached.".into(),
            }),
        ),
        (
            45,
            Some(ComplaintAction::SendProgressUpdate {
                message: "The refund is on its way.".into(),
                next_update_on: due,
                resolve_by: None,
            }),
        ),
        (
            60,
            Some(ComplaintAction::Resolve {
                outcome: None,
                decisions: vec![redress_domain::PointDecision {
                    point: 1,
                    outcome: Outcome::Upheld,
                    reasons: "Decided on the facts.".into(),
                }],
                reasons: "Our error.".into(),
                remedy: Some("Refund of 24.99".into()),
                redress_paid_cents: Some(2499),
            }),
        ),
        (5, Some(ComplaintAction::Close)),
    ];
    settled(&app, &reference).await;
    clock.advance(Duration::minutes(1));
    let mut recorded: Vec<(DateTime<Utc>, String)> = Vec::new();
    let snapshot = async |recorded: &mut Vec<(DateTime<Utc>, String)>| {
        use redress_domain::Clock;
        // What the scheduler would have recorded by now (breaches without events).
        app.store.sla.tick(clock.now()).await.unwrap();
        let html = app.get(&page).await.text().await.unwrap();
        recorded.push((clock.now(), record(&html)));
    };
    snapshot(&mut recorded).await;
    for (minutes, action) in plan {
        clock.advance(Duration::minutes(minutes));
        if let Some(action) = action {
            app.store
                .complaints
                .execute(&reference, ComplaintCommand::new(by.clone(), action))
                .await
                .unwrap();
            settled(&app, &reference).await;
            // A page a second after the event.
            clock.advance(Duration::seconds(1));
        }
        snapshot(&mut recorded).await;
    }
    // Pages differ along the way: the step, the owner, the clocks.
    assert!(recorded[0].1.contains("Unassigned"));
    assert!(recorded.last().unwrap().1.contains("closed"));
    assert!(recorded.iter().any(|(_, r)| r.contains("sla-breached")));
    let distinct: std::collections::HashSet<&String> = recorded.iter().map(|(_, r)| r).collect();
    assert_eq!(
        distinct.len(),
        recorded.len(),
        "every moment looked different"
    );

    // A week later, travel back to each moment.
    clock.advance(Duration::days(7));
    for (moment, then) in &recorded {
        let stamp = moment.to_rfc3339_opts(SecondsFormat::Nanos, true);
        let url = format!("{page}?at={}", stamp.replace('+', "%2B"));
        let response = app.get(&url).await;
        assert_eq!(response.status(), 200, "{url}");
        let html = response.text().await.unwrap();
        assert!(html.contains("A view of the past"), "{url}");
        assert!(
            !html.contains(&format!("action=\"{page}/")),
            "no action form in the past"
        );
        let now = record(&html);
        if &now != then {
            let diff: Vec<(&str, &str)> = now
                .lines()
                .zip(then.lines())
                .filter(|(a, b)| a != b)
                .take(5)
                .collect();
            panic!("the page as it stood at {stamp} differs: {diff:#?}");
        }
    }
    // The present is the live page.
    let live = app.get(&page).await.text().await.unwrap();
    assert!(!live.contains("A view of the past"));

    // Before the complaint arrived, and nonsense.
    let before = app.get(&format!("{page}?at=2026-03-01T09:00")).await;
    assert_eq!(before.status(), 400);
    assert!(before.text().await.unwrap().contains("had not arrived yet"));
    let far = app.get(&format!("{page}?at=%2B262143-12-31T00:00")).await;
    assert_eq!(far.status(), 400);
    let nonsense = app.get(&format!("{page}?at=yesterday")).await;
    assert_eq!(nonsense.status(), 400);
    assert!(nonsense.text().await.unwrap().contains("is not a moment"));
    let unknown = app
        .get("/complaints/RDR-ZZZZ-ZZZZ?at=2026-03-02T10:00")
        .await;
    assert_eq!(unknown.status(), 404);
}

fn clock_date(clock: &ManualClock) -> chrono::NaiveDate {
    use redress_domain::Clock;
    clock.now().date_naive()
}

/// Receives a complaint and takes it to closure with a satisfaction score.
async fn closed_complaint(
    store: &Store,
    by: &Actor,
    owner: &StaffMember,
    email: &str,
    category: &str,
) {
    let reference = store
        .complaints
        .receive(by.clone(), complaint(email, category))
        .await
        .unwrap();
    let due = Utc::now().date_naive() + Duration::days(3);
    for action in [
        ComplaintAction::Acknowledge {
            apology: "Sorry.".into(),
        },
        ComplaintAction::AssignOwner {
            owner: owner.clone(),
        },
        ComplaintAction::RecordFact {
            fact: "Checked.".into(),
            source: None,
        },
        ComplaintAction::RecordPoints {
            points: vec!["The customer was charged twice.".into()],
            send: false,
        },
        ComplaintAction::ConcludeInvestigation {
            findings: "Found.".into(),
        },
        ComplaintAction::CommitToAction {
            action: "Refund.".into(),
            due_on: due,
            resolve_by: None,
        },
        ComplaintAction::Resolve {
            outcome: None,
            decisions: vec![redress_domain::PointDecision {
                point: 1,
                outcome: Outcome::PartlyUpheld,
                reasons: "Decided on the facts.".into(),
            }],
            reasons: "Partly ours.".into(),
            remedy: None,
            redress_paid_cents: Some(1250),
        },
        ComplaintAction::Close,
        ComplaintAction::RecordSatisfaction {
            score: 5,
            comment: None,
            would_change: Some("Send <b>fewer</b> forms".into()),
        },
    ] {
        store
            .complaints
            .execute(&reference, ComplaintCommand::new(by.clone(), action))
            .await
            .unwrap();
    }
}

async fn reports_are_for_managers_with_filters_in_the_url_csv_and_charts(db: TestDb) {
    let app = spawn_app(db).await;
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    assert_eq!(agent.get("/reports").await.status(), 403);
    assert_eq!(agent.get("/reports/fca").await.status(), 403);
    let manager = app.sign_in_as(Role::Manager).await;
    let by = Actor::Staff(manager.member());
    closed_complaint(
        &app.store,
        &by,
        &manager.member(),
        "ana@example.com",
        "Billing",
    )
    .await;
    closed_complaint(
        &app.store,
        &by,
        &manager.member(),
        "ana@example.com",
        "Delivery",
    )
    .await;
    closed_complaint(
        &app.store,
        &by,
        &manager.member(),
        "ben@example.com",
        "Billing",
    )
    .await;
    app.store.projections.run_until_idle().await.unwrap();

    let html = app.get("/reports").await.text().await.unwrap();
    assert!(html.contains("<svg role=\"img\" aria-label=\"Median time per step"));
    // The backlog's ages: nothing is open.
    assert!(html.contains("id=\"backlog_ages\""));
    assert!(html.contains("Response speed (working hours)"));
    assert!(html.contains("format=csv&amp;table=speed"));
    let html = app
        .get("/reports?by=category&basis=calendar&group=day")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Response speed (elapsed hours)"));
    assert!(html.contains("Response speed by category"));
    assert!(
        html.contains("by=category"),
        "the filters stay in the links"
    );

    // CSV of a table: the same numbers as the page.
    let csv = app.get("/reports?format=csv&table=volume").await;
    assert_eq!(csv.status(), 200);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        csv.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("redress-volume-")
    );
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Period,Received,From repeat complainants,Closed,Reopened,Open at end")
    );
    assert_eq!(lines.last(), Some("Total,3,1,3,0,0"));
    // The points of complaint, one each, each partly upheld.
    let points = app
        .get("/reports?format=csv&table=points")
        .await
        .text()
        .await
        .unwrap();
    let mut lines = points.lines();
    assert_eq!(
        lines.next(),
        Some("Period,Points decided,Upheld,Partly upheld,Not upheld")
    );
    assert_eq!(lines.last(), Some("Total,3,0,3,0"));
    let by_category = app
        .get("/reports?by=category&format=csv&table=volume_by")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        by_category.contains("Points decided,Points upheld (in full or part)"),
        "{by_category}"
    );
    assert!(
        by_category.contains("Billing,2,2,0,2,0,2,2,"),
        "{by_category}"
    );
    // Amounts are in the installation's one currency, named.
    let outcomes = app
        .get("/reports?format=csv&table=outcomes")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        outcomes
            .lines()
            .next()
            .is_some_and(|h| h.ends_with("Redress paid (GBP)")),
        "{outcomes}"
    );
    // By owner, the page says under whom each figure counts.
    let by_owner = app.get("/reports?by=owner").await.text().await.unwrap();
    assert!(
        by_owner.contains("Each figure counts under the owner at that moment"),
        "the owner breakdown does not say what it counts"
    );
    // Speed by owner or tier carries the 90th percentile beside the median,
    // as the overall table does.
    for by in ["owner", "tier"] {
        let split = app
            .get(&format!("/reports?by={by}&format=csv&table=speed_by"))
            .await
            .text()
            .await
            .unwrap();
        let header = split.lines().next().unwrap_or_default();
        assert_eq!(
            header.matches("90th percentile (minutes)").count(),
            header.matches("median (minutes)").count(),
            "{header}"
        );
        assert!(header.contains("median (minutes)"), "{header}");
    }
    let fca = app
        .get("/reports/fca?format=csv&table=fca_return")
        .await
        .text()
        .await
        .unwrap();
    assert!(fca.contains("\nBilling,2,2,0,0,2,100%,25.00,0\n"), "{fca}");
    assert!(fca.contains("\nTotal,3,3,0,0,3,100%,37.50,0"), "{fca}");

    // Words are searchable and escaped.
    let feedback = app
        .get("/reports/feedback?q=FEWER")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        feedback.contains("Send &lt;b&gt;fewer&lt;&#x2F;b&gt; forms")
            || feedback.contains("Send &lt;b&gt;fewer&lt;/b&gt; forms")
    );
    assert!(feedback.contains("3 answers match."));
    let none = app
        .get("/reports/feedback?q=zebra")
        .await
        .text()
        .await
        .unwrap();
    assert!(none.contains("0 answers match."));
    let customers = app.get("/reports/customers").await.text().await.unwrap();
    assert!(customers.contains("Ana Pop"));
    assert!(customers.contains("Contoso Ltd"));

    // Mistakes in the URL say what to fix.
    for (url, says) in [
        ("/reports?from=2026-13-01", "is not a date"),
        ("/reports?from=2026-06-01&to=2026-05-01", "swap the dates"),
        ("/reports?by=shoe", "is not a breakdown"),
        ("/reports?only=high", "choose the breakdown"),
        (
            "/reports?from=2025-01-01&to=2026-01-01&group=day",
            "choose week or month",
        ),
        ("/reports?basis=lunar", "is not a basis"),
        ("/reports?format=csv&table=nope", "choose one of: speed"),
        ("/reports?format=pdf", "is not a format"),
        ("/reports?from=2020-01-01&to=2026-01-01", "at most"),
        ("/reports?to=%2B262143-12-31", "between 1970 and 9999"),
        (
            "/reports/customers?from=-262144-01-01",
            "between 1970 and 9999",
        ),
        ("/sla?at=-262144-01-05T00:00&period=365", "is not a moment"),
    ] {
        let response = app.get(url).await;
        assert_eq!(response.status(), 400, "{url}");
        let body = response.text().await.unwrap();
        assert!(body.contains(says), "{url}: {body}");
        // A report page refuses with its filter form kept, the message beside it.
        if url.starts_with("/reports") {
            assert!(
                body.contains("aria-label=\"Report filters\""),
                "{url}: {body}"
            );
            assert!(body.contains("<nav aria-label=\"Main\">"), "{url}");
        }
    }
    // The message sits beside the field at fault, with the rest as sent.
    let body = app
        .get("/reports?from=2025-01-01&to=2026-01-01&group=day&by=owner")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("aria-invalid=\"true\" aria-describedby=\"r-group-error\""),
        "{body}"
    );
    assert!(
        body.contains("id=\"r-group-error\">Group by day covers"),
        "{body}"
    );
    assert!(body.contains("<option value=\"owner\" selected>"), "{body}");
    assert!(body.contains("value=\"2025-01-01\""), "{body}");
}

async fn the_sla_dashboard_travels_back_to_a_past_moment(db: TestDb) {
    use redress_domain::Clock;
    let clock = ManualClock::at(at("2026-03-02T09:00:00Z"));
    let app = spawn_app_on_clock(db, clock.clone()).await;
    let manager = app.sign_in_as(Role::Manager).await;
    let by = Actor::Staff(manager.member());
    let a = app
        .store
        .complaints
        .receive(by.clone(), complaint("ana@example.com", "Billing"))
        .await
        .unwrap();
    let b = app
        .store
        .complaints
        .receive(by.clone(), complaint("ben@example.com", "Delivery"))
        .await
        .unwrap();
    let mut recorded: Vec<(DateTime<Utc>, String)> = Vec::new();
    let steps: Vec<(i64, Option<(&Reference, ComplaintAction)>)> = vec![
        (
            20,
            Some((
                &a,
                ComplaintAction::Acknowledge {
                    apology: "Sorry.".into(),
                },
            )),
        ),
        // 10:50: B's acknowledgement (2 business hours) is at risk.
        (90, None),
        // 11:30: breached; A's owner clock (4 hours) is at risk from 12:00.
        (40, None),
        (
            45,
            Some((
                &a,
                ComplaintAction::AssignOwner {
                    owner: manager.member(),
                },
            )),
        ),
        (
            60,
            Some((
                &b,
                ComplaintAction::Acknowledge {
                    apology: "Sorry, late.".into(),
                },
            )),
        ),
    ];
    for (minutes, step) in steps {
        clock.advance(Duration::minutes(minutes));
        if let Some((reference, action)) = step {
            app.store
                .complaints
                .execute(reference, ComplaintCommand::new(by.clone(), action))
                .await
                .unwrap();
            settled(&app, reference).await;
            clock.advance(Duration::seconds(1));
        }
        app.store.projections.run_until_idle().await.unwrap();
        app.store.sla.tick(clock.now()).await.unwrap();
        let live = app.get("/sla?partial=1").await.text().await.unwrap();
        recorded.push((clock.now(), live));
    }
    assert!(
        recorded[2].1.contains(b.as_str()),
        "B is listed as breached"
    );
    clock.advance(Duration::days(3));
    for (moment, then) in &recorded {
        let stamp = moment.to_rfc3339_opts(SecondsFormat::Secs, true);
        let past = app
            .get(&format!("/sla?partial=1&at={stamp}"))
            .await
            .text()
            .await
            .unwrap();
        assert_eq!(&past, then, "the dashboard as it stood at {stamp}");
    }
    let page = app
        .get(&format!(
            "/sla?at={}",
            recorded[2].0.to_rfc3339_opts(SecondsFormat::Secs, true)
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("A view of the past"));
    assert!(
        !page.contains("data-refresh"),
        "a view of the past does not refresh"
    );
    let bad = app.get("/sla?at=soon").await;
    assert_eq!(bad.status(), 400);
}
