//! Speed and loyalty: for the complaints received in a period, how fast each was acknowledged
//! and resolved (in working time, by the policy's calendar), how its customer scored the
//! handling, and whether they came back (another complaint, or a periodic survey's answer,
//! later). Read from the reports projector's per-complaint state and its feedback rows, and the
//! surveys' answers; [`loyalty_bands`] adds them up in bands of working time.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use redress_domain::SlaClock;
use serde::Serialize;

use super::{Reports, Tracked};
use crate::{StoreError, on_pool};

/// What the loyalty report adds up for a set of complaints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoyaltyTally {
    /// Complaints.
    pub complaints: i64,
    /// Of which scored.
    pub scored: i64,
    /// The sum of their latest scores.
    pub score_sum: i64,
    /// Of which scored 4 or 5.
    pub satisfied: i64,
    /// Of which the customer came back after it: complained again, or answered a periodic
    /// survey.
    pub came_back: i64,
}

impl LoyaltyTally {
    fn add(&mut self, other: &Self) {
        self.complaints += other.complaints;
        self.scored += other.scored;
        self.score_sum += other.score_sum;
        self.satisfied += other.satisfied;
        self.came_back += other.came_back;
    }
}

/// The complaints of one tier and team whose acknowledgement and resolution fell in the same
/// bands ([`band_of`]; none: not yet), added up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoyaltyCell {
    /// Their tier.
    pub tier: String,
    /// Their team's name (empty: none).
    pub team: String,
    /// Their band of [`ACKNOWLEDGE_BANDS`].
    pub acknowledge_band: Option<usize>,
    /// Their band of [`RESOLVE_BANDS`].
    pub resolve_band: Option<usize>,
    /// What they add up to.
    pub tally: LoyaltyTally,
}

/// One band of working time: the complaints in it and how their customers answered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoyaltyBand {
    /// The band's upper limit in working hours (none: the last band, beyond the others).
    pub up_to_hours: Option<i64>,
    /// Complaints in the band.
    pub complaints: i64,
    /// Of which scored.
    pub scored: i64,
    /// Their average score (none: no score).
    pub average: Option<f64>,
    /// The share of the scores that are 4 or 5.
    pub satisfied: Option<f64>,
    /// The share of the complaints whose customer came back.
    pub came_back: f64,
}

/// The bands of acknowledgement, in working hours: within 1, 4, 8 (a working day) and 24
/// (three), then later.
pub const ACKNOWLEDGE_BANDS: [i64; 4] = [1, 4, 8, 24];
/// The bands of resolution, in working hours: within 8 (a day), 40 (a week), 80 and 160, then
/// later.
pub const RESOLVE_BANDS: [i64; 4] = [8, 40, 80, 160];

/// The band of `limits` (working hours) that `secs` falls in: the first limit it is within,
/// or one past the last. The report's SQL computes the same ([`band_sql`]).
pub fn band_of(secs: i64, limits: &[i64]) -> usize {
    limits
        .iter()
        .position(|hours| secs <= hours * 3600)
        .unwrap_or(limits.len())
}

/// `band_of` as an SQL expression over `column`: `NULL` when the column is.
fn band_sql(column: &str, limits: &[i64]) -> String {
    // A bigint on PostgreSQL, as the row decodes it (a bare CASE of literals is an int4).
    let mut sql = format!("CAST(CASE WHEN {column} IS NULL THEN NULL");
    for (index, hours) in limits.iter().enumerate() {
        sql.push_str(&format!(" WHEN {column} <= {} THEN {index}", hours * 3600));
    }
    sql.push_str(&format!(" ELSE {} END AS bigint)", limits.len()));
    sql
}

/// `cells` in bands of `limits` (working hours), by the band `band` picks; cells without one
/// are left out. Every band is listed, empty or not.
pub fn loyalty_bands(
    cells: &[LoyaltyCell],
    limits: &[i64],
    band: impl Fn(&LoyaltyCell) -> Option<usize>,
) -> Vec<LoyaltyBand> {
    let mut bands = vec![LoyaltyTally::default(); limits.len() + 1];
    for cell in cells {
        let Some(index) = band(cell) else { continue };
        bands[index.min(limits.len())].add(&cell.tally);
    }
    bands
        .into_iter()
        .enumerate()
        .map(|(index, t)| LoyaltyBand {
            up_to_hours: limits.get(index).copied(),
            complaints: t.complaints,
            scored: t.scored,
            average: (t.scored > 0).then(|| t.score_sum as f64 / t.scored as f64),
            satisfied: (t.scored > 0).then(|| t.satisfied as f64 / t.scored as f64),
            came_back: if t.complaints > 0 {
                t.came_back as f64 / t.complaints as f64
            } else {
                0.0
            },
        })
        .collect()
}

/// The working seconds the complaint `reference` took to be acknowledged (its latest run),
/// read from its state in the reports projection; none while it is not.
pub(crate) fn acknowledged_secs(reference: &str, state: &str) -> Result<Option<i64>, StoreError> {
    let tracked: Tracked = serde_json::from_str(state)
        .map_err(|e| StoreError::Corrupt(format!("report state of {reference}: {e}")))?;
    Ok(met(&tracked, SlaClock::Acknowledge))
}

/// The working seconds `clock` took in its latest met cycle.
pub(super) fn met(tracked: &Tracked, clock: SlaClock) -> Option<i64> {
    tracked
        .sla
        .clocks
        .iter()
        .filter(|c| c.clock == clock && c.met_at.is_some())
        .max_by_key(|c| c.cycle)
        .map(|c| c.consumed_business_secs)
}

/// The latest score of each of `references` that has one.
pub(crate) async fn latest_scores(
    db: &crate::Database,
    references: &[String],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut out: HashMap<String, (i64, i64)> = HashMap::new();
    for chunk in references.chunks(500) {
        let sql = format!(
            "SELECT reference, sequence, score FROM report_feedback WHERE reference IN ({})",
            crate::db::placeholders(db.backend(), 1, chunk.len())
        );
        let rows: Vec<(String, i64, i64)> = on_pool!(db, |pool| {
            let mut query = sqlx::query_as(&sql);
            for reference in chunk {
                query = query.bind(reference);
            }
            query.fetch_all(pool).await
        })?;
        for (reference, sequence, score) in rows {
            let entry = out.entry(reference).or_insert((sequence, score));
            if sequence >= entry.0 {
                *entry = (sequence, score);
            }
        }
    }
    Ok(out.into_iter().map(|(r, (_, score))| (r, score)).collect())
}

impl Reports {
    /// The complaints received in `[from, to)`, added up by tier, team and bands of working
    /// time, in one statement over the reports' kept columns: a row per cell, whatever the
    /// number of complaints.
    pub async fn loyalty(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<LoyaltyCell>, StoreError> {
        // A customer comes back when they complain again (their latest complaint is later) or
        // answer a periodic survey later. Survey rows name the customer by their uuid, the
        // reports by its text.
        let survey_customer = match self.db.backend() {
            crate::db::Backend::Postgres => "CAST(customer_id AS text)".to_string(),
            crate::db::Backend::Sqlite => {
                let part =
                    |from: usize, len: usize| format!("substr(hex(customer_id), {from}, {len})");
                format!(
                    "lower({} || '-' || {} || '-' || {} || '-' || {} || '-' || {})",
                    part(1, 8),
                    part(9, 4),
                    part(13, 4),
                    part(17, 4),
                    part(21, 12)
                )
            }
        };
        let sql = format!(
            "SELECT c.tier, c.team, {acknowledge} AS acknowledge_band, {resolve} AS resolve_band,
                    COUNT(*), COUNT(c.score), CAST(COALESCE(SUM(c.score), 0) AS bigint),
                    SUM(CASE WHEN c.score >= 4 THEN 1 ELSE 0 END),
                    SUM(CASE WHEN rc.last_at > c.received_at OR s.at > c.received_at
                             THEN 1 ELSE 0 END)
               FROM report_complaints c
               JOIN report_customers rc ON rc.customer = c.customer
               LEFT JOIN (SELECT {survey_customer} AS customer, MAX(answered_at) AS at
                            FROM survey_invitations WHERE answered_at IS NOT NULL
                           GROUP BY customer_id) s ON s.customer = c.customer
              WHERE c.received_at >= $1 AND c.received_at < $2
              GROUP BY c.tier, c.team, acknowledge_band, resolve_band
              ORDER BY c.tier, c.team, acknowledge_band, resolve_band",
            acknowledge = band_sql("c.acknowledge_secs", &ACKNOWLEDGE_BANDS),
            resolve = band_sql("c.resolve_secs", &RESOLVE_BANDS),
        );
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let rows: Vec<(
            String,
            String,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
            i64,
            i64,
            i64,
        )> = on_pool!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await)?;
        let band = |b: Option<i64>| b.and_then(|b| usize::try_from(b).ok());
        Ok(rows
            .into_iter()
            .map(
                |(tier, team, acknowledge, resolve, complaints, scored, sum, satisfied, back)| {
                    LoyaltyCell {
                        tier,
                        team,
                        acknowledge_band: band(acknowledge),
                        resolve_band: band(resolve),
                        tally: LoyaltyTally {
                            complaints,
                            scored,
                            score_sum: sum,
                            satisfied,
                            came_back: back,
                        },
                    }
                },
            )
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One complaint acknowledged after `ack_hours` working hours.
    fn row(ack_hours: f64, score: Option<i64>, came_back: bool) -> LoyaltyCell {
        LoyaltyCell {
            tier: "standard".into(),
            team: String::new(),
            acknowledge_band: Some(band_of((ack_hours * 3600.0) as i64, &ACKNOWLEDGE_BANDS)),
            resolve_band: None,
            tally: LoyaltyTally {
                complaints: 1,
                scored: i64::from(score.is_some()),
                score_sum: score.unwrap_or(0),
                satisfied: i64::from(score.is_some_and(|s| s >= 4)),
                came_back: i64::from(came_back),
            },
        }
    }

    /// A band as the test reads it: limit, complaints, scored, average, satisfied, came back.
    type Seen = (Option<i64>, i64, i64, Option<f64>, Option<f64>, f64);

    #[test]
    fn bands_count_scores_and_returns_on_a_worked_example() {
        // Acknowledged within an hour: 5 and 4 (both back); within 4 h: 3 (back) and none;
        // within a day: 2; later: 1 and 1 (neither back). One never acknowledged: left out.
        let rows = vec![
            row(0.5, Some(5), true),
            row(1.0, Some(4), true),
            row(2.0, Some(3), true),
            row(3.9, None, false),
            row(7.0, Some(2), false),
            row(30.0, Some(1), false),
            row(100.0, Some(1), false),
            LoyaltyCell {
                acknowledge_band: None,
                ..row(0.0, Some(5), true)
            },
        ];
        let bands = loyalty_bands(&rows, &ACKNOWLEDGE_BANDS, |r| r.acknowledge_band);
        let seen: Vec<Seen> = bands
            .iter()
            .map(|b| {
                (
                    b.up_to_hours,
                    b.complaints,
                    b.scored,
                    b.average,
                    b.satisfied,
                    b.came_back,
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (Some(1), 2, 2, Some(4.5), Some(1.0), 1.0),
                (Some(4), 2, 1, Some(3.0), Some(0.0), 0.5),
                (Some(8), 1, 1, Some(2.0), Some(0.0), 0.0),
                (Some(24), 0, 0, None, None, 0.0),
                (None, 2, 2, Some(1.0), Some(0.0), 0.0),
            ]
        );
    }
}
