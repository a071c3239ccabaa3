//! Streaming programs under SIGINT/SIGTERM. A graceful stop on SIGINT processes the data that
//! was in flight: the child (this test binary run again as `socket_word_count_child`) counts
//! lines from a socket server the test runs, the test sends every line and then SIGINT before
//! the batch that holds them has run, and the child's output must count each line exactly
//! once. SIGTERM stops the `ember demo` command (non-graceful) and the process exits cleanly.

use ember::prelude::*;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Set (to the server's port) only in the child process.
const CHILD_PORT: &str = "EMBER_SHUTDOWN_TEST_CHILD_PORT";
/// Starts each line the child prints itself (the test harness prints on the same stream, and
/// `test socket_word_count_child ... ` shares a line with the child's first output).
const MARK: &str = "child> ";
/// Long enough that the lines sent after one batch are still waiting when SIGINT arrives.
const CHILD_BATCH_MS: u64 = 3000;
const LINES: usize = 5000;

/// The child program: prints `line <text>` for every line and `batch <ms> <count>` for every
/// batch (empty ones too), then `stopped` once the context has stopped (each after [`MARK`]). It asks for the signal
/// handler the way applications do, with `spark.streaming.stopGracefullyOnShutdown=true`.
/// In the normal test run (no port set) it does nothing.
#[test]
fn socket_word_count_child() {
    let Ok(port) = std::env::var(CHILD_PORT) else { return };
    let conf = Conf::empty()
        .master("local[2]")
        .app_name("shutdown-test-child")
        .set("spark.streaming.stopGracefullyOnShutdown", "true");
    let ctx = Context::new(conf).unwrap();
    let ssc = StreamingContext::new(&ctx, Duration::from_millis(CHILD_BATCH_MS));
    ssc.socket_text_stream("127.0.0.1", port.parse().unwrap()).foreach_rdd(|rdd, time| -> ember::Result<()> {
        let lines = rdd.collect()?;
        let mut out = std::io::stdout().lock();
        for line in &lines {
            writeln!(out, "{MARK}line {line}").unwrap();
        }
        writeln!(out, "{MARK}batch {} {}", time.millis(), lines.len()).unwrap();
        out.flush().unwrap();
        Ok(())
    });
    ssc.start().unwrap();
    ssc.await_termination().unwrap();
    println!("{MARK}stopped");
}

/// Kills the child if the test fails before it exits.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Each line the child prints, as it prints it; with `mark`, only the lines carrying it, from
/// the mark on.
fn read_lines(child: &mut Child, mark: Option<&'static str>) -> Receiver<String> {
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let line = match mark {
                None => line,
                Some(mark) => match line.find(mark) {
                    Some(at) => line[at + mark.len()..].to_string(),
                    None => continue,
                },
            };
            let _ = tx.send(line);
        }
    });
    rx
}

fn wait_for_exit(child: &mut Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            return exit;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the child did not exit after {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn accept_within(listener: &TcpListener, timeout: Duration) -> TcpStream {
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + timeout;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).unwrap();
                return stream;
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("the child's receiver did not connect: {e}"),
        }
    }
}

#[test]
fn sigint_stops_gracefully_and_processes_the_lines_in_flight() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut child = Reaped(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "socket_word_count_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_PORT, port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let out = read_lines(&mut child.0, Some(MARK));
    let mut server = accept_within(&listener, Duration::from_secs(30));
    // A batch has run (empty): the next one is CHILD_BATCH_MS away.
    let mut printed = Vec::new();
    loop {
        match out.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.starts_with("batch ") => {
                printed.push(line);
                break;
            }
            Ok(line) => printed.push(line),
            Err(e) => panic!("the child printed no batch ({e:?}): {printed:?}"),
        }
    }
    let sent_at = Instant::now();
    let mut all = String::new();
    for i in 0..LINES {
        all.push_str(&format!("l{i}\n"));
    }
    server.write_all(all.as_bytes()).unwrap();
    server.flush().unwrap();
    // Time for the receiver to read them off the socket, well before the next batch.
    std::thread::sleep(Duration::from_millis(500));
    while let Ok(line) = out.try_recv() {
        printed.push(line);
    }
    let elapsed = sent_at.elapsed();
    assert!(
        elapsed < Duration::from_millis(CHILD_BATCH_MS - 1000) && !printed.iter().any(|l| l.starts_with("line ")),
        "the lines must still be in flight when SIGINT is sent ({elapsed:?} after sending): {printed:?}"
    );
    let status = Command::new("kill").args(["-INT", &child.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = wait_for_exit(&mut child.0, "SIGINT");
    drop(server);
    loop {
        match out.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => printed.push(line),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("the child's stdout stayed open after it exited"),
        }
    }
    assert!(exit.success(), "SIGINT: {exit:?}; printed {:?}", &printed[printed.len().saturating_sub(5)..]);
    assert_eq!(printed.last().map(String::as_str), Some("stopped"), "await_termination returned");
    let counted: usize = printed
        .iter()
        .filter_map(|l| l.strip_prefix("batch "))
        .map(|b| b.split(' ').nth(1).unwrap().parse::<usize>().unwrap())
        .sum();
    let mut seen = vec![0u32; LINES];
    for line in printed.iter().filter_map(|l| l.strip_prefix("line l")) {
        seen[line.parse::<usize>().unwrap()] += 1;
    }
    let lost = seen.iter().filter(|n| **n == 0).count();
    let repeated = seen.iter().filter(|n| **n > 1).count();
    assert_eq!((counted, lost, repeated), (LINES, 0, 0), "lines counted, lost and counted twice");
}

#[test]
fn sigterm_stops_the_streaming_job() {
    let mut child = Reaped(
        Command::new(env!("CARGO_BIN_EXE_ember"))
            .args(["--master", "local[2]", "demo", "--seconds", "300", "--batch-ms", "200", "--rate", "2000"])
            .env("EMBER_CONF_spark_streaming_stopGracefullyOnShutdown", "false")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let out = read_lines(&mut child.0, None);
    // Wait for the first printed batch: the job is running.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = out.recv_timeout(Duration::from_secs(30)).expect("the demo prints batches");
        if line.starts_with("Time: ") {
            break;
        }
        assert!(Instant::now() < deadline, "no batch printed");
    }
    let status = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = wait_for_exit(&mut child.0, "SIGTERM");
    assert!(exit.success(), "SIGTERM: {exit:?}");
}

/// Set (to the mode's name) only in the child process of the signal-handler tests.
const SIGNAL_MODE: &str = "EMBER_SHUTDOWN_TEST_SIGNAL_MODE";
/// The modes of [`signal_child`].
const UNASKED: &str = "unasked";
const STOPPED_ITSELF: &str = "stopped_itself";
const CHAINED: &str = "chained";
const CHAINED_STOPPED_ITSELF: &str = "chained_stopped_itself";

/// The child program of the signal-handler tests; in the normal test run (no mode set) it does
/// nothing. It starts a streaming context (an empty queue stream, batches every 200 ms), and:
/// - `unasked`: asks for no signal handler (no key, no `stop_on_shutdown`), prints `ready` and
///   waits, printing `stopped by a signal` if its context stops meanwhile;
/// - `stopped_itself`: calls `stop_on_shutdown`, starts, stops its context itself, prints
///   `ready` and waits;
/// - `chained`: registers a SIGTERM handler of its own (a flag) before asking Ember
///   (`stop_on_shutdown`), prints `ready`, waits in `await_termination`, then prints `stopped`
///   and `own handler ran` if its flag is set (`own handler did not run` otherwise).
///
/// The waiting modes print `survived` if no signal ended them within a minute.
#[test]
fn signal_child() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let Ok(mode) = std::env::var(SIGNAL_MODE) else { return };
    let say = |what: &str| {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{MARK}{what}").unwrap();
        out.flush().unwrap();
    };
    let own_flag = Arc::new(AtomicBool::new(false));
    if mode == CHAINED || mode == CHAINED_STOPPED_ITSELF {
        signal_hook::flag::register(signal_hook::consts::SIGTERM, own_flag.clone()).unwrap();
    }
    let ctx = Context::new(Conf::empty().master("local[2]").app_name("signal-test-child")).unwrap();
    let ssc = StreamingContext::new(&ctx, Duration::from_millis(200));
    let queue = ember::streaming::RddQueue::<u64>::new();
    ssc.queue_stream(&queue, true).foreach_rdd(|_, _| -> ember::Result<()> { Ok(()) });
    if mode != UNASKED {
        ssc.stop_on_shutdown();
    }
    ssc.start().unwrap();
    let wait_for_a_signal = |ssc: &StreamingContext| {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut was_active = ssc.state() == ember::streaming::StreamingContextState::Active;
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            let active = ssc.state() == ember::streaming::StreamingContextState::Active;
            if was_active && !active {
                say("stopped by a signal");
            }
            was_active = active;
        }
        say("survived");
    };
    match mode.as_str() {
        UNASKED => {
            say("ready");
            wait_for_a_signal(&ssc);
        }
        STOPPED_ITSELF => {
            ssc.stop(false, false);
            assert_eq!(ssc.state(), ember::streaming::StreamingContextState::Stopped);
            say("ready");
            wait_for_a_signal(&ssc);
        }
        CHAINED => {
            say("ready");
            ssc.await_termination().unwrap();
            say("stopped");
            // The flag is set by the signal handler itself, before Ember's handler (registered
            // after it) wakes the thread that stops the context.
            say(if own_flag.load(Ordering::SeqCst) { "own handler ran" } else { "own handler did not run" });
        }
        CHAINED_STOPPED_ITSELF => {
            ssc.stop(false, false);
            say("ready");
            let deadline = Instant::now() + Duration::from_secs(10);
            while !own_flag.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            // Still alive: with no context running, the signal did only what the program's own
            // handler does.
            say(if own_flag.load(Ordering::SeqCst) { "own handler ran" } else { "own handler did not run" });
        }
        other => panic!("unknown {SIGNAL_MODE}: {other}"),
    }
}

/// Runs [`signal_child`] in `mode`, waits for its `ready`, sends it SIGTERM and returns how it
/// ended and every line it printed (after [`MARK`]), within a few seconds.
fn sigterm_signal_child(mode: &str) -> (std::process::ExitStatus, Vec<String>) {
    let mut child = Reaped(
        Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "signal_child", "--nocapture", "--test-threads=1"])
            .env(SIGNAL_MODE, mode)
            .env_remove("EMBER_CONF")
            .env_remove("EMBER_CONF_spark_streaming_stopGracefullyOnShutdown")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap(),
    );
    let out = read_lines(&mut child.0, Some(MARK));
    let mut printed = Vec::new();
    loop {
        match out.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line == "ready" => {
                printed.push(line);
                break;
            }
            Ok(line) => printed.push(line),
            Err(e) => panic!("{mode}: the child never printed ready ({e:?}): {printed:?}"),
        }
    }
    let status = Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill -TERM: {status:?}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let exit = loop {
        if let Some(exit) = child.0.try_wait().unwrap() {
            break exit;
        }
        while let Ok(line) = out.try_recv() {
            printed.push(line);
        }
        assert!(Instant::now() < deadline, "{mode}: the child was still running 10 s after SIGTERM: {printed:?}");
        std::thread::sleep(Duration::from_millis(20));
    };
    loop {
        match out.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => printed.push(line),
            Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => panic!("{mode}: the child's stdout stayed open after it exited"),
        }
    }
    (exit, printed)
}

/// A program that did not ask for Ember's handler keeps the default SIGTERM action: the signal
/// kills it (its running context is not stopped first).
#[test]
fn sigterm_kills_a_program_that_did_not_ask_for_the_handler() {
    use std::os::unix::process::ExitStatusExt;
    let (exit, printed) = sigterm_signal_child(UNASKED);
    assert_eq!(exit.signal(), Some(15), "killed by SIGTERM: {exit:?}; printed {printed:?}");
    assert_eq!(printed, ["ready"]);
}

/// A program that asked for the handler but has stopped its context itself: SIGTERM finds no
/// running context and takes its default course (killed by signal 15, not `exit(130)`).
#[test]
fn sigterm_with_no_running_context_takes_the_default_action() {
    use std::os::unix::process::ExitStatusExt;
    let (exit, printed) = sigterm_signal_child(STOPPED_ITSELF);
    assert_eq!(exit.code(), None, "not an exit code (130 was the old behaviour): {exit:?}; printed {printed:?}");
    assert_eq!(exit.signal(), Some(15), "killed by SIGTERM: {exit:?}; printed {printed:?}");
    assert_eq!(printed, ["ready"]);
}

/// A SIGTERM handler the program registered before asking Ember still runs, and Ember's stops
/// the context: `await_termination` returns and the program ends normally.
#[test]
fn sigterm_runs_the_programs_own_handler_and_stops_the_context() {
    let (exit, printed) = sigterm_signal_child(CHAINED);
    assert!(exit.success(), "SIGTERM: {exit:?}; printed {printed:?}");
    assert_eq!(printed, ["ready", "stopped", "own handler ran"]);
}

/// With no context running, a SIGTERM the program handles itself is left to its handler:
/// Ember's handler does not end a process the program meant to keep alive.
#[test]
fn sigterm_with_no_running_context_is_left_to_the_programs_own_handler() {
    let (exit, printed) = sigterm_signal_child(CHAINED_STOPPED_ITSELF);
    assert!(exit.success(), "SIGTERM: {exit:?}; printed {printed:?}");
    assert_eq!(printed, ["ready", "own handler ran"]);
}
