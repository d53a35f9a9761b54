use clearline_api_types::{EventData, EventEnvelope};
use clearline_client::EventStream;
use clearline_testkit::TestServer;

/// The next event; a missing one fails the test after 30 s instead of hanging it.
async fn next(stream: &mut EventStream) -> EventEnvelope {
    tokio::time::timeout(std::time::Duration::from_secs(30), stream.next())
        .await
        .expect("an event within 30 s")
        .expect("stream open")
        .expect("valid event")
}

fn message_body(e: &EventEnvelope) -> Option<&str> {
    match &e.data {
        EventData::MessageCreated { message } => message.body.as_deref(),
        _ => None,
    }
}

#[tokio::test]
async fn every_connection_of_every_member_gets_new_messages() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("ana", "bea").await;
    let mut a1 = a.client.events(None).await.unwrap();
    let mut b1 = b.client.events(None).await.unwrap();
    let mut b2 = b.client.events(None).await.unwrap();
    let sent = a.client.send_text(&conv, "hello live", None).await.unwrap();
    for stream in [&mut a1, &mut b1, &mut b2] {
        let e = next(stream).await;
        assert_eq!(message_body(&e), Some("hello live"));
        match &e.data {
            EventData::MessageCreated { message } => assert_eq!(message.id, sent.id),
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[tokio::test]
async fn reconnecting_with_since_gets_what_was_missed_and_nothing_twice() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("cat", "dan").await;
    let mut stream = b.client.events(Some(0)).await.unwrap();
    // Replayed history: the request, the friendship, the conversation.
    let replayed = [next(&mut stream).await, next(&mut stream).await, next(&mut stream).await];
    assert_eq!(replayed.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2, 3]);
    assert!(matches!(replayed[0].data, EventData::FriendRequestReceived { .. }));
    assert!(matches!(replayed[1].data, EventData::FriendAdded { .. }));
    assert!(matches!(replayed[2].data, EventData::ConversationUpdated { .. }));
    a.client.send_text(&conv, "one", None).await.unwrap();
    let third = next(&mut stream).await;
    assert_eq!((third.seq, message_body(&third)), (4, Some("one")));
    stream.close().await;
    // While b is away: three messages, a deletion and a read mark.
    let m2 = a.client.send_text(&conv, "two", None).await.unwrap();
    a.client.send_text(&conv, "three", None).await.unwrap();
    a.client.delete_message(&conv, &m2.id).await.unwrap();
    b.client.mark_read(&conv, &m2.id).await.unwrap();
    let mut resumed = b.client.events(Some(third.seq)).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..4 {
        got.push(next(&mut resumed).await);
    }
    assert_eq!(got.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![5, 6, 7, 8]);
    // The replayed "two" is a tombstone now: deletion erased it from the stream as well.
    assert!(
        matches!(&got[0].data, EventData::MessageCreated { message } if message.body.is_none() && message.deleted_at.is_some())
    );
    assert_eq!(message_body(&got[1]), Some("three"));
    assert!(matches!(&got[2].data, EventData::MessageDeleted { message_id, .. } if *message_id == m2.id));
    assert!(matches!(&got[3].data, EventData::ReadMarked { user_id, .. } if *user_id == b.id));
    // Then live events continue with the next number, nothing repeated.
    a.client.send_text(&conv, "four", None).await.unwrap();
    let live = next(&mut resumed).await;
    assert_eq!((live.seq, message_body(&live)), (9, Some("four")));
}

#[tokio::test]
async fn a_burst_of_concurrent_sends_arrives_complete_and_in_order() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("eli", "fin").await;
    let mut stream = b.client.events(None).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..60 {
        let (client, conv) = (if i % 2 == 0 { a.client.clone() } else { b.client.clone() }, conv.clone());
        tasks.push(tokio::spawn(async move { client.send_text(&conv, &format!("burst {i}"), None).await.unwrap() }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut seqs = Vec::new();
    for _ in 0..60 {
        seqs.push(next(&mut stream).await.seq);
    }
    let start = seqs[0];
    assert_eq!(seqs, (start..start + 60).collect::<Vec<_>>());
}

#[tokio::test]
async fn friend_events_reach_both_people() {
    let server = TestServer::spawn().await;
    let (a, b) = (server.person("gwen").await, server.person("hugo").await);
    let mut sa = a.client.events(None).await.unwrap();
    let mut sb = b.client.events(None).await.unwrap();
    a.client.send_friend_request(&b.id).await.unwrap();
    assert!(matches!(next(&mut sb).await.data, EventData::FriendRequestReceived { from } if from.id == a.id));
    b.client.accept_friend_request(&a.id).await.unwrap();
    assert!(matches!(next(&mut sa).await.data, EventData::FriendAdded { friend } if friend.id == b.id));
    assert!(matches!(next(&mut sb).await.data, EventData::FriendAdded { friend } if friend.id == a.id));
    a.client.remove_friend(&b.id).await.unwrap();
    assert!(matches!(next(&mut sb).await.data, EventData::FriendRemoved { user_id } if user_id == a.id));
}

#[tokio::test]
async fn the_event_socket_needs_a_valid_session() {
    let server = TestServer::spawn().await;
    let err = server.client().events(None).await.err().expect("refused");
    assert_eq!(err.status(), Some(401));
    let err = server.client().with_token("ses_1.nope").events(None).await.err().expect("refused");
    assert_eq!(err.status(), Some(401));
    let ivy = server.person("ivy").await;
    ivy.client.revoke_session("current").await.unwrap();
    assert_eq!(ivy.client.events(None).await.err().and_then(|e| e.status()), Some(401));
}

#[tokio::test]
async fn a_since_beyond_the_newest_event_starts_from_now() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("jay", "kit").await;
    let mut stream = b.client.events(Some(1_000_000)).await.unwrap();
    a.client.send_text(&conv, "after a bad since", None).await.unwrap();
    let e = next(&mut stream).await;
    assert_eq!(message_body(&e), Some("after a bad since"));
    assert_eq!(e.seq, 4, "numbering continues from the real newest event");
}

/// Reads until the server closes the stream; events still in flight before the close are skipped.
async fn closed_with(stream: &mut EventStream) -> Option<u16> {
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(30), stream.next()).await {
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(e))) => panic!("stream failed instead of closing: {e}"),
            Ok(None) => return stream.close_code(),
            Err(_) => panic!("the server did not close the stream within 30 s"),
        }
    }
}

#[tokio::test]
async fn revoking_a_session_closes_its_websockets_and_only_those() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("eli", "fay").await;
    // Fay signs in on a second device; the first device is lost and revoked from the second.
    let phone = server.client().sign_in("fay", clearline_testkit::PASSWORD).await.unwrap();
    let phone = server.client().with_token(&phone.token);
    let mut lost = b.client.events(None).await.unwrap();
    let mut kept = phone.events(None).await.unwrap();
    let lost_id = b.client.sessions().await.unwrap().into_iter().find(|s| s.current).unwrap().id;
    phone.revoke_session(&lost_id).await.unwrap();
    assert_eq!(closed_with(&mut lost).await, Some(clearline_api_types::CLOSE_SESSION_ENDED));
    // The other device keeps its live feed.
    a.client.send_text(&conv, "still here", None).await.unwrap();
    assert_eq!(message_body(&next(&mut kept).await), Some("still here"));
}

#[tokio::test]
async fn signing_out_closes_the_sessions_websocket_before_any_later_message() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("gus", "hal").await;
    let mut stream = b.client.events(None).await.unwrap();
    b.client.revoke_session("current").await.unwrap();
    a.client.send_text(&conv, "secret after sign-out", None).await.unwrap();
    loop {
        match tokio::time::timeout(std::time::Duration::from_secs(30), stream.next()).await.expect("closed in time") {
            Some(Ok(e)) => assert_ne!(message_body(&e), Some("secret after sign-out"), "delivered after sign-out"),
            Some(Err(e)) => panic!("{e}"),
            None => break,
        }
    }
    assert_eq!(stream.close_code(), Some(clearline_api_types::CLOSE_SESSION_ENDED));
}
