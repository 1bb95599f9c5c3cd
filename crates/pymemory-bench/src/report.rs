//! The results model every suite fills in, and its rendering as markdown tables.

use std::fmt::Write as _;

use crate::util::{fmt_bytes, fmt_time, sig3};

/// What a number measures, which fixes its formatting and which direction is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Seconds; lower is better.
    Time,
    /// Bytes; lower is better.
    Bytes,
    /// Bytes per second; higher is better.
    Throughput,
    /// A plain count (an x axis).
    Count,
}

impl Kind {
    /// `v` formatted for a table.
    pub(crate) fn fmt(self, v: f64) -> String {
        match self {
            Kind::Time => fmt_time(v),
            Kind::Bytes => fmt_bytes(v),
            Kind::Throughput => format!("{} GB/s", sig3(v / 1e9)),
            Kind::Count => fmt_count(v),
        }
    }

    /// How many times better `ours` is than `other` (above 1: pymemory is better).
    pub(crate) fn advantage(self, ours: f64, other: f64) -> f64 {
        match self {
            Kind::Throughput => ours / other,
            _ => other / ours,
        }
    }
}

/// `10k`, `3M`, ... for object counts and sizes on an axis.
pub(crate) fn fmt_count(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// One workload: pymemory's median and each competitor's, measured in the same run.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) workload: String,
    pub(crate) ours: Option<f64>,
    pub(crate) others: Vec<Option<f64>>,
}

/// A table of workloads against a fixed list of competitors.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub(crate) title: String,
    pub(crate) kind: Kind,
    pub(crate) ours_name: String,
    pub(crate) competitors: Vec<String>,
    pub(crate) rows: Vec<Row>,
    pub(crate) goals: Vec<Goal>,
}

/// A goal an issue sets for one row: a minimum ratio against one competitor, or a
/// maximum for pymemory's own number.
#[derive(Debug, Clone)]
pub(crate) struct Goal {
    pub(crate) row: usize,
    /// `(competitor index, minimum advantage)`, or `None` for an absolute goal.
    pub(crate) versus: Option<(usize, f64)>,
    /// Absolute goal: pymemory's median at most this.
    pub(crate) max_ours: Option<f64>,
    /// The goal in the words.
    pub(crate) text: String,
    /// A "no slower than" goal: a ratio within [`NO_SLOWER_NOISE`] below 1 is a tie, and
    /// a tie is not slower.
    pub(crate) tie_ok: bool,
}

/// How far below 1 a ratio may fall and still count as a tie for a "no slower than"
/// goal: the spread of the ratio between repeated runs of identical work here (the
/// Python package's `tolist`/`tobytes`/`hex` run CPython's own code: 0.99 to 1.02).
pub(crate) const NO_SLOWER_NOISE: f64 = 0.03;

impl Goal {
    /// `Some((met, measured))`: whether the goal holds and the number it was judged on.
    pub(crate) fn check(&self, t: &Table) -> Option<(bool, String)> {
        let r = t.rows.get(self.row)?;
        let ours = r.ours?;
        if let Some(max) = self.max_ours {
            return Some((ours <= max, t.kind.fmt(ours)));
        }
        let (c, min) = self.versus?;
        let other = (*r.others.get(c)?)?;
        let adv = t.kind.advantage(ours, other);
        let measured = format!("ratio {adv:.2} vs {}", t.competitors[c]);
        if self.tie_ok && adv < min && adv >= min - NO_SLOWER_NOISE {
            return Some((
                true,
                format!("{measured} (a tie: within the run-to-run noise)"),
            ));
        }
        Some((adv >= min, measured))
    }
}

impl Table {
    /// An empty table.
    pub(crate) fn new(title: &str, kind: Kind, ours: &str, competitors: &[&str]) -> Table {
        Table {
            title: title.into(),
            kind,
            ours_name: ours.into(),
            competitors: competitors.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
            goals: Vec::new(),
        }
    }

    /// Index of the last row added.
    pub(crate) fn last(&self) -> usize {
        self.rows.len().saturating_sub(1)
    }

    /// Row `row` must beat competitor `c` by `min_advantage` (e.g. 0.67 for "within
    /// 1.5x", 2.0 for "2x faster", 1.0 for "no slower").
    pub(crate) fn goal_vs(&mut self, row: usize, c: usize, min_advantage: f64, text: &str) {
        self.goals.push(Goal {
            row,
            versus: Some((c, min_advantage)),
            max_ours: None,
            text: text.into(),
            tie_ok: false,
        });
    }

    /// Row `row` must be no slower than competitor `c`: a ratio of at least 1, or a tie
    /// (within [`NO_SLOWER_NOISE`] below 1).
    pub(crate) fn goal_no_slower(&mut self, row: usize, c: usize, text: &str) {
        self.goal_vs(row, c, 1.0, text);
        if let Some(g) = self.goals.last_mut() {
            g.tie_ok = true;
        }
    }

    /// Row `row`'s pymemory median must be at most `max`.
    pub(crate) fn goal_max(&mut self, row: usize, max: f64, text: &str) {
        self.goals.push(Goal {
            row,
            versus: None,
            max_ours: Some(max),
            text: text.into(),
            tie_ok: false,
        });
    }

    /// Adds a row; `others` in the order of `competitors` (missing ones are empty).
    pub(crate) fn row(
        &mut self,
        workload: impl Into<String>,
        ours: Option<f64>,
        others: Vec<Option<f64>>,
    ) {
        let mut others = others;
        others.resize(self.competitors.len(), None);
        self.rows.push(Row {
            workload: workload.into(),
            ours,
            others,
        });
    }

    /// The markdown table: one column per side, each competitor cell with its ratio.
    pub(crate) fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = write!(s, "| {} | {} |", self.title, self.ours_name);
        for c in &self.competitors {
            let _ = write!(s, " {c} |");
        }
        s.push_str("\n|---|---:|");
        for _ in &self.competitors {
            s.push_str("---:|");
        }
        s.push('\n');
        for r in &self.rows {
            let _ = write!(
                s,
                "| {} | {} |",
                r.workload,
                r.ours.map_or("-".into(), |v| self.kind.fmt(v))
            );
            for o in &r.others {
                match (r.ours, o) {
                    (Some(a), Some(b)) => {
                        let _ = write!(
                            s,
                            " {} (**{:.2}**) |",
                            self.kind.fmt(*b),
                            self.kind.advantage(a, *b)
                        );
                    }
                    (None, Some(b)) => {
                        let _ = write!(s, " {} |", self.kind.fmt(*b));
                    }
                    _ => s.push_str(" - |"),
                }
            }
            s.push('\n');
        }
        s
    }
}

/// One line of a plot: a name and its points (x, median).
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub(crate) name: String,
    pub(crate) points: Vec<(f64, Option<f64>)>,
    /// The pymemory series this one is compared with in the table (no ratio if `None`).
    pub(crate) vs: Option<usize>,
}

impl Series {
    /// An empty series compared with series `vs`.
    pub(crate) fn new(name: &str, vs: Option<usize>) -> Series {
        Series {
            name: name.into(),
            points: Vec::new(),
            vs,
        }
    }
}

/// A scaling curve: every side's medians over the same x values, plotted on one axes.
#[derive(Debug, Clone)]
pub(crate) struct Curve {
    /// File stem of the PNG.
    pub(crate) id: String,
    pub(crate) title: String,
    pub(crate) x_label: String,
    pub(crate) x_kind: Kind,
    pub(crate) y_label: String,
    pub(crate) y_kind: Kind,
    /// The first series is pymemory; ratios are against it.
    pub(crate) series: Vec<Series>,
}

impl Curve {
    /// The curve as a table: one row per x, one column per series; a series with a
    /// `vs` shows its ratio against that pymemory series.
    pub(crate) fn markdown(&self) -> String {
        let mut xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .collect();
        xs.sort_by(f64::total_cmp);
        xs.dedup();
        let at = |s: &Series, x: f64| s.points.iter().find(|p| p.0 == x).and_then(|p| p.1);
        let mut out = format!("| {} |", self.x_label);
        for s in &self.series {
            let _ = write!(out, " {} |", s.name);
        }
        out.push_str("\n|---|");
        for _ in &self.series {
            out.push_str("---:|");
        }
        out.push('\n');
        for x in xs {
            let _ = write!(out, "| {} |", self.x_kind.fmt(x));
            for s in &self.series {
                let cell = match (at(s, x), s.vs.and_then(|k| at(&self.series[k], x))) {
                    (Some(v), Some(ours)) => format!(
                        "{} (**{:.2}**)",
                        self.y_kind.fmt(v),
                        self.y_kind.advantage(ours, v)
                    ),
                    (Some(v), None) => self.y_kind.fmt(v),
                    (None, _) => "-".into(),
                };
                let _ = write!(out, " {cell} |");
            }
            out.push('\n');
        }
        out
    }
}

/// A part of the report: prose, tables, curves and notes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Section {
    pub(crate) heading: String,
    pub(crate) intro: String,
    pub(crate) tables: Vec<Table>,
    pub(crate) curves: Vec<Curve>,
    pub(crate) notes: Vec<String>,
    /// Verbatim text (e.g. another script's output), shown in a code block.
    pub(crate) verbatim: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advantage_direction() {
        // Lower is better for time and bytes, higher for throughput.
        assert_eq!(Kind::Time.advantage(1.0, 2.0), 2.0);
        assert_eq!(Kind::Bytes.advantage(4.0, 2.0), 0.5);
        assert_eq!(Kind::Throughput.advantage(4.0, 2.0), 2.0);
    }

    #[test]
    fn table_cells_carry_ratios() {
        let mut t = Table::new("w", Kind::Time, "ours", &["a", "b"]);
        t.row("x", Some(1e-3), vec![Some(3e-3)]);
        let md = t.markdown();
        assert!(
            md.contains("| x | 1.00 ms | 3.00 ms (**3.00**) | - |"),
            "{md}"
        );
    }

    #[test]
    fn goals_judge_the_right_cell() {
        let mut t = Table::new("w", Kind::Time, "ours", &["floor"]);
        t.row("x", Some(1.4), vec![Some(1.0)]);
        t.goal_vs(0, 0, 1.0 / 1.5, "within 1.5x");
        t.goal_max(0, 1.0, "under a second");
        assert_eq!(t.goals[0].check(&t).map(|g| g.0), Some(true));
        assert_eq!(t.goals[1].check(&t).map(|g| g.0), Some(false));
    }

    #[test]
    fn curve_ratios_follow_vs() {
        let mut a = Series::new("ours", None);
        let mut b = Series::new("other", Some(0));
        let mut c = Series::new("no ratio", None);
        a.points.push((10.0, Some(2e-3)));
        b.points.push((10.0, Some(4e-3)));
        c.points.push((10.0, Some(1e-3)));
        let curve = Curve {
            id: "t".into(),
            title: "t".into(),
            x_label: "n".into(),
            x_kind: Kind::Count,
            y_label: "s".into(),
            y_kind: Kind::Time,
            series: vec![a, b, c],
        };
        let md = curve.markdown();
        assert!(
            md.contains("| 10 | 2.00 ms | 4.00 ms (**2.00**) | 1.00 ms |"),
            "{md}"
        );
    }

    #[test]
    fn counts_format_compactly() {
        assert_eq!(fmt_count(10_000.0), "10k");
        assert_eq!(fmt_count(2_500_000.0), "2.5M");
        assert_eq!(fmt_count(7.0), "7");
    }
}
