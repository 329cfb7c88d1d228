//! The demo's periodic survey: a wave asked ten days ago of every contact the rules choose
//! (their invitations go to the mail folder like every demo email), and answers in each of the
//! four languages a few days later. One unhappy contact asks to be contacted, so the recovery
//! worker opens a follow-up complaint; the answers show in `/reports/feedback` ("periodic"),
//! in the contacts' and companies' files and in `/reports/loyalty`.

use chrono::{Duration, Utc};
use redress_store::Store;
use redress_store::surveys::SurveyRules;

/// Past customers per language among the demo's complaints.
const PAST_PER_LANGUAGE: usize = 2;

/// Whether the demo's complaint `index` of `count` is a past customer's: the last few (two a
/// language, the languages taking turns) are customers from months ago whose complaint was
/// closed, the ones the wave asks. Most of the others have a complaint open, and nobody with
/// one is asked.
pub fn past_customer(index: usize, count: usize) -> bool {
    let past = 4 * PAST_PER_LANGUAGE;
    count >= past && index + past >= count
}

/// How much older than the others a past customer's complaint is: five months.
pub fn past_age_minutes(past: bool) -> i64 {
    if past { 150 * 24 * 60 } else { 0 }
}

/// An answer in a language: score, what they would change, whether they ask to be contacted.
type DemoAnswer = (&'static str, u8, &'static str, bool);

/// The answers, taken in order by the first invitations of each language.
const ANSWERS: &[DemoAnswer] = &[
    (
        "en",
        4,
        "Answer the phone before nine: that is when our drivers call about deliveries.",
        false,
    ),
    (
        "en",
        2,
        "Invoices still arrive a month late and nobody tells us why. Please call me.",
        true,
    ),
    (
        "es",
        5,
        "Nada importante. Seguid enviando el resumen semanal de pedidos.",
        false,
    ),
    (
        "es",
        3,
        "Una persona de contacto fija para nuestra cuenta, en lugar de un formulario.",
        false,
    ),
    (
        "ro",
        4,
        "Aș trimite confirmarea comenzii și prin SMS, nu doar pe e-mail.",
        false,
    ),
    ("ro", 3, "", false),
    ("zh", 5, "希望发票能按仓库分开开具。", false),
    ("zh", 3, "退货流程太长，希望能在网上直接申请。", false),
];

/// The rules of the demo's wave: every contact twice a year, key accounts' major contacts
/// every quarter.
const RULES: SurveyRules = SurveyRules {
    every_months: 6,
    key_every_months: 3,
    min_days: 30,
    per_hour: 200,
};

/// Schedules the demo's wave and answers some of it; returns how many answered.
pub async fn ask_and_answer(store: &Store) -> anyhow::Result<usize> {
    // The wave chooses from the complaint list: bring it up to date first.
    store.projections.run_until_idle().await?;
    let now = Utc::now();
    let asked_at = now - Duration::days(10);
    store.surveys.schedule(RULES, asked_at).await?;
    let wave = store.surveys.wave(asked_at).await?;
    let mut answered = 0;
    for (index, (language, score, words, wants_contact)) in ANSWERS.iter().enumerate() {
        // The next invitation in this language not answered yet.
        let taken = ANSWERS[..index].iter().filter(|a| a.0 == *language).count();
        let Some(invitation) = wave.iter().filter(|i| i.language == *language).nth(taken) else {
            continue;
        };
        let at = asked_at + Duration::days(2) + Duration::hours(answered as i64 * 7);
        store
            .surveys
            .answer(invitation.id, *score, words, *wants_contact, at)
            .await
            .map_err(|e| anyhow::anyhow!("demo survey answer: {e}"))?;
        answered += 1;
    }
    Ok(answered)
}
