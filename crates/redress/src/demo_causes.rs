//! The demo's root causes (in four languages, grouped under the managed categories), the
//! causes its resolved complaints name, and a corrective action against the cause named most.

use redress_domain::{Actor, ComplaintAction, ComplaintCommand, Reference};
use redress_store::Store;
use redress_store::root_causes::CauseDraft;

/// (code, category, names in English, Spanish, Romanian and Chinese).
const CAUSES: [(&str, &str, [&str; 4]); 5] = [
    (
        "courier-late",
        "delivery",
        [
            "Courier late",
            "Mensajero con retraso",
            "Curier întârziat",
            "快递延误",
        ],
    ),
    (
        "parcel-damaged",
        "delivery",
        [
            "Parcel damaged in transit",
            "Paquete dañado en el transporte",
            "Colet deteriorat la transport",
            "包裹运输途中损坏",
        ],
    ),
    (
        "payment-retried",
        "billing",
        [
            "Payment taken twice on a retry",
            "Cobro repetido al reintentar",
            "Plată luată de două ori la reîncercare",
            "重试时重复扣款",
        ],
    ),
    (
        "wrong-tariff",
        "billing",
        [
            "Wrong tariff applied",
            "Tarifa equivocada",
            "Tarif greșit aplicat",
            "适用了错误的资费",
        ],
    ),
    (
        "no-callback",
        "",
        [
            "Promised call-back not made",
            "No se devolvió la llamada prometida",
            "Apelul promis nu a fost făcut",
            "未按承诺回电",
        ],
    ),
];

/// Makes the demo's list of root causes (once; a second run finds it).
pub(crate) async fn create_causes(store: &Store) -> anyhow::Result<()> {
    let known = store.root_causes.list().await?;
    let categories: Vec<String> = store
        .categories
        .map()
        .await?
        .all()
        .iter()
        .map(|c| c.code.clone())
        .collect();
    for (code, category, names) in CAUSES {
        if known.iter().any(|c| c.code == code) {
            continue;
        }
        let draft = CauseDraft {
            category: categories
                .iter()
                .any(|c| c == category)
                .then(|| category.to_string()),
            names: names.iter().map(|n| n.to_string()).collect(),
            retired: false,
        };
        store
            .root_causes
            .create(code, &draft, &categories, store.clock.now())
            .await
            .map_err(|e| anyhow::anyhow!("the demo's root cause {code:?}: {e}"))?;
    }
    Ok(())
}

/// The causes a resolved demo complaint names, picked by its reference (so the demo's random
/// sequence stays as it was), the first cause most often: a Pareto to read.
pub(crate) fn causes_for(reference: &Reference) -> Vec<String> {
    let hash = reference
        .as_str()
        .bytes()
        .fold(7usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize));
    let first = match hash % 10 {
        0..=3 => 0,
        4..=6 => 1,
        7 | 8 => 2,
        _ => 3,
    };
    let mut causes = vec![CAUSES[first].0.to_string()];
    if hash % 7 == 0 {
        causes.push(CAUSES[4].0.to_string());
    }
    causes
}

/// Names `reference`'s root causes, as its owner would.
pub(crate) async fn name_causes(
    store: &Store,
    reference: &Reference,
    by: Actor,
) -> Result<(), redress_store::CommandError> {
    store
        .complaints
        .execute(
            reference,
            ComplaintCommand::new(
                by,
                ComplaintAction::RecordRootCauses {
                    causes: causes_for(reference),
                },
            ),
        )
        .await
        .map(|_| ())
}

/// A corrective action against the cause named most, owned by the demo's `manager` (whose
/// account is made after the complaints).
pub(crate) async fn open_action(
    store: &Store,
    manager: &redress_domain::StaffMember,
) -> anyhow::Result<()> {
    if !store.root_causes.actions().await?.is_empty() {
        return Ok(());
    }
    // Opened six weeks ago, due in a fortnight: the report has a before and an after.
    let opened = chrono::Utc::now() - chrono::Duration::days(42);
    store
        .root_causes
        .open_action(
            CAUSES[0].0,
            "Add a second courier for the northern routes, and check each route's late \
             deliveries every Monday.",
            (manager.id, &manager.name),
            (opened + chrono::Duration::days(56)).date_naive(),
            "Demo data",
            opened,
        )
        .await
        .map_err(|e| anyhow::anyhow!("the demo's corrective action: {e}"))?;
    Ok(())
}
