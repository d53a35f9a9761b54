use clearline_client::Method;
use clearline_testkit::TestServer;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let server = TestServer::spawn().await;
    let c = server.client();
    assert_eq!(c.request(Method::GET, "/healthz").send().await.unwrap().text().await.unwrap(), "ok");
    assert_eq!(c.request(Method::GET, "/readyz").send().await.unwrap().status(), 200);
    server.person("ops").await;
    let metrics = c.request(Method::GET, "/metrics").send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(r#"clearline_http_requests_total{method="POST",route="/v1/accounts",status="201"} 1"#),
        "{metrics}"
    );
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
}

#[tokio::test]
async fn unknown_routes_are_problem_404s() {
    let server = TestServer::spawn().await;
    let res = server.client().request(Method::GET, "/v1/nope").send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
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
