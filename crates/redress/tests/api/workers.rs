use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redress_domain::{
    Actor, Channel, CustomerEmail, Language, NewComplaint, NewCustomer, Priority, Reference,
    SystemClock, Tier,
};
use redress_store::Store;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

on_both_backends!(a_write_from_another_instance_wakes_the_servers_projector_without_polling);

/// Polling is set to an hour, so only a wake-up can bring the complaint into the list: on
/// PostgreSQL the write comes from a second store (another pool, as another instance would
/// be), so it is its NOTIFY, sent after the command commits, that wakes the server; on SQLite, the one writer is the
/// process itself.
async fn a_write_from_another_instance_wakes_the_servers_projector_without_polling(db: TestDb) {
    let mut settings = crate::settings_for(&db);
    settings.projector_poll_ms = 3_600_000;
    let store = redress::open_store(&settings).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let running = redress::start(listener, store.clone(), &settings)
        .await
        .unwrap();
    // Let the server's projector reach its idle wait (and its LISTEN connection).
    store.projections.run_until_idle().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let writer = match db.backend {
        redress_store::Backend::Postgres => Store::from_database(
            db.database().await,
            Arc::new(SystemClock),
            Arc::new(redress_notify::Policy),
        )
        .await
        .unwrap(),
        redress_store::Backend::Sqlite => store.clone(),
    };
    let reference = writer
        .complaints
        .receive(
            Actor::Customer,
            NewComplaint {
                reference: Reference::parse("RDR-0000-0000").unwrap(),
                customer: NewCustomer {
                    name: "Ana Pop".into(),
                    email: Some(CustomerEmail::parse("ana@example.ro").unwrap()),
                    phone: None,
                    language: Language::Ro,
                },
                company: None,
                tier: Tier::Standard,
                channel: Channel::WebForm,
                category: "Billing".into(),
                summary: "Charged twice".into(),
                description: "Twice!".into(),
                remedy_requested: None,
                priority: Priority::Normal,
                routing: None,
            },
        )
        .await
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if store
            .complaint_list
            .get(reference.as_str())
            .await
            .unwrap()
            .is_some()
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the projector was not woken by the new event"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    running.stop().await.unwrap();
}
