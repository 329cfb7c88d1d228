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
        /// Serve the web pages and API only; another process runs the workers.
        #[arg(long, conflicts_with = "workers_only")]
        web_only: bool,
        /// Run the workers only (projectors, mail sender, SLA scheduler); the web port answers
        /// /healthz and /metrics.
        #[arg(long)]
        workers_only: bool,
    },
    /// Check that every projection equals a rebuild from the events (after an incident).
    /// Changes nothing; exits 1 and shows the differing rows when one does not.
    Check {
        /// A projection's name, e.g. complaint_list (default: all).
        name: Option<String>,
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
    /// Import complaints a team already has: a .csv (with a header row) or .jsonl file in
    /// Redress's columns, or a help desk's export (see README's "Importing complaints").
    /// Events are back-dated; no email or webhook is sent; rows imported before are skipped.
    Import {
        /// The file.
        file: PathBuf,
        /// Whose columns the file has.
        #[arg(long, value_enum, default_value = "redress")]
        mapping: redress::import::Mapping,
        /// Check every row and list those that would be refused, and why; write nothing.
        #[arg(long)]
        dry_run: bool,
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
    /// Print an example settings file with every setting at its default.
    ExampleConfig,
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
    let filter = tracing_subscriber::EnvFilter::try_new(&settings.log)
        .context("REDRESS_LOG is not a valid log filter")?;
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match settings.log_format.trim() {
        "text" => logs.init(),
        // One JSON object per line, with the request's span (request_id, method, path).
        "json" => logs
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        other => anyhow::bail!("REDRESS_LOG_FORMAT (log_format) is {other:?}; write text or json"),
    }
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(run(cli.command, settings))
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            demo,
            web_only,
            workers_only,
        } => {
            let role = match (web_only, workers_only) {
                (true, _) => redress::ServeRole::WebOnly,
                (_, true) => redress::ServeRole::WorkersOnly,
                _ => redress::ServeRole::All,
            };
            if demo && redress::seed_demo_if_empty(&settings, 300).await? {
                println!("Loaded 300 demo complaints.");
                print_demo_accounts();
            }
            let store = redress::open_store(&settings).await?;
            let listener = TcpListener::bind(&settings.bind)
                .with_context(|| format!("cannot listen on {}", settings.bind))?;
            let running = redress::start_as(listener, store, &settings, role).await?;
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
            let names = projection_names(&store, name);
            let total = store.projections.event_count().await?;
            if names.len() > 1 && store.db.backend() == redress_store::Backend::Postgres {
                // Each projection in its own transaction, all at once: PostgreSQL works on
                // them side by side (SQLite has one writer, so there they go one by one).
                let bars = indicatif::MultiProgress::new();
                let mut tasks = tokio::task::JoinSet::new();
                for name in names {
                    let bar = bars.add(progress_bar(total, &name));
                    let projections = store.projections.clone();
                    tasks.spawn(async move {
                        let report = projections
                            .rebuild(&name, &|done| bar.set_position(done))
                            .await;
                        bar.finish_and_clear();
                        report.map(|r| (name, r))
                    });
                }
                while let Some(done) = tasks.join_next().await {
                    let (name, report) = done??;
                    println!("Rebuilt {name} from {} events.", report.events);
                }
                return Ok(());
            }
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
        Command::Check { name } => {
            let store = redress::open_store(&settings).await?;
            let names = projection_names(&store, name);
            let mut differing = Vec::new();
            for name in names {
                let report = store.projections.check(&name).await?;
                if report.matches() {
                    let rows: u64 = report.tables.iter().map(|t| t.live_rows).sum();
                    println!(
                        "{name}: matches a rebuild from {} events ({rows} rows).",
                        report.events
                    );
                    continue;
                }
                println!(
                    "{name}: DIFFERS from a rebuild from {} events:",
                    report.events
                );
                for table in report.tables.iter().filter(|t| !t.matches()) {
                    println!(
                        "  {}: {} rows live, {} rebuilt; {} live rows a rebuild does not give, {} rebuilt rows missing",
                        table.table,
                        table.live_rows,
                        table.rebuilt_rows,
                        table.only_live,
                        table.only_rebuilt
                    );
                    for row in &table.only_live_sample {
                        println!("    live only:    {row}");
                    }
                    for row in &table.only_rebuilt_sample {
                        println!("    rebuild only: {row}");
                    }
                }
                differing.push(name);
            }
            if differing.is_empty() {
                Ok(())
            } else {
                anyhow::bail!(
                    "{} differ from a rebuild; `redress rebuild NAME` replaces a projection with its rebuild",
                    differing.join(", ")
                )
            }
        }
        Command::DemoData { complaints, seed } => {
            let clock = demo::clock();
            let store = redress::open_store_with_clock(&settings, clock.clone()).await?;
            let report = demo::load(&store, &clock, complaints, seed).await?;
            demo::create_accounts(&store).await?;
            store.projections.run_until_idle().await?;
            demo::settle(&store).await?;
            println!(
                "Loaded {} demo complaints ({} commands).",
                report.complaints, report.commands
            );
            print_demo_accounts();
            Ok(())
        }
        Command::Import {
            file,
            mapping,
            dry_run,
        } => {
            let store = redress::open_store(&settings).await?;
            let bar = progress_bar(0, "import");
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:>16} [{bar:40}] {pos}/{len} complaints ({per_sec}, {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            let report =
                redress::import::import(&store, &file, mapping, dry_run, &|done, total| {
                    bar.set_length(total as u64);
                    bar.set_position(done as u64);
                })
                .await?;
            bar.finish_and_clear();
            for refusal in &report.refused {
                eprintln!("refused: {refusal}");
            }
            let verb = if dry_run { "would import" } else { "imported" };
            println!(
                "{} rows: {verb} {}, {} imported before (skipped), {} refused; {} events written.",
                report.rows,
                report.imported,
                report.already,
                report.refused.len(),
                report.events
            );
            if !report.refused.is_empty() {
                anyhow::bail!(
                    "{} rows are refused (listed above); {}",
                    report.refused.len(),
                    if dry_run {
                        "correct them and run again"
                    } else {
                        "nothing was imported: correct them, or check with --dry-run, and run again"
                    }
                );
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
            store
                .audit
                .record(
                    store.clock.now(),
                    redress_store::AuditAction::CustomerErased,
                    &redress_store::AuditActor::system("redress erase-customer"),
                    &report.customer.0.to_string(),
                    &format!("{reason}; {} complaint(s)", report.complaints.len()),
                    "command line",
                )
                .await?;
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
                    store
                        .audit
                        .record(
                            store.clock.now(),
                            redress_store::AuditAction::AccountCreated,
                            &redress_store::AuditActor::system("redress user add"),
                            &account.email,
                            &format!("role {role}"),
                            "command line",
                        )
                        .await?;
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

/// The projection named, or all of them.
fn projection_names(store: &redress_store::Store, name: Option<String>) -> Vec<String> {
    match name {
        Some(name) => vec![name],
        None => store
            .projections
            .names()
            .into_iter()
            .map(String::from)
            .collect(),
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
