//! What the staff UI may offer: `Complaint::allowed_actions` lists exactly the kinds of
//! action the aggregate accepts now. For complaints at every stage and for every kind, a valid
//! command of that kind is handled, and it is accepted if and only if its kind is listed
//! (and when refused, it is refused with the reason `check_allowed` gives).

#[expect(
    dead_code,
    reason = "the support module is shared by several test binaries; each uses part of it"
)]
mod support;

use std::collections::HashSet;

use cqrs_es::Aggregate;
use cqrs_es::test::TestFramework;
use redress_domain::{
    ActionKind, Complaint, ComplaintAction, ComplaintChange, ComplaintEvent, Priority,
};
use support::*;

// ---------------------------------------------------------------------------------------
// Helpers

/// The aggregate after `history`, built the way the repository builds it.
fn state(history: &[ComplaintEvent]) -> Complaint {
    let mut complaint = Complaint::default();
    for event in history.iter().cloned() {
        complaint.apply(event);
    }
    complaint
}

/// A command of this kind whose own values are valid for `complaint`: texts not empty, dates
/// today (by the fixed clock), an owner, priority and category other than the current ones and
/// a score of 4. Only the complaint's state can refuse it.
fn valid_action(kind: ActionKind, complaint: &Complaint) -> ComplaintAction {
    match kind {
        ActionKind::Acknowledge => acknowledge(),
        ActionKind::RecordCustomerStatement => record_statement(),
        ActionKind::RecordFact => record_fact(),
        ActionKind::ConcludeInvestigation => conclude(),
        ActionKind::CommitToAction => commit_by(today()),
        ActionKind::AssignOwner => {
            if complaint.owner().map(|owner| owner.id) == Some(agent().id) {
                assign(other_agent())
            } else {
                assign(agent())
            }
        }
        ActionKind::SendProgressUpdate => send_update_for(today()),
        ActionKind::WaitOnCustomer => wait_on_customer(),
        ActionKind::RecordCustomerResponse => record_response(),
        ActionKind::Resolve => resolve(),
        ActionKind::Close => close(),
        ActionKind::Reopen => reopen(),
        // A score alone: comments are personal data, refused after erasure whatever the stage
        // (see `satisfaction_comments_are_accepted_only_where_satisfaction_is_allowed_and_...`).
        ActionKind::RecordSatisfaction => rate_score_only(4),
        ActionKind::ChangePriority => change_priority(if complaint.priority() == Priority::High {
            Priority::Low
        } else {
            Priority::High
        }),
        ActionKind::ChangeCategory => ComplaintAction::ChangeCategory {
            category: if complaint.category() == NEW_CATEGORY {
                CATEGORY.to_string()
            } else {
                NEW_CATEGORY.to_string()
            },
        },
        ActionKind::RecordCommunication => record_communication(),
        ActionKind::ErasePersonalData => erase(),
        ActionKind::RecordPoints => record_points(),
        ActionKind::SendReply => reply(),
        ActionKind::AddInternalNote => note(),
        ActionKind::AttachFiles => attach_files(),
        ActionKind::ChangeTeam => ComplaintAction::ChangeTeam {
            team: if complaint.team().map(|t| t.id) == Some(team_a().id) {
                team_b()
            } else {
                team_a()
            },
            reason: "Billing handles refunds".into(),
        },
        ActionKind::AddTag => ComplaintAction::AddTag {
            tag: if complaint.tags().contains("refund") {
                "late".into()
            } else {
                "refund".into()
            },
        },
        ActionKind::MergeInto => ComplaintAction::MergeInto {
            survivor: other_reference(),
            survivor_open: true,
        },
        ActionKind::Link => ComplaintAction::Link {
            other: other_reference(),
        },
        ActionKind::RecordRootCauses => ComplaintAction::RecordRootCauses {
            causes: vec!["courier-late".into()],
        },
        ActionKind::RemoveTag => ComplaintAction::RemoveTag {
            tag: complaint
                .tags()
                .iter()
                .next()
                .cloned()
                .unwrap_or_else(|| "refund".into()),
        },
    }
}

/// Handles `action` after `history` through the cqrs-es test framework.
fn handle(
    history: &[ComplaintEvent],
    action: ComplaintAction,
) -> Result<Vec<ComplaintEvent>, redress_domain::ComplaintError> {
    TestFramework::<Complaint>::with(services())
        .given(history.to_vec())
        .when(command(action))
        .inspect_result()
}

/// The property: every kind is accepted after `history` iff `allowed_actions` lists it, and a
/// refusal is the one `check_allowed` explains.
fn assert_allowed_actions_are_exactly_the_accepted_ones(stage: &str, history: &[ComplaintEvent]) {
    let complaint = state(history);
    let allowed = complaint.allowed_actions();
    for kind in ActionKind::ALL {
        let action = valid_action(kind, &complaint);
        assert_eq!(
            action.kind(),
            Some(kind),
            "{stage}: the command built for {kind:?}"
        );
        let result = handle(history, action);
        let listed = allowed.contains(&kind);
        match (&result, complaint.check_allowed(kind)) {
            (Ok(events), Ok(())) => {
                assert!(listed, "{stage}: {kind:?} was accepted but is not allowed");
                assert_eq!(events.len(), 1, "{stage}: {kind:?} records one event");
            }
            (Err(refused), Err(why)) => {
                assert!(
                    !listed,
                    "{stage}: {kind:?} is allowed but was refused: {refused}"
                );
                assert_eq!(
                    *refused, why,
                    "{stage}: {kind:?} was refused for another reason than check_allowed gives"
                );
            }
            (result, check) => panic!(
                "{stage}: {kind:?} handled as {result:?} but check_allowed says {check:?} \
                 (listed: {listed})"
            ),
        }
    }
}

fn triaged() -> Vec<ComplaintEvent> {
    then(
        received(),
        vec![
            ComplaintChange::PriorityChanged {
                from: Priority::Normal,
                to: Priority::High,
            },
            ComplaintChange::CategoryChanged {
                from: CATEGORY.to_string(),
                to: NEW_CATEGORY.to_string(),
            },
        ],
    )
}

/// Every stage a complaint goes through, with the actions its UI should offer there.
fn stages() -> Vec<(&'static str, Vec<ComplaintEvent>, Vec<ActionKind>)> {
    use ActionKind::*;
    let before_acknowledging = vec![
        Acknowledge,
        RecordCustomerStatement,
        RecordPoints,
        AssignOwner,
        ChangePriority,
        ChangeCategory,
        RecordCommunication,
        ErasePersonalData,
        SendReply,
        AddInternalNote,
        AttachFiles,
    ];
    let resolved_actions = vec![
        Close,
        Reopen,
        RecordSatisfaction,
        RecordCommunication,
        ErasePersonalData,
        SendReply,
        AddInternalNote,
        AttachFiles,
    ];
    let closed_actions = vec![
        Reopen,
        RecordSatisfaction,
        RecordCommunication,
        ErasePersonalData,
        AddInternalNote,
    ];
    // While being worked after the apology: these, plus `more`, in the order of `ALL`.
    let investigating = |more: &[ActionKind]| {
        let always = [
            RecordCustomerStatement,
            RecordPoints,
            AssignOwner,
            SendProgressUpdate,
            WaitOnCustomer,
            ChangePriority,
            ChangeCategory,
            RecordCommunication,
            ErasePersonalData,
            SendReply,
            AddInternalNote,
            AttachFiles,
        ];
        ActionKind::ALL
            .into_iter()
            .filter(|kind| always.contains(kind) || more.contains(kind))
            .collect::<Vec<_>>()
    };
    vec![
        ("not received", vec![], vec![]),
        ("received", received(), before_acknowledging.clone()),
        (
            "owner named before the acknowledgement",
            then(received(), vec![owner_assigned(agent(), None)]),
            before_acknowledging.clone(),
        ),
        (
            "priority and category changed",
            triaged(),
            before_acknowledging,
        ),
        ("acknowledged", acknowledged(), investigating(&[RecordFact])),
        (
            "a fact recorded before the points of complaint",
            then(acknowledged(), vec![fact_recorded()]),
            investigating(&[RecordFact]),
        ),
        ("listened", listened(), investigating(&[RecordFact])),
        (
            "with a fact",
            with_a_fact(),
            investigating(&[RecordFact, ConcludeInvestigation]),
        ),
        (
            "investigated",
            investigated(),
            investigating(&[CommitToAction]),
        ),
        ("committed", committed(), investigating(&[CommitToAction])),
        ("owned", owned(), investigating(&[CommitToAction, Resolve])),
        (
            "waiting on the customer",
            waiting(),
            vec![
                RecordCustomerStatement,
                RecordPoints,
                CommitToAction,
                AssignOwner,
                SendProgressUpdate,
                RecordCustomerResponse,
                Resolve,
                ChangePriority,
                ChangeCategory,
                RecordCommunication,
                ErasePersonalData,
                SendReply,
                AddInternalNote,
                AttachFiles,
            ],
        ),
        (
            "the customer responded",
            then(waiting(), vec![customer_responded()]),
            investigating(&[CommitToAction, Resolve]),
        ),
        ("resolved", resolved(), resolved_actions.clone()),
        (
            "resolved while waiting on the customer",
            then(waiting(), vec![complaint_resolved()]),
            resolved_actions,
        ),
        ("closed", closed(), closed_actions.clone()),
        (
            "reopened from closed",
            reopened(),
            investigating(&[RecordFact]),
        ),
        (
            "reopened from resolved",
            then(resolved(), vec![complaint_reopened()]),
            investigating(&[RecordFact]),
        ),
        (
            "reopened and a new fact recorded",
            then(reopened(), vec![fact_recorded()]),
            investigating(&[RecordFact, ConcludeInvestigation]),
        ),
        (
            "satisfaction recorded",
            then(resolved(), vec![satisfaction_recorded(5)]),
            vec![
                Close,
                Reopen,
                RecordCommunication,
                ErasePersonalData,
                SendReply,
                AddInternalNote,
                AttachFiles,
            ],
        ),
        (
            "satisfaction recorded after closing",
            then(closed(), vec![satisfaction_recorded(5)]),
            vec![
                Reopen,
                RecordCommunication,
                ErasePersonalData,
                AddInternalNote,
            ],
        ),
        (
            "erased after receiving",
            erased(received()),
            vec![Acknowledge, AssignOwner, ChangePriority, ChangeCategory],
        ),
        (
            "erased after acknowledging",
            erased(acknowledged()),
            vec![
                RecordFact,
                AssignOwner,
                SendProgressUpdate,
                WaitOnCustomer,
                ChangePriority,
                ChangeCategory,
            ],
        ),
        (
            "erased while waiting on the customer",
            erased(waiting()),
            vec![
                CommitToAction,
                AssignOwner,
                SendProgressUpdate,
                Resolve,
                ChangePriority,
                ChangeCategory,
            ],
        ),
        (
            "erased after resolving",
            erased(resolved()),
            vec![Close, Reopen, RecordSatisfaction],
        ),
        (
            "erased after closing",
            erased(closed()),
            vec![Reopen, RecordSatisfaction],
        ),
        (
            "closed with satisfaction, then erased",
            erased(then(closed(), vec![satisfaction_recorded(5)])),
            vec![Reopen],
        ),
        (
            "tagged",
            then(
                received(),
                vec![ComplaintChange::TagAdded {
                    tag: "refund".into(),
                }],
            ),
            vec![
                Acknowledge,
                RecordCustomerStatement,
                RecordPoints,
                AssignOwner,
                ChangePriority,
                ChangeCategory,
                RecordCommunication,
                ErasePersonalData,
                SendReply,
                AddInternalNote,
                AttachFiles,
                RemoveTag,
            ],
        ),
    ]
    .into_iter()
    // Teams, tags, merges and links: a received complaint can be tagged and linked at any
    // stage, and moved to another team or merged into another complaint until it is closed.
    .map(|(stage, history, mut expected)| {
        if !history.is_empty() {
            if !state(&history).progress().closed {
                expected.push(ChangeTeam);
                expected.push(MergeInto);
            }
            expected.push(AddTag);
            expected.push(Link);
            // Root causes: once it is decided (not on a merged duplicate).
            let complaint = state(&history);
            if complaint.progress().resolved && complaint.merged_into().is_none() {
                expected.push(RecordRootCauses);
            }
            expected.sort_by_key(|k| ActionKind::ALL.iter().position(|a| a == k));
        }
        (stage, history, expected)
    })
    .collect()
}

// ---------------------------------------------------------------------------------------
// The property, at every stage

#[test]
fn at_every_stage_the_allowed_actions_are_exactly_those_the_complaint_accepts() {
    for (stage, history, _) in stages() {
        assert_allowed_actions_are_exactly_the_accepted_ones(stage, &history);
    }
}

#[test]
fn at_every_stage_the_ui_offers_the_actions_of_the_method() {
    for (stage, history, expected) in stages() {
        assert_eq!(state(&history).allowed_actions(), expected, "{stage}");
    }
}

#[test]
fn the_property_holds_after_the_clock_moves_on_because_dates_are_not_state() {
    // The same complaint a month later: commitments and updates dated "today" still go.
    let clock = redress_domain::ManualClock::at(now());
    clock.advance(chrono::Duration::days(30));
    let history = owned();
    let complaint = state(&history);
    for kind in [ActionKind::CommitToAction, ActionKind::SendProgressUpdate] {
        let action = match kind {
            ActionKind::CommitToAction => commit_by(today() + chrono::Days::new(30)),
            _ => send_update_for(today() + chrono::Days::new(30)),
        };
        let result = TestFramework::<Complaint>::with(services_at(clock.clone()))
            .given(history.clone())
            .when(command(action))
            .inspect_result();
        assert!(complaint.allowed_actions().contains(&kind));
        assert!(result.is_ok(), "{kind:?}: {result:?}");
    }
}

#[test]
fn a_complaint_not_yet_received_allows_nothing() {
    let complaint = Complaint::default();
    assert!(complaint.allowed_actions().is_empty());
    for kind in ActionKind::ALL {
        assert_eq!(
            complaint.check_allowed(kind),
            Err(redress_domain::ComplaintError::UnknownComplaint),
            "{kind:?}"
        );
    }
}

#[test]
fn the_owner_can_be_changed_while_one_is_named() {
    let complaint = state(&owned());
    assert!(
        complaint
            .allowed_actions()
            .contains(&ActionKind::AssignOwner)
    );
    assert!(handle(&owned(), assign(other_agent())).is_ok());
    // Naming the same person again is a matter of the input, not of the state.
    assert!(handle(&owned(), assign(agent())).is_err());
}

#[test]
fn check_allowed_explains_why_an_action_is_not_offered() {
    let complaint = state(&received());
    assert_eq!(
        complaint
            .check_allowed(ActionKind::RecordFact)
            .unwrap_err()
            .to_string(),
        "The complaint must be acknowledged with an apology (step 1) before you can record facts."
    );
    assert_eq!(
        state(&closed())
            .check_allowed(ActionKind::ChangePriority)
            .unwrap_err()
            .to_string(),
        "The complaint is closed; reopen it before you change the priority."
    );
    assert_eq!(complaint.check_allowed(ActionKind::Acknowledge), Ok(()));
}

#[test]
fn satisfaction_comments_are_accepted_only_where_satisfaction_is_allowed_and_data_is_not_erased() {
    for (stage, history, _) in stages() {
        let complaint = state(&history);
        let allowed = complaint
            .allowed_actions()
            .contains(&ActionKind::RecordSatisfaction);
        let accepted = handle(&history, rate(4)).is_ok();
        assert_eq!(
            accepted,
            allowed && !complaint.personal_data_erased(),
            "{stage}: satisfaction with comments"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Kinds: codes, labels, and the kind of each command

#[test]
fn every_kind_round_trips_through_its_code() {
    for kind in ActionKind::ALL {
        assert_eq!(ActionKind::from_code(kind.code()), Some(kind), "{kind:?}");
    }
    assert_eq!(ActionKind::from_code("receive"), None);
    assert_eq!(ActionKind::from_code(""), None);
    assert_eq!(ActionKind::from_code("Acknowledge"), None);
}

#[test]
fn codes_are_stable_snake_case_and_match_the_serialised_form() {
    let codes: Vec<&str> = ActionKind::ALL.iter().map(|k| k.code()).collect();
    assert_eq!(
        codes,
        [
            "acknowledge",
            "record_customer_statement",
            "record_points",
            "record_fact",
            "conclude_investigation",
            "commit_to_action",
            "assign_owner",
            "send_progress_update",
            "wait_on_customer",
            "record_customer_response",
            "resolve",
            "close",
            "reopen",
            "record_satisfaction",
            "change_priority",
            "change_category",
            "record_communication",
            "erase_personal_data",
            "send_reply",
            "add_internal_note",
            "attach_files",
            "change_team",
            "add_tag",
            "remove_tag",
            "merge_into",
            "link",
            "record_root_causes",
        ]
    );
    for kind in ActionKind::ALL {
        assert_eq!(
            serde_json::to_value(kind).unwrap(),
            serde_json::Value::String(kind.code().to_string())
        );
    }
}

#[test]
fn labels_are_non_empty_and_distinct() {
    let labels: HashSet<&str> = ActionKind::ALL.iter().map(|k| k.label()).collect();
    assert_eq!(labels.len(), ActionKind::ALL.len());
    assert!(labels.iter().all(|label| !label.trim().is_empty()));
    assert_eq!(
        ActionKind::Acknowledge.label(),
        "Acknowledge with an apology"
    );
    assert_eq!(ActionKind::AssignOwner.label(), "Name the owner");
}

#[test]
fn every_action_but_receiving_has_its_own_kind_in_the_order_of_all() {
    let kinds: Vec<ActionKind> = every_action_but_receive()
        .iter()
        .map(|action| action.kind().expect("not receive"))
        .collect();
    assert_eq!(kinds, ActionKind::ALL);
    assert_eq!(receive().kind(), None);
}
