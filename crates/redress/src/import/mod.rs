//! `redress import FILE`: complaints a team already has, from a CSV or JSON-lines file in
//! Redress's columns or a help desk's export ([`rows::Mapping`]), brought in as events
//! back-dated to when they happened. Every row is checked first (the form of each value, then
//! its whole history through the domain's rules, with a vault that keeps nothing): `--dry-run`
//! stops there and lists every row it would refuse and why; otherwise one refused row refuses
//! the file and nothing is written. Rows whose external id was imported from the same source
//! before are skipped, so running a file twice imports nothing twice. No email or webhook is
//! sent for imported events.

pub mod history;
pub mod rows;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use redress_domain::{CustomerEmail, CustomerId, PersonalDataVault, Reference, Sealed, VaultError};
use redress_store::vault::SealingKey;
use redress_store::{ImportedComplaint, Store};

use history::{Context, history};
pub use rows::{Mapping, Refusal};

/// Complaints written per transaction.
const BATCH: usize = 500;

/// What an import did (or, dry, would do).
#[derive(Debug, Default)]
pub struct ImportReport {
    /// Rows in the file.
    pub rows: usize,
    /// Rows imported (or that would be).
    pub imported: usize,
    /// Rows skipped: imported from this source before.
    pub already: usize,
    /// Rows refused, and why.
    pub refused: Vec<Refusal>,
    /// Events written.
    pub events: u64,
}

/// A vault that keeps nothing, for checking rows: any customer, sealed with a throwaway key.
struct DryVault(SealingKey);

#[async_trait]
impl PersonalDataVault for DryVault {
    async fn customer_for(&self, _email: &CustomerEmail) -> Result<CustomerId, VaultError> {
        Ok(CustomerId(uuid::Uuid::new_v4()))
    }

    async fn new_customer(&self) -> Result<CustomerId, VaultError> {
        Ok(CustomerId(uuid::Uuid::new_v4()))
    }

    async fn seal(&self, customer: CustomerId, plaintext: &str) -> Result<Sealed, VaultError> {
        Ok(self.0.seal(customer, plaintext))
    }
}

/// The store's vault, with each customer found and their key fetched once per import (a row
/// seals several fields, and a customer may have many rows).
struct CachingVault {
    vault: redress_store::vault::KeyVault,
    customers: std::sync::Mutex<HashMap<String, CustomerId>>,
    keys: std::sync::Mutex<HashMap<CustomerId, SealingKey>>,
}

#[async_trait]
impl PersonalDataVault for CachingVault {
    async fn customer_for(&self, email: &CustomerEmail) -> Result<CustomerId, VaultError> {
        let known = self
            .customers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(email.as_str())
            .copied();
        if let Some(customer) = known {
            return Ok(customer);
        }
        let customer = self.vault.customer_for(email).await?;
        self.customers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(email.as_str().to_string(), customer);
        Ok(customer)
    }

    async fn new_customer(&self) -> Result<CustomerId, VaultError> {
        self.vault.new_customer().await
    }

    async fn seal(&self, customer: CustomerId, plaintext: &str) -> Result<Sealed, VaultError> {
        let cached = self
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&customer)
            .cloned();
        let key = match cached {
            Some(key) => key,
            None => {
                let key = self
                    .vault
                    .key(customer)
                    .await
                    .map_err(|e| VaultError::Storage(e.to_string()))?
                    .ok_or(VaultError::Erased)?;
                self.keys
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .insert(customer, key.clone());
                key
            }
        };
        Ok(key.seal(customer, plaintext))
    }
}

/// Imports `path` into `store`, read with `mapping`; only checks when `dry_run`. `progress`
/// is told how many rows are written as they are.
pub async fn import(
    store: &Store,
    path: &Path,
    mapping: Mapping,
    dry_run: bool,
    progress: &dyn Fn(usize, usize),
) -> anyhow::Result<ImportReport> {
    let records = rows::read_file(path)?;
    let mut report = ImportReport {
        rows: records.len(),
        ..ImportReport::default()
    };
    let source = mapping.source();
    // 1. Each value's form, and each external id once.
    let mut parsed = Vec::with_capacity(records.len());
    let mut first_line: HashMap<String, usize> = HashMap::new();
    for (line, record) in records {
        match rows::read_row(line, record, mapping) {
            Ok(row) => {
                if let Some(first) = first_line.get(&row.external_id) {
                    report.refused.push(Refusal {
                        line,
                        external_id: row.external_id.clone(),
                        problems: vec![format!(
                            "external_id {:?} is on line {first} already",
                            row.external_id
                        )],
                    });
                } else {
                    first_line.insert(row.external_id.clone(), line);
                    parsed.push(row);
                }
            }
            Err(refusal) => report.refused.push(refusal),
        }
    }
    // 2. Skip what this source imported before.
    let ids: Vec<String> = parsed.iter().map(|r| r.external_id.clone()).collect();
    let known = store.imports.known(source, &ids).await?;
    report.already = parsed
        .iter()
        .filter(|r| known.contains(&r.external_id))
        .count();
    parsed.retain(|r| !known.contains(&r.external_id));
    // 3. Each history through the domain, keeping nothing.
    let mut tiers = HashMap::new();
    for company in parsed.iter().filter_map(|r| r.company.as_ref()) {
        if !tiers.contains_key(company) {
            tiers.insert(company.clone(), store.companies.tier_of(company).await?);
        }
    }
    let context = Context {
        categories: store.categories.map().await?,
        staff: store
            .accounts
            .list()
            .await?
            .into_iter()
            .map(|a| (a.email.to_ascii_lowercase(), a.member()))
            .collect(),
        tiers,
        source,
    };
    let dry: Arc<dyn PersonalDataVault> = Arc::new(DryVault(SealingKey::generate()));
    let placeholder = Reference::parse("RDR-0000-0000").expect("a reference");
    for row in &parsed {
        if let Err(problems) = history(row, placeholder.clone(), &context, dry.clone()).await {
            report.refused.push(Refusal {
                line: row.line,
                external_id: row.external_id.clone(),
                problems,
            });
        }
    }
    report.refused.sort_by_key(|r| r.line);
    if dry_run || !report.refused.is_empty() {
        if report.refused.is_empty() {
            report.imported = parsed.len();
        }
        return Ok(report);
    }
    // 4. Written in batches, with the real vault.
    let vault: Arc<dyn PersonalDataVault> = Arc::new(CachingVault {
        vault: store.vault.clone(),
        customers: std::sync::Mutex::default(),
        keys: std::sync::Mutex::default(),
    });
    let total = parsed.len();
    let mut done = 0;
    for chunk in parsed.chunks(BATCH) {
        let mut batch = Vec::with_capacity(chunk.len());
        for row in chunk {
            let reference = Reference::generate(&mut rand::thread_rng());
            let events = history(row, reference.clone(), &context, vault.clone())
                .await
                .map_err(|problems| {
                    anyhow::anyhow!("line {}: {}", row.line, problems.join("; "))
                })?;
            batch.push(ImportedComplaint {
                external_id: row.external_id.clone(),
                reference: reference.to_string(),
                events,
            });
        }
        report.events += store
            .imports
            .write(source, &batch, store.clock.now())
            .await?;
        done += batch.len();
        report.imported = done;
        progress(done, total);
    }
    store.signal.notify();
    Ok(report)
}
