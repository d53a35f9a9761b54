//! The partner API end to end: the authorization matrix (every endpoint against every way a
//! call can be refused, each refusal answered and recorded), app threads, redaction, disclosure,
//! app blocks, revocation and deletion.

use std::sync::Arc;

use clearline_api_types::{CardBody, ErrorCode, PartnerSendRequest};
use clearline_client::{Client, ClientError};
use clearline_core::ManualClock;
use clearline_domain::{AccessAction, AccessOutcome, DenyReason, NewAccessEvent, Timestamp};
use clearline_store::{AccessFilter, AccessStore};
use clearline_testkit::partner::{TestApp, agreement_body};
use clearline_testkit::{Person, TestServer};

use crate::assert_problem;

const ALL_STANDARD: &str = "inbox:send inbox:read inbox:delete friends:read";
const ALL_SCOPES: &str = "inbox:send inbox:read inbox:read_all inbox:delete friends:read friends:read_all";

async fn last_event(ts: &TestServer) -> NewAccessEvent {
    let page = ts.state().app.store().access_events(AccessFilter::All, None, 1).await.unwrap();
    page.items.into_iter().next().expect("an access event").event
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Call {
    Me,
    Friends,
    Send,
    Threads,
    Conversations,
    Messages,
    Delete,
}

const CALLS: [Call; 7] =
    [Call::Me, Call::Friends, Call::Send, Call::Threads, Call::Conversations, Call::Messages, Call::Delete];

impl Call {
    fn action(self) -> AccessAction {
        match self {
            Self::Me => AccessAction::Me,
            Self::Friends => AccessAction::Friends,
            Self::Send => AccessAction::Send,
            Self::Threads | Self::Conversations => AccessAction::Threads,
            Self::Messages => AccessAction::Messages,
            Self::Delete => AccessAction::Delete,
        }
    }
}

/// What the calls act on.
struct Targets {
    friend: String,
    thread: String,
    message: String,
}

async fn call(c: &Client, call: Call, t: &Targets) -> Result<(), ClientError> {
    match call {
        Call::Me => c.partner_me().await.map(drop),
        Call::Friends => c.partner_friends().await.map(drop),
        Call::Send => c.partner_send(&text_to(&t.friend, "hello")).await.map(drop),
        Call::Threads => c.partner_threads().await.map(drop),
        Call::Conversations => c.partner_conversations().await.map(drop),
        Call::Messages => c.partner_messages(&t.thread).await.map(drop),
        Call::Delete => c.partner_delete(&t.message).await.map(drop),
    }
}

fn text_to(to: &str, text: &str) -> PartnerSendRequest {
    PartnerSendRequest { to: vec![to.to_owned()], text: text.to_owned(), card: None }
}

/// Asserts the call is refused with `status`/`code` and that the refusal was recorded.
async fn denied(ts: &TestServer, c: &Client, which: Call, t: &Targets, status: u16, code: ErrorCode, why: DenyReason) {
    assert_problem(call(c, which, t).await, status, code);
    let e = last_event(ts).await;
    assert_eq!((e.action, e.outcome), (which.action(), AccessOutcome::Denied(why)), "{which:?}");
}

/// Asserts the call is allowed and recorded as allowed for `app` and `person`.
async fn allowed(ts: &TestServer, c: &Client, which: Call, t: &Targets, app: &TestApp, person: &Person) {
    call(c, which, t).await.unwrap_or_else(|e| panic!("{which:?} should be allowed: {e}"));
    let e = last_event(ts).await;
    assert_eq!((e.action, e.outcome), (which.action(), AccessOutcome::Allowed), "{which:?}");
    assert_eq!(e.app_id.map(|a| a.to_string()), Some(app.app.client_id.clone()));
    assert_eq!(e.user_id.map(|u| u.to_string()), Some(person.id.clone()));
}

struct World {
    ts: TestServer,
    clock: Arc<ManualClock>,
    op: Person,
    alice: Person,
    bob: Person,
    carol: Person,
    erin: Person,
    dave: Person,
    flix: TestApp,
    stream: TestApp,
    other: TestApp,
}

async fn world() -> World {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_700_000_000_000)));
    let ts = TestServer::spawn_with_clock(clock.clone()).await;
    let op = ts.operator("root").await;
    let (alice, bob, carol, erin, dave) = (
        ts.person("alice").await,
        ts.person("bob").await,
        ts.person("carol").await,
        ts.person("erin").await,
        ts.person("dave").await,
    );
    for f in [&bob, &carol, &erin] {
        ts.befriend(&alice, f).await;
    }
    ts.befriend(&bob, &dave).await;
    let flix = ts.partner_app(&op, "flix", "standard", ALL_STANDARD).await;
    let stream = ts.partner_app(&op, "streamflix", "extended", ALL_SCOPES).await;
    let other = ts.partner_app(&op, "other", "standard", "inbox:send inbox:read friends:read").await;
    World { ts, clock, op, alice, bob, carol, erin, dave, flix, stream, other }
}

fn as_app(ts: &TestServer, token: &str) -> Client {
    ts.client().with_token(token)
}

#[tokio::test]
async fn authorization_matrix_denies_and_records_every_refusal() {
    let w = world().await;
    let ts = &w.ts;
    let alice_flix = as_app(ts, &ts.connect(&w.alice, &w.flix, ALL_STANDARD).await.access_token);
    let bob_flix = as_app(ts, &ts.connect(&w.bob, &w.flix, "inbox:read").await.access_token);
    let erin_flix = as_app(ts, &ts.connect(&w.erin, &w.flix, "friends:read").await.access_token);
    let carol_flix = as_app(ts, &ts.connect(&w.carol, &w.flix, "inbox:read").await.access_token);
    let grant = w.carol.client.connected_apps().await.unwrap().items.remove(0).grant_id;
    w.carol.client.revoke_connected_app(&grant).await.unwrap();
    let alice_stream =
        as_app(ts, &ts.connect(&w.alice, &w.stream, "inbox:read_all friends:read_all").await.access_token);
    let bob_stream = as_app(ts, &ts.connect(&w.bob, &w.stream, "inbox:send").await.access_token);
    let alice_other =
        as_app(ts, &ts.connect(&w.alice, &w.other, "inbox:send inbox:read friends:read").await.access_token);
    ts.connect(&w.bob, &w.other, "inbox:read").await;

    // The allowed paths, each recorded.
    let friends = alice_flix.partner_friends().await.unwrap().items;
    let names: Vec<&str> = friends.iter().map(|f| f.display_name.as_str()).collect();
    assert_eq!(names.len(), 2, "friends who use the app (bob, erin), not carol who revoked: {names:?}");
    assert!(names.contains(&"bob tester") && names.contains(&"erin tester"));
    let bob_id = friends.iter().find(|f| f.display_name == "bob tester").unwrap().id.clone();
    let erin_id = friends.iter().find(|f| f.display_name == "erin tester").unwrap().id.clone();
    let sent = alice_flix.partner_send(&text_to(&bob_id, "watch this")).await.unwrap().items.remove(0);
    let t = Targets { friend: bob_id.clone(), thread: sent.thread_id.clone(), message: sent.id.clone() };
    for c in CALLS {
        if c == Call::Conversations {
            allowed(ts, &alice_stream, c, &t, &w.stream, &w.alice).await;
        } else if c != Call::Delete {
            allowed(ts, &alice_flix, c, &t, &w.flix, &w.alice).await;
        }
    }

    // No token, malformed token, unknown token, revoked grant: 401 for every endpoint.
    let unknown = format!("oat_999999.{}", "A".repeat(43));
    for c in CALLS {
        denied(ts, &ts.client(), c, &t, 401, ErrorCode::InvalidToken, DenyReason::NoToken).await;
        denied(ts, &as_app(ts, "garbage"), c, &t, 401, ErrorCode::InvalidToken, DenyReason::MalformedToken).await;
        denied(ts, &as_app(ts, &unknown), c, &t, 401, ErrorCode::InvalidToken, DenyReason::UnknownToken).await;
        denied(ts, &carol_flix, c, &t, 401, ErrorCode::InvalidToken, DenyReason::GrantRevoked).await;
    }
    let e = last_event(ts).await;
    assert_eq!(e.user_id.map(|u| u.to_string()), Some(w.carol.id.clone()), "a revoked grant still names its person");

    // Missing scope.
    let erin_thread = alice_flix.partner_send(&text_to(&erin_id, "for erin")).await.unwrap().items.remove(0).thread_id;
    let erin_t = Targets { friend: t.friend.clone(), thread: erin_thread, message: t.message.clone() };
    denied(ts, &bob_flix, Call::Friends, &t, 403, ErrorCode::InsufficientScope, DenyReason::MissingScope).await;
    for c in [Call::Send, Call::Threads, Call::Messages, Call::Delete] {
        denied(ts, &erin_flix, c, &erin_t, 403, ErrorCode::InsufficientScope, DenyReason::MissingScope).await;
    }
    denied(ts, &bob_stream, Call::Conversations, &t, 403, ErrorCode::InsufficientScope, DenyReason::MissingScope).await;

    // Wrong tier: whole-inbox reading on a standard partner, and after a downgrade.
    denied(ts, &alice_flix, Call::Conversations, &t, 403, ErrorCode::InsufficientScope, DenyReason::WrongTier).await;
    let mut agreement = agreement_body("standard", ALL_STANDARD);
    w.op.client.set_agreement(&w.stream.partner_id, &agreement).await.unwrap();
    for c in [Call::Conversations, Call::Friends] {
        denied(ts, &alice_stream, c, &t, 403, ErrorCode::InsufficientScope, DenyReason::WrongTier).await;
    }
    agreement.tier = "extended".into();
    agreement.scopes = ALL_SCOPES.into();
    w.op.client.set_agreement(&w.stream.partner_id, &agreement).await.unwrap();
    allowed(ts, &alice_stream, Call::Conversations, &t, &w.stream, &w.alice).await;

    // A suspended agreement denies every call of its apps at once; resuming restores them.
    w.op.client.suspend_partner(&w.flix.partner_id, true).await.unwrap();
    for c in CALLS {
        denied(ts, &alice_flix, c, &t, 403, ErrorCode::AgreementSuspended, DenyReason::AgreementSuspended).await;
    }
    w.op.client.suspend_partner(&w.flix.partner_id, false).await.unwrap();
    allowed(ts, &alice_flix, Call::Me, &t, &w.flix, &w.alice).await;

    // Another person's resource: a conversation alice is not in does not exist, whatever the scope.
    let (bob_dave, _) = w.bob.client.open_direct(&w.dave.id).await.unwrap();
    let theirs = w.bob.client.send_text(&bob_dave.id, "private", None).await.unwrap();
    let other_t = Targets { friend: t.friend.clone(), thread: bob_dave.id.clone(), message: theirs.id.clone() };
    for (c, app) in [(Call::Messages, &alice_flix), (Call::Messages, &alice_stream), (Call::Delete, &alice_flix)] {
        denied(ts, app, c, &other_t, 404, ErrorCode::NotFound, DenyReason::NotFound).await;
    }
    // A stranger is not a friend: nothing is sent.
    let stranger = Targets { friend: format!("pu_{}", "B".repeat(22)), ..other_t };
    denied(ts, &alice_flix, Call::Send, &stranger, 403, ErrorCode::NotFriends, DenyReason::NotFriend).await;

    // Another app's thread: invisible, and its messages cannot be deleted through this app.
    let bob_at_other = friend_id(&alice_other, "bob tester").await;
    assert_ne!(bob_at_other, bob_id, "two partners never share a person's id");
    let via_other = alice_other.partner_send(&text_to(&bob_at_other, "other app")).await.unwrap();
    let via_other = via_other.items.into_iter().next().unwrap();
    let other_app = Targets { friend: t.friend.clone(), thread: via_other.thread_id.clone(), message: via_other.id };
    denied(ts, &alice_flix, Call::Messages, &other_app, 404, ErrorCode::NotFound, DenyReason::NotFound).await;
    denied(ts, &alice_flix, Call::Delete, &other_app, 403, ErrorCode::Forbidden, DenyReason::NotSentViaApp).await;
    let listed = alice_flix.partner_threads().await.unwrap().items;
    assert!(listed.iter().all(|th| th.id != via_other.thread_id && th.started_by_this_app));

    // The allowed delete, last (it erases the message the other rows used).
    allowed(ts, &alice_flix, Call::Delete, &t, &w.flix, &w.alice).await;

    // An expired access token (the grant itself lives on).
    w.clock.advance(2 * 3600 * 1000);
    for c in CALLS {
        denied(ts, &alice_flix, c, &t, 401, ErrorCode::InvalidToken, DenyReason::ExpiredToken).await;
    }
}

/// The app-scoped id `app` knows the friend called `name` by.
async fn friend_id(app: &Client, name: &str) -> String {
    let friends = app.partner_friends().await.unwrap().items;
    friends.into_iter().find(|f| f.display_name == name).map(|f| f.id).expect("friend listed")
}

#[tokio::test]
async fn app_threads_carry_cards_and_disclose_who_can_read_them() {
    let w = world().await;
    let ts = &w.ts;
    let alice_flix = as_app(ts, &ts.connect(&w.alice, &w.flix, ALL_STANDARD).await.access_token);
    ts.connect(&w.bob, &w.flix, "inbox:read").await;
    ts.connect(&w.alice, &w.stream, "inbox:read_all").await;
    let bob_id = friend_id(&alice_flix, "bob tester").await;
    let card = CardBody { title: "Night Train".into(), url: "https://flix.example/t/42".into(), image_url: None };
    let req = PartnerSendRequest { to: vec![bob_id], text: "You'd love this".into(), card: Some(card.clone()) };
    let sent = alice_flix.partner_send(&req).await.unwrap().items.remove(0);
    assert_eq!((sent.card.as_ref(), sent.via_this_app, sent.from_me), (Some(&card), true, true));

    // Bob sees the app thread in his inbox, marked with the app, the card and who can read it.
    let conv = w.bob.client.conversation(&sent.thread_id).await.unwrap();
    assert_eq!(conv.kind, "app_thread");
    assert_eq!(conv.started_by_app.as_ref().map(|a| a.app_id.as_str()), Some(w.flix.app.client_id.as_str()));
    let mut readers: Vec<(String, String, String)> =
        conv.readable_by.iter().map(|r| (r.app_id.clone(), r.allowed_by.clone(), r.scope.clone())).collect();
    readers.sort();
    let mut expected = vec![
        (w.flix.app.client_id.clone(), w.alice.id.clone(), "inbox:read".to_owned()),
        (w.flix.app.client_id.clone(), w.bob.id.clone(), "inbox:read".to_owned()),
        (w.stream.app.client_id.clone(), w.alice.id.clone(), "inbox:read_all".to_owned()),
    ];
    expected.sort();
    assert_eq!(readers, expected);
    let history = w.bob.client.messages(&sent.thread_id, &Default::default()).await.unwrap();
    assert_eq!(history.items[0].via_app_id.as_deref(), Some(w.flix.app.client_id.as_str()));
    assert_eq!(history.items[0].card.as_ref(), Some(&card));

    // A plain direct conversation between them is readable only through whole-inbox reading.
    let (direct, _) = w.alice.client.open_direct(&w.bob.id).await.unwrap();
    let apps: Vec<&str> = direct.readable_by.iter().map(|r| r.app_id.as_str()).collect();
    assert_eq!(apps, vec![w.stream.app.client_id.as_str()]);

    // The app deletes what it sent: a tombstone for everyone, the card gone too.
    let tomb = alice_flix.partner_delete(&sent.id).await.unwrap();
    assert!(tomb.deleted && tomb.text.is_none() && tomb.card.is_none());
    let history = w.bob.client.messages(&sent.thread_id, &Default::default()).await.unwrap();
    assert!(
        history.items[0].deleted_at.is_some() && history.items[0].card.is_none() && history.items[0].body.is_none()
    );
}

#[tokio::test]
async fn other_peoples_messages_are_redacted_unless_they_allow_apps() {
    let w = world().await;
    let ts = &w.ts;
    let alice_flix = as_app(ts, &ts.connect(&w.alice, &w.flix, ALL_STANDARD).await.access_token);
    let alice_stream = as_app(ts, &ts.connect(&w.alice, &w.stream, "inbox:read_all").await.access_token);
    ts.connect(&w.bob, &w.flix, "inbox:read").await;
    let bob_id = friend_id(&alice_flix, "bob tester").await;
    let thread = alice_flix.partner_send(&text_to(&bob_id, "watch")).await.unwrap().items.remove(0).thread_id;
    w.bob.client.send_text(&thread, "in the app thread", None).await.unwrap();
    let (direct, _) = w.alice.client.open_direct(&w.bob.id).await.unwrap();
    w.bob.client.send_text(&direct.id, "just between us", None).await.unwrap();
    w.alice.client.send_text(&direct.id, "sure", None).await.unwrap();

    let texts = |page: clearline_api_types::PartnerMessagePage| -> Vec<(bool, Option<String>)> {
        page.items.into_iter().map(|m| (m.redacted, m.text)).collect()
    };
    // Default (app_threads): bob is readable in the app's own thread only.
    let in_thread = texts(alice_flix.partner_messages(&thread).await.unwrap());
    assert_eq!(in_thread[0], (false, Some("in the app thread".into())));
    let in_direct = texts(alice_stream.partner_messages(&direct.id).await.unwrap());
    assert_eq!(in_direct, vec![(false, Some("sure".into())), (true, None)], "own messages shown, bob's redacted");
    let listed = alice_stream.partner_conversations().await.unwrap().items;
    let preview = listed.iter().find(|t| t.id == thread).unwrap().last_message.clone().unwrap();
    assert!(preview.redacted, "previews are redacted the same way (bob's message in another app's thread)");

    // all_conversations: readable everywhere an app may read.
    w.bob.client.set_app_read_policy("all_conversations").await.unwrap();
    assert_eq!(
        texts(alice_stream.partner_messages(&direct.id).await.unwrap())[1],
        (false, Some("just between us".into()))
    );
    // never: redacted even in the app thread.
    w.bob.client.set_app_read_policy("never").await.unwrap();
    assert_eq!(texts(alice_flix.partner_messages(&thread).await.unwrap())[0], (true, None));
    assert_problem(w.bob.client.set_app_read_policy("sometimes").await, 422, ErrorCode::ValidationFailed);
    assert_eq!(w.bob.client.settings().await.unwrap().apps_may_read_my_messages, "never");
}

#[tokio::test]
async fn a_person_who_blocks_an_app_disappears_from_it_and_cannot_be_messaged() {
    let w = world().await;
    let ts = &w.ts;
    let alice_flix = as_app(ts, &ts.connect(&w.alice, &w.flix, ALL_STANDARD).await.access_token);
    ts.connect(&w.bob, &w.flix, "inbox:read").await;
    let bob_id = friend_id(&alice_flix, "bob tester").await;
    let thread = alice_flix.partner_send(&text_to(&bob_id, "watch")).await.unwrap().items.remove(0).thread_id;
    w.bob.client.send_text(&thread, "ok!", None).await.unwrap();

    w.bob.client.block_app(&w.flix.app.client_id).await.unwrap();
    assert!(alice_flix.partner_friends().await.unwrap().items.iter().all(|f| f.id != bob_id));
    assert_problem(alice_flix.partner_send(&text_to(&bob_id, "again")).await, 403, ErrorCode::NotFriends);
    let page = alice_flix.partner_messages(&thread).await.unwrap();
    assert!(page.items[0].redacted, "a blocked app sees none of bob's messages");
    assert_eq!(page.items.len(), 2, "the refused send wrote nothing");
    let blocked = w.bob.client.access_log().await.unwrap();
    assert!(blocked.items.iter().all(|e| e.app_id.as_deref() == Some(w.flix.app.client_id.as_str())));

    w.bob.client.unblock_app(&w.flix.app.client_id).await.unwrap();
    alice_flix.partner_send(&text_to(&bob_id, "again")).await.unwrap();
    assert_problem(w.bob.client.block_app("app_999").await, 404, ErrorCode::NotFound);
}

#[tokio::test]
async fn blocking_an_app_ends_my_own_grants_to_it_and_it_cannot_be_connected_again() {
    let w = world().await;
    let ts = &w.ts;
    let bob_flix = as_app(ts, &ts.connect(&w.bob, &w.flix, "inbox:read friends:read").await.access_token);
    bob_flix.partner_me().await.unwrap();
    assert_eq!(w.bob.client.connected_apps().await.unwrap().items.len(), 1);

    w.bob.client.block_app(&w.flix.app.client_id).await.unwrap();
    // The app's token is dead on its very next call, and the refusal is on record.
    for result in [bob_flix.partner_me().await.map(drop), bob_flix.partner_friends().await.map(drop)] {
        assert_problem(result, 401, ErrorCode::InvalidToken);
    }
    assert_eq!(last_event(ts).await.outcome, AccessOutcome::Denied(DenyReason::GrantRevoked));
    assert!(w.bob.client.connected_apps().await.unwrap().items.is_empty(), "no live grant is listed");
    // While blocked, the consent page says so, and no answer creates a grant.
    let (_, challenge) = clearline_testkit::partner::pkce();
    let location = ts.consent(&w.bob, &w.flix, "inbox:read", &challenge, true).await;
    assert_eq!(clearline_client::oauth::query_param(&location, "error").as_deref(), Some("access_denied"));
    assert!(w.bob.client.connected_apps().await.unwrap().items.is_empty());
    // Unblocking restores nothing by itself; connecting again works.
    w.bob.client.unblock_app(&w.flix.app.client_id).await.unwrap();
    assert_problem(bob_flix.partner_me().await, 401, ErrorCode::InvalidToken);
    let again = as_app(ts, &ts.connect(&w.bob, &w.flix, "inbox:read").await.access_token);
    again.partner_me().await.unwrap();
}

#[tokio::test]
async fn revoking_a_connected_app_denies_its_very_next_call_and_is_on_record() {
    let w = world().await;
    let ts = &w.ts;
    let alice_flix = as_app(ts, &ts.connect(&w.alice, &w.flix, "inbox:read friends:read").await.access_token);
    alice_flix.partner_me().await.unwrap();
    let apps = w.alice.client.connected_apps().await.unwrap().items;
    assert_eq!(apps.len(), 1);
    let scopes: Vec<&str> = apps[0].scopes.iter().map(|s| s.scope.as_str()).collect();
    assert_eq!(scopes, vec!["inbox:read", "friends:read"]);
    assert!(apps[0].last_used_at.is_some());
    assert_problem(w.bob.client.revoke_connected_app(&apps[0].grant_id).await, 404, ErrorCode::NotFound);
    alice_flix.partner_me().await.unwrap();

    w.alice.client.revoke_connected_app(&apps[0].grant_id).await.unwrap();
    assert_problem(alice_flix.partner_me().await, 401, ErrorCode::InvalidToken);
    assert!(w.alice.client.connected_apps().await.unwrap().items.is_empty());
    let log = w.alice.client.access_log().await.unwrap().items;
    assert_eq!(log[0].outcome, "denied");
    assert_eq!(log[0].reason.as_deref(), Some("grant_revoked"));
    assert!(log.iter().skip(1).all(|e| e.outcome == "allowed"));
    assert!(w.bob.client.access_log().await.unwrap().items.is_empty(), "nobody sees another person's record");
}

fn verify_ed25519(public_b64: &str, message: &[u8], signature_b64: &str) -> bool {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let key: [u8; 32] = URL_SAFE_NO_PAD.decode(public_b64).unwrap().try_into().unwrap();
    let Ok(sig) = URL_SAFE_NO_PAD.decode(signature_b64) else { return false };
    let Ok(sig) = <[u8; 64]>::try_from(sig.as_slice()) else { return false };
    VerifyingKey::from_bytes(&key).unwrap().verify(message, &Signature::from_bytes(&sig)).is_ok()
}

#[tokio::test]
async fn consent_receipt_is_signed_and_names_the_grant() {
    use base64::Engine;
    let w = world().await;
    let ts = &w.ts;
    ts.connect(&w.alice, &w.flix, "inbox:read friends:read").await;
    let grant = w.alice.client.connected_apps().await.unwrap().items.remove(0);
    let r = w.alice.client.consent_receipt(&grant.grant_id).await.unwrap();
    assert_eq!(r.receipt["consentReceiptID"], grant.grant_id.as_str());
    assert_eq!(r.receipt["piiPrincipalId"], w.alice.id.as_str());
    assert_eq!(r.receipt["piiControllers"][0]["piiController"], "flix Inc.");
    let purposes: Vec<&str> = r.receipt["services"][0]["purposes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, vec!["inbox:read", "friends:read"]);
    assert!(r.receipt["withdrawal"].as_str().unwrap().contains(&grant.grant_id));
    // The JWS payload is the receipt, and the signature checks out with the server key.
    let parts: Vec<&str> = r.jws.split('.').collect();
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(parts[1]).unwrap();
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&payload).unwrap(), r.receipt);
    let input = format!("{}.{}", parts[0], parts[1]);
    assert!(verify_ed25519(&r.public_key, input.as_bytes(), parts[2]));
    let forged = format!("{}.{}", parts[0], base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b"{}"));
    assert!(!verify_ed25519(&r.public_key, forged.as_bytes(), parts[2]));
    // Nobody else gets it.
    assert_problem(w.bob.client.consent_receipt(&grant.grant_id).await, 404, ErrorCode::NotFound);
}

/// A one-shot HTTP endpoint on loopback: returns its URL and the first request's headers and body.
async fn one_webhook() -> (String, tokio::sync::oneshot::Receiver<(String, Vec<u8>)>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = sock.read(&mut chunk).await.unwrap();
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some((head, _)) = text.split_once("\r\n\r\n") {
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse().unwrap())
                    })
                    .unwrap_or(0);
                if buf.len() >= head.len() + 4 + len {
                    let body = buf[head.len() + 4..head.len() + 4 + len].to_vec();
                    sock.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.unwrap();
                    let _ = tx.send((head.to_owned(), body));
                    return;
                }
            }
            if n == 0 {
                return;
            }
        }
    });
    (url, rx)
}

#[tokio::test]
async fn revocation_is_announced_to_the_apps_webhook_signed_by_the_server() {
    let w = world().await;
    let ts = &w.ts;
    let (url, received) = one_webhook().await;
    let mut hooked = w.flix.clone();
    hooked.app =
        w.op.client
            .register_app(
                &w.flix.partner_id,
                &clearline_api_types::RegisterAppRequest {
                    name: "Flix hooked".into(),
                    client_type: "confidential".into(),
                    redirect_uris: vec![clearline_testkit::partner::REDIRECT_URI.into()],
                    webhook_url: Some(url),
                },
            )
            .await
            .unwrap();
    let token = ts.connect(&w.alice, &hooked, "inbox:read").await.access_token;
    let sub = as_app(ts, &token).partner_me().await.unwrap().id;
    let grant = w.alice.client.connected_apps().await.unwrap().items.remove(0);
    w.alice.client.revoke_connected_app(&grant.grant_id).await.unwrap();
    let (head, body) = tokio::time::timeout(std::time::Duration::from_secs(30), received).await.unwrap().unwrap();
    let notice: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (notice["type"].as_str(), notice["grant_id"].as_str()),
        (Some("grant.revoked"), Some(grant.grant_id.as_str()))
    );
    assert_eq!(notice["sub"], sub.as_str(), "the app learns which of its people to purge");
    let header = |name: &str| {
        head.lines().find_map(|l| {
            l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim().to_owned())
        })
    };
    // Signed by the server's key (the one its receipts carry); a withdrawn grant's receipt says so.
    let receipt = w.alice.client.consent_receipt(&grant.grant_id).await.unwrap();
    assert!(receipt.receipt["withdrawnAt"].is_number());
    let key = header("clearline-key").unwrap();
    assert_eq!(key, receipt.public_key);
    // Standard Webhooks: v1a (Ed25519) over "{webhook-id}.{webhook-timestamp}.{body}".
    let (id, timestamp) = (header("webhook-id").unwrap(), header("webhook-timestamp").unwrap());
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
    assert!((now - timestamp.parse::<i64>().unwrap()).abs() < 300, "a receiver's replay window");
    let signature = header("webhook-signature").unwrap();
    let signature = signature.strip_prefix("v1a,").expect("an asymmetric v1a signature");
    let signature = {
        use base64::Engine;
        let raw = base64::engine::general_purpose::STANDARD.decode(signature).unwrap();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    };
    let signed = [format!("{id}.{timestamp}.").as_bytes(), body.as_slice()].concat();
    assert!(verify_ed25519(&key, &signed, &signature));
    // A replayed body under another id or time does not verify.
    let replayed = [format!("{id}.{}.", now + 3600).as_bytes(), body.as_slice()].concat();
    assert!(!verify_ed25519(&key, &replayed, &signature));
    assert!(!verify_ed25519(&key, &body, &signature), "the bare body is not what is signed");
}

#[tokio::test]
async fn webhooks_to_private_addresses_are_refused_unless_the_operator_allows_them() {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_700_000_000_000)));
    let ts = TestServer::spawn_configured(clock, |c| c.webhooks.allow_private_targets = false).await;
    let op = ts.operator("root").await;
    let flix = ts.partner_app(&op, "flix", "standard", ALL_STANDARD).await;
    let register = async |url: &str| {
        let request = clearline_api_types::RegisterAppRequest {
            name: "Hooked".into(),
            client_type: "confidential".into(),
            redirect_uris: vec![clearline_testkit::partner::REDIRECT_URI.into()],
            webhook_url: Some(url.into()),
        };
        op.client.register_app(&flix.partner_id, &request).await
    };
    for target in [
        "http://127.0.0.1:9/hooks",
        "http://localhost/hooks",
        "https://169.254.169.254/latest",
        "https://10.0.0.7/h",
        "http://[::1]:9/h",
    ] {
        assert_problem(register(target).await, 422, ErrorCode::ValidationFailed);
    }
    register("https://hooks.streamflix.example/clearline").await.unwrap();
}

#[tokio::test]
async fn past_the_per_person_rate_the_app_gets_429_with_retry_after_and_it_is_on_record() {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_700_000_000_000)));
    let ts = TestServer::spawn_configured(clock.clone(), |c| c.partner.per_person_per_minute = 2).await;
    let op = ts.operator("root").await;
    let alice = ts.person("alice").await;
    let flix = ts.partner_app(&op, "flix", "standard", ALL_STANDARD).await;
    let app = as_app(&ts, &ts.connect(&alice, &flix, ALL_STANDARD).await.access_token);
    app.partner_me().await.unwrap();
    app.partner_me().await.unwrap();
    // The third call within the minute is refused, says when to come back, and is recorded.
    let res = app.request(clearline_client::Method::GET, "/partner/v1/me").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let secs: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "Retry-After {secs}");
    let e = last_event(&ts).await;
    assert_eq!((e.action, e.outcome), (AccessAction::Me, AccessOutcome::Denied(DenyReason::RateLimited)));
    // Once that time has passed, calls go through again.
    clock.advance(i64::try_from(secs).unwrap() * 1000);
    app.partner_me().await.unwrap();
}
