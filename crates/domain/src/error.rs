//! Why a value or a command was refused, in words an agent can act on.

use chrono::NaiveDate;

/// A value that could not be parsed at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    /// Not a complaint reference.
    #[error("\"{0}\" is not a complaint reference; it looks like RDR-7KX4-9PQM.")]
    Reference(String),
    /// Not an email address.
    #[error("\"{0}\" is not a valid email address; it should look like name@example.com.")]
    Email(String),
    /// Not one of the supported languages.
    #[error("\"{0}\" is not a supported language; choose one of en, es, ro, zh.")]
    Language(String),
    /// Not a known channel.
    #[error(
        "\"{0}\" is not a channel; choose one of web_form, email, phone, in_person, api, survey."
    )]
    Channel(String),
    /// Not a known priority.
    #[error("\"{0}\" is not a priority; choose one of low, normal, high, urgent.")]
    Priority(String),
    /// Not a known customer tier.
    #[error("\"{0}\" is not a customer tier; choose standard or key_account.")]
    Tier(String),
    /// Not a known outcome.
    #[error("\"{0}\" is not an outcome; choose one of upheld, partly_upheld, not_upheld.")]
    Outcome(String),
    /// Not a known direction.
    #[error("\"{0}\" is not a direction; choose inbound or outbound.")]
    Direction(String),
    /// Not an SLA target.
    #[error(
        "\"{0}\" is not a target; write a number and a unit, e.g. 4 business hours, 3 business days, 8 weeks, 15 days."
    )]
    Target(String),
    /// Not an ISO 4217 currency code.
    #[error(
        "\"{0}\" is not a currency code; write the three letters of ISO 4217, e.g. GBP, EUR, RON."
    )]
    Currency(String),
}

/// A command the complaint refused. Nothing is written when a command is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ComplaintError {
    /// Any command but receiving, on a complaint that does not exist.
    #[error("There is no complaint with this reference.")]
    UnknownComplaint,
    /// Receiving twice under one reference.
    #[error("A complaint with this reference has already been received.")]
    AlreadyReceived,
    /// Recording one email twice.
    #[error("This email has already been recorded on the complaint.")]
    EmailAlreadyRecorded,
    /// A value that could not be parsed.
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    /// A required text was empty.
    #[error("{field} must not be empty.")]
    Empty {
        /// Which field, as the form labels it.
        field: &'static str,
    },
    /// A text was longer than allowed.
    #[error("{field} is too long: at most {max} characters, please shorten it.")]
    TooLong {
        /// Which field.
        field: &'static str,
        /// The limit.
        max: usize,
    },
    /// A text held a control character (other than a line break or a tab).
    #[error("{field} contains a control character (such as a NUL or an escape); remove it.")]
    ControlCharacter {
        /// Which field.
        field: &'static str,
    },
    /// A text that must fit on one line had a line break.
    #[error("{field} must fit on one line; remove the line breaks.")]
    MultiLine {
        /// Which field.
        field: &'static str,
    },
    /// A negative amount of money.
    #[error("The redress paid cannot be negative; enter 0 or more.")]
    NegativeRedress,
    /// A date that must be today or later was in the past.
    #[error("{field} is {date}, which is in the past; choose today ({today}) or a later date.")]
    DateInPast {
        /// Which field.
        field: &'static str,
        /// The date given.
        date: NaiveDate,
        /// Today, by the clock the command was handled with.
        today: NaiveDate,
    },
    /// A date must fall within the resolution target.
    #[error(
        "{field} is {date}, after the complaint is due to be resolved ({resolve_by}); choose {resolve_by} or an earlier date."
    )]
    DatePastResolution {
        /// Which field.
        field: &'static str,
        /// The date given.
        date: NaiveDate,
        /// The last day the resolution target allows.
        resolve_by: NaiveDate,
    },
    /// Step 1 has not been done.
    #[error("The complaint must be acknowledged with an apology (step 1) before you can {action}.")]
    NotAcknowledged {
        /// What the agent tried to do.
        action: &'static str,
    },
    /// Step 1 done twice.
    #[error("The complaint has already been acknowledged.")]
    AlreadyAcknowledged,
    /// Facts after the investigation was concluded.
    #[error(
        "The investigation has already been concluded; reopen the complaint to record new facts."
    )]
    InvestigationAlreadyConcluded,
    /// Concluding with nothing established.
    #[error("Record at least one fact (step 3) before concluding the investigation.")]
    NoFactsRecorded,
    /// Concluding before listening.
    #[error(
        "Record the points of complaint (step 2: what we understood the customer to complain about) before concluding the investigation."
    )]
    NoPoints,
    /// Too many points of complaint.
    #[error("A complaint can have at most {max} points; put related ones together.")]
    TooManyPoints {
        /// The limit.
        max: usize,
    },
    /// A point decided that does not exist.
    #[error("There is no point {0} of complaint to decide.")]
    UnknownPoint(u32),
    /// A point decided twice.
    #[error("Point {0} of complaint is decided twice; decide each point once.")]
    PointDecidedTwice(u32),
    /// Points left undecided.
    #[error("Decide every point of complaint: {} without a decision.", points_words(.0))]
    PointsUndecided(Vec<u32>),
    /// Decisions given where there are no points.
    #[error("This complaint has no points of complaint to decide; choose one outcome for it.")]
    NoPointsToDecide,
    /// An outcome that is not what the points' decisions add up to.
    #[error(
        "The points' decisions make the complaint {follows}, not {given}; change a point's decision or leave the outcome to them."
    )]
    OutcomeDisagrees {
        /// The outcome given (its label, lower case).
        given: String,
        /// What the points add up to (its label, lower case).
        follows: String,
    },
    /// No outcome for a complaint without points.
    #[error("Choose an outcome: upheld, partly upheld or not upheld.")]
    OutcomeMissing,
    /// Too many files at once.
    #[error("At most {max} files can be sent at once; send the rest separately.")]
    TooManyFiles {
        /// The limit.
        max: usize,
    },
    /// Committing before the facts are established.
    #[error(
        "Facts must be established and the investigation concluded (step 3) before committing to an action."
    )]
    InvestigationNotConcluded,
    /// Resolving without an owner.
    #[error("Name the person responsible (step 5) before resolving the complaint.")]
    NoOwner,
    /// Resolving without a commitment.
    #[error("Commit to an action (step 4) before resolving the complaint.")]
    NoCommitment,
    /// Naming the current owner again.
    #[error("{name} is already responsible for this complaint.")]
    SameOwner {
        /// The owner's name.
        name: String,
    },
    /// Setting the value it already has.
    #[error("The {field} is already {value}.")]
    Unchanged {
        /// Which field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// Moving a complaint to the team it is in.
    #[error("The complaint is already in the team {name}.")]
    SameTeam {
        /// The team's name.
        name: String,
    },
    /// Adding a tag the complaint has.
    #[error("The complaint is already tagged \"{tag}\".")]
    AlreadyTagged {
        /// The tag.
        tag: String,
    },
    /// Removing a tag the complaint does not have.
    #[error("The complaint is not tagged \"{tag}\".")]
    NotTagged {
        /// The tag.
        tag: String,
    },
    /// Removing a tag from a complaint without any.
    #[error("The complaint has no tags to remove.")]
    NoTags,
    /// Root causes named before the complaint was resolved (or on a merged duplicate).
    #[error("The root causes are named once the complaint is resolved.")]
    RootCausesBeforeResolution,
    /// No root cause named.
    #[error("Name at least one root cause.")]
    NoRootCause,
    /// Too many root causes.
    #[error("A complaint names at most {max} root causes.")]
    TooManyRootCauses {
        /// The limit.
        max: usize,
    },
    /// Not a root cause's code.
    #[error(
        "{cause:?} is not a root cause's code: lower-case letters, digits, '-' or '_', at most 40."
    )]
    BadRootCause {
        /// What was given.
        cause: String,
    },
    /// Too many tags on one complaint.
    #[error("A complaint can have at most {max} tags; remove one first.")]
    TooManyTags {
        /// The limit.
        max: usize,
    },
    /// A tag with a character tags cannot hold.
    #[error(
        "The tag \"{tag}\" contains {character:?}; use letters, digits, spaces, '-', '_' and '.'."
    )]
    BadTag {
        /// The tag.
        tag: String,
        /// The character refused.
        character: char,
    },
    /// Merging or linking a complaint with itself.
    #[error(
        "A complaint cannot be merged into or linked with itself; give the other complaint's reference."
    )]
    SameComplaint,
    /// A category that is not on the managed list (nor one of its names or mapped values).
    #[error("There is no category {given:?}; choose one of: {known}.")]
    UnknownCategory {
        /// What was given.
        given: String,
        /// The codes of the categories offered, comma-separated.
        known: String,
    },
    /// Merging into or linking with a complaint that does not exist.
    #[error("There is no complaint {reference}; check the reference.")]
    NoSuchComplaint {
        /// The reference given.
        reference: String,
    },
    /// Merging into a closed complaint.
    #[error("{reference} is closed: merge into an open complaint, or reopen {reference} first.")]
    MergeIntoClosed {
        /// The closed complaint.
        reference: String,
    },
    /// A duplicate taken in twice.
    #[error("{reference} was already merged into this complaint.")]
    AlreadyMerged {
        /// The duplicate.
        reference: String,
    },
    /// Working a complaint that was merged into another.
    #[error("This complaint was merged into {survivor} as a duplicate; work that one instead.")]
    Merged {
        /// The complaint it was merged into.
        survivor: String,
    },
    /// Linking twice.
    #[error("This complaint is already linked with {reference}.")]
    AlreadyLinked {
        /// The other complaint.
        reference: String,
    },
    /// Waiting twice.
    #[error("The complaint is already waiting on the customer.")]
    AlreadyWaiting,
    /// A response when none was asked for.
    #[error(
        "The complaint is not waiting on the customer; record what they said as a contact instead."
    )]
    NotWaiting,
    /// Working a resolved complaint.
    #[error("The complaint is resolved; reopen it before you {action}.")]
    AlreadyResolved {
        /// What the agent tried to do.
        action: &'static str,
    },
    /// Closing an unresolved complaint.
    #[error("The complaint must be resolved with an outcome before it can be closed.")]
    NotResolved,
    /// Changing a closed complaint.
    #[error("The complaint is closed; reopen it before you {action}.")]
    Closed {
        /// What the agent tried to do.
        action: &'static str,
    },
    /// Reopening an open complaint.
    #[error("Only a resolved or closed complaint can be reopened; this one is still open.")]
    NotReopenable,
    /// A satisfaction score outside 1–5.
    #[error("The satisfaction score must be between 1 and 5; {0} was given.")]
    ScoreOutOfRange(u8),
    /// Asking for satisfaction before the outcome.
    #[error("The customer can rate the handling once the complaint is resolved or closed.")]
    SatisfactionTooEarly,
    /// Rating twice.
    #[error("The customer's satisfaction has already been recorded for this resolution.")]
    SatisfactionAlreadyRecorded,
    /// Personal data after erasure.
    #[error(
        "This customer's personal data has been erased; nothing personal can be recorded on the complaint any more."
    )]
    PersonalDataErased,
    /// Erasing twice.
    #[error("This customer's personal data has already been erased from the complaint.")]
    AlreadyErased,
    /// The personal-data vault failed (a storage error); nothing was written.
    #[error("Personal data could not be sealed, so nothing was saved: {0}")]
    Sealing(String),
}

/// "point 2" or "points 2 and 3", as an agent reads it.
fn points_words(points: &[u32]) -> String {
    match points {
        [one] => format!("point {one} is"),
        [rest @ .., last] => format!(
            "points {} and {last} are",
            rest.iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        [] => "no point is".into(),
    }
}
