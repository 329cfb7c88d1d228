//! What the aggregate needs from outside, behind traits: the time, and the vault that seals
//! personal data. The store crate provides the real ones; tests use a fixed clock.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};

use crate::values::{CustomerEmail, CustomerId, Sealed};

/// The time, as a parameter: every rule that depends on time asks this.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that says what it is told: for tests, and for back-dated demo data.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn at(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// Moves the clock to `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Why the vault could not seal.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The customer's key has been erased: nothing more can be sealed for them.
    #[error("the customer's key has been erased")]
    Erased,
    /// Storage failed.
    #[error("{0}")]
    Storage(String),
}

/// Seals personal data with a key per customer. Keys live outside the event stream, so
/// deleting one erases everything sealed with it.
#[async_trait]
pub trait PersonalDataVault: Send + Sync {
    /// The customer with this address, creating them (and their key) on first contact.
    async fn customer_for(&self, email: &CustomerEmail) -> Result<CustomerId, VaultError>;
    /// A new customer (and key) for someone with no email address to know them by.
    async fn new_customer(&self) -> Result<CustomerId, VaultError>;
    /// Seals `plaintext` with the customer's key.
    async fn seal(&self, customer: CustomerId, plaintext: &str) -> Result<Sealed, VaultError>;
}

/// Everything the aggregate's command handler may call.
#[derive(Clone)]
pub struct ComplaintServices {
    /// The time.
    pub clock: Arc<dyn Clock>,
    /// The personal-data vault.
    pub vault: Arc<dyn PersonalDataVault>,
}

impl ComplaintServices {
    /// Services from a clock and a vault.
    pub fn new(clock: Arc<dyn Clock>, vault: Arc<dyn PersonalDataVault>) -> Self {
        Self { clock, vault }
    }
}
