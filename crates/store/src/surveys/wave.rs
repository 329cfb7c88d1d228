//! A wave of invitations: who the rules choose today, and their emails spread over time.

use std::collections::{HashMap, HashSet};

use chrono::Months;

use super::*;

/// Who is asked, and how often.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SurveyRules {
    /// Every contact, every this many months (0: only the major contacts of key accounts).
    pub every_months: u32,
    /// The major contacts of key accounts, every this many months (0: as everyone else).
    pub key_every_months: u32,
    /// Nobody is asked twice within this many days.
    pub min_days: u32,
    /// Invitations sent per hour at most: a wave is spread over as many hours as it needs.
    pub per_hour: u32,
}

impl SurveyRules {
    /// Whether anybody is asked at all.
    pub fn active(&self) -> bool {
        self.every_months > 0 || self.key_every_months > 0
    }
}

impl Default for SurveyRules {
    /// Off: nobody is surveyed until an admin says how often.
    fn default() -> Self {
        Self {
            every_months: 0,
            key_every_months: 0,
            min_days: 30,
            per_hour: 200,
        }
    }
}

/// A contact the rules choose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chosen {
    /// Who.
    pub customer_id: Uuid,
    /// Their language.
    pub language: String,
    /// Their company (from their latest complaint).
    pub company: Option<String>,
    /// A major contact of a key account.
    pub major: bool,
}

/// What scheduling a wave did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WaveReport {
    /// Invitations queued.
    pub asked: usize,
    /// When the last of them goes.
    pub last_send_at: Option<DateTime<Utc>>,
}

/// One contact as the wave reads them: their latest complaint's details.
struct Contact {
    language: String,
    company: Option<String>,
    latest: DateTime<Utc>,
    open: bool,
    erased: bool,
    has_email: bool,
}

impl Surveys {
    /// The contacts the rules choose at `now`: everyone with an address who complained once,
    /// whose last invitation is older than their interval (the major contacts of key accounts
    /// have their own) and older than the minimum, except those with a complaint still open,
    /// the erased, and those who stopped the surveys.
    pub async fn choose(
        &self,
        rules: SurveyRules,
        now: DateTime<Utc>,
    ) -> Result<Vec<Chosen>, StoreError> {
        if !rules.active() {
            return Ok(Vec::new());
        }
        type Row = (
            Uuid,
            String,
            Option<String>,
            DateTime<Utc>,
            bool,
            bool,
            Option<String>,
        );
        let rows: Vec<Row> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT customer_id, language, company, received_at, closed, personal_data_erased,
                    customer_email
               FROM complaint_list"
        )
        .fetch_all(pool)
        .await)?;
        let mut contacts: HashMap<Uuid, Contact> = HashMap::new();
        for (customer, language, company, received_at, closed, erased, email) in rows {
            let contact = contacts.entry(customer).or_insert(Contact {
                language: language.clone(),
                company: company.clone(),
                latest: received_at,
                open: false,
                erased: false,
                has_email: false,
            });
            if received_at >= contact.latest {
                contact.latest = received_at;
                contact.language = language;
                contact.company = company;
                contact.has_email = email.is_some();
            }
            contact.open |= !closed;
            contact.erased |= erased;
        }
        let asked: Vec<(Uuid, DateTime<Utc>)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT customer_id, MAX(asked_at) FROM survey_invitations GROUP BY customer_id"
        )
        .fetch_all(pool)
        .await)?;
        let asked: HashMap<Uuid, DateTime<Utc>> = asked.into_iter().collect();
        let stopped: Vec<Uuid> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT customer_id FROM survey_opt_outs"
        )
        .fetch_all(pool)
        .await)?;
        let stopped: HashSet<Uuid> = stopped.into_iter().collect();
        // Major contacts of key accounts.
        let major: Vec<Uuid> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT DISTINCT l.customer_id FROM contacts c
               JOIN complaint_list l ON l.customer_id = c.customer_id
               JOIN companies k ON k.company_id = l.company_id
              WHERE c.major AND k.tier = 'key_account'"
        )
        .fetch_all(pool)
        .await)?;
        let major: HashSet<Uuid> = major.into_iter().collect();
        let before = |months: u32| now.checked_sub_months(Months::new(months)).unwrap_or(now);
        let min_gap = now - Duration::days(i64::from(rules.min_days));
        let mut chosen: Vec<Chosen> = contacts
            .into_iter()
            .filter(|(id, c)| c.has_email && !c.open && !c.erased && !stopped.contains(id))
            .filter_map(|(id, c)| {
                let is_major = major.contains(&id);
                let months = match (is_major, rules.key_every_months, rules.every_months) {
                    (true, key, _) if key > 0 => key,
                    (_, _, every) if every > 0 => every,
                    _ => return None,
                };
                if let Some(last) = asked.get(&id)
                    && (*last > before(months) || *last > min_gap)
                {
                    return None;
                }
                Some(Chosen {
                    customer_id: id,
                    language: c.language,
                    company: c.company,
                    major: is_major,
                })
            })
            .collect();
        chosen.sort_by_key(|c| (!c.major, c.customer_id));
        Ok(chosen)
    }

    /// Schedules a wave at `now`: an invitation for each contact the rules choose, its email
    /// queued in the outbox to go at `per_hour` a hour from now (major contacts first).
    pub async fn schedule(
        &self,
        rules: SurveyRules,
        now: DateTime<Utc>,
    ) -> Result<WaveReport, StoreError> {
        let chosen = self.choose(rules, now).await?;
        let gap_ms = 3_600_000 / i64::from(rules.per_hour.max(1));
        let mut report = WaveReport::default();
        // One transaction per 500 invitations: each row and its email together.
        for (chunk_index, chunk) in chosen.chunks(500).enumerate() {
            let mut tx = self.db.begin().await?;
            for (offset, contact) in chunk.iter().enumerate() {
                let index = chunk_index * 500 + offset;
                let id = Uuid::new_v4();
                let send_at = now + Duration::milliseconds(gap_ms * index as i64);
                crate::on_db!(&mut tx, |q| sqlx::query(
                    "INSERT INTO survey_invitations (id, customer_id, company, language, major,
                                                     asked_at, send_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)"
                )
                .bind(id)
                .bind(contact.customer_id)
                .bind(&contact.company)
                .bind(&contact.language)
                .bind(contact.major)
                .bind(now)
                .bind(send_at)
                .execute(q)
                .await
                .map(|r| r.rows_affected()))?;
                crate::outbox::Outbox::enqueue_survey(
                    &mut tx,
                    &email_id(id),
                    contact.customer_id,
                    &contact.language,
                    send_at,
                    now,
                )
                .await?;
                report.asked += 1;
                report.last_send_at = Some(send_at);
            }
            tx.commit().await?;
        }
        Ok(report)
    }
}
