//! Erasing a customer's personal data from the command side: each of their complaints records
//! the erasure, then the files, intake records and queued emails kept under their key go,
//! and last the key itself (so every sealed field of every event is unreadable for good).

use redress_domain::{
    Actor, ComplaintAction, ComplaintCommand, ComplaintError, CustomerEmail, CustomerId, Reference,
};

use crate::StoreError;
use crate::complaints::{CommandError, Complaints};

/// What an erasure did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErasureReport {
    /// The customer.
    pub customer: CustomerId,
    /// The complaints that recorded the erasure.
    pub complaints: Vec<Reference>,
    /// Whether a key was deleted (false when it was already gone).
    pub key_deleted: bool,
}

impl Complaints {
    /// Erases a customer's personal data: records the erasure on each of their complaints,
    /// then deletes their key. Safe to run again after a failure part-way.
    pub async fn erase_customer(
        &self,
        customer: CustomerId,
        by: Actor,
        reason: &str,
    ) -> Result<ErasureReport, CommandError> {
        let storage = |e: StoreError| CommandError::Storage(e.into());
        let references = self.references_of(customer).await.map_err(storage)?;
        let mut erased = Vec::new();
        for reference in references {
            let command = ComplaintCommand::new(
                by.clone(),
                ComplaintAction::ErasePersonalData {
                    reason: reason.to_string(),
                },
            );
            match self.execute(&reference, command).await {
                Ok(()) => erased.push(reference),
                Err(CommandError::Rejected(ComplaintError::AlreadyErased)) => {}
                Err(other) => return Err(other),
            }
        }
        // Only after every complaint records the erasure: a failure above leaves the key, and
        // running again finishes the job.
        // The intake's records first: they find the customer's mail by the address digest
        // kept beside the key.
        crate::inbound::Inbound::new(self.db.clone(), self.vault.clone())
            .forget_customer(customer)
            .await
            .map_err(storage)?;
        crate::attachments::Attachments::new(self.db.clone(), self.vault.clone())
            .forget_customer(customer)
            .await
            .map_err(storage)?;
        crate::outbox::Outbox::new(self.db.clone())
            .forget_customer(customer)
            .await
            .map_err(storage)?;
        crate::surveys::Surveys::new(self.db.clone(), self.vault.clone(), Vec::new())
            .forget_customer(customer)
            .await
            .map_err(storage)?;
        crate::key_accounts::KeyAccounts::new(self.db.clone())
            .forget_contact(customer)
            .await
            .map_err(storage)?;
        let key_deleted = self.vault.erase(customer).await.map_err(storage)?;
        self.companies
            .forget_contact(customer)
            .await
            .map_err(storage)?;
        Ok(ErasureReport {
            customer,
            complaints: erased,
            key_deleted,
        })
    }

    /// Erases the customer known by this email address, if any.
    pub async fn erase_customer_by_email(
        &self,
        email: &CustomerEmail,
        by: Actor,
        reason: &str,
    ) -> Result<Option<ErasureReport>, CommandError> {
        let customer = self
            .vault
            .find_customer(email)
            .await
            .map_err(|e| CommandError::Storage(e.into()))?;
        match customer {
            Some(customer) => self.erase_customer(customer, by, reason).await.map(Some),
            None => Ok(None),
        }
    }
}
