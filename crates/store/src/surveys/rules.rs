//! Who the periodic surveys ask and how often, as an admin sets them at `/admin/surveys`. Until
//! an admin saves them, the instance's settings (`REDRESS_SURVEY_*`) apply; once saved, every
//! instance reads the same rules before its next wave.

use super::*;

/// The largest interval, in months.
pub const MAX_MONTHS: u32 = 120;
/// The largest minimum gap, in days.
pub const MAX_MIN_DAYS: u32 = 3650;
/// The most invitations an hour.
pub const MAX_PER_HOUR: u32 = 1_000_000;

/// The rules in force, and who saved them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesInForce {
    /// The rules.
    pub rules: SurveyRules,
    /// When and by whom an admin saved them (none: the instance's settings apply).
    pub saved: Option<(DateTime<Utc>, String)>,
}

/// Why rules were not saved: what to fix.
#[derive(Debug, thiserror::Error)]
pub enum RulesError {
    /// A value out of range.
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl SurveyRules {
    /// Checks each value's range; the error names the field and its limits.
    pub fn validate(&self) -> Result<(), String> {
        if self.every_months > MAX_MONTHS {
            return Err(format!(
                "Every contact: at most every {MAX_MONTHS} months (0: only key accounts' major contacts)."
            ));
        }
        if self.key_every_months > MAX_MONTHS {
            return Err(format!(
                "Key accounts' major contacts: at most every {MAX_MONTHS} months (0: as everyone else)."
            ));
        }
        if self.min_days > MAX_MIN_DAYS {
            return Err(format!("The minimum gap is at most {MAX_MIN_DAYS} days."));
        }
        if self.per_hour == 0 || self.per_hour > MAX_PER_HOUR {
            return Err(format!("Invitations an hour: from 1 to {MAX_PER_HOUR}."));
        }
        Ok(())
    }
}

type RulesRow = (i64, i64, i64, i64, DateTime<Utc>, String);

impl Surveys {
    /// The rules in force: the saved ones, else `defaults` (the instance's settings).
    pub async fn rules(&self, defaults: SurveyRules) -> Result<RulesInForce, StoreError> {
        let row: Option<RulesRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT every_months, key_every_months, min_days, per_hour, updated_at, updated_by
               FROM survey_rules WHERE id = 1"
        )
        .fetch_optional(pool)
        .await)?;
        let Some((every, key, min_days, per_hour, at, by)) = row else {
            return Ok(RulesInForce {
                rules: defaults,
                saved: None,
            });
        };
        let number = |value: i64| u32::try_from(value).unwrap_or(0);
        Ok(RulesInForce {
            rules: SurveyRules {
                every_months: number(every),
                key_every_months: number(key),
                min_days: number(min_days),
                per_hour: number(per_hour).max(1),
            },
            saved: Some((at, by)),
        })
    }

    /// Saves `rules` for every instance's next wave.
    pub async fn set_rules(
        &self,
        rules: SurveyRules,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), RulesError> {
        rules.validate().map_err(RulesError::Invalid)?;
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO survey_rules (id, every_months, key_every_months, min_days, per_hour,
                                       updated_at, updated_by)
             VALUES (1, $1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET every_months = excluded.every_months,
                    key_every_months = excluded.key_every_months,
                    min_days = excluded.min_days, per_hour = excluded.per_hour,
                    updated_at = excluded.updated_at, updated_by = excluded.updated_by"
        )
        .bind(i64::from(rules.every_months))
        .bind(i64::from(rules.key_every_months))
        .bind(i64::from(rules.min_days))
        .bind(i64::from(rules.per_hour))
        .bind(now)
        .bind(by)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(StoreError::from)?;
        Ok(())
    }
}
