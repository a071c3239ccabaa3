//! Socket streams: a receiver that connects to `host:port` and decodes what it reads (Spark's
//! `SocketInputDStream`). When the server goes away or refuses, the receiver restarts after
//! `spark.streaming.receiverRestartDelay` and reconnects; input it cannot decode is reported
//! and counted (`receiver_infos`), never fatal.

use crate::receiver::{Receiver, ReceiverContext};
use crate::{DStream, StreamingContext};
use ember_core::Data;
use parking_lot::Mutex;
use std::io::{BufRead, BufReader};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

/// Turns a connection's bytes into records; an `Err` is one undecodable item, reported and skipped.
pub type Decoder<T> =
    dyn Fn(Box<dyn BufRead + Send>) -> Box<dyn Iterator<Item = Result<T, String>> + Send> + Send + Sync;

struct SocketReceiver<T> {
    host: String,
    port: u16,
    decoder: Arc<Decoder<T>>,
    socket: Arc<Mutex<Option<TcpStream>>>,
}

impl<T: Data> Receiver<T> for SocketReceiver<T> {
    fn on_start(&mut self, ctx: ReceiverContext<T>) {
        let (host, port, decoder, socket) = (self.host.clone(), self.port, self.decoder.clone(), self.socket.clone());
        std::thread::Builder::new()
            .name("Socket Receiver".into())
            .spawn(move || {
                let stream = match TcpStream::connect((host.as_str(), port)) {
                    Ok(s) => s,
                    Err(e) => return ctx.restart(&format!("Error connecting to {host}:{port}: {e}")),
                };
                tracing::info!("Connected to {host}:{port}");
                let reader = match stream.try_clone() {
                    Ok(r) => r,
                    Err(e) => return ctx.restart(&format!("Error receiving data: {e}")),
                };
                *socket.lock() = Some(stream);
                for item in decoder(Box::new(BufReader::with_capacity(1 << 16, reader))) {
                    if ctx.is_stopped() {
                        return;
                    }
                    match item {
                        Ok(record) => ctx.store(record),
                        Err(message) => ctx.report_error(&message),
                    }
                }
                if !ctx.is_stopped() {
                    ctx.restart("Socket data stream had no more data");
                }
            })
            .expect("spawning a socket receiver thread");
    }

    fn on_stop(&mut self) {
        if let Some(socket) = self.socket.lock().take() {
            let _ = socket.shutdown(Shutdown::Both);
        }
    }
}

/// Lines of UTF-8 text ending in `\n` (a trailing `\r` is dropped, as Java's `readLine` does).
fn lines(input: Box<dyn BufRead + Send>) -> Box<dyn Iterator<Item = Result<String, String>> + Send> {
    let mut input = input;
    let (mut line_no, mut failed) = (0u64, false);
    // Lines are read into one reused buffer and copied out at their exact length: a fresh
    // buffer per line would grow by doubling (several reallocations each) and keep up to half
    // of its capacity unused for as long as the line is held in a block.
    let mut buf = Vec::with_capacity(256);
    Box::new(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                line_no += 1;
                let mut line = &buf[..];
                line = line.strip_suffix(b"\n").unwrap_or(line);
                line = line.strip_suffix(b"\r").unwrap_or(line);
                Some(
                    std::str::from_utf8(line)
                        .map(str::to_owned)
                        .map_err(|e| format!("Skipped line {line_no}: malformed UTF-8 at byte {}", e.valid_up_to())),
                )
            }
            Err(e) => {
                // Reported once; the stream then ends and the receiver reconnects.
                failed = true;
                Some(Err(format!("Error receiving data: {e}")))
            }
        }
    }))
}

impl StreamingContext {
    /// Lines of UTF-8 text read from a TCP connection to `host:port`.
    pub fn socket_text_stream(&self, host: &str, port: u16) -> DStream<String> {
        self.socket_stream(host, port, lines)
    }

    /// Records decoded by `decoder` from a TCP connection to `host:port`.
    pub fn socket_stream<T: Data>(
        &self,
        host: &str,
        port: u16,
        decoder: impl Fn(Box<dyn BufRead + Send>) -> Box<dyn Iterator<Item = Result<T, String>> + Send>
            + Send
            + Sync
            + 'static,
    ) -> DStream<T> {
        self.receiver_stream(SocketReceiver {
            host: host.to_string(),
            port,
            decoder: Arc::new(decoder),
            socket: Arc::default(),
        })
    }
}
