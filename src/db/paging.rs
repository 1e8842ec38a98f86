//! Keyset paging for lists read newest first: fetch one row more than the page holds to
//! learn whether another page follows, and continue below the last row's key.

/// Rows to ask the database for, for a page of `size`.
pub const fn fetch_size(size: i64) -> i64 {
    size + 1
}

/// One page, and the key to continue from when there is more.
#[derive(Debug, Clone)]
pub struct Page<T, K> {
    pub rows: Vec<T>,
    /// Pass as `before` for the next page.
    pub next: Option<K>,
}

impl<T, K> Page<T, K> {
    /// Builds a page from rows fetched with [`fetch_size`], newest first.
    pub fn from_overfetch(mut rows: Vec<T>, size: i64, key: impl Fn(&T) -> K) -> Page<T, K> {
        let more = rows.len() as i64 > size;
        rows.truncate(size.max(0) as usize);
        let next = if more { rows.last().map(key) } else { None };
        Page { rows, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_continues_below_its_last_row() {
        let page = Page::from_overfetch(vec![9, 8, 7, 6], 3, |r| *r);
        assert_eq!((page.rows, page.next), (vec![9, 8, 7], Some(7)));
        let last = Page::from_overfetch(vec![5, 4], 3, |r| *r);
        assert_eq!((last.rows, last.next), (vec![5, 4], None));
        let exact = Page::from_overfetch(vec![3, 2, 1], 3, |r| *r);
        assert_eq!(exact.next, None);
    }
}
