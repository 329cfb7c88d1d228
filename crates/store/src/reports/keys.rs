//! Breakdowns by category count each managed category once: the values the read models keep
//! are grouped, and filtered, by the category each counts under (see crate::categories).

/// The condition on `value` for one value of `dim` in parameter `p`: a category counts with
/// the recorded values mapped to it.
pub(super) fn only_sql(dim: &str, p: &str) -> String {
    if dim == "category" {
        format!(" AND {}", crate::categories::matches_sql("value", p))
    } else {
        format!(" AND value = {p}")
    }
}

/// What a breakdown's values are grouped under (see [`Reports::keys`]).
pub(super) struct Keys(pub(super) Option<crate::categories::CategoryMap>);

impl Keys {
    /// The key `value` counts under.
    pub(super) fn of<'a>(&'a self, value: &'a str) -> &'a str {
        self.0.as_ref().map_or(value, |map| map.key(value))
    }
}
