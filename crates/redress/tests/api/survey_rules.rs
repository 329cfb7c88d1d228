//! The periodic surveys' rules at `/admin/surveys`, on both databases: until an admin saves
//! rules the settings apply (here: off); saved rules are what every instance's next wave
//! follows, and the page counts whom it would ask; a value that is not a whole number or out
//! of range is refused with what to fix and changes nothing; only admins reach the page.

use redress_domain::Language;
use redress_store::surveys::SurveyRules;
use redress_store::{AuditAction, Role};
use redress_testing::{TestDb, on_both_backends};

use crate::surveys::contact;
use crate::{csrf_in, spawn_app};

on_both_backends!(admins_set_the_rules_the_next_wave_follows_and_bad_values_change_nothing);

async fn admins_set_the_rules_the_next_wave_follows_and_bad_values_change_nothing(db: TestDb) {
    let app = spawn_app(db).await;
    // Ana's complaint is closed: she may be asked. Bob's is open: he may not.
    let ana = contact(&app, "ana@example.com", Language::Es, None, false).await;
    contact(&app, "bob@example.com", Language::En, None, true).await;

    let admin = app.another_visitor();
    admin.sign_in_as(Role::Admin).await;
    let page = admin.get("/admin/surveys").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("no admin has saved rules yet"), "{page}");
    assert!(page.contains("Off: nobody is asked"));
    let csrf = csrf_in(&page);

    // Refused, each with what to fix; nothing saved.
    for (fields, expected) in [
        (
            [("every_months", "often"), ("per_hour", "100")],
            "&quot;often&quot; is not a whole number",
        ),
        (
            [("every_months", "6"), ("per_hour", "0")],
            "Invitations an hour: from 1 to 1000000",
        ),
        (
            [("every_months", "121"), ("per_hour", "100")],
            "at most every 120 months",
        ),
    ] {
        let mut form = vec![("csrf", csrf.as_str()), ("key_every_months", "0")];
        form.push(("min_days", "30"));
        form.extend(fields);
        let refused = admin.post_form("/admin/surveys", &form).await;
        assert_eq!(refused.status(), 422, "{fields:?}");
        let body = refused.text().await.unwrap();
        assert!(body.contains(expected), "{fields:?}: {body}");
        assert!(body.contains(r#"role="alert""#));
    }
    let in_force = app
        .store
        .surveys
        .rules(SurveyRules::default())
        .await
        .unwrap();
    assert_eq!(in_force.saved, None);

    // Saved: the page says by whom, and that the next wave would ask Ana alone.
    let saved = admin
        .post_form(
            "/admin/surveys",
            &[
                ("csrf", csrf.as_str()),
                ("every_months", "6"),
                ("key_every_months", "3"),
                ("min_days", "45"),
                ("per_hour", "120"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let page = admin
        .get("/admin/surveys?done=saved")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("The rules are saved"), "{page}");
    assert!(page.contains("One contact would be asked now."), "{page}");
    assert!(page.contains(r#"name="min_days" min="0" max="3650" value="45""#));
    let in_force = app
        .store
        .surveys
        .rules(SurveyRules::default())
        .await
        .unwrap();
    let expected = SurveyRules {
        every_months: 6,
        key_every_months: 3,
        min_days: 45,
        per_hour: 120,
    };
    assert_eq!(in_force.rules, expected);
    assert!(in_force.saved.is_some_and(|(_, by)| !by.is_empty()));
    // And the audit trail says who changed them, to what.
    let audited = app
        .store
        .audit
        .list(Some(AuditAction::SurveyRulesChanged), None, 10)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1, "the refusals are not audited");
    assert!(audited[0].detail.contains("every 6 months"), "{audited:?}");
    // Whatever the instance's settings say.
    let over_settings = SurveyRules {
        every_months: 1,
        ..SurveyRules::default()
    };
    assert_eq!(
        app.store.surveys.rules(over_settings).await.unwrap().rules,
        expected
    );
    // The wave the hourly task would schedule with them asks Ana, in Spanish.
    let chosen = app
        .store
        .surveys
        .choose(in_force.rules, app.store.clock.now())
        .await
        .unwrap();
    assert_eq!(chosen.len(), 1);
    assert_eq!(
        (chosen[0].customer_id, chosen[0].language.as_str()),
        (ana, "es")
    );

    // Agents and managers do not reach the page.
    for role in [Role::Agent, Role::Manager] {
        let other = app.another_visitor();
        other.sign_in_as(role).await;
        assert_eq!(other.get("/admin/surveys").await.status(), 403, "{role:?}");
    }
    app.stop().await;
}
