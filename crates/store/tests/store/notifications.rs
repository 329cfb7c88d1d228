//! Notifications, as the projector makes them from the events: who hears of what (owners,
//! the managers of complaints nobody owns, colleagues mentioned; never of their own doing),
//! one email owed for each (none for what is older than a day), reads kept across a
//! rebuild, and daily digests queued once.

use chrono::{Duration, TimeZone, Utc};
use redress_domain::{Actor, Channel, ComplaintAction, ComplaintCommand, Reference, StaffMember};
use redress_store::notifications::{MANAGERS, digest_id, email_id};
use redress_store::{Delivery, NotificationKind, Role, on_pool};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::Fixture;

on_both_backends!(
    who_hears_what_and_nobody_hears_of_their_own_doing,
    reads_and_owed_emails_survive_a_rebuild_which_equals_the_live_projection,
    what_is_older_than_a_day_is_shown_but_not_emailed,
    a_digest_gathers_the_days_notifications_and_is_queued_once,
    a_reopened_complaint_tells_its_owner,
);

/// A member of staff with an account (digests look their accounts up).
async fn staff(f: &Fixture, name: &str, role: Role) -> StaffMember {
    let local = name.split(' ').next().unwrap().to_lowercase();
    let account = f
        .store
        .accounts
        .create(&format!("{local}@staff.example"), name, role, "not a hash")
        .await
        .unwrap();
    account.member()
}

fn now(f: &Fixture) -> chrono::DateTime<Utc> {
    use redress_domain::Clock;
    f.clock.now()
}

async fn by(f: &Fixture, actor: Actor, reference: &Reference, action: ComplaintAction) {
    f.clock.advance(Duration::minutes(3));
    f.store
        .complaints
        .execute(reference, ComplaintCommand::new(actor, action))
        .await
        .expect("the command is accepted");
}

/// `who` makes `owner` the owner of `reference`.
async fn assign(f: &Fixture, who: &StaffMember, reference: &Reference, owner: &StaffMember) {
    by(
        f,
        Actor::Staff(who.clone()),
        reference,
        ComplaintAction::AssignOwner {
            owner: owner.clone(),
        },
    )
    .await;
}

fn customer_adds(text: &str) -> ComplaintAction {
    ComplaintAction::AddInformation {
        text: Some(text.into()),
        files: vec![],
        channel: Channel::WebForm,
    }
}

/// (kind, reference) of each notification `member` (of `role`) sees, oldest first.
async fn seen(f: &Fixture, member: &StaffMember, role: Role) -> Vec<(String, String)> {
    let mut all: Vec<_> = f
        .store
        .notifications
        .list(member.id, role, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.at, n.kind, n.reference))
        .collect();
    all.sort();
    all.into_iter().map(|(_, k, r)| (k, r)).collect()
}

/// The ids of the notification emails owed (any state).
async fn owed_emails(f: &Fixture) -> Vec<String> {
    let mut ids: Vec<String> = on_pool!(&f.store.db, |pool| sqlx::query_scalar(
        "SELECT id FROM outbox WHERE kind = 'notification' ORDER BY id"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    ids.sort();
    ids
}

async fn who_hears_what_and_nobody_hears_of_their_own_doing(db: TestDb) {
    let f = Fixture::new(db).await;
    let maria = staff(&f, "Maria Ionescu", Role::Agent).await;
    let james = staff(&f, "James Carter", Role::Agent).await;
    let boss = staff(&f, "Beatrice Boss", Role::Manager).await;
    let owned = f.receive("Ana Pop", "ana@example.ro").await;
    let nobodys = f.receive("Ion Pop", "ion@example.ro").await;
    let maria_acts = || Actor::Staff(maria.clone());

    // Maria gives James the complaint; James then takes another himself (no news to him).
    assign(&f, &maria, &owned, &james).await;
    let own_pick = f.receive("Dan Pop", "dan@example.ro").await;
    assign(&f, &james, &own_pick, &james).await;
    // The customers write: to James, the owner; and on the complaint nobody owns, to the
    // managers.
    by(
        &f,
        Actor::Customer,
        &owned,
        customer_adds("One more thing."),
    )
    .await;
    by(&f, Actor::Customer, &nobodys, customer_adds("Hello?")).await;
    // James mentions Maria and himself: Maria hears of it, James does not.
    by(
        &f,
        Actor::Staff(james.clone()),
        &owned,
        ComplaintAction::AddInternalNote {
            note: "@maria @james look at the payment log".into(),
            mentions: vec![maria.clone(), james.clone()],
        },
    )
    .await;
    // Staff recording what the customer said on the phone is not the customer writing.
    by(
        &f,
        maria_acts(),
        &owned,
        ComplaintAction::Acknowledge {
            apology: "Sorry.".into(),
        },
    )
    .await;
    by(
        &f,
        maria_acts(),
        &owned,
        ComplaintAction::RecordCustomerStatement {
            channel: Channel::Phone,
            statement: "She called again.".into(),
            shared: false,
        },
    )
    .await;
    f.store.projections.run_until_idle().await.unwrap();

    let (owned, nobodys) = (owned.to_string(), nobodys.to_string());
    assert_eq!(
        seen(&f, &james, Role::Agent).await,
        vec![
            ("assigned".to_string(), owned.clone()),
            ("customer_wrote".to_string(), owned.clone()),
        ]
    );
    assert_eq!(
        seen(&f, &maria, Role::Agent).await,
        vec![("mentioned".to_string(), owned.clone())]
    );
    // Managers see what is addressed to the team of managers.
    assert_eq!(
        seen(&f, &boss, Role::Manager).await,
        vec![("customer_wrote".to_string(), nobodys.clone())]
    );
    let listed = f
        .store
        .notifications
        .list(james.id, Role::Agent, 10)
        .await
        .unwrap();
    let assigned = listed.iter().find(|n| n.kind == "assigned").unwrap();
    assert_eq!(
        assigned.headline,
        "Maria Ionescu assigned the complaint to you"
    );
    assert_eq!(
        assigned.summary.as_deref(),
        Some("Charged twice for one order")
    );

    // One email owed for each notification, to its recipient (or the managers).
    let mut expected: Vec<String> = Vec::new();
    for (member, role) in [(&james, Role::Agent), (&maria, Role::Agent)] {
        for n in f
            .store
            .notifications
            .list(member.id, role, 10)
            .await
            .unwrap()
        {
            expected.push(email_id(&n.id));
        }
    }
    for n in f
        .store
        .notifications
        .list(boss.id, Role::Manager, 10)
        .await
        .unwrap()
    {
        // Addressed to the complaint's team (nobody owns it); a manager oversees every team.
        let (recipient, _) = f.store.notifications.get(&n.id).await.unwrap().unwrap();
        assert_eq!(recipient, redress_store::teams::FIRST_TEAM);
        assert_ne!(recipient, MANAGERS);
        expected.push(email_id(&n.id));
    }
    expected.sort();
    assert_eq!(owed_emails(&f).await, expected);

    // Read one by one, or all at once; others' reads are their own.
    assert_eq!(
        f.store
            .notifications
            .unread(james.id, Role::Agent)
            .await
            .unwrap(),
        2
    );
    let now = now(&f);
    assert!(
        f.store
            .notifications
            .mark_read(james.id, Role::Agent, &assigned.id, now)
            .await
            .unwrap()
    );
    assert_eq!(
        f.store
            .notifications
            .unread(james.id, Role::Agent)
            .await
            .unwrap(),
        1
    );
    // Not Maria's to mark.
    assert!(
        !f.store
            .notifications
            .mark_read(maria.id, Role::Agent, &assigned.id, now)
            .await
            .unwrap()
    );
    assert_eq!(
        f.store
            .notifications
            .mark_all_read(james.id, Role::Agent, now)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        f.store
            .notifications
            .unread(james.id, Role::Agent)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        f.store
            .notifications
            .unread(maria.id, Role::Agent)
            .await
            .unwrap(),
        1
    );
}

async fn reads_and_owed_emails_survive_a_rebuild_which_equals_the_live_projection(db: TestDb) {
    let f = Fixture::new(db).await;
    let maria = staff(&f, "Maria Ionescu", Role::Agent).await;
    let james = staff(&f, "James Carter", Role::Agent).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    assign(&f, &maria, &reference, &james).await;
    by(&f, Actor::Customer, &reference, customer_adds("First.")).await;
    by(&f, Actor::Customer, &reference, customer_adds("Second.")).await;
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(
        f.store
            .notifications
            .unread(james.id, Role::Agent)
            .await
            .unwrap(),
        3
    );
    f.store
        .notifications
        .mark_all_read(james.id, Role::Agent, now(&f))
        .await
        .unwrap();
    let emails = owed_emails(&f).await;
    assert_eq!(emails.len(), 3);
    let before = f
        .store
        .notifications
        .list(james.id, Role::Agent, 10)
        .await
        .unwrap();

    let report = f.store.projections.check("notifications").await.unwrap();
    assert!(report.matches(), "{report:?}");
    f.store
        .projections
        .rebuild("notifications", &|_| {})
        .await
        .unwrap();
    // The same notifications under the same ids: still read; no email owed twice.
    let after = f
        .store
        .notifications
        .list(james.id, Role::Agent, 10)
        .await
        .unwrap();
    let ids = |list: &[redress_store::notifications::Notification]| {
        list.iter().map(|n| n.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&after), ids(&before));
    assert_eq!(
        f.store
            .notifications
            .unread(james.id, Role::Agent)
            .await
            .unwrap(),
        0
    );
    assert_eq!(owed_emails(&f).await, emails);
    // Running the projector again after the rebuild adds nothing either.
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(owed_emails(&f).await, emails);
}

async fn what_is_older_than_a_day_is_shown_but_not_emailed(db: TestDb) {
    let f = Fixture::new(db).await;
    let maria = staff(&f, "Maria Ionescu", Role::Agent).await;
    let james = staff(&f, "James Carter", Role::Agent).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    assign(&f, &maria, &reference, &james).await;
    // The projector was down for two days: the assignment is news in the app, but an email
    // about it now would be noise.
    f.clock.advance(Duration::days(2));
    by(&f, Actor::Customer, &reference, customer_adds("Anyone?")).await;
    f.store.projections.run_until_idle().await.unwrap();
    let listed = f
        .store
        .notifications
        .list(james.id, Role::Agent, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    let wrote = listed.iter().find(|n| n.kind == "customer_wrote").unwrap();
    assert_eq!(owed_emails(&f).await, vec![email_id(&wrote.id)]);
}

async fn a_digest_gathers_the_days_notifications_and_is_queued_once(db: TestDb) {
    let f = Fixture::new(db).await;
    let maria = staff(&f, "Maria Ionescu", Role::Agent).await;
    let james = staff(&f, "James Carter", Role::Agent).await;
    f.store
        .notifications
        .set_preferences(
            james.id,
            &[
                (NotificationKind::CustomerWrote, Delivery::Digest),
                (NotificationKind::Assigned, Delivery::Instant),
            ],
        )
        .await
        .unwrap();
    assert_eq!(
        f.store
            .notifications
            .preference(james.id, NotificationKind::CustomerWrote)
            .await
            .unwrap(),
        Delivery::Digest
    );
    // Monday 2 March 2026, from 09:00 UTC.
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    assign(&f, &maria, &reference, &james).await;
    by(&f, Actor::Customer, &reference, customer_adds("First.")).await;
    by(&f, Actor::Customer, &reference, customer_adds("Second.")).await;
    f.store.projections.run_until_idle().await.unwrap();

    // Before 08:00 on Tuesday, nothing; after it, Tuesday's digest, once, however often
    // asked.
    let tuesday = chrono::NaiveDate::from_ymd_opt(2026, 3, 3).unwrap();
    let early = Utc.with_ymd_and_hms(2026, 3, 3, 7, 59, 0).unwrap();
    assert_eq!(f.store.notifications.queue_digests(early).await.unwrap(), 0);
    let later = Utc.with_ymd_and_hms(2026, 3, 3, 8, 1, 0).unwrap();
    assert_eq!(f.store.notifications.queue_digests(later).await.unwrap(), 1);
    assert_eq!(f.store.notifications.queue_digests(later).await.unwrap(), 0);
    let queued: Vec<String> = on_pool!(&f.store.db, |pool| sqlx::query_scalar(
        "SELECT id FROM outbox WHERE kind = 'digest'"
    )
    .fetch_all(pool)
    .await)
    .unwrap();
    assert_eq!(queued, vec![digest_id(james.id, tuesday)]);
    // It tells what James takes by digest: the two messages, not the assignment.
    let digest = f
        .store
        .notifications
        .digest(james.id, Role::Agent, chrono_tz::UTC, tuesday)
        .await
        .unwrap();
    assert_eq!(
        digest.iter().map(|n| n.kind.as_str()).collect::<Vec<_>>(),
        ["customer_wrote", "customer_wrote"]
    );
    // Wednesday's has nothing to tell: none is queued.
    let wednesday = Utc.with_ymd_and_hms(2026, 3, 4, 9, 0, 0).unwrap();
    assert_eq!(
        f.store
            .notifications
            .queue_digests(wednesday)
            .await
            .unwrap(),
        0
    );
}

async fn a_reopened_complaint_tells_its_owner(db: TestDb) {
    let f = Fixture::new(db).await;
    let james = staff(&f, "James Carter", Role::Agent).await;
    let reference = f.receive("Ana Pop", "ana@example.ro").await;
    // Worked to closure by its owner, who assigned it to themselves: no news to anyone.
    f.work_to_closure(&reference).await;
    f.store.projections.run_until_idle().await.unwrap();
    let owner = crate::agent();
    assert!(seen(&f, &owner, Role::Agent).await.is_empty());
    by(
        &f,
        Actor::Staff(james.clone()),
        &reference,
        ComplaintAction::Reopen {
            reason: "The refund never arrived.".into(),
        },
    )
    .await;
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(
        seen(&f, &owner, Role::Agent).await,
        vec![("reopened".to_string(), reference.to_string())]
    );
    assert!(seen(&f, &james, Role::Agent).await.is_empty());
}
