//! A complaint's relations, as its page shows them: the complaint it was merged into (when it
//! was a duplicate), the duplicates merged into it with what their customers said and sent
//! (so the whole story reads in one place), and the related complaints linked with it.

use redress_domain::{Complaint, Language, Reference};
use redress_store::CategoryMap;
use serde::Serialize;

use super::timeline::{TimelineEntry, opener_for, timeline};
use crate::AppState;
use crate::error::AppError;

/// A duplicate merged into this complaint.
#[derive(Debug, Serialize)]
pub(crate) struct DuplicateView {
    reference: String,
    summary: String,
    /// Its customer (`None` once erased).
    customer: Option<String>,
    /// Its timeline, oldest first: what the customer said and sent there.
    entries: Vec<TimelineEntry>,
}

/// A related complaint.
#[derive(Debug, Serialize)]
pub(crate) struct LinkView {
    reference: String,
    summary: String,
    status: String,
}

/// Everything related to one complaint.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Related {
    /// The complaint it was merged into.
    merged_into: Option<String>,
    duplicates: Vec<DuplicateView>,
    links: Vec<LinkView>,
}

/// The relations of `complaint` (as its events made it: now, or at a past moment), the
/// duplicates' timelines in `language`.
pub(crate) async fn related(
    state: &AppState,
    complaint: &Complaint,
    language: Language,
    categories: &CategoryMap,
) -> Result<Related, AppError> {
    let mut related = Related {
        merged_into: complaint.merged_into().map(|r| r.to_string()),
        ..Related::default()
    };
    for duplicate in complaint.duplicates() {
        let Ok(reference) = Reference::parse(duplicate) else {
            continue;
        };
        let events = state.store.complaints.events_of(&reference).await?;
        let other = Complaint::from_events(&events);
        let Some(customer) = other.customer() else {
            continue;
        };
        let opener = opener_for(state, customer).await?;
        let row = state.store.complaint_list.get(duplicate).await?;
        related.duplicates.push(DuplicateView {
            reference: duplicate.clone(),
            summary: row.as_ref().map(|r| r.summary.clone()).unwrap_or_default(),
            customer: row.as_ref().and_then(|r| {
                r.customer_name
                    .as_ref()
                    .map(|name| match &r.customer_email {
                        Some(email) => format!("{name} <{email}>"),
                        None => name.clone(),
                    })
            }),
            entries: timeline(&events, &opener, language, categories),
        });
    }
    for other in complaint.links() {
        if let Some(row) = state.store.complaint_list.get(other).await? {
            related.links.push(LinkView {
                reference: other.clone(),
                summary: row.summary,
                status: row.status,
            });
        }
    }
    Ok(related)
}
