//! Idempotent ingest: every stored row may carry a client id, recorded per source in
//! `ingest_receipts`, so a batch sent twice (a retry, a replayed spill file) stores its
//! rows once.

use serde::Serialize;
use std::collections::HashSet;

/// Rows per INSERT statement: 15 bound columns x 2,000 rows stays under SQLite's
/// 32,766-variable limit and PostgreSQL's 65,535.
pub(crate) const ROWS_PER_STATEMENT: usize = 2_000;

/// What [`Store::insert_results`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct InsertOutcome {
    pub inserted: usize,
    /// Rows skipped because their client id had already been stored.
    pub duplicates: usize,
    /// Indices (into the input) of the rows stored, in input order.
    #[serde(skip)]
    pub fresh: Vec<usize>,
}

/// Indices of the items to store: those without a client id, and the first item of each
/// client id in `new_ids` (ids the receipts table had not seen). `None`: store all.
pub(crate) fn fresh_indices<T>(
    items: &[T],
    client_id: impl Fn(&T) -> Option<&str>,
    new_ids: Option<&HashSet<String>>,
) -> Vec<usize> {
    let Some(new_ids) = new_ids else {
        return (0..items.len()).collect();
    };
    let mut seen = HashSet::new();
    (0..items.len())
        .filter(|&i| match client_id(&items[i]) {
            None => true,
            Some(id) => new_ids.contains(id) && seen.insert(id),
        })
        .collect()
}

/// Records client ids for a source inside an open transaction and evaluates to the set
/// of ids not seen before (a macro so one text serves both backends' transactions).
macro_rules! claim_ingest_receipts {
    ($tx:expr, $source:expr, $kind:expr, $ids:expr) => {{
        let mut fresh = std::collections::HashSet::<String>::new();
        for chunk in $ids.chunks(crate::receipts::ROWS_PER_STATEMENT) {
            let mut q =
                sqlx::QueryBuilder::new("INSERT INTO ingest_receipts (source, kind, client_id) ");
            q.push_values(chunk, |mut b, id| {
                b.push_bind($source).push_bind($kind).push_bind(*id);
            });
            q.push(" ON CONFLICT DO NOTHING RETURNING client_id");
            let rows: Vec<(String,)> = q.build_query_as().fetch_all(&mut *$tx).await?;
            fresh.extend(rows.into_iter().map(|r| r.0));
        }
        fresh
    }};
}
pub(crate) use claim_ingest_receipts;
