//! What the complaint list's projector writes beside the complaints' rows: the categories in
//! use, the companies' files and activity, the complaints' tags, and their root causes.

use super::*;

/// What a batch changes beside the complaints' rows, summed in memory and written once at
/// the end: the categories seen, the companies' files opened, and `company_activity`.
#[derive(Default)]
pub(super) struct Side {
    pub(super) categories: std::collections::BTreeSet<String>,
    /// Companies named for the first time: id → (name, first receipt).
    companies: std::collections::BTreeMap<Uuid, (String, DateTime<Utc>)>,
    activity: std::collections::BTreeMap<Uuid, Activity>,
    /// Tags put on (true) or taken off (false), the last change of each.
    pub(super) tags: std::collections::BTreeMap<(String, String), bool>,
    /// Each complaint's root causes as last named (they replace the ones before).
    pub(super) root_causes: std::collections::BTreeMap<String, Vec<String>>,
}

/// Changes to one company's counts.
struct Activity {
    complaints: i64,
    open: i64,
    satisfaction_total: i64,
    satisfaction_count: i64,
    /// The latest receipt's time among those counted here (when `complaints` > 0): the
    /// latest by date, not the last applied — complaints can arrive with earlier dates after
    /// later ones (imports, back-dated intake).
    last_received_at: DateTime<Utc>,
    /// Whether `last_received_at` is a counted receipt's yet.
    received_any: bool,
}

impl Side {
    /// Counts an event in its company's activity (and opens the company's file the first time
    /// a complaint names it): counts change only when a complaint arrives, closes or reopens,
    /// or is rated.
    pub(super) fn count_for_company(
        &mut self,
        company_id: Uuid,
        row: &ComplaintListRow,
        before: Option<(bool, Option<i32>)>,
        change: &ComplaintChange,
    ) {
        let after = (row.closed, row.satisfaction_score);
        let (complaints, open, total, count) = match before {
            None => {
                if let ComplaintChange::ComplaintReceived {
                    company: Some(name),
                    ..
                } = change
                {
                    self.companies
                        .entry(company_id)
                        .or_insert_with(|| (name.clone(), row.received_at));
                }
                (1, 1, 0, 0)
            }
            Some(before) if before == after => return,
            Some((was_closed, old_score)) => (
                // A duplicate merged into another is not a complaint of its own.
                -i64::from(matches!(change, ComplaintChange::MergedInto { .. })),
                i64::from(was_closed) - i64::from(row.closed),
                i64::from(after.1.unwrap_or(0) - old_score.unwrap_or(0)),
                i64::from(old_score.is_none() && after.1.is_some()),
            ),
        };
        let activity = self.activity.entry(company_id).or_insert(Activity {
            complaints: 0,
            open: 0,
            satisfaction_total: 0,
            satisfaction_count: 0,
            last_received_at: row.received_at,
            received_any: false,
        });
        activity.complaints += complaints;
        activity.open += open;
        activity.satisfaction_total += total;
        activity.satisfaction_count += count;
        if complaints > 0 {
            activity.last_received_at = if activity.received_any {
                activity.last_received_at.max(row.received_at)
            } else {
                row.received_at
            };
            activity.received_any = true;
        }
    }

    pub(super) async fn write(self, tx: &mut Tx) -> Result<(), StoreError> {
        // Each tag's count moves with the rows that really changed, so the queue's list of
        // tags reads a few rows instead of counting every tagged complaint.
        let mut counts: std::collections::BTreeMap<&str, i64> = Default::default();
        for ((reference, tag), on) in &self.tags {
            let sql = if *on {
                "INSERT INTO complaint_tags (reference, tag) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            } else {
                "DELETE FROM complaint_tags WHERE reference = $1 AND tag = $2"
            };
            let changed = on_db!(tx, |q| sqlx::query(sql)
                .bind(reference)
                .bind(tag)
                .execute(q)
                .await
                .map(|r| r.rows_affected()))?;
            if changed == 1 {
                *counts.entry(tag.as_str()).or_default() += if *on { 1 } else { -1 };
            }
        }
        for (tag, delta) in counts {
            on_db!(tx, |q| sqlx::query(
                "INSERT INTO complaint_tag_counts (tag, complaints) VALUES ($1, $2)
                 ON CONFLICT (tag) DO UPDATE
                 SET complaints = complaint_tag_counts.complaints + excluded.complaints"
            )
            .bind(tag)
            .bind(delta)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        }
        for (reference, causes) in &self.root_causes {
            on_db!(tx, |q| sqlx::query(
                "DELETE FROM complaint_root_causes WHERE reference = $1"
            )
            .bind(reference)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
            for cause in causes {
                on_db!(tx, |q| sqlx::query(
                    "INSERT INTO complaint_root_causes (reference, cause) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING"
                )
                .bind(reference)
                .bind(cause)
                .execute(q)
                .await
                .map(|r| r.rows_affected()))?;
            }
        }
        let categories: Vec<String> = self.categories.into_iter().collect();
        for chunk in categories.chunks(500) {
            let sql = format!(
                "INSERT INTO complaint_categories (category) VALUES {} ON CONFLICT DO NOTHING",
                values(tx.backend(), chunk.len(), 1)
            );
            on_db!(tx, |q| {
                let mut query = sqlx::query(&sql);
                for category in chunk {
                    query = query.bind(category);
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
        }
        let companies: Vec<_> = self.companies.into_iter().collect();
        crate::companies::open_files_named(tx, &companies).await?;
        let activity: Vec<_> = self.activity.into_iter().collect();
        // The later of the two receipts, in each database's words.
        let latest = match tx.backend() {
            crate::db::Backend::Postgres => {
                "GREATEST(company_activity.last_received_at, excluded.last_received_at)"
            }
            crate::db::Backend::Sqlite => {
                "MAX(company_activity.last_received_at, excluded.last_received_at)"
            }
        };
        for chunk in activity.chunks(300) {
            let sql = format!(
                "INSERT INTO company_activity (company_id, complaints, open_complaints,
                        last_received_at, satisfaction_total, satisfaction_count)
                 VALUES {}
                 ON CONFLICT (company_id) DO UPDATE SET
                     complaints = company_activity.complaints + excluded.complaints,
                     open_complaints = company_activity.open_complaints + excluded.open_complaints,
                     last_received_at = CASE WHEN excluded.complaints > 0
                                             THEN {latest}
                                             ELSE company_activity.last_received_at END,
                     satisfaction_total =
                         company_activity.satisfaction_total + excluded.satisfaction_total,
                     satisfaction_count =
                         company_activity.satisfaction_count + excluded.satisfaction_count",
                values(tx.backend(), chunk.len(), 6),
            );
            on_db!(tx, |q| {
                let mut query = sqlx::query(&sql);
                for (id, a) in chunk {
                    query = query
                        .bind(*id)
                        .bind(a.complaints)
                        .bind(a.open)
                        .bind(a.last_received_at)
                        .bind(a.satisfaction_total)
                        .bind(a.satisfaction_count);
                }
                query.execute(q).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }
}
