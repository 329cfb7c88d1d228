use chrono::{Duration, TimeZone, Utc};
use redress_store::{KeptAnswer, KeyClaim, Scope};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::Fixture;

on_both_backends!(
    a_key_is_answered_once_per_token_and_is_free_again_after_a_day,
    a_token_keeps_its_scopes_and_admin_allows_every_one
);

async fn a_key_is_answered_once_per_token_and_is_free_again_after_a_day(db: TestDb) {
    let f = Fixture::new(db).await;
    let kept = &f.store.idempotency;
    let (_, token) = f
        .store
        .api_tokens
        .create("CRM", &[Scope::Act], "test")
        .await
        .unwrap();
    let (_, other) = f
        .store
        .api_tokens
        .create("Other", &[Scope::Act], "test")
        .await
        .unwrap();
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    assert_eq!(
        kept.claim(token.id, "k", "request-a", now).await.unwrap(),
        KeyClaim::Fresh
    );
    // While the first is answered: in flight, whatever is asked.
    assert_eq!(
        kept.claim(token.id, "k", "request-a", now).await.unwrap(),
        KeyClaim::InFlight
    );
    // Another token's key of the same name is its own.
    assert_eq!(
        kept.claim(other.id, "k", "request-b", now).await.unwrap(),
        KeyClaim::Fresh
    );
    let answer = KeptAnswer {
        status: 201,
        body: "{\"reference\":\"RDR-7KX4-9PQM\"}".into(),
        location: Some("/api/v1/complaints/RDR-7KX4-9PQM".into()),
    };
    kept.keep(token.id, "k", &answer).await.unwrap();
    assert_eq!(
        kept.claim(token.id, "k", "request-a", now).await.unwrap(),
        KeyClaim::Answered(answer.clone())
    );
    assert_eq!(
        kept.claim(token.id, "k", "request-b", now).await.unwrap(),
        KeyClaim::OtherRequest
    );
    // A kept answer is never released; a refused request's key is.
    kept.release(token.id, "k").await.unwrap();
    assert_eq!(
        kept.claim(token.id, "k", "request-a", now).await.unwrap(),
        KeyClaim::Answered(answer)
    );
    kept.release(other.id, "k").await.unwrap();
    assert_eq!(
        kept.claim(other.id, "k", "request-c", now).await.unwrap(),
        KeyClaim::Fresh
    );
    // A day later the key is free again, and pruning forgets what is that old.
    let later = now + redress_store::idempotency::KEPT_FOR + Duration::seconds(1);
    assert_eq!(
        kept.claim(token.id, "k", "request-b", later).await.unwrap(),
        KeyClaim::Fresh
    );
    assert_eq!(kept.prune(later).await.unwrap(), 1, "the other token's");
}

/// Scopes are kept in one order whatever order they were ticked in; `admin` allows all.
async fn a_token_keeps_its_scopes_and_admin_allows_every_one(db: TestDb) {
    let f = Fixture::new(db).await;
    let (_, made) = f
        .store
        .api_tokens
        .create("Old", &[Scope::File, Scope::Read], "test")
        .await
        .unwrap();
    assert_eq!(made.scopes, "read file");
    assert!(made.allows(Scope::Read) && made.allows(Scope::File) && !made.allows(Scope::Act));
    let (_, admin) = f
        .store
        .api_tokens
        .create("All", &[Scope::Admin], "test")
        .await
        .unwrap();
    assert!(Scope::ALL.into_iter().all(|s| admin.allows(s)));
}
