//! A minimal Lambda Runtime API on loopback: enough of
//! <https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html> for `lambda_runtime` (next
//! invocation, response, invocation error, init error), over plain HTTP/1.1 with keep-alive.
//!
//! Every connection has its own thread; the driver sees the requests as timestamped messages, so
//! it can time a process from its start to its first `next` and an invocation from the moment its
//! event was written to the moment its whole response was read.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant};

const PREFIX: &str = "/2018-06-01/runtime";

/// What the function asked or told the Runtime API.
pub enum Msg {
    /// `GET .../invocation/next`: the connection waits for an event on `reply`.
    Next { at: Instant, reply: Sender<Event> },
    /// The event `id` was written to the function at `at`.
    Delivered { id: String, at: Instant },
    /// `POST .../invocation/{id}/response` (`ok`) or `.../{id}/error`, read in full at `at`.
    Done {
        id: String,
        ok: bool,
        body: Vec<u8>,
        at: Instant,
    },
    /// `POST .../init/error`.
    InitError { body: Vec<u8> },
}

pub struct Event {
    pub id: String,
    pub body: Vec<u8>,
}

pub struct RuntimeApi {
    pub addr: String,
    pub rx: Receiver<Msg>,
}

impl RuntimeApi {
    pub fn bind(port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?.to_string();
        let (tx, rx) = channel();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let tx = tx.clone();
                thread::spawn(move || {
                    let _ = serve(stream, tx);
                });
            }
        });
        Ok(Self { addr, rx })
    }

    /// The next message, or `None` after `timeout`.
    pub fn recv(&self, timeout: Duration) -> Option<Msg> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// Drops messages left over from a previous process.
    pub fn drain(&self) {
        while self.rx.try_recv().is_ok() {}
    }
}

struct Request {
    method: String,
    path: String,
    body: Vec<u8>,
}

fn serve(stream: TcpStream, tx: Sender<Msg>) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader)? {
        let at = Instant::now();
        let path = request.path.strip_prefix(PREFIX).unwrap_or(&request.path);
        if request.method == "GET" && path == "/invocation/next" {
            let (reply, events) = channel();
            if tx.send(Msg::Next { at, reply }).is_err() {
                return Ok(());
            }
            let Ok(event) = events.recv() else {
                return Ok(());
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                 lambda-runtime-aws-request-id: {id}\r\n\
                 lambda-runtime-deadline-ms: {deadline}\r\n\
                 lambda-runtime-invoked-function-arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\n\
                 lambda-runtime-trace-id: Root=1-00000000-000000000000000000000000;Parent=53995c3f42cd8ad8;Sampled=1\r\n\
                 content-length: {len}\r\n\r\n",
                id = event.id,
                deadline = deadline_ms(),
                len = event.body.len()
            );
            let mut bytes = head.into_bytes();
            bytes.extend_from_slice(&event.body);
            writer.write_all(&bytes)?;
            let _ = tx.send(Msg::Delivered {
                id: event.id,
                at: Instant::now(),
            });
            continue;
        }
        let msg = if request.method == "POST" && path == "/init/error" {
            Some(Msg::InitError { body: request.body })
        } else if let Some(rest) = path.strip_prefix("/invocation/") {
            match rest.rsplit_once('/') {
                Some((id, "response")) => Some(Msg::Done {
                    id: id.to_string(),
                    ok: true,
                    body: request.body,
                    at,
                }),
                Some((id, "error")) => Some(Msg::Done {
                    id: id.to_string(),
                    ok: false,
                    body: request.body,
                    at,
                }),
                _ => None,
            }
        } else {
            None
        };
        let status = if msg.is_some() {
            "202 Accepted"
        } else {
            "404 Not Found"
        };
        writer.write_all(
            format!("HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{{}}")
                .as_bytes(),
        )?;
        if let Some(msg) = msg {
            if tx.send(msg).is_err() {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn deadline_ms() -> u128 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now + Duration::from_secs(30)).as_millis()
}

/// One HTTP/1.1 request (Content-Length or chunked body), `None` at the end of the connection.
fn read_request(reader: &mut impl BufRead) -> std::io::Result<Option<Request>> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Ok(None);
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let path = parts.next().unwrap_or_default().to_string();
    let mut length = 0usize;
    let mut chunked = false;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse().unwrap_or(0);
            } else if name.eq_ignore_ascii_case("transfer-encoding")
                && value.eq_ignore_ascii_case("chunked")
            {
                chunked = true;
            }
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..])?;
            line.clear();
            reader.read_line(&mut line)?; // the CRLF after the chunk (or the trailer's end)
            if size == 0 {
                break;
            }
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body)?;
    }
    Ok(Some(Request { method, path, body }))
}
