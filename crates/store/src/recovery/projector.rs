//! The `recovery` projector: a row in the recovery queue for every score of 4 or less, once,
//! with the reference its follow-up will be received under.

use super::*;

/// The projector that fills the recovery queue.
pub struct RecoveryProjector {
    clock: Arc<dyn Clock>,
}

impl RecoveryProjector {
    /// Its name.
    pub const NAME: &'static str = "recovery";

    /// How old a score may be when the projector first sees it and still be followed up: as
    /// for the outbox, a score from an import or demo data, or one the projector only reaches
    /// days later, opens nothing (the people who would act on it have moved on).
    pub const MAX_AGE: Duration = Duration::days(3);

    /// The projector, judging an event's age by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

/// The reference a follow-up of the score at `sequence` of `source` is received under: the
/// same on every attempt, so a worker that died between receiving the follow-up and marking
/// its row finds it there and opens no second one.
pub fn follow_up_reference(source: &str, sequence: i64) -> Reference {
    use rand::SeedableRng;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("recovery:{source}:{sequence}").as_bytes());
    let mut seed = [0u8; 32];
    seed.copy_from_slice(&digest);
    Reference::generate(&mut rand::rngs::StdRng::from_seed(seed))
}

#[async_trait]
impl Projector for RecoveryProjector {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    /// None: the queue survives a rebuild (its rows are what was done), and the replay adds
    /// nothing (one row per complaint scored).
    fn tables(&self) -> &'static [&'static str] {
        &[]
    }

    fn wakes(&self) -> &'static [Wake] {
        &[Wake::Recovery]
    }

    async fn apply(
        &self,
        tx: &mut Tx,
        _keys: &mut KeyRing,
        stored: &StoredEvent,
    ) -> Result<(), StoreError> {
        let ComplaintChange::SatisfactionRecorded { score, .. } = &stored.event.change else {
            return Ok(());
        };
        if *score > MAX_LIMIT || self.clock.now() - stored.event.occurred_at > Self::MAX_AGE {
            return Ok(());
        }
        let source = stored.reference.as_str();
        on_db!(tx, |q| sqlx::query(
            "INSERT INTO recovery_queue (source, sequence, score, scored_at, follow_up)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
        )
        .bind(source)
        .bind(stored.sequence)
        .bind(i32::from(*score))
        .bind(stored.event.occurred_at)
        .bind(follow_up_reference(source, stored.sequence).as_str())
        .execute(q)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scores_follow_up_has_one_reference_and_another_scores_has_another() {
        let first = follow_up_reference("RDR-AAAA-BBBB", 9);
        assert_eq!(first, follow_up_reference("RDR-AAAA-BBBB", 9));
        assert_ne!(first, follow_up_reference("RDR-AAAA-BBBB", 10));
        assert_ne!(first, follow_up_reference("RDR-AAAA-BBBC", 9));
        assert!(Reference::parse(first.as_str()).is_ok(), "{first}");
    }
}
