//! `redress`: complaint handling built on an event stream. See `redress --help`.

#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::LazyLock;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use redress::{Settings, demo, settings};
use redress_domain::{Actor, CustomerEmail, CustomerId};

static SETTINGS_HELP: LazyLock<String> = LazyLock::new(settings::help_text);

#[derive(Parser)]
#[command(
    name = "redress",
    version,
    about = "Complaint handling built on an event stream."
)]
#[command(after_long_help = SETTINGS_HELP.as_str(), after_help = SETTINGS_HELP.as_str())]
struct Cli {
    /// A TOML settings file (see redress.example.toml).
    #[arg(long, global = true, env = "REDRESS_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the web server and the background workers.
    Serve {
        /// Load demo data first if the database holds no complaints yet.
        #[arg(long)]
        demo: bool,
    },
    /// Apply database migrations, then exit.
    Migrate,
    /// Rebuild projections from the first event (all of them, or the one named).
    Rebuild {
        /// A projection's name, e.g. complaint_list.
        name: Option<String>,
    },
    /// Load realistic demo complaints through the real commands.
    DemoData {
        /// How many complaints.
        #[arg(long, default_value_t = 300)]
        complaints: usize,
        /// Random seed, for repeatable data.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
    /// Erase a customer's personal data: deletes their key and records the erasure.
    EraseCustomer {
        /// The customer's email address.
        #[arg(
            long,
            conflicts_with = "customer_id",
            required_unless_present = "customer_id"
        )]
        email: Option<String>,
        /// The customer's id.
        #[arg(long)]
        customer_id: Option<uuid::Uuid>,
        /// Why (kept on each complaint's record).
        #[arg(long, default_value = "data-subject erasure request")]
        reason: String,
    },
    /// Print an example settings file with every setting at its default.
    ExampleConfig,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::ExampleConfig = cli.command {
        print!("{}", settings::example_file());
        return Ok(());
    }
    let settings = Settings::load(cli.config.as_deref()).context("invalid settings")?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&settings.log)
                .context("REDRESS_LOG is not a valid log filter")?,
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(cli.command, settings))
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { demo } => {
            if demo && redress::seed_demo_if_empty(&settings, 300).await? {
                println!("Loaded 300 demo complaints.");
            }
            let store = redress::open_store(&settings).await?;
            let listener = TcpListener::bind(&settings.bind)
                .with_context(|| format!("cannot listen on {}", settings.bind))?;
            let running = redress::start(listener, store, &settings)?;
            println!("Redress is listening on http://{}", running.address);
            running.wait().await
        }
        Command::Migrate => {
            redress::open_store(&settings).await?;
            println!(
                "Migrations applied to {}.",
                redress::redact(&settings.database_url)
            );
            Ok(())
        }
        Command::Rebuild { name } => {
            let store = redress::open_store(&settings).await?;
            let names: Vec<String> = match name {
                Some(name) => vec![name],
                None => store
                    .projections
                    .names()
                    .into_iter()
                    .map(String::from)
                    .collect(),
            };
            let total = store.projections.event_count().await?;
            for name in names {
                let bar = progress_bar(total, &name);
                let report = store
                    .projections
                    .rebuild(&name, &|done| bar.set_position(done))
                    .await?;
                bar.finish_and_clear();
                println!("Rebuilt {name} from {} events.", report.events);
            }
            Ok(())
        }
        Command::DemoData { complaints, seed } => {
            let clock = demo::clock();
            let store = redress::open_store_with_clock(&settings, clock.clone()).await?;
            let report = demo::load(&store, &clock, complaints, seed).await?;
            store.projections.run_until_idle().await?;
            println!(
                "Loaded {} demo complaints ({} commands).",
                report.complaints, report.commands
            );
            println!("Demo staff (owners on the complaints):");
            for member in demo::staff() {
                println!("  {}", member.name);
            }
            Ok(())
        }
        Command::EraseCustomer {
            email,
            customer_id,
            reason,
        } => {
            let store = redress::open_store(&settings).await?;
            let by = Actor::System {
                name: "redress erase-customer".into(),
            };
            let report = match (email, customer_id) {
                (Some(email), _) => {
                    let email = CustomerEmail::parse(&email)?;
                    store
                        .complaints
                        .erase_customer_by_email(&email, by, &reason)
                        .await?
                        .with_context(|| {
                            format!("no customer with the address {email} is known (or they were erased already)")
                        })?
                }
                (None, Some(id)) => {
                    store
                        .complaints
                        .erase_customer(CustomerId(id), by, &reason)
                        .await?
                }
                (None, None) => anyhow::bail!("give --email or --customer-id"),
            };
            store.projections.run_until_idle().await?;
            println!(
                "Erased customer {}: {} complaint(s) recorded the erasure; key {}.",
                report.customer,
                report.complaints.len(),
                if report.key_deleted {
                    "deleted"
                } else {
                    "was already gone"
                }
            );
            Ok(())
        }
        Command::ExampleConfig => unreachable!("handled before settings load"),
    }
}

fn progress_bar(total: u64, name: &str) -> ProgressBar {
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} events ({per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(name.to_string());
    bar
}
