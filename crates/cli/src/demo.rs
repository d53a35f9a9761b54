//! The demo world of `clearline demo`: a handful of people, friendships, a pending request,
//! direct conversations and a group with history, all created through the services so every
//! rule applies. Later issues add the Streamflix partner and its traffic here.

use std::path::Path;

use clearline_core::{App, Principal};
use clearline_domain::{
    ContentType, ConversationId, DisplayName, GroupTitle, Handle, MessageContent, Password, UserId,
};
use clearline_store::Store;

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = "demo-password";

/// Handle and display name of each demo person.
pub const PEOPLE: &[(&str, &str)] = &[
    ("alice", "Alice Martin"),
    ("bob", "Bob Chen"),
    ("carol", "Carol Diaz"),
    ("dave", "Dave Okafor"),
    ("erin", "Erin Walsh"),
];

/// Empties (or creates) the demo data directory so every demo starts fresh.
pub fn prepare_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        let db = dir.join(clearline_server::DATABASE_FILE);
        let is_demo = db.exists() || dir.read_dir()?.next().is_none();
        anyhow::ensure!(is_demo, "{} is not empty and holds no Clearline data; pick another --data-dir", dir.display());
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    Ok(())
}

fn text(s: &str) -> anyhow::Result<MessageContent> {
    Ok(MessageContent::new(ContentType::text_plain(), s.as_bytes().to_vec())?)
}

async fn befriend<S: Store>(app: &App<S>, a: Principal, b: Principal) -> anyhow::Result<()> {
    app.send_friend_request(a, b.user_id).await?;
    app.accept_friend_request(b, a.user_id).await?;
    Ok(())
}

async fn chat<S: Store>(app: &App<S>, conv: ConversationId, lines: &[(Principal, &str)]) -> anyhow::Result<()> {
    for (who, line) in lines {
        app.send_message(*who, conv, text(line)?, None).await?;
    }
    Ok(())
}

/// Creates the demo world; returns each person's handle and id.
pub async fn seed<S: Store>(app: &App<S>) -> anyhow::Result<Vec<(String, UserId)>> {
    let mut p = Vec::new();
    for (handle, name) in PEOPLE {
        let signed = app
            .sign_up(
                Handle::parse(handle)?,
                DisplayName::parse(name)?,
                Password::parse(DEMO_PASSWORD.to_owned())?,
                Some("demo"),
            )
            .await?;
        p.push(Principal { user_id: signed.user.id, session_id: signed.token.session() });
    }
    let [alice, bob, carol, dave, erin] = [p[0], p[1], p[2], p[3], p[4]];
    befriend(app, alice, bob).await?;
    befriend(app, alice, carol).await?;
    befriend(app, bob, carol).await?;
    befriend(app, carol, dave).await?;
    befriend(app, alice, dave).await?;
    app.send_friend_request(erin, alice.user_id).await?;

    let ab = app.open_direct(alice, bob.user_id).await?.value.id;
    chat(
        app,
        ab,
        &[
            (alice, "Have you started the new season of Night Harbour?"),
            (bob, "Two episodes in. The lighthouse scene!"),
            (alice, "No spoilers, I'm on episode one"),
            (bob, "My lips are sealed"),
            (alice, "Watching the rest tonight"),
            (bob, "Tell me when you get to episode four"),
        ],
    )
    .await?;
    let ac = app.open_direct(alice, carol.user_id).await?.value.id;
    chat(app, ac, &[(carol, "Lunch on Thursday?"), (alice, "Yes! The usual place at noon"), (carol, "See you there")])
        .await?;
    let cd = app.open_direct(carol, dave.user_id).await?.value.id;
    chat(app, cd, &[(dave, "Did you get the tickets?"), (carol, "Two, row F")]).await?;

    let group = app.create_group(alice, GroupTitle::parse("Movie night")?, vec![bob.user_id, carol.user_id]).await?.id;
    chat(
        app,
        group,
        &[
            (alice, "Friday movie night at mine?"),
            (carol, "I'm in. I'll bring snacks"),
            (bob, "Count me in. Comedy or thriller?"),
            (alice, "Thriller, we did comedy last time"),
        ],
    )
    .await?;
    // Bob has read the group; Alice has not read Bob's latest direct messages.
    if let Some(last) =
        app.messages(bob, group, clearline_domain::PageRequest::new(None, None, Some(1))?).await?.items.first()
    {
        app.mark_read(bob, group, last.id).await?;
    }
    Ok(PEOPLE.iter().map(|(h, _)| (*h).to_owned()).zip(p.iter().map(|x| x.user_id)).collect())
}

/// Prints where the demo runs and how to sign in.
pub fn print_welcome(url: &str, dir: &Path, people: &[(String, UserId)]) {
    println!("Clearline demo at {url} (data in {})", dir.display());
    println!("Sign in with any of these handles and the password {DEMO_PASSWORD:?}:");
    for (handle, id) in people {
        println!("  {handle:<6} {id}");
    }
    println!(
        "Try: curl -s {url}/v1/sessions -H 'content-type: application/json' -d '{{\"handle\":\"alice\",\"password\":\"{DEMO_PASSWORD}\"}}'"
    );
}
