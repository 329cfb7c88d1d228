//! Teams and tags on a complaint: a receipt records its routing, a move records the team
//! before and why, tags go on and off, and each refusal says what to fix.

#[expect(
    dead_code,
    reason = "the support module is shared by several test binaries; each uses part of it"
)]
mod support;

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;
use redress_domain::{
    Actor, Complaint, ComplaintAction, ComplaintChange, ComplaintError, ComplaintEvent, Routing,
};
use support::*;

fn given(history: Vec<ComplaintEvent>) -> cqrs_es::test::AggregateTestExecutor<Complaint> {
    TestFramework::<Complaint>::with(services()).given(history)
}

fn state(history: &[ComplaintEvent]) -> Complaint {
    let mut complaint = Complaint::default();
    for event in history.iter().cloned() {
        complaint.apply(event);
    }
    complaint
}

fn team_changed(
    to: redress_domain::TeamRef,
    from: Option<redress_domain::TeamRef>,
) -> ComplaintChange {
    ComplaintChange::TeamChanged {
        team: to,
        previous: from,
        reason: "Billing handles refunds".into(),
    }
}

fn in_team_a() -> Vec<ComplaintEvent> {
    then(received(), vec![team_changed(team_a(), None)])
}

fn tagged(tags: &[&str]) -> Vec<ComplaintEvent> {
    then(
        in_team_a(),
        tags.iter()
            .map(|t| ComplaintChange::TagAdded { tag: t.to_string() })
            .collect(),
    )
}

#[test]
fn a_routed_receipt_records_its_team_and_its_owner_after_the_complaint() {
    let mut new = new_complaint();
    new.routing = Some(Routing {
        team: team_b(),
        reason: "Routing rule 1: category is Billing".into(),
        owner: Some(agent()),
    });
    let events = TestFramework::<Complaint>::with(services())
        .given_no_previous_events()
        .when(command_by(
            Actor::Customer,
            ComplaintAction::Receive(Box::new(new)),
        ))
        .inspect_result()
        .expect("received");
    let changes: Vec<&ComplaintChange> = events.iter().map(|e| &e.change).collect();
    assert!(matches!(
        changes[0],
        ComplaintChange::ComplaintReceived { .. }
    ));
    assert_eq!(
        changes[1],
        &ComplaintChange::TeamChanged {
            team: team_b(),
            previous: None,
            reason: "Routing rule 1: category is Billing".into(),
        }
    );
    assert_eq!(
        changes[2],
        &ComplaintChange::OwnerAssigned {
            owner: agent(),
            previous: None,
        }
    );
    let complaint = state(&events);
    assert_eq!(complaint.team(), Some(&team_b()));
    assert_eq!(complaint.owner(), Some(&agent()));
}

#[test]
fn a_move_records_the_team_before_and_the_reason() {
    given(in_team_a())
        .when(command(ComplaintAction::ChangeTeam {
            team: team_b(),
            reason: "  Billing handles refunds ".into(),
        }))
        .then_expect_events(vec![event(team_changed(team_b(), Some(team_a())))]);
}

#[test]
fn moving_to_the_same_team_or_without_a_reason_or_once_closed_is_refused() {
    given(in_team_a())
        .when(command(ComplaintAction::ChangeTeam {
            team: team_a(),
            reason: "why not".into(),
        }))
        .then_expect_error(ComplaintError::SameTeam {
            name: team_a().name,
        });
    given(in_team_a())
        .when(command(ComplaintAction::ChangeTeam {
            team: team_b(),
            reason: " ".into(),
        }))
        .then_expect_error(ComplaintError::Empty {
            field: "The reason for the change of team",
        });
    given(in_team_a())
        .when(command(ComplaintAction::ChangeTeam {
            team: team_b(),
            reason: "one\ntwo".into(),
        }))
        .then_expect_error(ComplaintError::MultiLine {
            field: "The reason for the change of team",
        });
    given(closed())
        .when(command(ComplaintAction::ChangeTeam {
            team: team_b(),
            reason: "late".into(),
        }))
        .then_expect_error(ComplaintError::Closed {
            action: "move it to another team",
        });
}

#[test]
fn tags_are_recorded_canonical_and_go_off_again() {
    given(in_team_a())
        .when(command(ComplaintAction::AddTag {
            tag: "  Refund  Late ".into(),
        }))
        .then_expect_events(vec![event(ComplaintChange::TagAdded {
            tag: "refund late".into(),
        })]);
    given(tagged(&["refund"]))
        .when(command(ComplaintAction::RemoveTag {
            tag: "REFUND".into(),
        }))
        .then_expect_events(vec![event(ComplaintChange::TagRemoved {
            tag: "refund".into(),
        })]);
    let history = then(
        tagged(&["refund", "late"]),
        vec![ComplaintChange::TagRemoved {
            tag: "refund".into(),
        }],
    );
    assert_eq!(
        state(&history).tags().iter().collect::<Vec<_>>(),
        vec!["late"]
    );
}

#[test]
fn tags_are_allowed_on_closed_complaints() {
    given(closed())
        .when(command(ComplaintAction::AddTag {
            tag: "outage-may".into(),
        }))
        .then_expect_events(vec![event(ComplaintChange::TagAdded {
            tag: "outage-may".into(),
        })]);
}

#[test]
fn a_tag_twice_a_missing_tag_a_bad_tag_and_too_many_tags_are_refused() {
    given(tagged(&["refund"]))
        .when(command(ComplaintAction::AddTag {
            tag: "Refund".into(),
        }))
        .then_expect_error(ComplaintError::AlreadyTagged {
            tag: "refund".into(),
        });
    given(tagged(&["refund"]))
        .when(command(ComplaintAction::RemoveTag { tag: "late".into() }))
        .then_expect_error(ComplaintError::NotTagged { tag: "late".into() });
    given(in_team_a())
        .when(command(ComplaintAction::RemoveTag { tag: "late".into() }))
        .then_expect_error(ComplaintError::NoTags);
    given(in_team_a())
        .when(command(ComplaintAction::AddTag { tag: "a<b>".into() }))
        .then_expect_error(ComplaintError::BadTag {
            tag: "a<b>".into(),
            character: '<',
        });
    let twenty: Vec<String> = (0..redress_domain::tags::MAX_TAGS)
        .map(|i| format!("tag{i}"))
        .collect();
    let full: Vec<&str> = twenty.iter().map(String::as_str).collect();
    given(tagged(&full))
        .when(command(ComplaintAction::AddTag {
            tag: "one more".into(),
        }))
        .then_expect_error(ComplaintError::TooManyTags {
            max: redress_domain::tags::MAX_TAGS,
        });
}

#[test]
fn teams_and_tags_are_for_staff_only() {
    for change in [
        team_changed(team_b(), Some(team_a())),
        ComplaintChange::TagAdded { tag: "vip".into() },
        ComplaintChange::TagRemoved { tag: "vip".into() },
    ] {
        assert_eq!(
            redress_domain::audience(&event(change), None),
            redress_domain::Audience::Staff
        );
    }
}
