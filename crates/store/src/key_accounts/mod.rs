//! Key accounts kept close: who owns each account, the meetings and calls held with the
//! company (who, when, what was agreed, when the next is due), the reminders to the owner when
//! a meeting falls due, and the list of key accounts with the ones at risk flagged.
//!
//! Staff keep these beside the company file, outside the event stream (they describe the
//! relationship, not something that happened to a complaint). What was said in a meeting is
//! the contact's personal data: erasing that customer blanks the meetings they attended.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use redress_domain::CustomerId;
use serde::Serialize;
use uuid::Uuid;

use crate::companies::FileError;
use crate::db::Database;
use crate::{StoreError, on_pool};

mod risk;

pub use risk::*;

/// Longest "who was there".
pub const MAX_WHO: usize = 500;
/// Longest "what was agreed".
pub const MAX_AGREED: usize = 10_000;
/// The most meetings a company's file lists (newest first).
pub const MEETINGS_LIMIT: i64 = 200;
/// The most key accounts listed.
pub const LIST_LIMIT: i64 = 1_000;
/// The window of "recent" (complaints, breaches, low scores) and the one before it that
/// satisfaction is compared with.
pub const RECENT_DAYS: i64 = 90;

/// A meeting or a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MeetingKind {
    /// Face to face or by video.
    Meeting,
    /// A telephone call.
    Call,
}

impl MeetingKind {
    /// Its code.
    pub fn code(self) -> &'static str {
        match self {
            MeetingKind::Meeting => "meeting",
            MeetingKind::Call => "call",
        }
    }

    /// From its code.
    pub fn parse(code: &str) -> Option<Self> {
        match code.trim() {
            "meeting" => Some(MeetingKind::Meeting),
            "call" => Some(MeetingKind::Call),
            _ => None,
        }
    }
}

/// A meeting or call as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meeting {
    /// Its id.
    pub id: Uuid,
    /// When it was held.
    pub held_on: NaiveDate,
    /// `meeting` or `call`.
    pub kind: String,
    /// The company's contact met, if one was named.
    pub contact_id: Option<Uuid>,
    /// Who was there.
    pub who: String,
    /// What was agreed.
    pub agreed: String,
    /// When the next one is due.
    pub next_due: Option<NaiveDate>,
    /// When it was recorded, and by whom.
    pub recorded_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
    /// Whether its contact was erased (its words are gone).
    pub erased: bool,
}

/// A meeting or call to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMeeting {
    /// When it was held.
    pub held_on: NaiveDate,
    /// Meeting or call.
    pub kind: MeetingKind,
    /// The company's contact met (a customer who complained for it), if any.
    pub contact: Option<CustomerId>,
    /// Who was there.
    pub who: String,
    /// What was agreed.
    pub agreed: String,
    /// When the next one is due.
    pub next_due: Option<NaiveDate>,
}

/// A meeting due, for its account's owner to be reminded of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueMeeting {
    /// The company's file.
    pub company_id: Uuid,
    /// Its name.
    pub company: String,
    /// The account's owner.
    pub owner_id: Uuid,
    /// The day it is due.
    pub due: NaiveDate,
}

impl DueMeeting {
    /// The outbox id of its reminder: one per company and due date.
    pub fn reminder_id(&self) -> String {
        format!("meeting_due.{}.{}", self.company_id, self.due)
    }
}

/// The company id and due date a reminder's outbox id names.
pub fn reminded_of(id: &str) -> Option<(Uuid, NaiveDate)> {
    let rest = id.strip_prefix("meeting_due.")?;
    let (company, due) = rest.split_once('.')?;
    Some((
        Uuid::parse_str(company).ok()?,
        NaiveDate::parse_from_str(due, "%Y-%m-%d").ok()?,
    ))
}

fn checked(label: &str, text: &str, max: usize, one_line: bool) -> Result<String, FileError> {
    let text = text.trim();
    if text.chars().count() > max {
        return Err(FileError::Invalid(format!(
            "{label} is too long: at most {max} characters."
        )));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        || text.contains('\0')
    {
        return Err(FileError::Invalid(format!(
            "{label} contains control characters; remove them."
        )));
    }
    if one_line && text.contains(['\n', '\r']) {
        return Err(FileError::Invalid(format!("{label} must fit on one line.")));
    }
    Ok(text.to_string())
}

type MeetingRow = (
    Uuid,
    NaiveDate,
    String,
    Option<Uuid>,
    String,
    String,
    Option<NaiveDate>,
    DateTime<Utc>,
    String,
    bool,
);

/// A meeting, as the reminders read it: company, held on, recorded at, next due, company's
/// name, account owner.
type DueRow = (
    Uuid,
    NaiveDate,
    DateTime<Utc>,
    Option<NaiveDate>,
    String,
    Uuid,
);

/// The latest meeting of a company: held on, recorded at, next due, name, owner.
type Latest = (NaiveDate, DateTime<Utc>, Option<NaiveDate>, String, Uuid);

/// Key-account care.
#[derive(Clone)]
pub struct KeyAccounts {
    db: Database,
}

impl KeyAccounts {
    /// Over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Records a meeting or call with the company `company`, held no later than `today`;
    /// the contact named must be one of the company's. Returns its id.
    pub async fn record_meeting(
        &self,
        company: Uuid,
        meeting: NewMeeting,
        today: NaiveDate,
        now: DateTime<Utc>,
        by: &str,
    ) -> Result<Uuid, FileError> {
        let who = checked("Who was there", &meeting.who, MAX_WHO, true)?;
        let agreed = checked("What was agreed", &meeting.agreed, MAX_AGREED, false)?;
        if who.is_empty() && meeting.contact.is_none() {
            return Err(FileError::Invalid(
                "Say who was there, or pick the contact you met.".into(),
            ));
        }
        if meeting.held_on > today {
            return Err(FileError::Invalid(format!(
                "A meeting is recorded once held: {} is after today ({today}).",
                meeting.held_on
            )));
        }
        if meeting.held_on < today - Duration::days(3660) {
            return Err(FileError::Invalid(
                "That date is more than ten years ago; check the year.".into(),
            ));
        }
        if let Some(next) = meeting.next_due
            && next <= meeting.held_on
        {
            return Err(FileError::Invalid(format!(
                "The next meeting must be due after this one ({}).",
                meeting.held_on
            )));
        }
        let exists: i64 = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM companies WHERE company_id = $1"
        )
        .bind(company)
        .fetch_one(pool)
        .await)?;
        if exists == 0 {
            return Err(FileError::NotFound);
        }
        if let Some(contact) = meeting.contact {
            let theirs: i64 = on_pool!(&self.db, |pool| sqlx::query_scalar(
                "SELECT COUNT(*) FROM complaint_list WHERE company_id = $1 AND customer_id = $2"
            )
            .bind(company)
            .bind(contact.0)
            .fetch_one(pool)
            .await)?;
            if theirs == 0 {
                return Err(FileError::Invalid(
                    "That person is not one of this company's contacts.".into(),
                ));
            }
        }
        let id = Uuid::new_v4();
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO company_meetings (id, company_id, held_on, kind, contact_id, who, agreed,
                                           next_due, recorded_at, recorded_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )
        .bind(id)
        .bind(company)
        .bind(meeting.held_on)
        .bind(meeting.kind.code())
        .bind(meeting.contact.map(|c| c.0))
        .bind(&who)
        .bind(&agreed)
        .bind(meeting.next_due)
        .bind(now)
        .bind(by)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(id)
    }

    /// The company's meetings and calls, newest first.
    pub async fn meetings(&self, company: Uuid) -> Result<Vec<Meeting>, StoreError> {
        let rows: Vec<MeetingRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT id, held_on, kind, contact_id, who, agreed, next_due, recorded_at,
                    recorded_by, erased
               FROM company_meetings WHERE company_id = $1
              ORDER BY held_on DESC, recorded_at DESC LIMIT $2"
        )
        .bind(company)
        .bind(MEETINGS_LIMIT)
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(
                |(id, held_on, kind, contact_id, who, agreed, next_due, at, by, erased)| Meeting {
                    id,
                    held_on,
                    kind,
                    contact_id,
                    who,
                    agreed,
                    next_due,
                    recorded_at: at,
                    recorded_by: by,
                    erased,
                },
            )
            .collect())
    }

    /// Who owns the account of `company`: (id, name).
    pub async fn owner(&self, company: Uuid) -> Result<Option<(Uuid, String)>, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT owner_id, owner_name FROM account_owners WHERE company_id = $1"
        )
        .bind(company)
        .fetch_optional(pool)
        .await)?)
    }

    /// Gives the account of `company` to `owner` (id, name), or to nobody.
    pub async fn set_owner(
        &self,
        company: Uuid,
        owner: Option<(Uuid, &str)>,
        now: DateTime<Utc>,
        by: &str,
    ) -> Result<(), StoreError> {
        match owner {
            Some((id, name)) => on_pool!(&self.db, |pool| {
                sqlx::query(
                "INSERT INTO account_owners (company_id, owner_id, owner_name, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (company_id) DO UPDATE SET owner_id = excluded.owner_id,
                     owner_name = excluded.owner_name, updated_at = excluded.updated_at,
                     updated_by = excluded.updated_by"
            )
            .bind(company)
            .bind(id)
            .bind(name)
            .bind(now)
            .bind(by)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
            })?,
            None => on_pool!(&self.db, |pool| sqlx::query(
                "DELETE FROM account_owners WHERE company_id = $1"
            )
            .bind(company)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?,
        };
        Ok(())
    }

    /// The meetings due by `today` whose account has an owner to remind: the latest meeting
    /// of each company, when its next one is due.
    pub async fn due(&self, today: NaiveDate) -> Result<Vec<DueMeeting>, StoreError> {
        let rows: Vec<DueRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT m.company_id, m.held_on, m.recorded_at, m.next_due, c.name, o.owner_id
                   FROM company_meetings m
                   JOIN companies c ON c.company_id = m.company_id
                   JOIN account_owners o ON o.company_id = m.company_id"
        )
        .fetch_all(pool)
        .await)?;
        let mut latest: HashMap<Uuid, Latest> = HashMap::new();
        for (company, held_on, at, next, name, owner) in rows {
            let entry = latest
                .entry(company)
                .or_insert((held_on, at, next, name.clone(), owner));
            if (held_on, at) > (entry.0, entry.1) {
                *entry = (held_on, at, next, name, owner);
            }
        }
        let mut due: Vec<DueMeeting> = latest
            .into_iter()
            .filter_map(|(company_id, (_, _, next, company, owner_id))| {
                let due = next.filter(|d| *d <= today)?;
                Some(DueMeeting {
                    company_id,
                    company,
                    owner_id,
                    due,
                })
            })
            .collect();
        due.sort_by(|a, b| (a.due, &a.company).cmp(&(b.due, &b.company)));
        Ok(due)
    }

    /// Queues a reminder to the owner of each account whose next meeting is due by `now`'s
    /// day, once per company and due date. Returns how many were new.
    pub async fn queue_reminders(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let outbox = crate::outbox::Outbox::new(self.db.clone());
        let mut queued = 0;
        for meeting in self.due(now.date_naive()).await? {
            if outbox
                .enqueue_meeting_due(&meeting.reminder_id(), meeting.owner_id, now)
                .await?
            {
                queued += 1;
            }
        }
        Ok(queued)
    }

    /// Blanks what the meetings with `customer` said (erasure). Returns how many.
    pub async fn forget_contact(&self, customer: CustomerId) -> Result<u64, StoreError> {
        Ok(on_pool!(&self.db, |pool| sqlx::query(
            "UPDATE company_meetings SET who = '', agreed = '', contact_id = NULL, erased = TRUE
              WHERE contact_id = $1"
        )
        .bind(customer.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reminders_id_names_its_company_and_day() {
        let due = DueMeeting {
            company_id: Uuid::from_u128(7),
            company: "Acme".into(),
            owner_id: Uuid::nil(),
            due: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        };
        assert_eq!(
            reminded_of(&due.reminder_id()),
            Some((due.company_id, due.due))
        );
        assert_eq!(reminded_of("webhook_off.x"), None);
    }
}
