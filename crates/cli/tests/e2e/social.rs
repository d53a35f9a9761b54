use clearline_api_types::{ErrorCode, FriendRequestStatus};
use clearline_testkit::TestServer;

use crate::assert_problem;

#[tokio::test]
async fn search_finds_by_prefix_but_not_myself() {
    let server = TestServer::spawn().await;
    let anna = server.person("anna").await;
    server.person("annabel").await;
    server.person("bert").await;
    let found: Vec<String> = anna.client.search("AN").await.unwrap().into_iter().map(|u| u.handle).collect();
    assert_eq!(found, vec!["annabel"]);
    assert_problem(anna.client.search("").await, 422, ErrorCode::ValidationFailed);
    assert_problem(anna.client.search("a%").await, 422, ErrorCode::ValidationFailed);
}

#[tokio::test]
async fn a_request_accepted_makes_friends_on_both_sides() {
    let server = TestServer::spawn().await;
    let (a, b) = (server.person("amy").await, server.person("ben").await);
    assert_eq!(a.client.send_friend_request(&b.id).await.unwrap(), FriendRequestStatus::Requested);
    let pending = b.client.friend_requests().await.unwrap();
    assert_eq!(pending.received.len(), 1);
    assert_eq!(pending.received[0].user.id, a.id);
    assert_eq!(a.client.friend_requests().await.unwrap().sent[0].user.id, b.id);
    b.client.accept_friend_request(&a.id).await.unwrap();
    assert_eq!(a.client.friends().await.unwrap()[0].user.id, b.id);
    assert_eq!(b.client.friends().await.unwrap()[0].user.id, a.id);
    assert!(b.client.friend_requests().await.unwrap().received.is_empty());
    assert_problem(a.client.send_friend_request(&b.id).await, 409, ErrorCode::Conflict);
}

#[tokio::test]
async fn crossing_requests_become_a_friendship() {
    let server = TestServer::spawn().await;
    let (a, b) = (server.person("cal").await, server.person("dot").await);
    a.client.send_friend_request(&b.id).await.unwrap();
    assert_eq!(b.client.send_friend_request(&a.id).await.unwrap(), FriendRequestStatus::Friends);
    assert_eq!(a.client.friends().await.unwrap().len(), 1);
}

#[tokio::test]
async fn declined_cancelled_and_missing_requests() {
    let server = TestServer::spawn().await;
    let (a, b) = (server.person("eve").await, server.person("fay").await);
    a.client.send_friend_request(&b.id).await.unwrap();
    b.client.decline_friend_request(&a.id).await.unwrap();
    assert_problem(b.client.accept_friend_request(&a.id).await, 404, ErrorCode::NotFound);
    a.client.send_friend_request(&b.id).await.unwrap();
    a.client.cancel_friend_request(&b.id).await.unwrap();
    assert!(b.client.friend_requests().await.unwrap().received.is_empty());
    assert_problem(a.client.cancel_friend_request(&b.id).await, 404, ErrorCode::NotFound);
    assert_problem(a.client.send_friend_request(&a.id).await, 422, ErrorCode::Unprocessable);
    assert_problem(a.client.send_friend_request("usr_999999").await, 404, ErrorCode::NotFound);
    assert_problem(a.client.send_friend_request("not-an-id").await, 422, ErrorCode::ValidationFailed);
    assert!(a.client.friends().await.unwrap().is_empty());
}

#[tokio::test]
async fn removing_a_friend_ends_it_for_both() {
    let server = TestServer::spawn().await;
    let (a, b, _) = server.pair("gus", "hal").await;
    b.client.remove_friend(&a.id).await.unwrap();
    assert!(a.client.friends().await.unwrap().is_empty());
    assert_problem(b.client.remove_friend(&a.id).await, 404, ErrorCode::NotFound);
}

#[tokio::test]
async fn a_blocked_person_cannot_find_befriend_or_message_the_blocker() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("ida", "jon").await;
    b.client.send_text(&conv, "before the block", None).await.unwrap();
    a.client.block(&b.id).await.unwrap();
    // Blocking ended the friendship.
    assert!(b.client.friends().await.unwrap().is_empty());
    // b no longer finds a, and a does not find b either.
    assert!(b.client.search("ida").await.unwrap().is_empty());
    assert!(a.client.search("jon").await.unwrap().is_empty());
    // b cannot ask again: a does not exist for b.
    assert_problem(b.client.send_friend_request(&a.id).await, 404, ErrorCode::NotFound);
    // b cannot message a in their existing conversation, nor open a new one.
    assert_problem(b.client.send_text(&conv, "hello?", None).await, 403, ErrorCode::Blocked);
    assert_problem(b.client.open_direct(&a.id).await, 404, ErrorCode::NotFound);
    // a must unblock before befriending b.
    assert_problem(a.client.send_friend_request(&b.id).await, 403, ErrorCode::Blocked);
    assert_eq!(a.client.blocks().await.unwrap()[0].id, b.id);
    a.client.unblock(&b.id).await.unwrap();
    assert_eq!(b.client.search("ida").await.unwrap().len(), 1);
    assert_problem(a.client.unblock(&b.id).await, 404, ErrorCode::NotFound);
}
