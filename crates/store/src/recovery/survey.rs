//! Service recovery after a periodic survey: an answer at or below the limit, or one whose
//! contact asked to be contacted, opens a follow-up complaint on the `survey` channel for the
//! team the routing rules give it (the account's, for a key account), with the answer's words.

use redress_domain::Sealed;
use uuid::Uuid;

use super::*;

/// An answer that calls for a follow-up.
#[derive(Debug, sqlx::FromRow)]
struct Answer {
    id: Uuid,
    customer_id: Uuid,
    company: Option<String>,
    language: String,
    score: i64,
    would_change: Option<String>,
    wants_contact: bool,
}

impl Recovery {
    /// Opens the follow-ups of the periodic answers that call for one and have none yet.
    pub(super) async fn survey_pass(&self) -> Result<RecoveryPass, CommandError> {
        let mut pass = RecoveryPass::default();
        if self.limit == 0 {
            return Ok(pass);
        }
        let answers: Vec<Answer> = on_pool!(&self.db, |pool| sqlx::query_as(
            "SELECT i.id, i.customer_id, i.company, i.language, i.score, i.would_change,
                    i.wants_contact
               FROM survey_invitations i
               LEFT JOIN survey_follow_ups f ON f.invitation = i.id
              WHERE i.answered_at IS NOT NULL AND f.invitation IS NULL
                AND (i.score <= $1 OR i.wants_contact)
              ORDER BY i.answered_at LIMIT 500"
        )
        .bind(i64::from(self.limit))
        .fetch_all(pool)
        .await)
        .map_err(|e| CommandError::from_store(e.into()))?;
        for answer in answers {
            let follow_up = follow_up_reference(&format!("survey:{}", answer.id), 0);
            let state = match self.new_survey_complaint(&answer, &follow_up).await? {
                Some(new) => {
                    let by = Actor::System {
                        name: "recovery".into(),
                    };
                    match self.complaints.receive_as(by, new).await {
                        Ok(()) | Err(CommandError::Rejected(ComplaintError::AlreadyReceived)) => {}
                        Err(other) => return Err(other),
                    }
                    pass.opened += 1;
                    "opened"
                }
                None => {
                    pass.skipped += 1;
                    "skipped"
                }
            };
            on_pool!(&self.db, |pool| sqlx::query(
                "INSERT INTO survey_follow_ups (invitation, follow_up, state, opened_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (invitation) DO NOTHING"
            )
            .bind(answer.id)
            .bind(follow_up.as_str())
            .bind(state)
            .bind(self.clock.now())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
            .map_err(|e| CommandError::from_store(e.into()))?;
        }
        Ok(pass)
    }

    /// The follow-up of `answer`: its contact as their latest complaint names them, in the
    /// category of that complaint, with the answer's words; `None` once they were erased.
    async fn new_survey_complaint(
        &self,
        answer: &Answer,
        follow_up: &Reference,
    ) -> Result<Option<NewComplaint>, CommandError> {
        let storage = |e: crate::vault::OpenError| CommandError::Storage(e.into());
        let latest: Option<(Option<String>, Option<String>, String, bool)> =
            on_pool!(&self.db, |pool| sqlx::query_as(
                "SELECT customer_name, customer_email, category, personal_data_erased
                   FROM complaint_list WHERE customer_id = $1
                  ORDER BY received_at DESC LIMIT 1"
            )
            .bind(answer.customer_id)
            .fetch_optional(pool)
            .await)
            .map_err(|e| CommandError::from_store(e.into()))?;
        let Some((Some(name), email, category, false)) = latest else {
            return Ok(None);
        };
        let customer = redress_domain::CustomerId(answer.customer_id);
        let Some(key) = self
            .vault
            .key(customer)
            .await
            .map_err(CommandError::from_store)?
        else {
            return Ok(None);
        };
        let mut words = match &answer.would_change {
            Some(sealed) => key
                .open(customer, &Sealed(sealed.clone()))
                .map_err(storage)?,
            None => String::new(),
        };
        if words.trim().is_empty() {
            words = format!("{} / 5", answer.score);
        }
        let summary = if answer.wants_contact {
            format!(
                "Follow-up: asked to be contacted in a periodic survey ({} out of 5)",
                answer.score
            )
        } else {
            format!(
                "Follow-up: a periodic survey scored {} out of 5",
                answer.score
            )
        };
        Ok(Some(NewComplaint {
            reference: follow_up.clone(),
            customer: NewCustomer {
                name,
                email: email.and_then(|e| CustomerEmail::parse(&e).ok()),
                phone: None,
                language: redress_domain::Language::parse(&answer.language)
                    .unwrap_or(redress_domain::Language::En),
            },
            company: answer.company.clone(),
            tier: Tier::Standard,
            channel: Channel::Survey,
            category,
            summary,
            description: words,
            remedy_requested: None,
            priority: Priority::High,
            routing: None,
        }))
    }
}
