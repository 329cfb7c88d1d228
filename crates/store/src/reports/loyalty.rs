//! Speed and loyalty: for the complaints received in a period, how fast each was acknowledged
//! and resolved (in working time, by the policy's calendar), how its customer scored the
//! handling, and whether they came back (another complaint, or a periodic survey's answer,
//! later). Read from the reports projector's per-complaint state and its feedback rows, and the
//! surveys' answers; [`loyalty_bands`] adds them up in bands of working time.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use redress_domain::SlaClock;
use serde::Serialize;

use super::{Reports, Tracked};
use crate::{StoreError, on_pool};

/// One complaint as the loyalty report counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoyaltyRow {
    /// The complaint.
    pub reference: String,
    /// Working seconds until it was acknowledged (none: not yet).
    pub acknowledge_secs: Option<i64>,
    /// Working seconds until it was resolved, in its latest run (none: not yet).
    pub resolve_secs: Option<i64>,
    /// The customer's latest score of the handling, 1 to 5, if they gave one.
    pub score: Option<i64>,
    /// Whether the customer came back after it: complained again, or answered a periodic
    /// survey.
    pub came_back: bool,
    /// Its tier.
    pub tier: String,
    /// Its team's name (empty: none).
    pub team: String,
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

/// `rows` in bands of `limits` (working hours), by the seconds `measure` picks; rows without
/// that measure are left out. Every band is listed, empty or not.
pub fn loyalty_bands(
    rows: &[LoyaltyRow],
    limits: &[i64],
    measure: impl Fn(&LoyaltyRow) -> Option<i64>,
) -> Vec<LoyaltyBand> {
    let mut bands: Vec<(i64, i64, i64, i64, i64)> = vec![(0, 0, 0, 0, 0); limits.len() + 1];
    for row in rows {
        let Some(secs) = measure(row) else { continue };
        let index = limits
            .iter()
            .position(|hours| secs <= hours * 3600)
            .unwrap_or(limits.len());
        let band = &mut bands[index];
        band.0 += 1;
        if let Some(score) = row.score {
            band.1 += 1;
            band.2 += score;
            if score >= 4 {
                band.3 += 1;
            }
        }
        if row.came_back {
            band.4 += 1;
        }
    }
    bands
        .into_iter()
        .enumerate()
        .map(
            |(index, (complaints, scored, sum, satisfied, back))| LoyaltyBand {
                up_to_hours: limits.get(index).copied(),
                complaints,
                scored,
                average: (scored > 0).then(|| sum as f64 / scored as f64),
                satisfied: (scored > 0).then(|| satisfied as f64 / scored as f64),
                came_back: if complaints > 0 {
                    back as f64 / complaints as f64
                } else {
                    0.0
                },
            },
        )
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
fn met(tracked: &Tracked, clock: SlaClock) -> Option<i64> {
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
    /// Every complaint received in `[from, to)`, as the loyalty report counts it.
    pub async fn loyalty(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<LoyaltyRow>, StoreError> {
        let rows: Vec<(String, String, DateTime<Utc>, String, String)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT reference, customer, received_at, tier, state FROM report_complaints
                  WHERE received_at >= $1 AND received_at < $2
                  ORDER BY received_at, reference"
            )
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await)?;
        // A customer comes back when they complain again, at any time after.
        let latest: Vec<(String, DateTime<Utc>)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT customer, MAX(received_at) FROM report_complaints GROUP BY customer"
        )
        .fetch_all(pool)
        .await)?;
        let mut latest: HashMap<String, DateTime<Utc>> = latest.into_iter().collect();
        // Or when they answer a periodic survey.
        let answered: Vec<(uuid::Uuid, DateTime<Utc>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT customer_id, MAX(answered_at) FROM survey_invitations
                  WHERE answered_at IS NOT NULL GROUP BY customer_id",
            )
            .fetch_all(pool)
            .await
        })?;
        for (customer, at) in answered {
            let entry = latest.entry(customer.to_string()).or_insert(at);
            if at > *entry {
                *entry = at;
            }
        }
        // The latest score of each complaint.
        let scores: Vec<(String, i64, i64)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT reference, sequence, score FROM report_feedback"
        )
        .fetch_all(pool)
        .await)?;
        let mut score_of: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (reference, sequence, score) in scores {
            let entry = score_of.entry(reference).or_insert((sequence, score));
            if sequence >= entry.0 {
                *entry = (sequence, score);
            }
        }
        let mut out = Vec::with_capacity(rows.len());
        for (reference, customer, received_at, tier, state) in rows {
            let tracked: Tracked = serde_json::from_str(&state)
                .map_err(|e| StoreError::Corrupt(format!("report state of {reference}: {e}")))?;
            out.push(LoyaltyRow {
                acknowledge_secs: met(&tracked, SlaClock::Acknowledge),
                resolve_secs: met(&tracked, SlaClock::Resolve),
                score: score_of.get(&reference).map(|(_, score)| *score),
                came_back: latest
                    .get(&customer)
                    .is_some_and(|last| *last > received_at),
                tier,
                team: tracked
                    .sla
                    .team
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_default(),
                reference,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ack_hours: f64, score: Option<i64>, came_back: bool) -> LoyaltyRow {
        LoyaltyRow {
            reference: String::new(),
            acknowledge_secs: Some((ack_hours * 3600.0) as i64),
            resolve_secs: None,
            score,
            came_back,
            tier: "standard".into(),
            team: String::new(),
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
            LoyaltyRow {
                acknowledge_secs: None,
                ..row(0.0, Some(5), true)
            },
        ];
        let bands = loyalty_bands(&rows, &ACKNOWLEDGE_BANDS, |r| r.acknowledge_secs);
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
