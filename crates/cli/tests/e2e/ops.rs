use clearline_client::Method;
use clearline_testkit::TestServer;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let server = TestServer::spawn().await;
    let c = server.client();
    assert_eq!(c.request(Method::GET, "/healthz").send().await.unwrap().text().await.unwrap(), "ok");
    assert_eq!(c.request(Method::GET, "/readyz").send().await.unwrap().status(), 200);
    server.person("ops").await;
    // Metrics are on the operations listener only, never on the public API.
    assert_eq!(c.request(Method::GET, "/metrics").send().await.unwrap().status(), 404);
    let metrics = reqwest::get(server.metrics_url()).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"clearline_http_requests_total{method="POST",route="/v1/accounts",status="201"} 1"#),
        "{metrics}"
    );
    // A fresh store's WAL is far below the size at which a checkpoint starts it over.
    assert!(metrics.contains("\nclearline_store_wal_restarts_total 0\n"), "{metrics}");
    assert!(metrics.contains("\nclearline_store_slowest_wal_restart_seconds 0"), "{metrics}");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let server = TestServer::spawn().await;
    let doc: serde_json::Value =
        server.client().request(Method::GET, "/openapi.json").send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/v1/accounts", "post"),
        ("/v1/sessions", "get"),
        ("/v1/sessions/{id}", "delete"),
        ("/v1/friend-requests/{user_id}/accept", "post"),
        ("/v1/blocks/{user_id}", "put"),
        ("/v1/conversations", "post"),
        ("/v1/conversations/{id}/messages", "post"),
        ("/v1/conversations/{id}/messages/{message_id}", "delete"),
        ("/v1/conversations/{id}/read", "post"),
        ("/v1/events", "get"),
        ("/v1/connected-apps/{grant_id}", "delete"),
        ("/v1/access-log/{id}/proof", "get"),
        ("/partner/v1/messages", "post"),
        ("/partner/v1/threads/{id}/messages", "get"),
        ("/admin/v1/partners", "post"),
        ("/oauth/authorize", "get"),
        ("/oauth/token", "post"),
        ("/oauth/revoke", "post"),
        ("/oauth/introspect", "post"),
        ("/.well-known/oauth-authorization-server", "get"),
        ("/log/checkpoint", "get"),
        ("/log/tile/{path}", "get"),
    ] {
        assert!(paths.get(path).and_then(|p| p.get(method)).is_some(), "{method} {path} missing");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
    // Every problem is documented as application/problem+json, and every secured operation
    // documents 401 (schemathesis checks the rest against the server in CI).
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            for (status, response) in op["responses"].as_object().unwrap() {
                let json_problem = response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("/Problem"));
                assert!(!json_problem, "{method} {path} {status}: a problem documented as application/json");
            }
            if op.get("security").and_then(|s| s.as_array()).is_some_and(|s| !s.is_empty()) {
                assert!(op["responses"].get("401").is_some(), "{method} {path} does not document 401");
            }
        }
    }
    assert!(paths.contains_key("/r/{code}") && paths["/oauth/sign-in"].get("post").is_some());
    assert!(paths["/oauth/authorize"].get("post").is_some());
}

#[tokio::test]
async fn unknown_routes_are_problem_404s() {
    let server = TestServer::spawn().await;
    let res = server.client().request(Method::GET, "/v1/nope").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
}

#[tokio::test]
async fn a_wrong_method_is_a_problem_405_naming_the_allowed_methods() {
    let server = TestServer::spawn().await;
    let res = server.client().request(Method::PATCH, "/v1/accounts").send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    assert!(res.headers()["allow"].to_str().unwrap().contains("POST"));
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!((body["code"].as_str(), body["status"].as_u64()), (Some("method_not_allowed"), Some(405)));
}

#[tokio::test]
async fn framework_rejections_leave_in_the_documented_shape() {
    let server = TestServer::spawn().await;
    let person = server.person("ivy").await;
    // A path segment that is not UTF-8 once decoded: rejected by the router's extractor.
    let res = person.client.request(Method::DELETE, "/v1/sessions/%FF%FE").send().await.unwrap();
    let status = res.status().as_u16();
    assert!((400..500).contains(&status));
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"].as_u64(), Some(u64::from(status)));
    assert!(body["type"].as_str().unwrap().starts_with("urn:clearline:problem:"));
}

#[tokio::test]
async fn oauth_endpoints_refuse_bad_bodies_in_rfc_6749_shape() {
    let server = TestServer::spawn().await;
    let http = reqwest::Client::new();
    for path in ["/oauth/token", "/oauth/revoke", "/oauth/introspect", "/oauth/sign-in", "/oauth/authorize"] {
        let res = http
            .post(format!("{}{path}", server.url))
            .header("content-type", "application/json")
            .body(r#"{"grant_type":"authorization_code"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 415, "{path}");
        assert_eq!(res.headers()["content-type"], "application/json", "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}");
        assert!(body["error_description"].as_str().is_some_and(|d| !d.is_empty()), "{path}");
    }
    let res = http.get(format!("{}/oauth/token", server.url)).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn data_survives_a_graceful_restart() {
    let mut server = TestServer::spawn().await;
    let (a, _, conv) = server.pair("pat", "quy").await;
    let token = a.client.token().unwrap().to_owned();
    a.client.send_text(&conv, "still here", None).await.unwrap();
    server.restart().await;
    let again = server.client().with_token(&token);
    let page = again.messages(&conv, &Default::default()).await.unwrap();
    assert_eq!(page.items[0].body.as_deref(), Some("still here"));
}

#[tokio::test]
async fn past_its_limit_of_requests_in_flight_the_server_refuses_at_once_and_recovers() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let clock = std::sync::Arc::new(clearline_core::ManualClock::new(clearline_domain::Timestamp::from_millis(0)));
    let server = TestServer::spawn_configured(clock, |c| c.max_requests_in_flight = 1).await;
    let c = server.client();
    // One request in flight: its headers are in, its body is not yet.
    let body = br#"{"handle":"held","display_name":"Held","password":"correct horse battery"}"#;
    let mut held = tokio::net::TcpStream::connect(server.url.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    held.write_all(head.as_bytes()).await.unwrap();
    // Metrics are served whatever the load: wait until they count it.
    let mut polls = 0;
    loop {
        let metrics = reqwest::get(server.metrics_url()).await.unwrap().text().await.unwrap();
        if metrics.contains("clearline_http_requests_in_flight 1\n") {
            break;
        }
        polls += 1;
        assert!(polls < 2000, "the held request is never counted: {metrics}");
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    // Anything else is refused at once, saying when to come back; health still answers.
    let refused = c.request(Method::GET, "/v1/me").send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 503);
    assert_eq!(refused.headers()["retry-after"], "1");
    let problem: clearline_api_types::Problem = refused.json().await.unwrap();
    assert_eq!(problem.code, clearline_api_types::ErrorCode::Unavailable);
    assert_eq!(c.request(Method::GET, "/healthz").send().await.unwrap().status().as_u16(), 200);
    // The held request completes, and then the server takes requests again.
    held.write_all(body).await.unwrap();
    let mut answer = [0u8; 64];
    let n = held.read(&mut answer).await.unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 201"), "{}", String::from_utf8_lossy(&answer[..n]));
    drop(held);
    c.sign_up("after", "After", "correct horse battery").await.unwrap();
}
