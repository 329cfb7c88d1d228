//! Files on complaints: those staff send with replies and customers add on the form or their
//! status page (`complaint_files`, written here), and those kept from emails (kept by the
//! intake in `email_attachments`). Every file is sealed with its customer's key, so erasure
//! makes it unreadable (and [`Attachments::forget_customer`] deletes it); every instance can
//! serve every file, as they live in the database. A file's name and type are in the event
//! that carries it; here are its bytes only.

use chrono::{DateTime, Utc};
use redress_domain::CustomerId;
use uuid::Uuid;

use crate::db::Database;
use crate::inbound::{Inbound, OpenedFile};
use crate::vault::{KeyVault, OpenError};
use crate::{StoreError, on_pool};

/// The files of complaints.
#[derive(Clone)]
pub struct Attachments {
    db: Database,
    vault: KeyVault,
}

impl Attachments {
    /// The files in `db`, sealed with `vault`'s keys.
    pub fn new(db: Database, vault: KeyVault) -> Self {
        Self { db, vault }
    }

    /// Stores a file of `reference` under `id`, sealed with `customer`'s key, before the
    /// command that names it is handled (if it is refused, [`Attachments::discard`] it).
    /// Fails if the customer's key is gone.
    pub async fn store(
        &self,
        id: Uuid,
        reference: &str,
        customer: CustomerId,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let key =
            self.vault.key(customer).await?.ok_or_else(|| {
                StoreError::Config("the customer's personal data was erased".into())
            })?;
        let sealed = key.seal_bytes(customer, bytes);
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO complaint_files (id, reference, customer_id, content, created_at)
             VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(id)
        .bind(reference)
        .bind(customer.0)
        .bind(sealed)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes files stored for a command that was then refused.
    pub async fn discard(&self, ids: &[Uuid]) -> Result<(), StoreError> {
        for id in ids {
            on_pool!(&self.db, |pool| sqlx::query(
                "DELETE FROM complaint_files WHERE id = $1"
            )
            .bind(*id)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// A file, opened, with its complaint (from the complaints' files or the intake's);
    /// `Err(Erased)` once the customer is forgotten.
    pub async fn open(
        &self,
        id: Uuid,
    ) -> Result<Option<Result<OpenedFile, OpenError>>, StoreError> {
        let row: Option<(String, Uuid, Vec<u8>)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT reference, customer_id, content FROM complaint_files WHERE id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        let Some((reference, customer, sealed)) = row else {
            return Inbound::new(self.db.clone(), self.vault.clone())
                .file(id)
                .await;
        };
        let customer = CustomerId(customer);
        Ok(Some(match self.vault.key(customer).await? {
            Some(key) => key
                .open_bytes(customer, &sealed)
                .map(|bytes| OpenedFile { bytes, reference }),
            None => Err(OpenError::Erased),
        }))
    }

    /// Deletes a customer's files (their key goes too; this frees the space).
    pub async fn forget_customer(&self, customer: CustomerId) -> Result<(), StoreError> {
        on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM complaint_files WHERE customer_id = $1"
        )
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
