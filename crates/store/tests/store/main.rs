//! Integration tests of the store, each run on SQLite and on PostgreSQL, each on a database
//! of its own.

mod accounts;
mod categories;
mod commands;
mod erasure;
mod idempotency;
mod legacy;
mod notifications;
mod ordering;
mod projections;
mod reports;
mod sla;
mod teams;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use redress_domain::{
    Actor, Channel, ComplaintAction, ComplaintCommand, CustomerEmail, Language, ManualClock,
    NewComplaint, NewCustomer, Outcome, Priority, Reference, StaffMember, Tier,
};
use redress_store::{CommandError, Store, on_pool};
use redress_testing::TestDb;
use uuid::Uuid;

/// A store over a fresh database, with a clock the test moves.
pub(crate) struct Fixture {
    pub(crate) store: Store,
    pub(crate) clock: ManualClock,
    /// Keeps the test database alive until the fixture is dropped; opens more stores on it.
    pub(crate) db: TestDb,
}

pub(crate) fn start_of_test() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
        .unwrap()
        .to_utc()
}

pub(crate) fn agent() -> StaffMember {
    StaffMember {
        id: Uuid::from_u128(1),
        name: "Maria Ionescu".into(),
    }
}

pub(crate) fn other_agent() -> StaffMember {
    StaffMember {
        id: Uuid::from_u128(2),
        name: "James Carter".into(),
    }
}

pub(crate) fn new_complaint(name: &str, email: &str) -> NewComplaint {
    NewComplaint {
        reference: Reference::parse("RDR-0000-0000").unwrap(),
        customer: NewCustomer {
            name: name.into(),
            email: Some(CustomerEmail::parse(email).unwrap()),
            phone: Some("+40 721 000 111".into()),
            language: Language::Ro,
        },
        company: Some("Contoso Ltd".into()),
        tier: Tier::Standard,
        channel: Channel::Phone,
        category: "Billing".into(),
        summary: "Charged twice for one order".into(),
        description: format!("{name} says: my card was charged twice on 1 March."),
        remedy_requested: Some("Refund the second payment".into()),
        priority: Priority::High,
        routing: None,
    }
}

impl Fixture {
    pub(crate) async fn new(db: TestDb) -> Self {
        let clock = ManualClock::at(start_of_test());
        let store = db.store(Arc::new(clock.clone())).await;
        Self { store, clock, db }
    }

    pub(crate) fn today(&self) -> NaiveDate {
        use redress_domain::Clock;
        self.clock.now().date_naive()
    }

    pub(crate) async fn receive(&self, name: &str, email: &str) -> Reference {
        self.store
            .complaints
            .receive(Actor::Staff(agent()), new_complaint(name, email))
            .await
            .expect("the complaint is received")
    }

    pub(crate) async fn run(
        &self,
        reference: &Reference,
        action: ComplaintAction,
    ) -> Result<(), CommandError> {
        self.store
            .complaints
            .execute(
                reference,
                ComplaintCommand::new(Actor::Staff(agent()), action),
            )
            .await
    }

    pub(crate) async fn ok(&self, reference: &Reference, action: ComplaintAction) {
        self.clock.advance(Duration::minutes(37));
        self.run(reference, action)
            .await
            .expect("the command is accepted");
    }

    /// Takes a received complaint through every step to closure.
    pub(crate) async fn work_to_closure(&self, reference: &Reference) {
        for action in self.six_steps() {
            self.ok(reference, action).await;
        }
        self.ok(
            reference,
            ComplaintAction::Resolve {
                outcome: None,
                decisions: vec![redress_domain::PointDecision {
                    point: 1,
                    outcome: Outcome::PartlyUpheld,
                    reasons: "Decided on the facts.".into(),
                }],
                reasons: "One of the two payments was ours to refund.".into(),
                remedy: Some("Refund of 24.99".into()),
                redress_paid_cents: Some(2499),
            },
        )
        .await;
        self.ok(reference, ComplaintAction::Close).await;
    }

    /// The six steps, in order, as commands.
    pub(crate) fn six_steps(&self) -> Vec<ComplaintAction> {
        let due = self.today() + Duration::days(3);
        vec![
            ComplaintAction::Acknowledge {
                apology: "We are truly sorry.".into(),
            },
            ComplaintAction::RecordPoints {
                points: vec!["The customer was charged twice.".into()],
                send: false,
            },
            ComplaintAction::RecordCustomerStatement {
                channel: Channel::Phone,
                statement: "The second charge appeared a day later.".into(),
                shared: false,
            },
            ComplaintAction::RecordFact {
                fact: "Two captures for one invoice.".into(),
                source: Some("Payment log".into()),
            },
            ComplaintAction::ConcludeInvestigation {
                findings: "A gateway retry charged twice.".into(),
            },
            ComplaintAction::CommitToAction {
                action: "Refund the duplicate payment.".into(),
                due_on: due,
                resolve_by: None,
            },
            ComplaintAction::AssignOwner { owner: agent() },
            ComplaintAction::SendProgressUpdate {
                message: "The refund is on its way.".into(),
                next_update_on: due,
                resolve_by: None,
            },
        ]
    }

    /// The complaint's row in the list (which must exist).
    pub(crate) async fn row(&self, reference: &Reference) -> redress_store::ComplaintListRow {
        self.store
            .complaint_list
            .get(reference.as_str())
            .await
            .unwrap()
            .expect("the complaint is listed")
    }

    pub(crate) async fn event_count(&self) -> i64 {
        on_pool!(&self.store.db, |pool| sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM events"
        )
        .fetch_one(pool)
        .await)
        .unwrap()
    }

    /// Every payload, as stored.
    pub(crate) async fn raw_payloads(&self) -> Vec<String> {
        match &self.store.db {
            redress_store::Database::Sqlite(pool) => {
                sqlx::query_scalar("SELECT payload FROM events")
                    .fetch_all(pool)
                    .await
                    .unwrap()
            }
            redress_store::Database::Postgres(pool) => {
                sqlx::query_scalar("SELECT payload::text FROM events")
                    .fetch_all(pool)
                    .await
                    .unwrap()
            }
        }
    }
}
