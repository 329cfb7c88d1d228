use redress_store::{ComplaintListProjector, QueueFilter};
use redress_testing::TestDb;
use redress_testing::on_both_backends;

on_both_backends!(
    the_intake_bench_ingests_a_mailbox_beside_the_raw_fetch,
    generated_complaints_project_like_real_ones_and_the_queue_caps_its_count,
    the_sla_bench_runs_its_pages_over_open_complaints,
    the_rebuild_bench_rebuilds_every_projection_and_leaves_them_exact,
    the_survey_wave_bench_sends_a_wave_through_the_outbox,
);

/// `redress bench rebuild` on a small load: every projection timed, and what it leaves equals
/// a rebuild (`check`).
async fn the_rebuild_bench_rebuilds_every_projection_and_leaves_them_exact(db: TestDb) {
    let settings = crate::settings_for(&db);
    let report = redress_bench::rebuild(&settings, 200).await.unwrap();
    assert!(report.contains("generated 200 complaints"), "{report}");
    for name in [
        "complaint_list",
        "outbox",
        "sla",
        "reports",
        "all, one after another",
    ] {
        assert!(report.contains(&format!("\n{name} ")), "{name}: {report}");
    }
    assert_eq!(
        report.contains("all at once"),
        db.backend == redress_store::Backend::Postgres,
        "{report}"
    );
    let store = redress::open_store(&settings).await.unwrap();
    for name in store.projections.names() {
        assert!(
            store.projections.check(name).await.unwrap().matches(),
            "{name}"
        );
    }
}

/// `redress bench commands` on a small load: every command answered, the baseline run, the
/// lag sampled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_bench_drives_lifecycles_beside_the_raw_baseline() {
    let db = TestDb::postgres().await;
    let settings = crate::settings_for(&db);
    let report = redress_bench::commands(&settings, &[1, 2], 2)
        .await
        .unwrap();
    assert!(report.contains("CPU time per command"), "{report}");
    let rows: Vec<Vec<&str>> = report
        .lines()
        // The main table's rows (with a ratio), not the CPU table's.
        .filter(|l| l.contains("x |"))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|cells| cells.len() > 3 && (cells[0] == "1" || cells[0] == "2"))
        .collect();
    assert_eq!(rows.len(), 2, "{report}");
    // clients × lifecycles × fourteen commands, all answered with success.
    assert_eq!(rows[0][1], "28", "{report}");
    assert_eq!(rows[1][1], "56", "{report}");
    // Replies (with and without a file) and notes are timed beside the other commands.
    for command in [
        "reply_with_file",
        "reply ",
        "note ",
        "record_points",
        "resolve",
    ] {
        assert!(
            report
                .lines()
                .any(|l| l.starts_with(command) && l.contains(" / ")),
            "{command}: {report}"
        );
    }
    assert!(report.contains("ratio"), "{report}");
    // Nothing of the baseline is left behind.
    let store = redress::open_store(&settings).await.unwrap();
    let redress_store::Database::Postgres(pool) = &store.db else {
        unreachable!()
    };
    let left: Option<String> = sqlx::query_scalar("SELECT to_regclass('bench_raw_events')::text")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(left, None);
}

/// `redress-bench survey-wave` on a few contacts: a wave scheduled and drained through the
/// outbox to a real SMTP server, beside lettre alone.
async fn the_survey_wave_bench_sends_a_wave_through_the_outbox(db: TestDb) {
    let smtp = crate::smtp::SmtpServer::start();
    let url = smtp.url();
    let settings = crate::settings_with(&db, &[("REDRESS_SMTP_URL", url.as_str())]);
    let report = redress_bench::survey_wave(&settings, 40, 1_000_000)
        .await
        .unwrap();
    assert!(report.contains("contacts chosen: "), "{report}");
    assert!(report.contains("(baseline)"), "{report}");
    assert!(report.contains("the wave through the outbox"), "{report}");
    let invitations = smtp
        .received()
        .into_iter()
        .filter(|m| {
            m.message_id()
                .trim_start_matches('<')
                .starts_with("survey.")
        })
        .count();
    // The baseline's messages are named survey.bench-N: the wave's are survey.{uuid}.
    let wave = smtp
        .received()
        .into_iter()
        .filter(|m| {
            let id = m.message_id();
            let id = id.trim_start_matches('<');
            id.starts_with("survey.") && !id.starts_with("survey.bench-")
        })
        .count();
    assert!(wave > 0 && invitations > wave, "{report}");
    assert!(
        report.contains(&format!("the wave through the outbox, {wave}")),
        "{wave} sent: {report}"
    );
}

/// `redress bench sla` on a small load: open complaints only, every dashboard page timed.
async fn the_sla_bench_runs_its_pages_over_open_complaints(db: TestDb) {
    let settings = crate::settings_for(&db);
    let report = redress_bench::sla(&settings, 300, 3, true).await.unwrap();
    assert!(report.contains("generated 300 complaints"), "{report}");
    assert!(report.contains("rebuilt sla from"), "{report}");
    assert!(
        report.contains("open complaints on the dashboard: 300"),
        "{report}"
    );
    for page in [
        "dashboard",
        "dashboard, key accounts, high",
        "dashboard, one owner",
    ] {
        assert!(report.contains(&format!("\n{page} ")), "{page}: {report}");
    }
}

/// The benchmark's bulk generator writes events the projector reads like any others (sealed
/// fields open, steps follow), and a backlog over 1,000 is reported as "more than 1,000".
async fn generated_complaints_project_like_real_ones_and_the_queue_caps_its_count(db: TestDb) {
    let store = db
        .store(std::sync::Arc::new(redress_domain::SystemClock))
        .await;
    let events = redress_bench::generate(&store, 1_100, 5).await.unwrap();
    assert!(events >= 1_100);
    let replayed = store
        .projections
        .rebuild(ComplaintListProjector::NAME, &|_| {})
        .await
        .unwrap();
    // On PostgreSQL a transaction of another test still running can hold the last events
    // back from the rebuild (see the event log); the projector applies them after it.
    assert!(replayed.events <= events && replayed.events > 0);
    store.projections.run_until_idle().await.unwrap();
    let list = store
        .projections
        .checkpoint(ComplaintListProjector::NAME)
        .await
        .unwrap();
    assert_eq!(
        list.position,
        store.projections.positions().await.unwrap().0
    );
    let all = store.complaint_list.all().await.unwrap();
    assert_eq!(all.len(), 1_100);
    assert!(all.iter().all(|r| {
        r.customer_name
            .as_deref()
            .is_some_and(|n| n.starts_with("Customer "))
    }));
    assert!(all.iter().any(|r| r.closed) && all.iter().any(|r| !r.acknowledged));

    let everything = QueueFilter {
        statuses: ["open", "waiting_on_customer", "resolved", "closed"]
            .map(String::from)
            .to_vec(),
        ..QueueFilter::default()
    };
    let page = store
        .complaint_list
        .queue(&everything, Default::default(), None, 50)
        .await
        .unwrap();
    assert!(page.more_than);
    assert_eq!(page.total, redress_store::complaint_list::COUNT_CAP);
    assert_eq!(page.rows.len(), 50);
    let closed = QueueFilter {
        statuses: vec!["closed".into()],
        ..QueueFilter::default()
    };
    let page = store
        .complaint_list
        .queue(&closed, Default::default(), None, 50)
        .await
        .unwrap();
    assert!(!page.more_than);
    assert_eq!(page.total as usize, all.iter().filter(|r| r.closed).count());
}

/// `redress bench intake` on a small mailbox: every message handled (new, replies, ignored),
/// the raw fetch beside it, the complaints in the store.
async fn the_intake_bench_ingests_a_mailbox_beside_the_raw_fetch(db: TestDb) {
    let settings = crate::settings_for(&db);
    let report = redress_bench::intake(&settings, 40).await.unwrap();
    assert!(report.contains("raw IMAP fetch"), "{report}");
    assert!(report.contains("intake (read, record, move)"), "{report}");
    assert!(
        report.contains("28 new complaints, 8 emails on complaints, 4 ignored, 0 quarantined"),
        "{report}"
    );
    let store = redress::open_store(&settings).await.unwrap();
    store.projections.run_until_idle().await.unwrap();
    // 500 answered complaints received before the run, and 28 new ones.
    assert_eq!(store.complaint_list.all().await.unwrap().len(), 528);
}
