//! The `clearline` command: `serve` and `demo` (later: `admin`, `report`, `log verify`).
//! Parses flags, loads the configuration once, sets up logging and the runtime, and calls the
//! server library.
//!
//! # Layout
//! - [`config`]: the one configuration loader (defaults → TOML → `CLEARLINE_*` env → flags).
//! - [`admin`]: `clearline admin`, the operator's commands (operators, partners, apps).
//! - [`log`]: `clearline log verify` and `verify-receipt`, checks of the transparency log.
//! - [`demo`]: the demo world seeded by `clearline demo`.

pub mod admin;
pub mod config;
pub mod demo;
pub mod log;
pub mod report;

use clearline_core::partners::Operator;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use clearline_server::Config;
use clearline_server::config::LogFormat;

/// Clearline: a messaging platform whose partner API people can trust.
#[derive(Debug, Parser)]
#[command(name = "clearline", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Run the server on a fresh data dir filled with a small demo world.
    Demo(ServeArgs),
    /// Operator commands on the data directory: operators, partners, agreements, apps.
    Admin {
        /// Where the data is.
        #[command(flatten)]
        args: ServeArgs,
        /// What to do.
        #[command(subcommand)]
        command: admin::AdminCommand,
    },
    /// A partner's daily recommendation sends and clicks for a period (CSV or JSON).
    Report {
        /// Where the data is.
        #[command(flatten)]
        args: ServeArgs,
        /// Which report.
        #[command(flatten)]
        report: report::ReportArgs,
    },
    /// Check the transparency log (as an auditor) or one receipt (offline).
    #[command(subcommand)]
    Log(log::LogCommand),
}

/// Flags shared by `serve` and `demo`; they override the file and the environment.
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// A TOML configuration file (see config.example.toml).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port) [env: CLEARLINE_LISTEN].
    #[arg(long)]
    pub listen: Option<SocketAddr>,
    /// Data directory [env: CLEARLINE_DATA_DIR].
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

/// Runs the command line; the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("clearline: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let (args, demo) = match cli.command {
        Command::Serve(a) => (a, false),
        Command::Demo(a) => (a, true),
        Command::Admin { args, command } => return run_offline(&args, |app, op| admin::run(app, op, command)),
        Command::Log(command) => return log::run(command),
        Command::Report { args, report } => return run_offline(&args, |app, op| report::run(app, op, report)),
    };
    let mut config = config::load(&args)?;
    if demo && config.metrics_listen == Config::default().metrics_listen {
        // A demo beside a running server (or another demo) must not fight over the port.
        config.metrics_listen = "127.0.0.1:0".to_owned();
    }
    if demo && args.data_dir.is_none() {
        config.data_dir = std::env::temp_dir().join(format!("clearline-demo-{}", std::process::id()));
    }
    init_logging(&config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.http_worker_threads())
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        if demo {
            demo::prepare_dir(&config.data_dir)?;
        }
        let clock = std::sync::Arc::new(clearline_core::SystemClock);
        let (running, operator) = clearline_server::start_local(&config, clock).await?;
        let url = format!("http://{}", running.addr);
        if demo {
            let people = demo::seed(&running.state.app, operator).await?;
            let streamflix = demo::seed_streamflix(&running.state.app, operator, &people).await?;
            demo::print_welcome(&url, &config.data_dir, &people);
            demo::print_streamflix(&streamflix);
        }
        if let (true, Some(at)) = (demo, running.metrics_addr) {
            println!("metrics on http://{at}/metrics");
        }
        println!("listening on {url}");
        std::io::stdout().flush()?;
        clearline_server::serve_until(running, shutdown_signal()).await?;
        Ok(())
    })
}

/// Runs `job` on the services of the configured data directory, without serving, as its local
/// administrator (whoever can open the data directory is one).
fn run_offline<F, Fut>(args: &ServeArgs, job: F) -> anyhow::Result<()>
where
    F: FnOnce(std::sync::Arc<clearline_core::App<clearline_store::DefaultStore>>, Operator) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let config = config::load(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let issuer = format!("http://{}", config.listen);
        let clock = std::sync::Arc::new(clearline_core::SystemClock);
        let (state, operator) = clearline_server::build_state(&config, issuer, clock)?;
        job(state.app, operator).await
    })
}

fn init_logging(config: &Config) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log.filter)
        .map_err(|e| anyhow::anyhow!("bad log filter {:?}: {e}", config.log.filter))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match config.log.format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
