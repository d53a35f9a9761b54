//! The one configuration loader. Later sources override earlier ones:
//! built-in defaults → the TOML file given with `--config` → `CLEARLINE_*` environment
//! variables (nested keys with `__`, e.g. `CLEARLINE_STORAGE__SYNCHRONOUS=normal`) → flags.

use clearline_server::Config;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;

use crate::ServeArgs;

/// The top-level keys environment variables may set; other `CLEARLINE_*` variables (for
/// example the test suite's) are ignored rather than refused.
const ENV_KEYS: &[&str] =
    &["listen", "data_dir", "public_url", "log__", "storage__", "sessions__", "partner__", "transparency__"];

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
        .filter(|key| ENV_KEYS.iter().any(|k| key.as_str().to_ascii_lowercase().starts_with(k)))
        .split("__");
    let flags = Flags { listen: args.listen, data_dir: args.data_dir.clone() };
    let config = figment.merge(env).merge(Serialized::defaults(flags)).extract()?;
    Ok(config)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const EXAMPLE: &str = include_str!("../../../config.example.toml");

    fn keys(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
        if let toml::Value::Table(t) = value {
            for (k, v) in t {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                out.push(path.clone());
                keys(v, &path, out);
            }
        }
    }

    #[test]
    fn example_config_documents_every_field_with_its_default() {
        let parsed: Config = Figment::new().merge(Toml::string(EXAMPLE)).extract().unwrap();
        assert_eq!(parsed, Config::default());
        let (mut documented, mut actual) = (Vec::new(), Vec::new());
        keys(&toml::from_str::<toml::Value>(EXAMPLE).unwrap(), "", &mut documented);
        keys(&toml::Value::try_from(Config::default()).unwrap(), "", &mut actual);
        documented.sort();
        actual.sort();
        assert_eq!(documented, actual);
    }

    #[test]
    fn unknown_keys_are_refused() {
        let bad = Figment::new().merge(Toml::string("listne = \"127.0.0.1:1\"")).extract::<Config>();
        assert!(bad.is_err());
    }
}
