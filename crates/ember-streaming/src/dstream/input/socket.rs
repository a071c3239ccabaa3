//! Socket streams: a receiver that connects to `host:port` and decodes what it reads (Spark's
//! `SocketInputDStream`). When the server goes away, refuses, or does not answer within
//! [`CONNECT_TIMEOUT`], the receiver restarts after `spark.streaming.receiverRestartDelay` and
//! reconnects; input it cannot decode is reported and counted (`receiver_infos`), never fatal.
//!
//! Like Spark's, the socket receiver is unreliable: nothing is acknowledged to the server, so
//! what the server sends while the receiver is disconnected, and records not yet cut into a
//! block when the process dies, are lost.

use crate::receiver::{Receiver, ReceiverContext};
use crate::{DStream, StreamingContext};
use ember_core::Data;
use parking_lot::Mutex;
use std::io::{self, BufRead, BufReader, Read};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

/// Turns a connection's bytes into records; an `Err` is one undecodable item, reported and skipped.
pub type Decoder<T> =
    dyn Fn(Box<dyn BufRead + Send>) -> Box<dyn Iterator<Item = Result<T, String>> + Send> + Send + Sync;

/// How long one connect attempt may take. Without a limit a host that drops the SYNs holds the
/// receiver's thread for the system's limit (minutes), and a stopped receiver with it; past it,
/// the attempt fails like a refused one and is retried after the restart delay.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// `socket_text_stream`'s cap on a line's length, its `\r\n` not counted: a longer line is
/// skipped, so a peer that never sends a newline cannot fill the memory.
const MAX_LINE_KEY: &str = "ember.streaming.socket.maxLineBytes";
const DEFAULT_MAX_LINE_BYTES: u64 = 1 << 20;

/// The socket of one start of the receiver, shared by the thread that connects and `on_stop`.
/// Each `on_start` makes a new one, so a thread only ever publishes or closes its own socket,
/// never that of a later start.
#[derive(Default)]
enum Connection {
    #[default]
    Connecting,
    Open(TcpStream),
    /// `on_stop` came: a socket connected from now on is closed at once.
    Closed,
}

impl Connection {
    /// Publishes `stream` so `on_stop` can close it; false (and `stream` closed) if it came
    /// too late.
    fn open(&mut self, stream: TcpStream) -> bool {
        if matches!(self, Connection::Closed) {
            let _ = stream.shutdown(Shutdown::Both);
            return false;
        }
        *self = Connection::Open(stream);
        true
    }

    /// Closes the socket, if connected, and any connected later. Shutting it down also ends a
    /// read blocked on it in the receiving thread.
    fn close(&mut self) {
        if let Connection::Open(stream) = std::mem::replace(self, Connection::Closed) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }
}

struct SocketReceiver<T> {
    host: String,
    port: u16,
    decoder: Arc<Decoder<T>>,
    /// The current start's connection.
    connection: Arc<Mutex<Connection>>,
}

/// Connects to the first address of `host:port` that answers within [`CONNECT_TIMEOUT`].
fn connect(host: &str, port: u16) -> io::Result<TcpStream> {
    let mut failure = io::Error::new(io::ErrorKind::InvalidInput, "could not resolve to any addresses");
    for address in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&address, CONNECT_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => failure = e,
        }
    }
    Err(failure)
}

impl<T: Data> Receiver<T> for SocketReceiver<T> {
    fn on_start(&mut self, ctx: ReceiverContext<T>) {
        self.connection = Arc::default();
        let (host, port, decoder, connection) =
            (self.host.clone(), self.port, self.decoder.clone(), self.connection.clone());
        std::thread::Builder::new()
            .name("Socket Receiver".into())
            .spawn(move || {
                let stream = match connect(&host, port) {
                    Ok(s) => s,
                    Err(e) => return ctx.restart(&format!("Error connecting to {host}:{port}: {e}")),
                };
                let reader = match stream.try_clone() {
                    Ok(r) => r,
                    Err(e) => return ctx.restart(&format!("Error receiving data: {e}")),
                };
                if !connection.lock().open(stream) {
                    return; // stopped while connecting
                }
                tracing::info!("Connected to {host}:{port}");
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
        self.connection.lock().close();
    }
}

/// Lines of UTF-8 text ending in `\n` (a trailing `\r` is dropped, as Java's `readLine` does).
/// A line longer than `max_line` bytes is reported and skipped: at most `max_line + 2` bytes of
/// it are held, the rest is read and dropped up to its newline.
fn lines(input: Box<dyn BufRead + Send>, max_line: usize) -> Box<dyn Iterator<Item = Result<String, String>> + Send> {
    let mut input = input;
    let (mut line_no, mut failed) = (0u64, false);
    // Room for the longest line kept and its "\r\n".
    let limit = max_line.saturating_add(2) as u64;
    // Lines are read into one reused buffer and copied out at their exact length: a fresh
    // buffer per line would grow by doubling (several reallocations each) and keep up to half
    // of its capacity unused for as long as the line is held in a block.
    let mut buf = Vec::with_capacity(256);
    Box::new(std::iter::from_fn(move || {
        if failed {
            return None;
        }
        buf.clear();
        let read = input.by_ref().take(limit).read_until(b'\n', &mut buf).and_then(|n| {
            if n as u64 == limit && buf.last() != Some(&b'\n') {
                input.skip_until(b'\n')?; // the rest of an over-long line
            }
            Ok(n)
        });
        match read {
            Ok(0) => None,
            Ok(_) => {
                line_no += 1;
                let mut line = &buf[..];
                line = line.strip_suffix(b"\n").unwrap_or(line);
                line = line.strip_suffix(b"\r").unwrap_or(line);
                Some(if line.len() > max_line {
                    Err(format!("Skipped line {line_no}: longer than {MAX_LINE_KEY} ({max_line} bytes)"))
                } else {
                    std::str::from_utf8(line)
                        .map(str::to_owned)
                        .map_err(|e| format!("Skipped line {line_no}: malformed UTF-8 at byte {}", e.valid_up_to()))
                })
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
    /// Lines of UTF-8 text read from a TCP connection to `host:port`; a line longer than
    /// `ember.streaming.socket.maxLineBytes` (1 MB) is reported and skipped.
    pub fn socket_text_stream(&self, host: &str, port: u16) -> DStream<String> {
        let max_line = self.max_line_bytes();
        self.socket_stream(host, port, move |input| lines(input, max_line))
    }

    /// `ember.streaming.socket.maxLineBytes`. Zero or a value that does not parse makes start
    /// fail; the default stands in until then.
    fn max_line_bytes(&self) -> usize {
        let read = self.spark_context().conf().get_bytes(MAX_LINE_KEY, DEFAULT_MAX_LINE_BYTES).map(Some);
        let bytes = self.positive_conf(MAX_LINE_KEY, read, |n| *n == 0, DEFAULT_MAX_LINE_BYTES);
        usize::try_from(bytes).unwrap_or(usize::MAX)
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
            connection: Arc::default(),
        })
    }
}
