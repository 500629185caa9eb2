//! Real sockets on 127.0.0.1: an HTTP server and `#[inline_callbacks]` clients on the tokio
//! loop. Every test runs under an overall timeout on the real clock, so a hang fails the
//! test instead of stalling the suite.
#![cfg(feature = "tokio")]

use std::convert::Infallible;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use deferreds::{
    add_timeout, gather_results, inline_callbacks, react, spawn_deferred, CancelledError, Deferred,
    Failure, TimeoutError, TokioClock,
};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// How long any one test may take before it counts as hung.
const HANG: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
#[error("cannot connect: {0}")]
struct ConnectionError(std::io::Error);

/// What the server has seen, shared with the test (the server runs in `Send` tasks).
#[derive(Default)]
struct ServerLog {
    /// Requests that reached a handler.
    received: AtomicUsize,
    /// Requests whose handler was dropped before answering (the client went away).
    abandoned: AtomicUsize,
    /// Requests answered.
    answered: AtomicUsize,
}

/// Counts a handler dropped before it answered.
struct AbandonGuard(Arc<ServerLog>, bool);

impl Drop for AbandonGuard {
    fn drop(&mut self) {
        if !self.1 {
            self.0.abandoned.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// Starts a server on an ephemeral loopback port. `/echo/<text>` answers `<text>`,
/// `/stall` never answers, anything else is a 404 with an empty body.
fn start_server() -> (SocketAddr, Arc<ServerLog>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let address = listener.local_addr().unwrap();
    let log = Arc::new(ServerLog::default());
    let listener = TcpListener::from_std(listener).unwrap();
    let server_log = log.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let log = server_log.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request: Request<Incoming>| {
                    log.received.fetch_add(1, Ordering::SeqCst);
                    let mut guard = AbandonGuard(log.clone(), false);
                    async move {
                        let path = request.uri().path().to_string();
                        if path == "/stall" {
                            std::future::pending::<()>().await;
                        }
                        guard.1 = true;
                        guard.0.answered.fetch_add(1, Ordering::SeqCst);
                        let mut response = Response::new(Full::new(Bytes::new()));
                        match path.strip_prefix("/echo/") {
                            Some(text) => {
                                *response.body_mut() = Full::new(Bytes::from(text.to_string()))
                            }
                            None => *response.status_mut() = hyper::StatusCode::NOT_FOUND,
                        }
                        Ok::<_, Infallible>(response)
                    }
                });
                let http = hyper::server::conn::http1::Builder::new();
                let _ = http.serve_connection(TokioIo::new(stream), service).await;
            });
        }
    });
    (address, log)
}

/// GET `path`; the Deferred fires with the status and body. Cancelling it drops the
/// connection.
fn get(address: SocketAddr, path: String) -> Deferred<(u16, String)> {
    spawn_deferred(async move {
        let stream = TcpStream::connect(address).await.map_err(ConnectionError)?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let request = Request::get(path)
            .header("host", "localhost")
            .body(Empty::<Bytes>::new())?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, String::from_utf8_lossy(&body).into_owned()))
    })
}

/// Runs `main` under `react`, failing with `TimeoutError` if it takes longer than `HANG`.
fn bounded<T: 'static>(main: impl FnOnce(TokioClock) -> Deferred<T>) -> Result<T, Failure> {
    react(|| {
        let clock = TokioClock::new();
        add_timeout(main(clock.clone()), HANG, &clock)
    })
}

/// An inline client that fetches `/echo/<word>` and checks the status.
#[inline_callbacks]
fn echo(address: SocketAddr, word: String) -> Result<String, Failure> {
    let (status, body) = yield_!(get(address, format!("/echo/{word}")))?;
    if status != 200 {
        return Err(Failure::msg(format!("status {status}")));
    }
    Ok(body)
}

/// A request round trip through a real socket, from an inline-callbacks client.
#[test]
fn an_inline_client_gets_an_answer() {
    let body = bounded(|_| {
        let (address, _) = start_server();
        echo(address, "hello".into())
    })
    .unwrap();
    assert_eq!(body, "hello");
}

/// A 404 is an answer, not a connection error: the client's own check turns it into a
/// failure with the status.
#[test]
fn an_error_status_becomes_the_clients_failure() {
    let failure = bounded(|_| {
        let (address, _) = start_server();
        #[inline_callbacks]
        fn missing(address: SocketAddr) -> Result<String, Failure> {
            let (status, body) = yield_!(get(address, "/missing".into()))?;
            match status {
                200 => Ok(body),
                other => Err(Failure::msg(format!("status {other}"))),
            }
        }
        missing(address)
    })
    .unwrap_err();
    assert_eq!(failure.error_message(), "status 404");
}

/// Nothing listening: the failure is the connection error, and the seed's `except
/// ConnectionError` branch recovers from it.
#[test]
fn a_closed_port_gives_a_connection_error() {
    #[inline_callbacks]
    fn users_or_none(address: SocketAddr) -> Result<Vec<String>, Failure> {
        match yield_!(get(address, "/echo/alice".into())) {
            Ok((_, body)) => Ok(vec![body]),
            Err(failure) if failure.check::<ConnectionError>() => Ok(vec![]),
            Err(failure) => Err(failure),
        }
    }
    let nowhere = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let raw = bounded(move |_| get(nowhere, "/".into())).unwrap_err();
    let handled = bounded(move |_| users_or_none(nowhere)).unwrap();
    assert!(raw.check::<ConnectionError>(), "{raw}");
    assert!(handled.is_empty());
}

/// A stalled server meets a timeout on the real clock: the request fails with
/// `TimeoutError`, and the server sees its client go away while the loop still runs (the
/// end of the loop would drop the server's handlers whatever the client did).
#[test]
fn a_stalled_server_times_out_and_the_request_is_dropped() {
    let (failure, answered) = bounded(|clock| {
        let (address, log) = start_server();
        let request = get(address, "/stall".into());
        // The timeout starts once the server has the request, so it surely drops a handler.
        let timing = clock.clone();
        server_has_the_request(clock.clone(), log.clone())
            .add_callback(move |()| add_timeout(request, Duration::from_millis(50), &timing))
            .add_both(move |result| {
                let failure = result.err();
                server_sees_its_client_go(clock, log)
                    .add_callback(move |log| Ok((failure, log.answered.load(Ordering::SeqCst))))
            })
    })
    .unwrap();
    let failure = failure.expect("the stalled request should fail");
    assert!(failure.check::<TimeoutError>(), "{failure}");
    assert_eq!(answered, 0);
}

/// Fires once the server's handler has the request.
fn server_has_the_request(clock: TokioClock, log: Arc<ServerLog>) -> Deferred<()> {
    wait_for(clock, move || log.received.load(Ordering::SeqCst) == 1)
}

/// Fires once the server has dropped exactly one handler unanswered. The handler goes when
/// the server notices the closed connection; if it never does, the test's overall bound
/// fails it.
fn server_sees_its_client_go(clock: TokioClock, log: Arc<ServerLog>) -> Deferred<Arc<ServerLog>> {
    let watched = log.clone();
    wait_for(clock, move || watched.abandoned.load(Ordering::SeqCst) == 1)
        .add_callback(move |()| Ok(log))
}

/// Polls `condition` every few milliseconds on `clock` until it holds.
#[inline_callbacks]
fn wait_for(clock: TokioClock, condition: impl Fn() -> bool + 'static) -> Result<(), Failure> {
    while !condition() {
        yield_!(deferreds::defer_later(
            &clock,
            Duration::from_millis(5),
            || Ok(())
        ))?;
    }
    Ok(())
}

/// Cancelling a request in flight fails it with `CancelledError` and closes its connection:
/// the server sees its client go away while the loop still runs.
#[test]
fn a_cancelled_request_fails_and_lets_go_of_the_server() {
    let failure = bounded(|clock| {
        let (address, log) = start_server();
        let mut request = get(address, "/stall".into());
        let controller = request.controller();
        // Cancelled once the server has the request, so it surely drops a handler.
        drop(
            server_has_the_request(clock.clone(), log.clone()).add_callback(move |()| {
                controller.cancel();
                Ok(())
            }),
        );
        request.add_both(move |result| {
            let failure = result.err();
            server_sees_its_client_go(clock, log).add_callback(move |_| Ok(failure))
        })
    })
    .unwrap();
    let failure = failure.expect("the cancelled request should fail");
    assert!(failure.check::<CancelledError>(), "{failure}");
}

/// Cancelling an inline client while it waits on its request cancels the request; the
/// client sees `CancelledError` at its `yield_!` and may answer for itself.
#[test]
fn cancelling_an_inline_client_cancels_its_request() {
    #[inline_callbacks]
    fn patient(address: SocketAddr) -> Result<&'static str, Failure> {
        match yield_!(get(address, "/stall".into())) {
            Ok(_) => Ok("answered"),
            Err(failure) if failure.check::<CancelledError>() => Ok("gave up politely"),
            Err(failure) => Err(failure),
        }
    }
    let outcome = bounded(|clock| {
        let (address, _) = start_server();
        let mut client = patient(address);
        let controller = client.controller();
        clock.call_later(Duration::from_millis(30), move || controller.cancel());
        client
    })
    .unwrap();
    assert_eq!(outcome, "gave up politely");
}

/// 1,000 inline clients at once, gathered: every answer arrives, each to its own client.
#[test]
fn a_thousand_concurrent_requests_gathered() {
    let (bodies, log) = bounded(|_| {
        let (address, log) = start_server();
        let clients = (0..1000).map(|i| echo(address, format!("client{i}")));
        gather_results(clients).add_callback(move |bodies| Ok((bodies, log)))
    })
    .unwrap();
    let expected: Vec<String> = (0..1000).map(|i| format!("client{i}")).collect();
    assert_eq!(bodies, expected);
    assert_eq!(log.answered.load(Ordering::SeqCst), 1000);
}

/// The clients of one loop share its thread: results land there, in whatever order the
/// network gives, and an `Rc` (which cannot leave the thread) sees them all.
#[test]
fn answers_land_on_the_loop_thread() {
    let loop_thread = std::thread::current().id();
    let seen = bounded(move |_| {
        let (address, _) = start_server();
        let seen = Rc::new(std::cell::RefCell::new(Vec::new()));
        let clients = (0..20).map(|i| {
            let seen = seen.clone();
            echo(address, i.to_string()).add_callback(move |body| {
                assert_eq!(std::thread::current().id(), loop_thread);
                seen.borrow_mut().push(body);
                Ok(())
            })
        });
        gather_results(clients).add_callback(move |_| Ok(seen.take()))
    })
    .unwrap();
    let mut seen: Vec<u32> = seen.iter().map(|s| s.parse().unwrap()).collect();
    seen.sort_unstable();
    assert_eq!(seen, (0..20).collect::<Vec<_>>());
}

/// The overall bound itself works: a Deferred that never fires ends in `TimeoutError`
/// rather than hanging the test.
#[test]
fn the_hang_guard_fires() {
    let failure = react(|| {
        let clock = TokioClock::new();
        // Kept until the end, so the Deferred is waiting, not abandoned.
        let (never, resolver) = Deferred::<()>::new();
        add_timeout(never, Duration::from_millis(20), &clock).add_both(move |result| {
            drop(resolver);
            result
        })
    })
    .unwrap_err();
    assert!(failure.check::<TimeoutError>());
}
