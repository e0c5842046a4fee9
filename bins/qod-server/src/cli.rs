//! Command line: every flag is also an environment variable.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// QoD Gateway: the CAMARA Quality-on-Demand APIs in front of a mobile network.
#[derive(Debug, Parser)]
#[command(name = "qod-server", version, about)]
pub struct Cli {
    /// Address to listen on.
    #[arg(long, env = "QOD_LISTEN", global = true)]
    pub listen: Option<String>,
    /// Directory for the embedded database and other state.
    #[arg(long, env = "QOD_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `sqlite://PATH` (default: a file in the data directory).
    #[arg(long, env = "QOD_DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// A TOML configuration file (see docs/configuration.md).
    #[arg(long, env = "QOD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when none is given.
#[derive(Debug, Clone, Copy, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Check the configuration and exit (non-zero when it is invalid).
    CheckConfig,
}
