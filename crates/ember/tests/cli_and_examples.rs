//! The `ember` command's subcommands and every example in `examples/`, run as processes on small
//! inputs. Each must finish with the output it documents, or, for a streaming job that runs until
//! stopped, print its batches in Spark's format with the counts of what the test fed it, before
//! the test kills it.
//!
//! Examples get no `CARGO_BIN_EXE_*` path. `cargo test` builds them (into
//! `target/<profile>/examples/`), but `cargo test --test cli_and_examples` alone does not, and would
//! run stale or missing binaries; so the first example test asks cargo itself to build them for
//! this test's profile (`cargo build --examples`: nothing to do right after a plain `cargo test`)
//! and takes the paths it reports.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{ErrorKind, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long any one process may take to show what a test waits for. A bound for a loaded
/// machine: on an idle one every case takes a few seconds.
const PATIENCE: Duration = Duration::from_secs(60);

/// The examples in `examples/`, each run by a test below.
const EXAMPLES: [&str; 10] = [
    "block_word_count_bench",
    "custom_receiver",
    "hdfs_word_count",
    "latency_bench",
    "network_word_count",
    "network_word_count_bench",
    "queue_stream",
    "state_bench",
    "windowed_word_count_bench",
    "word_count",
];

/// The text the socket and file tests feed a word count, and the counts it must produce.
const TEXT: &str = "to be or not to be\nthat is the question\n";
const TEXT_COUNTS: [(&str, u64); 8] =
    [("be", 2), ("is", 1), ("not", 1), ("or", 1), ("question", 1), ("that", 1), ("the", 1), ("to", 2)];

fn text_counts() -> BTreeMap<String, u64> {
    TEXT_COUNTS.iter().map(|&(w, n)| (w.to_string(), n)).collect()
}

// ---------------------------------------------------------------------------------------------
// Processes

/// A child process whose standard output and error are collected as they come. Dropping it kills
/// the process, so no test leaves one behind, whichever way it ends.
struct Running {
    name: String,
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

/// What a process printed, once it has ended.
struct Finished {
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

fn collect(mut from: impl Read + Send + 'static, into: Arc<Mutex<String>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            into.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    })
}

impl Running {
    fn start(name: &str, command: &mut Command) -> Running {
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = command.spawn().unwrap_or_else(|e| panic!("starting {name}: {e}"));
        let (stdout, stderr) = (Arc::default(), Arc::default());
        let out: ChildStdout = child.stdout.take().unwrap();
        let err: ChildStderr = child.stderr.take().unwrap();
        let readers = vec![collect(out, Arc::clone(&stdout)), collect(err, Arc::clone(&stderr))];
        Running { name: name.to_string(), child, stdout, stderr, readers }
    }

    fn stdout(&self) -> String {
        self.stdout.lock().unwrap().clone()
    }

    fn describe(&self) -> String {
        format!("--- {} stdout:\n{}\n--- stderr:\n{}", self.name, self.stdout(), self.stderr.lock().unwrap())
    }

    /// Waits until `done` holds for the standard output so far; panics, showing the output, if
    /// the process ends first or `PATIENCE` runs out.
    fn wait_for(&mut self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let out = self.stdout();
            if done(&out) {
                return out;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                // Let the readers take the last of the output before judging.
                std::thread::sleep(Duration::from_millis(200));
                let out = self.stdout();
                if done(&out) {
                    return out;
                }
                panic!("{} ended ({status}) before {what}\n{}", self.name, self.describe());
            }
            assert!(
                Instant::now() < deadline,
                "{} did not show {what} within {PATIENCE:?}\n{}",
                self.name,
                self.describe()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits for the process to end by itself.
    fn finish(mut self) -> Finished {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(Instant::now() < deadline, "{} did not end within {PATIENCE:?}\n{}", self.name, self.describe());
            std::thread::sleep(Duration::from_millis(20));
        };
        self.drain(status)
    }

    /// Kills the process (a streaming job that would run forever) and returns its output.
    fn kill(mut self) -> Finished {
        let _ = self.child.kill();
        let status = self.child.wait().unwrap();
        self.drain(status)
    }

    fn drain(&mut self, status: ExitStatus) -> Finished {
        for reader in self.readers.drain(..) {
            reader.join().unwrap();
        }
        Finished { status, stdout: self.stdout(), stderr: self.stderr.lock().unwrap().clone() }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A no-op for a process already waited for.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Finished {
    fn assert_success(&self, name: &str) {
        assert!(
            self.status.success(),
            "{name}: {}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.status,
            self.stdout,
            self.stderr
        );
    }
}

fn ember() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ember"))
}

/// Runs `ember args` to completion.
fn run_ember(args: &[&str]) -> Finished {
    Running::start(&format!("ember {}", args.join(" ")), ember().args(args)).finish()
}

fn example(name: &str) -> Command {
    assert!(EXAMPLES.contains(&name), "{name} is not in EXAMPLES");
    static BUILT: OnceLock<Result<BTreeMap<String, PathBuf>, String>> = OnceLock::new();
    let built = BUILT.get_or_init(build_examples).as_ref().unwrap_or_else(|e| panic!("{e}"));
    let path = built.get(name).unwrap_or_else(|| panic!("cargo built no example {name}: {built:?}"));
    let mut command = Command::new(path);
    command.env_remove("EMBER_MASTER");
    command
}

/// Builds the examples with this test's own profile and returns where cargo put them.
fn build_examples() -> Result<BTreeMap<String, PathBuf>, String> {
    // This test runs from target/<profile dir>/deps/; the dev profile's directory is `debug`.
    let exe = std::env::current_exe().map_err(|e| format!("locating the test binary: {e}"))?;
    let profile = match exe.parent().and_then(Path::parent).and_then(Path::file_name).and_then(|d| d.to_str()) {
        Some("debug") | None => "dev".to_string(),
        Some(dir) => dir.to_string(),
    };
    let output = Command::new(env!("CARGO"))
        .args(["build", "-p", "ember", "--examples", "--profile", &profile, "--message-format=json-render-diagnostics"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("running cargo build --examples: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "cargo build --examples failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let mut built = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        if !line.contains(r#""reason":"compiler-artifact""#) || !line.contains(r#""kind":["example"]"#) {
            continue;
        }
        let target = &line[line.find(r#""target":{"#).ok_or_else(|| format!("no target in {line}"))?..];
        let name = json_string_after(target, "name").ok_or_else(|| format!("no target name in {line}"))?;
        let executable = json_string_after(line, "executable").ok_or_else(|| format!("no executable in {line}"))?;
        built.insert(name, PathBuf::from(executable));
    }
    Ok(built)
}

/// The string value of the first `"key":"..."` in `json` (cargo's messages are one JSON object a line).
fn json_string_after(json: &str, key: &str) -> Option<String> {
    let start = json.find(&format!(r#""{key}":""#))? + key.len() + 4;
    let mut value = String::new();
    let mut chars = json[start..].chars();
    loop {
        match chars.next()? {
            '"' => return Some(value),
            '\\' => value.push(match chars.next()? {
                'n' => '\n',
                't' => '\t',
                other => other,
            }),
            c => value.push(c),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Inputs

/// A TCP server on 127.0.0.1 for one client: it sends `text`, then, if `repeat` is given, sends
/// it again at that interval; otherwise it keeps the connection open (a closed one would make the
/// receiver reconnect and count the text again) until the client goes away or the server drops.
struct TextServer {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TextServer {
    fn start(text: &str, repeat: Option<Duration>) -> TextServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let (text, stopped) = (text.to_string(), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            let mut socket = loop {
                match listener.accept() {
                    Ok((socket, _)) => break socket,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(e) => panic!("accepting: {e}"),
                }
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(10));
            };
            socket.set_nonblocking(false).unwrap();
            socket.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            if socket.write_all(text.as_bytes()).is_err() {
                return;
            }
            let mut buf = [0u8; 256];
            while !stopped.load(Ordering::SeqCst) {
                match repeat {
                    Some(every) => {
                        std::thread::sleep(every);
                        if socket.write_all(text.as_bytes()).is_err() {
                            return;
                        }
                    }
                    // The client never writes: a read ends only when it goes away.
                    None => match socket.read(&mut buf) {
                        Ok(0) => return,
                        Ok(_) => {}
                        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                        Err(_) => return,
                    },
                }
            }
        });
        TextServer { port, stop, thread: Some(thread) }
    }

    fn port(&self) -> String {
        self.port.to_string()
    }
}

impl Drop for TextServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_file(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

// ---------------------------------------------------------------------------------------------
// Output

const DASHES: &str = "-------------------------------------------";

/// The batches `print()` wrote: (batch time in ms, the records shown). Checks Spark's frame on the
/// way: a `Time: <t> ms` line between two dashed lines. The last batch may be cut short by a kill;
/// a last line without its newline yet is left out.
fn printed_batches(out: &str) -> Vec<(u64, Vec<String>)> {
    let lines: Vec<&str> = out[..out.rfind('\n').map_or(0, |end| end + 1)].lines().collect();
    let mut batches = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(time) = line.strip_prefix("Time: ") else { continue };
        assert!(i > 0 && lines[i - 1] == DASHES, "no dashed line above {line:?} in:\n{out}");
        assert!(lines.get(i + 1).is_none_or(|l| *l == DASHES), "no dashed line below {line:?} in:\n{out}");
        let ms = time.strip_suffix(" ms").and_then(|t| t.parse().ok());
        let ms = ms.unwrap_or_else(|| panic!("batch time is not `<n> ms`: {line:?}"));
        let records = lines[(i + 2).min(lines.len())..]
            .iter()
            .take_while(|l| !l.is_empty() && **l != DASHES)
            .map(|l| l.to_string())
            .collect();
        batches.push((ms, records));
    }
    batches
}

/// Checks that batches come every `batch_ms`, one after another, at multiples of it.
fn assert_batch_times(batches: &[(u64, Vec<String>)], batch_ms: u64) {
    for (t, _) in batches {
        assert_eq!(t % batch_ms, 0, "batch time {t} is not a multiple of {batch_ms} ms");
    }
    for pair in batches.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + batch_ms, "batches not consecutive: {:?}", batches);
    }
}

/// A `(key,count)` record as `print()` shows it.
fn parse_pair(record: &str) -> (String, u64) {
    let inner = record.strip_prefix('(').and_then(|r| r.strip_suffix(')'));
    let (key, count) = inner.and_then(|r| r.rsplit_once(',')).unwrap_or_else(|| panic!("not a pair: {record:?}"));
    (key.to_string(), count.parse().unwrap_or_else(|_| panic!("count is not a number: {record:?}")))
}

/// Each key's count summed over every printed batch (the input may straddle two batches).
fn printed_counts(out: &str) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for (_, records) in printed_batches(out) {
        for record in records {
            let (key, n) = parse_pair(&record);
            *counts.entry(key).or_insert(0) += n;
        }
    }
    counts
}

/// Runs a socket word count (`start` gets the server's port) until it has printed the counts of
/// `TEXT`, then kills it and checks its batches.
fn socket_word_count(name: &str, batch_ms: u64, start: impl FnOnce(&str) -> Command) {
    let server = TextServer::start(TEXT, None);
    let mut job = Running::start(name, &mut start(&server.port()));
    job.wait_for("the counts of the served text", |out| printed_counts(out) == text_counts());
    let finished = job.kill();
    let batches = printed_batches(&finished.stdout);
    assert_batch_times(&batches, batch_ms);
    // No word counted twice: the batches after the text arrived are empty.
    assert_eq!(printed_counts(&finished.stdout), text_counts(), "{}", finished.stdout);
}

/// `key value key value ...` from a one-line report, checking the keys are `keys`.
fn report(line: &str, keys: &[&str]) -> Vec<String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields.len(), keys.len() * 2, "unexpected report: {line:?}");
    for (i, key) in keys.iter().enumerate() {
        assert_eq!(fields[2 * i], *key, "unexpected report: {line:?}");
    }
    fields.iter().skip(1).step_by(2).map(|v| v.to_string()).collect()
}

fn number<T: std::str::FromStr>(value: &str) -> T {
    value.parse().unwrap_or_else(|_| panic!("not a number: {value:?}"))
}

fn epoch_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as u64
}

// ---------------------------------------------------------------------------------------------
// The ember command

#[test]
fn version_prints_the_crate_version() {
    let expected = format!("ember {}\n", env!("CARGO_PKG_VERSION"));
    for args in [&["version"][..], &["--version"]] {
        let finished = run_ember(args);
        finished.assert_success("ember version");
        assert_eq!(finished.stdout, expected, "ember {args:?}");
    }
}

#[test]
fn help_lists_every_subcommand() {
    let finished = run_ember(&["--help"]);
    finished.assert_success("ember --help");
    for subcommand in ["demo", "run", "wordcount", "version"] {
        assert!(
            finished.stdout.lines().any(|l| l.trim_start().starts_with(subcommand)),
            "{subcommand} missing from:\n{}",
            finished.stdout
        );
    }
    let finished = run_ember(&["run", "--help"]);
    finished.assert_success("ember run --help");
    assert!(finished.stdout.contains("network-word-count"), "{}", finished.stdout);
}

#[test]
fn wordcount_counts_the_words_of_a_file_a_directory_and_a_glob() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hamlet.txt");
    write_file(&file, TEXT);
    // Blank lines and runs of spaces are no words.
    write_file(&dir.path().join("more.txt"), "to  be\n\n   question \n");
    write_file(&dir.path().join("skipped.md"), "not counted by the glob\n");
    let glob = dir.path().join("*.txt");
    let cases = [
        (vec![file.to_str().unwrap()], 10, 8),
        (vec![file.to_str().unwrap(), "--partitions", "3"], 10, 8),
        (vec![glob.to_str().unwrap()], 13, 8),
        (vec![dir.path().to_str().unwrap()], 18, 11),
    ];
    for (args, words, distinct) in cases {
        let args: Vec<&str> = ["--master", "local[2]", "wordcount"].into_iter().chain(args).collect();
        let finished = run_ember(&args);
        finished.assert_success("ember wordcount");
        let lines: Vec<&str> = finished.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "ember {args:?}:\n{}", finished.stdout);
        let values = report(lines[0], &["words", "distinct", "secs", "words_per_sec"]);
        assert_eq!((number::<u64>(&values[0]), number::<u64>(&values[1])), (words, distinct), "ember {args:?}");
        assert!(number::<f64>(&values[2]) >= 0.0 && number::<f64>(&values[3]) > 0.0, "{}", lines[0]);
    }
}

#[test]
fn wordcount_of_a_missing_path_fails_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file.txt");
    let finished = run_ember(&["--master", "local[2]", "wordcount", missing.to_str().unwrap()]);
    assert!(!finished.status.success(), "succeeded on a missing file:\n{}", finished.stdout);
    assert!(finished.stdout.is_empty(), "{}", finished.stdout);
    let expected = format!("error: Input path does not exist: {}", missing.display());
    assert!(finished.stderr.lines().any(|l| l == expected), "expected the line {expected:?} in:\n{}", finished.stderr);
}

#[test]
fn demo_prints_batches_of_generated_words_then_stops() {
    let started = Instant::now();
    let finished = run_ember(&["--master", "local[2]", "demo", "--seconds", "2", "--batch-ms", "500", "--rate", "500"]);
    finished.assert_success("ember demo");
    assert!(started.elapsed() < Duration::from_secs(30), "ember demo --seconds 2 took {:?}", started.elapsed());
    let batches = printed_batches(&finished.stdout);
    assert!(!batches.is_empty(), "no batch printed:\n{}", finished.stdout);
    assert_batch_times(&batches, 500);
    let full: Vec<_> = batches.iter().filter(|(_, records)| !records.is_empty()).collect();
    assert!(!full.is_empty(), "every batch was empty:\n{}", finished.stdout);
    for (time, records) in full {
        // ~250 lines of ~15 words from 10,000: more than the 10 pairs print() shows, then `...`.
        assert_eq!(records.len(), 11, "batch {time}: {records:?}");
        assert_eq!(records[10], "...", "batch {time}: {records:?}");
        let mut words = BTreeSet::new();
        for record in &records[..10] {
            let (word, n) = parse_pair(record);
            assert!(
                word.strip_prefix('w').is_some_and(|i| u32::from_str_radix(i, 16).is_ok_and(|i| i < 10_000)),
                "{record}"
            );
            assert!(n >= 1, "{record}");
            assert!(words.insert(word), "batch {time} shows a word twice: {records:?}");
        }
    }
}

#[test]
fn run_network_word_count_counts_the_words_served_on_a_socket() {
    socket_word_count("ember run network-word-count", 500, |port| {
        let mut command = ember();
        command.args(["--master", "local[2]", "run", "network-word-count", "--host", "127.0.0.1", "--port", port]);
        command.args(["--batch-ms", "500"]);
        command
    });
}

// ---------------------------------------------------------------------------------------------
// Examples

#[test]
fn every_example_is_run_here() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let found: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".rs").map(str::to_owned))
        .collect();
    let tested: BTreeSet<String> = EXAMPLES.iter().map(|e| e.to_string()).collect();
    assert_eq!(found, tested, "examples/ and the EXAMPLES this test runs differ");
}

#[test]
fn example_network_word_count() {
    socket_word_count("network_word_count", 1000, |port| {
        let mut command = example("network_word_count");
        command.args(["127.0.0.1", port]);
        command
    });
}

#[test]
fn example_custom_receiver() {
    socket_word_count("custom_receiver", 1000, |port| {
        let mut command = example("custom_receiver");
        command.args(["127.0.0.1", port]);
        command
    });
}

#[test]
fn example_hdfs_word_count_counts_files_moved_into_the_directory() {
    let root = tempfile::tempdir().unwrap();
    let (watched, staging) = (root.path().join("in"), root.path().join("staging"));
    std::fs::create_dir(&watched).unwrap();
    std::fs::create_dir(&staging).unwrap();
    let mut job = Running::start("hdfs_word_count", example("hdfs_word_count").arg(&watched));
    // A first (empty) batch: the stream is running and its start time is behind us.
    job.wait_for("a first batch", |out| !printed_batches(out).is_empty());
    write_file(&staging.join("part-0"), TEXT);
    std::fs::rename(staging.join("part-0"), watched.join("part-0")).unwrap();
    job.wait_for("the counts of the moved file", |out| printed_counts(out) == text_counts());
    let finished = job.kill();
    assert_batch_times(&printed_batches(&finished.stdout), 2000);
    assert_eq!(printed_counts(&finished.stdout), text_counts(), "a file was read twice:\n{}", finished.stdout);
}

#[test]
fn example_queue_stream_counts_each_queued_rdd_by_last_digit() {
    let finished = Running::start("queue_stream", &mut example("queue_stream")).finish();
    finished.assert_success("queue_stream");
    let batches = printed_batches(&finished.stdout);
    assert_batch_times(&batches, 1000);
    let full: Vec<_> = batches.iter().filter(|(_, records)| !records.is_empty()).collect();
    // 30 RDDs pushed over 3 s, one taken per 1 s batch.
    assert!(!full.is_empty(), "no batch counted anything:\n{}", finished.stdout);
    let expected: BTreeSet<String> = (0..10).map(|d| format!("({d},100)")).collect();
    for (time, records) in full {
        // 1..=1000 has 100 numbers ending in each digit.
        assert_eq!(records.iter().cloned().collect::<BTreeSet<_>>(), expected, "batch {time}");
        assert_eq!(records.len(), 10, "batch {time}: {records:?}");
    }
}

#[test]
fn example_word_count_prints_the_most_frequent_words() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input.txt");
    write_file(&file, "c a b a\n\tb a  d\n\nd a\n");
    let finished = Running::start("word_count", example("word_count").arg(&file).arg("3")).finish();
    finished.assert_success("word_count");
    assert_eq!(finished.stdout, "a: 4\nd: 2\nb: 2\n");
}

#[test]
fn example_block_word_count_bench_counts_every_repetition() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lines.txt");
    // 100 lines of 3 words.
    write_file(&file, &"alpha beta gamma\n".repeat(100));
    let finished =
        Running::start("block_word_count_bench", example("block_word_count_bench").arg(&file).arg("2")).finish();
    finished.assert_success("block_word_count_bench");
    let lines: Vec<&str> = finished.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "one line per repetition:\n{}", finished.stdout);
    for line in lines {
        let values = report(line, &["words", "ms"]);
        assert_eq!(values[0], "300", "{line}");
        number::<u64>(&values[1]);
    }
}

#[test]
fn example_network_word_count_bench_stops_at_the_expected_count() {
    // 200 lines of 5 words: exactly the 1,000 words expected.
    let server = TextServer::start(&"one two three four five\n".repeat(200), None);
    let before = epoch_ms();
    let mut command = example("network_word_count_bench");
    command.args([server.port().as_str(), "1000", "200"]);
    let finished = Running::start("network_word_count_bench", &mut command).finish();
    finished.assert_success("network_word_count_bench");
    let lines: Vec<&str> = finished.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", finished.stdout);
    let values = report(lines[0], &["done_ms", "words", "batches"]);
    let done_ms: u64 = number(&values[0]);
    assert!(before <= done_ms && done_ms <= epoch_ms(), "done_ms {done_ms} is not the time it finished");
    assert_eq!(values[1], "1000", "{}", lines[0]);
    assert!(number::<u64>(&values[2]) >= 1, "{}", lines[0]);
    // The batch trace on stderr: `batch <time> ms records <n> scheduling_ms <s> processing_ms <p>`,
    // at most the 200 lines served.
    let mut records = 0;
    for line in finished.stderr.lines().filter(|l| l.starts_with("batch ")) {
        let values = report(
            &line.replacen(" ms records ", " records ", 1),
            &["batch", "records", "scheduling_ms", "processing_ms"],
        );
        assert_eq!(number::<u64>(&values[0]) % 200, 0, "{line}");
        records += number::<u64>(&values[1]);
    }
    assert!(records <= 200, "{records} records traced for 200 lines:\n{}", finished.stderr);
}

#[test]
fn example_latency_bench_reports_the_delays_of_its_batches() {
    let server = TextServer::start("alpha beta gamma\n", Some(Duration::from_millis(5)));
    let mut command = example("latency_bench");
    command.args([server.port().as_str(), "200", "4"]);
    let finished = Running::start("latency_bench", &mut command).finish();
    finished.assert_success("latency_bench");
    let lines: Vec<&str> = finished.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", finished.stdout);
    // `batches N of M p50_total_ms ...`: `of M` is the one value without a key of its own.
    let fields: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(fields.get(2), Some(&"of"), "{}", lines[0]);
    assert_eq!(number::<u64>(fields[3]), 10, "(4 s - 2 s) / 200 ms batches fell due: {}", lines[0]);
    let keyed = fields[..2].iter().chain(&fields[4..]).copied().collect::<Vec<_>>().join(" ");
    let keys = [
        "batches",
        "p50_total_ms",
        "p99_total_ms",
        "max_total_ms",
        "p99_processing_ms",
        "p99_sched_ms",
        "max_sched_ms",
        "lines",
    ];
    let values: Vec<i64> = report(&keyed, &keys).iter().map(|v| number(v)).collect();
    let (batches, p50, p99, max, lines_counted) = (values[0], values[1], values[2], values[3], values[7]);
    assert!(batches >= 1, "no batch measured: {}", lines[0]);
    assert!(0 <= p50 && p50 <= p99 && p99 <= max, "quantiles out of order: {}", lines[0]);
    assert!(lines_counted > 0, "no line counted: {}", lines[0]);
}

#[test]
fn example_windowed_word_count_bench_reports_its_full_windows() {
    let server = TextServer::start("alpha beta gamma\n", Some(Duration::from_millis(5)));
    let mut command = example("windowed_word_count_bench");
    command.args([server.port().as_str(), "200", "1", "3"]);
    let finished = Running::start("windowed_word_count_bench", &mut command).finish();
    finished.assert_success("windowed_word_count_bench");
    let lines: Vec<&str> = finished.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", finished.stdout);
    let values: Vec<i64> = report(lines[0], &["full_batches", "p50_ms", "p95_ms", "max_ms", "max_sched_ms", "lines"])
        .iter()
        .map(|v| number(v))
        .collect();
    let (full, p50, p95, max, lines_counted) = (values[0], values[1], values[2], values[3], values[5]);
    // 3 s of 200 ms batches, the first 1 s of them before the window is full.
    assert!(full >= 1, "no full window: {}", lines[0]);
    assert!(0 <= p50 && p50 <= p95 && p95 <= max, "quantiles out of order: {}", lines[0]);
    assert!(lines_counted > 0, "no line counted: {}", lines[0]);
}

#[test]
fn example_state_bench_runs_both_state_operations() {
    for mode in ["map_with_state", "update_state_by_key"] {
        let mut command = example("state_bench");
        command.args([mode, "1000", "10", "3"]);
        let finished = Running::start("state_bench", &mut command).finish();
        finished.assert_success(&format!("state_bench {mode}"));
        let lines: Vec<&str> = finished.stdout.lines().collect();
        assert_eq!(lines.len(), 1, "{}", finished.stdout);
        let line = lines[0].strip_prefix(mode).unwrap_or_else(|| panic!("does not start with {mode}: {}", lines[0]));
        let keys = [
            "keys",
            "touched",
            "batches",
            "load_ms",
            "median_batch_ms",
            "mean_batch_ms",
            "max_batch_ms",
            "state_bytes_per_key",
            "rss_bytes_per_key",
        ];
        let values = report(line, &keys);
        assert_eq!(&values[..3], ["1000", "10", "3"], "{}", lines[0]);
        let times: Vec<f64> = values[3..7].iter().map(|v| number(v)).collect();
        assert!(times.iter().all(|t| *t >= 0.0), "{}", lines[0]);
        // The max is shown to 0.1 ms, the median and mean to 0.01.
        assert!(times[1].max(times[2]) <= times[3] + 0.05, "median or mean above the max: {}", lines[0]);
        number::<u64>(&values[7]);
        number::<u64>(&values[8]);
    }
}
