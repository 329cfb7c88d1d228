//! The real binary, run as a user would.

use std::process::{Command, Output};

use redress_store::on_both_backends;
use redress_store::testing::TestDb;

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

on_both_backends!(migrate_demo_data_rebuild_and_erase_customer_work_from_the_command_line);

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
