//! What a webhook delivery says: the event's name and time, the complaint it happened to, and
//! where the complaint stands after it (status, next step, category, priority, owner,
//! outcome). No customer's words are ever sent; the customer's name and address only to an
//! endpoint allowed them, and only while their key exists (never once they are erased).

use chrono::{DateTime, Utc};
use redress_domain::{Actor, Complaint, ComplaintChange, ComplaintEvent, Reference};
use redress_store::webhooks::{Delivery, Endpoint};
use redress_store::{Store, StoreError};
use serde::Serialize;

/// The JSON body of a delivery.
#[derive(Debug, Serialize)]
pub struct Payload {
    /// The delivery's id: the same on every attempt, so a receiver drops what it has seen.
    pub id: String,
    /// The event's name, e.g. `ComplaintAcknowledged`.
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// The complaint, as it stands after the event.
    pub complaint: ComplaintAfter,
    /// Who acted: `staff`, `customer` or `system`, and the staff member's or system's name.
    pub by: By,
    /// The customer, for an endpoint allowed personal data while they are not erased.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<Customer>,
}

/// Where the complaint stands.
#[derive(Debug, Serialize)]
pub struct ComplaintAfter {
    /// Its reference.
    pub reference: String,
    /// The event's number within it, from 1 (a receiver can check it missed none).
    pub sequence: i64,
    /// `open`, `waiting_on_customer`, `resolved` or `closed`.
    pub status: &'static str,
    /// The next step of the method, while it is not closed.
    pub next_step: Option<&'static str>,
    /// Its category's code.
    pub category: String,
    /// Its priority.
    pub priority: &'static str,
    /// The owner's name.
    pub owner: Option<String>,
    /// The decision, once resolved.
    pub outcome: Option<&'static str>,
    /// Where an integration reads it.
    pub url: String,
}

/// Who acted.
#[derive(Debug, Serialize)]
pub struct By {
    /// `staff`, `customer` or `system`.
    pub kind: &'static str,
    /// The person's or system's name (none for the customer).
    pub name: Option<String>,
}

/// The customer's details.
#[derive(Debug, Serialize)]
pub struct Customer {
    /// Their name.
    pub name: String,
    /// Their address, when they gave one.
    pub email: Option<String>,
}

/// The payload of `delivery` to `endpoint`, from the complaint's events; `None` when the event
/// is gone (the complaint no longer has it).
pub async fn payload(
    store: &Store,
    endpoint: &Endpoint,
    delivery: &Delivery,
) -> Result<Option<Payload>, StoreError> {
    let Ok(reference) = Reference::parse(&delivery.reference) else {
        return Ok(None);
    };
    let events = store.complaints.events_of(&reference).await?;
    let upto = usize::try_from(delivery.sequence).unwrap_or(0);
    if upto == 0 || upto > events.len() {
        return Ok(None);
    }
    let seen: &[ComplaintEvent] = &events[..upto];
    let event = &seen[upto - 1];
    let complaint = Complaint::from_events(seen);
    let progress = complaint.progress();
    let by = match &event.by {
        Actor::Staff(staff) => By {
            kind: "staff",
            name: Some(staff.name.clone()),
        },
        Actor::Customer => By {
            kind: "customer",
            name: None,
        },
        Actor::System { name } => By {
            kind: "system",
            name: Some(name.clone()),
        },
    };
    let customer = if endpoint.personal_data {
        customer_of(store, &events).await?
    } else {
        None
    };
    Ok(Some(Payload {
        id: delivery.id.clone(),
        kind: delivery.kind.clone(),
        occurred_at: event.occurred_at,
        complaint: ComplaintAfter {
            reference: reference.to_string(),
            sequence: delivery.sequence,
            status: complaint.status().code(),
            next_step: (!progress.closed).then(|| progress.step().code()),
            category: complaint.category().to_string(),
            priority: complaint.priority().code(),
            owner: complaint.owner().map(|o| o.name.clone()),
            outcome: complaint.outcome().map(|o| o.code()),
            url: format!("/api/v1/complaints/{reference}"),
        },
        by,
        customer,
    }))
}

/// The customer's name and address, opened with their key; none once it is deleted.
async fn customer_of(
    store: &Store,
    events: &[ComplaintEvent],
) -> Result<Option<Customer>, StoreError> {
    let Some(ComplaintChange::ComplaintReceived { customer, .. }) =
        events.first().map(|e| &e.change)
    else {
        return Ok(None);
    };
    let Ok(name) = store.vault.open_value(customer.id, &customer.name).await? else {
        return Ok(None);
    };
    let email = match &customer.email {
        Some(sealed) => store.vault.open_value(customer.id, sealed).await?.ok(),
        None => None,
    };
    Ok(Some(Customer { name, email }))
}
