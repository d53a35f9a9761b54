//! The one configuration loader. Later sources override earlier ones:
//! built-in defaults → the TOML file given with `--config` → `CLEARLINE_*` environment
//! variables (nested keys with `__`, e.g. `CLEARLINE_STORAGE__SYNCHRONOUS=normal`) → flags.

use clearline_server::Config;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::Serialize;

use crate::ServeArgs;

/// Whether `CLEARLINE_{key}` names a setting: a top-level field of [`Config`] (`fields`, its
/// defaults as JSON), or with `__` a field of one of its tables. Other `CLEARLINE_*` variables
/// (for example the test suite's) are ignored rather than refused. The fields come from
/// `Config` itself, so a new setting can be set from the environment without a list to update.
fn is_setting(key: &str, fields: &serde_json::Map<String, serde_json::Value>) -> bool {
    let key = key.to_ascii_lowercase();
    match key.split_once("__") {
        Some((table, _)) => fields.get(table).is_some_and(serde_json::Value::is_object),
        None => fields.get(&key).is_some_and(|v| !v.is_object()),
    }
}

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
    let fields = match serde_json::to_value(Config::default())? {
        serde_json::Value::Object(fields) => fields,
        _ => serde_json::Map::new(),
    };
    let env = Env::prefixed("CLEARLINE_").filter(move |key| is_setting(key.as_str(), &fields)).split("__");
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
    fn http_workers_leave_a_core_to_the_store_unless_set() {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let auto = Config::default().http_worker_threads();
        assert!(auto >= 1);
        assert_eq!(auto, if cores > 1 { cores - 1 } else { 1 });
        let set: Config = Figment::new().merge(Toml::string("http_workers = 3")).extract().unwrap();
        assert_eq!(set.http_worker_threads(), 3);
    }

    #[test]
    fn every_setting_and_only_settings_can_come_from_the_environment() {
        let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(Config::default()) else {
            panic!("the configuration serializes as an object")
        };
        for (name, value) in &fields {
            let key = if value.is_object() { format!("{}__X", name.to_uppercase()) } else { name.to_uppercase() };
            assert!(is_setting(&key, &fields), "{key}");
        }
        // Both were documented as environment variables but once left out of a hand-kept list.
        assert!(is_setting("MAX_REQUESTS_IN_FLIGHT", &fields));
        assert!(is_setting("REPORTS__MIN_COUNT", &fields));
        assert!(!is_setting("TEST_DATABASE_URL", &fields));
        assert!(!is_setting("STORAGE", &fields), "a table is set by its fields");
        assert!(!is_setting("LISTEN__PORT", &fields), "a plain value has no fields");
    }

    #[test]
    fn unknown_keys_are_refused() {
        let bad = Figment::new().merge(Toml::string("listne = \"127.0.0.1:1\"")).extract::<Config>();
        assert!(bad.is_err());
    }
}
