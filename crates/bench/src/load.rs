//! A load driver: a member of staff working complaints through the six steps over HTTP, the
//! way a browser does (signed in, CSRF token, forms, 303 answers). The command benchmark and
//! the crash tests both drive servers with it and keep what every request got back.

use std::time::{Duration, Instant};

use anyhow::Context;

/// What one command's request got back.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The form's action (`receive` for a new complaint).
    pub action: &'static str,
    /// The complaint (known before the request, except for `receive`).
    pub reference: Option<String>,
    /// From sending the request to reading the answer.
    pub latency: Duration,
    /// The answer.
    pub outcome: Outcome,
}

/// How a command's request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A success answer (303 to the complaint): the command was written.
    Done,
    /// Another HTTP status.
    Refused(u16),
    /// No answer (connection refused or reset, timeout).
    NoAnswer(String),
}

/// The event each action writes.
pub fn event_of(action: &str) -> Option<&'static str> {
    Some(match action {
        "receive" => "ComplaintReceived",
        "acknowledge" => "ComplaintAcknowledged",
        "record_points" => "PointsOfComplaintRecorded",
        "note" => "InternalNoteAdded",
        "reply" | "reply_with_file" => "ReplySent",
        "record_customer_statement" => "CustomerStatementRecorded",
        "record_fact" => "FactRecorded",
        "conclude_investigation" => "InvestigationConcluded",
        "commit_to_action" => "ActionCommitted",
        "assign_owner" => "OwnerAssigned",
        "send_progress_update" => "ProgressUpdateSent",
        "resolve" => "ComplaintResolved",
        "close" => "ComplaintClosed",
        _ => return None,
    })
}

/// A signed-in member of staff.
#[derive(Debug, Clone)]
pub struct Worker {
    client: reqwest::Client,
    base: String,
    csrf: String,
    owner_id: String,
}

fn csrf_in(html: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker)? + marker.len();
    Some(html[start..start + html[start..].find('"')?].to_string())
}

impl Worker {
    /// Signs in at `base` (e.g. `http://127.0.0.1:8080`) as `email`; `owner_id` is the
    /// account's id (complaints are assigned to it in step 5).
    pub async fn sign_in(
        base: &str,
        email: &str,
        password: &str,
        owner_id: &str,
    ) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .pool_max_idle_per_host(1)
            .build()?;
        let page = client
            .get(format!("{base}/sign-in"))
            .send()
            .await?
            .text()
            .await?;
        let csrf = csrf_in(&page).context("no CSRF field on the sign-in page")?;
        let signed_in = client
            .post(format!("{base}/sign-in"))
            .form(&[("email", email), ("password", password), ("csrf", &csrf)])
            .send()
            .await?;
        anyhow::ensure!(
            signed_in.status() == 303,
            "sign-in as {email} failed: {}",
            signed_in.status()
        );
        let form = client
            .get(format!("{base}/complaints/new"))
            .send()
            .await?
            .text()
            .await?;
        let csrf = csrf_in(&form).context("no CSRF field on the new-complaint form")?;
        Ok(Self {
            client,
            base: base.to_string(),
            csrf,
            owner_id: owner_id.to_string(),
        })
    }

    /// The same member of staff, working against another instance (cookies are shared by
    /// every instance of one installation, so the session holds).
    pub fn at(&self, base: &str) -> Self {
        Self {
            base: base.to_string(),
            ..self.clone()
        }
    }

    async fn post(
        &self,
        path: &str,
        action: &'static str,
        reference: Option<String>,
        fields: &[(&str, &str)],
    ) -> (Sent, Option<String>) {
        self.send(path, action, reference, fields, None).await
    }

    /// Posts a form (with `files`, as `multipart/form-data`); times it.
    async fn send(
        &self,
        path: &str,
        action: &'static str,
        reference: Option<String>,
        fields: &[(&str, &str)],
        files: Option<&[FormFile<'_>]>,
    ) -> (Sent, Option<String>) {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        let request = self.client.post(format!("{}{path}", self.base));
        let request = match files {
            None => request.form(&form),
            Some(files) => {
                let (content_type, body) = multipart_body(&form, files);
                request.header("content-type", content_type).body(body)
            }
        };
        let started = Instant::now();
        let answer = request.send().await;
        let latency = started.elapsed();
        let (outcome, location) = match answer {
            Ok(response) if response.status() == 303 => {
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                (Outcome::Done, location)
            }
            Ok(response) => (Outcome::Refused(response.status().as_u16()), None),
            Err(error) => (Outcome::NoAnswer(error.to_string()), None),
        };
        (
            Sent {
                action,
                reference,
                latency,
                outcome,
            },
            location,
        )
    }

    /// Works complaint number `n` from receipt to closure: fourteen commands (the six steps,
    /// an internal note, a reply and a reply with a file). Stops at the first command without
    /// a success answer. Returns what every request got back.
    pub async fn lifecycle(&self, n: u64) -> Vec<Sent> {
        let today = chrono::Utc::now().date_naive().to_string();
        let email = format!("customer{n}@example.com");
        let (mut sent, location) = self
            .post(
                "/complaints/new",
                "receive",
                None,
                &[
                    ("name", "Ana Pop"),
                    ("email", &email),
                    ("company", "Contoso Ltd"),
                    ("category", "Billing"),
                    ("summary", "Charged twice for one order"),
                    ("language", "en"),
                    ("channel", "phone"),
                    ("priority", "high"),
                    ("description", "I was charged twice for one order."),
                    ("remedy", "Refund the second payment"),
                ],
            )
            .await;
        let Some(page) = location.filter(|l| l.starts_with("/complaints/RDR-")) else {
            if sent.outcome == Outcome::Done {
                sent.outcome = Outcome::Refused(303);
            }
            return vec![sent];
        };
        let reference = page.trim_start_matches("/complaints/").to_string();
        sent.reference = Some(reference.clone());
        let mut all = vec![sent];
        let steps: [(&'static str, Vec<(&str, &str)>); 13] = [
            ("acknowledge", vec![("apology", "We are sorry.")]),
            (
                "record_points",
                vec![
                    ("points", "Charged twice for one order\nNobody called back"),
                    ("send", "on"),
                ],
            ),
            (
                "record_customer_statement",
                vec![
                    ("channel", "phone"),
                    ("statement", "The second payment appeared a day later."),
                ],
            ),
            (
                "note",
                vec![(
                    "note",
                    "Called the payment provider: a retry after a timeout, account 88213.",
                )],
            ),
            (
                "record_fact",
                vec![
                    ("fact", "Two captures for one invoice."),
                    ("source", "Payment log"),
                ],
            ),
            (
                "conclude_investigation",
                vec![("findings", "A gateway retry charged twice.")],
            ),
            (
                "commit_to_action",
                vec![("action", "Refund the second payment."), ("due_on", &today)],
            ),
            ("assign_owner", vec![("owner_id", &self.owner_id)]),
            (
                "reply",
                vec![(
                    "message",
                    "Dear Ana, the refund of the second payment is on its way.",
                )],
            ),
            (
                "reply_with_file",
                vec![(
                    "message",
                    "Dear Ana, here is the credit note for the refund.",
                )],
            ),
            (
                "send_progress_update",
                vec![
                    ("message", "The refund is on its way."),
                    ("next_update_on", &today),
                ],
            ),
            (
                "resolve",
                vec![
                    ("point_outcome_1", "upheld"),
                    ("point_reasons_1", "The second payment was our error."),
                    ("point_outcome_2", "not_upheld"),
                    ("point_reasons_2", "We called back the same day."),
                    ("reasons", "Our error."),
                    ("remedy", "Refund"),
                    ("redress_paid", "24.99"),
                ],
            ),
            ("close", vec![]),
        ];
        // A credit note of a few kilobytes, as a reply's file.
        let credit_note = vec![b'%'; 24 * 1024];
        for (action, fields) in steps {
            let (route, files): (&str, Option<&[FormFile<'_>]>) = match action {
                "reply" => ("reply", Some(&[])),
                "reply_with_file" => (
                    "reply",
                    Some(&[("files", "credit-note.pdf", "application/pdf", &credit_note)]),
                ),
                other => (other, None),
            };
            let (sent, _) = self
                .send(
                    &format!("{page}/{route}"),
                    action,
                    Some(reference.clone()),
                    &fields,
                    files,
                )
                .await;
            let done = sent.outcome == Outcome::Done;
            all.push(sent);
            if !done {
                break;
            }
        }
        all
    }
}

/// A file of a form: (field, file name, media type, bytes).
pub type FormFile<'a> = (&'a str, &'a str, &'a str, &'a [u8]);

/// A `multipart/form-data` body, as a browser sends a form with files: text fields, then
/// files. Returns its content type and the body.
pub fn multipart_body(fields: &[(&str, &str)], files: &[FormFile<'_>]) -> (String, Vec<u8>) {
    let boundary = format!("redress-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, filename, content_type, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; \
                 filename=\"{filename}\"\r\nContent-Type: {content_type}\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
