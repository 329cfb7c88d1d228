//! A report table: cells with their links, a chart, and its CSV.

use super::*;

/// One cell: its text, and where it links to (empty: nowhere).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Cell {
    pub(super) text: String,
    pub(super) link: String,
    /// What the CSV export writes instead of the text (a duration in minutes).
    #[serde(skip)]
    pub(super) raw: Option<String>,
}

impl Cell {
    pub(super) fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            link: String::new(),
            raw: None,
        }
    }

    /// A duration: in words on the page ("45 min", "19.5 h"), in minutes in the CSV.
    pub(super) fn duration(minutes: Option<u64>) -> Self {
        Self {
            text: duration_words(minutes),
            link: String::new(),
            raw: Some(minutes.map(|m| m.to_string()).unwrap_or_default()),
        }
    }
}

/// One table of a report: what the page shows and the CSV export writes.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Table {
    pub(super) id: &'static str,
    pub(super) title: String,
    pub(super) headers: Vec<String>,
    /// The CSV's headers, where they differ (units).
    #[serde(skip)]
    pub(super) csv_headers: Vec<String>,
    pub(super) rows: Vec<Vec<Cell>>,
    /// The chart of the same numbers (SVG), if any.
    pub(super) chart: String,
    pub(super) note: String,
}

impl Table {
    /// Names the currency of the redress column (an installation pays in one, so amounts
    /// are never added across two).
    pub(super) fn in_currency(
        mut self,
        currency: &redress_domain::Currency,
        language: Language,
    ) -> Self {
        let plain = say(language, "figures-col-redress");
        for header in self.headers.iter_mut().chain(self.csv_headers.iter_mut()) {
            if *header == plain {
                *header = say_with(
                    language,
                    "figures-col-redress-in",
                    &[("currency", currency.to_string())],
                );
            }
        }
        self
    }

    /// A table `id` (its name in links and the CSV's file name, never translated), with
    /// its title and column headers in the reader's words.
    pub(super) fn new(
        id: &'static str,
        title: impl Into<String>,
        headers: &[impl AsRef<str>],
    ) -> Self {
        Self {
            id,
            title: title.into(),
            headers: headers.iter().map(|h| h.as_ref().to_string()).collect(),
            csv_headers: Vec::new(),
            rows: Vec::new(),
            chart: String::new(),
            note: String::new(),
        }
    }

    pub(super) fn row(&mut self, cells: Vec<String>) {
        self.linked_row(cells, Vec::new());
    }

    /// A row whose cells at the given columns link somewhere.
    pub(super) fn linked_row(&mut self, cells: Vec<String>, links: Vec<(usize, String)>) {
        let mut row: Vec<Cell> = cells.into_iter().map(Cell::text).collect();
        for (column, link) in links {
            if let Some(cell) = row.get_mut(column) {
                cell.link = link;
            }
        }
        self.rows.push(row);
    }

    pub(super) fn cells(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    pub(super) fn csv(&self) -> Result<String, AppError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let internal = |e: csv::Error| AppError::Internal(e.into());
        let headers = if self.csv_headers.is_empty() {
            &self.headers
        } else {
            &self.csv_headers
        };
        writer.write_record(headers).map_err(internal)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(|c| {
                    c.raw
                        .clone()
                        .unwrap_or_else(|| csv_cell(&c.text).into_owned())
                }))
                .map_err(internal)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| AppError::Internal(e.into()))?;
        String::from_utf8(bytes).map_err(|e| AppError::Internal(e.into()))
    }
}

/// A cell as a spreadsheet should read it: no value is empty, and text a spreadsheet would
/// run as a formula (a customer's words starting with `=`, `+`, `-`, `@`) starts with `'`.
pub(super) fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text == "–" {
        return "".into();
    }
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && text.parse::<f64>().is_err() {
        format!("'{text}").into()
    } else {
        text.into()
    }
}
