//! The conversation with the customer, command by command (given / when / then): points of
//! complaint and the decision on each, replies, internal notes, files, the dates promised to
//! the customer; then who may read what ([`redress_domain::audience`]).

#[expect(
    dead_code,
    reason = "the support module is shared by several test binaries; each uses part of it"
)]
mod support;

use cqrs_es::Aggregate;
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use redress_domain::{
    Actor, Audience, Channel, Complaint, ComplaintAction, ComplaintChange, ComplaintError,
    ComplaintEvent, Direction, MAX_FILES, Outcome, PointDecision, Said, Sealed, Step, audience,
    for_customer,
};
use support::*;

fn given(history: Vec<ComplaintEvent>) -> AggregateTestExecutor<Complaint> {
    TestFramework::<Complaint>::with(services()).given(history)
}

fn state(history: &[ComplaintEvent]) -> Complaint {
    let mut complaint = Complaint::default();
    for event in history.iter().cloned() {
        complaint.apply(event);
    }
    complaint
}

macro_rules! refusals {
    ($($name:ident: given $given:expr, when $action:expr, then $error:expr;)+) => {
        $(
            #[test]
            fn $name() {
                given($given).when(command($action)).then_expect_error($error);
            }
        )+
    };
}

fn points(texts: &[&str], send: bool) -> ComplaintAction {
    ComplaintAction::RecordPoints {
        points: texts.iter().map(|t| t.to_string()).collect(),
        send,
    }
}

fn decide(outcome: Option<Outcome>, decisions: Vec<PointDecision>) -> ComplaintAction {
    ComplaintAction::Resolve {
        outcome,
        decisions,
        reasons: REASONS.to_string(),
        remedy: None,
        redress_paid_cents: None,
    }
}

fn decision(point: u32, outcome: Outcome) -> PointDecision {
    PointDecision {
        point,
        outcome,
        reasons: format!("Reasons for point {point}."),
    }
}

// ---------------------------------------------------------------------------------------
// Step 2: the points of complaint

#[test]
fn the_points_of_complaint_are_recorded_sealed_and_complete_step_two() {
    given(acknowledged())
        .when(command(record_points()))
        .then_expect_events(vec![event(points_recorded())]);
    let complaint = state(&listened());
    assert!(complaint.progress().listened);
    assert_eq!(complaint.points(), 2);
    assert_eq!(complaint.progress().step(), Step::EstablishFacts);
}

#[test]
fn points_are_trimmed_and_blank_ones_left_out() {
    given(acknowledged())
        .when(command(points(
            &["  The vase arrived broken. ", "", " \t"],
            false,
        )))
        .then_expect_events(vec![event(ComplaintChange::PointsOfComplaintRecorded {
            points: vec![sealed("The vase arrived broken.")],
            sent: false,
        })]);
}

#[test]
fn the_points_may_be_recorded_before_the_apology_and_revised_until_resolved() {
    given(received())
        .when(command(record_points()))
        .then_expect_events(vec![event(points_recorded())]);
    given(owned())
        .when(command(points(&["Only the vase."], true)))
        .then_expect_events(vec![event(ComplaintChange::PointsOfComplaintRecorded {
            points: vec![sealed("Only the vase.")],
            sent: true,
        })]);
    assert_eq!(
        state(&then(
            owned(),
            vec![ComplaintChange::PointsOfComplaintRecorded {
                points: vec![sealed("Only the vase.")],
                sent: true,
            }]
        ))
        .points(),
        1
    );
}

#[test]
fn a_customer_adding_information_does_not_complete_step_two() {
    let history = then(
        acknowledged(),
        vec![ComplaintChange::CustomerStatementRecorded {
            channel: Channel::WebForm,
            statement: sealed("Also, the lid was missing."),
            shared: false,
        }],
    );
    let complaint = state(&history);
    assert!(!complaint.progress().listened);
    assert_eq!(complaint.progress().step(), Step::Listen);
}

#[test]
fn the_investigation_cannot_be_concluded_before_the_points_exist() {
    given(then(acknowledged(), vec![fact_recorded()]))
        .when(command(conclude()))
        .then_expect_error_message(
            "Record the points of complaint (step 2: what we understood the customer to complain about) before concluding the investigation.",
        );
}

#[test]
fn a_complaint_concluded_before_points_existed_keeps_its_place_in_the_method() {
    // Events written before this change: facts concluded without points.
    let legacy = then(
        acknowledged(),
        vec![fact_recorded(), investigation_concluded()],
    );
    let complaint = state(&legacy);
    assert!(!complaint.progress().listened);
    assert_eq!(complaint.progress().step(), Step::CommitToAction);
    given(legacy)
        .when(command(commit()))
        .then_expect_events(vec![event(action_committed())]);
}

refusals! {
    no_points_at_all_are_refused:
        given acknowledged(), when points(&[" ", ""], false),
        then ComplaintError::Empty { field: "The points of complaint" };
    a_point_over_500_characters_is_refused:
        given acknowledged(), when points(&[&"x".repeat(501)], false),
        then ComplaintError::TooLong { field: "A point of complaint", max: 500 };
    more_than_twenty_points_are_refused:
        given acknowledged(), when points(&["A point."; 21], false),
        then ComplaintError::TooManyPoints { max: 20 };
    a_point_with_a_control_character_is_refused:
        given acknowledged(), when points(&["Bad\u{1b}[31m point"], false),
        then ComplaintError::ControlCharacter { field: "A point of complaint" };
    points_cannot_be_recorded_on_a_resolved_complaint:
        given resolved(), when record_points(),
        then ComplaintError::AlreadyResolved { action: "record the points of complaint" };
    points_cannot_be_recorded_after_erasure:
        given erased(acknowledged()), when record_points(),
        then ComplaintError::PersonalDataErased;
}

// ---------------------------------------------------------------------------------------
// The outcome, point by point

#[test]
fn every_point_is_decided_and_the_outcome_follows_from_them() {
    given(owned())
        .when(command(decide(
            None,
            vec![
                decision(2, Outcome::NotUpheld),
                decision(1, Outcome::Upheld),
            ],
        )))
        .then_expect_events(vec![event(ComplaintChange::ComplaintResolved {
            outcome: Outcome::PartlyUpheld,
            decisions: vec![
                decision(1, Outcome::Upheld),
                decision(2, Outcome::NotUpheld),
            ],
            reasons: REASONS.to_string(),
            remedy: None,
            redress_paid_cents: None,
        })]);
}

#[test]
fn an_outcome_given_with_the_points_must_be_the_one_they_make() {
    given(owned())
        .when(command(decide(
            Some(Outcome::Upheld),
            vec![decision(1, Outcome::Upheld), decision(2, Outcome::Upheld)],
        )))
        .then_expect_events(vec![event(complaint_resolved_with(Outcome::Upheld))]);
    given(owned())
        .when(command(decide(
            Some(Outcome::Upheld),
            vec![decision(1, Outcome::Upheld), decision(2, Outcome::NotUpheld)],
        )))
        .then_expect_error_message(
            "The points' decisions make the complaint partly upheld, not upheld; change a point's decision or leave the outcome to them.",
        );
}

fn complaint_resolved_with(outcome: Outcome) -> ComplaintChange {
    ComplaintChange::ComplaintResolved {
        outcome,
        decisions: vec![decision(1, Outcome::Upheld), decision(2, Outcome::Upheld)],
        reasons: REASONS.to_string(),
        remedy: None,
        redress_paid_cents: None,
    }
}

#[test]
fn a_complaint_recorded_before_points_existed_is_decided_as_a_whole() {
    let legacy = then(
        acknowledged(),
        vec![
            fact_recorded(),
            investigation_concluded(),
            action_committed(),
            owner_assigned(agent(), None),
        ],
    );
    given(legacy.clone())
        .when(command(decide(Some(Outcome::NotUpheld), vec![])))
        .then_expect_events(vec![event(ComplaintChange::ComplaintResolved {
            outcome: Outcome::NotUpheld,
            decisions: vec![],
            reasons: REASONS.to_string(),
            remedy: None,
            redress_paid_cents: None,
        })]);
    given(legacy.clone())
        .when(command(decide(None, vec![])))
        .then_expect_error(ComplaintError::OutcomeMissing);
    given(legacy)
        .when(command(decide(None, vec![decision(1, Outcome::Upheld)])))
        .then_expect_error(ComplaintError::NoPointsToDecide);
}

refusals! {
    a_point_left_undecided_is_refused:
        given owned(), when decide(None, vec![decision(1, Outcome::Upheld)]),
        then ComplaintError::PointsUndecided(vec![2]);
    a_point_that_does_not_exist_is_refused:
        given owned(),
        when decide(None, vec![decision(1, Outcome::Upheld), decision(2, Outcome::Upheld), decision(3, Outcome::Upheld)]),
        then ComplaintError::UnknownPoint(3);
    point_zero_is_refused:
        given owned(), when decide(None, vec![decision(0, Outcome::Upheld)]),
        then ComplaintError::UnknownPoint(0);
    a_point_decided_twice_is_refused:
        given owned(),
        when decide(None, vec![decision(1, Outcome::Upheld), decision(1, Outcome::NotUpheld)]),
        then ComplaintError::PointDecidedTwice(1);
    a_point_decided_without_reasons_is_refused:
        given owned(),
        when decide(None, vec![decision(1, Outcome::Upheld), PointDecision { point: 2, outcome: Outcome::NotUpheld, reasons: " ".into() }]),
        then ComplaintError::Empty { field: "The reasons for a point's decision" };
}

#[test]
fn the_refusal_names_every_point_left_undecided() {
    let history = then(
        acknowledged(),
        vec![ComplaintChange::PointsOfComplaintRecorded {
            points: vec![sealed("a"), sealed("b"), sealed("c")],
            sent: false,
        }],
    );
    let mut complaint = state(&history);
    for change in [
        fact_recorded(),
        investigation_concluded(),
        action_committed(),
    ] {
        complaint.apply(event(change));
    }
    complaint.apply(event(owner_assigned(agent(), None)));
    assert_eq!(
        ComplaintError::PointsUndecided(vec![2, 3]).to_string(),
        "Decide every point of complaint: points 2 and 3 are without a decision."
    );
    assert_eq!(complaint.points(), 3);
}

// ---------------------------------------------------------------------------------------
// Dates promised to the customer

#[test]
fn a_promised_date_after_the_resolution_is_due_is_refused() {
    let resolve_by = next_week();
    let later = resolve_by + chrono::Days::new(1);
    given(investigated())
        .when(command(ComplaintAction::CommitToAction {
            action: ACTION.to_string(),
            due_on: later,
            resolve_by: Some(resolve_by),
        }))
        .then_expect_error_message(&format!(
            "The date the action will be done by is {later}, after the complaint is due to be resolved ({resolve_by}); choose {resolve_by} or an earlier date."
        ));
    given(owned())
        .when(command(ComplaintAction::SendProgressUpdate {
            message: UPDATE.to_string(),
            next_update_on: later,
            resolve_by: Some(resolve_by),
        }))
        .then_expect_error(ComplaintError::DatePastResolution {
            field: "The date of the next update",
            date: later,
            resolve_by,
        });
    // On the day itself, it goes.
    given(owned())
        .when(command(ComplaintAction::SendProgressUpdate {
            message: UPDATE.to_string(),
            next_update_on: resolve_by,
            resolve_by: Some(resolve_by),
        }))
        .then_expect_events(vec![event(update_sent_for(resolve_by))]);
}

refusals! {
    a_next_update_date_in_the_past_is_refused:
        given owned(), when send_update_for(yesterday()),
        then ComplaintError::DateInPast { field: "The date of the next update", date: yesterday(), today: today() };
    a_commitment_date_in_the_past_is_refused:
        given investigated(), when commit_by(yesterday()),
        then ComplaintError::DateInPast { field: "The date the action will be done by", date: yesterday(), today: today() };
}

// ---------------------------------------------------------------------------------------
// Replies, notes and files

#[test]
fn a_reply_is_recorded_sealed_with_its_files() {
    given(acknowledged())
        .when(command(reply()))
        .then_expect_events(vec![event(reply_sent())]);
}

#[test]
fn a_reply_is_possible_at_any_step_until_closure() {
    for history in [received(), acknowledged(), owned(), waiting(), resolved()] {
        given(history)
            .when(command(reply()))
            .then_expect_events(vec![event(reply_sent())]);
    }
}

#[test]
fn an_internal_note_names_each_colleague_it_mentions_once_even_on_a_closed_complaint() {
    given(closed())
        .when(command(ComplaintAction::AddInternalNote {
            note: format!("  {NOTE} "),
            mentions: vec![other_agent(), other_agent()],
        }))
        .then_expect_events(vec![event(note_added())]);
}

#[test]
fn the_customer_adds_files() {
    given(acknowledged())
        .when(command_by(Actor::Customer, attach_files()))
        .then_expect_events(vec![event_by(Actor::Customer, files_attached())]);
}

refusals! {
    an_empty_reply_is_refused:
        given acknowledged(),
        when ComplaintAction::SendReply { message: " \n ".into(), attachments: vec![], saved_reply: None },
        then ComplaintError::Empty { field: "The reply" };
    a_reply_to_a_closed_complaint_is_refused:
        given closed(), when reply(),
        then ComplaintError::Closed { action: "reply to the customer" };
    a_reply_after_erasure_is_refused:
        given erased(acknowledged()), when reply(),
        then ComplaintError::PersonalDataErased;
    a_reply_with_too_many_files_is_refused:
        given acknowledged(),
        when ComplaintAction::SendReply { message: REPLY.into(), attachments: vec![attachment(); MAX_FILES + 1], saved_reply: None },
        then ComplaintError::TooManyFiles { max: 20 };
    an_empty_note_is_refused:
        given acknowledged(),
        when ComplaintAction::AddInternalNote { note: "".into(), mentions: vec![] },
        then ComplaintError::Empty { field: "The note" };
    no_files_are_refused:
        given acknowledged(), when ComplaintAction::AttachFiles { files: vec![] },
        then ComplaintError::Empty { field: "The files" };
    files_cannot_be_added_to_a_closed_complaint:
        given closed(), when attach_files(),
        then ComplaintError::Closed { action: "add files" };
}

// ---------------------------------------------------------------------------------------
// Who may read what

/// A complaint with every kind of event, staff's and the customer's.
fn everything() -> Vec<ComplaintEvent> {
    let mut history = received();
    let staff = |change| event(change);
    let customer = |change| event_by(Actor::Customer, change);
    history.extend([
        staff(acknowledged_change()),
        staff(statement_recorded()),
        staff(ComplaintChange::CustomerStatementRecorded {
            channel: Channel::Phone,
            statement: sealed("Our summary: two charges."),
            shared: true,
        }),
        customer(ComplaintChange::CustomerStatementRecorded {
            channel: Channel::WebForm,
            statement: sealed("Their own words."),
            shared: false,
        }),
        staff(ComplaintChange::PointsOfComplaintRecorded {
            points: vec![sealed("Unsent point.")],
            sent: false,
        }),
        staff(points_recorded()),
        staff(fact_recorded()),
        staff(note_added()),
        staff(investigation_concluded()),
        staff(action_committed()),
        staff(owner_assigned(agent(), None)),
        staff(update_sent()),
        staff(communication_recorded()),
        staff(reply_sent()),
        staff(waiting_change()),
        customer(customer_responded()),
        customer(files_attached()),
        staff(complaint_resolved()),
        staff(ComplaintChange::ComplaintClosed),
        customer(satisfaction_recorded(5)),
        staff(complaint_reopened()),
        staff(ComplaintChange::BreachCauseRecorded {
            clock: redress_domain::SlaClock::Resolve,
            cycle: 1,
            cause: "Nobody watched the queue.".into(),
        }),
    ]);
    history
}

/// Every text the customer may read, sealed or not, as the entries give them.
fn customer_texts(events: &[ComplaintEvent]) -> Vec<String> {
    let mut texts = Vec::new();
    let mut sealed = |s: &Sealed| texts.push(s.0.clone());
    let mut clear = Vec::new();
    for entry in for_customer(events) {
        match entry.said {
            Said::Complaint {
                description,
                remedy_requested,
                ..
            } => {
                sealed(description);
                remedy_requested.into_iter().for_each(&mut sealed);
            }
            Said::TheirWords(words) | Said::OurSummary(words) => sealed(words),
            Said::Points(points) => points.iter().for_each(&mut sealed),
            Said::Reply {
                message,
                attachments,
            } => {
                sealed(message);
                attachments.iter().for_each(|f| sealed(&f.name));
            }
            Said::Files(files) => files.iter().for_each(|f| sealed(&f.name)),
            Said::Rating {
                comment,
                would_change,
                ..
            } => {
                comment.into_iter().for_each(&mut sealed);
                would_change.into_iter().for_each(&mut sealed);
            }
            Said::Outcome {
                reasons,
                remedy,
                decisions,
                ..
            } => {
                clear.push(reasons.to_string());
                clear.extend(remedy.map(str::to_string));
                for (decision, point) in decisions {
                    clear.push(decision.reasons.clone());
                    point.into_iter().for_each(&mut sealed);
                }
            }
            Said::Apology(text) | Said::Owner(text) | Said::Request(text) => {
                clear.push(text.to_string())
            }
            Said::Commitment { action, .. } => clear.push(action.to_string()),
            Said::Update { message, .. } => clear.push(message.to_string()),
            Said::Reopened | Said::Closed => {}
            Said::Merged(survivor) => clear.push(survivor.to_string()),
        }
    }
    texts.extend(clear);
    texts
}

#[test]
fn the_customer_reads_what_was_meant_for_them_and_nothing_staff_meant_for_each_other() {
    let events = everything();
    let texts = customer_texts(&events).join("\n");
    for meant_for_them in [
        DESCRIPTION,
        APOLOGY,
        "Our summary: two charges.",
        "Their own words.",
        POINTS[0],
        POINT_REASONS[1],
        ACTION,
        UPDATE,
        REPLY,
        REQUEST,
        RESPONSE,
        FILE_NAME,
        REASONS,
        COMMENT,
    ] {
        assert!(texts.contains(meant_for_them), "missing: {meant_for_them}");
    }
    for staff_only in [
        STATEMENT,
        "Unsent point.",
        FACT,
        SOURCE,
        FINDINGS,
        NOTE,
        COMMUNICATION,
        REOPEN_REASON,
        "Nobody watched the queue.",
        SUMMARY,
        CATEGORY,
    ] {
        assert!(
            !texts.contains(staff_only),
            "shown to the customer: {staff_only}"
        );
    }
}

#[test]
fn each_point_of_the_outcome_is_paired_with_the_point_as_recorded() {
    let events = everything();
    let outcome = for_customer(&events)
        .into_iter()
        .find_map(|entry| match entry.said {
            Said::Outcome { decisions, .. } => Some(decisions),
            _ => None,
        })
        .expect("the outcome is for the customer");
    let points: Vec<&str> = outcome
        .iter()
        .map(|(_, point)| point.map_or("", |p| p.0.as_str()))
        .collect();
    assert_eq!(points, [sealed(POINTS[0]).0, sealed(POINTS[1]).0]);
}

#[test]
fn staff_pages_mark_what_is_for_staff_only() {
    let events = everything();
    let of = |change: &ComplaintChange| {
        let index = events.iter().position(|e| &e.change == change).unwrap();
        audience(&events[index], events.get(index + 1))
    };
    assert_eq!(of(&note_added()), Audience::Staff);
    assert_eq!(of(&fact_recorded()), Audience::Staff);
    assert_eq!(of(&statement_recorded()), Audience::Staff);
    assert_eq!(of(&communication_recorded()), Audience::Staff);
    assert_eq!(of(&reply_sent()), Audience::Customer);
    assert_eq!(of(&points_recorded()), Audience::Customer);
    assert_eq!(of(&acknowledged_change()), Audience::Customer);
}

#[test]
fn an_email_from_someone_else_is_not_the_customer_speaking() {
    let email = |sender: Option<Sealed>| ComplaintChange::EmailReceived {
        id: uuid::Uuid::from_u128(9),
        subject: sealed("Re: your complaint"),
        sender,
        attachments: vec![attached_file()],
        refused: vec![],
    };
    let words = ComplaintChange::CommunicationRecorded {
        direction: Direction::Inbound,
        channel: Channel::Email,
        summary: sealed("From the neighbour."),
    };
    let from_elsewhere: Vec<ComplaintEvent> = received()
        .into_iter()
        .chain([
            event_by(Actor::Customer, words.clone()),
            event_by(
                Actor::Customer,
                email(Some(sealed("neighbour@example.com"))),
            ),
        ])
        .collect();
    let texts = customer_texts(&from_elsewhere).join("\n");
    assert!(!texts.contains("From the neighbour."));
    assert!(
        !texts.contains(FILE_NAME),
        "their files are not the customer's"
    );
    let from_them: Vec<ComplaintEvent> = received()
        .into_iter()
        .chain([
            event_by(Actor::Customer, words),
            event_by(Actor::Customer, email(None)),
        ])
        .collect();
    let texts = customer_texts(&from_them).join("\n");
    assert!(texts.contains("From the neighbour."));
    assert!(texts.contains(FILE_NAME));
}
