//! A report as an HTML page with SVG charts (drawn by `plotters`): sends and clicks per day,
//! then sends per day by each dimension, then the table. No script, no external resources.

use std::collections::BTreeMap;

use clearline_api_types::ReportRow;
use clearline_domain::report::Period;
use clearline_domain::{format_day, parse_day};
use maud::{DOCTYPE, Markup, PreEscaped, html};
use plotters::prelude::*;

const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// One line of a chart: its name and a value per day.
type Series = (String, BTreeMap<i64, u64>);

/// Draws lines over days `from..=to` as an SVG document.
fn line_chart(title: &str, from: i64, to: i64, series: &[Series]) -> String {
    let mut svg = String::new();
    let max = series.iter().flat_map(|(_, v)| v.values()).copied().max().unwrap_or(0).max(1);
    let drawn = (|| -> Result<(), Box<dyn std::error::Error + '_>> {
        let root = SVGBackend::with_string(&mut svg, (760, 260)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 16))
            .margin(12)
            .x_label_area_size(28)
            .y_label_area_size(48)
            .build_cartesian_2d(from..to.max(from + 1), 0..max + max / 10)?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|d| format_day(*d)[5..].to_owned())
            .light_line_style(WHITE)
            .draw()?;
        for (i, (name, values)) in series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let points = (from..=to).map(|d| (d, values.get(&d).copied().unwrap_or(0)));
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(2)))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
        }
        chart.configure_series_labels().background_style(WHITE.mix(0.85)).border_style(BLACK).draw()?;
        root.present()?;
        Ok(())
    })();
    if drawn.is_err() {
        return String::new();
    }
    svg
}

/// Sums `value` of the rows per day, split by `key`.
fn by(
    rows: &[ReportRow],
    key: impl Fn(&ReportRow) -> String,
    value: impl Fn(&ReportRow) -> Option<u64>,
) -> Vec<Series> {
    let mut out: BTreeMap<String, BTreeMap<i64, u64>> = BTreeMap::new();
    for r in rows {
        if let (Ok(day), Some(v)) = (parse_day(&r.date), value(r)) {
            *out.entry(key(r)).or_default().entry(day).or_default() += v;
        }
    }
    out.into_iter().collect()
}

/// The page: title, charts, and the table of cells (withheld counts shown as "<min"); the days
/// are days in `time_zone`, the agreement's.
pub fn render(partner: &str, time_zone: &str, period: Period, min_count: u64, rows: &[ReportRow]) -> Markup {
    let (start, end) = (period.start, period.end);
    let (from, to) = (format_day(start), format_day(end));
    let totals = {
        let mut s = by(rows, |_| "sends".to_owned(), |r| r.sends);
        s.extend(by(rows, |_| "clicks".to_owned(), |r| r.clicks));
        s
    };
    let charts = [
        line_chart("Sends and clicks per day", start, end, &totals),
        line_chart("Sends per day by interface", start, end, &by(rows, |r| r.interface.clone(), |r| r.sends)),
        line_chart(
            "Sends per day by initiation surface",
            start,
            end,
            &by(rows, |r| r.initiation_surface.clone(), |r| r.sends),
        ),
        line_chart("Sends per day by variant", start, end, &by(rows, |r| r.variant.clone(), |r| r.sends)),
        line_chart("Sends per day by recipient kind", start, end, &by(rows, |r| r.recipient_kind.clone(), |r| r.sends)),
    ];
    let shown = |v: Option<u64>| v.map_or_else(|| format!("<{min_count}"), |n| n.to_string());
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Report: " (partner) " " (from) " to " (to) }
                style { "body{font-family:sans-serif;margin:2em;max-width:820px}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:nth-child(-n+5),th{text-align:left}" }
            }
            body {
                h1 { "Recommendations report: " (partner) }
                p { (from) " to " (to) " (days in " (time_zone) "). Counts from 1 to " (min_count.saturating_sub(1)) " are withheld and drawn as 0. No per-person data." }
                @for svg in &charts {
                    figure { (PreEscaped(svg)) }
                }
                table {
                    thead { tr { th { "date" } th { "interface" } th { "initiation surface" } th { "variant" } th { "recipients" } th { "sends" } th { "clicks" } } }
                    tbody {
                        @for r in rows {
                            tr { td { (r.date) } td { (r.interface) } td { (r.initiation_surface) } td { (r.variant) } td { (r.recipient_kind) } td { (shown(r.sends)) } td { (shown(r.clicks)) } }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(date: &str, interface: &str, sends: Option<u64>) -> ReportRow {
        ReportRow {
            date: date.into(),
            interface: interface.into(),
            initiation_surface: "post_play".into(),
            variant: "a".into(),
            recipient_kind: "platform".into(),
            sends,
            clicks: Some(0),
        }
    }

    #[test]
    fn sums_per_day_and_dimension_skipping_withheld_counts() {
        let rows =
            [row("2026-11-01", "tv", Some(10)), row("2026-11-01", "tv", Some(5)), row("2026-11-02", "web", None)];
        let got = by(&rows, |r| r.interface.clone(), |r| r.sends);
        let day = parse_day("2026-11-01").unwrap();
        assert_eq!(got, vec![("tv".to_owned(), BTreeMap::from([(day, 15)]))]);
    }

    #[test]
    fn the_page_holds_one_svg_chart_per_view_and_escapes_text() {
        let rows = [row("2026-11-01", "tv<script>", Some(12)), row("2026-11-02", "web", None)];
        let period = Period { start: parse_day("2026-11-01").unwrap(), end: parse_day("2026-11-14").unwrap() };
        let page = render("flix", "Europe/Amsterdam", period, 10, &rows).into_string();
        assert_eq!(page.matches("<svg").count(), 5, "{page}");
        assert!(page.contains("Sends per day by interface") && page.contains("&lt;10"));
        assert!(page.contains("(days in Europe/Amsterdam)"));
        assert!(!page.contains("tv<script>"), "dimension values are escaped");
    }
}
