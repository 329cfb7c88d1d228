//! The personal-data vault: one AES-256-GCM key per customer, in `customer_keys`, outside the
//! event stream. Deleting a customer's key erases every sealed field of every event about
//! them, without rewriting a single event.
//!
//! A customer is recognised again by an HMAC of their normalised email address (keyed with a
//! secret this installation generates for itself), so the lookup table holds no address in
//! the clear and loses even the digest on erasure.

use std::collections::HashMap;

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use hmac::{Hmac, Mac};
use rand::RngCore;
use redress_domain::{CustomerEmail, CustomerId, PersonalDataVault, Sealed, VaultError};
use sha2::Sha256;
use uuid::Uuid;

use crate::db::{Database, Tx};
use crate::{StoreError, on_db, on_pool};

const SEALED_PREFIX: &str = "v1.";
const NONCE_LEN: usize = 12;

/// Why a sealed value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The customer's key is gone: the value is erased for good.
    #[error("erased")]
    Erased,
    /// The value is not one we sealed, or was sealed for another customer.
    #[error("the sealed value is damaged or belongs to another customer")]
    Damaged,
}

/// One customer's key.
#[derive(Clone)]
pub struct SealingKey(Key<Aes256Gcm>);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// A fresh random key (kept nowhere: the vault stores the keys it makes itself).
    pub fn generate() -> Self {
        Self(Aes256Gcm::generate_key(OsRng))
    }

    fn from_bytes(bytes: &[u8]) -> Option<Self> {
        (bytes.len() == 32).then(|| Self(*Key::<Aes256Gcm>::from_slice(bytes)))
    }

    /// Seals `plaintext`; the customer id is bound in as associated data, so a value moved to
    /// another customer's event does not open.
    pub fn seal(&self, customer: CustomerId, plaintext: &str) -> Sealed {
        let out = self.seal_bytes(customer, plaintext.as_bytes());
        Sealed(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Seals bytes (a file, an original email): nonce then ciphertext, the customer bound in
    /// as with [`SealingKey::seal`].
    pub fn seal_bytes(&self, customer: CustomerId, plaintext: &[u8]) -> Vec<u8> {
        let cipher = Aes256Gcm::new(&self.0);
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: customer.0.as_bytes(),
                },
            )
            // AES-GCM refuses only plaintexts over 64 GiB; every body Redress takes is
            // limited to a few megabytes long before it gets here.
            .expect("AES-GCM encrypts anything under 64 GiB");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Opens bytes sealed with [`SealingKey::seal_bytes`].
    pub fn open_bytes(&self, customer: CustomerId, sealed: &[u8]) -> Result<Vec<u8>, OpenError> {
        if sealed.len() <= NONCE_LEN {
            return Err(OpenError::Damaged);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        Aes256Gcm::new(&self.0)
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: customer.0.as_bytes(),
                },
            )
            .map_err(|_| OpenError::Damaged)
    }

    /// Opens a value sealed with [`SealingKey::seal`].
    pub fn open(&self, customer: CustomerId, sealed: &Sealed) -> Result<String, OpenError> {
        let bytes = sealed
            .0
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b64| URL_SAFE_NO_PAD.decode(b64).ok())
            .ok_or(OpenError::Damaged)?;
        let plaintext = self.open_bytes(customer, &bytes)?;
        String::from_utf8(plaintext).map_err(|_| OpenError::Damaged)
    }
}

/// The vault, backed by the database.
#[derive(Clone)]
pub struct KeyVault {
    db: Database,
    digest_secret: [u8; 32],
}

impl std::fmt::Debug for KeyVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyVault").finish_non_exhaustive()
    }
}

impl KeyVault {
    /// Opens the vault, generating this installation's digest secret on first use.
    pub async fn open(db: Database) -> Result<Self, StoreError> {
        let mut fresh = [0u8; 32];
        OsRng.fill_bytes(&mut fresh);
        on_pool!(&db, |pool| {
            sqlx::query(
            "INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
        )
        .bind("email_digest")
        .bind(fresh.to_vec())
        .execute(pool)
        .await.map(|r| r.rows_affected())
        })?;
        let stored: Vec<u8> = on_pool!(&db, |pool| sqlx::query_scalar(
            "SELECT value FROM instance_secrets WHERE name = $1"
        )
        .bind("email_digest")
        .fetch_one(pool)
        .await)?;
        let digest_secret: [u8; 32] = stored
            .try_into()
            .map_err(|_| StoreError::Corrupt("the email digest secret is not 32 bytes".into()))?;
        Ok(Self { db, digest_secret })
    }

    fn digest(&self, email: &CustomerEmail) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.digest_secret)
            .expect("HMAC takes a key of any length");
        mac.update(email.normalised().as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The digest an address is known by (an HMAC under this installation's secret): the
    /// same for every spelling of the address, and no use without the secret.
    pub fn digest_of(&self, email: &CustomerEmail) -> Vec<u8> {
        self.digest(email)
    }

    /// The customer known by this address, if any (and not erased).
    pub async fn find_customer(
        &self,
        email: &CustomerEmail,
    ) -> Result<Option<CustomerId>, StoreError> {
        let digest = self.digest(email);
        let id: Option<Uuid> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT customer_id FROM customer_keys WHERE email_digest = $1"
        )
        .bind(digest)
        .fetch_optional(pool)
        .await)?;
        Ok(id.map(CustomerId))
    }

    /// The customer's key, unless erased.
    pub async fn key(&self, customer: CustomerId) -> Result<Option<SealingKey>, StoreError> {
        let bytes: Option<Vec<u8>> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT sealing_key FROM customer_keys WHERE customer_id = $1"
        )
        .bind(customer.0)
        .fetch_optional(pool)
        .await)?;
        bytes
            .map(|b| {
                SealingKey::from_bytes(&b)
                    .ok_or_else(|| StoreError::Corrupt(format!("the key of {customer} is damaged")))
            })
            .transpose()
    }

    /// Which of `customers` still have their key (are not erased): one query per 500.
    pub async fn holding_keys(
        &self,
        customers: &[CustomerId],
    ) -> Result<std::collections::HashSet<CustomerId>, StoreError> {
        let mut held = std::collections::HashSet::new();
        for chunk in customers.chunks(500) {
            let placeholders = crate::db::placeholders(self.db.backend(), 1, chunk.len());
            let sql = format!(
                "SELECT customer_id FROM customer_keys WHERE customer_id IN ({placeholders})"
            );
            let found: Vec<Uuid> = on_pool!(&self.db, |pool| {
                let mut query = sqlx::query_scalar(&sql);
                for customer in chunk {
                    query = query.bind(customer.0);
                }
                query.fetch_all(pool).await
            })?;
            held.extend(found.into_iter().map(CustomerId));
        }
        Ok(held)
    }

    /// Opens a sealed value; `Err(Erased)` once the key is gone.
    pub async fn open_value(
        &self,
        customer: CustomerId,
        sealed: &Sealed,
    ) -> Result<Result<String, OpenError>, StoreError> {
        Ok(match self.key(customer).await? {
            Some(key) => key.open(customer, sealed),
            None => Err(OpenError::Erased),
        })
    }

    /// Deletes the customer's key. Returns whether there was one.
    pub async fn erase(&self, customer: CustomerId) -> Result<bool, StoreError> {
        let deleted = on_pool!(&self.db, |pool| sqlx::query(
            "DELETE FROM customer_keys WHERE customer_id = $1"
        )
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(deleted > 0)
    }
}

#[async_trait]
impl PersonalDataVault for KeyVault {
    async fn customer_for(&self, email: &CustomerEmail) -> Result<CustomerId, VaultError> {
        let storage = |e: StoreError| VaultError::Storage(e.to_string());
        let digest = self.digest(email);
        let key = SealingKey::generate();
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO customer_keys (customer_id, email_digest, sealing_key, created_at)
             VALUES ($1, $2, $3, $4) ON CONFLICT (email_digest) DO NOTHING"
        )
        .bind(Uuid::new_v4())
        .bind(&digest)
        .bind(key.0.to_vec())
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| storage(e.into()))?;
        self.find_customer(email)
            .await
            .map_err(storage)?
            .ok_or_else(|| VaultError::Storage("the customer's key vanished while created".into()))
    }

    async fn new_customer(&self) -> Result<CustomerId, VaultError> {
        // Known by no address: a digest no address has (those are 32-byte HMACs).
        let customer = Uuid::new_v4();
        let key = SealingKey::generate();
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO customer_keys (customer_id, email_digest, sealing_key, created_at)
             VALUES ($1, $2, $3, $4)"
        )
        .bind(customer)
        .bind([b"no-email:".as_slice(), customer.as_bytes()].concat())
        .bind(key.0.to_vec())
        .bind(Utc::now())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| VaultError::Storage(StoreError::from(e).to_string()))?;
        Ok(CustomerId(customer))
    }

    async fn seal(&self, customer: CustomerId, plaintext: &str) -> Result<Sealed, VaultError> {
        match self.key(customer).await {
            Ok(Some(key)) => Ok(key.seal(customer, plaintext)),
            Ok(None) => Err(VaultError::Erased),
            Err(e) => Err(VaultError::Storage(e.to_string())),
        }
    }
}

/// Keys looked up once per projector batch, through the batch's own transaction.
#[derive(Debug, Default)]
pub struct KeyRing {
    keys: HashMap<CustomerId, Option<SealingKey>>,
}

impl KeyRing {
    /// Opens `sealed`, or says it is erased. A damaged value is reported as an error: it means
    /// a bug or tampering, not an erasure.
    pub async fn open(
        &mut self,
        tx: &mut Tx,
        customer: CustomerId,
        sealed: &Sealed,
    ) -> Result<Option<String>, StoreError> {
        let key = match self.keys.get(&customer) {
            Some(known) => known.clone(),
            None => {
                let bytes: Option<Vec<u8>> = on_db!(tx, |q| sqlx::query_scalar(
                    "SELECT sealing_key FROM customer_keys WHERE customer_id = $1"
                )
                .bind(customer.0)
                .fetch_optional(q)
                .await)?;
                let key = bytes.and_then(|b| SealingKey::from_bytes(&b));
                self.keys.insert(customer, key.clone());
                key
            }
        };
        match key {
            Some(key) => key.open(customer, sealed).map(Some).map_err(|e| {
                StoreError::Corrupt(format!(
                    "a sealed value of customer {customer} does not open: {e}"
                ))
            }),
            None => Ok(None),
        }
    }

    /// Reads the keys of `customers` not yet known, one query per 500 (a batch's worth at
    /// once, instead of one query per customer in [`KeyRing::open`]).
    pub async fn preload(
        &mut self,
        tx: &mut Tx,
        customers: &[CustomerId],
    ) -> Result<(), StoreError> {
        let mut wanted: Vec<CustomerId> = customers
            .iter()
            .filter(|c| !self.keys.contains_key(c))
            .copied()
            .collect();
        wanted.sort_unstable_by_key(|c| c.0);
        wanted.dedup();
        for chunk in wanted.chunks(500) {
            let placeholders = crate::db::placeholders(tx.backend(), 1, chunk.len());
            let sql = format!(
                "SELECT customer_id, sealing_key FROM customer_keys WHERE customer_id IN ({placeholders})"
            );
            let found: Vec<(Uuid, Vec<u8>)> = on_db!(tx, |q| {
                let mut query = sqlx::query_as(&sql);
                for customer in chunk {
                    query = query.bind(customer.0);
                }
                query.fetch_all(q).await
            })?;
            for customer in chunk {
                self.keys.insert(*customer, None);
            }
            for (id, bytes) in found {
                self.keys
                    .insert(CustomerId(id), SealingKey::from_bytes(&bytes));
            }
        }
        Ok(())
    }

    /// Forgets a key (after an erasure event, so later events in the batch see it gone).
    pub fn forget(&mut self, customer: CustomerId) {
        self.keys.insert(customer, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_with_its_key_and_customer_only() {
        let key = SealingKey::generate();
        let customer = CustomerId(Uuid::new_v4());
        let sealed = key.seal(customer, "Ana Pop, ana@example.ro — 我的订单");
        assert!(!sealed.0.contains("Ana"));
        assert_eq!(
            key.open(customer, &sealed).as_deref(),
            Ok("Ana Pop, ana@example.ro — 我的订单")
        );
        let other_customer = CustomerId(Uuid::new_v4());
        assert_eq!(key.open(other_customer, &sealed), Err(OpenError::Damaged));
        assert_eq!(
            SealingKey::generate().open(customer, &sealed),
            Err(OpenError::Damaged)
        );
    }

    #[test]
    fn sealing_the_same_text_twice_gives_different_ciphertexts() {
        let key = SealingKey::generate();
        let customer = CustomerId(Uuid::new_v4());
        assert_ne!(key.seal(customer, "same"), key.seal(customer, "same"));
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let key = SealingKey::generate();
        let customer = CustomerId(Uuid::new_v4());
        let mut sealed = key.seal(customer, "secret").0;
        let last = sealed.pop().unwrap();
        sealed.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(key.open(customer, &Sealed(sealed)), Err(OpenError::Damaged));
        assert_eq!(
            key.open(customer, &Sealed("not sealed".into())),
            Err(OpenError::Damaged)
        );
    }
}
