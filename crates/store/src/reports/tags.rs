//! Complaints by tag over a range: a tag is put on and taken off at any time, and a complaint
//! carries several, so the figures are read from the complaints' current tags (the complaint
//! list and `complaint_tags`) rather than from the daily rows of one value per dimension.

use chrono_tz::Tz;
use serde::Serialize;

use super::query::Reports;
use super::range::Range;
use crate::{StoreError, on_pool};

/// One tag's complaints received in a range.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
pub struct TagFigures {
    /// The tag.
    pub tag: String,
    /// Complaints received in the range that carry it now (duplicates merged away are not
    /// counted).
    pub received: i64,
    /// Of those, not closed.
    pub open: i64,
    /// Of those, upheld (in full or in part).
    pub upheld: i64,
    /// Of those rated, the mean satisfaction score (1 to 5).
    pub satisfaction: Option<f64>,
}

impl Reports {
    /// The complaints received in `range` (days in `zone`) by the tags they carry, most first.
    pub async fn by_tag(&self, range: Range, zone: Tz) -> Result<Vec<TagFigures>, StoreError> {
        let (from, to) = range.instants(zone);
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT t.tag,
                    CAST(COUNT(*) AS BIGINT) AS received,
                    CAST(SUM(CASE WHEN c.closed THEN 0 ELSE 1 END) AS BIGINT) AS open,
                    CAST(SUM(CASE WHEN c.outcome IN ('upheld', 'partly_upheld') THEN 1 ELSE 0 END)
                         AS BIGINT) AS upheld,
                    CAST(AVG(c.satisfaction_score) AS DOUBLE PRECISION) AS satisfaction
               FROM complaint_tags t
               JOIN complaint_list c ON c.reference = t.reference
              WHERE c.received_at >= $1 AND c.received_at < $2 AND c.merged_into IS NULL
              GROUP BY t.tag
              ORDER BY received DESC, t.tag
              LIMIT 100"
        )
        .bind(from)
        .bind(to)
        .fetch_all(pool)
        .await)?)
    }
}
