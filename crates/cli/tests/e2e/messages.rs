use clearline_api_types::{ErrorCode, MessagePageQuery, SendMessageRequest};
use clearline_client::Method;
use clearline_testkit::TestServer;

use crate::assert_problem;

fn page(before: Option<&str>, after: Option<&str>, limit: u32) -> MessagePageQuery {
    MessagePageQuery { before: before.map(Into::into), after: after.map(Into::into), limit: Some(limit) }
}

#[tokio::test]
async fn history_pages_backwards_and_forwards_without_gaps_or_repeats() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("alf", "bob").await;
    let mut sent = Vec::new();
    for i in 0..25 {
        let who = if i % 2 == 0 { &a } else { &b };
        sent.push(who.client.send_text(&conv, &format!("message {i}"), None).await.unwrap().id);
    }
    // Backwards from the newest.
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let p = a.client.messages(&conv, &page(before.as_deref(), None, 10)).await.unwrap();
        seen.extend(p.items.iter().map(|m| m.id.clone()));
        if !p.has_more {
            break;
        }
        before = p.items.last().map(|m| m.id.clone());
    }
    let mut expected = sent.clone();
    expected.reverse();
    assert_eq!(seen, expected);
    // Forwards from the 5th message.
    let p = b.client.messages(&conv, &page(None, Some(&sent[4]), 100)).await.unwrap();
    assert_eq!(p.items.iter().map(|m| m.id.clone()).collect::<Vec<_>>(), sent[5..].to_vec());
    assert!(!p.has_more);
    assert_eq!(p.items[0].body.as_deref(), Some("message 5"));
}

#[tokio::test]
async fn bad_paging_input_is_refused() {
    let server = TestServer::spawn().await;
    let (a, _, conv) = server.pair("cyd", "dia").await;
    assert_problem(a.client.messages(&conv, &page(None, None, 0)).await, 422, ErrorCode::ValidationFailed);
    assert_problem(a.client.messages(&conv, &page(None, None, 101)).await, 422, ErrorCode::ValidationFailed);
    assert_problem(
        a.client.messages(&conv, &page(Some("msg_1"), Some("msg_2"), 10)).await,
        422,
        ErrorCode::ValidationFailed,
    );
    assert_problem(a.client.messages(&conv, &page(Some("usr_1"), None, 10)).await, 422, ErrorCode::ValidationFailed);
    let res =
        a.client.request(Method::GET, &format!("/v1/conversations/{conv}/messages?limit=abc")).send().await.unwrap();
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn a_retried_send_with_the_same_key_never_duplicates() {
    let server = TestServer::spawn().await;
    let (a, _, conv) = server.pair("eda", "flo").await;
    let body = SendMessageRequest { body: Some("only once".into()), ..Default::default() };
    let (first, created) = a.client.send_message(&conv, &body, Some("key-1")).await.unwrap();
    assert!(created);
    let (again, created) = a.client.send_message(&conv, &body, Some("key-1")).await.unwrap();
    assert!(!created);
    assert_eq!(again, first);
    let other = SendMessageRequest { body: Some("something else".into()), ..Default::default() };
    assert_problem(a.client.send_message(&conv, &other, Some("key-1")).await, 409, ErrorCode::IdempotencyKeyReused);
    let history = a.client.messages(&conv, &MessagePageQuery::default()).await.unwrap();
    assert_eq!(history.items.len(), 1);
    assert_problem(a.client.send_message(&conv, &body, Some("")).await, 422, ErrorCode::ValidationFailed);
    assert_problem(a.client.send_message(&conv, &body, Some(&"k".repeat(65))).await, 422, ErrorCode::ValidationFailed);
}

#[tokio::test]
async fn bodies_are_checked_for_size_encoding_and_shape() {
    let server = TestServer::spawn().await;
    let (a, _, conv) = server.pair("gil", "hue").await;
    let c = &a.client;
    let at_limit = SendMessageRequest { body: Some("x".repeat(65_536)), ..Default::default() };
    assert!(c.send_message(&conv, &at_limit, None).await.is_ok());
    let over = SendMessageRequest { body: Some("x".repeat(65_537)), ..Default::default() };
    assert_problem(c.send_message(&conv, &over, None).await, 422, ErrorCode::ValidationFailed);
    let empty = SendMessageRequest { body: Some(String::new()), ..Default::default() };
    assert_problem(c.send_message(&conv, &empty, None).await, 422, ErrorCode::ValidationFailed);
    let huge = SendMessageRequest { body: Some("y".repeat(300_000)), ..Default::default() };
    assert_problem(c.send_message(&conv, &huge, None).await, 413, ErrorCode::PayloadTooLarge);
    let not_utf8 = SendMessageRequest { body_base64: Some("//4=".into()), ..Default::default() };
    assert_problem(c.send_message(&conv, &not_utf8, None).await, 422, ErrorCode::ValidationFailed);
    let both = SendMessageRequest { body: Some("a".into()), body_base64: Some("YQ==".into()), ..Default::default() };
    assert_problem(c.send_message(&conv, &both, None).await, 400, ErrorCode::MalformedRequest);
    let neither = SendMessageRequest::default();
    assert_problem(c.send_message(&conv, &neither, None).await, 400, ErrorCode::MalformedRequest);
    let bad_type =
        SendMessageRequest { content_type: Some("nope".into()), body: Some("a".into()), ..Default::default() };
    assert_problem(c.send_message(&conv, &bad_type, None).await, 422, ErrorCode::ValidationFailed);
    let res = c
        .request(Method::POST, &format!("/v1/conversations/{conv}/messages"))
        .json(&serde_json::json!({"body": "hi", "surprise": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "unknown fields are refused");
    // Only the one valid message was stored.
    assert_eq!(c.messages(&conv, &MessagePageQuery::default()).await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn opaque_content_round_trips_as_bytes() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("ion", "joy").await;
    let body = SendMessageRequest {
        content_type: Some("application/mls-message".into()),
        body_base64: Some("AAECA/8=".into()),
        ..Default::default()
    };
    a.client.send_message(&conv, &body, None).await.unwrap();
    let got = &b.client.messages(&conv, &MessagePageQuery::default()).await.unwrap().items[0];
    assert_eq!(got.content_type.as_deref(), Some("application/mls-message"));
    assert_eq!(got.body_base64.as_deref(), Some("AAECA/8="));
    assert_eq!(got.body, None);
}

#[tokio::test]
async fn only_the_sender_deletes_and_the_content_is_erased_from_disk() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("ken", "liv").await;
    let secret = "meet-at-the-old-mill-7f3a9c";
    let msg = a.client.send_text(&conv, secret, None).await.unwrap();
    assert_problem(b.client.delete_message(&conv, &msg.id).await, 403, ErrorCode::Forbidden);
    let tombstone = a.client.delete_message(&conv, &msg.id).await.unwrap();
    assert!(tombstone.deleted_at.is_some());
    assert_eq!((tombstone.body, tombstone.content_type), (None, None));
    // Deleting again returns the same tombstone.
    assert_eq!(a.client.delete_message(&conv, &msg.id).await.unwrap().id, msg.id);
    // Everyone sees the tombstone in history.
    let seen = &b.client.messages(&conv, &MessagePageQuery::default()).await.unwrap().items[0];
    assert!(seen.deleted_at.is_some() && seen.body.is_none());
    // Once the checkpointer's next round has emptied the WAL, no file holds it.
    server.state().app.store().erasures_settled().await;
    for entry in std::fs::read_dir(server.data_dir()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()), "erased content found on disk");
    }
    assert_problem(a.client.delete_message(&conv, "msg_999999").await, 404, ErrorCode::NotFound);
}

#[tokio::test]
async fn read_marks_only_move_forward_and_must_name_a_message_of_the_conversation() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("max", "nia").await;
    let m1 = a.client.send_text(&conv, "one", None).await.unwrap();
    let m2 = a.client.send_text(&conv, "two", None).await.unwrap();
    b.client.mark_read(&conv, &m2.id).await.unwrap();
    b.client.mark_read(&conv, &m1.id).await.unwrap();
    let members = b.client.conversation(&conv).await.unwrap().members;
    let mine = members.iter().find(|m| m.user_id == b.id).unwrap();
    assert_eq!(mine.read_up_to.as_deref(), Some(m2.id.as_str()));
    let (oz, _, other) = server.pair("ozz", "pia").await;
    let foreign = oz.client.send_text(&other, "elsewhere", None).await.unwrap();
    assert_problem(b.client.mark_read(&conv, &foreign.id).await, 404, ErrorCode::NotFound);
    assert_problem(b.client.mark_read(&conv, "msg_999999").await, 404, ErrorCode::NotFound);
    assert_problem(b.client.mark_read(&conv, "garbage").await, 422, ErrorCode::ValidationFailed);
}
