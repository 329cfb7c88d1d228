//! Which key accounts are at risk, and why: falling satisfaction, a breach or a low score in
//! the last 90 days, no meeting or call for longer than the limit, a meeting overdue.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::{KeyAccounts, LIST_LIMIT, RECENT_DAYS};
use crate::db::placeholders;
use crate::{StoreError, on_pool};

/// Why a key account is flagged at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskFlag {
    /// The average score of the last 90 days is below the 90 days before.
    FallingSatisfaction,
    /// A complaint of theirs breached an SLA target in the last 90 days.
    Breach,
    /// One of them gave a low score in the last 90 days.
    LowScore,
    /// No meeting or call for longer than the limit.
    NoContact,
    /// The next meeting's due date has passed.
    MeetingOverdue,
}

impl RiskFlag {
    /// Its code (the key of its words).
    pub fn code(self) -> &'static str {
        match self {
            RiskFlag::FallingSatisfaction => "falling_satisfaction",
            RiskFlag::Breach => "breach",
            RiskFlag::LowScore => "low_score",
            RiskFlag::NoContact => "no_contact",
            RiskFlag::MeetingOverdue => "meeting_overdue",
        }
    }
}

/// When a key account counts as at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskRules {
    /// No meeting or call for longer than this many months.
    pub no_contact_months: u32,
    /// A score at or below this is low.
    pub low_score: u8,
}

impl Default for RiskRules {
    fn default() -> Self {
        Self {
            no_contact_months: 3,
            low_score: 2,
        }
    }
}

/// One key account on the list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyAccount {
    /// The company's file.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Who owns the account.
    pub owner: Option<String>,
    /// The latest meeting or call.
    pub last_contact: Option<NaiveDate>,
    /// When the next meeting is due (the latest meeting's).
    pub next_due: Option<NaiveDate>,
    /// Complaints not closed.
    pub open_complaints: i64,
    /// Complaints received in the last 90 days.
    pub recent_complaints: i64,
    /// The average score of complaints received in the last 90 days.
    pub satisfaction_recent: Option<f64>,
    /// The same over the 90 days before.
    pub satisfaction_before: Option<f64>,
    /// Why it is at risk (empty: it is not).
    pub flags: Vec<RiskFlag>,
}

impl KeyAccounts {
    /// The key accounts, at risk first, with why, as of `now` (`today` in the viewer's zone).
    pub async fn list(
        &self,
        now: DateTime<Utc>,
        today: NaiveDate,
        rules: RiskRules,
    ) -> Result<Vec<KeyAccount>, StoreError> {
        let companies: Vec<(Uuid, String, DateTime<Utc>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT company_id, name, created_at FROM companies WHERE tier = 'key_account'
                  ORDER BY LOWER(name) LIMIT $1",
            )
            .bind(LIST_LIMIT)
            .fetch_all(pool)
            .await
        })?;
        if companies.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = companies.iter().map(|c| c.0).collect();
        let recent = now - Duration::days(RECENT_DAYS);
        let before = now - Duration::days(2 * RECENT_DAYS);
        let owners: HashMap<Uuid, String> = self
            .by_company::<(Uuid, String)>(
                "SELECT company_id, owner_name FROM account_owners WHERE company_id IN",
                &ids,
                None,
            )
            .await?
            .into_iter()
            .collect();
        let meetings: Vec<(Uuid, NaiveDate, DateTime<Utc>, Option<NaiveDate>)> = self
            .by_company(
                "SELECT company_id, held_on, recorded_at, next_due FROM company_meetings
                  WHERE company_id IN",
                &ids,
                None,
            )
            .await?;
        let complaints: Vec<(Uuid, DateTime<Utc>, bool, Option<i64>)> = self
            .by_company(
                "SELECT company_id, received_at, closed, satisfaction_score FROM complaint_list
                  WHERE company_id IN",
                &ids,
                None,
            )
            .await?;
        let breached: Vec<(Uuid,)> = self
            .by_company(
                "SELECT DISTINCT l.company_id FROM sla_breaches b
                   JOIN complaint_list l ON l.reference = b.reference
                  WHERE l.company_id IN",
                &ids,
                Some((" AND b.due_at >= ", recent)),
            )
            .await?;
        let low: Vec<(Uuid, i64)> = self
            .by_company(
                "SELECT l.company_id, MIN(q.score) FROM recovery_queue q
                   JOIN complaint_list l ON l.reference = q.source
                  WHERE l.company_id IN",
                &ids,
                Some((" AND q.scored_at >= ", recent)),
            )
            .await?;
        let breached: HashSet<Uuid> = breached.into_iter().map(|b| b.0).collect();
        let low: HashSet<Uuid> = low
            .into_iter()
            .filter(|(_, score)| *score <= i64::from(rules.low_score))
            .map(|(id, _)| id)
            .collect();
        let quiet_since = today
            .checked_sub_months(Months::new(rules.no_contact_months))
            .unwrap_or(today);
        let mut out = Vec::with_capacity(companies.len());
        for (id, name, created_at) in companies {
            let mut theirs: Vec<_> = meetings.iter().filter(|m| m.0 == id).collect();
            theirs.sort_by_key(|m| (m.1, m.2));
            let last = theirs.last();
            let mut account = KeyAccount {
                id,
                owner: owners.get(&id).cloned(),
                last_contact: last.map(|m| m.1),
                next_due: last.and_then(|m| m.3),
                open_complaints: 0,
                recent_complaints: 0,
                satisfaction_recent: None,
                satisfaction_before: None,
                flags: Vec::new(),
                name,
            };
            let (mut recent_scores, mut earlier_scores) = (Vec::new(), Vec::new());
            for (_, received_at, closed, score) in complaints.iter().filter(|c| c.0 == id) {
                if !closed {
                    account.open_complaints += 1;
                }
                if *received_at >= recent {
                    account.recent_complaints += 1;
                    recent_scores.extend(*score);
                } else if *received_at >= before {
                    earlier_scores.extend(*score);
                }
            }
            let mean = |scores: &[i64]| {
                (!scores.is_empty())
                    .then(|| scores.iter().sum::<i64>() as f64 / scores.len() as f64)
            };
            account.satisfaction_recent = mean(&recent_scores);
            account.satisfaction_before = mean(&earlier_scores);
            if let (Some(now), Some(then)) =
                (account.satisfaction_recent, account.satisfaction_before)
                && now < then
            {
                account.flags.push(RiskFlag::FallingSatisfaction);
            }
            if breached.contains(&id) {
                account.flags.push(RiskFlag::Breach);
            }
            if low.contains(&id) {
                account.flags.push(RiskFlag::LowScore);
            }
            let since = account
                .last_contact
                .unwrap_or_else(|| created_at.date_naive());
            if since < quiet_since {
                account.flags.push(RiskFlag::NoContact);
            }
            if account.next_due.is_some_and(|d| d < today) {
                account.flags.push(RiskFlag::MeetingOverdue);
            }
            out.push(account);
        }
        out.sort_by_key(|a| std::cmp::Reverse(a.flags.len()));
        Ok(out)
    }

    /// Runs `select` (ending in `company_id IN`) over `ids` in chunks, with an optional
    /// `AND column >= since` after the list, and `GROUP BY` the first column when the select
    /// aggregates.
    async fn by_company<T>(
        &self,
        select: &str,
        ids: &[Uuid],
        since: Option<(&str, DateTime<Utc>)>,
    ) -> Result<Vec<T>, StoreError>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let mut sql = format!(
                "{select} ({})",
                placeholders(self.db.backend(), 1, chunk.len())
            );
            if let Some((clause, _)) = since {
                sql.push_str(clause);
                sql.push_str(&placeholders(self.db.backend(), chunk.len() + 1, 1));
            }
            if select.contains("MIN(") {
                sql.push_str(" GROUP BY l.company_id");
            }
            let rows: Vec<T> = on_pool!(&self.db, |pool| {
                let mut query = sqlx::query_as(&sql);
                for id in chunk {
                    query = query.bind(*id);
                }
                if let Some((_, at)) = since {
                    query = query.bind(at);
                }
                query.fetch_all(pool).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }
}
