//! Charts of the trends stage: a [`TrendSeries`] → line charts as SVG and PNG.
//!
//! Input: a [`TrendSeries`]. Output: [`Chart`]s, each an SVG document (drawn with plotters'
//! SVG backend) and the same picture rasterised to PNG (resvg): `shares_over_time` (each
//! frame's mean share over time with its bootstrap interval as a shaded band, and the number
//! of documents per period below), `present_over_time` (the share of documents where each
//! frame is present) and, when documents are grouped, `shares_by_group` (small multiples: one
//! panel per group, the same axes in every panel).
//!
//! Text is set in DejaVu Sans, which framelens carries inside its binary (the `dejavu` crate),
//! so the PNG has the same readable labels on any machine, with no system font library or font
//! files needed; the SVG names `DejaVu Sans, Verdana, Arial, sans-serif`, so a browser
//! without DejaVu uses a similar face.

use std::sync::{Arc, OnceLock};

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use time::Date;

use crate::codebook::Codebook;
use crate::error::{Error, Result};
use crate::trends::{Bin, Grouping, TrendSeries};

/// The font family written into the SVG (and registered for text measurement).
pub const FONT: &str = "DejaVu Sans, Verdana, Arial, sans-serif";

/// The most groups drawn as small multiples (the largest ones).
pub const MAX_PANELS: usize = 12;

/// Pixel density of the PNG relative to the SVG's size.
pub const PNG_SCALE: f32 = 2.0;

/// Frame colours in codebook frame order: each label's own colour from the codebook, else
/// the [`crate::codebook::PALETTE`] (Okabe–Ito, then Tol's schemes: 15 colours that stay
/// distinguishable, also with the common colour-vision deficiencies).
pub fn frame_colors(cb: &Codebook) -> Vec<RGBColor> {
    (0..cb.n_frames())
        .map(|k| {
            let (r, g, b) = cb.frame_colour(k);
            RGBColor(r, g, b)
        })
        .collect()
}

/// Legend entries laid out in rows of at most `width` pixels: (x, row) per frame.
fn legend_layout(cb: &Codebook, width: u32) -> (Vec<(i32, i32)>, i32, i32) {
    let (mut x, mut row) = (20i32, 0i32);
    let mut pos = Vec::new();
    for name in cb.frame_names() {
        let item = 32 + 9 * name.len() as i32 + 28;
        if x > 20 && x + item > width as i32 - 20 {
            x = 20;
            row += 1;
        }
        pos.push((x, row));
        x += item;
    }
    (pos, row + 1, x)
}

/// Height of the chart header: title, subtitle and one 22-pixel line per legend row.
fn header_height(cb: &Codebook, width: u32) -> u32 {
    92 + 22 * (legend_layout(cb, width).1 as u32 - 1)
}

/// One chart: SVG text and PNG bytes of the same picture.
#[derive(Debug, Clone)]
pub struct Chart {
    /// File name without extension (`shares_over_time`).
    pub stem: String,
    /// What it shows.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG file.
    pub png: Vec<u8>,
}

/// Write each chart as `<stem>.svg` and `<stem>.png` through `put(file name, bytes)`; returns
/// the (stem, title) of each, in order, for the pages that link them.
///
/// # Errors
/// The first error of `put`.
pub fn put_charts<E>(
    charts: &[Chart],
    mut put: impl FnMut(&str, &[u8]) -> std::result::Result<(), E>,
) -> std::result::Result<Vec<(String, String)>, E> {
    for c in charts {
        put(&format!("{}.svg", c.stem), c.svg.as_bytes())?;
        put(&format!("{}.png", c.stem), &c.png)?;
    }
    Ok(charts
        .iter()
        .map(|c| (c.stem.clone(), c.title.clone()))
        .collect())
}

impl Chart {
    /// A chart from its SVG, with the PNG rasterised from it.
    pub(crate) fn from_svg(stem: &str, title: String, svg: String) -> Result<Chart> {
        Ok(Chart {
            stem: stem.into(),
            png: svg_to_png(&svg, PNG_SCALE)?,
            svg,
            title,
        })
    }
}

fn chart_err<E: std::fmt::Debug>(e: E) -> Error {
    Error::Chart(format!("{e:?}"))
}

/// Register the embedded font with plotters' text measurement (once per process).
fn register_font() -> Result<()> {
    static DONE: OnceLock<bool> = OnceLock::new();
    let ok = *DONE.get_or_init(|| {
        plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(Error::Chart(
            "the embedded DejaVu Sans font cannot be read".into(),
        ))
    }
}

fn font_db() -> Arc<resvg::usvg::fontdb::Database> {
    static DB: OnceLock<Arc<resvg::usvg::fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = resvg::usvg::fontdb::Database::new();
        db.load_font_data(dejavu::sans::regular().to_vec());
        db.load_font_data(dejavu::sans::bold().to_vec());
        db.set_sans_serif_family("DejaVu Sans");
        db.set_serif_family("DejaVu Sans");
        Arc::new(db)
    })
    .clone()
}

/// Rasterise an SVG document to PNG at `scale` × its size, with the embedded font.
///
/// # Errors
/// [`Error::Chart`] when the SVG cannot be parsed or the PNG encoded.
pub fn svg_to_png(svg: &str, scale: f32) -> Result<Vec<u8>> {
    let opt = resvg::usvg::Options {
        fontdb: font_db(),
        font_family: "DejaVu Sans".into(),
        ..Default::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &opt).map_err(chart_err)?;
    let size = tree.size().to_int_size();
    let (w, h) = (
        (size.width() as f32 * scale).ceil() as u32,
        (size.height() as f32 * scale).ceil() as u32,
    );
    let mut pixmap = resvg::tiny_skia::Pixmap::new(w, h)
        .ok_or_else(|| Error::Chart(format!("cannot make a {w}×{h} image")))?;
    pixmap.fill(resvg::tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(chart_err)
}

/// Render every chart of a series.
///
/// # Errors
/// [`Error::Chart`] when drawing or rasterising fails.
pub fn render(series: &TrendSeries, model_hash: &str) -> Result<Vec<Chart>> {
    register_font()?;
    if series.periods.is_empty() {
        return Ok(Vec::new());
    }
    let mut charts = Vec::new();
    let n: usize = series.overall.iter().map(|b| b.n).sum();
    let who = if series.grouping == Grouping::None {
        "all documents".to_string()
    } else {
        "all groups together".to_string()
    };
    let title = format!(
        "Frame shares by {}, {who} (n = {n})",
        series.period.as_str()
    );
    let svg = overview_svg(series, &title, model_hash, Kind::MeanShare)?;
    charts.push(Chart::from_svg("shares_over_time", title, svg)?);
    let title = format!(
        "Documents where each frame is present, by {}, {who}",
        series.period.as_str()
    );
    let svg = overview_svg(series, &title, model_hash, Kind::Present)?;
    charts.push(Chart::from_svg("present_over_time", title, svg)?);
    if series.grouping != Grouping::None {
        let title = format!(
            "Frame shares by {} and {}",
            series.period.as_str(),
            series.grouping
        );
        let svg = panels_svg(series, &title, model_hash, Kind::MeanShare)?;
        charts.push(Chart::from_svg("shares_by_group", title, svg)?);
    }
    Ok(charts)
}

/// Render the charts of a narrative series (its "frames" are narratives): `narratives_over_time`
/// (every narrative of `series`, all documents), `narratives_by_group` when grouped, and one
/// `narrative_<id>` chart per series of `singles` (`(id, label, one-narrative series)`).
///
/// # Errors
/// [`Error::Chart`] when drawing or rasterising fails.
pub fn render_narratives(
    series: &TrendSeries,
    model_hash: &str,
    note: &str,
    singles: &[(String, String, TrendSeries)],
) -> Result<Vec<Chart>> {
    register_font()?;
    if series.periods.is_empty() {
        return Ok(Vec::new());
    }
    let per = series.period.as_str();
    let n: usize = series.overall.iter().map(|b| b.n).sum();
    let mut charts = Vec::new();
    let title = format!("Documents carrying each narrative, by {per}{note} (n = {n})");
    let svg = overview_svg(series, &title, model_hash, Kind::Carrying)?;
    charts.push(Chart::from_svg("narratives_over_time", title, svg)?);
    if series.grouping != Grouping::None {
        let title = format!(
            "Documents carrying each narrative, by {per} and {}{note}",
            series.grouping
        );
        let svg = panels_svg(series, &title, model_hash, Kind::Carrying)?;
        charts.push(Chart::from_svg("narratives_by_group", title, svg)?);
    }
    for (id, label, s) in singles {
        let title = format!("{label}: documents carrying the narrative, by {per} (n = {n})");
        let svg = overview_svg(s, &title, model_hash, Kind::Carrying)?;
        charts.push(Chart::from_svg(&format!("narrative_{id}"), title, svg)?);
    }
    Ok(charts)
}

/// The time axis: period `i` is drawn at `i`, from -0.5 to n - 0.5; grid lines and labels only
/// at the chosen periods (see [`ticks`]).
#[derive(Debug, Clone)]
struct PeriodAxis {
    n: usize,
    ticks: Vec<f64>,
}

impl PeriodAxis {
    fn new(n: usize, ticks: &[usize]) -> Self {
        PeriodAxis {
            n,
            ticks: ticks.iter().map(|&i| i as f64).collect(),
        }
    }
}

impl Ranged for PeriodAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = (limit.1 - limit.0) as f64;
        limit.0 + ((v + 0.5) / self.n as f64 * span).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        -0.5..self.n as f64 - 0.5
    }
}

/// Indices of the periods to label: the finest calendar alignment (every period, first of a
/// month, of a quarter, of a year) with at most `max` labels, thinned evenly if even years
/// are too many.
fn ticks(periods: &[(Date, String)], max: usize) -> Vec<usize> {
    let max = max.max(2);
    let firsts = |key: &dyn Fn(Date) -> (i32, u8)| -> Vec<usize> {
        (0..periods.len())
            .filter(|&i| i == 0 || key(periods[i].0) != key(periods[i - 1].0))
            .collect()
    };
    let all: Vec<usize> = (0..periods.len()).collect();
    let candidates = [
        all,
        firsts(&|d| (d.year(), d.month() as u8)),
        firsts(&|d| (d.year(), (d.month() as u8 - 1) / 3)),
        firsts(&|d| (d.year(), 0)),
    ];
    for c in &candidates {
        if c.len() <= max {
            return c.clone();
        }
    }
    let years = &candidates[3];
    let step = years.len().div_ceil(max);
    years.iter().copied().step_by(step).collect()
}

/// The y range shared by the shares axes: 0 to the highest interval bound, rounded up to 0.1.
fn y_max<'a>(bins: impl Iterator<Item = &'a Bin>) -> f64 {
    let hi = bins
        .filter_map(|b| b.stats.as_ref())
        .flat_map(|s| s.iter().map(|f| f.high.max(f.mean_share)))
        .fold(0.0f64, f64::max);
    ((hi * 10.0).ceil() / 10.0).clamp(0.1, 1.0)
}

/// Draw the header (title, subtitle) and legend; return the area below.
fn header<'a>(
    root: &DrawingArea<SVGBackend<'a>, Shift>,
    cb: &Codebook,
    title: &str,
    subtitle: &str,
    note: &str,
) -> Result<DrawingArea<SVGBackend<'a>, Shift>> {
    let (w, _) = root.dim_in_pixel();
    let (top, rest) = root.split_vertically(header_height(cb, w));
    top.draw(&Text::new(
        title.to_string(),
        (20, 10),
        (FONT, 22).into_font().style(FontStyle::Bold),
    ))
    .map_err(chart_err)?;
    top.draw(&Text::new(
        subtitle.to_string(),
        (20, 38),
        (FONT, 14).into_font().color(&RGBColor(0x44, 0x44, 0x44)),
    ))
    .map_err(chart_err)?;
    let colors = frame_colors(cb);
    let (layout, _, x) = legend_layout(cb, w);
    let mut y = 72i32;
    for ((f, frame), &(x, row)) in cb.frame_names().into_iter().enumerate().zip(&layout) {
        y = 72 + 22 * row;
        top.draw(&Rectangle::new(
            [(x, y - 7), (x + 26, y + 7)],
            colors[f].mix(0.18).filled(),
        ))
        .map_err(chart_err)?;
        top.draw(&PathElement::new(
            vec![(x, y), (x + 26, y)],
            colors[f].stroke_width(3),
        ))
        .map_err(chart_err)?;
        top.draw(&Text::new(frame.to_string(), (x + 32, y - 8), (FONT, 16)))
            .map_err(chart_err)?;
    }
    if (x as u32) < w.saturating_sub(300) {
        top.draw(&Text::new(
            note.to_string(),
            (x + 10, y - 7),
            (FONT, 14).into_font().color(&RGBColor(0x55, 0x55, 0x55)),
        ))
        .map_err(chart_err)?;
    }
    Ok(rest)
}

/// Draw the share lines and interval bands of one series on a chart.
fn draw_shares<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<PeriodAxis, RangedCoordf64>>,
    bins: &[Bin],
    kind: Kind,
    colors: &[RGBColor],
) -> Result<()> {
    let confidence_band = kind != Kind::Present;
    for (f, &color) in colors.iter().enumerate() {
        // Contiguous runs of non-empty periods: lines never bridge an empty period.
        let mut runs: Vec<Vec<(f64, f64, f64, f64)>> = Vec::new();
        let mut cur = Vec::new();
        for (i, b) in bins.iter().enumerate() {
            match &b.stats {
                Some(s) => cur.push(match kind {
                    Kind::MeanShare | Kind::Carrying => {
                        (i as f64, s[f].mean_share, s[f].low, s[f].high)
                    }
                    Kind::Present => {
                        let p = s[f].present_share;
                        (i as f64, p, p, p)
                    }
                }),
                None => {
                    if !cur.is_empty() {
                        runs.push(std::mem::take(&mut cur));
                    }
                }
            }
        }
        if !cur.is_empty() {
            runs.push(cur);
        }
        for run in &runs {
            if confidence_band {
                let mut poly: Vec<(f64, f64)> = if run.len() == 1 {
                    let (x, _, lo, hi) = run[0];
                    vec![(x - 0.3, lo), (x + 0.3, lo), (x + 0.3, hi), (x - 0.3, hi)]
                } else {
                    run.iter().map(|p| (p.0, p.2)).collect()
                };
                if run.len() > 1 {
                    poly.extend(run.iter().rev().map(|p| (p.0, p.3)));
                }
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        poly,
                        color.mix(0.13).filled(),
                    )))
                    .map_err(chart_err)?;
            }
            if run.len() > 1 {
                chart
                    .draw_series(LineSeries::new(
                        run.iter().map(|p| (p.0, p.1)),
                        color.stroke_width(2),
                    ))
                    .map_err(chart_err)?;
            }
            chart
                .draw_series(
                    run.iter()
                        .map(|p| Circle::new((p.0, p.1), 2, color.filled())),
                )
                .map_err(chart_err)?;
        }
    }
    Ok(())
}

/// What a chart plots per frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Mean share with its bootstrap interval.
    MeanShare,
    /// Share of documents where the frame is present.
    Present,
    /// Share of documents carrying a narrative, with its bootstrap interval (the series'
    /// "frames" are narratives, see [`crate::trends::narratives`]).
    Carrying,
}

impl Kind {
    fn y_desc(self) -> &'static str {
        match self {
            Kind::MeanShare => "mean share",
            Kind::Present | Kind::Carrying => "share of documents",
        }
    }

    fn note(self, series: &TrendSeries) -> String {
        match self {
            Kind::MeanShare => format!(
                "line: mean share · band: {:.0}% interval",
                series.confidence * 100.0
            ),
            Kind::Carrying => format!(
                "line: share of documents · band: {:.0}% interval",
                series.confidence * 100.0
            ),
            Kind::Present => "line: share of documents where the frame is present".into(),
        }
    }
}

fn subtitle(series: &TrendSeries, model_hash: &str, kind: Kind) -> String {
    let model = model_hash.get(..12).unwrap_or(model_hash);
    match kind {
        Kind::MeanShare => format!(
            "Mean share of each frame in the framed text of the {}'s documents; {:.0}% bootstrap \
             interval over documents ({} resamples). Model {model}.",
            series.period.as_str(),
            series.confidence * 100.0,
            series.bootstrap,
        ),
        Kind::Present => format!(
            "Share of the {}'s documents in which each frame is clearly present (a document can \
             have several). Model {model}.",
            series.period.as_str(),
        ),
        Kind::Carrying => format!(
            "Share of the {}'s documents with a rule match in at least one paragraph; {:.0}% \
             bootstrap interval over documents ({} resamples). Model {model}.",
            series.period.as_str(),
            series.confidence * 100.0,
            series.bootstrap,
        ),
    }
}

fn label_width(series: &TrendSeries) -> u32 {
    let chars = series.periods.first().map_or(7, |p| p.1.len()) as u32;
    chars * 9 + 24
}

/// Line chart of every frame over time (all documents), with documents per period below.
fn overview_svg(series: &TrendSeries, title: &str, model_hash: &str, kind: Kind) -> Result<String> {
    let cb = &series.codebook;
    let w = 1100u32;
    let head = header_height(cb, w);
    let h = 700u32 + head - 92;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let body = header(
            &root,
            cb,
            title,
            &subtitle(series, model_hash, kind),
            &kind.note(series),
        )?;
        let (upper, lower) = body.split_vertically(h - head - 170);
        let np = series.periods.len();
        let x_ticks = ticks(&series.periods, ((w - 100) / label_width(series)) as usize);
        let xr = || PeriodAxis::new(np, &x_ticks);
        let label = |x: &f64| {
            let i = x.round();
            if i >= 0.0 && (i as usize) < np {
                series.periods[i as usize].1.clone()
            } else {
                String::new()
            }
        };
        let ymax = match kind {
            Kind::MeanShare | Kind::Carrying => y_max(series.overall.iter()),
            Kind::Present => 1.0,
        };
        let mut chart = ChartBuilder::on(&upper)
            .margin_left(10)
            .margin_right(25)
            .margin_top(5)
            .x_label_area_size(10)
            .y_label_area_size(70)
            .build_cartesian_2d(xr(), 0f64..ymax)
            .map_err(chart_err)?;
        chart
            .configure_mesh()
            .x_labels(x_ticks.len())
            .x_label_formatter(&|_| String::new())
            .y_labels(6)
            .y_desc(kind.y_desc())
            .y_label_formatter(&|y| format!("{y:.1}"))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(chart_err)?;
        draw_shares(&mut chart, &series.overall, kind, &frame_colors(cb))?;

        let nmax = series.overall.iter().map(|b| b.n).max().unwrap_or(0).max(1);
        let mut counts = ChartBuilder::on(&lower)
            .margin_left(10)
            .margin_right(25)
            .margin_bottom(5)
            .x_label_area_size(55)
            .y_label_area_size(70)
            .build_cartesian_2d(xr(), 0f64..(nmax as f64 * 1.1))
            .map_err(chart_err)?;
        counts
            .configure_mesh()
            .x_labels(x_ticks.len())
            .x_label_formatter(&label)
            .x_desc(series.period.as_str())
            .y_labels(3)
            .y_desc("documents")
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FONT, 14))
            .axis_desc_style((FONT, 15))
            .bold_line_style(BLACK.mix(0.12))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(chart_err)?;
        counts
            .draw_series(
                series
                    .overall
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| b.n > 0)
                    .map(|(i, b)| {
                        Rectangle::new(
                            [(i as f64 - 0.4, 0.0), (i as f64 + 0.4, b.n as f64)],
                            RGBColor(0x88, 0x88, 0x88).filled(),
                        )
                    }),
            )
            .map_err(chart_err)?;
        root.present().map_err(chart_err)?;
    }
    Ok(svg)
}

/// Small multiples: one panel per group (the largest [`MAX_PANELS`]), shared axes.
fn panels_svg(series: &TrendSeries, title: &str, model_hash: &str, kind: Kind) -> Result<String> {
    let mut groups: Vec<(&String, usize)> = series
        .groups
        .iter()
        .map(|g| (g, series.group_total(g)))
        .collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let shown = groups.len().min(MAX_PANELS);
    let mut groups: Vec<(&String, usize)> = groups.into_iter().take(shown).collect();
    groups.sort_by(|a, b| a.0.cmp(b.0));
    let cols = match shown {
        0..=4 => 1,
        5..=8 => 2,
        _ => 3,
    };
    let rows = shown.div_ceil(cols);
    let (w, panel_h) = (1100u32, 250u32);
    let cb = &series.codebook;
    let h = header_height(cb, w) + rows as u32 * panel_h + 10;
    let mut note = subtitle(series, model_hash, kind);
    if shown < series.groups.len() {
        note = format!(
            "The {shown} largest of {} groups. {note}",
            series.groups.len()
        );
    }
    let ymax = y_max(groups.iter().flat_map(|(g, _)| series.group_bins(g).iter()));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_err)?;
        let body = header(&root, cb, title, &note, &kind.note(series))?;
        let (body, _) = body.split_vertically(rows as u32 * panel_h);
        let panels = body.split_evenly((rows, cols));
        let np = series.periods.len();
        let pw = w / cols as u32;
        let x_ticks = ticks(
            &series.periods,
            (pw.saturating_sub(90) / label_width(series)) as usize,
        );
        for (panel, (g, n)) in panels.iter().zip(&groups) {
            let label = |x: &f64| {
                let i = x.round();
                if i >= 0.0 && (i as usize) < np {
                    series.periods[i as usize].1.clone()
                } else {
                    String::new()
                }
            };
            let mut chart = ChartBuilder::on(panel)
                .caption(
                    format!("{g} (n = {n})"),
                    (FONT, 16).into_font().style(FontStyle::Bold),
                )
                .margin_left(10)
                .margin_right(20)
                .margin_bottom(6)
                .x_label_area_size(30)
                .y_label_area_size(60)
                .build_cartesian_2d(PeriodAxis::new(np, &x_ticks), 0f64..ymax)
                .map_err(chart_err)?;
            chart
                .configure_mesh()
                .x_labels(x_ticks.len())
                .x_label_formatter(&label)
                .y_labels(5)
                .y_desc(kind.y_desc())
                .y_label_formatter(&|y| format!("{y:.1}"))
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 13))
                .bold_line_style(BLACK.mix(0.12))
                .light_line_style(TRANSPARENT)
                .draw()
                .map_err(chart_err)?;
            draw_shares(&mut chart, series.group_bins(g), kind, &frame_colors(cb))?;
        }
        root.present().map_err(chart_err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trends::{Period, TrendDoc, TrendParams};
    use time::macros::date;

    fn periods(p: Period, from: Date, n: usize) -> Vec<(Date, String)> {
        let mut v = Vec::new();
        let mut d = p.start(from);
        for _ in 0..n {
            v.push((d, p.label(d)));
            d = p.next(d);
        }
        v
    }

    #[test]
    fn ticks_follow_the_calendar() {
        let months = periods(Period::Month, date!(2012 - 01 - 01), 108);
        let t = ticks(&months, 12);
        let labels: Vec<&str> = t.iter().map(|&i| months[i].1.as_str()).collect();
        assert_eq!(labels.len(), 9);
        assert_eq!(labels[0], "2012-01");
        assert!(labels.iter().all(|l| l.ends_with("-01")), "{labels:?}");
        let few = periods(Period::Month, date!(2020 - 03 - 01), 5);
        assert_eq!(ticks(&few, 12), [0, 1, 2, 3, 4]);
        let days = periods(Period::Day, date!(2020 - 01 - 01), 120);
        let t = ticks(&days, 10);
        assert!(t.iter().all(|&i| days[i].0.day() == 1), "month starts");
        let long = periods(Period::Month, date!(1900 - 01 - 01), 1200);
        assert!(ticks(&long, 10).len() <= 10);
    }

    #[test]
    fn charts_render_as_svg_and_png_with_text() {
        let mut docs = Vec::new();
        for (i, (d, s)) in [
            ("2020-01-05", "A"),
            ("2020-01-20", "B"),
            ("2020-03-02", "A"),
        ]
        .iter()
        .enumerate()
        {
            docs.push(TrendDoc {
                id: format!("d{i}"),
                title: None,
                date: Some(d.to_string()),
                source: Some(s.to_string()),
                url: None,
                meta: Default::default(),
                shares: vec![0.4, 0.3, 0.2, 0.1],
                framed_fraction: 0.5,
                dominant: Some(crate::Label(0)),
                present: vec![],
                narratives: None,
            });
        }
        let s = TrendParams::default()
            .grouping(Grouping::Source)
            .check()
            .unwrap()
            .fit(&docs, &Arc::new(Codebook::migration()))
            .unwrap();
        let charts = render(&s, "abc").unwrap();
        assert_eq!(charts.len(), 3);
        for c in &charts {
            assert!(c.svg.starts_with("<svg"), "{}", &c.svg[..40]);
            for needle in ["2020-01", "2020-03", "humanitarian", "enforcement", "share"] {
                assert!(c.svg.contains(needle), "{} lacks {needle}", c.stem);
            }
            assert_eq!(&c.png[1..4], b"PNG");
        }
        assert!(charts[2].svg.contains("A (n = 2)"));
    }

    /// Dark pixels in a PNG.
    fn dark_pixels(png: &[u8]) -> usize {
        let p = resvg::tiny_skia::Pixmap::decode_png(png).unwrap();
        p.pixels()
            .iter()
            .filter(|c| c.red() < 100 && c.alpha() > 0)
            .count()
    }

    #[test]
    fn png_text_uses_the_embedded_font() {
        let text = |t: &str| {
            format!(
                "<svg width=\"200\" height=\"40\" xmlns=\"http://www.w3.org/2000/svg\">\
                 <text x=\"5\" y=\"30\" font-family=\"{FONT}\" font-size=\"20\">{t}</text></svg>"
            )
        };
        let blank = dark_pixels(&svg_to_png(&text(""), 1.0).unwrap());
        let inked = dark_pixels(&svg_to_png(&text("2020-01 enforcement"), 1.0).unwrap());
        assert_eq!(blank, 0);
        assert!(
            inked > 300,
            "only {inked} dark pixels: the text was not drawn"
        );
    }
}
