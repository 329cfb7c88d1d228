//! Teams, routing, tags and bulk actions over HTTP, on both databases: an admin makes a team
//! and a rule, a new complaint lands in it; the queue shows and filters by team and tag;
//! staff move and tag complaints from the complaint page; a bulk action changes the ticked
//! complaints through the same rules as one at a time, says what it refused and why, and
//! acts once however often its form is sent.

use redress_store::Role;
use redress_store::teams::FIRST_TEAM;
use redress_testing::TestDb;
use redress_testing::on_both_backends;

use crate::{csrf_in, spawn_app};

on_both_backends!(
    an_admin_makes_a_team_and_a_rule_and_new_complaints_land_in_it,
    tags_and_moves_from_the_complaint_page_and_their_refusals,
    a_bulk_action_changes_the_ticked_complaints_once_and_says_what_it_refused,
    only_admins_change_teams_and_bad_team_forms_say_why,
    an_admin_renames_and_merges_tags_on_every_complaint,
);

/// An English-speaking customer's complaint (no rule routes it).
pub(crate) fn english(email: &str) -> redress_domain::NewComplaint {
    use redress_domain::*;
    NewComplaint {
        reference: Reference::parse("RDR-0000-0000").unwrap(),
        customer: NewCustomer {
            name: "Kim Lee".into(),
            email: Some(CustomerEmail::parse(email).unwrap()),
            phone: None,
            language: Language::En,
        },
        company: None,
        tier: Tier::Standard,
        channel: Channel::WebForm,
        category: "Delivery".into(),
        summary: "Parcel never came".into(),
        description: "The parcel I paid for never arrived.".into(),
        remedy_requested: None,
        priority: Priority::Normal,
        routing: None,
    }
}

pub(crate) fn form_token(html: &str) -> String {
    let marker = "name=\"form_token\" value=\"";
    let start = html.find(marker).expect("the page has a form token") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

/// The team id in a redirect to `/teams/{id}?done=created`.
fn created_team(location: &str) -> uuid::Uuid {
    let id = location
        .strip_prefix("/teams/")
        .and_then(|rest| rest.split('?').next())
        .expect("redirected to the team");
    uuid::Uuid::parse_str(id).unwrap()
}

async fn an_admin_makes_a_team_and_a_rule_and_new_complaints_land_in_it(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = app.sign_in_as(Role::Admin).await;
    let agent = app.another_visitor();
    let agent_account = agent.sign_in_as(Role::Agent).await;
    let page = app.get("/teams").await.text().await.unwrap();
    assert!(page.contains("Complaints"), "the first team is there");
    let csrf = csrf_in(&page);
    let created = app
        .post_form(
            "/teams",
            &[
                ("csrf", &csrf),
                ("name", "Facturación"),
                ("assignment", "round_robin"),
            ],
        )
        .await;
    assert_eq!(created.status(), 303);
    let billing = created_team(created.headers()["location"].to_str().unwrap());
    // The agent joins it; the admin manages it.
    let saved = app
        .post_form(
            &format!("/teams/{billing}"),
            &[
                ("csrf", &csrf),
                ("name", "Facturación"),
                ("assignment", "round_robin"),
                (&format!("person_{}", agent_account.id), "member"),
                (&format!("person_{}", admin.id), "manager"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 303);
    let rule = app
        .post_form(
            "/routing-rules",
            &[
                ("csrf", &csrf),
                ("field", "language"),
                ("value", "ro"),
                ("team_id", &billing.to_string()),
            ],
        )
        .await;
    assert_eq!(rule.status(), 303);
    let page = app.get("/teams").await.text().await.unwrap();
    assert!(
        page.contains("Language is <strong>ro</strong> → Facturación"),
        "{page}"
    );

    // A Romanian customer's complaint lands in the team, and round robin names its first member
    // by name: the admin ("Test admin") before the agent ("Test agent").
    let reference = crate::conversation::complaint(&app, "ioana@example.ro").await;
    app.settle().await;
    let row = app.list_row(reference.as_str()).await;
    assert_eq!(row.team_id, Some(billing));
    assert_eq!(row.owner_name.as_deref(), Some("Test admin"));
    let second = crate::conversation::complaint(&app, "ion@example.ro").await;
    app.settle().await;
    assert_eq!(
        app.list_row(second.as_str()).await.owner_name.as_deref(),
        Some("Test agent")
    );
    // The agent's queue shows their teams' complaints by default; the page says which team.
    let queue = agent.get("/complaints").await.text().await.unwrap();
    assert!(queue.contains(reference.as_str()) && queue.contains(second.as_str()));
    assert!(
        queue.contains("<option value=\"mine\" selected>My teams</option>"),
        "{queue}"
    );
    let other = app
        .store
        .complaints
        .receive(redress_domain::Actor::Customer, english("kim@example.com"))
        .await
        .unwrap();
    app.settle().await;
    assert_eq!(app.list_row(other.as_str()).await.team_id, Some(FIRST_TEAM));
    let queue = agent.get("/complaints").await.text().await.unwrap();
    assert!(!queue.contains(other.as_str()), "not of the agent's teams");
    let all = agent
        .get("/complaints?team=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(all.contains(other.as_str()));
    // The complaint page says the team and why.
    let shown = agent
        .get(&format!("/complaints/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(shown.contains("<dd data-team>Facturación</dd>"), "{shown}");
    assert!(shown.contains("Routed to the team Facturación"));
    assert!(shown.contains("Routing rule 1: language is ro"));
    // Marked away, the agent is skipped.
    let agent_csrf = csrf_in(&agent.get("/teams").await.text().await.unwrap());
    let away = agent
        .post_form("/account/away", &[("csrf", &agent_csrf), ("away", "true")])
        .await;
    assert_eq!(away.status(), 303);
    assert!(
        agent
            .get("/teams")
            .await
            .text()
            .await
            .unwrap()
            .contains("Test agent <small class=\"away\">(away)</small>")
    );
    for email in ["a@example.ro", "b@example.ro"] {
        let reference = crate::conversation::complaint(&app, email).await;
        app.settle().await;
        assert_eq!(
            app.list_row(reference.as_str()).await.owner_name.as_deref(),
            Some("Test admin"),
            "the agent is away"
        );
    }
    app.stop().await;
}

async fn tags_and_moves_from_the_complaint_page_and_their_refusals(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Agent).await;
    let billing = app
        .store
        .teams
        .create(
            "Billing",
            redress_store::Assignment::Manual,
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .unwrap();
    let reference = crate::conversation::complaint(&app, "ioana@example.ro").await;
    app.settle().await;
    let page = format!("/complaints/{reference}");
    let html = app.get(&page).await.text().await.unwrap();
    let csrf = csrf_in(&html);
    let post = |action: &'static str, fields: Vec<(&'static str, String)>| {
        let app = &app;
        let page = page.clone();
        let csrf = csrf.clone();
        async move {
            let mut form: Vec<(&str, String)> = vec![("csrf", csrf)];
            form.extend(fields);
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.post_form(&format!("{page}/{action}"), &form).await
        }
    };
    assert_eq!(
        post("add_tag", vec![("tag", "  Refund ".into())])
            .await
            .status(),
        303
    );
    assert_eq!(
        post("add_tag", vec![("tag", "vip".into())]).await.status(),
        303
    );
    // The same tag again, and a tag with a character tags cannot hold: refused beside the form.
    let again = post("add_tag", vec![("tag", "REFUND".into())]).await;
    assert_eq!(again.status(), 422);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("already tagged &quot;refund&quot;")
    );
    let bad = post("add_tag", vec![("tag", "a<b".into())]).await;
    assert_eq!(bad.status(), 422);
    assert_eq!(
        post("remove_tag", vec![("tag", "vip".into())])
            .await
            .status(),
        303
    );
    // A move needs a reason, and another team.
    let no_reason = post(
        "change_team",
        vec![("team_id", billing.to_string()), ("reason", " ".into())],
    )
    .await;
    assert_eq!(no_reason.status(), 422);
    assert!(
        no_reason
            .text()
            .await
            .unwrap()
            .contains("The reason for the change of team must not be empty")
    );
    let same = post(
        "change_team",
        vec![
            ("team_id", FIRST_TEAM.to_string()),
            ("reason", "why".into()),
        ],
    )
    .await;
    assert_eq!(same.status(), 422);
    assert!(
        same.text()
            .await
            .unwrap()
            .contains("already in the team Complaints")
    );
    let unknown = post(
        "change_team",
        vec![
            ("team_id", uuid::Uuid::new_v4().to_string()),
            ("reason", "why".into()),
        ],
    )
    .await;
    assert_eq!(unknown.status(), 422);
    assert!(
        unknown
            .text()
            .await
            .unwrap()
            .contains("That team does not exist.")
    );
    // A moment before the move (a whole second after the last change: time travel reads
    // seconds), for time travel.
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let before_move = chrono::Utc::now();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let moved = post(
        "change_team",
        vec![
            ("team_id", billing.to_string()),
            ("reason", "An invoice question".into()),
        ],
    )
    .await;
    assert_eq!(moved.status(), 303);
    app.settle().await;
    // Time travel shows the team and the tags it had then.
    let then = app
        .get(&format!(
            "{page}?at={}",
            before_move.format("%Y-%m-%dT%H:%M:%S")
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(then.contains("<dd data-team>Complaints</dd>"), "{then}");
    assert!(then.contains(">refund</a>") && !then.contains(">vip</a>"));
    let html = app.get(&page).await.text().await.unwrap();
    assert!(html.contains("<dd data-team>Billing</dd>"));
    assert!(html.contains("Moved from the team Complaints to Billing"));
    assert!(html.contains("An invoice question"));
    assert!(
        html.contains("Tagged &quot;refund&quot;") && html.contains("Tag &quot;vip&quot; removed")
    );
    // The queue filters by tag; the tag shows on its row.
    let tagged = app
        .get("/complaints?tag=Refund&team=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(tagged.contains(reference.as_str()));
    assert!(tagged.contains("class=\"tag\""));
    let none = app
        .get("/complaints?tag=vip&team=all")
        .await
        .text()
        .await
        .unwrap();
    assert!(!none.contains(&format!("data-complaint=\"{reference}\"")));
    let bad_tag = app.get("/complaints?tag=a%3Cb").await;
    assert_eq!(bad_tag.status(), 400);
    let bad_team = app.get("/complaints?team=nobody").await;
    assert_eq!(bad_team.status(), 400);
    // What staff do with teams and tags never reaches the customer's page.
    let token = app
        .store
        .links
        .token(&reference, chrono::Utc::now() + chrono::Duration::days(1));
    let status = app
        .get(&format!("/status/{token}"))
        .await
        .text()
        .await
        .unwrap();
    for staff_only in ["refund", "Billing", "An invoice question"] {
        assert!(
            !status.contains(staff_only),
            "{staff_only} on the customer's page"
        );
    }
    app.stop().await;
}

async fn a_bulk_action_changes_the_ticked_complaints_once_and_says_what_it_refused(db: TestDb) {
    let app = spawn_app(db).await;
    let me = app.sign_in_as(Role::Agent).await;
    let mut references = Vec::new();
    for email in ["a@example.ro", "b@example.ro", "c@example.ro"] {
        references.push(crate::conversation::complaint(&app, email).await);
    }
    // The third is already tagged: adding the tag again is refused for it alone.
    app.store
        .complaints
        .execute(
            &references[2],
            redress_domain::ComplaintCommand::new(
                redress_domain::Actor::Staff(me.member()),
                redress_domain::ComplaintAction::AddTag {
                    tag: "outage".into(),
                },
            ),
        )
        .await
        .unwrap();
    app.settle().await;
    let queue = app.get("/complaints?team=all").await.text().await.unwrap();
    assert!(queue.contains(&format!("name=\"pick_{}\"", references[0])));
    let csrf = csrf_in(&queue);
    let token = form_token(&queue);
    let picks: Vec<String> = references.iter().map(|r| format!("pick_{r}")).collect();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("form_token", &token),
        ("filter", "team=all"),
        ("action", "add_tag"),
        ("tag", "Outage"),
    ];
    for pick in &picks {
        form.push((pick, "on"));
    }
    let answer = app.post_form("/complaints/bulk", &form).await;
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("Done on 2 complaints; refused on 1."),
        "{text}"
    );
    assert!(text.contains(&format!(
        "{}</code></a>: The complaint is already tagged",
        references[2]
    )));
    // Sent again: nothing more is done.
    let again = app
        .post_form("/complaints/bulk", &form)
        .await
        .text()
        .await
        .unwrap();
    assert!(again.contains("nothing was done a second time"));
    let events = |r: &redress_domain::Reference| {
        let store = app.store.clone();
        let r = r.clone();
        async move { store.complaints.events_of(&r).await.unwrap().len() }
    };
    assert_eq!(
        events(&references[0]).await,
        3,
        "received, routed, tagged once"
    );
    // Every complaint matching the filter: assigned to me, through the same rules.
    app.settle().await;
    let queue = app
        .get("/complaints?team=all&tag=outage")
        .await
        .text()
        .await
        .unwrap();
    let token = form_token(&queue);
    let answer = app
        .post_form(
            "/complaints/bulk",
            &[
                ("csrf", &csrf),
                ("form_token", &token),
                ("filter", "team=all&tag=outage"),
                ("everything", "on"),
                ("action", "assign"),
                ("owner_id", &me.id.to_string()),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(answer.contains("Done on 3 complaints."), "{answer}");
    app.settle().await;
    for reference in &references {
        assert_eq!(app.list_row(reference.as_str()).await.owner_id, Some(me.id));
    }
    // Nothing ticked, an unknown action, a stale CSRF token: refused, nothing written.
    let token = form_token(&app.get("/complaints").await.text().await.unwrap());
    let nothing = app
        .post_form(
            "/complaints/bulk",
            &[
                ("csrf", &csrf),
                ("form_token", &token),
                ("action", "add_tag"),
                ("tag", "x"),
            ],
        )
        .await;
    assert_eq!(nothing.status(), 400);
    assert!(
        nothing
            .text()
            .await
            .unwrap()
            .contains("Tick the complaints")
    );
    let pick = format!("pick_{}", references[0]);
    let unknown = app
        .post_form(
            "/complaints/bulk",
            &[("csrf", &csrf), ("action", "delete"), (&pick, "on")],
        )
        .await;
    assert_eq!(unknown.status(), 400);
    let stale = app
        .post_form(
            "/complaints/bulk",
            &[
                ("csrf", "stale"),
                ("action", "add_tag"),
                ("tag", "x"),
                (&pick, "on"),
            ],
        )
        .await;
    assert_eq!(stale.status(), 403);
    assert_eq!(
        events(&references[0]).await,
        4,
        "tagged, assigned, nothing since"
    );
    app.stop().await;
}

async fn only_admins_change_teams_and_bad_team_forms_say_why(db: TestDb) {
    let app = spawn_app(db).await;
    app.sign_in_as(Role::Admin).await;
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    let csrf = csrf_in(&agent.get("/teams").await.text().await.unwrap());
    let refused = agent
        .post_form("/teams", &[("csrf", &csrf), ("name", "Mine")])
        .await;
    assert_eq!(refused.status(), 403);
    let csrf = csrf_in(&app.get("/teams").await.text().await.unwrap());
    let taken = app
        .post_form("/teams", &[("csrf", &csrf), ("name", " complaints ")])
        .await;
    assert_eq!(taken.status(), 422);
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("There is already a team called complaints")
    );
    let rule = app
        .post_form(
            "/routing-rules",
            &[
                ("csrf", &csrf),
                ("field", "channel"),
                ("value", "pigeon"),
                ("team_id", &FIRST_TEAM.to_string()),
            ],
        )
        .await;
    assert_eq!(rule.status(), 422);
    assert!(rule.text().await.unwrap().contains("is not a channel"));
    let unknown = app.get(&format!("/teams/{}", uuid::Uuid::new_v4())).await;
    assert_eq!(unknown.status(), 404);
    let stranger = app
        .post_form(
            &format!("/teams/{FIRST_TEAM}"),
            &[
                ("csrf", &csrf),
                ("name", "Complaints"),
                ("assignment", "manual"),
                (&format!("person_{}", uuid::Uuid::new_v4()), "member"),
            ],
        )
        .await;
    assert_eq!(stranger.status(), 422);
    assert!(
        stranger
            .text()
            .await
            .unwrap()
            .contains("not an active staff account")
    );
    app.stop().await;
}

async fn an_admin_renames_and_merges_tags_on_every_complaint(db: TestDb) {
    let app = spawn_app(db).await;
    let admin = app.sign_in_as(Role::Admin).await;
    let mut references = Vec::new();
    for (email, tags) in [
        ("a@example.ro", vec!["refnd"]),
        ("b@example.ro", vec!["refnd", "refund"]),
        ("c@example.ro", vec!["refund"]),
    ] {
        let reference = crate::conversation::complaint(&app, email).await;
        for tag in tags {
            app.store
                .complaints
                .execute(
                    &reference,
                    redress_domain::ComplaintCommand::new(
                        redress_domain::Actor::Staff(admin.member()),
                        redress_domain::ComplaintAction::AddTag { tag: tag.into() },
                    ),
                )
                .await
                .unwrap();
        }
        references.push(reference);
    }
    app.settle().await;
    let page = app.get("/tags").await.text().await.unwrap();
    assert!(
        page.contains("refnd</a> 2") && page.contains("refund</a> 2"),
        "{page}"
    );
    let csrf = csrf_in(&page);
    // Merged: "refnd" into "Refund" (made canonical).
    let merged = app
        .post_form(
            "/tags/rename",
            &[("csrf", &csrf), ("from", "refnd"), ("to", " Refund ")],
        )
        .await;
    assert_eq!(merged.status(), 303);
    app.settle().await;
    assert_eq!(
        app.store.complaint_list.tags().await.unwrap(),
        [("refund".to_string(), 3)]
    );
    let done = app
        .get(merged.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(
        done.contains("Done: 2 complaints now carry the tag &quot;refund&quot;."),
        "{done}"
    );
    // Each complaint's history records it.
    let history = app
        .store
        .complaints
        .events_of(&references[1])
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.change.name())
        .collect::<Vec<_>>();
    assert_eq!(
        history,
        [
            "ComplaintReceived",
            "TeamChanged",
            "TagAdded",
            "TagAdded",
            "TagRemoved"
        ]
    );
    // The reports count complaints by the tags they carry.
    let csv = app
        .get("/reports?format=csv&table=tags")
        .await
        .text()
        .await
        .unwrap();
    assert!(csv.contains("refund,3,3,0,"), "{csv}");
    // Refused: an unknown tag, a bad name, the same name; and for an agent.
    for (from, to, says) in [
        ("nothing", "x", "No complaint carries the tag"),
        ("refund", "a,b", "contains"),
        ("refund", "REFUND", "is already called that"),
    ] {
        let refused = app
            .post_form(
                "/tags/rename",
                &[("csrf", &csrf), ("from", from), ("to", to)],
            )
            .await;
        assert_eq!(refused.status(), 422, "{from} → {to}");
        assert!(
            refused.text().await.unwrap().contains(says),
            "{from} → {to}"
        );
    }
    let agent = app.another_visitor();
    agent.sign_in_as(Role::Agent).await;
    let agent_csrf = csrf_in(&agent.get("/tags").await.text().await.unwrap());
    let refused = agent
        .post_form(
            "/tags/rename",
            &[("csrf", &agent_csrf), ("from", "refund"), ("to", "money")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    app.stop().await;
}
