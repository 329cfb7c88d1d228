//! The Complaint aggregate, command by command: given the events so far, when a command is
//! handled, then exactly these events are recorded, or the command is refused with this error.

mod support;

use chrono::{Days, TimeZone, Utc};
use cqrs_es::test::{AggregateTestExecutor, TestFramework};
use cqrs_es::{Aggregate, DomainEvent};
use redress_domain::{
    Actor, Channel, CompanyId, Complaint, ComplaintAction, ComplaintChange, ComplaintError,
    ComplaintEvent, ComplaintServices, Direction, EVENT_VERSION, Language, ManualClock,
    NewComplaint, Outcome, Priority, Progress, SealedCustomer, Status, Step, Tier,
};
use support::*;

// ---------------------------------------------------------------------------------------
// Helpers

fn given(history: Vec<ComplaintEvent>) -> AggregateTestExecutor<Complaint> {
    given_with(services(), history)
}

fn given_with(
    services: ComplaintServices,
    history: Vec<ComplaintEvent>,
) -> AggregateTestExecutor<Complaint> {
    TestFramework::<Complaint>::with(services).given(history)
}

fn given_nothing() -> AggregateTestExecutor<Complaint> {
    TestFramework::<Complaint>::with(services()).given_no_previous_events()
}

/// The aggregate after `history`, built the way the repository builds it.
fn state(history: Vec<ComplaintEvent>) -> Complaint {
    let mut complaint = Complaint::default();
    for event in history {
        complaint.apply(event);
    }
    complaint
}

/// A received complaint, with one detail of the standard one changed.
fn receive_with(change: impl FnOnce(&mut NewComplaint)) -> ComplaintAction {
    let mut new = new_complaint();
    change(&mut new);
    ComplaintAction::Receive(Box::new(new))
}

/// Only whitespace.
const BLANK: &str = " \t\n ";

fn padded(text: &str) -> String {
    format!("  \t{text} \n ")
}

fn too_long(max: usize) -> String {
    "x".repeat(max + 1)
}

/// The variant's name, from its debug form.
fn action_name(action: &ComplaintAction) -> String {
    format!("{action:?}")
        .split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The actions (of every action but receiving) that `history` accepts.
fn accepted_after(history: &[ComplaintEvent]) -> Vec<String> {
    every_action_but_receive()
        .into_iter()
        .filter_map(|action| {
            let name = action_name(&action);
            given(history.to_vec())
                .when(command(action))
                .inspect_result()
                .ok()
                .map(|_| name)
        })
        .collect()
}

/// One test per refusal: given the history, when the agent asks for the action, then the
/// command is refused with exactly this error (and so records nothing).
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

// ---------------------------------------------------------------------------------------
// Receive

#[test]
fn a_complaint_is_received_with_the_customers_personal_data_sealed() {
    given_nothing()
        .when(command_by(Actor::Customer, receive()))
        .then_expect_events(vec![event_by(Actor::Customer, complaint_received())]);
}

#[test]
fn a_received_complaint_is_dated_by_the_clock_and_credited_to_whoever_entered_it() {
    let at = Utc.with_ymd_and_hms(2025, 6, 1, 8, 15, 42).unwrap();
    let clerk = Actor::System {
        name: "api".to_string(),
    };
    TestFramework::<Complaint>::with(services_at(ManualClock::at(at)))
        .given_no_previous_events()
        .when(command_by(clerk.clone(), receive()))
        .then_expect_events(vec![ComplaintEvent {
            occurred_at: at,
            by: clerk,
            change: complaint_received(),
        }]);
}

#[test]
fn every_text_of_a_received_complaint_is_stored_trimmed() {
    given_nothing()
        .when(command_by(
            Actor::Customer,
            receive_with(|new| {
                new.customer.name = padded(NAME);
                new.customer.phone = Some(padded(PHONE));
                new.company = Some(padded(COMPANY));
                new.category = padded(CATEGORY);
                new.summary = padded(SUMMARY);
                new.description = padded(DESCRIPTION);
                new.remedy_requested = Some(padded(REMEDY_REQUESTED));
            }),
        ))
        .then_expect_events(vec![event_by(Actor::Customer, complaint_received())]);
}

#[test]
fn a_complaint_without_phone_company_or_remedy_records_none_for_them() {
    given_nothing()
        .when(command_by(
            Actor::Customer,
            receive_with(|new| {
                new.customer.phone = Some(BLANK.to_string());
                new.company = None;
                new.remedy_requested = Some(String::new());
                new.channel = Channel::Email;
                new.priority = Priority::Urgent;
                new.customer.language = Language::Zh;
                new.tier = Tier::KeyAccount;
            }),
        ))
        .then_expect_events(vec![event_by(
            Actor::Customer,
            ComplaintChange::ComplaintReceived {
                reference: reference(),
                customer: SealedCustomer {
                    id: customer(),
                    name: sealed(NAME),
                    email: Some(sealed(EMAIL_PARSED)),
                    phone: None,
                },
                language: Language::Zh,
                company: None,
                tier: Tier::KeyAccount,
                channel: Channel::Email,
                category: CATEGORY.to_string(),
                summary: SUMMARY.to_string(),
                description: sealed(DESCRIPTION),
                remedy_requested: None,
                priority: Priority::Urgent,
            },
        )]);
}

#[test]
fn the_personal_data_of_a_complaint_is_sealed_with_the_key_of_the_customer_with_that_email() {
    let events = given_nothing()
        .when(command(receive_with(|new| {
            new.customer.email =
                Some(redress_domain::CustomerEmail::parse("wei@example.cn").unwrap());
        })))
        .inspect_result()
        .unwrap();
    let ComplaintChange::ComplaintReceived {
        customer: sealed_customer,
        description,
        ..
    } = &events[0].change
    else {
        panic!("expected ComplaintReceived, got {events:?}");
    };
    let wei = customer_for("wei@example.cn");
    assert_ne!(wei, customer());
    assert_eq!(sealed_customer.id, wei);
    assert_eq!(
        sealed_customer.email,
        Some(sealed_for(wei, "wei@example.cn"))
    );
    assert_eq!(*description, sealed_for(wei, DESCRIPTION));
}

#[test]
fn a_receipt_written_before_tiers_existed_reads_as_standard() {
    let mut json = serde_json::to_value(&received()[0]).unwrap();
    let change = &mut json["change"]["ComplaintReceived"];
    assert_eq!(change["tier"], "standard");
    change.as_object_mut().unwrap().remove("tier");
    let old: ComplaintEvent = serde_json::from_value(json).unwrap();
    let ComplaintChange::ComplaintReceived { tier, .. } = old.change else {
        panic!("expected ComplaintReceived");
    };
    assert_eq!(tier, Tier::Standard);
}

#[test]
fn a_company_is_one_file_however_its_name_is_typed() {
    let id = CompanyId::for_name("Acme Ltd");
    assert_eq!(CompanyId::for_name("  ACME   ltd "), id);
    assert_eq!(CompanyId::for_name("acme\tltd"), id);
    assert_ne!(CompanyId::for_name("Acme Ltd."), id);
    assert_ne!(CompanyId::for_name("Acme"), id);
    // Stable across releases: files and URLs depend on it.
    assert_eq!(
        CompanyId::for_name("Acme Ltd").to_string(),
        id.0.to_string()
    );
    assert_eq!(id.0.get_version_num(), 5);
}

#[test]
fn limits_are_counted_in_characters_not_bytes() {
    let name = "ă".repeat(200);
    let category = "中".repeat(200);
    let events = given_nothing()
        .when(command(receive_with(|new| {
            new.customer.name = name.clone();
            new.category = category.clone();
        })))
        .inspect_result()
        .unwrap();
    let ComplaintChange::ComplaintReceived {
        customer: sealed_customer,
        category: recorded_category,
        ..
    } = &events[0].change
    else {
        panic!("expected ComplaintReceived, got {events:?}");
    };
    assert_eq!(sealed_customer.name, sealed(&name));
    assert_eq!(*recorded_category, category);
}

#[test]
fn a_complaint_cannot_be_received_twice_under_one_reference() {
    given(received())
        .when(command(receive()))
        .then_expect_error_message("A complaint with this reference has already been received.");
}

#[test]
fn a_multi_line_summary_is_refused_as_not_one_line() {
    given_nothing()
        .when(command(receive_with(|new| {
            new.summary = "Parcel arrived\ncrushed".to_string();
        })))
        .then_expect_error_message("The summary must fit on one line; remove the line breaks.");
}

#[test]
fn a_complaint_without_the_customers_name_is_refused_in_words_an_agent_understands() {
    given_nothing()
        .when(command(receive_with(|new| {
            new.customer.name = BLANK.to_string();
        })))
        .then_expect_error_message("The customer's name must not be empty.");
}

refusals! {
    a_complaint_with_a_blank_category_is_refused:
        given vec![], when receive_with(|new| new.category = BLANK.to_string()),
        then ComplaintError::Empty { field: "The category" };
    a_complaint_with_a_blank_summary_is_refused:
        given vec![], when receive_with(|new| new.summary = String::new()),
        then ComplaintError::Empty { field: "The summary" };
    a_complaint_with_a_blank_description_is_refused:
        given vec![], when receive_with(|new| new.description = BLANK.to_string()),
        then ComplaintError::Empty { field: "What happened" };
    a_complaint_with_a_name_over_200_characters_is_refused:
        given vec![], when receive_with(|new| new.customer.name = too_long(200)),
        then ComplaintError::TooLong { field: "The customer's name", max: 200 };
    a_complaint_with_a_phone_number_over_40_characters_is_refused:
        given vec![], when receive_with(|new| new.customer.phone = Some(too_long(40))),
        then ComplaintError::TooLong { field: "The phone number", max: 40 };
    a_complaint_with_a_company_over_200_characters_is_refused:
        given vec![], when receive_with(|new| new.company = Some(too_long(200))),
        then ComplaintError::TooLong { field: "The company", max: 200 };
    a_complaint_with_a_category_over_200_characters_is_refused:
        given vec![], when receive_with(|new| new.category = too_long(200)),
        then ComplaintError::TooLong { field: "The category", max: 200 };
    a_complaint_with_a_summary_over_200_characters_is_refused:
        given vec![], when receive_with(|new| new.summary = too_long(200)),
        then ComplaintError::TooLong { field: "The summary", max: 200 };
    a_complaint_with_a_description_over_20000_characters_is_refused:
        given vec![], when receive_with(|new| new.description = too_long(20_000)),
        then ComplaintError::TooLong { field: "What happened", max: 20_000 };
    a_complaint_with_a_requested_remedy_over_20000_characters_is_refused:
        given vec![], when receive_with(|new| new.remedy_requested = Some(too_long(20_000))),
        then ComplaintError::TooLong { field: "What the customer would like", max: 20_000 };
}

#[test]
fn a_complaint_is_not_received_when_the_vault_cannot_find_the_customer() {
    given_with(vault_down(), vec![])
        .when(command(receive()))
        .then_expect_error_message(&format!(
            "Personal data could not be sealed, so nothing was saved: {STORAGE_FAILURE}"
        ));
}

#[test]
fn a_complaint_is_not_received_when_the_vault_cannot_seal() {
    given_with(sealing_fails(Failure::Storage), vec![])
        .when(command(receive()))
        .then_expect_error(ComplaintError::Sealing(STORAGE_FAILURE.to_string()));
}

#[test]
fn a_complaint_is_not_received_for_a_customer_whose_key_has_been_erased() {
    given_with(sealing_fails(Failure::Erased), vec![])
        .when(command(receive()))
        .then_expect_error(ComplaintError::PersonalDataErased);
}

// ---------------------------------------------------------------------------------------
// Step 1: acknowledge

#[test]
fn a_received_complaint_is_acknowledged_with_an_apology() {
    given(received())
        .when(command(acknowledge()))
        .then_expect_events(vec![event(acknowledged_change())]);
}

#[test]
fn the_apology_is_stored_trimmed() {
    given(received())
        .when(command(ComplaintAction::Acknowledge {
            apology: padded(APOLOGY),
        }))
        .then_expect_events(vec![event(acknowledged_change())]);
}

#[test]
fn a_complaint_cannot_be_acknowledged_twice() {
    given(acknowledged())
        .when(command(acknowledge()))
        .then_expect_error_message("The complaint has already been acknowledged.");
}

refusals! {
    a_blank_apology_is_refused:
        given received(), when ComplaintAction::Acknowledge { apology: BLANK.to_string() },
        then ComplaintError::Empty { field: "The apology" };
    an_apology_over_20000_characters_is_refused:
        given received(), when ComplaintAction::Acknowledge { apology: too_long(20_000) },
        then ComplaintError::TooLong { field: "The apology", max: 20_000 };
    a_resolved_complaint_cannot_be_acknowledged_again:
        given resolved(), when acknowledge(),
        then ComplaintError::AlreadyAcknowledged;
}

// ---------------------------------------------------------------------------------------
// Step 2: what the customer said

#[test]
fn what_the_customer_said_is_recorded_sealed_even_before_the_acknowledgement() {
    given(received())
        .when(command(record_statement()))
        .then_expect_events(vec![event(statement_recorded())]);
}

#[test]
fn what_the_customer_said_is_sealed_trimmed() {
    given(acknowledged())
        .when(command(ComplaintAction::RecordCustomerStatement {
            channel: Channel::Phone,
            statement: padded(STATEMENT),
            shared: false,
        }))
        .then_expect_events(vec![event(statement_recorded())]);
}

#[test]
fn what_the_customer_said_is_not_recorded_when_the_vault_cannot_seal_it() {
    given_with(sealing_fails(Failure::Storage), acknowledged())
        .when(command(record_statement()))
        .then_expect_error(ComplaintError::Sealing(STORAGE_FAILURE.to_string()));
}

#[test]
fn what_the_customer_said_is_not_recorded_when_the_vault_says_their_key_is_erased() {
    given_with(sealing_fails(Failure::Erased), acknowledged())
        .when(command(record_statement()))
        .then_expect_error(ComplaintError::PersonalDataErased);
}

refusals! {
    a_blank_statement_is_refused:
        given received(),
        when ComplaintAction::RecordCustomerStatement { channel: Channel::Email, statement: BLANK.to_string(), shared: false },
        then ComplaintError::Empty { field: "What the customer said" };
    a_statement_over_20000_characters_is_refused:
        given received(),
        when ComplaintAction::RecordCustomerStatement { channel: Channel::Email, statement: too_long(20_000), shared: false },
        then ComplaintError::TooLong { field: "What the customer said", max: 20_000 };
}

// ---------------------------------------------------------------------------------------
// Step 3: establish the facts

#[test]
fn a_fact_is_recorded_with_its_source_once_the_complaint_is_acknowledged() {
    given(acknowledged())
        .when(command(record_fact()))
        .then_expect_events(vec![event(fact_recorded())]);
}

#[test]
fn more_facts_can_be_recorded_until_the_investigation_is_concluded() {
    given(with_a_fact())
        .when(command(record_fact()))
        .then_expect_events(vec![event(fact_recorded())]);
}

#[test]
fn a_fact_and_its_source_are_stored_trimmed() {
    given(acknowledged())
        .when(command(ComplaintAction::RecordFact {
            fact: padded(FACT),
            source: Some(padded(SOURCE)),
        }))
        .then_expect_events(vec![event(fact_recorded())]);
}

#[test]
fn a_fact_with_a_blank_source_is_recorded_without_one() {
    given(acknowledged())
        .when(command(ComplaintAction::RecordFact {
            fact: FACT.to_string(),
            source: Some(BLANK.to_string()),
        }))
        .then_expect_events(vec![event(ComplaintChange::FactRecorded {
            fact: FACT.to_string(),
            source: None,
        })]);
}

#[test]
fn a_fact_cannot_be_recorded_before_the_complaint_is_acknowledged() {
    given(received())
        .when(command(record_fact()))
        .then_expect_error_message(
            "The complaint must be acknowledged with an apology (step 1) before you can record facts.",
        );
}

#[test]
fn a_fact_cannot_be_recorded_once_the_investigation_is_concluded() {
    given(investigated())
        .when(command(record_fact()))
        .then_expect_error_message(
            "The investigation has already been concluded; reopen the complaint to record new facts.",
        );
}

refusals! {
    a_blank_fact_is_refused:
        given acknowledged(), when ComplaintAction::RecordFact { fact: BLANK.to_string(), source: None },
        then ComplaintError::Empty { field: "The fact" };
    a_fact_over_20000_characters_is_refused:
        given acknowledged(), when ComplaintAction::RecordFact { fact: too_long(20_000), source: None },
        then ComplaintError::TooLong { field: "The fact", max: 20_000 };
    a_source_over_200_characters_is_refused:
        given acknowledged(),
        when ComplaintAction::RecordFact { fact: FACT.to_string(), source: Some(too_long(200)) },
        then ComplaintError::TooLong { field: "The source", max: 200 };
}

#[test]
fn the_investigation_is_concluded_with_findings_after_a_fact() {
    given(with_a_fact())
        .when(command(conclude()))
        .then_expect_events(vec![event(investigation_concluded())]);
}

#[test]
fn the_findings_are_stored_trimmed() {
    given(with_a_fact())
        .when(command(ComplaintAction::ConcludeInvestigation {
            findings: padded(FINDINGS),
        }))
        .then_expect_events(vec![event(investigation_concluded())]);
}

#[test]
fn the_investigation_cannot_be_concluded_without_a_fact() {
    given(listened())
        .when(command(conclude()))
        .then_expect_error_message(
            "Record at least one fact (step 3) before concluding the investigation.",
        );
}

refusals! {
    the_investigation_cannot_be_concluded_before_the_complaint_is_acknowledged:
        given received(), when conclude(),
        then ComplaintError::NotAcknowledged { action: "conclude the investigation" };
    the_investigation_cannot_be_concluded_twice:
        given investigated(), when conclude(),
        then ComplaintError::InvestigationAlreadyConcluded;
    blank_findings_are_refused:
        given with_a_fact(), when ComplaintAction::ConcludeInvestigation { findings: BLANK.to_string() },
        then ComplaintError::Empty { field: "The findings" };
    findings_over_20000_characters_are_refused:
        given with_a_fact(), when ComplaintAction::ConcludeInvestigation { findings: too_long(20_000) },
        then ComplaintError::TooLong { field: "The findings", max: 20_000 };
}

// ---------------------------------------------------------------------------------------
// Step 4: commit to action

#[test]
fn an_action_is_committed_to_by_a_date_once_the_investigation_is_concluded() {
    given(investigated())
        .when(command(commit()))
        .then_expect_events(vec![event(action_committed())]);
}

#[test]
fn an_action_can_be_committed_to_for_today() {
    given(investigated())
        .when(command(commit_by(today())))
        .then_expect_events(vec![event(action_committed_by(today()))]);
}

#[test]
fn the_action_is_stored_trimmed() {
    given(investigated())
        .when(command(ComplaintAction::CommitToAction {
            action: padded(ACTION),
            due_on: next_week(),
            resolve_by: None,
        }))
        .then_expect_events(vec![event(action_committed())]);
}

#[test]
fn a_commitment_can_be_revised() {
    let later = next_week() + Days::new(7);
    given(committed())
        .when(command(ComplaintAction::CommitToAction {
            action: "Refund the vase instead.".to_string(),
            due_on: later,
            resolve_by: None,
        }))
        .then_expect_events(vec![event(ComplaintChange::ActionCommitted {
            action: "Refund the vase instead.".to_string(),
            due_on: later,
        })]);
}

#[test]
fn an_action_cannot_be_committed_to_for_a_date_in_the_past() {
    given(investigated())
        .when(command(commit_by(yesterday())))
        .then_expect_error_message(
            "The date the action will be done by is 2025-03-13, which is in the past; \
             choose today (2025-03-14) or a later date.",
        );
}

#[test]
fn today_is_the_date_of_the_clock_the_command_is_handled_with() {
    let clock = ManualClock::at(now());
    clock.set(Utc.with_ymd_and_hms(2025, 3, 15, 0, 0, 1).unwrap());
    let tomorrow = today() + Days::new(1);
    given_with(services_at(clock), investigated())
        .when(command(commit_by(today())))
        .then_expect_error(ComplaintError::DateInPast {
            field: "The date the action will be done by",
            date: today(),
            today: tomorrow,
        });
}

#[test]
fn an_action_cannot_be_committed_to_before_the_investigation_is_concluded() {
    given(with_a_fact())
        .when(command(commit()))
        .then_expect_error_message(
            "Facts must be established and the investigation concluded (step 3) before committing to an action.",
        );
}

refusals! {
    an_action_cannot_be_committed_to_before_any_fact_is_established:
        given acknowledged(), when commit(),
        then ComplaintError::InvestigationNotConcluded;
    an_action_cannot_be_committed_to_before_the_complaint_is_acknowledged:
        given received(), when commit(),
        then ComplaintError::NotAcknowledged { action: "commit to an action" };
    a_blank_action_is_refused:
        given investigated(),
        when ComplaintAction::CommitToAction { action: BLANK.to_string(), due_on: next_week(), resolve_by: None },
        then ComplaintError::Empty { field: "The action" };
    an_action_over_20000_characters_is_refused:
        given investigated(),
        when ComplaintAction::CommitToAction { action: too_long(20_000), due_on: next_week(), resolve_by: None },
        then ComplaintError::TooLong { field: "The action", max: 20_000 };
}

// ---------------------------------------------------------------------------------------
// Step 5: name the owner

#[test]
fn an_owner_can_be_named_even_before_the_acknowledgement() {
    given(received())
        .when(command(assign(agent())))
        .then_expect_events(vec![event(owner_assigned(agent(), None))]);
}

#[test]
fn a_new_owner_is_recorded_with_the_previous_one() {
    given(owned())
        .when(command(assign(other_agent())))
        .then_expect_events(vec![event(owner_assigned(other_agent(), Some(agent())))]);
}

#[test]
fn the_owners_name_is_stored_trimmed() {
    let mut owner = agent();
    owner.name = padded(&owner.name);
    given(received())
        .when(command(assign(owner)))
        .then_expect_events(vec![event(owner_assigned(agent(), None))]);
}

#[test]
fn the_current_owner_cannot_be_named_again() {
    given(owned())
        .when(command(assign(agent())))
        .then_expect_error_message("Ioana Marin is already responsible for this complaint.");
}

refusals! {
    an_owner_with_a_blank_name_is_refused:
        given received(),
        when assign(redress_domain::StaffMember { id: agent().id, name: BLANK.to_string() }),
        then ComplaintError::Empty { field: "The owner's name" };
    an_owner_with_a_name_over_200_characters_is_refused:
        given received(),
        when assign(redress_domain::StaffMember { id: agent().id, name: too_long(200) }),
        then ComplaintError::TooLong { field: "The owner's name", max: 200 };
}

// ---------------------------------------------------------------------------------------
// Step 6: keep the customer informed

#[test]
fn a_progress_update_is_sent_with_the_date_of_the_next_one() {
    given(acknowledged())
        .when(command(send_update()))
        .then_expect_events(vec![event(update_sent())]);
}

#[test]
fn the_next_update_can_be_promised_for_today() {
    given(owned())
        .when(command(send_update_for(today())))
        .then_expect_events(vec![event(update_sent_for(today()))]);
}

#[test]
fn a_progress_update_is_stored_trimmed() {
    given(acknowledged())
        .when(command(ComplaintAction::SendProgressUpdate {
            message: padded(UPDATE),
            next_update_on: next_week(),
            resolve_by: None,
        }))
        .then_expect_events(vec![event(update_sent())]);
}

#[test]
fn the_next_update_cannot_be_promised_for_a_date_in_the_past() {
    given(acknowledged())
        .when(command(send_update_for(yesterday())))
        .then_expect_error_message(
            "The date of the next update is 2025-03-13, which is in the past; \
             choose today (2025-03-14) or a later date.",
        );
}

refusals! {
    a_progress_update_cannot_be_sent_before_the_complaint_is_acknowledged:
        given received(), when send_update(),
        then ComplaintError::NotAcknowledged { action: "send a progress update" };
    a_blank_progress_update_is_refused:
        given acknowledged(),
        when ComplaintAction::SendProgressUpdate { message: BLANK.to_string(), next_update_on: next_week(), resolve_by: None },
        then ComplaintError::Empty { field: "The update" };
    a_progress_update_over_20000_characters_is_refused:
        given acknowledged(),
        when ComplaintAction::SendProgressUpdate { message: too_long(20_000), next_update_on: next_week(), resolve_by: None },
        then ComplaintError::TooLong { field: "The update", max: 20_000 };
}

// ---------------------------------------------------------------------------------------
// Waiting on the customer

#[test]
fn the_complaint_waits_on_the_customer_for_what_was_asked() {
    given(acknowledged())
        .when(command(wait_on_customer()))
        .then_expect_events(vec![event(waiting_change())]);
}

#[test]
fn what_is_asked_of_the_customer_is_stored_trimmed() {
    given(acknowledged())
        .when(command(ComplaintAction::WaitOnCustomer {
            request: padded(REQUEST),
        }))
        .then_expect_events(vec![event(waiting_change())]);
}

#[test]
fn a_complaint_already_waiting_on_the_customer_cannot_wait_again() {
    given(waiting())
        .when(command(wait_on_customer()))
        .then_expect_error_message("The complaint is already waiting on the customer.");
}

refusals! {
    the_customer_cannot_be_asked_for_something_before_the_acknowledgement:
        given received(), when wait_on_customer(),
        then ComplaintError::NotAcknowledged { action: "ask the customer for something" };
    a_blank_request_to_the_customer_is_refused:
        given acknowledged(), when ComplaintAction::WaitOnCustomer { request: BLANK.to_string() },
        then ComplaintError::Empty { field: "What we ask the customer for" };
    a_request_to_the_customer_over_20000_characters_is_refused:
        given acknowledged(), when ComplaintAction::WaitOnCustomer { request: too_long(20_000) },
        then ComplaintError::TooLong { field: "What we ask the customer for", max: 20_000 };
}

#[test]
fn the_customers_response_is_recorded_sealed_and_ends_the_wait() {
    given(waiting())
        .when(command_by(Actor::Customer, record_response()))
        .then_expect_events(vec![event_by(Actor::Customer, customer_responded())]);
}

#[test]
fn the_customers_response_is_sealed_trimmed() {
    given(waiting())
        .when(command(ComplaintAction::RecordCustomerResponse {
            response: padded(RESPONSE),
        }))
        .then_expect_events(vec![event(customer_responded())]);
}

#[test]
fn a_response_is_refused_when_nothing_was_asked_of_the_customer() {
    given(acknowledged())
        .when(command(record_response()))
        .then_expect_error_message(
            "The complaint is not waiting on the customer; record what they said as a contact instead.",
        );
}

#[test]
fn the_customers_response_is_not_recorded_when_the_vault_cannot_seal_it() {
    given_with(sealing_fails(Failure::Storage), waiting())
        .when(command(record_response()))
        .then_expect_error(ComplaintError::Sealing(STORAGE_FAILURE.to_string()));
}

refusals! {
    a_response_is_refused_once_the_customer_has_answered:
        given then(waiting(), vec![customer_responded()]), when record_response(),
        then ComplaintError::NotWaiting;
    a_response_is_refused_once_the_resolution_has_ended_the_wait:
        given then(waiting(), vec![complaint_resolved()]), when record_response(),
        then ComplaintError::NotWaiting;
    a_blank_response_is_refused:
        given waiting(), when ComplaintAction::RecordCustomerResponse { response: BLANK.to_string() },
        then ComplaintError::Empty { field: "The customer's response" };
    a_response_over_20000_characters_is_refused:
        given waiting(), when ComplaintAction::RecordCustomerResponse { response: too_long(20_000) },
        then ComplaintError::TooLong { field: "The customer's response", max: 20_000 };
}

// ---------------------------------------------------------------------------------------
// Resolve

#[test]
fn a_complaint_with_facts_a_commitment_and_an_owner_is_resolved_with_reasons() {
    given(owned())
        .when(command(resolve()))
        .then_expect_events(vec![event(complaint_resolved())]);
}

#[test]
fn the_reasons_and_remedy_are_stored_trimmed_and_a_blank_remedy_is_none() {
    given(owned())
        .when(command(ComplaintAction::Resolve {
            outcome: None,
            decisions: decisions([Outcome::Upheld, Outcome::NotUpheld]),
            reasons: padded(REASONS),
            remedy: Some(BLANK.to_string()),
            redress_paid_cents: None,
        }))
        .then_expect_events(vec![event(ComplaintChange::ComplaintResolved {
            outcome: Outcome::PartlyUpheld,
            decisions: decisions([Outcome::Upheld, Outcome::NotUpheld]),
            reasons: REASONS.to_string(),
            remedy: None,
            redress_paid_cents: None,
        })]);
}

#[test]
fn a_complaint_waiting_on_the_customer_can_be_resolved() {
    let outcome = ComplaintChange::ComplaintResolved {
        outcome: Outcome::NotUpheld,
        decisions: decisions([Outcome::NotUpheld, Outcome::NotUpheld]),
        reasons: REASONS.to_string(),
        remedy: Some(REMEDY.to_string()),
        redress_paid_cents: Some(0),
    };
    given(waiting())
        .when(command(ComplaintAction::Resolve {
            outcome: Some(Outcome::NotUpheld),
            decisions: decisions([Outcome::NotUpheld, Outcome::NotUpheld]),
            reasons: REASONS.to_string(),
            remedy: Some(padded(REMEDY)),
            redress_paid_cents: Some(0),
        }))
        .then_expect_events(vec![event(outcome.clone())]);
    assert_eq!(
        state(then(waiting(), vec![outcome])).status(),
        Status::Resolved
    );
}

#[test]
fn a_complaint_cannot_be_resolved_without_an_owner() {
    given(committed())
        .when(command(resolve()))
        .then_expect_error_message(
            "Name the person responsible (step 5) before resolving the complaint.",
        );
}

#[test]
fn a_complaint_cannot_be_resolved_without_a_commitment() {
    given(then(investigated(), vec![owner_assigned(agent(), None)]))
        .when(command(resolve()))
        .then_expect_error_message("Commit to an action (step 4) before resolving the complaint.");
}

#[test]
fn a_complaint_cannot_be_resolved_before_it_is_acknowledged() {
    given(then(received(), vec![owner_assigned(agent(), None)]))
        .when(command(resolve()))
        .then_expect_error_message(
            "The complaint must be acknowledged with an apology (step 1) before you can resolve it.",
        );
}

#[test]
fn a_negative_redress_payment_is_refused() {
    given(owned())
        .when(command(ComplaintAction::Resolve {
            outcome: None,
            decisions: decisions([Outcome::Upheld, Outcome::Upheld]),
            reasons: REASONS.to_string(),
            remedy: None,
            redress_paid_cents: Some(-1),
        }))
        .then_expect_error_message("The redress paid cannot be negative; enter 0 or more.");
}

#[test]
fn a_resolved_complaint_cannot_be_resolved_again() {
    given(resolved())
        .when(command(resolve()))
        .then_expect_error_message(
            "The complaint is resolved; reopen it before you resolve it again.",
        );
}

refusals! {
    a_complaint_cannot_be_resolved_before_the_investigation_is_concluded:
        given then(with_a_fact(), vec![owner_assigned(agent(), None)]), when resolve(),
        then ComplaintError::InvestigationNotConcluded;
    a_complaint_cannot_be_resolved_before_any_fact_is_established:
        given then(acknowledged(), vec![owner_assigned(agent(), None)]), when resolve(),
        then ComplaintError::InvestigationNotConcluded;
    blank_reasons_are_refused:
        given owned(),
        when ComplaintAction::Resolve { outcome: None, decisions: decisions([Outcome::NotUpheld; 2]), reasons: BLANK.to_string(), remedy: None, redress_paid_cents: None },
        then ComplaintError::Empty { field: "The reasons" };
    reasons_over_20000_characters_are_refused:
        given owned(),
        when ComplaintAction::Resolve { outcome: None, decisions: decisions([Outcome::NotUpheld; 2]), reasons: too_long(20_000), remedy: None, redress_paid_cents: None },
        then ComplaintError::TooLong { field: "The reasons", max: 20_000 };
    a_remedy_over_20000_characters_is_refused:
        given owned(),
        when ComplaintAction::Resolve { outcome: None, decisions: decisions([Outcome::Upheld; 2]), reasons: REASONS.to_string(), remedy: Some(too_long(20_000)), redress_paid_cents: None },
        then ComplaintError::TooLong { field: "The remedy", max: 20_000 };
}

// ---------------------------------------------------------------------------------------
// Close

#[test]
fn a_resolved_complaint_is_closed() {
    given(resolved())
        .when(command(close()))
        .then_expect_events(vec![event(ComplaintChange::ComplaintClosed)]);
}

#[test]
fn an_unresolved_complaint_cannot_be_closed() {
    given(owned())
        .when(command(close()))
        .then_expect_error_message(
            "The complaint must be resolved with an outcome before it can be closed.",
        );
}

#[test]
fn a_closed_complaint_cannot_be_closed_again() {
    given(closed())
        .when(command(close()))
        .then_expect_error_message("The complaint is closed; reopen it before you close it again.");
}

refusals! {
    a_complaint_just_received_cannot_be_closed:
        given received(), when close(),
        then ComplaintError::NotResolved;
}

// ---------------------------------------------------------------------------------------
// Reopen

#[test]
fn a_closed_complaint_is_reopened_with_a_reason() {
    given(closed())
        .when(command(reopen()))
        .then_expect_events(vec![event(complaint_reopened())]);
}

#[test]
fn a_resolved_complaint_is_reopened_with_a_reason() {
    given(resolved())
        .when(command(reopen()))
        .then_expect_events(vec![event(complaint_reopened())]);
}

#[test]
fn the_reason_for_reopening_is_stored_trimmed() {
    given(closed())
        .when(command(ComplaintAction::Reopen {
            reason: padded(REOPEN_REASON),
        }))
        .then_expect_events(vec![event(complaint_reopened())]);
}

#[test]
fn an_open_complaint_cannot_be_reopened() {
    given(owned())
        .when(command(reopen()))
        .then_expect_error_message(
            "Only a resolved or closed complaint can be reopened; this one is still open.",
        );
}

refusals! {
    a_complaint_just_received_cannot_be_reopened:
        given received(), when reopen(),
        then ComplaintError::NotReopenable;
    a_reopened_complaint_cannot_be_reopened_again:
        given reopened(), when reopen(),
        then ComplaintError::NotReopenable;
    a_blank_reason_for_reopening_is_refused:
        given closed(), when ComplaintAction::Reopen { reason: BLANK.to_string() },
        then ComplaintError::Empty { field: "The reason for reopening" };
    a_reason_for_reopening_over_20000_characters_is_refused:
        given closed(), when ComplaintAction::Reopen { reason: too_long(20_000) },
        then ComplaintError::TooLong { field: "The reason for reopening", max: 20_000 };
}

// ---------------------------------------------------------------------------------------
// The reopen rule: back to Acknowledged; facts, conclusion and commitment afresh; owner stays.

/// Reopened, with a new fact and a new conclusion, but no new commitment yet.
fn reinvestigated() -> Vec<ComplaintEvent> {
    then(reopened(), vec![fact_recorded(), investigation_concluded()])
}

#[test]
fn after_reopening_facts_can_be_recorded_again() {
    given(reopened())
        .when(command(record_fact()))
        .then_expect_events(vec![event(fact_recorded())]);
}

#[test]
fn after_reopening_from_resolved_facts_can_be_recorded_again() {
    given(then(resolved(), vec![complaint_reopened()]))
        .when(command(record_fact()))
        .then_expect_events(vec![event(fact_recorded())]);
}

#[test]
fn after_reopening_the_apology_stands() {
    given(reopened())
        .when(command(acknowledge()))
        .then_expect_error(ComplaintError::AlreadyAcknowledged);
}

#[test]
fn after_reopening_the_facts_found_before_do_not_conclude_the_new_investigation() {
    given(reopened())
        .when(command(conclude()))
        .then_expect_error(ComplaintError::NoFactsRecorded);
}

#[test]
fn after_reopening_a_new_conclusion_is_needed_before_resolving() {
    given(then(reopened(), vec![fact_recorded()]))
        .when(command(resolve()))
        .then_expect_error(ComplaintError::InvestigationNotConcluded);
}

#[test]
fn after_reopening_the_old_commitment_does_not_count() {
    given(reopened())
        .when(command(commit()))
        .then_expect_error(ComplaintError::InvestigationNotConcluded);
}

#[test]
fn after_reopening_a_new_commitment_is_needed_before_resolving() {
    given(reinvestigated())
        .when(command(resolve()))
        .then_expect_error(ComplaintError::NoCommitment);
}

#[test]
fn after_reopening_the_owner_is_kept_so_a_new_commitment_is_enough_to_resolve() {
    let history = then(reinvestigated(), vec![action_committed()]);
    assert_eq!(state(history.clone()).owner(), Some(&agent()));
    given(history)
        .when(command(resolve()))
        .then_expect_events(vec![event(complaint_resolved())]);
}

#[test]
fn after_reopening_satisfaction_waits_for_the_next_resolution() {
    given(then(
        resolved(),
        vec![satisfaction_recorded(2), complaint_reopened()],
    ))
    .when(command(rate(4)))
    .then_expect_error(ComplaintError::SatisfactionTooEarly);
}

#[test]
fn satisfaction_can_be_recorded_again_after_the_next_resolution() {
    given(then(
        resolved(),
        vec![
            satisfaction_recorded(2),
            ComplaintChange::ComplaintClosed,
            complaint_reopened(),
            fact_recorded(),
            investigation_concluded(),
            action_committed(),
            complaint_resolved(),
        ],
    ))
    .when(command_by(Actor::Customer, rate(4)))
    .then_expect_events(vec![event_by(Actor::Customer, satisfaction_recorded(4))]);
}

#[test]
fn a_reopened_complaint_is_open_again_at_establishing_the_facts_with_its_owner() {
    let complaint = state(reopened());
    assert_eq!(complaint.status(), Status::Open);
    assert_eq!(complaint.progress().step(), Step::EstablishFacts);
    assert_eq!(
        complaint.progress(),
        Progress {
            acknowledged: true,
            listened: true,
            investigation_concluded: false,
            action_committed: false,
            owner_named: true,
            resolved: false,
            closed: false,
        }
    );
    assert_eq!(complaint.owner(), Some(&agent()));
    assert_eq!(complaint.commitment(), None);
    assert_eq!(complaint.outcome(), None);
}

// ---------------------------------------------------------------------------------------
// Satisfaction

#[test]
fn the_customers_satisfaction_is_recorded_with_their_comments_sealed() {
    given(resolved())
        .when(command_by(Actor::Customer, rate(5)))
        .then_expect_events(vec![event_by(Actor::Customer, satisfaction_recorded(5))]);
}

#[test]
fn satisfaction_can_be_recorded_on_a_closed_complaint() {
    given(closed())
        .when(command(rate(1)))
        .then_expect_events(vec![event(satisfaction_recorded(1))]);
}

#[test]
fn satisfaction_comments_are_sealed_trimmed_and_blank_ones_are_none() {
    given(resolved())
        .when(command(ComplaintAction::RecordSatisfaction {
            score: 3,
            comment: Some(padded(COMMENT)),
            would_change: Some(BLANK.to_string()),
        }))
        .then_expect_events(vec![event(ComplaintChange::SatisfactionRecorded {
            score: 3,
            comment: Some(sealed(COMMENT)),
            would_change: None,
        })]);
}

#[test]
fn a_score_alone_needs_no_sealing() {
    given_with(vault_down(), resolved())
        .when(command(ComplaintAction::RecordSatisfaction {
            score: 4,
            comment: Some(BLANK.to_string()),
            would_change: None,
        }))
        .then_expect_events(vec![event(ComplaintChange::SatisfactionRecorded {
            score: 4,
            comment: None,
            would_change: None,
        })]);
}

#[test]
fn satisfaction_comments_are_not_recorded_when_the_vault_cannot_seal_them() {
    given_with(sealing_fails(Failure::Storage), resolved())
        .when(command(rate(5)))
        .then_expect_error(ComplaintError::Sealing(STORAGE_FAILURE.to_string()));
}

#[test]
fn a_score_of_0_is_refused() {
    given(resolved())
        .when(command(rate(0)))
        .then_expect_error_message("The satisfaction score must be between 1 and 5; 0 was given.");
}

#[test]
fn satisfaction_cannot_be_recorded_before_the_complaint_is_resolved() {
    given(owned())
        .when(command(rate(5)))
        .then_expect_error_message(
            "The customer can rate the handling once the complaint is resolved or closed.",
        );
}

#[test]
fn satisfaction_is_recorded_once_per_resolution() {
    given(then(resolved(), vec![satisfaction_recorded(5)]))
        .when(command(rate(1)))
        .then_expect_error_message(
            "The customer's satisfaction has already been recorded for this resolution.",
        );
}

refusals! {
    a_score_of_6_is_refused:
        given resolved(), when rate(6),
        then ComplaintError::ScoreOutOfRange(6);
    a_score_of_0_is_refused_even_without_comments:
        given closed(), when rate_score_only(0),
        then ComplaintError::ScoreOutOfRange(0);
    satisfaction_cannot_be_recorded_on_a_complaint_just_received:
        given received(), when rate(3),
        then ComplaintError::SatisfactionTooEarly;
    satisfaction_cannot_be_recorded_twice_even_after_closing:
        given then(resolved(), vec![satisfaction_recorded(5), ComplaintChange::ComplaintClosed]),
        when rate(5),
        then ComplaintError::SatisfactionAlreadyRecorded;
    a_satisfaction_comment_over_20000_characters_is_refused:
        given resolved(),
        when ComplaintAction::RecordSatisfaction { score: 3, comment: Some(too_long(20_000)), would_change: None },
        then ComplaintError::TooLong { field: "The comment", max: 20_000 };
    what_the_customer_would_change_over_20000_characters_is_refused:
        given resolved(),
        when ComplaintAction::RecordSatisfaction { score: 3, comment: None, would_change: Some(too_long(20_000)) },
        then ComplaintError::TooLong { field: "What the customer would change", max: 20_000 };
}

#[test]
fn scores_of_1_and_5_are_accepted() {
    for score in [1, 5] {
        given(resolved())
            .when(command(rate_score_only(score)))
            .then_expect_events(vec![event(ComplaintChange::SatisfactionRecorded {
                score,
                comment: None,
                would_change: None,
            })]);
    }
}

// ---------------------------------------------------------------------------------------
// Triage: priority and category

#[test]
fn the_priority_can_be_changed_even_before_the_acknowledgement() {
    given(received())
        .when(command(change_priority(Priority::High)))
        .then_expect_events(vec![event(ComplaintChange::PriorityChanged {
            from: Priority::Normal,
            to: Priority::High,
        })]);
}

#[test]
fn a_changed_priority_is_changed_from_its_new_value() {
    given(then(
        received(),
        vec![ComplaintChange::PriorityChanged {
            from: Priority::Normal,
            to: Priority::High,
        }],
    ))
    .when(command(change_priority(Priority::Low)))
    .then_expect_events(vec![event(ComplaintChange::PriorityChanged {
        from: Priority::High,
        to: Priority::Low,
    })]);
}

#[test]
fn the_priority_cannot_be_changed_to_what_it_is() {
    given(received())
        .when(command(change_priority(Priority::Normal)))
        .then_expect_error_message("The priority is already normal.");
}

#[test]
fn the_category_can_be_changed_even_before_the_acknowledgement() {
    given(received())
        .when(command(change_category()))
        .then_expect_events(vec![event(ComplaintChange::CategoryChanged {
            from: CATEGORY.to_string(),
            to: NEW_CATEGORY.to_string(),
        })]);
}

#[test]
fn the_new_category_is_stored_trimmed() {
    given(acknowledged())
        .when(command(ComplaintAction::ChangeCategory {
            category: padded(NEW_CATEGORY),
        }))
        .then_expect_events(vec![event(ComplaintChange::CategoryChanged {
            from: CATEGORY.to_string(),
            to: NEW_CATEGORY.to_string(),
        })]);
}

#[test]
fn the_category_cannot_be_changed_to_what_it_is_give_or_take_spaces() {
    given(received())
        .when(command(ComplaintAction::ChangeCategory {
            category: padded(CATEGORY),
        }))
        .then_expect_error_message("The category is already Delivery.");
}

refusals! {
    the_priority_cannot_be_changed_to_what_it_was_changed_to:
        given then(received(), vec![ComplaintChange::PriorityChanged { from: Priority::Normal, to: Priority::Urgent }]),
        when change_priority(Priority::Urgent),
        then ComplaintError::Unchanged { field: "priority", value: "urgent".to_string() };
    a_blank_category_is_refused:
        given received(), when ComplaintAction::ChangeCategory { category: BLANK.to_string() },
        then ComplaintError::Empty { field: "The category" };
    a_category_over_200_characters_is_refused:
        given received(), when ComplaintAction::ChangeCategory { category: too_long(200) },
        then ComplaintError::TooLong { field: "The category", max: 200 };
}

// ---------------------------------------------------------------------------------------
// Communications

#[test]
fn a_communication_with_the_customer_is_recorded_sealed() {
    given(received())
        .when(command(record_communication()))
        .then_expect_events(vec![event(communication_recorded())]);
}

#[test]
fn a_communication_can_be_recorded_on_a_closed_complaint() {
    given(closed())
        .when(command(record_communication()))
        .then_expect_events(vec![event(communication_recorded())]);
}

#[test]
fn the_summary_of_a_communication_is_sealed_trimmed() {
    given(resolved())
        .when(command(ComplaintAction::RecordCommunication {
            direction: Direction::Outbound,
            channel: Channel::Phone,
            summary: padded(COMMUNICATION),
        }))
        .then_expect_events(vec![event(communication_recorded())]);
}

#[test]
fn a_communication_is_not_recorded_when_the_vault_cannot_seal_it() {
    given_with(sealing_fails(Failure::Storage), received())
        .when(command(record_communication()))
        .then_expect_error(ComplaintError::Sealing(STORAGE_FAILURE.to_string()));
}

refusals! {
    a_blank_communication_is_refused:
        given received(),
        when ComplaintAction::RecordCommunication { direction: Direction::Inbound, channel: Channel::Email, summary: BLANK.to_string() },
        then ComplaintError::Empty { field: "The summary of the communication" };
    a_communication_over_20000_characters_is_refused:
        given received(),
        when ComplaintAction::RecordCommunication { direction: Direction::Inbound, channel: Channel::Email, summary: too_long(20_000) },
        then ComplaintError::TooLong { field: "The summary of the communication", max: 20_000 };
}

// ---------------------------------------------------------------------------------------
// Erasure

#[test]
fn the_erasure_of_personal_data_is_recorded_with_its_reason() {
    let retention = Actor::System {
        name: "retention".to_string(),
    };
    given(closed())
        .when(command_by(retention.clone(), erase()))
        .then_expect_events(vec![event_by(retention, personal_data_erased())]);
}

#[test]
fn the_reason_for_erasure_is_stored_trimmed() {
    given(owned())
        .when(command(ComplaintAction::ErasePersonalData {
            reason: padded(ERASE_REASON),
        }))
        .then_expect_events(vec![event(personal_data_erased())]);
}

#[test]
fn personal_data_cannot_be_erased_twice() {
    given(erased(closed()))
        .when(command(erase()))
        .then_expect_error_message(
            "This customer's personal data has already been erased from the complaint.",
        );
}

#[test]
fn after_erasure_what_the_customer_said_cannot_be_recorded() {
    given(erased(acknowledged()))
        .when(command(record_statement()))
        .then_expect_error_message(
            "This customer's personal data has been erased; nothing personal can be recorded on the complaint any more.",
        );
}

#[test]
fn after_erasure_the_complaint_can_still_be_acknowledged() {
    given(erased(received()))
        .when(command(acknowledge()))
        .then_expect_events(vec![event(acknowledged_change())]);
}

#[test]
fn after_erasure_facts_can_still_be_recorded() {
    given(erased(acknowledged()))
        .when(command(record_fact()))
        .then_expect_events(vec![event(fact_recorded())]);
}

#[test]
fn after_erasure_the_complaint_can_still_be_resolved() {
    given(erased(owned()))
        .when(command(resolve()))
        .then_expect_events(vec![event(complaint_resolved())]);
}

#[test]
fn after_erasure_a_score_without_comments_can_still_be_recorded() {
    given(erased(resolved()))
        .when(command(rate_score_only(4)))
        .then_expect_events(vec![event(ComplaintChange::SatisfactionRecorded {
            score: 4,
            comment: None,
            would_change: None,
        })]);
}

#[test]
fn after_erasure_the_complaint_keeps_its_place_in_the_method() {
    let complaint = state(erased(owned()));
    assert!(complaint.personal_data_erased());
    assert_eq!(complaint.status(), Status::Open);
    assert_eq!(complaint.progress().step(), Step::KeepInformed);
    assert_eq!(complaint.customer(), Some(customer()));
}

refusals! {
    after_erasure_the_customers_response_cannot_be_recorded:
        given erased(waiting()), when record_response(),
        then ComplaintError::PersonalDataErased;
    after_erasure_a_communication_cannot_be_recorded:
        given erased(closed()), when record_communication(),
        then ComplaintError::PersonalDataErased;
    after_erasure_a_satisfaction_comment_cannot_be_recorded:
        given erased(resolved()),
        when ComplaintAction::RecordSatisfaction { score: 4, comment: Some(COMMENT.to_string()), would_change: None },
        then ComplaintError::PersonalDataErased;
    after_erasure_what_the_customer_would_change_cannot_be_recorded:
        given erased(resolved()),
        when ComplaintAction::RecordSatisfaction { score: 4, comment: None, would_change: Some(WOULD_CHANGE.to_string()) },
        then ComplaintError::PersonalDataErased;
    after_erasure_even_a_blank_statement_is_refused_as_personal:
        given erased(received()),
        when ComplaintAction::RecordCustomerStatement { channel: Channel::Phone, statement: BLANK.to_string(), shared: false },
        then ComplaintError::PersonalDataErased;
    a_blank_reason_for_erasure_is_refused:
        given owned(), when ComplaintAction::ErasePersonalData { reason: BLANK.to_string() },
        then ComplaintError::Empty { field: "The reason for erasure" };
    a_reason_for_erasure_over_200_characters_is_refused:
        given owned(), when ComplaintAction::ErasePersonalData { reason: too_long(200) },
        then ComplaintError::TooLong { field: "The reason for erasure", max: 200 };
}

#[test]
fn after_erasure_only_the_commands_that_carry_personal_text_are_refused() {
    let history = erased(acknowledged());
    let refused: Vec<(String, ComplaintError)> = every_action_but_receive()
        .into_iter()
        .filter_map(|action| {
            let name = action_name(&action);
            given(history.clone())
                .when(command(action))
                .inspect_result()
                .err()
                .map(|error| (name, error))
        })
        .filter(|(_, error)| *error == ComplaintError::PersonalDataErased)
        .collect();
    let names: Vec<&str> = refused.iter().map(|(name, _)| name.as_str()).collect();
    // The response and satisfaction are refused earlier here (nothing asked, not resolved);
    // they are covered on their own above.
    assert_eq!(
        names,
        [
            "RecordCustomerStatement",
            "RecordPoints",
            "RecordCommunication",
            "SendReply",
            "AddInternalNote",
            "AttachFiles"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Unknown complaints: every command but receiving needs a received complaint.

#[test]
fn an_unknown_complaint_cannot_be_acknowledged() {
    given_nothing()
        .when(command(acknowledge()))
        .then_expect_error_message("There is no complaint with this reference.");
}

refusals! {
    what_the_customer_said_cannot_be_recorded_on_an_unknown_complaint:
        given vec![], when record_statement(), then ComplaintError::UnknownComplaint;
    a_fact_cannot_be_recorded_on_an_unknown_complaint:
        given vec![], when record_fact(), then ComplaintError::UnknownComplaint;
    the_investigation_of_an_unknown_complaint_cannot_be_concluded:
        given vec![], when conclude(), then ComplaintError::UnknownComplaint;
    an_action_cannot_be_committed_to_on_an_unknown_complaint:
        given vec![], when commit(), then ComplaintError::UnknownComplaint;
    an_unknown_complaint_cannot_be_given_an_owner:
        given vec![], when assign(agent()), then ComplaintError::UnknownComplaint;
    a_progress_update_cannot_be_sent_on_an_unknown_complaint:
        given vec![], when send_update(), then ComplaintError::UnknownComplaint;
    an_unknown_complaint_cannot_wait_on_the_customer:
        given vec![], when wait_on_customer(), then ComplaintError::UnknownComplaint;
    a_response_cannot_be_recorded_on_an_unknown_complaint:
        given vec![], when record_response(), then ComplaintError::UnknownComplaint;
    an_unknown_complaint_cannot_be_resolved:
        given vec![], when resolve(), then ComplaintError::UnknownComplaint;
    an_unknown_complaint_cannot_be_closed:
        given vec![], when close(), then ComplaintError::UnknownComplaint;
    an_unknown_complaint_cannot_be_reopened:
        given vec![], when reopen(), then ComplaintError::UnknownComplaint;
    satisfaction_cannot_be_recorded_on_an_unknown_complaint:
        given vec![], when rate(5), then ComplaintError::UnknownComplaint;
    the_priority_of_an_unknown_complaint_cannot_be_changed:
        given vec![], when change_priority(Priority::High), then ComplaintError::UnknownComplaint;
    the_category_of_an_unknown_complaint_cannot_be_changed:
        given vec![], when change_category(), then ComplaintError::UnknownComplaint;
    a_communication_cannot_be_recorded_on_an_unknown_complaint:
        given vec![], when record_communication(), then ComplaintError::UnknownComplaint;
    personal_data_of_an_unknown_complaint_cannot_be_erased:
        given vec![], when erase(), then ComplaintError::UnknownComplaint;
}

#[test]
fn every_command_but_receiving_is_refused_on_an_unknown_complaint() {
    for action in every_action_but_receive() {
        let name = action_name(&action);
        let result = given_nothing().when(command(action)).inspect_result();
        assert_eq!(
            result,
            Err(ComplaintError::UnknownComplaint),
            "{name} on an unknown complaint"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Closed: nothing changes a closed complaint but reopening, satisfaction, recording a
// communication and erasure.

#[test]
fn a_closed_complaint_accepts_only_reopening_satisfaction_communications_and_erasure() {
    assert_eq!(
        accepted_after(&closed()),
        [
            "Reopen",
            "RecordSatisfaction",
            "RecordCommunication",
            "ErasePersonalData",
            "AddInternalNote",
            "AddTag",
            "Link",
            "RecordRootCauses",
        ]
    );
}

#[test]
fn a_fact_cannot_be_recorded_on_a_closed_complaint() {
    given(closed())
        .when(command(record_fact()))
        .then_expect_error_message("The complaint is closed; reopen it before you record a fact.");
}

refusals! {
    a_closed_complaint_cannot_be_acknowledged:
        given closed(), when acknowledge(),
        then ComplaintError::Closed { action: "acknowledge it" };
    what_the_customer_said_cannot_be_recorded_on_a_closed_complaint:
        given closed(), when record_statement(),
        then ComplaintError::Closed { action: "record what the customer said" };
    the_investigation_of_a_closed_complaint_cannot_be_concluded:
        given closed(), when conclude(),
        then ComplaintError::Closed { action: "conclude the investigation" };
    an_action_cannot_be_committed_to_on_a_closed_complaint:
        given closed(), when commit(),
        then ComplaintError::Closed { action: "commit to an action" };
    the_owner_of_a_closed_complaint_cannot_be_changed:
        given closed(), when assign(other_agent()),
        then ComplaintError::Closed { action: "change the owner" };
    a_progress_update_cannot_be_sent_on_a_closed_complaint:
        given closed(), when send_update(),
        then ComplaintError::Closed { action: "send a progress update" };
    a_closed_complaint_cannot_wait_on_the_customer:
        given closed(), when wait_on_customer(),
        then ComplaintError::Closed { action: "wait on the customer" };
    a_response_cannot_be_recorded_on_a_closed_complaint:
        given closed(), when record_response(),
        then ComplaintError::Closed { action: "record the customer's response" };
    a_closed_complaint_cannot_be_resolved_again:
        given closed(), when resolve(),
        then ComplaintError::Closed { action: "resolve it again" };
    the_priority_of_a_closed_complaint_cannot_be_changed:
        given closed(), when change_priority(Priority::High),
        then ComplaintError::Closed { action: "change the priority" };
    the_category_of_a_closed_complaint_cannot_be_changed:
        given closed(), when change_category(),
        then ComplaintError::Closed { action: "change the category" };
}

// ---------------------------------------------------------------------------------------
// Resolved: nothing changes a resolved complaint but closing, reopening, satisfaction,
// recording a communication and erasure.

#[test]
fn a_resolved_complaint_accepts_only_closing_reopening_satisfaction_communications_and_erasure() {
    assert_eq!(
        accepted_after(&resolved()),
        [
            "Close",
            "Reopen",
            "RecordSatisfaction",
            "RecordCommunication",
            "ErasePersonalData",
            "SendReply",
            "AddInternalNote",
            "AttachFiles",
            "ChangeTeam",
            "AddTag",
            "MergeInto",
            "Link",
            "RecordRootCauses",
        ]
    );
}

#[test]
fn a_fact_cannot_be_recorded_on_a_resolved_complaint() {
    given(resolved())
        .when(command(record_fact()))
        .then_expect_error_message(
            "The complaint is resolved; reopen it before you record a fact.",
        );
}

refusals! {
    what_the_customer_said_cannot_be_recorded_on_a_resolved_complaint:
        given resolved(), when record_statement(),
        then ComplaintError::AlreadyResolved { action: "record what the customer said" };
    the_investigation_of_a_resolved_complaint_cannot_be_concluded:
        given resolved(), when conclude(),
        then ComplaintError::AlreadyResolved { action: "conclude the investigation" };
    an_action_cannot_be_committed_to_on_a_resolved_complaint:
        given resolved(), when commit(),
        then ComplaintError::AlreadyResolved { action: "commit to an action" };
    the_owner_of_a_resolved_complaint_cannot_be_changed:
        given resolved(), when assign(other_agent()),
        then ComplaintError::AlreadyResolved { action: "change the owner" };
    a_progress_update_cannot_be_sent_on_a_resolved_complaint:
        given resolved(), when send_update(),
        then ComplaintError::AlreadyResolved { action: "send a progress update" };
    a_resolved_complaint_cannot_wait_on_the_customer:
        given resolved(), when wait_on_customer(),
        then ComplaintError::AlreadyResolved { action: "wait on the customer" };
    a_response_cannot_be_recorded_on_a_resolved_complaint:
        given resolved(), when record_response(),
        then ComplaintError::NotWaiting;
    the_priority_of_a_resolved_complaint_cannot_be_changed:
        given resolved(), when change_priority(Priority::High),
        then ComplaintError::AlreadyResolved { action: "change the priority" };
    the_category_of_a_resolved_complaint_cannot_be_changed:
        given resolved(), when change_category(),
        then ComplaintError::AlreadyResolved { action: "change the category" };
}

// ---------------------------------------------------------------------------------------
// Before the acknowledgement: listening, naming an owner and triage (and communications and
// erasure) may happen; the rest needs the apology first.

#[test]
fn before_the_acknowledgement_only_listening_naming_an_owner_and_triage_are_accepted() {
    assert_eq!(
        accepted_after(&received()),
        [
            "Acknowledge",
            "RecordCustomerStatement",
            "RecordPoints",
            "AssignOwner",
            "ChangePriority",
            "ChangeCategory",
            "RecordCommunication",
            "ErasePersonalData",
            "SendReply",
            "AddInternalNote",
            "AttachFiles",
            "ChangeTeam",
            "AddTag",
            "MergeInto",
            "Link",
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Where a complaint stands: Progress::step and Complaint::status at every stage

#[test]
fn the_next_step_and_status_follow_the_stages_of_the_method() {
    let stages = [
        ("received", received(), Step::Acknowledge, Status::Open),
        (
            "owner named before the acknowledgement",
            then(received(), vec![owner_assigned(agent(), None)]),
            Step::Acknowledge,
            Status::Open,
        ),
        ("acknowledged", acknowledged(), Step::Listen, Status::Open),
        (
            "a fact recorded before the points",
            then(acknowledged(), vec![fact_recorded()]),
            Step::Listen,
            Status::Open,
        ),
        ("listened", listened(), Step::EstablishFacts, Status::Open),
        (
            "with a fact",
            with_a_fact(),
            Step::EstablishFacts,
            Status::Open,
        ),
        (
            "investigated",
            investigated(),
            Step::CommitToAction,
            Status::Open,
        ),
        ("committed", committed(), Step::NameOwner, Status::Open),
        ("owned", owned(), Step::KeepInformed, Status::Open),
        (
            "waiting on the customer",
            waiting(),
            Step::KeepInformed,
            Status::WaitingOnCustomer,
        ),
        (
            "the customer responded",
            then(waiting(), vec![customer_responded()]),
            Step::KeepInformed,
            Status::Open,
        ),
        ("resolved", resolved(), Step::Resolved, Status::Resolved),
        ("closed", closed(), Step::Closed, Status::Closed),
        ("reopened", reopened(), Step::EstablishFacts, Status::Open),
        (
            "reopened and investigated again",
            reinvestigated(),
            Step::CommitToAction,
            Status::Open,
        ),
        (
            "resolved again",
            then(
                reinvestigated(),
                vec![action_committed(), complaint_resolved()],
            ),
            Step::Resolved,
            Status::Resolved,
        ),
    ];
    for (stage, history, step, status) in stages {
        let complaint = state(history);
        assert_eq!(complaint.progress().step(), step, "step when {stage}");
        assert_eq!(complaint.status(), status, "status when {stage}");
    }
}

#[test]
fn a_complaint_not_yet_received_is_at_the_first_step() {
    let complaint = Complaint::default();
    assert_eq!(complaint.reference(), None);
    assert_eq!(complaint.progress().step(), Step::Acknowledge);
    assert_eq!(complaint.status(), Status::Open);
}

#[test]
fn the_next_step_is_the_first_step_not_done() {
    let done = |acknowledged, investigation_concluded, action_committed, owner_named| {
        Progress {
            acknowledged,
            listened: true,
            investigation_concluded,
            action_committed,
            owner_named,
            resolved: false,
            closed: false,
        }
        .step()
    };
    assert_eq!(done(false, false, false, false), Step::Acknowledge);
    assert_eq!(done(false, true, true, true), Step::Acknowledge);
    assert_eq!(done(true, false, false, false), Step::EstablishFacts);
    assert_eq!(done(true, false, true, true), Step::EstablishFacts);
    assert_eq!(done(true, true, false, false), Step::CommitToAction);
    assert_eq!(done(true, true, false, true), Step::CommitToAction);
    assert_eq!(done(true, true, true, false), Step::NameOwner);
    assert_eq!(done(true, true, true, true), Step::KeepInformed);
    // Listening comes after the apology, before the facts; a complaint whose investigation
    // was concluded before points existed has passed it.
    let unheard = |acknowledged, investigation_concluded| Progress {
        acknowledged,
        listened: false,
        investigation_concluded,
        ..Progress::default()
    };
    assert_eq!(unheard(false, false).step(), Step::Acknowledge);
    assert_eq!(unheard(true, false).step(), Step::Listen);
    assert_eq!(unheard(true, true).step(), Step::CommitToAction);
}

#[test]
fn closing_and_resolving_outrank_the_unfinished_steps() {
    let closed = Progress {
        resolved: true,
        closed: true,
        ..Progress::default()
    };
    let resolved = Progress {
        resolved: true,
        ..Progress::default()
    };
    assert_eq!(closed.step(), Step::Closed);
    assert_eq!(resolved.step(), Step::Resolved);
}

#[test]
fn the_complaint_remembers_what_deciding_commands_needs() {
    let complaint = state(resolved());
    assert_eq!(complaint.reference(), Some(&reference()));
    assert_eq!(complaint.customer(), Some(customer()));
    assert_eq!(complaint.owner(), Some(&agent()));
    assert_eq!(
        complaint
            .commitment()
            .map(|c| (c.action.as_str(), c.due_on)),
        Some((ACTION, next_week()))
    );
    assert_eq!(complaint.outcome(), Some(Outcome::Upheld));
    assert!(!complaint.personal_data_erased());
}

#[test]
fn steps_and_statuses_have_stable_codes() {
    let steps = [
        (Step::Acknowledge, "acknowledge", "1 · Acknowledge"),
        (
            Step::EstablishFacts,
            "establish_facts",
            "3 · Establish the facts",
        ),
        (
            Step::CommitToAction,
            "commit_to_action",
            "4 · Commit to action",
        ),
        (Step::NameOwner, "name_owner", "5 · Name the owner"),
        (Step::KeepInformed, "keep_informed", "6 · Keep informed"),
        (Step::Resolved, "resolved", "Resolved"),
        (Step::Closed, "closed", "Closed"),
    ];
    for (step, code, label) in steps {
        assert_eq!(step.code(), code);
        assert_eq!(step.label(), label);
        assert_eq!(serde_json::to_value(step).unwrap(), code);
    }
    let statuses = [
        (Status::Open, "open"),
        (Status::WaitingOnCustomer, "waiting_on_customer"),
        (Status::Resolved, "resolved"),
        (Status::Closed, "closed"),
    ];
    for (status, code) in statuses {
        assert_eq!(status.code(), code);
        assert_eq!(serde_json::to_value(status).unwrap(), code);
    }
}

// ---------------------------------------------------------------------------------------
// Events as stored

/// One of each change. The match makes this fail to compile when a variant is added.
fn one_of_each_change() -> Vec<(&'static str, ComplaintChange)> {
    let changes = vec![
        ("ComplaintReceived", complaint_received()),
        ("ComplaintAcknowledged", acknowledged_change()),
        ("CustomerStatementRecorded", statement_recorded()),
        ("PointsOfComplaintRecorded", points_recorded()),
        ("ReplySent", reply_sent()),
        ("InternalNoteAdded", note_added()),
        ("FilesAttached", files_attached()),
        ("FactRecorded", fact_recorded()),
        ("InvestigationConcluded", investigation_concluded()),
        ("ActionCommitted", action_committed()),
        (
            "OwnerAssigned",
            owner_assigned(other_agent(), Some(agent())),
        ),
        ("ProgressUpdateSent", update_sent()),
        ("WaitingOnCustomer", waiting_change()),
        ("CustomerResponded", customer_responded()),
        ("ComplaintResolved", complaint_resolved()),
        ("ComplaintClosed", ComplaintChange::ComplaintClosed),
        ("ComplaintReopened", complaint_reopened()),
        ("SatisfactionRecorded", satisfaction_recorded(5)),
        (
            "PriorityChanged",
            ComplaintChange::PriorityChanged {
                from: Priority::Normal,
                to: Priority::Urgent,
            },
        ),
        (
            "CategoryChanged",
            ComplaintChange::CategoryChanged {
                from: CATEGORY.to_string(),
                to: NEW_CATEGORY.to_string(),
            },
        ),
        ("CommunicationRecorded", communication_recorded()),
        ("PersonalDataErased", personal_data_erased()),
        ("EmailReceived", email_received(None)),
        (
            "BreachCauseRecorded",
            ComplaintChange::BreachCauseRecorded {
                clock: redress_domain::SlaClock::Resolve,
                cycle: 1,
                cause: "The supplier was late".to_string(),
            },
        ),
        (
            "TeamChanged",
            ComplaintChange::TeamChanged {
                team: team_b(),
                previous: Some(team_a()),
                reason: "Billing handles refunds".to_string(),
            },
        ),
        (
            "TagAdded",
            ComplaintChange::TagAdded {
                tag: "refund".to_string(),
            },
        ),
        (
            "TagRemoved",
            ComplaintChange::TagRemoved {
                tag: "refund".to_string(),
            },
        ),
        (
            "MergedInto",
            ComplaintChange::MergedInto {
                survivor: other_reference(),
            },
        ),
        (
            "DuplicateMerged",
            ComplaintChange::DuplicateMerged {
                duplicate: other_reference(),
            },
        ),
        (
            "ComplaintLinked",
            ComplaintChange::ComplaintLinked {
                other: other_reference(),
            },
        ),
        (
            "RootCausesRecorded",
            ComplaintChange::RootCausesRecorded {
                causes: vec!["courier-late".into(), "wrong-tariff".into()],
            },
        ),
    ];
    for (_, change) in &changes {
        match change {
            ComplaintChange::ComplaintReceived { .. }
            | ComplaintChange::ComplaintAcknowledged { .. }
            | ComplaintChange::CustomerStatementRecorded { .. }
            | ComplaintChange::FactRecorded { .. }
            | ComplaintChange::InvestigationConcluded { .. }
            | ComplaintChange::ActionCommitted { .. }
            | ComplaintChange::OwnerAssigned { .. }
            | ComplaintChange::ProgressUpdateSent { .. }
            | ComplaintChange::WaitingOnCustomer { .. }
            | ComplaintChange::CustomerResponded { .. }
            | ComplaintChange::ComplaintResolved { .. }
            | ComplaintChange::ComplaintClosed
            | ComplaintChange::ComplaintReopened { .. }
            | ComplaintChange::SatisfactionRecorded { .. }
            | ComplaintChange::PriorityChanged { .. }
            | ComplaintChange::CategoryChanged { .. }
            | ComplaintChange::CommunicationRecorded { .. }
            | ComplaintChange::PersonalDataErased { .. }
            | ComplaintChange::EmailReceived { .. }
            | ComplaintChange::BreachCauseRecorded { .. }
            | ComplaintChange::PointsOfComplaintRecorded { .. }
            | ComplaintChange::ReplySent { .. }
            | ComplaintChange::InternalNoteAdded { .. }
            | ComplaintChange::FilesAttached { .. }
            | ComplaintChange::TeamChanged { .. }
            | ComplaintChange::TagAdded { .. }
            | ComplaintChange::TagRemoved { .. }
            | ComplaintChange::MergedInto { .. }
            | ComplaintChange::DuplicateMerged { .. }
            | ComplaintChange::ComplaintLinked { .. }
            | ComplaintChange::RootCausesRecorded { .. } => {}
        }
    }
    changes
}

#[test]
fn every_event_survives_a_round_trip_through_json() {
    for (name, change) in one_of_each_change() {
        let event = event(change);
        let json = serde_json::to_string(&event).unwrap();
        let back: ComplaintEvent = serde_json::from_str(&json)
            .unwrap_or_else(|error| panic!("{name} did not deserialise: {error}\n{json}"));
        assert_eq!(back, event, "{name}");
    }
}

#[test]
fn every_event_is_stored_under_its_variant_name_at_its_version() {
    let changes = one_of_each_change();
    assert_eq!(changes.len(), 31);
    for (name, change) in changes {
        // The externally tagged JSON names the variant: the type must be that name.
        let tag = match serde_json::to_value(&change).unwrap() {
            serde_json::Value::String(tag) => tag,
            serde_json::Value::Object(object) => object.keys().next().unwrap().clone(),
            other => panic!("unexpected JSON for {name}: {other}"),
        };
        assert_eq!(tag, name);
        let event = event(change);
        assert_eq!(event.event_type(), name);
        // The two events that changed shape are at version 2; the others never changed.
        let expected = match name {
            "ComplaintResolved" | "CustomerStatementRecorded" => "2",
            _ => "1",
        };
        assert_eq!(event.event_version(), expected, "{name}");
    }
    assert_eq!(EVENT_VERSION, "1");
}

#[test]
fn the_complaint_survives_a_round_trip_through_json_as_a_snapshot() {
    let complaint = state(then(
        resolved(),
        vec![satisfaction_recorded(4), personal_data_erased()],
    ));
    let json = serde_json::to_string(&complaint).unwrap();
    let back: Complaint = serde_json::from_str(&json).unwrap();
    assert_eq!(back, complaint);
}

// ---------------------------------------------------------------------------------------
// Email

const EMAIL_ID: u128 = 0xe3a1;
const SUBJECT: &str = "Broken vase";
const EMAIL_WORDS: &str = "The vase is still broken, photo attached.";

fn email_details() -> redress_domain::EmailDetails {
    redress_domain::EmailDetails {
        id: uuid::Uuid::from_u128(EMAIL_ID),
        subject: SUBJECT.into(),
        attachments: vec![redress_domain::AttachmentMeta {
            id: uuid::Uuid::from_u128(1),
            name: "vase.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 120_000,
        }],
        refused: vec![redress_domain::RefusedAttachment {
            name: "video.mp4".into(),
            size: 40_000_000,
            reason: "larger than the 10 MB limit for one file".into(),
        }],
    }
}

fn email_received(sender: Option<&str>) -> ComplaintChange {
    ComplaintChange::EmailReceived {
        id: uuid::Uuid::from_u128(EMAIL_ID),
        subject: sealed(SUBJECT),
        sender: sender.map(sealed),
        attachments: vec![redress_domain::AttachedFile {
            id: uuid::Uuid::from_u128(1),
            name: sealed("vase.jpg"),
            content_type: "image/jpeg".into(),
            size: 120_000,
        }],
        refused: vec![redress_domain::RefusedFile {
            name: sealed("video.mp4"),
            size: 40_000_000,
            reason: "larger than the 10 MB limit for one file".into(),
        }],
    }
}

fn record_email(sender: Option<&str>, reopen: bool) -> ComplaintAction {
    ComplaintAction::RecordEmail {
        email: email_details(),
        text: padded(EMAIL_WORDS),
        sender: sender.map(str::to_string),
        reopen,
    }
}

fn by_customer(changes: Vec<ComplaintChange>) -> Vec<ComplaintEvent> {
    changes
        .into_iter()
        .map(|change| event_by(Actor::Customer, change))
        .collect()
}

#[test]
fn a_complaint_by_email_is_received_with_its_email_in_one_command() {
    let mut new = new_complaint();
    new.channel = Channel::Email;
    let mut received = complaint_received();
    if let ComplaintChange::ComplaintReceived { channel, .. } = &mut received {
        *channel = Channel::Email;
    }
    given_nothing()
        .when(command_by(
            Actor::Customer,
            ComplaintAction::ReceiveEmail {
                new: Box::new(new),
                email: email_details(),
            },
        ))
        .then_expect_events(by_customer(vec![received, email_received(None)]));
}

#[test]
fn an_email_while_the_complaint_is_open_is_what_the_customer_said() {
    given(acknowledged())
        .when(command_by(Actor::Customer, record_email(None, true)))
        .then_expect_events(by_customer(vec![
            ComplaintChange::CustomerStatementRecorded {
                channel: Channel::Email,
                statement: sealed(EMAIL_WORDS),
                shared: false,
            },
            email_received(None),
        ]));
}

#[test]
fn an_email_while_we_wait_on_the_customer_is_their_answer_and_ends_the_wait() {
    given(waiting())
        .when(command_by(Actor::Customer, record_email(None, true)))
        .then_expect_events(by_customer(vec![
            ComplaintChange::CustomerResponded {
                response: sealed(EMAIL_WORDS),
            },
            email_received(None),
        ]));
}

#[test]
fn an_email_to_a_closed_complaint_reopens_it_when_the_rule_says_so() {
    given(closed())
        .when(command_by(Actor::Customer, record_email(None, true)))
        .then_expect_events(by_customer(vec![
            ComplaintChange::ComplaintReopened {
                reason: "The customer wrote again by email.".into(),
            },
            ComplaintChange::CustomerStatementRecorded {
                channel: Channel::Email,
                statement: sealed(EMAIL_WORDS),
                shared: false,
            },
            email_received(None),
        ]));
    let after = state(then(
        closed(),
        vec![
            ComplaintChange::ComplaintReopened {
                reason: "The customer wrote again by email.".into(),
            },
            email_received(None),
        ],
    ));
    assert_eq!(after.status(), Status::Open);
}

#[test]
fn an_email_to_a_resolved_or_closed_complaint_is_attached_when_the_rule_says_so() {
    for history in [resolved(), closed()] {
        given(history)
            .when(command_by(Actor::Customer, record_email(None, false)))
            .then_expect_events(by_customer(vec![
                ComplaintChange::CommunicationRecorded {
                    direction: Direction::Inbound,
                    channel: Channel::Email,
                    summary: sealed(EMAIL_WORDS),
                },
                email_received(None),
            ]));
    }
}

#[test]
fn an_email_to_a_resolved_complaint_not_yet_closed_never_reopens_it() {
    given(resolved())
        .when(command_by(Actor::Customer, record_email(None, true)))
        .then_expect_events(by_customer(vec![
            ComplaintChange::CommunicationRecorded {
                direction: Direction::Inbound,
                channel: Channel::Email,
                summary: sealed(EMAIL_WORDS),
            },
            email_received(None),
        ]));
}

#[test]
fn an_email_from_another_address_is_a_communication_naming_its_sender() {
    given(acknowledged())
        .when(command_by(
            Actor::Customer,
            record_email(Some("colleague@example.ro"), true),
        ))
        .then_expect_events(by_customer(vec![
            ComplaintChange::CommunicationRecorded {
                direction: Direction::Inbound,
                channel: Channel::Email,
                summary: sealed(EMAIL_WORDS),
            },
            email_received(Some("colleague@example.ro")),
        ]));
}

#[test]
fn one_email_is_recorded_once_however_often_it_is_sent() {
    let history = then(
        acknowledged(),
        vec![
            ComplaintChange::CustomerStatementRecorded {
                channel: Channel::Email,
                statement: sealed(EMAIL_WORDS),
                shared: false,
            },
            email_received(None),
        ],
    );
    assert!(state(history.clone()).has_email(uuid::Uuid::from_u128(EMAIL_ID)));
    given(history)
        .when(command_by(Actor::Customer, record_email(None, true)))
        .then_expect_error(ComplaintError::EmailAlreadyRecorded);
}

refusals! {
    an_email_cannot_be_recorded_on_a_complaint_that_does_not_exist:
        given vec![], when record_email(None, true), then ComplaintError::UnknownComplaint;
    an_email_cannot_be_recorded_once_the_customers_data_is_erased:
        given erased(acknowledged()), when record_email(None, true),
        then ComplaintError::PersonalDataErased;
    an_email_without_words_is_refused:
        given acknowledged(),
        when ComplaintAction::RecordEmail {
            email: email_details(), text: BLANK.into(), sender: None, reopen: true,
        },
        then ComplaintError::Empty { field: "What the email says" };
    an_email_with_a_subject_too_long_is_refused:
        given acknowledged(),
        when ComplaintAction::RecordEmail {
            email: redress_domain::EmailDetails { subject: too_long(200), ..email_details() },
            text: EMAIL_WORDS.into(), sender: None, reopen: true,
        },
        then ComplaintError::TooLong { field: "The subject", max: 200 };
}

refusals! {
    a_nul_or_an_escape_in_a_text_is_refused_with_the_field_named:
        given vec![],
        when receive_with(|new| new.description = "My order\u{0} never came".into()),
        then ComplaintError::ControlCharacter { field: "What happened" };
    an_escape_sequence_in_the_name_is_refused:
        given vec![],
        when receive_with(|new| new.customer.name = "Ana \u{1b}[31mPop".into()),
        then ComplaintError::ControlCharacter { field: "The customer's name" };
}

#[test]
fn line_breaks_and_tabs_are_words_not_control_characters() {
    given_nothing()
        .when(command_by(
            Actor::Customer,
            receive_with(|new| new.description = "First line\n\tSecond line".into()),
        ))
        .inspect_result()
        .expect("line breaks and tabs are accepted");
}
