//! What a member of staff reads: their notifications, what they have read, how they hear by
//! email, and the daily digests queued for them.

use super::*;

/// Who sees what is addressed to [`MANAGERS`]: managers and admins.
fn sees_managers(role: crate::Role) -> bool {
    role >= crate::Role::Manager
}

/// Who a person is, as notifications address them: themselves, the managers (when they are
/// one), and their teams (every member hears what the customer did on a complaint nobody owns;
/// SLA alerts go to the team's managers only). Managers and admins are addressed by every
/// team.
struct Addressees {
    /// Every address but SLA alerts reach them at.
    all: Vec<Uuid>,
    /// The addresses SLA alerts reach them at.
    sla: Vec<Uuid>,
}

impl Addressees {
    /// `WHERE` text matching their notifications `n`, its parameters numbered from `first`.
    fn clause(&self, first: usize) -> String {
        let list = |from: usize, n: usize| {
            (from..from + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "((n.recipient IN ({}) AND n.kind NOT IN ('sla_at_risk', 'sla_breach'))
              OR n.recipient IN ({}))",
            list(first, self.all.len()),
            list(first + self.all.len(), self.sla.len())
        )
    }

    /// The parameters of [`Addressees::clause`], in order.
    fn ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        self.all.iter().chain(&self.sla).copied()
    }
}

/// Notifications as staff read them, and their choices.
#[derive(Clone)]
pub struct Notifications {
    db: Database,
}

/// A row of the list: id, kind, reference, actor, at, read at, summary.
/// A notification as `get` reads it: its recipient, id, kind, reference, actor, time and the
/// complaint's summary.
type RecipientRow = (
    Uuid,
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<String>,
);

type ListRow = (
    String,
    String,
    String,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    Option<String>,
);

impl Notifications {
    /// Over `db`.
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Whom `staff` (of `role`) is addressed as.
    async fn addressees(&self, staff: Uuid, role: crate::Role) -> Result<Addressees, StoreError> {
        // Managers and admins oversee every team, as they did every unowned complaint before
        // teams: they see what is addressed to any team.
        let teams: Vec<(Uuid, bool)> = if sees_managers(role) {
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT id, TRUE FROM teams"
            )
            .fetch_all(pool)
            .await)?
        } else {
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT team_id, manager FROM team_members WHERE account_id = $1"
            )
            .bind(staff)
            .fetch_all(pool)
            .await)?
        };
        let mut own = vec![staff];
        if sees_managers(role) {
            own.push(MANAGERS);
        }
        Ok(Addressees {
            all: own
                .iter()
                .copied()
                .chain(teams.iter().map(|(team, _)| *team))
                .collect(),
            sla: own
                .into_iter()
                .chain(
                    teams
                        .iter()
                        .filter(|(_, manager)| *manager)
                        .map(|(t, _)| *t),
                )
                .collect(),
        })
    }

    /// How many notifications `staff` (of `role`) has not read.
    pub async fn unread(&self, staff: Uuid, role: crate::Role) -> Result<i64, StoreError> {
        let to = self.addressees(staff, role).await?;
        let sql = format!(
            "SELECT COUNT(*) FROM all_notifications n
              WHERE {}
                AND NOT EXISTS (SELECT 1 FROM notification_reads r
                                 WHERE r.recipient = $1 AND r.notification_id = n.id)",
            to.clause(2)
        );
        Ok(on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_scalar(&sql).bind(staff);
            for id in to.ids() {
                query = query.bind(id);
            }
            query.fetch_one(pool).await
        })?)
    }

    /// The newest `limit` notifications of `staff` (of `role`), newest first.
    pub async fn list(
        &self,
        staff: Uuid,
        role: crate::Role,
        limit: i64,
    ) -> Result<Vec<Notification>, StoreError> {
        let to = self.addressees(staff, role).await?;
        let sql = format!(
            "SELECT n.id, n.kind, n.reference, n.actor, n.at, r.read_at, c.summary
               FROM all_notifications n
               LEFT JOIN notification_reads r ON r.recipient = $1 AND r.notification_id = n.id
               LEFT JOIN complaint_list c ON c.reference = n.reference
              WHERE {}
              ORDER BY n.at DESC, n.id DESC
              LIMIT $2",
            to.clause(3)
        );
        let rows: Vec<ListRow> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql).bind(staff).bind(limit.clamp(1, 1_000));
            for id in to.ids() {
                query = query.bind(id);
            }
            query.fetch_all(pool).await
        })?;
        Ok(rows.into_iter().map(to_notification).collect())
    }

    /// Marks one notification read; `false` when `staff` has no such notification.
    pub async fn mark_read(
        &self,
        staff: Uuid,
        role: crate::Role,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let to = self.addressees(staff, role).await?;
        let sql = format!(
            "SELECT COUNT(*) FROM all_notifications n WHERE n.id = $1 AND {}",
            to.clause(2)
        );
        let known: i64 = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_scalar(&sql).bind(id);
            for id in to.ids() {
                query = query.bind(id);
            }
            query.fetch_one(pool).await
        })?;
        if known == 0 {
            return Ok(false);
        }
        on_pool!(&self.db, |pool| sqlx::query(
            "INSERT INTO notification_reads (recipient, notification_id, read_at)
             VALUES ($1, $2, $3) ON CONFLICT (recipient, notification_id) DO NOTHING"
        )
        .bind(staff)
        .bind(id)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(true)
    }

    /// Marks every notification of `staff` up to `now` read.
    pub async fn mark_all_read(
        &self,
        staff: Uuid,
        role: crate::Role,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let to = self.addressees(staff, role).await?;
        let sql = format!(
            "INSERT INTO notification_reads (recipient, notification_id, read_at)
             SELECT $1, n.id, $2 FROM all_notifications n
              WHERE {} AND n.at <= $2
             ON CONFLICT (recipient, notification_id) DO NOTHING",
            to.clause(3)
        );
        Ok(on_pool!(&self.db, |pool| {
            let mut query = sqlx::query(&sql).bind(staff).bind(now);
            for id in to.ids() {
                query = query.bind(id);
            }
            query.execute(pool).await.map(|r| r.rows_affected())
        })?)
    }

    /// One notification by id (for the email that tells it).
    pub async fn get(&self, id: &str) -> Result<Option<(Uuid, Notification)>, StoreError> {
        let row: Option<RecipientRow> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT n.recipient, n.id, n.kind, n.reference, n.actor, n.at, c.summary
                   FROM all_notifications n
                   LEFT JOIN complaint_list c ON c.reference = n.reference
                  WHERE n.id = $1"
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(
            row.map(|(recipient, id, kind, reference, actor, at, summary)| {
                (
                    recipient,
                    to_notification((id, kind, reference, actor, at, None, summary)),
                )
            }),
        )
    }

    /// Each kind's choice of `staff` (instant where none was made).
    pub async fn preferences(
        &self,
        staff: Uuid,
    ) -> Result<Vec<(NotificationKind, Delivery)>, StoreError> {
        let rows: Vec<(String, String)> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT kind, delivery FROM notification_preferences WHERE staff_id = $1"
        )
        .bind(staff)
        .fetch_all(pool)
        .await)?;
        Ok(NotificationKind::ALL
            .into_iter()
            .map(|kind| {
                let delivery = rows
                    .iter()
                    .find(|(k, _)| k == kind.code())
                    .and_then(|(_, d)| Delivery::from_code(d))
                    .unwrap_or(Delivery::Instant);
                (kind, delivery)
            })
            .collect())
    }

    /// One choice of `staff`.
    pub async fn preference(
        &self,
        staff: Uuid,
        kind: NotificationKind,
    ) -> Result<Delivery, StoreError> {
        let code: Option<String> = on_pool!(&self.db, |pool| sqlx::query_scalar(
            "SELECT delivery FROM notification_preferences WHERE staff_id = $1 AND kind = $2"
        )
        .bind(staff)
        .bind(kind.code())
        .fetch_optional(pool)
        .await)?;
        Ok(code
            .as_deref()
            .and_then(Delivery::from_code)
            .unwrap_or(Delivery::Instant))
    }

    /// Saves `staff`'s choices.
    pub async fn set_preferences(
        &self,
        staff: Uuid,
        choices: &[(NotificationKind, Delivery)],
    ) -> Result<(), StoreError> {
        for (kind, delivery) in choices {
            on_pool!(&self.db, |pool| sqlx::query(
                "INSERT INTO notification_preferences (staff_id, kind, delivery)
                 VALUES ($1, $2, $3)
                 ON CONFLICT (staff_id, kind) DO UPDATE SET delivery = excluded.delivery"
            )
            .bind(staff)
            .bind(kind.code())
            .bind(delivery.code())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// What the digest of `staff` (of `role`) for local day `day` (in `zone`) tells: the
    /// notifications of the kinds they take by digest, from the digest hour the day before
    /// to the digest hour of `day`.
    pub async fn digest(
        &self,
        staff: Uuid,
        role: crate::Role,
        zone: chrono_tz::Tz,
        day: NaiveDate,
    ) -> Result<Vec<Notification>, StoreError> {
        let (from, to) = digest_window(zone, day);
        let kinds: Vec<NotificationKind> = self
            .preferences(staff)
            .await?
            .into_iter()
            .filter(|(_, d)| *d == Delivery::Digest)
            .map(|(k, _)| k)
            .collect();
        if kinds.is_empty() {
            return Ok(Vec::new());
        }
        let addressed = self.addressees(staff, role).await?;
        let sql = format!(
            "SELECT n.id, n.kind, n.reference, n.actor, n.at, NULL, c.summary
               FROM all_notifications n
               LEFT JOIN complaint_list c ON c.reference = n.reference
              WHERE {} AND n.at >= $1 AND n.at < $2
              ORDER BY n.at, n.id",
            addressed.clause(3)
        );
        let rows: Vec<ListRow> = on_pool!(&self.db, |pool| {
            let mut query = sqlx::query_as(&sql).bind(from).bind(to);
            for id in addressed.ids() {
                query = query.bind(id);
            }
            query.fetch_all(pool).await
        })?;
        Ok(rows
            .into_iter()
            .map(to_notification)
            .filter(|n| {
                NotificationKind::from_code(&n.kind).is_some_and(|kind| kinds.contains(&kind))
            })
            .collect())
    }

    /// Queues today's digest for every active member of staff who takes some kind by digest,
    /// once their local digest hour has passed and the digest has something to tell. Its
    /// outbox id names the person and the day, so it is queued once however often (and on
    /// however many instances) this runs. Returns how many were queued now.
    pub async fn queue_digests(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let people: Vec<(Uuid, String, Option<String>)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(
                "SELECT DISTINCT a.id, a.role, a.time_zone FROM staff_accounts a
                   JOIN notification_preferences p ON p.staff_id = a.id
                  WHERE a.active AND p.delivery = 'digest'",
            )
            .fetch_all(pool)
            .await
        })?;
        let mut queued = 0;
        for (staff, role, zone) in people {
            let zone: chrono_tz::Tz = zone
                .as_deref()
                .and_then(|z| z.parse().ok())
                .unwrap_or(chrono_tz::UTC);
            let local = now.with_timezone(&zone);
            let Some(hour) = NaiveTime::from_hms_opt(DIGEST_HOUR, 0, 0) else {
                continue;
            };
            if local.time() < hour {
                continue;
            }
            let day = local.date_naive();
            let role = crate::Role::parse(&role).unwrap_or(crate::Role::Agent);
            if self.digest(staff, role, zone, day).await?.is_empty() {
                continue;
            }
            let id = digest_id(staff, day);
            if Outbox::enqueue_digest(&self.db, &id, staff, now).await? {
                queued += 1;
            }
        }
        Ok(queued)
    }
}

/// The outbox id of `staff`'s digest for local day `day`.
pub fn digest_id(staff: Uuid, day: NaiveDate) -> String {
    format!("digest.{}.{day}", staff.simple())
}

/// The staff member and local day of a digest's outbox id.
pub fn parse_digest_id(id: &str) -> Option<(Uuid, NaiveDate)> {
    let mut parts = id.split('.');
    if parts.next()? != "digest" {
        return None;
    }
    let staff = Uuid::parse_str(parts.next()?).ok()?;
    let day = NaiveDate::parse_from_str(parts.next()?, "%Y-%m-%d").ok()?;
    Some((staff, day))
}

/// `[from, to)` of the digest of local day `day` in `zone`: the digest hour the day before
/// to the digest hour of the day.
pub fn digest_window(zone: chrono_tz::Tz, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |date: NaiveDate| {
        date.and_hms_opt(DIGEST_HOUR, 0, 0)
            .and_then(|t| zone.from_local_datetime(&t).earliest())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| date.and_time(NaiveTime::MIN).and_utc())
    };
    (at(day - Duration::days(1)), at(day))
}

fn to_notification((id, kind, reference, actor, at, read_at, summary): ListRow) -> Notification {
    let headline = NotificationKind::from_code(&kind).map_or_else(
        || kind.clone(),
        |k| {
            if actor.is_empty() || k.headline().starts_with(char::is_uppercase) {
                k.headline().to_string()
            } else {
                format!("{actor} {}", k.headline())
            }
        },
    );
    Notification {
        id,
        kind,
        headline,
        reference,
        summary,
        actor,
        at,
        read_at,
    }
}
