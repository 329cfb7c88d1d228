//! The emails about no complaint: to staff, a webhook endpoint switched off and a meeting with
//! a key account due; to a contact, the periodic survey's invitation. Each is checked against
//! what is true when it goes (cancelled when it no longer applies).

use redress_store::StaffAccount;

use super::*;
use crate::render::{MeetingDueView, SurveyInvitationView, WebhookOffView};

impl Mailer {
    /// The active staff account `claimed` goes to; `None` (the message cancelled) when it is
    /// gone or deactivated.
    async fn active_recipient(
        &self,
        claimed: &Claimed,
    ) -> Result<Option<StaffAccount>, StoreError> {
        let account = self
            .store
            .accounts
            .get(claimed.customer.0)
            .await?
            .filter(|a| a.active);
        if account.is_none() {
            self.store
                .outbox
                .cancel(&claimed.row.id, "The account is gone or inactive.")
                .await?;
        }
        Ok(account)
    }

    /// Tells an admin that a webhook endpoint was switched off (unless it is on again).
    pub(super) async fn deliver_webhook_off(&self, claimed: &Claimed) -> Result<(), StoreError> {
        let id = &claimed.row.id;
        let endpoint = match redress_store::webhooks::endpoint_of_switched_off_id(id) {
            Some(endpoint) => self.store.webhooks.get(endpoint).await?,
            None => None,
        };
        let Some(endpoint) = endpoint.filter(|e| !e.active) else {
            return self
                .store
                .outbox
                .cancel(id, "The endpoint is gone or on again.")
                .await;
        };
        let Some(account) = self.active_recipient(claimed).await? else {
            return Ok(());
        };
        let view = WebhookOffView {
            lang: staff_language(account.language.as_deref()).code().into(),
            subject: String::new(),
            to_name: account.name.clone(),
            url: endpoint.url.clone(),
            reason: endpoint.switched_off.clone().unwrap_or_default(),
            link: self.link(&format!("/admin/webhooks/{}", endpoint.id)),
            organisation: self.settings.sender.organisation.clone(),
        };
        let to = [(account.name, account.email)];
        let message = self
            .emails
            .render_webhook_off(&view)
            .map_err(|e| e.to_string())
            .and_then(|mail| build_alert(&self.settings, id, &mail, &to, self.clock.now()));
        self.send_and_record(claimed, message).await.map(|_| ())
    }

    /// The reminder to an account's owner that the next meeting with a key account is due;
    /// cancelled when a later meeting was recorded meanwhile, or the account changed hands.
    pub(super) async fn deliver_meeting_due(&self, claimed: &Claimed) -> Result<(), StoreError> {
        let id = &claimed.row.id;
        let Some((company_id, due)) = redress_store::key_accounts::reminded_of(id) else {
            return self
                .store
                .outbox
                .cancel(id, "Not a meeting reminder.")
                .await;
        };
        let still_due = self
            .store
            .key_accounts
            .due(due)
            .await?
            .into_iter()
            .find(|m| m.company_id == company_id && m.due == due);
        let Some(meeting) = still_due.filter(|m| m.owner_id == claimed.customer.0) else {
            return self
                .store
                .outbox
                .cancel(
                    id,
                    "A later meeting was recorded, or the account has another owner.",
                )
                .await;
        };
        let Some(account) = self.active_recipient(claimed).await? else {
            return Ok(());
        };
        let agreed = self
            .store
            .key_accounts
            .meetings(company_id)
            .await?
            .into_iter()
            .next()
            .map(|m| m.agreed)
            .unwrap_or_default();
        let view = MeetingDueView {
            lang: staff_language(account.language.as_deref()).code().into(),
            subject: String::new(),
            to_name: account.name.clone(),
            company: meeting.company,
            due: due.format("%Y-%m-%d").to_string(),
            agreed,
            link: self.link(&format!("/companies/{company_id}")),
            organisation: self.settings.sender.organisation.clone(),
        };
        let to = [(account.name, account.email)];
        let message = self
            .emails
            .render_meeting_due(&view)
            .map_err(|e| e.to_string())
            .and_then(|mail| build_alert(&self.settings, id, &mail, &to, self.clock.now()));
        self.send_and_record(claimed, message).await.map(|_| ())
    }

    /// A periodic survey's invitation, in its contact's language, with its signed link and
    /// the link that stops the surveys; cancelled when the contact stopped them, was erased,
    /// or already answered.
    pub(super) async fn deliver_survey(&self, claimed: &Claimed) -> Result<(), StoreError> {
        let id = &claimed.row.id;
        let invitation = match redress_store::surveys::invitation_of(id) {
            Some(invitation) => self.store.surveys.invitation(invitation).await?,
            None => None,
        };
        let Some(invitation) = invitation.filter(|i| i.answered_at.is_none()) else {
            return self
                .store
                .outbox
                .cancel(id, "The invitation is gone or answered.")
                .await;
        };
        let Some((name, email)) = self.store.surveys.recipient(invitation.customer_id).await?
        else {
            return self
                .store
                .outbox
                .cancel(id, "The contact stopped the surveys or was erased.")
                .await;
        };
        let token = self.store.surveys.token(invitation.id);
        let view = SurveyInvitationView {
            lang: invitation.language.clone(),
            subject: String::new(),
            to_name: name.clone(),
            link: self.link(&format!("/survey/{token}")),
            stop_link: self.link(&format!("/survey/{token}/stop")),
            organisation: self.settings.sender.organisation.clone(),
        };
        let to = [(name, email)];
        let message = self
            .emails
            .render_survey_invitation(&view)
            .map_err(|e| e.to_string())
            .and_then(|mail| build_alert(&self.settings, id, &mail, &to, self.clock.now()));
        self.send_and_record(claimed, message).await.map(|_| ())
    }
}
