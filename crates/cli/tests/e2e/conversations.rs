use clearline_api_types::{ErrorCode, MessagePageQuery};
use clearline_testkit::TestServer;

use crate::assert_problem;

#[tokio::test]
async fn direct_conversations_need_friends_and_are_one_per_pair() {
    let server = TestServer::spawn().await;
    let (a, b) = (server.person("kai").await, server.person("lea").await);
    assert_problem(a.client.open_direct(&b.id).await, 403, ErrorCode::NotFriends);
    server.befriend(&a, &b).await;
    let (first, created) = a.client.open_direct(&b.id).await.unwrap();
    assert!(created);
    assert_eq!(first.kind, "direct");
    let (again, created) = b.client.open_direct(&a.id).await.unwrap();
    assert!(!created, "the pair's conversation already existed");
    assert_eq!(again.id, first.id);
    assert_problem(a.client.open_direct(&a.id).await, 422, ErrorCode::Unprocessable);
}

#[tokio::test]
async fn former_friends_cannot_keep_messaging_directly() {
    let server = TestServer::spawn().await;
    let (a, b, conv) = server.pair("moe", "ned").await;
    a.client.send_text(&conv, "while friends", None).await.unwrap();
    a.client.remove_friend(&b.id).await.unwrap();
    assert_problem(b.client.send_text(&conv, "after", None).await, 403, ErrorCode::NotFriends);
    // The history stays readable for both members.
    assert_eq!(b.client.messages(&conv, &MessagePageQuery::default()).await.unwrap().items.len(), 1);
}

#[tokio::test]
async fn non_members_get_404_for_everything_about_a_conversation() {
    let server = TestServer::spawn().await;
    let (a, _b, conv) = server.pair("oli", "pam").await;
    let msg = a.client.send_text(&conv, "private", None).await.unwrap();
    let stranger = server.person("quin").await;
    let c = &stranger.client;
    assert_problem(c.conversation(&conv).await, 404, ErrorCode::NotFound);
    assert_problem(c.messages(&conv, &MessagePageQuery::default()).await, 404, ErrorCode::NotFound);
    assert_problem(c.send_text(&conv, "let me in", None).await, 404, ErrorCode::NotFound);
    assert_problem(c.mark_read(&conv, &msg.id).await, 404, ErrorCode::NotFound);
    assert_problem(c.delete_message(&conv, &msg.id).await, 404, ErrorCode::NotFound);
    assert_problem(c.add_members(&conv, &[&stranger.id]).await, 404, ErrorCode::NotFound);
    // Unknown and malformed ids look the same as someone else's.
    assert_problem(c.conversation("cnv_999999").await, 404, ErrorCode::NotFound);
    assert_problem(c.conversation("nonsense").await, 404, ErrorCode::NotFound);
    assert!(c.inbox(None, None).await.unwrap().items.is_empty());
}

#[tokio::test]
async fn groups_are_made_of_the_creators_friends_and_only_the_creator_manages_them() {
    let server = TestServer::spawn().await;
    let (owner, m1, m2, outsider) = (
        server.person("rae").await,
        server.person("sol").await,
        server.person("tam").await,
        server.person("uma").await,
    );
    server.befriend(&owner, &m1).await;
    server.befriend(&owner, &m2).await;
    server.befriend(&m1, &outsider).await;
    assert_problem(owner.client.create_group("Trip", &[&m1.id, &outsider.id]).await, 403, ErrorCode::NotFriends);
    assert_problem(owner.client.create_group(" ", &[&m1.id]).await, 422, ErrorCode::ValidationFailed);
    let group = owner.client.create_group("Trip", &[&m1.id]).await.unwrap();
    assert_eq!(group.title.as_deref(), Some("Trip"));
    assert_eq!(group.members.len(), 2);
    // Only the creator adds, and only friends of theirs.
    assert_problem(m1.client.add_members(&group.id, &[&outsider.id]).await, 403, ErrorCode::Forbidden);
    assert_problem(owner.client.add_members(&group.id, &[&outsider.id]).await, 403, ErrorCode::NotFriends);
    let grown = owner.client.add_members(&group.id, &[&m2.id]).await.unwrap();
    assert_eq!(grown.members.len(), 3);
    // Members may leave; only the creator removes others.
    assert_problem(m1.client.remove_member(&group.id, &m2.id).await, 403, ErrorCode::Forbidden);
    m1.client.remove_member(&group.id, &m1.id).await.unwrap();
    assert_problem(m1.client.conversation(&group.id).await, 404, ErrorCode::NotFound);
    owner.client.remove_member(&group.id, &m2.id).await.unwrap();
    assert_eq!(owner.client.conversation(&group.id).await.unwrap().members.len(), 1);
    // Direct conversations cannot be left.
    let (vic, _, direct) = server.pair("vic", "wes").await;
    assert_problem(vic.client.remove_member(&direct, &vic.id).await, 422, ErrorCode::Unprocessable);
}

#[tokio::test]
async fn inbox_lists_by_last_activity_with_unread_counts_and_pages() {
    let server = TestServer::spawn().await;
    let me = server.person("xia").await;
    let mut convs = Vec::new();
    for handle in ["yan", "zed", "abe"] {
        let friend = server.person(handle).await;
        server.befriend(&me, &friend).await;
        let (conv, _) = me.client.open_direct(&friend.id).await.unwrap();
        friend.client.send_text(&conv.id, &format!("hi from {handle}"), None).await.unwrap();
        friend.client.send_text(&conv.id, "second", None).await.unwrap();
        convs.push((conv.id, friend));
    }
    // The first conversation becomes the most recent.
    let (first, first_friend) = &convs[0];
    let last = first_friend.client.send_text(first, "newest", None).await.unwrap();
    let page = me.client.inbox(None, Some(2)).await.unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(&page.items[0].conversation.id, first);
    assert_eq!(page.items[0].unread_count, 3);
    assert_eq!(page.items[0].last_message.as_ref().unwrap().body.as_deref(), Some("newest"));
    assert_eq!(page.items[1].conversation.id, convs[2].0);
    let rest = me.client.inbox(page.next.as_deref(), Some(2)).await.unwrap();
    assert_eq!(rest.items.len(), 1);
    assert_eq!(rest.items[0].conversation.id, convs[1].0);
    assert!(rest.next.is_none());
    me.client.mark_read(first, &last.id).await.unwrap();
    assert_eq!(me.client.inbox(None, Some(1)).await.unwrap().items[0].unread_count, 0);
    assert_problem(me.client.inbox(Some("garbage"), None).await, 422, ErrorCode::ValidationFailed);
    assert_problem(me.client.inbox(None, Some(0)).await, 422, ErrorCode::ValidationFailed);
}
