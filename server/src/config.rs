//! Deployment configuration: flags with environment-variable fallbacks. Hard limits are not
//! configuration; they live in `limits.rs`.

use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// Zerolag: a self-hostable real-time gaming platform.
#[derive(Parser, Debug, Clone)]
#[command(version, about)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "ZEROLAG_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory for the embedded database (created if missing).
    #[arg(long, env = "ZEROLAG_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL; defaults to the SQLite file `zerolag.db` in the data directory.
    #[arg(long, env = "ZEROLAG_DATABASE_URL")]
    pub database_url: Option<String>,

    /// Log filter, e.g. `info` or `zerolag=debug,engine=debug`.
    #[arg(long, env = "ZEROLAG_LOG", default_value = "info")]
    pub log: String,

    /// Extra origins allowed to open WebSockets and post forms (e.g. `https://play.example.com`).
    /// The origin the server is reached at (its Host header) is always allowed.
    #[arg(long = "allowed-origin", env = "ZEROLAG_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Mark session cookies `Secure` (set this when served over https).
    #[arg(long, env = "ZEROLAG_SECURE_COOKIES")]
    pub secure_cookies: bool,

    /// Directory of the built site (JS, WASM, CSS, static assets).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}

impl Config {
    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("zerolag.db").display()))
    }
}
