use redress_domain::{
    Actor, ComplaintAction, ComplaintChange, ComplaintCommand, Language, NewComplaint,
};
use redress_store::teams::FIRST_TEAM;
use redress_store::{Assignment, QueueFilter, QueueSort, Role, RuleField};
use redress_testing::TestDb;
use redress_testing::on_both_backends;
use uuid::Uuid;

use crate::{Fixture, new_complaint};

on_both_backends!(
    routing_rules_give_each_new_complaint_its_team_and_the_default_takes_the_rest,
    round_robin_takes_turns_and_skips_whoever_is_away,
    fewest_open_gives_work_to_the_least_loaded_member,
    tags_and_teams_filter_the_queue_and_a_rebuild_gives_the_same_rows,
    the_team_hears_when_the_customer_writes_on_a_complaint_nobody_owns,
    the_sla_dashboard_narrows_to_a_team_and_counts_each_team,
);

async fn person(f: &Fixture, email: &str, name: &str) -> Uuid {
    let hash = redress_store::accounts::hash_password("a long test password").unwrap();
    f.store
        .accounts
        .create(email, name, Role::Agent, &hash)
        .await
        .unwrap()
        .id
}

async fn receive_as(
    f: &Fixture,
    change: impl FnOnce(&mut NewComplaint),
) -> redress_domain::Reference {
    let mut new = new_complaint("Ana Pop", "ana@example.ro");
    change(&mut new);
    f.store
        .complaints
        .receive(Actor::Customer, new)
        .await
        .expect("received")
}

/// The team (and owner) a complaint's events recorded at receipt.
async fn routed(
    f: &Fixture,
    reference: &redress_domain::Reference,
) -> (Uuid, String, Option<String>) {
    let events = f.store.complaints.events_of(reference).await.unwrap();
    let team = events
        .iter()
        .find_map(|e| match &e.change {
            ComplaintChange::TeamChanged { team, reason, .. } => Some((team.id, reason.clone())),
            _ => None,
        })
        .expect("a team recorded at receipt");
    let owner = events.iter().find_map(|e| match &e.change {
        ComplaintChange::OwnerAssigned { owner, .. } => Some(owner.name.clone()),
        _ => None,
    });
    (team.0, team.1, owner)
}

async fn routing_rules_give_each_new_complaint_its_team_and_the_default_takes_the_rest(db: TestDb) {
    let f = Fixture::new(db).await;
    let teams = &f.store.teams;
    let now = f.store.clock.now();
    let billing = teams
        .create("Billing", Assignment::Manual, now)
        .await
        .unwrap()
        .unwrap();
    let spanish = teams
        .create("Equipo España", Assignment::Manual, now)
        .await
        .unwrap()
        .unwrap();
    // Names are unique whatever their case; a rule's codes are checked.
    assert!(matches!(
        teams
            .create("billing", Assignment::Manual, now)
            .await
            .unwrap(),
        Err(redress_store::TeamError::NameTaken(_))
    ));
    assert!(matches!(
        teams
            .add_rule(RuleField::Language, "klingon", spanish)
            .await
            .unwrap(),
        Err(redress_store::TeamError::BadRule(_))
    ));
    teams
        .add_rule(RuleField::Category, "billing", billing)
        .await
        .unwrap()
        .unwrap();
    let language = teams
        .add_rule(RuleField::Language, "es", spanish)
        .await
        .unwrap()
        .unwrap();

    let by_category = receive_as(&f, |_| {}).await;
    let (team, reason, owner) = routed(&f, &by_category).await;
    assert_eq!(team, billing);
    assert_eq!(reason, "Routing rule 1: category is billing");
    assert_eq!(owner, None, "a team that assigns by hand names nobody");

    let spanish_billing = receive_as(&f, |n| n.customer.language = Language::Es).await;
    assert_eq!(
        routed(&f, &spanish_billing).await.0,
        billing,
        "the first rule wins"
    );
    // Moved earlier, the language rule wins.
    assert!(teams.move_rule(language, true).await.unwrap());
    let now_spanish = receive_as(&f, |n| n.customer.language = Language::Es).await;
    let (team, reason, _) = routed(&f, &now_spanish).await;
    assert_eq!(team, spanish);
    assert_eq!(reason, "Routing rule 1: language is es");

    let other = receive_as(&f, |n| n.category = "Delivery".into()).await;
    let (team, reason, _) = routed(&f, &other).await;
    assert_eq!(team, FIRST_TEAM);
    assert_eq!(reason, "No routing rule matched: the default team");
    // Another default takes the rest from now on.
    teams.make_default(spanish).await.unwrap().unwrap();
    let later = receive_as(&f, |n| n.category = "Delivery".into()).await;
    assert_eq!(routed(&f, &later).await.0, spanish);

    // A move records the team before and why; the list follows.
    let team = teams.get(billing).await.unwrap().unwrap().reference();
    f.run(
        &other,
        ComplaintAction::ChangeTeam {
            team,
            reason: "It is about an invoice after all".into(),
        },
    )
    .await
    .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    assert_eq!(f.row(&other).await.team_id, Some(billing));
}

async fn round_robin_takes_turns_and_skips_whoever_is_away(db: TestDb) {
    let f = Fixture::new(db).await;
    let teams = &f.store.teams;
    let ana = person(&f, "ana@staff.example", "Ana").await;
    let bob = person(&f, "bob@staff.example", "Bob").await;
    let cai = person(&f, "cai@staff.example", "Cai").await;
    teams
        .update(
            FIRST_TEAM,
            "Complaints",
            Assignment::RoundRobin,
            &[(ana, false), (bob, true), (cai, false)],
        )
        .await
        .unwrap()
        .unwrap();
    let mut owners = Vec::new();
    for _ in 0..4 {
        let reference = receive_as(&f, |_| {}).await;
        owners.push(routed(&f, &reference).await.2.expect("an owner"));
    }
    assert_eq!(owners, ["Ana", "Bob", "Cai", "Ana"]);
    f.store.accounts.set_away(bob, true).await.unwrap();
    let mut owners = Vec::new();
    for _ in 0..3 {
        let reference = receive_as(&f, |_| {}).await;
        owners.push(routed(&f, &reference).await.2.expect("an owner"));
    }
    assert_eq!(owners, ["Cai", "Ana", "Cai"], "Bob is away");
    // Everyone away: nobody is named, the complaint still has its team.
    for id in [ana, cai] {
        f.store.accounts.set_away(id, true).await.unwrap();
    }
    let reference = receive_as(&f, |_| {}).await;
    let (team, _, owner) = routed(&f, &reference).await;
    assert_eq!((team, owner), (FIRST_TEAM, None));
    // A person who is not an active account cannot join.
    assert_eq!(
        teams
            .update(
                FIRST_TEAM,
                "Complaints",
                Assignment::RoundRobin,
                &[(Uuid::new_v4(), false)]
            )
            .await
            .unwrap(),
        Err(redress_store::TeamError::UnknownMember)
    );
}

async fn fewest_open_gives_work_to_the_least_loaded_member(db: TestDb) {
    let f = Fixture::new(db).await;
    let ana = person(&f, "ana@staff.example", "Ana").await;
    let bob = person(&f, "bob@staff.example", "Bob").await;
    f.store
        .teams
        .update(
            FIRST_TEAM,
            "Complaints",
            Assignment::FewestOpen,
            &[(ana, false), (bob, false)],
        )
        .await
        .unwrap()
        .unwrap();
    // Ana already owns two open complaints (given by hand, before the team assigned).
    for _ in 0..2 {
        let reference = receive_as(&f, |n| {
            n.routing = Some(redress_domain::Routing {
                team: redress_domain::TeamRef {
                    id: FIRST_TEAM,
                    name: "Complaints".into(),
                },
                reason: "By hand".into(),
                owner: Some(redress_domain::StaffMember {
                    id: ana,
                    name: "Ana".into(),
                }),
            })
        })
        .await;
        assert_eq!(routed(&f, &reference).await.2.as_deref(), Some("Ana"));
    }
    f.store.projections.run_until_idle().await.unwrap();
    let mut owners = Vec::new();
    for _ in 0..3 {
        let reference = receive_as(&f, |_| {}).await;
        owners.push(routed(&f, &reference).await.2.expect("an owner"));
        f.store.projections.run_until_idle().await.unwrap();
    }
    assert_eq!(
        owners,
        ["Bob", "Bob", "Ana"],
        "Bob until they are even, then by name"
    );
}

async fn tags_and_teams_filter_the_queue_and_a_rebuild_gives_the_same_rows(db: TestDb) {
    let f = Fixture::new(db).await;
    let now = f.store.clock.now();
    let billing = f
        .store
        .teams
        .create("Billing", Assignment::Manual, now)
        .await
        .unwrap()
        .unwrap();
    f.store
        .teams
        .add_rule(RuleField::Company, "contoso ltd", billing)
        .await
        .unwrap()
        .unwrap();
    let contoso = receive_as(&f, |_| {}).await;
    let other = receive_as(&f, |n| n.company = None).await;
    for (reference, tag) in [(&contoso, "Refund"), (&contoso, "late"), (&other, "late")] {
        f.run(reference, ComplaintAction::AddTag { tag: tag.into() })
            .await
            .unwrap();
    }
    f.store
        .complaints
        .execute(
            &contoso,
            ComplaintCommand::new(
                Actor::Staff(crate::agent()),
                ComplaintAction::RemoveTag { tag: "late".into() },
            ),
        )
        .await
        .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    let queue = |teams: Vec<Uuid>, tag: Option<&str>| {
        let filter = QueueFilter {
            teams,
            tag: tag.map(String::from),
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
    assert_eq!(queue(vec![billing], None).await, [contoso.to_string()]);
    assert_eq!(queue(vec![FIRST_TEAM], None).await, [other.to_string()]);
    assert_eq!(queue(vec![], Some("refund")).await, [contoso.to_string()]);
    assert_eq!(queue(vec![], Some("late")).await, [other.to_string()]);
    assert_eq!(
        queue(vec![FIRST_TEAM, billing], None).await.len(),
        2,
        "several teams: any of them"
    );
    assert_eq!(
        f.store.complaint_list.tags().await.unwrap(),
        [("late".to_string(), 1), ("refund".to_string(), 1)]
    );
    // Every projection, tags included, equals a rebuild.
    for name in f.store.projections.names() {
        let report = f.store.projections.check(name).await.unwrap();
        assert!(report.matches(), "{report:?}");
    }
}

async fn the_team_hears_when_the_customer_writes_on_a_complaint_nobody_owns(db: TestDb) {
    let f = Fixture::new(db).await;
    let now = f.store.clock.now();
    let inside = person(&f, "in@staff.example", "In").await;
    let outside = person(&f, "out@staff.example", "Out").await;
    let billing = f
        .store
        .teams
        .create("Billing", Assignment::Manual, now)
        .await
        .unwrap()
        .unwrap();
    f.store
        .teams
        .update(billing, "Billing", Assignment::Manual, &[(inside, false)])
        .await
        .unwrap()
        .unwrap();
    f.store
        .teams
        .add_rule(RuleField::Category, "Billing", billing)
        .await
        .unwrap()
        .unwrap();
    let reference = receive_as(&f, |_| {}).await;
    f.store
        .complaints
        .execute(
            &reference,
            ComplaintCommand::new(
                Actor::Customer,
                ComplaintAction::AddInformation {
                    text: Some("Any news?".into()),
                    files: vec![],
                    channel: redress_domain::Channel::WebForm,
                },
            ),
        )
        .await
        .unwrap();
    f.store.projections.run_until_idle().await.unwrap();
    let notes = &f.store.notifications;
    let seen = |id: Uuid, role: Role| async move {
        notes
            .list(id, role, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|n| (n.kind, n.reference))
            .collect::<Vec<_>>()
    };
    let told = vec![("customer_wrote".to_string(), reference.to_string())];
    assert_eq!(
        seen(inside, Role::Agent).await,
        told,
        "a member of its team"
    );
    assert_eq!(seen(outside, Role::Agent).await, vec![], "not of its team");
    assert_eq!(notes.unread(inside, Role::Agent).await.unwrap(), 1);
    assert_eq!(notes.unread(outside, Role::Agent).await.unwrap(), 0);
    // Managers oversee every team.
    let boss = person(&f, "boss@staff.example", "Boss").await;
    assert_eq!(seen(boss, Role::Manager).await, told);
    // Read by one member, still unread for the others.
    let id = notes.list(inside, Role::Agent, 1).await.unwrap()[0]
        .id
        .clone();
    assert!(
        notes
            .mark_read(inside, Role::Agent, &id, now)
            .await
            .unwrap()
    );
    assert!(
        !notes
            .mark_read(outside, Role::Agent, &id, now)
            .await
            .unwrap()
    );
    assert_eq!(notes.unread(inside, Role::Agent).await.unwrap(), 0);
    assert_eq!(notes.unread(boss, Role::Manager).await.unwrap(), 1);
}

async fn the_sla_dashboard_narrows_to_a_team_and_counts_each_team(db: TestDb) {
    let f = Fixture::new(db).await;
    let now = f.store.clock.now();
    let billing = f
        .store
        .teams
        .create("Billing", Assignment::Manual, now)
        .await
        .unwrap()
        .unwrap();
    f.store
        .teams
        .add_rule(RuleField::Language, "es", billing)
        .await
        .unwrap()
        .unwrap();
    for language in [Language::Es, Language::Es, Language::Ro] {
        receive_as(&f, |n| n.customer.language = language).await;
    }
    f.store.projections.run_until_idle().await.unwrap();
    let day = (
        now - chrono::Duration::hours(1),
        now + chrono::Duration::hours(23),
    );
    let dashboard = |team: Option<Uuid>| {
        let sla = f.store.sla.clone();
        async move {
            sla.dashboard(
                &redress_store::sla::SlaFilter {
                    team,
                    ..Default::default()
                },
                now,
                day,
                now - chrono::Duration::days(30),
                10,
            )
            .await
            .unwrap()
        }
    };
    let open = |c: &redress_store::sla::StateCounts| c.breached + c.at_risk + c.on_track + c.paused;
    assert_eq!(open(&dashboard(None).await.counts), 3);
    assert_eq!(open(&dashboard(Some(billing)).await.counts), 2);
    assert_eq!(open(&dashboard(Some(FIRST_TEAM)).await.counts), 1);
    let mut by_team: Vec<(Option<Uuid>, i64)> = dashboard(None)
        .await
        .by_team
        .iter()
        .map(|t| (t.team_id, t.breached + t.at_risk + t.on_track + t.paused))
        .collect();
    by_team.sort();
    let mut expected = vec![(Some(billing), 2), (Some(FIRST_TEAM), 1)];
    expected.sort();
    assert_eq!(by_team, expected);
}
