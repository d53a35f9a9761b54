//! The one configuration loader. Later sources override earlier ones:
//! built-in defaults → the TOML file given with `--config` → `CLEARLINE_*` environment
//! variables (nested keys with `__`, e.g. `CLEARLINE_STORAGE__SYNCHRONOUS=normal`) → flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use clearline_server::Config;
use serde::Serialize;

use crate::ServeArgs;

/// The top-level keys environment variables may set; other `CLEARLINE_*` variables (for
/// example the test suite's) are ignored rather than refused.
const ENV_KEYS: &[&str] = &["listen", "data_dir", "log__", "storage__", "sessions__"];

#[derive(Serialize)]
struct Flags {
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<std::net::SocketAddr>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<std::path::PathBuf>,
}

/// Loads the configuration from every source.
pub fn load(args: &ServeArgs) -> anyhow::Result<Config> {
    let mut figment = Figment::from(Serialized::defaults(Config::default()));
    if let Some(path) = &args.config {
        if !path.exists() {
            anyhow::bail!("config file {} does not exist", path.display());
        }
        figment = figment.merge(Toml::file(path));
    }
    let env = Env::prefixed("CLEARLINE_")
        .filter(|key| ENV_KEYS.iter().any(|k| key.as_str().starts_with(k)))
        .split("__");
    let flags = Flags { listen: args.listen, data_dir: args.data_dir.clone() };
    let config = figment.merge(env).merge(Serialized::defaults(flags)).extract()?;
    Ok(config)
}
