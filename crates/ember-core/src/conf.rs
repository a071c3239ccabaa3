//! `Conf`: Spark's configuration keys, set in code, in the file named by `EMBER_CONF`, or by
//! environment variables.
//!
//! Precedence, lowest first: built-in defaults, the `EMBER_CONF` file (Spark's
//! `spark-defaults.conf` format: `key value` or `key=value` per line, `#` comments), environment
//! variables `EMBER_CONF_<key with dots as underscores>` (e.g. `EMBER_CONF_spark_task_maxFailures=2`),
//! then `Conf::set` in code. A key Ember does not know is kept but warned about, with the closest
//! known key suggested.

use crate::{Error, Result};
use std::collections::BTreeMap;
use std::time::Duration;

/// Keys Ember reads, with their defaults (`None`: no default, derived at use).
const KNOWN_KEYS: &[(&str, Option<&str>)] = &[
    ("spark.master", Some("local[*]")),
    ("spark.app.name", Some("ember")),
    ("spark.default.parallelism", None),
    ("spark.task.maxFailures", Some("4")),
    ("spark.local.dir", None),
    ("spark.driver.memory", Some("4g")),
    ("spark.memory.fraction", Some("0.6")),
    ("spark.rdd.compress", Some("false")),
    ("spark.shuffle.compress", Some("true")),
    ("spark.shuffle.spill.compress", Some("true")),
    ("spark.checkpoint.compress", Some("false")),
    ("spark.scheduler.listenerbus.eventqueue.capacity", Some("10000")),
    ("spark.ui.enabled", Some("true")),
    ("spark.ui.port", Some("4040")),
    ("spark.streaming.blockInterval", Some("200ms")),
    ("spark.streaming.blockQueueSize", Some("10")),
    // Ember's own: a receiver's block is cut early at this many records (see the README).
    ("ember.streaming.blockMaxRecords", Some("250000")),
    // Ember's own: a socket text stream skips a line longer than this (see the README).
    ("ember.streaming.socket.maxLineBytes", Some("1m")),
    ("spark.streaming.receiver.maxRate", None),
    ("spark.streaming.backpressure.enabled", Some("false")),
    ("spark.streaming.backpressure.initialRate", None),
    ("spark.streaming.backpressure.rateEstimator", Some("pid")),
    ("spark.streaming.backpressure.pid.proportional", Some("1.0")),
    ("spark.streaming.backpressure.pid.integral", Some("0.2")),
    ("spark.streaming.backpressure.pid.derived", Some("0.0")),
    ("spark.streaming.backpressure.pid.minRate", Some("100")),
    ("spark.streaming.receiver.writeAheadLog.enable", Some("false")),
    ("spark.streaming.receiver.writeAheadLog.rollingIntervalSecs", Some("60")),
    ("spark.streaming.receiver.writeAheadLog.maxFailures", Some("3")),
    ("spark.streaming.receiver.writeAheadLog.closeFileAfterWrite", Some("false")),
    ("spark.streaming.driver.writeAheadLog.rollingIntervalSecs", Some("60")),
    ("spark.streaming.driver.writeAheadLog.maxFailures", Some("3")),
    ("spark.streaming.driver.writeAheadLog.closeFileAfterWrite", Some("false")),
    ("spark.streaming.unpersist", Some("true")),
    ("spark.streaming.stopGracefullyOnShutdown", Some("false")),
    ("spark.streaming.stopSparkContextByDefault", Some("true")),
    ("spark.streaming.gracefulStopTimeout", None),
    ("spark.streaming.concurrentJobs", Some("1")),
    // Ember's own: jobs waiting to run before batch generation waits for room (see the README).
    ("ember.streaming.jobQueueCapacity", Some("1000")),
    ("spark.streaming.ui.retainedBatches", Some("1000")),
    ("spark.streaming.receiverRestartDelay", Some("2000")),
    ("spark.streaming.manualClock.jump", Some("0")),
    ("spark.streaming.checkpoint.directory", None),
    ("spark.streaming.fileStream.minRememberDuration", Some("60s")),
    ("spark.streaming.minRememberDuration", Some("60s")),
    ("spark.streaming.kafka.maxRatePerPartition", Some("0")),
];

/// Spark-style configuration: string keys and values, typed getters.
///
/// ```
/// use ember_core::Conf;
/// let conf = Conf::new().master("local[4]").app_name("wc").set("spark.task.maxFailures", "2");
/// assert_eq!(conf.get("spark.master"), Some("local[4]"));
/// assert_eq!(conf.get_usize("spark.task.maxFailures").unwrap(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Conf {
    values: BTreeMap<String, String>,
}

impl Default for Conf {
    fn default() -> Self {
        Self::new()
    }
}

impl Conf {
    /// Defaults, then the `EMBER_CONF` file, then `EMBER_CONF_*` environment variables.
    pub fn new() -> Self {
        Self::from_vars(std::env::vars())
    }

    fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let mut conf = Self::empty();
        if let Some((_, path)) = vars.iter().find(|(name, _)| name == "EMBER_CONF") {
            match std::fs::read_to_string(path) {
                Ok(text) => conf.load_properties(&text),
                Err(e) => tracing::warn!("EMBER_CONF={path} could not be read: {e}"),
            }
        }
        for (name, value) in vars {
            if let Some(key) = name.strip_prefix("EMBER_CONF_") {
                conf = conf.set(key.replace('_', "."), value);
            }
        }
        conf
    }

    /// A configuration with no file or environment applied (tests, embedding).
    pub fn empty() -> Self {
        Conf { values: BTreeMap::new() }
    }

    /// Reads `spark-defaults.conf`-style lines: `key value` or `key=value`, `#` comments.
    pub fn load_properties(&mut self, text: &str) {
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (key, value) = match line.split_once('=') {
                Some((k, v)) if !k.trim().contains(char::is_whitespace) => (k.trim(), v.trim()),
                _ => match line.split_once(char::is_whitespace) {
                    Some((k, v)) => (k, v.trim()),
                    None => (line, ""),
                },
            };
            self.values.insert(key.to_string(), value.to_string());
            warn_if_unknown(key);
        }
    }

    /// Sets `key` to `value`; an unknown key is kept and warned about.
    pub fn set(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let key = key.into();
        warn_if_unknown(&key);
        self.values.insert(key, value.into());
        self
    }

    /// Sets `spark.master` (`local`, `local[n]`, `local[*]`, `local[n,maxFailures]`).
    pub fn master(self, master: &str) -> Self {
        self.set("spark.master", master)
    }

    /// Sets `spark.app.name`.
    pub fn app_name(self, name: &str) -> Self {
        self.set("spark.app.name", name)
    }

    /// The value set for `key`, or its built-in default.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values
            .get(key)
            .map(String::as_str)
            .or_else(|| KNOWN_KEYS.iter().find(|(k, _)| *k == key).and_then(|(_, d)| *d))
    }

    /// All explicitly set pairs, sorted by key.
    pub fn get_all(&self) -> Vec<(String, String)> {
        self.values.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The explicitly set keys Ember does not know, each with the closest known key.
    pub fn unknown_keys(&self) -> Vec<(String, Option<&'static str>)> {
        self.values.keys().filter(|k| !is_known(k)).map(|k| (k.clone(), closest_known(k))).collect()
    }

    fn parsed<T>(&self, key: &str, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<Option<T>> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => parse(v.trim()).map(Some).ok_or_else(|| Error::InvalidConf {
                key: key.into(),
                value: v.into(),
                reason: format!("expected {what}"),
            }),
        }
    }

    /// `key` as a whole number; an error names the key and value if it does not parse.
    pub fn get_usize(&self, key: &str) -> Result<usize> {
        self.parsed(key, |v| v.parse().ok(), "a whole number")?.ok_or_else(|| Error::InvalidConf {
            key: key.into(),
            value: String::new(),
            reason: "not set".into(),
        })
    }

    /// `key` as a whole number if set.
    pub fn get_usize_opt(&self, key: &str) -> Result<Option<usize>> {
        self.parsed(key, |v| v.parse().ok(), "a whole number")
    }

    /// `key` as a number.
    pub fn get_f64(&self, key: &str, default: f64) -> Result<f64> {
        Ok(self.parsed(key, |v| v.parse().ok(), "a number")?.unwrap_or(default))
    }

    /// `key` as a boolean (`true`/`false`).
    pub fn get_bool(&self, key: &str, default: bool) -> Result<bool> {
        Ok(self.parsed(key, |v| v.parse().ok(), "true or false")?.unwrap_or(default))
    }

    /// `key` as a byte size: `1024`, `64k`, `512m`, `2g` (Spark's suffixes, binary units).
    pub fn get_bytes(&self, key: &str, default: u64) -> Result<u64> {
        Ok(self.parsed(key, parse_bytes, "a size such as 512m or 2g")?.unwrap_or(default))
    }

    /// `key` as a duration: `200ms`, `10s`, `1min`, `1h`; a bare number is `default_unit`.
    pub fn get_duration(&self, key: &str, default_unit: Duration) -> Result<Option<Duration>> {
        self.parsed(key, |v| parse_duration(v, default_unit), "a duration such as 200ms or 10s")
    }
}

fn is_known(key: &str) -> bool {
    KNOWN_KEYS.iter().any(|(k, _)| *k == key) || key.starts_with("ember.test.")
}

fn warn_if_unknown(key: &str) {
    if !is_known(key) {
        match closest_known(key) {
            Some(near) => {
                tracing::warn!("Unknown configuration key '{key}' (did you mean '{near}'?)")
            }
            None => tracing::warn!("Unknown configuration key '{key}'"),
        }
    }
}

fn closest_known(key: &str) -> Option<&'static str> {
    KNOWN_KEYS
        .iter()
        .map(|(k, _)| (*k, edit_distance(key, k)))
        .filter(|(_, d)| *d <= 3)
        .min_by_key(|(_, d)| *d)
        .map(|(k, _)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

fn parse_bytes(v: &str) -> Option<u64> {
    let lower = v.to_ascii_lowercase();
    let lower = lower.trim_end_matches('b');
    let (num, mult) = match lower.chars().last()? {
        'k' => (&lower[..lower.len() - 1], 1u64 << 10),
        'm' => (&lower[..lower.len() - 1], 1 << 20),
        'g' => (&lower[..lower.len() - 1], 1 << 30),
        't' => (&lower[..lower.len() - 1], 1 << 40),
        _ => (lower, 1),
    };
    // An overflowing size is invalid, not wrapped (release) or a panic (debug).
    num.trim().parse::<u64>().ok()?.checked_mul(mult)
}

fn parse_duration(v: &str, default_unit: Duration) -> Option<Duration> {
    let split = v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len());
    let n: u64 = v[..split].parse().ok()?;
    // Exact or invalid: a value too large is an error, never truncated or wrapped.
    let secs = |per: u64| n.checked_mul(per).map(Duration::from_secs);
    match v[split..].trim() {
        "" => default_unit
            .as_nanos()
            .checked_mul(u128::from(n))
            .and_then(|ns| u64::try_from(ns).ok())
            .map(Duration::from_nanos),
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" | "min" => secs(60),
        "h" => secs(3600),
        _ => None,
    }
}

/// How many worker threads and task attempts a `spark.master` string asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Master {
    pub threads: usize,
    pub max_failures: Option<usize>,
}

impl Master {
    pub(crate) fn parse(master: &str) -> Result<Master> {
        let bad = || Error::InvalidConf {
            key: "spark.master".into(),
            value: master.into(),
            reason: "expected local, local[n], local[*] or local[n,maxFailures] (cluster modes are not available yet)"
                .into(),
        };
        if master == "local" {
            return Ok(Master { threads: 1, max_failures: None });
        }
        let inner = master.strip_prefix("local[").and_then(|r| r.strip_suffix(']')).ok_or_else(bad)?;
        let (threads, failures) = match inner.split_once(',') {
            Some((t, f)) => (t.trim(), Some(f.trim().parse::<usize>().map_err(|_| bad())?)),
            None => (inner.trim(), None),
        };
        let threads = if threads == "*" {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        } else {
            threads.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(bad)?
        };
        Ok(Master { threads, max_failures: failures })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn master_strings_parse_like_spark() {
        assert_eq!(Master::parse("local").unwrap(), Master { threads: 1, max_failures: None });
        assert_eq!(Master::parse("local[4]").unwrap(), Master { threads: 4, max_failures: None });
        assert_eq!(Master::parse("local[3,2]").unwrap(), Master { threads: 3, max_failures: Some(2) });
        assert!(Master::parse("local[*]").unwrap().threads >= 1);
        let err = Master::parse("yarn").unwrap_err().to_string();
        assert!(err.contains("Invalid value 'yarn' for configuration key 'spark.master'"), "{err}");
        assert!(Master::parse("local[0]").is_err());
    }

    #[test]
    fn sizes_and_durations_parse() {
        assert_eq!(parse_bytes("512m"), Some(512 << 20));
        assert_eq!(parse_bytes("2g"), Some(2 << 30));
        assert_eq!(parse_bytes("100"), Some(100));
        assert_eq!(parse_bytes("lots"), None);
        assert_eq!(parse_duration("200ms", Duration::from_millis(1)), Some(Duration::from_millis(200)));
        assert_eq!(parse_duration("10s", Duration::from_millis(1)), Some(Duration::from_secs(10)));
        assert_eq!(parse_duration("5", Duration::from_secs(1)), Some(Duration::from_secs(5)));
    }

    #[test]
    fn a_size_too_large_for_u64_is_an_invalid_value_not_a_wrapped_one() {
        assert_eq!(parse_bytes("16777215t"), Some(16_777_215 << 40));
        assert_eq!(parse_bytes("18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_bytes("16777216t"), None, "2^24 TiB is 2^64 bytes");
        assert_eq!(parse_bytes("99999999999t"), None);
        assert_eq!(parse_bytes("99999999999999g"), None);
        let err = Conf::empty().set("spark.driver.memory", "99999999999t").get_bytes("spark.driver.memory", 0);
        let err = err.unwrap_err().to_string();
        assert!(err.contains("'99999999999t'") && err.contains("spark.driver.memory"), "{err}");
    }

    #[test]
    fn a_duration_is_exact_or_invalid_never_truncated_or_wrapped() {
        // 5e9 ms does not fit the u32 a bare number used to be multiplied by.
        assert_eq!(parse_duration("5000000000", Duration::from_millis(1)), Some(Duration::from_millis(5_000_000_000)));
        assert_eq!(parse_duration("99999999999999999h", Duration::from_secs(1)), None);
        assert_eq!(parse_duration("999999999999999999min", Duration::from_secs(1)), None);
        assert_eq!(parse_duration("99999999999999999999", Duration::from_secs(1)), None);
    }

    #[test]
    fn typo_keys_are_reported_with_a_suggestion() {
        let conf = Conf::empty().set("spark.task.maxFailure", "3").set("spark.task.maxFailures", "3");
        assert_eq!(conf.unknown_keys(), vec![("spark.task.maxFailure".to_string(), Some("spark.task.maxFailures"))]);
    }

    #[test]
    fn conf_file_then_environment_then_code() {
        let dir = std::env::temp_dir().join(format!("ember-conf-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ember.conf");
        std::fs::write(&file, "spark.default.parallelism 5\nspark.app.name from-file\n").unwrap();
        let vars = [
            ("EMBER_CONF".to_string(), file.display().to_string()),
            ("EMBER_CONF_spark_app_name".to_string(), "from-env".to_string()),
            ("UNRELATED".to_string(), "x".to_string()),
        ];
        let conf = Conf::from_vars(vars);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(conf.get("spark.default.parallelism"), Some("5"));
        assert_eq!(conf.get("spark.app.name"), Some("from-env"), "environment overrides the file");
        assert_eq!(conf.set("spark.app.name", "code").get("spark.app.name"), Some("code"), "code overrides both");
        let missing = Conf::from_vars([("EMBER_CONF".to_string(), "/nonexistent/ember.conf".to_string())]);
        assert_eq!(missing.get("spark.app.name"), Some("ember"), "an unreadable file is warned about, not fatal");
    }

    #[test]
    fn properties_file_and_bad_values() {
        let mut conf = Conf::empty();
        conf.load_properties("# comment\nspark.default.parallelism 8\nspark.driver.memory=1g\n");
        assert_eq!(conf.get_usize("spark.default.parallelism").unwrap(), 8);
        assert_eq!(conf.get_bytes("spark.driver.memory", 0).unwrap(), 1 << 30);
        let conf = conf.set("spark.task.maxFailures", "many");
        let err = conf.get_usize("spark.task.maxFailures").unwrap_err().to_string();
        assert_eq!(err, "Invalid value 'many' for configuration key 'spark.task.maxFailures': expected a whole number");
    }
}
