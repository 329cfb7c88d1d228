//! Reading a batch's rows in and writing them out: bulk statements on either database.

use super::*;

/// A value bound into a bulk statement.
pub(super) enum Val {
    I(i64),
    OI(Option<i64>),
    T(String),
    OT(Option<String>),
    D(DateTime<Utc>),
    OD(Option<DateTime<Utc>>),
    B(bool),
}

/// Runs `head VALUES (...), (...) tail` over `rows`, in chunks small enough for both
/// databases' limits on bound parameters.
pub(super) async fn bulk(
    tx: &mut Tx,
    head: &str,
    tail: &str,
    rows: &[Vec<Val>],
) -> Result<(), StoreError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    // Statements of ~2,000 parameters.
    for chunk in rows.chunks((2_000 / width).clamp(1, 500)) {
        let mut sql = String::with_capacity(head.len() + tail.len() + chunk.len() * width * 6);
        sql.push_str(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for j in 0..width {
                if j > 0 {
                    sql.push(',');
                }
                n += 1;
                match tx.backend() {
                    // Anonymous, bound by position (see `crate::db::placeholders`).
                    Backend::Sqlite => sql.push('?'),
                    Backend::Postgres => {
                        sql.push('$');
                        sql.push_str(&n.to_string());
                    }
                }
            }
            sql.push(')');
        }
        sql.push(' ');
        sql.push_str(tail);
        on_db!(tx, |q| {
            let mut query = sqlx::query(&sql);
            for row in chunk {
                for value in row {
                    query = match value {
                        Val::I(v) => query.bind(*v),
                        Val::OI(v) => query.bind(*v),
                        Val::T(v) => query.bind(v.as_str()),
                        Val::OT(v) => query.bind(v.as_deref()),
                        Val::D(v) => query.bind(*v),
                        Val::OD(v) => query.bind(*v),
                        Val::B(v) => query.bind(*v),
                    };
                }
            }
            query.execute(q).await.map(|r| r.rows_affected())
        })?;
    }
    Ok(())
}

pub(super) async fn load_states(
    tx: &mut Tx,
    references: &[String],
) -> Result<HashMap<String, Tracked>, StoreError> {
    let mut states = HashMap::with_capacity(references.len());
    for chunk in references.chunks(500) {
        let sql = format!(
            "SELECT reference, state FROM report_complaints WHERE reference IN ({})",
            placeholders(tx.backend(), 1, chunk.len())
        );
        let rows: Vec<(String, String)> = on_db!(tx, |q| {
            let mut query = sqlx::query_as(&sql);
            for reference in chunk {
                query = query.bind(reference);
            }
            query.fetch_all(q).await
        })?;
        for (reference, json) in rows {
            let tracked = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("report state of {reference}: {e}")))?;
            states.insert(reference, tracked);
        }
    }
    Ok(states)
}

pub(super) async fn load_customers(
    tx: &mut Tx,
    customers: &[String],
) -> Result<HashMap<CustomerId, i64>, StoreError> {
    let mut known = HashMap::new();
    for chunk in customers.chunks(500) {
        let sql = format!(
            "SELECT customer, complaints FROM report_customers WHERE customer IN ({})",
            placeholders(tx.backend(), 1, chunk.len())
        );
        let rows: Vec<(String, i64)> = on_db!(tx, |q| {
            let mut query = sqlx::query_as(&sql);
            for customer in chunk {
                query = query.bind(customer);
            }
            query.fetch_all(q).await
        })?;
        for (customer, complaints) in rows {
            if let Ok(id) = customer.parse() {
                known.insert(CustomerId(id), complaints);
            }
        }
    }
    Ok(known)
}

/// The stored speed cells of `days` × `clocks`, to merge a batch's runs into.
pub(super) async fn load_speed(
    tx: &mut Tx,
    days: &[String],
    clocks: &[&'static str],
) -> Result<HashMap<SpeedKey, SpeedCell>, StoreError> {
    let mut cells = HashMap::new();
    for chunk in days.chunks(200) {
        let sql = format!(
            "SELECT day, clock, dim, value, runs, tracked, met_within, business, calendar
               FROM report_speed WHERE day IN ({}) AND clock IN ({})",
            placeholders(tx.backend(), 1, chunk.len()),
            placeholders(tx.backend(), 1 + chunk.len(), clocks.len())
        );
        #[expect(
            clippy::type_complexity,
            reason = "a row tuple as sqlx reads it, used once, right here"
        )]
        let rows: Vec<(
            String,
            String,
            String,
            String,
            i64,
            i64,
            i64,
            String,
            String,
        )> = on_db!(tx, |q| {
            let mut query = sqlx::query_as(&sql);
            for day in chunk {
                query = query.bind(day);
            }
            for clock in clocks {
                query = query.bind(*clock);
            }
            query.fetch_all(q).await
        })?;
        for (day, clock, dim, value, runs, tracked, within, business, calendar) in rows {
            let (Some(clock), Some(dim)) = (
                SlaClock::parse(&clock).map(SlaClock::code),
                DIMENSIONS.iter().find(|d| **d == dim),
            ) else {
                continue;
            };
            let corrupt = || StoreError::Corrupt(format!("histogram of {day} {clock} {dim}"));
            let cell = SpeedCell {
                runs,
                tracked,
                within,
                business: Histogram::decode(&business).ok_or_else(corrupt)?,
                calendar: Histogram::decode(&calendar).ok_or_else(corrupt)?,
            };
            cells.insert((day, clock, *dim, value), cell);
        }
    }
    Ok(cells)
}

pub(super) async fn write(tx: &mut Tx, batch: Batch) -> Result<(), StoreError> {
    // Complaints.
    let rows: Vec<Vec<Val>> = batch
        .changed
        .iter()
        .filter_map(|reference| batch.states.get(reference).map(|t| (reference, t)))
        .map(|(reference, t)| {
            let json = serde_json::to_string(t).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Ok(vec![
                Val::T(reference.clone()),
                Val::T(t.customer.to_string()),
                Val::D(t.received_at),
                Val::B(t.open),
                t.closed_at.map_or(Val::OD(None), |c| Val::OD(Some(c))),
                Val::T(t.owner()),
                Val::T(t.sla.category.clone()),
                Val::T(t.channel.code().to_string()),
                Val::T(t.sla.priority.code().to_string()),
                Val::T(t.sla.tier.code().to_string()),
                Val::OT(t.company.clone()),
                Val::T(json),
                Val::OI(super::loyalty::met(t, SlaClock::Acknowledge)),
                Val::OI(super::loyalty::met(t, SlaClock::Resolve)),
                Val::T(
                    t.sla
                        .team
                        .as_ref()
                        .map(|team| team.name.clone())
                        .unwrap_or_default(),
                ),
                Val::OI(t.score),
            ])
        })
        .collect::<Result<_, StoreError>>()?;
    bulk(
        tx,
        "INSERT INTO report_complaints (reference, customer, received_at, open, closed_at, owner,
                category, channel, priority, tier, company, state, acknowledge_secs, resolve_secs,
                team, score)",
        "ON CONFLICT (reference) DO UPDATE SET open = excluded.open,
                closed_at = excluded.closed_at, owner = excluded.owner,
                category = excluded.category, priority = excluded.priority,
                tier = excluded.tier, state = excluded.state,
                acknowledge_secs = excluded.acknowledge_secs,
                resolve_secs = excluded.resolve_secs, team = excluded.team,
                score = excluded.score",
        &rows,
    )
    .await?;

    // Daily counters: added to what is stored.
    let rows: Vec<Vec<Val>> = batch
        .days
        .iter()
        .map(|((day, dim, value), cell)| {
            let mut row = vec![
                Val::T(day.clone()),
                Val::T((*dim).to_string()),
                Val::T(value.clone()),
            ];
            row.extend(cell.values().into_iter().map(Val::I));
            row
        })
        .collect();
    let sets: Vec<String> = DAY_COLUMNS
        .iter()
        .map(|c| format!("{c} = report_days.{c} + excluded.{c}"))
        .collect();
    bulk(
        tx,
        &format!(
            "INSERT INTO report_days (day, dim, value, {})",
            DAY_COLUMNS.join(", ")
        ),
        &format!(
            "ON CONFLICT (day, dim, value) DO UPDATE SET {}",
            sets.join(", ")
        ),
        &rows,
    )
    .await?;

    // Speed: histograms merged with what is stored.
    if !batch.speed.is_empty() {
        let days: Vec<String> = batch
            .speed
            .keys()
            .map(|k| k.0.clone())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let clocks: Vec<&'static str> = batch
            .speed
            .keys()
            .map(|k| k.1)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut stored = load_speed(tx, &days, &clocks).await?;
        let rows: Vec<Vec<Val>> = batch
            .speed
            .into_iter()
            .map(|(key, cell)| {
                let mut total = stored.remove(&key).unwrap_or_default();
                total.merge(&cell);
                let (day, clock, dim, value) = key;
                vec![
                    Val::T(day),
                    Val::T(clock.to_string()),
                    Val::T(dim.to_string()),
                    Val::T(value),
                    Val::I(total.runs),
                    Val::I(total.tracked),
                    Val::I(total.within),
                    Val::T(total.business.encode()),
                    Val::T(total.calendar.encode()),
                ]
            })
            .collect();
        bulk(
            tx,
            "INSERT INTO report_speed (day, clock, dim, value, runs, tracked, met_within,
                    business, calendar)",
            "ON CONFLICT (day, dim, clock, value) DO UPDATE SET runs = excluded.runs,
                    tracked = excluded.tracked, met_within = excluded.met_within,
                    business = excluded.business, calendar = excluded.calendar",
            &rows,
        )
        .await?;
    }

    // Customers.
    let rows: Vec<Vec<Val>> = batch
        .customers
        .into_iter()
        .map(|(id, c)| {
            vec![
                Val::T(id.to_string()),
                Val::I(c.complaints),
                Val::D(c.first_at),
                Val::D(c.last_at),
                Val::T(c.last_reference),
                Val::OT(c.company),
            ]
        })
        .collect();
    bulk(
        tx,
        "INSERT INTO report_customers (customer, complaints, first_at, last_at, last_reference,
                company)",
        "ON CONFLICT (customer) DO UPDATE SET
                complaints = report_customers.complaints + excluded.complaints,
                last_reference = CASE WHEN excluded.last_at >= report_customers.last_at
                    THEN excluded.last_reference ELSE report_customers.last_reference END,
                last_at = CASE WHEN excluded.last_at >= report_customers.last_at
                    THEN excluded.last_at ELSE report_customers.last_at END,
                company = COALESCE(excluded.company, report_customers.company)",
        &rows,
    )
    .await?;

    // Feedback, then erasures (which may blank rows written just now).
    let rows: Vec<Vec<Val>> = batch
        .feedback
        .into_iter()
        .map(|f| {
            vec![
                Val::T(f.reference),
                Val::I(f.sequence),
                Val::D(f.at),
                Val::T(f.day),
                Val::I(f.score),
                Val::T(f.owner),
                Val::T(f.category),
                Val::T(f.tier),
                Val::OT(search_text(&f.would_change, &f.comment)),
                Val::OT(f.would_change),
                Val::OT(f.comment),
            ]
        })
        .collect();
    bulk(
        tx,
        "INSERT INTO report_feedback (reference, sequence, answered_at, day, score, owner,
                category, tier, search_text, would_change, comment)",
        "ON CONFLICT (reference, sequence) DO NOTHING",
        &rows,
    )
    .await?;
    for reference in batch.erased {
        on_db!(tx, |q| sqlx::query(
            "UPDATE report_feedback SET would_change = NULL, comment = NULL, search_text = NULL
              WHERE reference = $1"
        )
        .bind(&reference)
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
    }
    Ok(())
}
