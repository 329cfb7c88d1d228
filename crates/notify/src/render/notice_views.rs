//! What the emails about no complaint show: to staff, a webhook endpoint switched off and a
//! meeting with a key account due; to a contact, the periodic survey's invitation.

use redress_domain::Language;
use redress_store::EmailKind;
use serde::Serialize;

use super::{Emails, RenderError, Rendered, one_line, staff_text};

/// What the email telling an admin that a webhook endpoint was switched off shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WebhookOffView {
    /// Language code (`en` unless the recipient chose another).
    pub lang: String,
    /// The subject.
    pub subject: String,
    /// Who it goes to.
    pub to_name: String,
    /// The endpoint's address.
    pub url: String,
    /// Why it was switched off.
    pub reason: String,
    /// Its page (its log, and the switch to turn it back on).
    pub link: String,
    /// The organisation.
    pub organisation: String,
}

impl WebhookOffView {
    /// The sample in `lang`, to check the templates with.
    pub fn sample_in(lang: Language) -> Self {
        Self {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: "Ada Admin".into(),
            url: "https://crm.example.com/hooks/redress".into(),
            reason: "Switched off after 10 failed attempts in a row; the last: The endpoint \
                     answered 503 Service Unavailable."
                .into(),
            link: "https://redress.example/admin/webhooks/5b0c".into(),
            organisation: "Example Ltd".into(),
        }
    }
}

/// What the email reminding an account's owner that a meeting is due shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MeetingDueView {
    /// Language code (`en` unless the recipient chose another).
    pub lang: String,
    /// The subject.
    pub subject: String,
    /// Who it goes to.
    pub to_name: String,
    /// The company.
    pub company: String,
    /// The day the meeting was due, written out.
    pub due: String,
    /// What was agreed at the last meeting (empty: nothing, or erased).
    pub agreed: String,
    /// The company's file.
    pub link: String,
    /// The organisation.
    pub organisation: String,
}

impl MeetingDueView {
    /// The sample in `lang`, to check the templates with.
    pub fn sample_in(lang: Language) -> Self {
        Self {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: "Mia Manager".into(),
            company: "Acme Freight Ltd".into(),
            due: "2026-12-01".into(),
            agreed: "Quarterly review of the delivery complaints; a named contact for billing."
                .into(),
            link: "https://redress.example/companies/5b0c".into(),
            organisation: "Example Ltd".into(),
        }
    }
}

/// What the periodic survey's invitation shows, in its contact's language.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SurveyInvitationView {
    /// Language code.
    pub lang: String,
    /// The subject.
    pub subject: String,
    /// Who it goes to.
    pub to_name: String,
    /// The survey's page (signed: no account needed).
    pub link: String,
    /// The page that stops these surveys for good.
    pub stop_link: String,
    /// The organisation.
    pub organisation: String,
}

impl SurveyInvitationView {
    /// The sample in `lang`, to check the templates with.
    pub fn sample_in(lang: Language) -> Self {
        Self {
            lang: lang.code().into(),
            subject: String::new(),
            to_name: "Ana Pop".into(),
            link: "https://redress.example/survey/5b0c.sig".into(),
            stop_link: "https://redress.example/survey/5b0c.sig/stop".into(),
            organisation: "Example Ltd".into(),
        }
    }
}

impl Emails {
    /// Renders the periodic survey's invitation, in the view's language.
    pub fn render_survey_invitation(
        &self,
        view: &SurveyInvitationView,
    ) -> Result<Rendered, RenderError> {
        let mut view = view.clone();
        let lang = Language::parse(&view.lang).unwrap_or(Language::En);
        view.lang = lang.code().into();
        view.subject = one_line(&staff_text(
            lang,
            "periodic-survey-subject",
            &[("organisation", &view.organisation)],
        ));
        let (text, html) = self.parts(EmailKind::SurveyInvitation, &view)?;
        Ok(Rendered {
            subject: view.subject,
            text,
            html,
            to_name: one_line(&view.to_name),
            to_email: String::new(),
        })
    }
}
