use std::collections::HashSet;

use redress::demo;
use redress_domain::{Language, Step};
use redress_store::{ComplaintListProjector, Store};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

on_both_backends!(demo_data_covers_every_step_and_language_and_a_rebuild_equals_the_live_list);

/// What a demo complaint's conversation holds, by kind.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
struct Held {
    points: bool,
    reply: bool,
    note_with_mention: bool,
    decided_per_point: bool,
    shared_statement: bool,
}

async fn demo_data_covers_every_step_and_language_and_a_rebuild_equals_the_live_list(db: TestDb) {
    let clock = demo::clock();
    let store: Store = db.store(clock.clone()).await;
    let report = demo::load(&store, &clock, 120, 2026).await.unwrap();
    assert_eq!(report.complaints, 120);
    // Projected live, a batch at a time, as the server would.
    let live_projections = store.projections.clone().with_batch_size(50);
    live_projections.run_until_idle().await.unwrap();
    let live = store.complaint_list.all().await.unwrap();
    assert_eq!(live.len(), 120);

    let steps: HashSet<&str> = live.iter().map(|r| r.step.as_str()).collect();
    for step in Step::ALL {
        assert!(steps.contains(step.code()), "no demo complaint at {step:?}");
    }
    let languages: HashSet<&str> = live.iter().map(|r| r.language.as_str()).collect();
    for language in Language::ALL {
        assert!(languages.contains(language.code()));
    }
    assert!(live.iter().all(|r| r.customer_name.is_some()));
    // Every complaint has a team: billing and delivery complaints in any of the four
    // languages reach their team; the rest the first team.
    let teams = store.teams.list().await.unwrap();
    let team_of = |name: &str| teams.iter().find(|t| t.name == name).unwrap().id;
    assert!(live.iter().all(|r| r.team_id.is_some()));
    for (category, team) in [("billing", "Billing"), ("delivery", "Delivery")] {
        let routed: Vec<_> = live
            .iter()
            .filter(|r| r.category == category && r.tier != "key_account")
            .collect();
        assert!(!routed.is_empty(), "the demo has {category} complaints");
        assert!(
            routed.iter().all(|r| r.team_id == Some(team_of(team))),
            "{category}"
        );
    }
    // Every demo complaint, whatever language it came in, records a managed category.
    let categories = store.categories.map().await.unwrap();
    assert!(
        live.iter().all(|r| categories.get(&r.category).is_some()),
        "{:?}",
        live.iter().map(|r| &r.category).collect::<Vec<_>>()
    );
    let tags = store.complaint_list.tags().await.unwrap();
    assert!(tags.len() >= 4, "{tags:?}");
    let now = chrono::Utc::now();
    assert!(
        live.iter()
            .all(|r| r.received_at <= now && r.updated_at <= now)
    );
    assert!(live.iter().any(|r| (now - r.received_at).num_days() > 60));

    // Key accounts, and people who complain more than once for their company.
    let companies = store.companies.list("", 100).await.unwrap();
    assert!(
        companies
            .iter()
            .filter(|c| c.tier == redress_domain::Tier::KeyAccount)
            .count()
            >= 2
    );
    assert!(live.iter().any(|r| r.tier == "key_account"));
    let mut per_customer = std::collections::HashMap::new();
    for row in live.iter().filter(|r| r.company.is_some()) {
        *per_customer.entry(row.customer_id).or_insert(0) += 1;
    }
    assert!(
        per_customer.values().any(|n| *n > 1),
        "no repeat complainant"
    );

    // The conversation, in every language: points of complaint, replies, notes that mention
    // a colleague, outcomes decided point by point, statements shared with the customer.
    let mut held: std::collections::HashMap<&str, Held> = std::collections::HashMap::new();
    for row in &live {
        let reference = redress_domain::Reference::parse(&row.reference).unwrap();
        let mut h = Held::default();
        for event in store.complaints.events_of(&reference).await.unwrap() {
            use redress_domain::ComplaintChange as C;
            match &event.change {
                C::PointsOfComplaintRecorded { .. } => h.points = true,
                C::ReplySent { .. } => h.reply = true,
                C::InternalNoteAdded { mentions, .. } if !mentions.is_empty() => {
                    h.note_with_mention = true
                }
                C::ComplaintResolved { decisions, .. } if !decisions.is_empty() => {
                    h.decided_per_point = true
                }
                C::CustomerStatementRecorded { shared: true, .. } => h.shared_statement = true,
                _ => {}
            }
        }
        let all = held.entry(row.language.as_str()).or_default();
        all.points |= h.points;
        all.reply |= h.reply;
        all.note_with_mention |= h.note_with_mention;
        all.decided_per_point |= h.decided_per_point;
        all.shared_statement |= h.shared_statement;
    }
    for language in Language::ALL {
        let everything = Held {
            points: true,
            reply: true,
            note_with_mention: true,
            decided_per_point: true,
            shared_statement: true,
        };
        assert_eq!(
            held.get(language.code()).copied().unwrap_or_default(),
            everything,
            "the {language:?} demo complaints lack part of the conversation"
        );
    }
    // The team's saved replies, in four languages, and notifications to read.
    demo::settle(&store).await.unwrap();
    let saved = store.saved_replies.list().await.unwrap();
    assert!(saved.len() >= 2, "{saved:?}");
    assert!(
        saved
            .iter()
            .all(|r| Language::ALL.iter().all(|l| !r.body(*l).trim().is_empty()))
    );
    store.projections.run_until_idle().await.unwrap();
    let mut unread = 0;
    for (member, _, role) in demo::accounts() {
        unread += store.notifications.unread(member.id, role).await.unwrap();
    }
    assert!(unread > 0, "the demo team has nothing new to read");
    // Root causes in four languages, named by the resolved complaints, the first most, and a
    // corrective action against it.
    let causes = store.root_causes.list().await.unwrap();
    assert_eq!(causes.len(), 5);
    assert!(causes.iter().all(|c| c.names.iter().all(|n| !n.is_empty())));
    let named = store
        .root_causes
        .named(
            now - chrono::Duration::days(400),
            now + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    let resolved = live.iter().filter(|r| r.resolved).count();
    assert!(
        named.len() >= resolved,
        "{} namings, {resolved} resolved",
        named.len()
    );
    let most = |code: &str| named.iter().filter(|n| n.cause == code).count();
    assert!(
        most("courier-late") > most("wrong-tariff"),
        "a Pareto to read"
    );
    assert_eq!(store.root_causes.actions().await.unwrap().len(), 1);
    // The key accounts have owners and meetings; the one not met for five months is at risk.
    let accounts = store
        .key_accounts
        .list(
            chrono::Utc::now(),
            chrono::Utc::now().date_naive(),
            Default::default(),
        )
        .await
        .unwrap();
    assert_eq!(accounts.len(), 2);
    assert!(
        accounts
            .iter()
            .all(|a| a.owner.is_some() && a.last_contact.is_some())
    );
    let quiet: Vec<&str> = accounts
        .iter()
        .filter(|a| {
            a.flags
                .contains(&redress_store::key_accounts::RiskFlag::NoContact)
        })
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(quiet, ["华南电子有限公司"]);
    // A periodic survey was asked and answered in the four languages, one contact asking to be
    // contacted.
    let answers = store
        .surveys
        .answers(
            now - chrono::Duration::days(30),
            now + chrono::Duration::days(1),
        )
        .await
        .unwrap();
    let said = |words: &str| {
        answers
            .iter()
            .any(|a| a.would_change.as_deref().is_some_and(|w| w.contains(words)))
    };
    for words in [
        "drivers call",
        "resumen semanal",
        "confirmarea comenzii",
        "发票",
    ] {
        assert!(
            said(words),
            "no demo survey answer says {words:?}: {:?}",
            answers.iter().map(|a| &a.would_change).collect::<Vec<_>>()
        );
    }
    assert_eq!(answers.iter().filter(|a| a.wants_contact).count(), 1);

    store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    assert_eq!(store.complaint_list.all().await.unwrap(), live);
    assert_eq!(store.companies.list("", 100).await.unwrap(), companies);
}
