//! The `notifications` projector: who hears about each event of their complaints.

use super::*;

/// The projector of notifications.
pub struct NotificationsProjector {
    clock: std::sync::Arc<dyn redress_domain::Clock>,
}

impl NotificationsProjector {
    /// Its name.
    pub const NAME: &'static str = "notifications";

    /// The projector; `clock` decides which notifications are recent enough for an email.
    pub fn new(clock: std::sync::Arc<dyn redress_domain::Clock>) -> Self {
        Self { clock }
    }
}

/// Who is told of what a customer did: the owner; with none, the complaint's team; with no
/// team either (complaints from before teams), the managers.
fn owner_or_team(owner: Option<Uuid>, team: Option<Uuid>) -> Uuid {
    owner.or(team).unwrap_or(MANAGERS)
}

/// What the projector keeps of a complaint: its owner, when it arrived, its team.
type Kept = (Option<Uuid>, DateTime<Utc>, Option<Uuid>);

#[async_trait]
impl Projector for NotificationsProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        &["notifications", "notification_owners"]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        keys: &mut KeyRing,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        self.apply_batch(tx, keys, std::slice::from_ref(stored))
            .await
    }

    /// The owners of the batch's complaints are read once and written once; notifications
    /// are written as they arise.
    async fn apply_batch(
        &self,
        tx: &mut Tx,
        _keys: &mut KeyRing,
        events: &[StoredEvent],
    ) -> Result<(), StoreError> {
        let start: i64 = on_db!(tx, |q| sqlx::query_scalar(
            "SELECT COALESCE(MAX(position), 0) FROM notification_start"
        )
        .fetch_one(q)
        .await)?;
        // Only what the customer does, reopenings, and changes of owner or team (which write
        // the row back whole) need a complaint's row from earlier batches; the rest of a
        // batch reads nothing.
        let mut wanted: Vec<&str> = events
            .iter()
            .filter(|e| {
                matches!(e.event.by, Actor::Customer)
                    || matches!(
                        e.event.change,
                        ComplaintChange::ComplaintReopened { .. }
                            | ComplaintChange::OwnerAssigned { .. }
                            | ComplaintChange::TeamChanged { .. }
                    )
            })
            .map(|e| e.reference.as_str())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        // reference → (owner, received at, team)
        let mut owners: HashMap<String, Kept> = HashMap::new();
        for chunk in wanted.chunks(500) {
            let sql = format!(
                "SELECT reference, owner_id, received_at, team_id FROM notification_owners
                  WHERE reference IN ({})",
                crate::db::placeholders(tx.backend(), 1, chunk.len())
            );
            let rows: Vec<(String, Option<Uuid>, DateTime<Utc>, Option<Uuid>)> = on_db!(tx, |q| {
                let mut query = sqlx::query_as(&sql);
                for reference in chunk {
                    query = query.bind(*reference);
                }
                query.fetch_all(q).await
            })?;
            owners.extend(rows.into_iter().map(|(r, o, at, t)| (r, (o, at, t))));
        }
        let mut touched: Vec<String> = Vec::new();
        let now = self.clock.now();
        for stored in events {
            let reference = stored.reference.as_str();
            let event = &stored.event;
            let (owner, received_at, team) =
                owners
                    .get(reference)
                    .copied()
                    .unwrap_or((None, event.occurred_at, None));
            let actor_id = match &event.by {
                Actor::Staff(member) => Some(member.id),
                _ => None,
            };
            let actor_name = match &event.by {
                Actor::Staff(member) => member.name.as_str(),
                _ => "",
            };
            let by_customer = matches!(event.by, Actor::Customer);
            let mut tell: Vec<(NotificationKind, Uuid)> = Vec::new();
            match &event.change {
                ComplaintChange::ComplaintReceived { .. } => {
                    owners.insert(reference.to_string(), (None, event.occurred_at, None));
                }
                ComplaintChange::OwnerAssigned { owner: new, .. } => {
                    owners.insert(reference.to_string(), (Some(new.id), received_at, team));
                    tell.push((NotificationKind::Assigned, new.id));
                }
                ComplaintChange::TeamChanged { team: new, .. } => {
                    owners.insert(reference.to_string(), (owner, received_at, Some(new.id)));
                }
                // Files sent with the complaint itself are part of its arrival.
                ComplaintChange::FilesAttached { .. } if event.occurred_at == received_at => {}
                ComplaintChange::CustomerStatementRecorded { .. }
                | ComplaintChange::CustomerResponded { .. }
                | ComplaintChange::FilesAttached { .. }
                | ComplaintChange::CommunicationRecorded {
                    direction: Direction::Inbound,
                    ..
                } if by_customer => {
                    tell.push((NotificationKind::CustomerWrote, owner_or_team(owner, team)));
                }
                ComplaintChange::InternalNoteAdded { mentions, .. } => {
                    tell.extend(mentions.iter().map(|m| (NotificationKind::Mentioned, m.id)));
                }
                ComplaintChange::ComplaintReopened { .. } => {
                    tell.push((NotificationKind::Reopened, owner_or_team(owner, team)));
                }
                _ => {}
            }
            // Written back only when the owner (or the complaint itself) is new.
            let changes_owner = matches!(
                event.change,
                ComplaintChange::ComplaintReceived { .. }
                    | ComplaintChange::OwnerAssigned { .. }
                    | ComplaintChange::TeamChanged { .. }
            );
            if changes_owner && !touched.iter().any(|r| r == reference) {
                touched.push(reference.to_string());
            }
            if stored.checkpoint.position <= start {
                continue;
            }
            for (kind, recipient) in tell {
                // Nobody hears of their own doing.
                if Some(recipient) == actor_id {
                    continue;
                }
                let event_key = match kind {
                    NotificationKind::CustomerWrote => event.occurred_at.timestamp_micros(),
                    _ => stored.sequence,
                };
                let id = notification_id(reference, event_key, kind, recipient);
                record(
                    tx,
                    Source::Events,
                    &NewNotification {
                        id: id.clone(),
                        recipient,
                        kind,
                        reference,
                        actor: actor_name,
                        at: event.occurred_at,
                    },
                )
                .await?;
                if now - event.occurred_at <= EMAIL_MAX_AGE {
                    Outbox::enqueue_staff_alert(
                        tx,
                        &email_id(&id),
                        reference,
                        EmailKind::Notification,
                        recipient,
                        now,
                        event.occurred_at,
                        now,
                    )
                    .await?;
                }
            }
        }
        for reference in touched {
            let Some((owner, received_at, team)) = owners.get(&reference).copied() else {
                continue;
            };
            on_db!(tx, |q| sqlx::query(
                "INSERT INTO notification_owners (reference, owner_id, received_at, team_id)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (reference) DO UPDATE SET owner_id = excluded.owner_id,
                                                       team_id = excluded.team_id"
            )
            .bind(&reference)
            .bind(owner)
            .bind(received_at)
            .bind(team)
            .execute(q)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }
}
