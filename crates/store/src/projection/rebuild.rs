//! Rebuilding a projection from the first event in one transaction, and checking one against
//! a rebuild without changing it.

use super::*;

/// How a projection compared with a rebuild ([`Projections::check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// The projection.
    pub name: &'static str,
    /// Events replayed by the rebuild.
    pub events: u64,
    /// Each of its tables.
    pub tables: Vec<TableCheck>,
}

impl CheckReport {
    /// Whether every table held exactly the rows a rebuild gives.
    pub fn matches(&self) -> bool {
        self.tables.iter().all(TableCheck::matches)
    }
}

/// One table of a [`CheckReport`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableCheck {
    /// The table.
    pub table: &'static str,
    /// Rows in the live projection.
    pub live_rows: u64,
    /// Rows after a rebuild.
    pub rebuilt_rows: u64,
    /// Live rows that a rebuild does not give (a changed row counts here and below).
    pub only_live: u64,
    /// Rows a rebuild gives that the live projection lacks.
    pub only_rebuilt: u64,
    /// Up to [`TableCheck::SAMPLE`] of the first, as text.
    pub only_live_sample: Vec<String>,
    /// Up to [`TableCheck::SAMPLE`] of the second, as text.
    pub only_rebuilt_sample: Vec<String>,
}

impl TableCheck {
    /// Differing rows shown per table.
    pub const SAMPLE: usize = 5;

    /// Whether the live rows are exactly the rebuilt ones.
    pub fn matches(&self) -> bool {
        self.only_live == 0 && self.only_rebuilt == 0 && self.live_rows == self.rebuilt_rows
    }
}

/// Calls `each` with every row of `table` as text (PostgreSQL's row literal; on SQLite each
/// column `quote`d, joined by `|`) and a 128-bit hash of that text.
async fn for_each_row(
    tx: &mut Tx,
    table: &str,
    each: &mut (dyn FnMut(&str, u128) + Send),
) -> Result<(), StoreError> {
    use futures::TryStreamExt;
    use sha2::Digest;
    let hash = |text: &str| {
        let digest = sha2::Sha256::digest(text.as_bytes());
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        u128::from_le_bytes(first)
    };
    match tx {
        Tx::Postgres(t) => {
            let sql = format!("SELECT t::text FROM {table} t");
            let mut rows = sqlx::query_scalar::<_, String>(&sql).fetch(&mut **t);
            while let Some(text) = rows.try_next().await? {
                each(&text, hash(&text));
            }
        }
        Tx::Sqlite(t) => {
            let columns: Vec<String> =
                sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                    .bind(table)
                    .fetch_all(&mut **t)
                    .await?;
            let expression = columns
                .iter()
                .map(|c| format!("quote(\"{c}\")"))
                .collect::<Vec<_>>()
                .join(" || '|' || ");
            let sql = format!("SELECT {expression} FROM {table}");
            let mut rows = sqlx::query_scalar::<_, String>(&sql).fetch(&mut **t);
            while let Some(text) = rows.try_next().await? {
                each(&text, hash(&text));
            }
        }
    }
    Ok(())
}

/// What a rebuild did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RebuildReport {
    /// Events replayed.
    pub events: u64,
}

impl Projections {
    /// Empties one projector's tables and replays every event into them, in one transaction:
    /// readers see the old rows until the new ones are complete. `progress` is called with the
    /// number of events replayed so far.
    pub async fn rebuild(
        &self,
        name: &str,
        progress: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<RebuildReport, StoreError> {
        let projector = self.find(name)?;
        let mut tx = self.db.begin().await?;
        lock_checkpoint(&mut tx, projector.name()).await?;
        tx.bulk_cache(true).await?;
        projector.before_rebuild(&mut tx).await?;
        for table in projector.tables() {
            tx.execute_plain(&format!("DELETE FROM {table}")).await?;
        }
        let mut keys = KeyRing::default();
        let mut at = Checkpoint::default();
        let mut replayed = 0u64;
        loop {
            let events = event_log::read_after(&mut tx, at, Self::REBUILD_BATCH).await?;
            let Some(last) = events.last().map(|e| e.checkpoint) else {
                break;
            };
            projector.apply_batch(&mut tx, &mut keys, &events).await?;
            replayed += events.len() as u64;
            at = last;
            progress(replayed);
        }
        projector.after_rebuild(&mut tx).await?;
        save_checkpoint(&mut tx, projector.name(), at).await?;
        tx.bulk_cache(false).await?;
        tx.commit().await?;
        self.db.optimize_tables(projector.tables()).await?;
        Ok(RebuildReport { events: replayed })
    }

    /// Events read at a time by a rebuild.
    pub const REBUILD_BATCH: i64 = 5_000;

    /// Checks that one projection equals a rebuild from the events, changing nothing: in one
    /// transaction (holding the projector's batch lock, so the running projector waits) it
    /// brings the projection up to the last event, reads its rows, rebuilds it behind a
    /// savepoint, compares the rows, and rolls everything back.
    pub async fn check(&self, name: &str) -> Result<CheckReport, StoreError> {
        let projector = self.find(name)?;
        let mut tx = self.db.begin().await?;
        let mut at = lock_checkpoint(&mut tx, projector.name()).await?;
        tx.bulk_cache(true).await?;
        // One horizon for the catch-up and the rebuild: both see the same events.
        let horizon = event_log::horizon(&mut tx).await?;
        let mut keys = KeyRing::default();
        loop {
            let events = event_log::read_below(&mut tx, at, Self::REBUILD_BATCH, horizon).await?;
            let Some(last) = events.last().map(|e| e.checkpoint) else {
                break;
            };
            projector.apply_batch(&mut tx, &mut keys, &events).await?;
            at = last;
        }
        let mut live = Vec::new();
        for table in projector.tables() {
            let mut hashes = Vec::new();
            for_each_row(&mut tx, table, &mut |_, hash| hashes.push(hash)).await?;
            hashes.sort_unstable();
            live.push(hashes);
        }
        tx.execute_plain("SAVEPOINT redress_check").await?;
        projector.before_rebuild(&mut tx).await?;
        for table in projector.tables() {
            tx.execute_plain(&format!("DELETE FROM {table}")).await?;
        }
        let mut keys = KeyRing::default();
        let mut from = Checkpoint::default();
        let mut events = 0u64;
        loop {
            let batch = event_log::read_below(&mut tx, from, Self::REBUILD_BATCH, horizon).await?;
            let Some(last) = batch.last().map(|e| e.checkpoint) else {
                break;
            };
            projector.apply_batch(&mut tx, &mut keys, &batch).await?;
            events += batch.len() as u64;
            from = last;
        }
        projector.after_rebuild(&mut tx).await?;
        let mut tables = Vec::new();
        let mut rebuilt = Vec::new();
        for (table, live) in projector.tables().iter().zip(&live) {
            let mut check = TableCheck {
                table,
                live_rows: live.len() as u64,
                ..TableCheck::default()
            };
            let mut hashes = Vec::new();
            for_each_row(&mut tx, table, &mut |text, hash| {
                hashes.push(hash);
                if live.binary_search(&hash).is_err() {
                    check.only_rebuilt += 1;
                    if check.only_rebuilt_sample.len() < TableCheck::SAMPLE {
                        check.only_rebuilt_sample.push(text.to_string());
                    }
                }
            })
            .await?;
            check.rebuilt_rows = hashes.len() as u64;
            hashes.sort_unstable();
            rebuilt.push(hashes);
            tables.push(check);
        }
        tx.execute_plain("ROLLBACK TO SAVEPOINT redress_check")
            .await?;
        for (check, rebuilt) in tables.iter_mut().zip(&rebuilt) {
            if check.only_rebuilt == 0 && check.live_rows == check.rebuilt_rows {
                continue;
            }
            for_each_row(&mut tx, check.table, &mut |text, hash| {
                if rebuilt.binary_search(&hash).is_err() {
                    check.only_live += 1;
                    if check.only_live_sample.len() < TableCheck::SAMPLE {
                        check.only_live_sample.push(text.to_string());
                    }
                }
            })
            .await?;
        }
        tx.bulk_cache(false).await?;
        tx.rollback().await?;
        Ok(CheckReport {
            name: projector.name(),
            events,
            tables,
        })
    }
}
