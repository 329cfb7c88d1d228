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
use redress_store::Role;

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
    /// Manage staff accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Benchmarks (figures for the README's performance section).
    Bench {
        #[command(subcommand)]
        which: BenchCommand,
    },
    /// Print an example settings file with every setting at its default.
    ExampleConfig,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Times the staff pages with many complaints. Point REDRESS_DATABASE_URL at a scratch
    /// database: when it is empty, complaints are generated into it first.
    Pages {
        /// Complaints to generate into an empty database.
        #[arg(long, default_value_t = 100_000)]
        complaints: usize,
        /// Timed requests per page.
        #[arg(long, default_value_t = 200)]
        requests: usize,
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
        #[arg(long, default_value_t = 200)]
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
        #[arg(long, default_value_t = 50)]
        requests: usize,
        /// Time the pages without rebuilding the reports projection first.
        #[arg(long)]
        skip_rebuild: bool,
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
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a staff account. The password is read from standard input when it is not a
    /// terminal (so scripts can pipe it), otherwise asked for twice without echo.
    Add {
        /// Sign-in address.
        email: String,
        /// agent, manager or admin.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Display name (defaults to the part of the address before the @).
        #[arg(long)]
        name: Option<String>,
    },
    /// List staff accounts.
    List,
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
                print_demo_accounts();
            }
            let store = redress::open_store(&settings).await?;
            let listener = TcpListener::bind(&settings.bind)
                .with_context(|| format!("cannot listen on {}", settings.bind))?;
            let running = redress::start(listener, store, &settings).await?;
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
            demo::create_accounts(&store).await?;
            store.projections.run_until_idle().await?;
            println!(
                "Loaded {} demo complaints ({} commands).",
                report.complaints, report.commands
            );
            print_demo_accounts();
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
        Command::User { action } => {
            let store = redress::open_store(&settings).await?;
            match action {
                UserCommand::Add { email, role, name } => {
                    let role = Role::parse(&role)?;
                    let name = name
                        .unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_string());
                    let password = read_new_password()?;
                    let hash = tokio::task::spawn_blocking(move || {
                        redress_store::accounts::hash_password(&password)
                    })
                    .await??;
                    let account = store.accounts.create(&email, &name, role, &hash).await?;
                    println!(
                        "Created {} <{}> as {}.",
                        account.name, account.email, account.role
                    );
                }
                UserCommand::List => {
                    for account in store.accounts.list().await? {
                        println!(
                            "{:<32} {:<24} {:<8} {}",
                            account.email,
                            account.name,
                            account.role,
                            if account.active {
                                "active"
                            } else {
                                "deactivated"
                            }
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Bench {
            which:
                BenchCommand::Pages {
                    complaints,
                    requests,
                    skip_rebuild,
                },
        } => {
            let report =
                redress::bench::pages(&settings, complaints, requests, !skip_rebuild).await?;
            print!("{report}");
            Ok(())
        }
        Command::Bench {
            which:
                BenchCommand::Reports {
                    complaints,
                    requests,
                    skip_rebuild,
                },
        } => {
            let report =
                redress::bench::reports(&settings, complaints, requests, !skip_rebuild).await?;
            print!("{report}");
            Ok(())
        }
        Command::Bench {
            which:
                BenchCommand::Sla {
                    complaints,
                    requests,
                    skip_rebuild,
                },
        } => {
            let report =
                redress::bench::sla(&settings, complaints, requests, !skip_rebuild).await?;
            print!("{report}");
            Ok(())
        }
        Command::Bench {
            which: BenchCommand::Mail { emails, rate },
        } => {
            let report = redress::bench::mail(&settings, emails, rate).await?;
            print!("{report}");
            Ok(())
        }
        Command::ExampleConfig => unreachable!("handled before settings load"),
    }
}

fn print_demo_accounts() {
    println!("Demo accounts (password: {}):", demo::DEMO_PASSWORD);
    for (member, email, role) in demo::accounts() {
        println!("  {email:<26} {role:<8} {}", member.name);
    }
}

/// A new password: from standard input when piped, else asked twice at the terminal.
fn read_new_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 12 characters): ")?;
        let second = rpassword::prompt_password("Same password again: ")?;
        anyhow::ensure!(
            first == second,
            "the two passwords differ; nothing was created"
        );
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
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
