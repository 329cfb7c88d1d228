//! What the list knows of one company or one customer: their complaints, newest first, and a
//! company's contacts with their counts (for the company and contact files).

use std::collections::HashMap;

use crate::companies::{ContactNotes, ContactSummary, mean};

use super::*;

impl ComplaintList {
    /// A company's complaints, newest first (at most [`HISTORY_LIMIT`](crate::companies::HISTORY_LIMIT)).
    pub async fn of_company(&self, id: Uuid) -> Result<Vec<ComplaintListRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM complaint_list WHERE company_id = $1
             ORDER BY received_at DESC, reference DESC LIMIT $2"
        );
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(id)
            .bind(crate::companies::HISTORY_LIMIT)
            .fetch_all(pool)
            .await)?)
    }

    /// A customer's complaints, newest first (at most [`HISTORY_LIMIT`](crate::companies::HISTORY_LIMIT)).
    pub async fn of_customer(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<ComplaintListRow>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM complaint_list WHERE customer_id = $1
             ORDER BY received_at DESC, reference DESC LIMIT $2"
        );
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(customer.0)
            .bind(crate::companies::HISTORY_LIMIT)
            .fetch_all(pool)
            .await)?)
    }

    /// A company's contacts, major contacts first, then by number of complaints.
    pub async fn contacts_of(&self, id: Uuid) -> Result<Vec<ContactSummary>, StoreError> {
        let rows = self.of_company(id).await?;
        let mut contacts: Vec<ContactSummary> = Vec::new();
        let mut totals: Vec<(i64, i64)> = Vec::new();
        // Rows come newest first: the first row of a customer has their latest name.
        for row in &rows {
            let index = match contacts
                .iter()
                .position(|c| c.customer_id == row.customer_id)
            {
                Some(index) => index,
                None => {
                    contacts.push(ContactSummary {
                        customer_id: row.customer_id,
                        name: row.customer_name.clone(),
                        email: row.customer_email.clone(),
                        complaints: 0,
                        open_complaints: 0,
                        satisfaction: None,
                        last_received_at: row.received_at,
                        notes: ContactNotes::default(),
                    });
                    totals.push((0, 0));
                    contacts.len() - 1
                }
            };
            contacts[index].complaints += 1;
            contacts[index].open_complaints += usize::from(!row.closed);
            if let Some(score) = row.satisfaction_score {
                totals[index].0 += i64::from(score);
                totals[index].1 += 1;
            }
        }
        // What staff keep about them, in one query for the whole company.
        let kept: Vec<(Uuid, bool, String, String, DateTime<Utc>, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT customer_id, major, title, notes, updated_at, updated_by FROM contacts
                  WHERE customer_id IN (SELECT customer_id FROM complaint_list
                                         WHERE company_id = $1)"
            )
            .bind(id)
            .fetch_all(pool)
            .await)?;
        let mut kept: HashMap<Uuid, ContactNotes> = kept
            .into_iter()
            .map(|(customer, major, title, notes, at, by)| {
                (
                    customer,
                    ContactNotes {
                        major,
                        title,
                        notes,
                        updated_at: Some(at),
                        updated_by: Some(by),
                    },
                )
            })
            .collect();
        for (contact, (total, count)) in contacts.iter_mut().zip(totals) {
            contact.satisfaction = mean(total, count);
            contact.notes = kept.remove(&contact.customer_id).unwrap_or_default();
        }
        contacts.sort_by(|a, b| {
            b.notes
                .major
                .cmp(&a.notes.major)
                .then(b.complaints.cmp(&a.complaints))
                .then(b.last_received_at.cmp(&a.last_received_at))
        });
        Ok(contacts)
    }
}
