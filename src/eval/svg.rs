//! Charts of evaluation results as standalone SVG text (no chart library, no fonts needed).
//!
//! Input: a confusion matrix or a [`Calibration`] from [`crate::eval`]. Output: an SVG
//! document as a `String`: [`confusion_matrix`] (a heat map of row-normalised rates with
//! counts) and [`reliability_diagram`] (accuracy against confidence per bin, with the
//! diagonal of perfect calibration and the share of paragraphs in each bin).

use std::fmt::Write as _;

use super::Calibration;

/// Escape text for SVG.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A blue of intensity `t` in 0..=1 (white to dark blue).
fn blue(t: f64) -> String {
    let t = t.clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(247.0, 8.0),
        mix(251.0, 48.0),
        mix(255.0, 107.0)
    )
}

fn header(w: u32, h: u32) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
    )
}

/// A confusion matrix as a heat map: rows are the true labels, columns the predicted ones;
/// each cell shows its count and is shaded by its share of the row.
pub fn confusion_matrix<R: AsRef<[u64]>>(m: &[R], labels: &[&str], title: &str) -> String {
    let n_labels = labels.len();
    let cell = 72.0;
    let (left, top) = (110.0, 70.0);
    let w = (left + cell * n_labels as f64 + 30.0) as u32;
    let h = (top + cell * n_labels as f64 + 50.0) as u32;
    let mut s = header(w, h);
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        w / 2,
        esc(title)
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"44\" text-anchor=\"middle\">predicted</text>",
        left + cell * n_labels as f64 / 2.0
    );
    for (j, l) in labels.iter().enumerate() {
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            left + cell * (j as f64 + 0.5),
            top - 8.0,
            esc(l)
        );
    }
    for (i, row) in m.iter().enumerate() {
        let row = row.as_ref();
        let total: u64 = row.iter().sum();
        let y = top + cell * i as f64;
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            left - 8.0,
            y + cell / 2.0 + 4.0,
            esc(labels[i])
        );
        for (j, &v) in row.iter().enumerate() {
            let rate = if total > 0 {
                v as f64 / total as f64
            } else {
                0.0
            };
            let x = left + cell * j as f64;
            let ink = if rate > 0.5 { "white" } else { "black" };
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell}\" height=\"{cell}\" fill=\"{}\" stroke=\"#999\"><title>{} → {}: {v} ({:.1}% of row)</title></rect>",
                blue(rate),
                esc(labels[i]),
                esc(labels[j]),
                rate * 100.0
            );
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\" font-size=\"14\">{v}</text>",
                x + cell / 2.0,
                y + cell / 2.0,
            );
            let _ = writeln!(
                s,
                "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{ink}\" font-size=\"10\">{:.0}%</text>",
                x + cell / 2.0,
                y + cell / 2.0 + 16.0,
                rate * 100.0
            );
        }
    }
    let _ = writeln!(
        s,
        "<text x=\"16\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {:.1})\">coded</text>",
        top + cell * n_labels as f64 / 2.0,
        top + cell * n_labels as f64 / 2.0
    );
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#555\">shade: share of the row (coded label)</text>",
        w / 2,
        h - 16
    );
    s.push_str("</svg>\n");
    s
}

/// A reliability diagram: for each confidence bin, the accuracy of the predicted label
/// (bars) against the diagonal of perfect calibration, with the share of paragraphs per bin
/// as a strip below.
pub fn reliability_diagram(c: &Calibration) -> String {
    let (left, top, size) = (60.0, 50.0, 360.0);
    let strip = 60.0;
    let w = (left + size + 30.0) as u32;
    let h = (top + size + strip + 70.0) as u32;
    let mut s = header(w, h);
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"22\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">Reliability (ECE {}, Brier {})</text>",
        w / 2,
        c.ece.map_or("–".into(), |x| format!("{x:.3}")),
        c.brier.map_or("–".into(), |x| format!("{x:.3}"))
    );
    let px = |v: f64| left + v * size;
    let py = |v: f64| top + (1.0 - v) * size;
    // frame and grid
    for t in 0..=5 {
        let v = t as f64 / 5.0;
        let _ = writeln!(
            s,
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#eee\"/>",
            px(0.0),
            py(v),
            px(1.0),
            py(v)
        );
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" font-size=\"10\">{v:.1}</text>",
            left - 6.0,
            py(v) + 3.0
        );
        let _ = writeln!(
            s,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-size=\"10\">{v:.1}</text>",
            px(v),
            top + size + strip + 16.0
        );
    }
    let total = c.n.max(1) as f64;
    let max_share = c
        .bins
        .iter()
        .map(|b| b.n as f64 / total)
        .fold(0.0, f64::max)
        .max(1e-9);
    for b in &c.bins {
        let x = px(b.lo);
        let bw = (b.hi - b.lo) * size;
        if let Some(acc) = b.accuracy {
            let _ = writeln!(
                s,
                "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{:.1}\" fill=\"#4a7fb5\" stroke=\"white\"><title>{:.1}–{:.1}: accuracy {acc:.3}, mean confidence {}, {} paragraphs</title></rect>",
                py(acc),
                acc * size,
                b.lo,
                b.hi,
                b.confidence.map_or("–".into(), |x| format!("{x:.3}")),
                b.n
            );
        }
        if let Some(conf) = b.confidence {
            let _ = writeln!(
                s,
                "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\" fill=\"#d95f02\"/>",
                px(conf),
                py(conf)
            );
        }
        let sh = b.n as f64 / total / max_share * (strip - 10.0);
        let _ = writeln!(
            s,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{bw:.1}\" height=\"{sh:.1}\" fill=\"#999\" stroke=\"white\"><title>{} paragraphs</title></rect>",
            top + size + strip - sh,
            b.n
        );
    }
    let _ = writeln!(
        s,
        "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#333\" stroke-dasharray=\"4 3\"/>",
        px(0.0),
        py(0.0),
        px(1.0),
        py(1.0)
    );
    let _ = writeln!(
        s,
        "<rect x=\"{left}\" y=\"{top}\" width=\"{size}\" height=\"{size}\" fill=\"none\" stroke=\"#333\"/>"
    );
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">confidence of the predicted label</text>",
        left + size / 2.0,
        top + size + strip + 34.0
    );
    let _ = writeln!(
        s,
        "<text x=\"16\" y=\"{:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {:.1})\">accuracy</text>",
        top + size / 2.0,
        top + size / 2.0
    );
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#555\">bars: accuracy · dots: mean confidence · grey: paragraphs per bin</text>",
        left,
        top + size + strip + 52.0
    );
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{calibration, ParaPrediction};
    use crate::Label;

    #[test]
    fn confusion_svg_is_well_formed_and_shows_counts() {
        let m = [[3, 1], [0, 4]];
        let s = confusion_matrix(&m, &["a<b", "c"], "T & T");
        assert!(s.starts_with("<svg") && s.ends_with("</svg>\n"));
        assert!(s.contains(">3</text>") && s.contains(">4</text>"));
        assert!(s.contains("a&lt;b") && s.contains("T &amp; T"));
        assert_eq!(s.matches("<rect").count(), 1 + 4);
    }

    #[test]
    fn reliability_svg_has_one_bar_per_filled_bin() {
        let p = |x: f32, g: Label| ParaPrediction {
            index: 0,
            gold: Some(g),
            probs: vec![x, 1.0 - x, 0.0, 0.0, 0.0],
            weight: 1.0,
        };
        let c = calibration(&[p(0.95, Label(0)), p(0.65, Label(1))], 10);
        let s = reliability_diagram(&c);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>\n"));
        assert_eq!(s.matches("fill=\"#4a7fb5\"").count(), 2);
        assert_eq!(s.matches("<circle").count(), 2);
    }
}
