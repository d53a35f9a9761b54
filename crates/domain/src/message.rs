//! Messages. A body is an opaque `content_type` plus bytes, so end-to-end encrypted payloads
//! can come later without a new schema; only `text/plain` is interpreted (it must be UTF-8).
//! A deleted message keeps its id, sender and time as a tombstone, with no content at all.

use std::fmt;

use crate::{AppId, ConversationId, MessageId, Timestamp, UserId, ValidationError};

/// The largest message body accepted, in bytes (64 KiB).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The content type of plain text messages.
pub const TEXT_PLAIN: &str = "text/plain";

/// A MIME type without parameters, e.g. `text/plain` or `application/mls-message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentType(String);

impl ContentType {
    /// Checks `type/subtype` made of RFC 6838 restricted-name characters, at most 127 long.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let lower = raw.to_ascii_lowercase();
        let token = |s: &str| {
            !s.is_empty() && s.len() <= 63 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
        };
        match lower.split_once('/') {
            Some((t, st)) if lower.len() <= 127 && token(t) && token(st) => Ok(Self(lower)),
            _ => Err(ValidationError::ContentType),
        }
    }

    /// `text/plain`.
    pub fn text_plain() -> Self {
        Self(TEXT_PLAIN.to_owned())
    }

    /// The type's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is `text/plain`, whose body must be UTF-8.
    pub fn is_text_plain(&self) -> bool {
        self.0 == TEXT_PLAIN
    }
}

/// A message body of 1 to [`MAX_BODY_BYTES`] bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Body(Vec<u8>);

impl Body {
    /// Wraps bytes read back from storage (already checked when written).
    pub fn from_stored(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The body as text, if it is UTF-8.
    pub fn as_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.0).ok()
    }

    /// The body as owned text without a copy, or the body back if it is not UTF-8.
    pub fn into_text(self) -> Result<String, Self> {
        String::from_utf8(self.0).map_err(|e| Self(e.into_bytes()))
    }
}

/// Bodies are never printed: they may be private or encrypted.
impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Body({} bytes)", self.0.len())
    }
}

/// What a message says: its content type and body, checked against each other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageContent {
    content_type: ContentType,
    body: Body,
}

impl MessageContent {
    /// Checks the size limit, and UTF-8 for `text/plain`.
    pub fn new(content_type: ContentType, body: Vec<u8>) -> Result<Self, ValidationError> {
        if body.is_empty() || body.len() > MAX_BODY_BYTES {
            return Err(ValidationError::BodySize);
        }
        if content_type.is_text_plain() && std::str::from_utf8(&body).is_err() {
            return Err(ValidationError::BodyNotUtf8);
        }
        Ok(Self { content_type, body: Body(body) })
    }

    /// Reassembles content read back from storage.
    pub fn from_stored(content_type: ContentType, body: Body) -> Self {
        Self { content_type, body }
    }

    /// The content type.
    pub fn content_type(&self) -> &ContentType {
        &self.content_type
    }

    /// The body.
    pub fn body(&self) -> &Body {
        &self.body
    }

    /// The content type and the body, taken apart.
    pub fn into_parts(self) -> (ContentType, Body) {
        (self.content_type, self.body)
    }
}

/// A client-chosen key that makes a retried send return the first message instead of a copy.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// 1 to 64 printable ASCII characters.
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if (1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::IdempotencyKey)
        }
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message, or the tombstone of a deleted one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its id; ids grow with time within a conversation.
    pub id: MessageId,
    /// Where it was sent.
    pub conversation_id: ConversationId,
    /// Who sent it.
    pub sender_id: UserId,
    /// What it says; `None` once deleted.
    pub content: Option<MessageContent>,
    /// When it was sent.
    pub created_at: Timestamp,
    /// When it was deleted, if it was.
    pub deleted_at: Option<Timestamp>,
    /// The partner app it was sent through, if any.
    pub via: Option<AppId>,
    /// A link card an app attached; erased with the content.
    pub card: Option<Card>,
}

/// A link card an app attaches to a message: a title, where it leads and an optional image.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Card {
    title: String,
    url: String,
    image_url: Option<String>,
}

/// The longest card title, in characters.
pub const MAX_CARD_TITLE: usize = 200;
/// The longest card URL, in bytes.
pub const MAX_CARD_URL: usize = 2048;

impl Card {
    /// Checks a card: a title of 1 to 200 visible characters (see [`crate::text`]) and absolute
    /// `http(s)` URLs of at most 2048 bytes.
    pub fn new(title: &str, url: &str, image_url: Option<&str>) -> Result<Self, ValidationError> {
        let url_ok = |u: &str| {
            u.len() <= MAX_CARD_URL
                && (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() > 8
                && u.bytes().all(|b| b.is_ascii_graphic())
        };
        let title = crate::text::visible_text(title, MAX_CARD_TITLE);
        let Some(title) = title.filter(|_| url_ok(url) && image_url.is_none_or(url_ok)) else {
            return Err(ValidationError::Card);
        };
        Ok(Self { title, url: url.to_owned(), image_url: image_url.map(str::to_owned) })
    }

    /// The title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// Where it leads.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The image, if any.
    pub fn image_url(&self) -> Option<&str> {
        self.image_url.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_moves_out_as_text_only_when_it_is_utf8() {
        let text = MessageContent::new(ContentType::parse("text/plain").unwrap(), b"hello".to_vec()).unwrap();
        let (content_type, body) = text.into_parts();
        assert!(content_type.is_text_plain());
        assert_eq!(body.into_text().as_deref(), Ok("hello"));
        let opaque = Body::from_stored(vec![0xff, 0x00, 0xfe]);
        let back = opaque.into_text().expect_err("not UTF-8");
        assert_eq!(back.as_bytes(), &[0xff, 0x00, 0xfe], "the bytes come back untouched");
    }

    #[test]
    fn content_type_is_checked_and_folded() {
        assert_eq!(ContentType::parse("Text/Plain").map(|c| c.0), Ok("text/plain".to_owned()));
        assert!(ContentType::parse("application/mls-message").is_ok());
        for bad in ["", "text", "text/", "/plain", "text/plain; charset=utf-8", "a b/c"] {
            assert!(ContentType::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn text_plain_body_must_be_utf8_but_others_need_not() {
        let bytes = vec![0xff, 0xfe];
        assert_eq!(MessageContent::new(ContentType::text_plain(), bytes.clone()), Err(ValidationError::BodyNotUtf8));
        let other = ContentType::parse("application/octet-stream");
        assert!(other.and_then(|ct| MessageContent::new(ct, bytes)).is_ok());
    }

    #[test]
    fn body_size_is_bounded_both_ways() {
        let ct = ContentType::text_plain();
        assert_eq!(MessageContent::new(ct.clone(), vec![]), Err(ValidationError::BodySize));
        assert!(MessageContent::new(ct.clone(), vec![b'a'; MAX_BODY_BYTES]).is_ok());
        assert_eq!(MessageContent::new(ct, vec![b'a'; MAX_BODY_BYTES + 1]), Err(ValidationError::BodySize));
    }

    #[test]
    fn body_debug_hides_content() {
        let b = Body::from_stored(b"secret".to_vec());
        assert_eq!(format!("{b:?}"), "Body(6 bytes)");
    }
}
