//! Working as a team in a real browser (`e2e/teams.mjs`: headless Chromium, every page checked
//! with axe-core and the Nu HTML Checker), on both databases: an admin makes two teams and a
//! routing rule, a Spanish-speaking customer's public-form complaint lands in the team and is
//! given out round robin, the agent finds it under "My teams", tags it, opens the reply with
//! the keyboard, assigns three complaints at once and merges a duplicate; the duplicate's
//! customer gets one email, in Spanish.

use redress_domain::{
    Actor, Channel, CustomerEmail, Language, NewComplaint, NewCustomer, Priority, Reference, Tier,
};
use redress_store::Role;
use redress_store::accounts::hash_password;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::browser::{artifacts_dir, run_script};
use crate::spawn_live_app_with;

on_both_backends!(a_team_routes_tags_assigns_in_bulk_and_merges_in_a_real_browser);

const PASSWORD: &str = "a long teams test password";

fn spanish(name: &str, email: &str, summary: &str) -> NewComplaint {
    NewComplaint {
        reference: Reference::parse("RDR-0000-0000").unwrap(),
        customer: NewCustomer {
            name: name.into(),
            email: Some(CustomerEmail::parse(email).unwrap()),
            phone: None,
            language: Language::Es,
        },
        company: None,
        tier: Tier::Standard,
        channel: Channel::Email,
        category: "Facturación".into(),
        summary: summary.into(),
        description: "Me cobraron dos veces.".into(),
        remedy_requested: None,
        priority: Priority::Normal,
        routing: None,
    }
}

async fn a_team_routes_tags_assigns_in_bulk_and_merges_in_a_real_browser(db: TestDb) {
    let backend = if db.url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    let mail = crate::mail_dir_for(&db);
    let app = spawn_live_app_with(db, &[]).await;
    let hash = hash_password(PASSWORD).unwrap();
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let mut emails = Vec::new();
    for (role, name, local) in [
        (Role::Admin, "Adam Admin", "adam"),
        (Role::Agent, "Ana Agente", "ana"),
        (Role::Agent, "Bruno Colega", "bruno"),
    ] {
        let email = format!("{local}-{unique}@staff.example");
        app.store
            .accounts
            .create(&email, name, role, &hash)
            .await
            .unwrap();
        emails.push(email);
    }
    // Complaints received before the Spanish team exists: the first team's.
    let mut bulk = Vec::new();
    for (name, email) in [
        ("Pablo Ruiz", "pablo@example.es"),
        ("Marta Díaz", "marta@example.es"),
        ("Jorge León", "jorge@example.es"),
    ] {
        bulk.push(
            app.store
                .complaints
                .receive(Actor::Customer, spanish(name, email, "Cobro doble"))
                .await
                .unwrap(),
        );
    }
    let survivor = bulk[0].clone();
    let duplicate = app
        .store
        .complaints
        .receive(
            Actor::Customer,
            spanish("Pablo Ruiz", "pablo@example.es", "Otra vez el cobro doble"),
        )
        .await
        .unwrap();
    app.store.projections.run_until_idle().await.unwrap();

    let dir = artifacts_dir().join(format!("teams-{backend}"));
    let run = run_script(
        "teams",
        &dir,
        std::slice::from_ref(&app.address),
        &[
            ("REDRESS_E2E_PASSWORD", PASSWORD.to_string()),
            ("REDRESS_E2E_ADMIN", emails[0].clone()),
            ("REDRESS_E2E_AGENT", emails[1].clone()),
            ("REDRESS_E2E_COLLEAGUE", emails[2].clone()),
            ("REDRESS_E2E_AGENT_NAME", "Ana Agente".to_string()),
            ("REDRESS_E2E_COLLEAGUE_NAME", "Bruno Colega".to_string()),
            (
                "REDRESS_E2E_BULK",
                bulk.iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("REDRESS_E2E_DUPLICATE", duplicate.to_string()),
            ("REDRESS_E2E_SURVIVOR", survivor.to_string()),
            ("REDRESS_E2E_DIR", dir.to_string_lossy().into_owned()),
        ],
        10,
    )
    .await;
    let filed = Reference::parse(&run.printed("filed")).unwrap();

    let app = app.restart_as(&[], redress::ServeRole::WebOnly).await;
    app.settle().await;
    // The public complaint: in the Spanish team, given to Ana by round robin, tagged.
    let row = app.list_row(filed.as_str()).await;
    let teams = app.store.teams.list().await.unwrap();
    let spanish_team = teams
        .iter()
        .find(|t| t.name == "Atención en español")
        .expect("the team the admin made");
    assert_eq!(row.team_id, Some(spanish_team.id));
    assert_eq!(row.owner_name.as_deref(), Some("Ana Agente"));
    assert_eq!(
        app.store
            .complaint_list
            .tags_of(&[filed.as_str()])
            .await
            .unwrap()
            .remove(filed.as_str()),
        Some(vec!["doble cobro".to_string()])
    );
    // The three, assigned to Bruno.
    for reference in &bulk {
        assert_eq!(
            app.list_row(reference.as_str()).await.owner_name.as_deref(),
            Some("Bruno Colega")
        );
    }
    // The duplicate: merged, and its customer told once, in Spanish.
    assert_eq!(
        app.list_row(duplicate.as_str())
            .await
            .merged_into
            .as_deref(),
        Some(survivor.as_str())
    );
    let merged: Vec<String> = std::fs::read_dir(&mail)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|name| name.starts_with(&format!("{duplicate}.")) && name.contains(".merged."))
        .collect();
    assert_eq!(merged.len(), 1, "{merged:?}");
    let raw = std::fs::read(mail.join(&merged[0])).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    let text = parsed.body_text(0).unwrap().to_string();
    assert!(
        text.contains(&format!("tratamos {duplicate} junto con ella")),
        "{text}"
    );
    app.stop().await;
}
