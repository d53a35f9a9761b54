//! Cursor paging, shared by every listing: the newest page, the page before an item, or the
//! page after it, never more than [`MAX_PAGE_LIMIT`] items.

use crate::ValidationError;

/// The most items one page may hold.
pub const MAX_PAGE_LIMIT: u32 = 100;
/// The page size when the client names none.
pub const DEFAULT_PAGE_LIMIT: u32 = 50;

/// Where a page starts, as the raw id of the item on its edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    /// The newest items.
    Latest,
    /// Items older than this one, newest first.
    Before(i64),
    /// Items newer than this one, oldest first.
    After(i64),
}

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Where the page starts.
    pub cursor: Cursor,
    /// How many items at most (1 to [`MAX_PAGE_LIMIT`]).
    pub limit: u32,
}

impl PageRequest {
    /// Builds a page request from optional `before`, `after` and `limit`.
    pub fn new(before: Option<i64>, after: Option<i64>, limit: Option<u32>) -> Result<Self, ValidationError> {
        let limit = limit.unwrap_or(DEFAULT_PAGE_LIMIT);
        if !(1..=MAX_PAGE_LIMIT).contains(&limit) {
            return Err(ValidationError::PageLimit);
        }
        let cursor = match (before, after) {
            (None, None) => Cursor::Latest,
            (Some(b), None) => Cursor::Before(b),
            (None, Some(a)) => Cursor::After(a),
            (Some(_), Some(_)) => return Err(ValidationError::PageCursor),
        };
        Ok(Self { cursor, limit })
    }
}

/// One page of items, in the order the cursor implies, and whether more lie beyond it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// More items exist past the last one in the paging direction.
    pub has_more: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_limits_and_cursors_are_checked() {
        assert_eq!(PageRequest::new(None, None, None).map(|p| p.limit), Ok(DEFAULT_PAGE_LIMIT));
        assert_eq!(PageRequest::new(None, None, Some(0)), Err(ValidationError::PageLimit));
        assert_eq!(PageRequest::new(None, None, Some(101)), Err(ValidationError::PageLimit));
        assert_eq!(PageRequest::new(Some(1), Some(2), None), Err(ValidationError::PageCursor));
        assert_eq!(PageRequest::new(Some(7), None, Some(5)).map(|p| p.cursor), Ok(Cursor::Before(7)));
    }
}
