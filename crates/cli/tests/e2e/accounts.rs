use clearline_api_types::ErrorCode;
use clearline_client::Method;
use clearline_testkit::{PASSWORD, TestServer};

use crate::assert_problem;

#[tokio::test]
async fn sign_up_signs_in_and_me_answers() {
    let server = TestServer::spawn().await;
    let created = server.client().sign_up("Alice", "Alice Martin", PASSWORD).await.unwrap();
    assert_eq!(created.user.handle, "alice", "handles are folded to lower case");
    let me = server.client().with_token(&created.token).me().await.unwrap();
    assert_eq!(me, created.user);
    let again = server.client().sign_in("ALICE", PASSWORD).await.unwrap();
    assert_ne!(again.token, created.token);
    assert_eq!(again.user.id, created.user.id);
}

#[tokio::test]
async fn taken_handle_is_a_conflict_whatever_its_case() {
    let server = TestServer::spawn().await;
    server.person("bob").await;
    assert_problem(server.client().sign_up("BOB", "Other Bob", PASSWORD).await, 409, ErrorCode::HandleTaken);
}

#[tokio::test]
async fn invalid_sign_up_fields_are_refused_and_nothing_is_created() {
    let server = TestServer::spawn().await;
    let c = server.client();
    assert_problem(c.sign_up("ab", "Name", PASSWORD).await, 422, ErrorCode::ValidationFailed);
    assert_problem(c.sign_up("1abc", "Name", PASSWORD).await, 422, ErrorCode::ValidationFailed);
    assert_problem(c.sign_up("carol", "   ", PASSWORD).await, 422, ErrorCode::ValidationFailed);
    // Names that show nothing: a zero-width space, a Hangul filler, a right-to-left override.
    for invisible in ["\u{200B}", "\u{3164}\u{3164}", "Car\u{202E}ol"] {
        assert_problem(c.sign_up("carol", invisible, PASSWORD).await, 422, ErrorCode::ValidationFailed);
    }
    assert_problem(c.sign_up("carol", "Carol", "short").await, 422, ErrorCode::ValidationFailed);
    assert_problem(c.sign_in("carol", PASSWORD).await, 401, ErrorCode::InvalidCredentials);
    let res =
        c.request(Method::POST, "/v1/accounts").json(&serde_json::json!({"handle": "carol"})).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn display_names_are_stored_in_nfc_and_trimmed_of_invisible_ends() {
    let server = TestServer::spawn().await;
    let created = server.client().sign_up("jose", "\u{200B}Jose\u{0301}\u{FEFF}", PASSWORD).await.unwrap();
    assert_eq!(created.user.display_name, "Jos\u{00E9}");
}

#[tokio::test]
async fn wrong_password_and_unknown_handle_fail_alike() {
    let server = TestServer::spawn().await;
    server.person("dave").await;
    assert_problem(server.client().sign_in("dave", "wrong password!").await, 401, ErrorCode::InvalidCredentials);
    assert_problem(server.client().sign_in("nobody", PASSWORD).await, 401, ErrorCode::InvalidCredentials);
}

#[tokio::test]
async fn missing_malformed_and_forged_tokens_are_401() {
    let server = TestServer::spawn().await;
    let erin = server.person("erin").await;
    let res = server.client().request(Method::GET, "/v1/me").send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_problem(server.client().with_token("garbage").me().await, 401, ErrorCode::Unauthenticated);
    // Right session id, wrong secret.
    let token = erin.client.token().unwrap();
    let (id, secret) = token.split_once('.').unwrap();
    let mut forged: Vec<char> = secret.chars().collect();
    forged[0] = if forged[0] == 'A' { 'B' } else { 'A' };
    let forged = format!("{id}.{}", forged.into_iter().collect::<String>());
    assert_problem(server.client().with_token(&forged).me().await, 401, ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn signing_out_kills_the_token_at_once() {
    let server = TestServer::spawn().await;
    let frank = server.person("frank").await;
    frank.client.me().await.unwrap();
    frank.client.revoke_session("current").await.unwrap();
    assert_problem(frank.client.me().await, 401, ErrorCode::Unauthenticated);
}

#[tokio::test]
async fn sessions_are_listed_and_another_can_be_revoked_but_not_someone_elses() {
    let server = TestServer::spawn().await;
    let gina = server.person("gina").await;
    let other = server.client().sign_in("gina", PASSWORD).await.unwrap();
    let sessions = gina.client.sessions().await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s.current).count(), 1);
    let hank = server.person("hank").await;
    assert_problem(hank.client.revoke_session(&other.session_id).await, 404, ErrorCode::NotFound);
    gina.client.revoke_session(&other.session_id).await.unwrap();
    assert_problem(server.client().with_token(&other.token).me().await, 401, ErrorCode::Unauthenticated);
    assert_eq!(gina.client.sessions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn neither_passwords_nor_tokens_are_stored_in_clear() {
    let server = TestServer::spawn().await;
    let ivy = server.person("ivy").await;
    let token = ivy.client.token().unwrap().to_owned();
    let secret = token.split_once('.').unwrap().1.to_owned();
    let db = std::fs::read(server.data_dir().join(clearline_server::DATABASE_FILE)).unwrap();
    let wal =
        std::fs::read(server.data_dir().join(format!("{}-wal", clearline_server::DATABASE_FILE))).unwrap_or_default();
    for needle in [PASSWORD.as_bytes(), secret.as_bytes()] {
        for file in [&db, &wal] {
            assert!(!file.windows(needle.len()).any(|w| w == needle), "secret stored in clear");
        }
    }
}

/// A client whose connections come from `ip` (any 127.x address reaches the loopback server).
fn from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder().local_address(std::net::IpAddr::from(ip)).build().unwrap()
}

async fn sign_in_from(http: &reqwest::Client, server: &TestServer, password: &str) -> reqwest::Response {
    let body = serde_json::json!({"handle": "kim", "password": password});
    http.post(format!("{}/v1/sessions", server.url)).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn guessing_a_password_is_throttled_but_the_person_still_signs_in_from_elsewhere() {
    let server = TestServer::spawn().await;
    server.person("kim").await;
    let attacker = from([127, 0, 0, 2]);
    for _ in 0..5 {
        assert_eq!(sign_in_from(&attacker, &server, "wrong password").await.status(), 401);
    }
    // The sixth guess is refused before any hashing, and so is the right password from there.
    for password in ["wrong password", PASSWORD] {
        let res = sign_in_from(&attacker, &server, password).await;
        assert_eq!(res.status(), 429);
        let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry), "{retry}");
        assert_eq!(res.headers()["content-type"], "application/problem+json");
    }
    // Kim, on her own network, is not locked out by the attack on her account.
    assert_eq!(sign_in_from(&from([127, 0, 0, 3]), &server, PASSWORD).await.status(), 201);
}

#[tokio::test]
async fn one_address_cannot_make_password_attempts_without_limit() {
    let clock = std::sync::Arc::new(clearline_core::ManualClock::new(clearline_domain::Timestamp::from_millis(0)));
    let server = TestServer::spawn_configured(clock.clone(), |c| {
        c.sign_in.per_address_burst = 3;
        c.sign_in.per_address_per_minute = 3;
    })
    .await;
    let flood = from([127, 0, 0, 4]);
    let sign_up = |n: u32| {
        let body = serde_json::json!({"handle": format!("flood{n}"), "display_name": "F", "password": PASSWORD});
        flood.post(format!("{}/v1/accounts", server.url)).json(&body).send()
    };
    for n in 0..3 {
        assert_eq!(sign_up(n).await.unwrap().status(), 201);
    }
    let refused = sign_up(3).await.unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "20");
    // Nothing was created by the refused attempt, and other addresses are not held.
    assert_problem(server.client().sign_in("flood3", PASSWORD).await, 401, ErrorCode::InvalidCredentials);
    clock.advance(20_000);
    assert_eq!(sign_up(3).await.unwrap().status(), 201);
}

#[tokio::test]
async fn one_person_cannot_use_more_than_their_allowance_and_others_are_not_held() {
    let clock = std::sync::Arc::new(clearline_core::ManualClock::new(clearline_domain::Timestamp::from_millis(0)));
    let server = TestServer::spawn_configured(clock.clone(), |c| {
        c.client.per_person_burst = 3;
        c.client.per_person_per_second = 1;
        c.client.websockets_per_person = 1;
    })
    .await;
    let (greedy, other) = (server.person("greedy").await, server.person("other").await);
    for _ in 0..3 {
        greedy.client.me().await.unwrap();
    }
    assert_problem(greedy.client.me().await, 429, ErrorCode::RateLimited);
    other.client.me().await.unwrap();
    clock.advance(1_000);
    greedy.client.me().await.unwrap();
    // One WebSocket each: a second one is refused before the upgrade.
    let _open = other.client.events(None).await.unwrap();
    match other.client.events(None).await {
        Err(clearline_client::ClientError::Unexpected { status, .. }) => assert_eq!(status, 429),
        Err(e) => panic!("expected 429, got {e}"),
        Ok(_) => panic!("a second WebSocket was accepted"),
    }
}
