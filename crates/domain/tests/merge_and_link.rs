//! Duplicates and related complaints: a duplicate closes as merged into another (not decided),
//! the survivor records what it took in, related complaints are linked; and every refusal.

#[expect(
    dead_code,
    reason = "the support module is shared by several test binaries; each uses part of it"
)]
mod support;

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;
use redress_domain::{
    Audience, Complaint, ComplaintAction, ComplaintChange, ComplaintError, ComplaintEvent,
    Reference, Said, Status,
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

fn merge_into(survivor: Reference, survivor_open: bool) -> ComplaintAction {
    ComplaintAction::MergeInto {
        survivor,
        survivor_open,
    }
}

fn merged() -> Vec<ComplaintEvent> {
    then(
        acknowledged(),
        vec![ComplaintChange::MergedInto {
            survivor: other_reference(),
        }],
    )
}

#[test]
fn a_duplicate_closes_as_merged_without_an_outcome() {
    given(acknowledged())
        .when(command(merge_into(other_reference(), true)))
        .then_expect_events(vec![event(ComplaintChange::MergedInto {
            survivor: other_reference(),
        })]);
    let complaint = state(&merged());
    assert_eq!(complaint.status(), Status::Closed);
    assert_eq!(complaint.outcome(), None, "merged, not decided");
    assert_eq!(complaint.merged_into(), Some(&other_reference()));
}

#[test]
fn merging_into_itself_into_a_closed_complaint_or_once_closed_is_refused() {
    given(acknowledged())
        .when(command(merge_into(reference(), true)))
        .then_expect_error(ComplaintError::SameComplaint);
    given(acknowledged())
        .when(command(merge_into(other_reference(), false)))
        .then_expect_error(ComplaintError::MergeIntoClosed {
            reference: other_reference().to_string(),
        });
    given(closed())
        .when(command(merge_into(other_reference(), true)))
        .then_expect_error(ComplaintError::Closed {
            action: "merge it into another complaint",
        });
    given(merged())
        .when(command(merge_into(other_reference(), true)))
        .then_expect_error(ComplaintError::Closed {
            action: "merge it into another complaint",
        });
}

#[test]
fn a_merged_duplicate_cannot_be_reopened_its_survivor_carries_on() {
    given(merged())
        .when(command(reopen()))
        .then_expect_error(ComplaintError::Merged {
            survivor: other_reference().to_string(),
        });
}

#[test]
fn the_survivor_takes_in_each_duplicate_once_while_open() {
    let take = || ComplaintAction::TakeInDuplicate {
        duplicate: other_reference(),
    };
    given(acknowledged())
        .when(command(take()))
        .then_expect_events(vec![event(ComplaintChange::DuplicateMerged {
            duplicate: other_reference(),
        })]);
    let with_one = then(
        acknowledged(),
        vec![ComplaintChange::DuplicateMerged {
            duplicate: other_reference(),
        }],
    );
    assert!(
        state(&with_one)
            .duplicates()
            .contains(other_reference().as_str())
    );
    given(with_one)
        .when(command(take()))
        .then_expect_error(ComplaintError::AlreadyMerged {
            reference: other_reference().to_string(),
        });
    given(closed())
        .when(command(take()))
        .then_expect_error(ComplaintError::Closed {
            action: "take in a duplicate",
        });
    given(acknowledged())
        .when(command(ComplaintAction::TakeInDuplicate {
            duplicate: reference(),
        }))
        .then_expect_error(ComplaintError::SameComplaint);
}

#[test]
fn related_complaints_are_linked_once_at_any_time_but_not_with_themselves() {
    let link = |other| ComplaintAction::Link { other };
    given(closed())
        .when(command(link(other_reference())))
        .then_expect_events(vec![event(ComplaintChange::ComplaintLinked {
            other: other_reference(),
        })]);
    let linked = then(
        acknowledged(),
        vec![ComplaintChange::ComplaintLinked {
            other: other_reference(),
        }],
    );
    given(linked)
        .when(command(link(other_reference())))
        .then_expect_error(ComplaintError::AlreadyLinked {
            reference: other_reference().to_string(),
        });
    given(acknowledged())
        .when(command(link(reference())))
        .then_expect_error(ComplaintError::SameComplaint);
}

#[test]
fn the_customer_is_told_of_the_merge_and_nothing_of_links() {
    let told = event(ComplaintChange::MergedInto {
        survivor: other_reference(),
    });
    assert_eq!(redress_domain::audience(&told, None), Audience::Customer);
    let events = [told];
    let entries = redress_domain::for_customer(&events);
    assert!(matches!(entries[0].said, Said::Merged(r) if *r == other_reference()));
    for staff_only in [
        ComplaintChange::DuplicateMerged {
            duplicate: other_reference(),
        },
        ComplaintChange::ComplaintLinked {
            other: other_reference(),
        },
    ] {
        assert_eq!(
            redress_domain::audience(&event(staff_only), None),
            Audience::Staff
        );
    }
}
