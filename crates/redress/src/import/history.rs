//! A row's history as events: the complaint received, its owner named, acknowledged, decided
//! and closed at the row's times, each step run through the domain's own rules
//! (`Complaint::run`, on a clock set to the step's time). A decided complaint passes through
//! the steps the method asks before a decision (its summary as its one point of complaint, the
//! resolution as the fact established, with the source's ticket as its source, as the
//! findings and as the commitment); what the source did not record is said to be so.

use std::collections::HashMap;
use std::sync::Arc;

use redress_domain::{
    Actor, Complaint, ComplaintAction, ComplaintCommand, ComplaintEvent, ComplaintServices,
    CustomerEmail, ManualClock, NewComplaint, NewCustomer, PersonalDataVault, PointDecision,
    Reference, StaffMember, Tier,
};
use redress_store::CategoryMap;

use super::rows::Row;

/// What every row's history reads: the categories, the staff (by address, lower case), the
/// companies' tiers, and the source's name.
pub struct Context {
    /// The managed categories.
    pub categories: CategoryMap,
    /// Every staff account, active or not, by address.
    pub staff: HashMap<String, StaffMember>,
    /// Each company's tier.
    pub tiers: HashMap<String, Tier>,
    /// Where the rows come from ("zendesk").
    pub source: &'static str,
}

/// The events of `row`'s complaint under `reference`, or why the domain refuses it.
pub async fn history(
    row: &Row,
    reference: Reference,
    context: &Context,
    vault: Arc<dyn PersonalDataVault>,
) -> Result<Vec<ComplaintEvent>, Vec<String>> {
    let one = |e: String| vec![e];
    let category = context
        .categories
        .accept(&row.category)
        .map_err(|e| one(format!("category: {e}")))?;
    let owner = match &row.owner {
        Some(email) => Some(
            context
                .staff
                .get(&email.to_ascii_lowercase())
                .cloned()
                .ok_or_else(|| {
                    one(format!(
                        "owner {email:?} is no staff account; create it first (`redress user \
                         add`) or leave owner empty"
                    ))
                })?,
        ),
        None => None,
    };
    let email = match &row.customer_email {
        Some(email) => {
            Some(CustomerEmail::parse(email).map_err(|e| one(format!("customer_email: {e}")))?)
        }
        None => None,
    };
    let clock = Arc::new(ManualClock::at(row.received_at));
    let services = ComplaintServices::new(clock.clone(), vault);
    let by = Actor::System {
        name: redress_store::imports::ACTOR.to_string(),
    };
    let not_recorded = format!("(Imported from {}: not recorded there.)", context.source);
    let resolution = row
        .resolution
        .clone()
        .unwrap_or_else(|| not_recorded.clone());
    let mut steps: Vec<(chrono::DateTime<chrono::Utc>, ComplaintAction)> = vec![(
        row.received_at,
        ComplaintAction::Receive(Box::new(NewComplaint {
            reference,
            customer: NewCustomer {
                name: row.customer_name.clone(),
                email,
                phone: row.customer_phone.clone(),
                language: row.language,
            },
            tier: row
                .company
                .as_ref()
                .and_then(|c| context.tiers.get(c).copied())
                .unwrap_or_default(),
            company: row.company.clone(),
            channel: row.channel,
            category,
            summary: row.summary.clone(),
            description: row.description.clone(),
            remedy_requested: None,
            priority: row.priority,
            routing: None,
        })),
    )];
    if let Some(owner) = owner {
        steps.push((row.received_at, ComplaintAction::AssignOwner { owner }));
    }
    if let Some(at) = row.acknowledged_at.or(row.resolved_at) {
        steps.push((
            at,
            ComplaintAction::Acknowledge {
                apology: format!(
                    "(Imported from {}: the apology was not recorded there.)",
                    context.source
                ),
            },
        ));
    }
    if let (Some(at), Some(outcome)) = (row.resolved_at, row.outcome) {
        steps.extend([
            (
                at,
                ComplaintAction::RecordPoints {
                    points: vec![row.summary.clone()],
                    send: false,
                },
            ),
            (
                at,
                ComplaintAction::RecordFact {
                    fact: resolution.clone(),
                    source: Some(format!("{} ticket {}", context.source, row.external_id)),
                },
            ),
            (
                at,
                ComplaintAction::ConcludeInvestigation {
                    findings: resolution.clone(),
                },
            ),
            (
                at,
                ComplaintAction::CommitToAction {
                    action: resolution.clone(),
                    due_on: at.date_naive(),
                    resolve_by: None,
                },
            ),
            (
                at,
                ComplaintAction::Resolve {
                    outcome: None,
                    decisions: vec![PointDecision {
                        point: 1,
                        outcome,
                        reasons: resolution.clone(),
                    }],
                    reasons: resolution.clone(),
                    remedy: None,
                    redress_paid_cents: row.redress_paid_cents,
                },
            ),
        ]);
    }
    if let Some(at) = row.closed_at {
        steps.push((at, ComplaintAction::Close));
    }
    let mut complaint = Complaint::default();
    let mut events = Vec::new();
    for (at, action) in steps {
        clock.set(at);
        let what = action.kind().map(|k| k.code()).unwrap_or("receive");
        let made = complaint
            .run(ComplaintCommand::new(by.clone(), action), &services)
            .await
            .map_err(|e| one(format!("{what}: {e}")))?;
        events.extend(made);
    }
    Ok(events)
}
