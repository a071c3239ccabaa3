//! The `ember` binary under SIGINT/SIGTERM: the running streaming job stops (gracefully when
//! `spark.streaming.stopGracefullyOnShutdown` is set) and the process exits cleanly.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn run_and_signal(signal: &str, graceful: bool) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ember"))
        .args(["--master", "local[2]", "demo", "--seconds", "300", "--batch-ms", "200", "--rate", "2000"])
        .env("EMBER_CONF_spark_streaming_stopGracefullyOnShutdown", graceful.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Wait for the first printed batch: the job is running.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("the demo prints batches");
        if line.starts_with("Time: ") {
            break;
        }
        assert!(Instant::now() < deadline, "no batch printed");
    }
    let status = Command::new("kill").args([signal, &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "ember did not stop after {signal}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "{signal}: {exit:?}");
}

#[test]
fn sigint_stops_the_streaming_job_gracefully() {
    run_and_signal("-INT", true);
}

#[test]
fn sigterm_stops_the_streaming_job() {
    run_and_signal("-TERM", false);
}
