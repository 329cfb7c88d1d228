//! What the customer sees of their complaint: the steps done, the messages they may read,
//! the files they may open.

use super::*;

/// A file the customer may open from their page.
#[derive(Debug, Serialize)]
pub(super) struct FileLink {
    id: String,
    name: String,
    size: String,
}

/// One message of the conversation, as the customer reads it.
#[derive(Debug, Serialize)]
pub(crate) struct Message {
    from_us: bool,
    title: String,
    at: DateTime<Utc>,
    when: String,
    lines: Vec<(String, String)>,
    points: Vec<String>,
    files: Vec<FileLink>,
}

/// One of the six steps, as the customer sees it.
#[derive(Debug, Serialize)]
pub(super) struct StepView {
    number: u8,
    title: String,
    done: bool,
    current: bool,
    when: Option<String>,
    at: Option<DateTime<Utc>>,
}

pub(super) fn files(files: &[AttachedFile], opener: &Opener) -> Vec<FileLink> {
    files
        .iter()
        .map(|f| FileLink {
            id: f.id.to_string(),
            name: opener.open(&f.name),
            size: crate::complaints::timeline::size_words(f.size),
        })
        .collect()
}

/// The conversation as the customer may read it, newest first (also what a customer's
/// export gives as what was said between us).
pub(crate) fn messages(
    language: Language,
    currency: &redress_domain::Currency,
    events: &[ComplaintEvent],
    opener: &Opener,
) -> Vec<Message> {
    let t = |key: &str| text(language, key);
    let mut out: Vec<Message> = for_customer(events)
        .into_iter()
        .map(|entry| {
            let mut message = Message {
                from_us: !entry.from_customer,
                title: String::new(),
                at: entry.at,
                when: locale::moment(language, entry.at),
                lines: Vec::new(),
                points: Vec::new(),
                files: Vec::new(),
            };
            match entry.said {
                Said::Complaint {
                    description,
                    remedy_requested,
                    taken_down_by_us,
                } => {
                    message.title = t(if taken_down_by_us {
                        "entry-complaint-taken"
                    } else {
                        "entry-complaint"
                    });
                    message
                        .lines
                        .push((t("line-what-happened"), opener.open(description)));
                    if let Some(remedy) = remedy_requested {
                        message
                            .lines
                            .push((t("line-asked-for"), opener.open(remedy)));
                    }
                }
                Said::Apology(apology) => {
                    message.title = t("entry-apology");
                    message.lines.push((String::new(), apology.to_string()));
                }
                Said::TheirWords(words) => {
                    message.title = t("entry-their-words");
                    message.lines.push((String::new(), opener.open(words)));
                }
                Said::OurSummary(words) => {
                    message.title = t("entry-our-summary");
                    message.lines.push((String::new(), opener.open(words)));
                }
                Said::Points(points) => {
                    message.title = t("entry-points");
                    message.points = points.iter().map(|p| opener.open(p)).collect();
                }
                Said::Commitment { action, due_on } => {
                    message.title = t("entry-commitment");
                    message.lines.push((String::new(), action.to_string()));
                    message
                        .lines
                        .push((t("line-by"), locale::date(language, due_on)));
                }
                Said::Owner(name) => {
                    message.title = t("entry-owner");
                    message.lines.push((
                        String::new(),
                        text_with(
                            language,
                            "line-is-responsible",
                            &[("name", name.to_string())],
                        ),
                    ));
                }
                Said::Update {
                    message: update,
                    next_update_on,
                } => {
                    message.title = t("entry-update");
                    message.lines.push((String::new(), update.to_string()));
                    message.lines.push((
                        t("line-next-update"),
                        locale::date(language, next_update_on),
                    ));
                }
                Said::Request(request) => {
                    message.title = t("entry-request");
                    message.lines.push((String::new(), request.to_string()));
                }
                Said::Reply {
                    message: reply,
                    attachments,
                } => {
                    message.title = t("entry-reply");
                    message.lines.push((String::new(), opener.open(reply)));
                    message.files = files(attachments, opener);
                }
                Said::Outcome {
                    outcome,
                    reasons,
                    remedy,
                    redress_paid_cents,
                    decisions,
                } => {
                    message.title = format!(
                        "{}: {}",
                        t("entry-outcome"),
                        t(&format!("outcome-{}", outcome.code()))
                    );
                    for (decision, point) in decisions {
                        message.lines.push((
                            format!(
                                "{} · {}",
                                text_with(
                                    language,
                                    "line-point",
                                    &[("number", decision.point.to_string())]
                                ),
                                t(&format!("outcome-{}", decision.outcome.code()))
                            ),
                            match point {
                                Some(point) => {
                                    format!("{}\n{}", opener.open(point), decision.reasons)
                                }
                                None => decision.reasons.clone(),
                            },
                        ));
                    }
                    message.lines.push((t("line-reasons"), reasons.to_string()));
                    if let Some(remedy) = remedy {
                        message.lines.push((t("line-remedy"), remedy.to_string()));
                    }
                    if let Some(cents) = redress_paid_cents.filter(|c| *c > 0) {
                        message
                            .lines
                            .push((t("line-paid"), currency.format(cents, language)));
                    }
                }
                Said::Files(added) => {
                    message.title = t("entry-files");
                    message.files = files(added, opener);
                }
                Said::Rating {
                    score,
                    comment,
                    would_change,
                } => {
                    message.title =
                        text_with(language, "entry-rating", &[("score", score.to_string())]);
                    if let Some(comment) = comment {
                        message
                            .lines
                            .push((t("line-comment"), opener.open(comment)));
                    }
                    if let Some(change) = would_change {
                        message
                            .lines
                            .push((t("line-would-change"), opener.open(change)));
                    }
                }
                Said::Reopened => message.title = t("entry-reopened"),
                Said::Closed => message.title = t("entry-closed"),
                Said::Merged(survivor) => {
                    message.title = text_with(
                        language,
                        "entry-merged",
                        &[("survivor", survivor.to_string())],
                    );
                }
            }
            message
        })
        .collect();
    out.reverse();
    out
}

/// The six steps as the customer sees them, in their language.
pub(super) fn steps(
    language: Language,
    events: &[ComplaintEvent],
    complaint: &Complaint,
) -> Vec<StepView> {
    let progress = complaint.progress();
    let current = match progress.step() {
        Step::Acknowledge => Some(1),
        Step::Listen => Some(2),
        Step::EstablishFacts => Some(3),
        Step::CommitToAction => Some(4),
        Step::NameOwner => Some(5),
        Step::KeepInformed => Some(6),
        Step::Resolved | Step::Closed => None,
    };
    let last = |pick: &dyn Fn(&ComplaintChange) -> bool| {
        events
            .iter()
            .rev()
            .find(|e| pick(&e.change))
            .map(|e| e.occurred_at)
    };
    let done = [
        (
            progress.acknowledged,
            last(&|c| matches!(c, ComplaintChange::ComplaintAcknowledged { .. })),
        ),
        (
            progress.listened || progress.investigation_concluded,
            last(&|c| matches!(c, ComplaintChange::PointsOfComplaintRecorded { .. })),
        ),
        (
            progress.investigation_concluded,
            last(&|c| matches!(c, ComplaintChange::InvestigationConcluded { .. })),
        ),
        (
            progress.action_committed,
            last(&|c| matches!(c, ComplaintChange::ActionCommitted { .. })),
        ),
        (
            progress.owner_named,
            last(&|c| matches!(c, ComplaintChange::OwnerAssigned { .. })),
        ),
        (
            progress.resolved,
            last(&|c| matches!(c, ComplaintChange::ComplaintResolved { .. })),
        ),
    ];
    done.into_iter()
        .enumerate()
        .map(|(i, (done, at))| {
            let number = i as u8 + 1;
            let at = at.filter(|_| done);
            StepView {
                number,
                title: text(language, &format!("step-{number}")),
                done,
                current: current == Some(number),
                when: at.map(|at| locale::date(language, at.date_naive())),
                at,
            }
        })
        .collect()
}

pub(super) fn satisfaction_given(events: &[ComplaintEvent]) -> bool {
    events
        .iter()
        .any(|e| matches!(e.change, ComplaintChange::SatisfactionRecorded { .. }))
}

/// The complaint's own language (the customer's choice).
pub(super) fn language_of(events: &[ComplaintEvent]) -> Language {
    match events.first().map(|e| &e.change) {
        Some(ComplaintChange::ComplaintReceived { language, .. }) => *language,
        _ => Language::En,
    }
}
