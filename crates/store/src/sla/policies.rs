//! The SLA policy versions admins save: each a whole policy, in effect from its moment.

use super::*;

/// One saved version of the policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyVersion {
    /// Its number, from 1.
    pub version: i64,
    /// The policy.
    pub policy: Arc<SlaPolicy>,
    /// What changed, in the editor's words.
    pub note: String,
    /// When it took effect.
    pub created_at: DateTime<Utc>,
    /// Who saved it.
    pub created_by: String,
}

/// The versions of the team's SLA policy. Versions are never changed once saved, so they
/// are cached.
#[derive(Clone)]
pub struct SlaPolicies {
    db: Database,
    cache: Arc<RwLock<HashMap<i64, Arc<SlaPolicy>>>>,
    clock: Arc<dyn Clock>,
}

impl SlaPolicies {
    /// The policies in `db`; a saved version takes effect at `clock`'s time.
    pub fn new(db: Database, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            cache: Arc::default(),
            clock,
        }
    }

    /// Saves version 1, the default policy, in effect since the beginning of time, unless a
    /// version exists.
    pub async fn ensure_initial(&self) -> Result<(), StoreError> {
        let json = serde_json::to_string(&SlaPolicy::default())
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO sla_policy_versions (version, definition, note, created_at, created_by)
             VALUES (1, $1, 'The default policy Redress starts with.', $2, 'Redress')
             ON CONFLICT (version) DO NOTHING"
        )
        .bind(&json)
        .bind(DateTime::<Utc>::UNIX_EPOCH)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    fn parse(json: &str, version: i64) -> Result<Arc<SlaPolicy>, StoreError> {
        serde_json::from_str(json)
            .map(Arc::new)
            .map_err(|e| StoreError::Corrupt(format!("SLA policy version {version}: {e}")))
    }

    /// Every version, newest first.
    pub async fn versions(&self) -> Result<Vec<PolicyVersion>, StoreError> {
        let rows: Vec<(i64, String, String, DateTime<Utc>, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT version, definition, note, created_at, created_by
                   FROM sla_policy_versions ORDER BY version DESC"
            )
            .fetch_all(pool)
            .await)?;
        rows.into_iter()
            .map(|(version, json, note, created_at, created_by)| {
                Ok(PolicyVersion {
                    version,
                    policy: Self::parse(&json, version)?,
                    note,
                    created_at,
                    created_by,
                })
            })
            .collect()
    }

    /// The version in effect now (the newest; [`SlaPolicies::ensure_initial`] runs at start).
    pub async fn current(&self) -> Result<PolicyVersion, StoreError> {
        let row: Option<(i64, String, String, DateTime<Utc>, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT version, definition, note, created_at, created_by
                   FROM sla_policy_versions ORDER BY version DESC LIMIT 1"
            )
            .fetch_optional(pool)
            .await)?;
        let Some(row) = row else {
            return Ok(PolicyVersion {
                version: 0,
                policy: Arc::new(SlaPolicy::default()),
                note: String::new(),
                created_at: DateTime::<Utc>::UNIX_EPOCH,
                created_by: "Redress".into(),
            });
        };
        Ok(PolicyVersion {
            version: row.0,
            policy: Self::parse(&row.1, row.0)?,
            note: row.2,
            created_at: row.3,
            created_by: row.4,
        })
    }

    /// Saves a new version, in effect from `now` (or just after the last version, should the
    /// clock be behind it). Returns its number.
    pub async fn save(&self, policy: &SlaPolicy, note: &str, by: &str) -> Result<i64, StoreError> {
        policy
            .validate()
            .map_err(|e| StoreError::Config(e.to_string()))?;
        let json = serde_json::to_string(policy).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let note: String = note.trim().chars().take(500).collect();
        // Under the SLA projector's lock, and stamped once it is held: every complaint the
        // projector has placed so far arrived before the stamp (and keeps the version before),
        // every later one after it, live and on a rebuild alike.
        let mut tx = self.db.begin().await?;
        lock_checkpoint(&mut tx, SlaProjector::NAME).await?;
        let now = self.clock.now();
        let last: Option<(i64, DateTime<Utc>)> = on_db!(&mut tx, |q| sqlx::query_as(
            "SELECT version, created_at FROM sla_policy_versions ORDER BY version DESC LIMIT 1"
        )
        .fetch_optional(q)
        .await)?;
        let (version, at) = match last {
            Some((v, at)) => (v + 1, now.max(at + Duration::milliseconds(1))),
            None => (1, now),
        };
        on_db!(&mut tx, |q| sqlx::query(
            "INSERT INTO sla_policy_versions (version, definition, note, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(version)
        .bind(&json)
        .bind(&note)
        .bind(at)
        .bind(by)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(version)
    }

    /// One version's policy.
    pub async fn get(&self, version: i64) -> Result<Option<Arc<SlaPolicy>>, StoreError> {
        if let Some(policy) = self.cached(version) {
            return Ok(Some(policy));
        }
        let json: Option<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT definition FROM sla_policy_versions WHERE version = $1"
        )
        .bind(version)
        .fetch_optional(pool)
        .await)?;
        json.map(|json| self.remember(version, &json)).transpose()
    }

    fn cached(&self, version: i64) -> Option<Arc<SlaPolicy>> {
        self.cache
            .read()
            .ok()
            .and_then(|cache| cache.get(&version).cloned())
    }

    fn remember(&self, version: i64, json: &str) -> Result<Arc<SlaPolicy>, StoreError> {
        let policy = Self::parse(json, version)?;
        if let Ok(mut cache) = self.cache.write() {
            cache.insert(version, policy.clone());
        }
        Ok(policy)
    }

    /// In a projector's transaction: the version in effect at `at` (the newest saved at or
    /// before it; the oldest, for events older than every version), and its policy.
    pub(crate) async fn in_effect(
        &self,
        tx: &mut Tx,
        at: DateTime<Utc>,
    ) -> Result<(i64, Arc<SlaPolicy>), StoreError> {
        let mut row: Option<(i64, String)> = on_db!(tx, |q| sqlx::query_as(
            "SELECT version, definition FROM sla_policy_versions
              WHERE created_at <= $1 ORDER BY created_at DESC, version DESC LIMIT 1"
        )
        .bind(at)
        .fetch_optional(q)
        .await)?;
        if row.is_none() {
            row = on_db!(tx, |q| sqlx::query_as(
                "SELECT version, definition FROM sla_policy_versions ORDER BY version LIMIT 1"
            )
            .fetch_optional(q)
            .await)?;
        }
        match row {
            Some((version, json)) => Ok((
                version,
                self.cached(version)
                    .map_or_else(|| self.remember(version, &json), Ok)?,
            )),
            None => Ok((0, Arc::new(SlaPolicy::default()))),
        }
    }

    /// In a transaction: one version's policy (the default for version 0).
    pub(crate) async fn of_version(
        &self,
        tx: &mut Tx,
        version: i64,
    ) -> Result<Arc<SlaPolicy>, StoreError> {
        if let Some(policy) = self.cached(version) {
            return Ok(policy);
        }
        let json: Option<String> = on_db!(tx, |q| sqlx::query_scalar(
            "SELECT definition FROM sla_policy_versions WHERE version = $1"
        )
        .bind(version)
        .fetch_optional(q)
        .await)?;
        match json {
            Some(json) => self.remember(version, &json),
            None => Ok(Arc::new(SlaPolicy::default())),
        }
    }
}
