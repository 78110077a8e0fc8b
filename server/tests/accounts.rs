//! Accounts over HTTP against the real server.

mod common;

use common::TestApp;

#[tokio::test]
async fn registering_logs_in_and_grants_1000_credits() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let ws = app.ws(Some(&token)).await;
    assert_eq!(ws.welcome["player"]["username"], "alice");
    assert_eq!(ws.welcome["balance"], 100_000);
}

#[tokio::test]
async fn the_same_username_cannot_register_twice_in_any_case() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let (status, body, token) = app.auth("register", "ALICE", "password1").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("username_taken"))
    );
    assert!(token.is_none());
}

#[tokio::test]
async fn bad_usernames_and_passwords_are_refused_and_create_nothing() {
    let app = TestApp::spawn().await;
    for (username, password, code) in [
        ("ab", "password1", "invalid_username"),
        (
            "robert'); DROP TABLE users;--",
            "password1",
            "invalid_username",
        ),
        ("<script>x</script>", "password1", "invalid_username"),
        ("good_name", "short", "weak_password"),
    ] {
        let (status, body, token) = app.auth("register", username, password).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some(code)),
            "{username}"
        );
        assert!(token.is_none());
    }
    let users: i64 = sqlx_count(&app, "SELECT COUNT(*) FROM users").await;
    assert_eq!(users, 0);
}

async fn sqlx_count(app: &TestApp, sql: &str) -> i64 {
    use sqlx::Row;
    sqlx::query(sql)
        .fetch_one(app.running.engine.store().pool())
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let wrong = app.auth("login", "alice", "not-the-password").await;
    let unknown = app.auth("login", "nobody", "not-the-password").await;
    assert_eq!(wrong.0, 401);
    assert_eq!((wrong.0, &wrong.1), (unknown.0, &unknown.1));
    assert!(wrong.2.is_none() && unknown.2.is_none());
}

#[tokio::test]
async fn each_login_gets_a_new_token_and_logout_ends_the_session() {
    let app = TestApp::spawn().await;
    let first = app.register("alice").await;
    let (status, _, second) = app.auth("login", "alice", "password1").await;
    assert_eq!(status, 200);
    let second = second.unwrap();
    assert_ne!(first, second);

    let mut ws = app.ws(Some(&second)).await;
    let response = app
        .http()
        .post(app.url("/auth/logout"))
        .header("cookie", format!("zl_session={second}"))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(ws.closed().await, Some(4001));
    // The token no longer identifies anyone.
    let ws = app.ws(Some(&second)).await;
    assert!(ws.welcome["player"].is_null());
}

#[tokio::test]
async fn repeated_wrong_passwords_from_one_ip_are_throttled() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(app.auth("login", "alice", "guess-guess").await.0);
    }
    assert_eq!(&statuses[..5], &[401; 5]);
    assert_eq!(statuses[6], 429);
}

#[tokio::test]
async fn a_cross_origin_form_post_is_refused() {
    let app = TestApp::spawn().await;
    let response = app
        .http()
        .post(app.url("/auth/register"))
        .header("origin", "http://evil.example")
        .form(&[("username", "mallory"), ("password", "password1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(sqlx_count(&app, "SELECT COUNT(*) FROM users").await, 0);
}

#[tokio::test]
async fn form_posts_redirect_with_an_error_code_for_browsers() {
    let app = TestApp::spawn().await;
    let response = app
        .http()
        .post(app.url("/auth/login"))
        .form(&[("username", "nobody"), ("password", "password1")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(
        response.headers()["location"],
        "/login?error=invalid_credentials"
    );
}

#[tokio::test]
async fn pages_render_on_the_server_with_the_players_balance() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let page = app
        .http()
        .get(app.url("/dice"))
        .header("cookie", format!("zl_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("1,000.00"), "balance rendered");
    assert!(html.contains("alice"));
    let missing = app
        .http()
        .get(app.url("/no-such-page"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// How long one page may take while other servers start before the test calls it stalled.
const PAGE_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Starting a server works out the app's routes by rendering it with resource loading switched
/// off process-wide; a page rendering meanwhile on another server must still finish.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_keep_rendering_while_other_servers_start_in_the_same_process() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let starting = tokio::spawn(async {
        for _ in 0..8 {
            drop(TestApp::spawn().await);
        }
    });
    let mut pages = 0;
    while !starting.is_finished() || pages == 0 {
        let page = app
            .http()
            .get(app.url("/dice"))
            .header("cookie", format!("zl_session={token}"))
            .send();
        let page = tokio::time::timeout(PAGE_WAIT, page)
            .await
            .expect("the page rendered while servers started")
            .unwrap();
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("1,000.00"));
        pages += 1;
    }
    starting.await.unwrap();
}

#[tokio::test]
async fn auth_requests_over_4_kib_are_refused_with_413_and_do_nothing() {
    let app = TestApp::spawn().await;
    let token = app.register("alice").await;
    let padding = "x".repeat(8 * 1024);
    let post = |path: &str, fields: Vec<(&str, &str)>, cookie: Option<&str>| {
        let mut request = app
            .http()
            .post(app.url(path))
            .header("accept", "application/json")
            .form(&fields);
        if let Some(token) = cookie {
            request = request.header("cookie", format!("zl_session={token}"));
        }
        request.send()
    };
    // Valid credentials, padded: refused for the size alone.
    let login = post(
        "/auth/login",
        vec![
            ("username", "alice"),
            ("password", "password1"),
            ("pad", &padding),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(login.status(), 413);
    assert!(login.headers().get("set-cookie").is_none());
    let register = post(
        "/auth/register",
        vec![
            ("username", "bob"),
            ("password", "password1"),
            ("pad", &padding),
        ],
        None,
    )
    .await
    .unwrap();
    assert_eq!(register.status(), 413);
    let logout = post("/auth/logout", vec![("pad", &padding)], Some(&token))
        .await
        .unwrap();
    assert_eq!(logout.status(), 413);

    assert_eq!(sqlx_count(&app, "SELECT COUNT(*) FROM users").await, 1);
    assert_eq!(sqlx_count(&app, "SELECT COUNT(*) FROM sessions").await, 1);
    let ws = app.ws(Some(&token)).await;
    assert_eq!(ws.welcome["player"]["username"], "alice");
}

#[tokio::test]
async fn server_functions_that_need_a_session_answer_a_visitor_with_401_and_a_typed_error() {
    use app::api::{AppError, GetHistory, GetVerifiableBets};
    use leptos::server_fn::ServerFn;
    let app = TestApp::spawn().await;
    let call = |path: &str, token: Option<&str>| {
        let mut request = app
            .http()
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(token) = token {
            request = request.header("cookie", format!("zl_session={token}"));
        }
        request.send()
    };
    for path in [GetHistory::PATH, GetVerifiableBets::PATH] {
        let response = call(path, None).await.unwrap();
        assert_eq!(response.status(), 401, "{path}");
        let error: AppError = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_eq!(error, AppError::Unauthorized);
    }
    let token = app.register("alice").await;
    assert_eq!(
        call(GetHistory::PATH, Some(&token)).await.unwrap().status(),
        200
    );

    // Rendered on the server, the page itself is fine: it asks the visitor to log in.
    let page = app.http().get(app.url("/me")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("to see your bets."));
}

#[tokio::test]
async fn pages_and_assets_are_revalidated_on_every_use_and_assets_served_precompressed() {
    let app = TestApp::spawn().await;
    let pkg = app.site_root().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("zerolag.js"), "export default 1;").unwrap();
    // What the release build writes beside each file (any bytes will do for the test).
    std::fs::write(pkg.join("zerolag.js.gz"), b"precompressed").unwrap();
    let http = app.http();
    let page = http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let asset = http
        .get(app.url("/pkg/zerolag.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(asset.status(), 200);
    assert_eq!(asset.headers()["cache-control"], "no-cache");
    assert_eq!(asset.headers()["content-encoding"], "gzip");
    let modified = asset.headers()["last-modified"].clone();
    let body = asset.bytes().await.unwrap();
    assert_eq!(
        &body[..],
        b"precompressed",
        "the build's file, not one compressed per request"
    );
    let again = http
        .get(app.url("/pkg/zerolag.js"))
        .header("if-modified-since", modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304, "an unchanged asset costs a 304");
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_whose_nonce_only_their_own_script_has() {
    let app = TestApp::spawn().await;
    let mut nonces = Vec::new();
    for path in ["/", "/dice", "/login"] {
        let page = app.http().get(app.url(path)).send().await.unwrap();
        assert_eq!(page.headers()["x-content-type-options"], "nosniff");
        assert_eq!(page.headers()["x-frame-options"], "DENY");
        let policy = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
        let nonce = policy
            .split("'nonce-")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("a nonce in the policy")
            .to_owned();
        let html = page.text().await.unwrap();
        assert_eq!(
            html.matches("<script").count(),
            html.matches(&format!("nonce=\"{nonce}\"")).count(),
            "every inline script carries the nonce: {html}"
        );
        nonces.push(nonce);
    }
    nonces.dedup();
    assert_eq!(nonces.len(), 3, "a new nonce for every response");
}

fn set_cookies(response: &reqwest::Response) -> Vec<String> {
    let values = response.headers().get_all("set-cookie").iter();
    values.map(|v| v.to_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn over_https_the_session_cookie_is_a_host_only_secure_cookie_that_signs_in_and_logs_out() {
    let app = TestApp::spawn_secure().await;
    let http = app.http();
    let registered = app
        .auth_from(&http, "register", ("hana", "password1"))
        .await;
    assert_eq!(registered.status(), 200);
    assert!(registered.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
    let cookies = set_cookies(&registered);
    let session = cookies
        .iter()
        .find(|c| c.starts_with("__Host-zl_session="))
        .expect("the __Host- session cookie");
    for attribute in ["Secure", "Path=/", "HttpOnly"] {
        assert!(session.contains(attribute), "{session}");
    }
    assert!(!session.contains("Domain"), "{session}");
    assert!(!cookies.iter().any(|c| c.starts_with("zl_session=")));
    let token = session["__Host-zl_session=".len()..session.find(';').unwrap()].to_owned();
    let cookie = format!("__Host-zl_session={token}");
    let page = http.get(app.url("/dice")).header("cookie", &cookie).send();
    assert!(page
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("1,000.00"));
    let logout = http
        .post(app.url("/auth/logout"))
        .header("accept", "application/json")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    let deleted = set_cookies(&logout);
    assert!(
        deleted.iter().any(|c| c.starts_with("__Host-zl_session=;")
            && c.contains("Secure")
            && c.contains("Max-Age=0")),
        "{deleted:?}"
    );
    let page = http.get(app.url("/dice")).header("cookie", &cookie).send();
    assert!(!page
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("1,000.00"));
}

/// A wrong password for alice, claiming to come from `forwarded_for`; returns the status.
async fn wrong_password_via(app: &TestApp, forwarded_for: &str) -> u16 {
    app.http()
        .post(app.url("/auth/login"))
        .header("accept", "application/json")
        .header("x-forwarded-for", forwarded_for)
        .form(&[("username", "alice"), ("password", "guess-guess")])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Seven wrong passwords from one client: the last is throttled (the per account and address
/// burst is 5).
async fn throttled_after_seven(app: &TestApp, forwarded_for: &str) -> bool {
    let mut last = 0;
    for _ in 0..7 {
        last = wrong_password_via(app, forwarded_for).await;
    }
    last == 429
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own() {
    let app = TestApp::spawn_trusting(vec!["127.0.0.1".parse().unwrap()]).await;
    app.register("alice").await;
    assert!(throttled_after_seven(&app, "10.0.0.1").await);
    // Another client behind the same proxy is not held back; what a client claims before the
    // proxy's own entry is ignored.
    assert_eq!(wrong_password_via(&app, "10.0.0.1, 10.0.0.2").await, 401);
}

#[tokio::test]
async fn without_a_trusted_proxy_a_forwarded_address_changes_nothing() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    assert!(throttled_after_seven(&app, "10.0.0.1").await);
    assert_eq!(wrong_password_via(&app, "10.0.0.2").await, 429);
}

/// A client that sends a request's headers too slowly (slowloris) is disconnected once the
/// header deadline passes, while others are served.
#[tokio::test]
async fn a_client_too_slow_to_send_its_headers_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let addr = app.running.addr;
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET / HTTP/1.1\r\nHost: zerolag\r\n")
        .await
        .unwrap();
    let deadline = std::time::Duration::from_millis(zerolag::limits::HTTP_HEADER_READ_TIMEOUT_MS);
    // Meanwhile a well-behaved client is served.
    let page = app.http().get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    // One more header line now and then, never the blank line that ends them.
    let drip = async {
        for i in 0.. {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            if slow
                .write_all(format!("X-Drip-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    };
    let wait = deadline * 2;
    tokio::time::timeout(wait, drip)
        .await
        .expect("the server closed the connection at its header deadline");
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest).await;
    let answer = String::from_utf8_lossy(&rest);
    assert!(!answer.contains("200 OK"), "{answer}");
}
