//! The seed's `getUsers`, for real: an HTTP server on 127.0.0.1 serves a JSON list of users,
//! and two clients fetch it, one written with callbacks and one with `#[inline_callbacks]`.
//! Then both ask a port where nothing listens, to show the connection-error branch, and a
//! third request meets a server that never answers, under a timeout on the real clock.
//!
//! Run it with `cargo run --example get_users`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use deferreds::{
    add_timeout, inline_callbacks, react, spawn_deferred, Clock, Deferred, Failure, TimeoutError,
    TokioClock,
};
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

/// What the seed calls `ConnectionError`: nobody answered at that address.
#[derive(Debug, thiserror::Error)]
#[error("cannot connect to {address}: {source}")]
struct ConnectionError {
    address: SocketAddr,
    source: std::io::Error,
}

/// `makeRequest(method, path)`: one HTTP/1.1 request, whose Deferred fires with the body.
///
/// The request runs as a tokio task; its Deferred fires back on this thread. Cancelling the
/// Deferred aborts the task, which closes the connection.
fn make_request(address: SocketAddr, method: &'static str, path: &'static str) -> Deferred<String> {
    spawn_deferred(async move {
        let stream = TcpStream::connect(address)
            .await
            .map_err(|source| ConnectionError { address, source })?;
        let (mut sender, connection) =
            hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(connection);
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header("host", address.to_string())
            .body(Empty::<Bytes>::new())?;
        let response = sender.send_request(request).await?;
        let body = response.into_body().collect().await?.to_bytes();
        Ok(String::from_utf8_lossy(&body).into_owned())
    })
}

/// The callback version: `d.addCallbacks(json.loads, connectionError)`.
fn get_users_with_callbacks(address: SocketAddr) -> Deferred<Vec<String>> {
    make_request(address, "GET", "/users").add_callbacks(
        |body| Ok(serde_json::from_str::<Vec<String>>(&body)?),
        |failure| {
            failure.trap::<ConnectionError>()?; // any other failure goes on
            println!("  makeRequest failed due to connection error: {failure}");
            Ok(vec![])
        },
    )
}

/// The inline version: try / except ConnectionError, written as a `match`.
#[inline_callbacks]
fn get_users(address: SocketAddr) -> Result<Vec<String>, Failure> {
    let body = match yield_!(make_request(address, "GET", "/users")) {
        Ok(body) => body,
        Err(failure) if failure.check::<ConnectionError>() => {
            println!("  makeRequest failed due to connection error: {failure}");
            return Ok(vec![]);
        }
        Err(failure) => return Err(failure),
    };
    Ok(serde_json::from_str(&body)?)
}

/// The server: `/users` answers with a JSON list; `/stall` never answers.
async fn serve(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let service = hyper::service::service_fn(|request: Request<Incoming>| async move {
                if request.uri().path() == "/stall" {
                    std::future::pending::<()>().await;
                }
                let users = serde_json::json!(["alice", "bob", "carol"]).to_string();
                Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(users))))
            });
            let connection = hyper::server::conn::http1::Builder::new();
            let _ = connection
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// An address on loopback where nothing listens: a port the system gave, then closed.
fn closed_port() -> std::io::Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()
}

#[inline_callbacks]
fn demo() -> Result<(), Failure> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let server = listener.local_addr()?;
    tokio::spawn(serve(TcpListener::from_std(listener)?));
    println!("serving users at http://{server}/users");

    println!("\ninline callbacks, server up:");
    println!("  users: {:?}", yield_!(get_users(server))?);
    println!("callbacks, server up:");
    println!("  users: {:?}", yield_!(get_users_with_callbacks(server))?);

    let nowhere = closed_port()?;
    println!("\ninline callbacks, nothing listening at {nowhere}:");
    println!("  users: {:?}", yield_!(get_users(nowhere))?);
    println!("callbacks, nothing listening at {nowhere}:");
    println!("  users: {:?}", yield_!(get_users_with_callbacks(nowhere))?);

    println!("\na server that never answers, with a 200 ms timeout:");
    let clock = TokioClock::new();
    let stalled = make_request(server, "GET", "/stall");
    match yield_!(add_timeout(stalled, Duration::from_millis(200), &clock)) {
        Ok(body) => println!("  unexpected answer: {body}"),
        Err(failure) if failure.check::<TimeoutError>() => {
            println!("  gave up after {:?}: {failure}", clock.seconds());
        }
        Err(failure) => return Err(failure),
    }
    Ok(())
}

fn main() -> Result<(), Failure> {
    react(demo)
}
