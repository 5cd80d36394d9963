//! What every request passes before it is answered, and what every answer carries: the token
//! when the dashboard listens beyond loopback, a Host check against DNS rebinding when it
//! does not, and headers that keep a page from running or loading anything not its own.

use std::io::Read;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::Shared;

/// The cookie a browser keeps the token in after its first visit with `?token=`.
const COOKIE: &str = "sweep_ui_token";

/// Only this server's own scripts, styles, images and JSON; nothing from anywhere else, no
/// inline script, no frames.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// The served report (`/sweeps/NAME/report`) is the offline file, whose script and style are
/// inline: allowed for that page, and still nothing from elsewhere.
pub const REPORT_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
    style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; \
    frame-ancestors 'none'";

/// A random token: 128 bits from the system's generator, as hex.
pub fn new_token() -> std::io::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Let a request through, or answer it 401 (no or wrong token) or 421 (a Host that is not
/// this loopback server's); then set the security headers on the answer.
pub async fn check(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let mut set_cookie = None;
    match &shared.token {
        Some(token) => {
            if cookie_token(&request).is_some_and(|t| same(&t, token)) {
            } else if query_token(&request).is_some_and(|t| same(&t, token)) {
                set_cookie = Some(format!(
                    "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
                ));
            } else {
                return secured(
                    (
                        StatusCode::UNAUTHORIZED,
                        "this dashboard needs the token that `sweep ui` printed when it \
                         started: open the address it printed\n",
                    )
                        .into_response(),
                    POLICY,
                );
            }
        }
        None => {
            if !loopback_host(&request, shared.address.port()) {
                return secured(
                    (
                        StatusCode::MISDIRECTED_REQUEST,
                        "this dashboard answers only to localhost, 127.0.0.1 and [::1]\n",
                    )
                        .into_response(),
                    POLICY,
                );
            }
        }
    }
    let mut response = next.run(request).await;
    if let Some(cookie) = set_cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    secured(response, POLICY)
}

/// `response` with the content security policy `policy` (unless its handler chose one) and
/// the headers that go with it.
fn secured(mut response: Response, policy: &'static str) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(policy));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Whether two tokens are equal, in time that does not depend on where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn cookie_token(request: &Request) -> Option<String> {
    request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(str::to_string)
        })
}

fn query_token(request: &Request) -> Option<String> {
    request
        .uri()
        .query()?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token=").map(str::to_string))
}

/// Whether the request's Host is this server by a loopback name: a page of another site
/// whose name was made to resolve to 127.0.0.1 (DNS rebinding) carries its own name.
fn loopback_host(request: &Request, port: u16) -> bool {
    let Some(host) = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
    else {
        return false;
    };
    ["localhost", "127.0.0.1", "[::1]"]
        .iter()
        .any(|name| host == *name || host == format!("{name}:{port}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_compared_whole() {
        let a = new_token().expect("a token");
        let b = new_token().expect("a token");
        assert_eq!(a.len(), 32);
        assert!(a.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same(&a, &a[..31]));
    }
}
