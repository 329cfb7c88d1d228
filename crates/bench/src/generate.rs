//! The generator: complaints written in bulk straight into the event store, with the
//! domain's own event types (sealed with real customer keys), in three mixes; and filling an
//! empty scratch database before a benchmark.

use super::*;

/// Rows per INSERT statement when generating.
pub(crate) const BATCH: usize = 400;

/// Which complaints [`generate_mix`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mix {
    /// Every stage from received to closed, spread over the last year, all standard tier.
    Lifecycle,
    /// Open complaints only (received, at most updated), received 4 to 34 days ago, one in ten
    /// a key account: an SLA dashboard's worst day.
    Open,
    /// A year of complaints in the order they arrived: every stage, nine in ten closed (most
    /// with a satisfaction score), one in ten a key account; customers complain about three
    /// times each on average. What the reports read.
    Year,
}

/// Inserts `count` complaints' events straight into the event store, at every stage, spread
/// over the last year. Returns the number of events written.
pub async fn generate(store: &Store, count: usize, seed: u64) -> anyhow::Result<u64> {
    generate_mix(store, count, seed, Mix::Lifecycle).await
}

/// Inserts `count` complaints' events of `mix` straight into the event store, built with the
/// domain's own types. Returns the number of events written.
pub async fn generate_mix(store: &Store, count: usize, seed: u64, mix: Mix) -> anyhow::Result<u64> {
    let customers = match mix {
        Mix::Year => (count / 10).max(1),
        _ => (count / 3).max(1),
    };
    generate_among(store, count, customers, seed, mix).await
}

/// As [`generate_mix`], with the complaints spread over `customers` customers.
pub async fn generate_among(
    store: &Store,
    count: usize,
    customers: usize,
    seed: u64,
    mix: Mix,
) -> anyhow::Result<u64> {
    let customers = customers.max(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let staff = redress::demo::staff();
    let now = Utc::now();
    // A year's arrival times, in order (the Year mix writes complaints as they arrived).
    let mut arrivals: Vec<i64> = match mix {
        Mix::Year => (0..count)
            .map(|_| rng.gen_range(60..365 * 24 * 60))
            .collect(),
        _ => Vec::new(),
    };
    arrivals.sort_unstable();
    let mut keys = Vec::with_capacity(customers);
    for i in 0..customers {
        let email = CustomerEmail::parse(&format!("customer{i}.{seed}@bench.example"))?;
        let id = store.vault.customer_for(&email).await?;
        let key = store
            .vault
            .key(id)
            .await?
            .context("a key just created is missing")?;
        keys.push((id, key, email));
    }
    let teams = bench_teams(store).await?;
    let tags = ["refund", "vip", "outage", "follow-up", "press"];
    let categories = [
        "Billing",
        "Delivery",
        "Product quality",
        "Customer service",
        "Website",
    ];
    let mut rows: Vec<(String, i64, ComplaintEvent)> = Vec::with_capacity(BATCH * 2);
    let mut written = 0u64;
    // Random references collide now and then among a million (the birthday problem).
    let mut used = std::collections::HashSet::with_capacity(count);
    for _ in 0..count {
        let mut reference = Reference::generate(&mut rng);
        while !used.insert(reference.to_string()) {
            reference = Reference::generate(&mut rng);
        }
        let (customer, key, email) = &keys[rng.gen_range(0..customers)];
        // Open complaints end four days ago: old enough that they owe the customer no email
        // and staff no alert, so no mail is sent while pages are timed.
        let (latest, window) = match mix {
            Mix::Lifecycle | Mix::Year => (now, 365 * 24 * 60),
            Mix::Open => (now - Span::days(4), 30 * 24 * 60),
        };
        let ago = arrivals.pop().unwrap_or_else(|| rng.gen_range(60..window));
        let mut at = latest - Span::minutes(ago);
        let owner = staff.choose(&mut rng).expect("staff").clone();
        let agent = Actor::Staff(owner.clone());
        let mut events = vec![ComplaintEvent {
            occurred_at: at,
            by: Actor::Customer,
            change: ComplaintChange::ComplaintReceived {
                reference: reference.clone(),
                customer: SealedCustomer {
                    id: *customer,
                    name: key.seal(*customer, &format!("Customer {}", customer.0.simple())),
                    email: Some(key.seal(*customer, email.as_str())),
                    phone: None,
                },
                language: *Language::ALL.choose(&mut rng).expect("languages"),
                company: rng
                    .gen_bool(0.3)
                    .then(|| format!("Company {}", rng.gen_range(0..500))),
                tier: if mix != Mix::Lifecycle && rng.gen_bool(0.1) {
                    Tier::KeyAccount
                } else {
                    Tier::Standard
                },
                channel: *Channel::ALL.choose(&mut rng).expect("channels"),
                category: categories.choose(&mut rng).expect("categories").to_string(),
                summary: format!(
                    "Bench complaint about order {}",
                    rng.gen_range(10_000..99_999)
                ),
                description: key.seal(*customer, "The order arrived late and damaged."),
                remedy_requested: None,
                priority: *Priority::ALL.choose(&mut rng).expect("priorities"),
            },
        }];
        // Every complaint joins a team with its receipt (as routing records it); one in five
        // carries a tag.
        events.push(ComplaintEvent {
            occurred_at: at,
            by: Actor::Customer,
            change: ComplaintChange::TeamChanged {
                team: teams.choose(&mut rng).expect("teams").clone(),
                previous: None,
                reason: "No routing rule matched: the default team".into(),
            },
        });
        if rng.gen_bool(0.2) {
            events.push(ComplaintEvent {
                occurred_at: at,
                by: agent.clone(),
                change: ComplaintChange::TagAdded {
                    tag: tags.choose(&mut rng).expect("tags").to_string(),
                },
            });
        }
        let stage = match mix {
            Mix::Lifecycle => rng.gen_range(0..10),
            Mix::Year => {
                if rng.gen_bool(0.9) {
                    11
                } else {
                    rng.gen_range(0..9)
                }
            }
            // Up to the progress update: never resolved.
            Mix::Open => rng.gen_range(0..8),
        };
        let due = (at + Span::days(10)).date_naive();
        let outcome = *[Outcome::Upheld, Outcome::PartlyUpheld, Outcome::NotUpheld]
            .choose(&mut rng)
            .expect("outcomes");
        let paid = rng.gen_bool(0.5).then(|| rng.gen_range(0..20_000));
        let score = rng.gen_range(1..=5);
        let mut step = |change: ComplaintChange, events: &mut Vec<ComplaintEvent>| {
            at += Span::minutes(rng.gen_range(10..3_000));
            events.push(ComplaintEvent {
                occurred_at: at.min(latest),
                by: agent.clone(),
                change,
            });
        };
        let plan: Vec<ComplaintChange> = vec![
            ComplaintChange::ComplaintAcknowledged {
                apology: "We are sorry.".into(),
            },
            ComplaintChange::PointsOfComplaintRecorded {
                points: vec![key.seal(*customer, "The order arrived late and damaged.")],
                sent: false,
            },
            ComplaintChange::FactRecorded {
                fact: "Courier scan is late.".into(),
                source: None,
            },
            ComplaintChange::InvestigationConcluded {
                findings: "Late dispatch.".into(),
            },
            ComplaintChange::ActionCommitted {
                action: "Refund delivery.".into(),
                due_on: due,
            },
            ComplaintChange::OwnerAssigned {
                owner: owner.clone(),
                previous: None,
            },
            ComplaintChange::ProgressUpdateSent {
                message: "On its way.".into(),
                next_update_on: due,
            },
            ComplaintChange::ComplaintResolved {
                outcome,
                decisions: vec![redress_domain::PointDecision {
                    point: 1,
                    outcome,
                    reasons: "Our error.".into(),
                }],
                reasons: "Our error.".into(),
                remedy: None,
                redress_paid_cents: paid,
            },
            ComplaintChange::ComplaintClosed,
            ComplaintChange::SatisfactionRecorded {
                score,
                comment: None,
                would_change: None,
            },
        ];
        for change in plan.into_iter().take(stage) {
            step(change, &mut events);
        }
        for (i, event) in events.into_iter().enumerate() {
            rows.push((reference.to_string(), i as i64 + 1, event));
        }
        if rows.len() >= BATCH {
            written += insert(&store.db, &rows).await?;
            rows.clear();
        }
    }
    written += insert(&store.db, &rows).await?;
    Ok(written)
}

/// Appends generated events through the event log (the one writer of `events`).
pub(crate) async fn insert(
    db: &Database,
    rows: &[(String, i64, ComplaintEvent)],
) -> anyhow::Result<u64> {
    Ok(redress_store::event_log::append_unchecked(db, rows).await?)
}

/// Fills an empty database with `complaints` of `mix`, or reports what it holds.
pub(crate) async fn fill(store: &Store, complaints: usize, mix: Mix) -> anyhow::Result<String> {
    let mut report = String::new();
    let existing = store.projections.event_count().await?;
    if existing == 0 {
        let started = Instant::now();
        let events = generate_mix(store, complaints, 2026, mix).await?;
        note(
            &mut report,
            format!(
                "generated {complaints} complaints ({events} events) in {:.1} s\n",
                started.elapsed().as_secs_f64()
            ),
        );
    } else {
        note(
            &mut report,
            format!("using the {existing} events already in the database\n"),
        );
    }
    Ok(report)
}

/// Fills an empty database with `complaints` of `mix` (or reports what it holds), and
/// rebuilds every projection when asked; returns the report so far.
pub(crate) async fn prepare(
    store: &Store,
    complaints: usize,
    mix: Mix,
    rebuild: bool,
) -> anyhow::Result<String> {
    let mut report = fill(store, complaints, mix).await?;
    if rebuild {
        for name in store.projections.names() {
            let started = Instant::now();
            let replayed = store.projections.rebuild(name, &|_| {}).await?.events;
            let took = started.elapsed();
            note(
                &mut report,
                format!(
                    "rebuilt {name} from {replayed} events in {:.1} s ({:.0} events/s)\n",
                    took.as_secs_f64(),
                    replayed as f64 / took.as_secs_f64()
                ),
            );
        }
    }
    // On PostgreSQL a rebuild leaves out events an older transaction anywhere in the cluster
    // still holds back; they are projected now, as the live projectors would.
    let late = store.projections.run_until_idle().await?;
    if late > 0 {
        note(
            &mut report,
            format!(
                "{late} projector applications of events held back by other transactions came after\n"
            ),
        );
    }
    Ok(report)
}

/// The bench's teams: the first team and four more (made once per database).
pub async fn bench_teams(store: &Store) -> anyhow::Result<Vec<redress_domain::TeamRef>> {
    for i in 1..=4 {
        let name = format!("Bench team {i}");
        if !store.teams.list().await?.iter().any(|t| t.name == name) {
            store
                .teams
                .create(&name, redress_store::Assignment::Manual, Utc::now())
                .await?
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
    }
    Ok(store
        .teams
        .list()
        .await?
        .iter()
        .map(|t| t.reference())
        .collect())
}
