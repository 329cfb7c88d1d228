//! The real binary, run as a user would.

use std::process::{Command, Output};

use redress_testing::TestDb;
use redress_testing::on_both_backends;

fn redress(db: &TestDb, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redress"))
        .args(args)
        .env("REDRESS_DATABASE_URL", &db.url)
        .env("REDRESS_LOG", "warn")
        .env_remove("REDRESS_CONFIG")
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

on_both_backends!(
    migrate_demo_data_rebuild_and_erase_customer_work_from_the_command_line,
    check_passes_on_exact_projections_and_fails_with_the_rows_when_one_differs,
);

/// `redress check` after an incident: exit 0 and "matches" for every projection, then, with a
/// row tampered with, exit 1 naming the projection, its table and the differing rows, and
/// the tampered row still there (the check changes nothing).
async fn check_passes_on_exact_projections_and_fails_with_the_rows_when_one_differs(db: TestDb) {
    stdout(&redress(
        &db,
        &["demo-data", "--complaints", "6", "--seed", "5"],
    ));
    let fine = stdout(&redress(&db, &["check"]));
    for name in ["complaint_list", "outbox", "sla", "reports"] {
        assert!(
            fine.contains(&format!("{name}: matches a rebuild")),
            "{fine}"
        );
    }
    let store = db
        .store(std::sync::Arc::new(redress_domain::SystemClock))
        .await;
    let reference = store
        .complaint_list
        .all()
        .await
        .unwrap()
        .remove(0)
        .reference;
    redress_store::on_pool!(&store.db, |pool| sqlx::query(
        "UPDATE complaint_list SET summary = 'tampered' WHERE reference = $1"
    )
    .bind(&reference)
    .execute(pool)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let differs = redress(&db, &["check"]);
    assert_eq!(differs.status.code(), Some(1));
    let out = String::from_utf8_lossy(&differs.stdout);
    assert!(out.contains("complaint_list: DIFFERS"), "{out}");
    assert!(
        out.contains("live only:") && out.contains("tampered"),
        "{out}"
    );
    assert!(out.contains("rebuild only:"), "{out}");
    assert!(out.contains("sla: matches a rebuild"), "{out}");
    assert!(
        String::from_utf8_lossy(&differs.stderr).contains("redress rebuild NAME"),
        "{}",
        String::from_utf8_lossy(&differs.stderr)
    );
    let summary: String = redress_store::on_pool!(&store.db, |pool| sqlx::query_scalar(
        "SELECT summary FROM complaint_list WHERE reference = $1"
    )
    .bind(&reference)
    .fetch_one(pool)
    .await)
    .unwrap();
    assert_eq!(summary, "tampered");
    stdout(&redress(&db, &["rebuild", "complaint_list"]));
    assert!(stdout(&redress(&db, &["check", "complaint_list"])).contains("matches"));
}

#[test]
fn an_unknown_log_format_is_refused_with_what_to_write() {
    let output = Command::new(env!("CARGO_BIN_EXE_redress"))
        .arg("migrate")
        .env("REDRESS_LOG_FORMAT", "xml")
        .env("REDRESS_DATABASE_URL", "sqlite::memory:")
        .env_remove("REDRESS_CONFIG")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("\"xml\"; write text or json"), "{stderr}");
}

async fn migrate_demo_data_rebuild_and_erase_customer_work_from_the_command_line(db: TestDb) {
    assert!(stdout(&redress(&db, &["migrate"])).contains("Migrations applied"));
    let loaded = stdout(&redress(
        &db,
        &["demo-data", "--complaints", "16", "--seed", "3"],
    ));
    assert!(loaded.contains("Loaded 16 demo complaints"), "{loaded}");
    assert!(loaded.contains("Maria Ionescu"));
    let rebuilt = stdout(&redress(&db, &["rebuild"]));
    assert!(rebuilt.contains("Rebuilt complaint_list from"), "{rebuilt}");
    let rebuilt_one = stdout(&redress(&db, &["rebuild", "complaint_list"]));
    assert!(rebuilt_one.contains("Rebuilt complaint_list"));

    let unknown = redress(&db, &["rebuild", "nope"]);
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("the projections are: complaint_list")
    );

    // Erase one demo customer by address (demo addresses end in .<index>@domain).
    let store = db
        .store(std::sync::Arc::new(redress_domain::SystemClock))
        .await;
    let row = store.complaint_list.all().await.unwrap().remove(0);
    let email = row.customer_email.clone().unwrap();
    let erased = stdout(&redress(&db, &["erase-customer", "--email", &email]));
    assert!(
        erased.contains("complaint(s) recorded the erasure; key deleted"),
        "{erased}"
    );
    let after = store
        .complaint_list
        .get(&row.reference)
        .await
        .unwrap()
        .unwrap();
    assert!(after.personal_data_erased);
    assert_eq!(after.customer_email, None);
    let again = redress(&db, &["erase-customer", "--email", &email]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("no customer with the address"));
    let bad = redress(&db, &["erase-customer", "--email", "not-an-address"]);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("is not a valid email address"));
}

#[test]
fn help_documents_every_setting() {
    let output = Command::new(env!("CARGO_BIN_EXE_redress"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for setting in redress::settings::SETTINGS {
        assert!(
            help.contains(setting.env),
            "--help does not mention {}",
            setting.env
        );
    }
    for command in ["serve", "migrate", "rebuild", "demo-data", "erase-customer"] {
        assert!(help.contains(command), "--help does not mention {command}");
    }
}

#[test]
fn a_bad_database_url_is_reported_plainly() {
    let output = Command::new(env!("CARGO_BIN_EXE_redress"))
        .arg("migrate")
        .env("REDRESS_DATABASE_URL", "mysql://nope")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("must start with sqlite:// or postgres://"),
        "{stderr}"
    );
}
