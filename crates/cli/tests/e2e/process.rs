//! Tests of the real `clearline` binary: configuration layering and crash durability.

use std::collections::HashSet;
use std::path::Path;
use std::process::Stdio;

use clearline_api_types::MessagePageQuery;
use clearline_client::Client;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

struct Server {
    child: Child,
    url: String,
}

/// Starts `clearline serve` with the data dir from the environment, the sync level from a
/// config file and the listen address from a flag (which must beat the bad one in the env).
async fn start(dir: &Path) -> Server {
    let config = dir.join("clearline.toml");
    std::fs::write(&config, "[storage]\nsynchronous = \"full\"\n[log]\nfilter = \"warn\"\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_clearline"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config"])
        .arg(&config)
        .env("CLEARLINE_DATA_DIR", dir.join("data"))
        .env("CLEARLINE_LISTEN", "127.0.0.1:1")
        .env("CLEARLINE_METRICS_LISTEN", "127.0.0.1:0")
        .env("CLEARLINE_TEST_UNRELATED", "ignored")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().expect("a first line");
    let url = line.strip_prefix("listening on ").expect("listening line").to_owned();
    assert!(!url.ends_with(":1"), "the --listen flag overrides CLEARLINE_LISTEN");
    Server { child, url }
}

/// Runs `tasks` loops calling `send(task, i)` for i = 0, 1, … until a call fails, kills the
/// server with SIGKILL once `at_least` distinct ids were acknowledged, and returns every id
/// acknowledged (answers that raced the kill count too: each came before the process died).
async fn ack_until_killed<F, Fut>(server: &mut Server, tasks: usize, at_least: usize, send: F) -> HashSet<String>
where
    F: Fn(usize, u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Option<String>> + Send,
{
    let (acks, mut acked) = mpsc::unbounded_channel::<String>();
    let mut senders = Vec::new();
    for t in 0..tasks {
        let (send, acks) = (send.clone(), acks.clone());
        senders.push(tokio::spawn(async move {
            for i in 0.. {
                let Some(id) = send(t, i).await else { return };
                if acks.send(id).is_err() {
                    return;
                }
            }
        }));
    }
    drop(acks);
    let mut ids = HashSet::new();
    while ids.len() < at_least {
        ids.insert(acked.recv().await.expect("acknowledgements before the kill"));
    }
    server.child.start_kill().expect("SIGKILL");
    server.child.wait().await.expect("killed");
    while let Some(id) = acked.recv().await {
        ids.insert(id);
    }
    for s in senders {
        s.await.expect("sender task");
    }
    ids
}

#[tokio::test]
async fn every_acknowledged_message_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path()).await;
    let anon = Client::new(&server.url);
    let a = anon.sign_up("kim", "Kim", "correct horse battery").await.unwrap();
    let b = anon.sign_up("lou", "Lou", "correct horse battery").await.unwrap();
    let (ca, cb) = (anon.with_token(&a.token), anon.with_token(&b.token));
    ca.send_friend_request(&b.user.id).await.unwrap();
    cb.accept_friend_request(&a.user.id).await.unwrap();
    let (conv, _) = ca.open_direct(&b.user.id).await.unwrap();

    let conv_id = conv.id.clone();
    let ids =
        ack_until_killed(&mut server, 8, 400, move |t, i| {
            let (client, conv) = (if t % 2 == 0 { ca.clone() } else { cb.clone() }, conv_id.clone());
            async move {
                client.send_text(&conv, &format!("t{t} m{i}"), Some(&format!("t{t}-{i}"))).await.ok().map(|m| m.id)
            }
        })
        .await;

    let server = start(dir.path()).await;
    let reader = Client::new(&server.url).with_token(&a.token);
    let mut stored = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let q = MessagePageQuery { before: before.clone(), limit: Some(100), ..Default::default() };
        let page = reader.messages(&conv.id, &q).await.unwrap();
        stored.extend(page.items.iter().map(|m| m.id.clone()));
        if !page.has_more {
            break;
        }
        before = stored.last().cloned();
    }
    let stored_set: HashSet<String> = stored.iter().cloned().collect();
    assert_eq!(stored_set.len(), stored.len(), "no message stored twice");
    let lost: Vec<&String> = ids.iter().filter(|id| !stored_set.contains(*id)).collect();
    assert!(lost.is_empty(), "{} acknowledged messages lost: {lost:?}", lost.len());
    drop(server);
}

#[tokio::test]
async fn demo_seeds_a_world_and_sigterm_stops_it_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_clearline"))
        .args(["demo", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("demo"))
        .env("CLEARLINE_LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let url = loop {
        let line = lines.next_line().await.unwrap().expect("demo prints its URL");
        if let Some(url) = line.strip_prefix("listening on ") {
            break url.to_owned();
        }
        printed.push(line);
    };
    assert!(printed.iter().any(|l| l.contains("alice")), "logins are printed: {printed:?}");
    let alice = Client::new(&url).sign_in("alice", "demo-password").await.unwrap();
    let client = Client::new(&url).with_token(&alice.token);
    let inbox = client.inbox(None, None).await.unwrap();
    assert!(inbox.items.len() >= 3, "alice has conversations");
    assert!(inbox.items.iter().any(|i| i.conversation.title.as_deref() == Some("Movie night")));
    assert!(!client.friend_requests().await.unwrap().received.is_empty(), "a pending request waits");
    // Streamflix is there, connected by alice, with a recommendation in an app thread.
    assert!(printed.iter().any(|l| l.contains("Streamflix") && l.contains("client_secret")), "{printed:?}");
    let apps = client.connected_apps().await.unwrap().items;
    assert_eq!(apps.iter().map(|a| a.app_name.as_str()).collect::<Vec<_>>(), vec!["Streamflix"]);
    assert!(inbox.items.iter().any(|i| i.conversation.started_by_app.as_ref().is_some_and(|a| a.name == "Streamflix")));
    let pid = child.id().unwrap().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status().await.unwrap();
    assert!(status.success());
    let exit = child.wait().await.unwrap();
    assert!(exit.success(), "graceful shutdown exits 0, got {exit:?}");
}

async fn admin(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_clearline"))
        .arg("admin")
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args)
        .env("CLEARLINE_OPERATOR_PASSWORD", "operator password")
        .output()
        .await
        .unwrap()
}

async fn report(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_clearline"));
    cmd.arg("report").arg("--data-dir").arg(dir.join("data")).args(args);
    cmd.output().await.unwrap()
}

#[tokio::test]
async fn admin_commands_create_operators_partners_and_apps() {
    let dir = tempfile::tempdir().unwrap();
    let out = admin(dir.path(), &["create-operator", "--handle", "root"]).await;
    assert!(out.status.success(), "{out:?}");
    let refused =
        admin(dir.path(), &["partner", "create", "--slug", "flix", "--name", "Flix", "--scopes", "inbox:read_all"])
            .await;
    assert!(!refused.status.success(), "a standard agreement cannot hold extended scopes");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("extended tier"));
    let bad_zone = ["partner", "create", "--slug", "flix", "--name", "Flix", "--time-zone", "Europe/Atlantis"];
    let refused = admin(dir.path(), &bad_zone).await;
    assert!(!refused.status.success(), "not an IANA zone");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("time_zone"));
    let out =
        admin(dir.path(), &["partner", "create", "--slug", "flix", "--name", "Flix", "--time-zone", "Europe/Lisbon"])
            .await;
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("zone=Europe/Lisbon"), "{out:?}");
    let out = admin(
        dir.path(),
        &["app", "register", "--partner", "flix", "--name", "Flix TV", "--redirect-uri", "https://flix.example/cb"],
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.contains("client_id app_1") && text.contains("client_secret "), "{text}");
    let out = admin(dir.path(), &["partner", "suspend", "flix"]).await;
    assert!(String::from_utf8_lossy(&out.stdout).contains("SUSPENDED"));
    // Reports come from the same data directory: a period without traffic has a header and no rows.
    let period = ["--partner", "flix", "--from", "2026-11-01", "--to", "2026-11-14"];
    let out = report(dir.path(), &[&period[..], &["--format", "csv"]].concat()).await;
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "date,interface,initiation_surface,variant,recipient_kind,sends,clicks\n"
    );
    let out = report(dir.path(), &[&period[..], &["--format", "json"]].concat()).await;
    let doc: clearline_api_types::ReportResponse = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc.partner.as_str(), doc.min_count, doc.rows.len()), ("flix", 10, 0));
    let out = report(dir.path(), &["--partner", "nobody", "--from", "2026-11-01", "--to", "2026-11-14"]).await;
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not found"), "{out:?}");
    let out = report(dir.path(), &["--partner", "flix", "--from", "2026-11-31", "--to", "2026-12-01"]).await;
    assert!(!out.status.success(), "{out:?}");
    // The operator signs in to the admin API and sees the suspended partner.
    let server = start(dir.path()).await;
    let op = Client::new(&server.url).sign_in("root", "operator password").await.unwrap();
    let list: clearline_api_types::PartnerList = Client::new(&server.url)
        .with_token(&op.token)
        .request(clearline_client::Method::GET, "/admin/v1/partners")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list.items[0].agreement.suspended_at.is_some());
}

/// Signs `who` up to the app through the consent page and the token endpoint.
async fn connect_app(url: &str, session: &str, client_id: &str, secret: &str) -> String {
    let (verifier, challenge) = clearline_client::oauth::pkce();
    let redirect = "http://127.0.0.1:9/callback";
    let authorize = reqwest::Url::parse_with_params(
        &format!("{url}/oauth/authorize"),
        &[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect),
            ("scope", "inbox:send friends:read"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let location = clearline_client::oauth::answer_consent(
        url,
        session,
        authorize.as_str(),
        &["inbox:send", "friends:read"],
        true,
    )
    .await
    .unwrap();
    let code = clearline_client::oauth::query_param(&location, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", redirect),
        ("code_verifier", &verifier),
    ];
    let res = reqwest::Client::new()
        .post(format!("{url}/oauth/token"))
        .basic_auth(client_id, Some(secret))
        .form(&form)
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = res.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

/// Creates, with the admin command, an operator, the partner `flix` and an app of it;
/// returns the app's client id and secret.
async fn flix_app(dir: &Path) -> (String, String) {
    assert!(admin(dir, &["create-operator", "--handle", "root"]).await.status.success());
    let created = admin(dir, &["partner", "create", "--slug", "flix", "--name", "Flix"]).await;
    assert!(created.status.success());
    let out = admin(
        dir,
        &["app", "register", "--partner", "flix", "--name", "Flix", "--redirect-uri", "http://127.0.0.1:9/callback"],
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field =
        |name: &str| text.lines().find_map(|l| l.strip_prefix(name)).unwrap().split(' ').next().unwrap().to_owned();
    (field("client_id "), field("client_secret "))
}

#[tokio::test]
async fn a_suspension_by_the_admin_command_holds_on_a_running_servers_next_call() {
    let dir = tempfile::tempdir().unwrap();
    let (client_id, secret) = flix_app(dir.path()).await;
    let server = start(dir.path()).await;
    let anon = Client::new(&server.url);
    let kim = anon.sign_up("kim", "Kim", "correct horse battery").await.unwrap();
    let app = anon.with_token(&connect_app(&server.url, &kim.token, &client_id, &secret).await);
    // Twice: the server has looked the token up and keeps its record between calls.
    app.partner_me().await.unwrap();
    app.partner_me().await.unwrap();
    // Another process changes the agreement in the same files while the server runs.
    assert!(admin(dir.path(), &["partner", "suspend", "flix"]).await.status.success());
    crate::assert_problem(app.partner_me().await, 403, clearline_api_types::ErrorCode::AgreementSuspended);
    assert!(admin(dir.path(), &["partner", "resume", "flix"]).await.status.success());
    assert_eq!(app.partner_me().await.unwrap().display_name, "Kim");
}

#[tokio::test]
async fn every_acknowledged_partner_send_is_in_the_log_after_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let (client_id, secret) = flix_app(dir.path()).await;

    let mut server = start(dir.path()).await;
    let anon = Client::new(&server.url);
    let a = anon.sign_up("kim", "Kim", "correct horse battery").await.unwrap();
    let b = anon.sign_up("lou", "Lou", "correct horse battery").await.unwrap();
    let (ca, cb) = (anon.with_token(&a.token), anon.with_token(&b.token));
    ca.send_friend_request(&b.user.id).await.unwrap();
    cb.accept_friend_request(&a.user.id).await.unwrap();
    let app = anon.with_token(&connect_app(&server.url, &a.token, &client_id, &secret).await);
    connect_app(&server.url, &b.token, &client_id, &secret).await;
    let lou = app.partner_friends().await.unwrap().items.remove(0).id;

    let ids = ack_until_killed(&mut server, 6, 150, move |t, i| {
        let (app, to) = (app.clone(), lou.clone());
        async move {
            let req = clearline_api_types::PartnerSendRequest { to: vec![to], text: format!("t{t} m{i}"), card: None };
            app.partner_send(&req).await.ok().map(|sent| sent.items[0].id.clone())
        }
    })
    .await;

    // Every acknowledged send's access event is a leaf of the log (it was released only once
    // its checkpoint was committed), and the whole log still verifies.
    let server = start(dir.path()).await;
    let kim = Client::new(&server.url).with_token(&a.token);
    let mut logged = HashSet::new();
    let mut before: Option<String> = None;
    loop {
        let mut path = "/v1/access-log?limit=100".to_owned();
        if let Some(b) = &before {
            path.push_str(&format!("&before={b}"));
        }
        let page: clearline_api_types::AccessEventPage =
            kim.request(clearline_client::Method::GET, &path).send().await.unwrap().json().await.unwrap();
        for e in page.items.iter().filter(|e| e.action == "send" && e.leaf_index.is_some()) {
            logged.extend(e.resources.iter().cloned());
        }
        match page.next {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    let missing: Vec<&String> = ids.iter().filter(|id| !logged.contains(*id)).collect();
    assert!(missing.is_empty(), "{} acknowledged sends missing from the log: {missing:?}", missing.len());
    let key = reqwest::get(format!("{}/log/key", server.url)).await.unwrap().text().await.unwrap();
    let verify = Command::new(env!("CARGO_BIN_EXE_clearline"))
        .args(["log", "verify", "--url", &server.url, "--key", key.trim(), "--state"])
        .arg(dir.path().join("log.state"))
        .output()
        .await
        .unwrap();
    assert!(verify.status.success(), "{}", String::from_utf8_lossy(&verify.stderr));
}
