//! Cursor pagination (contract §4.7): `?limit=&cursor=` in, `{items, next_cursor,
//! total_count}` out.

use serde::Deserialize;

use super::ids::Cursor;

/// One page of a v2 list.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Pass back as `cursor` for the next page; `None` on the last page.
    #[serde(default)]
    pub next_cursor: Option<Cursor>,
    /// Count of all matches (`None` only for a few credit endpoints).
    #[serde(default)]
    pub total_count: Option<u64>,
}

impl<T> Page<T> {
    /// True when there is no next page.
    pub fn is_last(&self) -> bool {
        self.next_cursor.is_none()
    }
}

/// `limit`: 1–100 items per page (the platform's default is 20; out of range is a 422).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageLimit(u8);

/// A page size outside 1–100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("page limit must be between 1 and 100")]
pub struct InvalidPageLimit;

impl PageLimit {
    /// The largest page.
    pub const MAX: PageLimit = PageLimit(100);

    /// Validates a page size.
    pub fn new(limit: u32) -> Result<Self, InvalidPageLimit> {
        match u8::try_from(limit) {
            Ok(l @ 1..=100) => Ok(Self(l)),
            _ => Err(InvalidPageLimit),
        }
    }

    /// The size.
    pub fn get(self) -> u8 {
        self.0
    }
}

/// Which page to ask for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// Items per page; `None` = the platform's default (20).
    pub limit: Option<PageLimit>,
    /// `None` for the first page, else the previous page's `next_cursor`.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The first page with `limit` items.
    pub fn first(limit: PageLimit) -> Self {
        Self { limit: Some(limit), cursor: None }
    }

    /// The same request for the page after `cursor`.
    pub fn after(&self, cursor: Cursor) -> Self {
        Self { limit: self.limit, cursor: Some(cursor) }
    }

    pub(crate) fn push_query(&self, query: &mut Vec<(&'static str, String)>) {
        if let Some(l) = self.limit {
            query.push(("limit", l.get().to_string()));
        }
        if let Some(c) = &self.cursor {
            query.push(("cursor", c.as_str().to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(PageLimit::new(0).is_err());
        assert_eq!(PageLimit::new(1).unwrap().get(), 1);
        assert_eq!(PageLimit::new(100).unwrap(), PageLimit::MAX);
        assert!(PageLimit::new(101).is_err());
        assert!(PageLimit::new(u32::MAX).is_err());
    }

    #[test]
    fn envelope() {
        let p: Page<u8> = serde_json::from_str(r#"{"items":[1,2],"next_cursor":"c2","total_count":3,"x":0}"#).unwrap();
        assert_eq!(p.items, [1, 2]);
        assert!(!p.is_last());
        let p: Page<u8> = serde_json::from_str(r#"{"items":[],"next_cursor":null,"total_count":null}"#).unwrap();
        assert!(p.is_last() && p.total_count.is_none());
        let mut q = Vec::new();
        PageRequest::first(PageLimit::new(5).unwrap()).after(Cursor::new("c+1")).push_query(&mut q);
        assert_eq!(q, [("limit", "5".to_owned()), ("cursor", "c+1".to_owned())]);
    }
}
