//! `redress-bench`: the benchmarks of Redress (figures for README's performance section),
//! apart from the product's binary. `scripts/bench` runs the suite. Each benchmark reads the
//! same settings as `redress` (REDRESS_DATABASE_URL and the rest, or `--config`).

#![forbid(unsafe_code)]

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use redress::Settings;

#[derive(Parser)]
#[command(
    name = "redress-bench",
    version,
    about = "The benchmarks of Redress (figures for README's performance section)."
)]
struct Cli {
    /// A TOML settings file (see redress.example.toml).
    #[arg(long, global = true, env = "REDRESS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Times commands: concurrent members of staff working complaints through the six steps
    /// over HTTP, beside raw PostgreSQL inserts of the same event rows in the same process,
    /// with the projection lag sampled throughout. Point REDRESS_DATABASE_URL at a scratch
    /// PostgreSQL database.
    Commands {
        /// Concurrent clients, one run each.
        #[arg(long, value_delimiter = ',', default_value = "1,8,32", value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        clients: Vec<usize>,
        /// Complaints each client works from receipt to closure (ten commands each).
        #[arg(long, default_value_t = 50, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        lifecycles: usize,
    },
    /// Times the staff pages with many complaints. Point REDRESS_DATABASE_URL at a scratch
    /// database: when it is empty, complaints are generated into it first.
    Pages {
        /// Complaints to generate into an empty database.
        #[arg(long, default_value_t = 100_000)]
        complaints: usize,
        /// Timed requests per page.
        #[arg(long, default_value_t = 200, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        requests: usize,
        /// Clients requesting at once (each sends its next request when answered, as wrk).
        #[arg(long, default_value_t = 8, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        concurrency: usize,
        /// Time the pages without rebuilding the projections first.
        #[arg(long)]
        skip_rebuild: bool,
    },
    /// Times the SLA dashboard with many open complaints. Point REDRESS_DATABASE_URL at a
    /// scratch database: when it is empty, open complaints are generated into it first.
    Sla {
        /// Open complaints to generate into an empty database.
        #[arg(long, default_value_t = 100_000)]
        complaints: usize,
        /// Timed requests per page.
        #[arg(long, default_value_t = 200, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        requests: usize,
        /// Time the pages without rebuilding the projections first.
        #[arg(long)]
        skip_rebuild: bool,
    },
    /// Times the managers' reports over a year of complaints: generates them into an empty
    /// database (chronologically, nine in ten closed), rebuilds the reports projection, and
    /// times one-year reports beside /healthz.
    Reports {
        /// Complaints to generate into an empty database.
        #[arg(long, default_value_t = 1_000_000)]
        complaints: usize,
        /// Timed requests per page.
        #[arg(long, default_value_t = 50, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..))]
        requests: usize,
        /// Time the pages without rebuilding the reports projection first.
        #[arg(long)]
        skip_rebuild: bool,
    },
    /// Times rebuilding every projection: generates a year of complaints into an empty
    /// database (as `redress-bench reports` does), then rebuilds each projection in turn and, on
    /// PostgreSQL, all at once. Point REDRESS_DATABASE_URL at a scratch database.
    Rebuild {
        /// Complaints to generate into an empty database (about 9.5 events each).
        #[arg(long, default_value_t = 1_060_000)]
        complaints: usize,
    },
    /// Generates a year of complaints into an empty database and projects nothing (for
    /// `redress rebuild` and `redress-bench pages --skip-rebuild` over a large stream).
    Generate {
        /// Complaints to generate (about 9.5 events each).
        #[arg(long, default_value_t = 1_000_000)]
        complaints: usize,
    },
    /// Ingests a mailbox of many messages (new complaints in four languages, replies,
    /// auto-replies) with the email intake, beside the raw IMAP fetch of the same messages.
    /// Starts a throwaway Dovecot of its own (needs dovecot-imapd and openssl). Point
    /// REDRESS_DATABASE_URL at an empty scratch database.
    Intake {
        /// Messages in the mailbox.
        #[arg(long, default_value_t = 10_000)]
        messages: usize,
    },
    /// Sends customer emails through the outbox to REDRESS_SMTP_URL (a local SMTP server) beside
    /// lettre alone, and times each email from its event to the server's acceptance under a
    /// steady load. Point REDRESS_DATABASE_URL at an empty scratch database.
    Mail {
        /// Emails per phase.
        #[arg(long, default_value_t = 10_000)]
        emails: usize,
        /// Complaints received per second in the steady phase.
        #[arg(long, default_value_t = 100)]
        rate: u32,
    },
    /// A wave of periodic surveys: generates a year of complaints for about CONTACTS contacts,
    /// schedules one wave to every contact due, and drains it through the outbox to
    /// REDRESS_SMTP_URL (a local SMTP server) beside lettre alone, sampling the outbox's depth.
    /// Point REDRESS_DATABASE_URL at an empty scratch database.
    SurveyWave {
        /// About how many contacts the wave asks (two complaints each are generated).
        #[arg(long, default_value_t = 100_000)]
        contacts: usize,
        /// Invitations sent per hour at most (the wave's spread).
        #[arg(long, default_value_t = 1_000_000)]
        per_hour: u32,
    },
    /// Delivers webhooks to a receiver of its own (on this machine) beside plain signed POSTs
    /// of the same size, and times each delivery from its event to the receiver under a steady
    /// load. Point REDRESS_DATABASE_URL at an empty scratch database.
    Webhooks {
        /// Deliveries per phase.
        #[arg(long, default_value_t = 3_000)]
        events: usize,
        /// Complaints received per second in the steady phase.
        #[arg(long, default_value_t = 100)]
        rate: u32,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load(cli.config.as_deref()).context("invalid settings")?;
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log)
        .context("REDRESS_LOG is not a valid log filter")?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(cli, settings))
}

async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let report = match cli.command {
        BenchCommand::Pages {
            complaints,
            requests,
            concurrency,
            skip_rebuild,
        } => {
            redress_bench::pages(&settings, complaints, requests, concurrency, !skip_rebuild)
                .await?
        }
        BenchCommand::Reports {
            complaints,
            requests,
            skip_rebuild,
        } => redress_bench::reports(&settings, complaints, requests, !skip_rebuild).await?,
        BenchCommand::Sla {
            complaints,
            requests,
            skip_rebuild,
        } => redress_bench::sla(&settings, complaints, requests, !skip_rebuild).await?,
        BenchCommand::Commands {
            clients,
            lifecycles,
        } => redress_bench::commands(&settings, &clients, lifecycles).await?,
        BenchCommand::Generate { complaints } => {
            redress_bench::generate_only(&settings, complaints).await?
        }
        BenchCommand::Rebuild { complaints } => {
            redress_bench::rebuild(&settings, complaints).await?
        }
        BenchCommand::Intake { messages } => redress_bench::intake(&settings, messages).await?,
        BenchCommand::Mail { emails, rate } => redress_bench::mail(&settings, emails, rate).await?,
        BenchCommand::SurveyWave { contacts, per_hour } => {
            redress_bench::survey_wave(&settings, contacts, per_hour).await?
        }
        BenchCommand::Webhooks { events, rate } => {
            redress_bench::webhooks(&settings, events, rate).await?
        }
    };
    print!("{report}");
    Ok(())
}
