//! The Markdown report of one document (`docs/<id>.md`): [`safe_name`], [`render_markdown`].

use super::*;

/// A file-system-safe name for a document id (`docs/<name>.md`). Ids that had to be changed
/// get a short hash suffix so two ids never share a file.
pub fn safe_name(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean == id && !clean.is_empty() {
        clean
    } else {
        format!("{clean}-{}", &crate::hash::sha256_hex(id.as_bytes())[..8])
    }
}

/// Render the human-readable report of one document.
pub fn render_markdown(r: &DocReport) -> String {
    let mut s = String::new();
    let title = r
        .title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(&r.id);
    s.push_str(&format!("# {}\n\n", title.trim()));
    s.push_str(&format!("- id: `{}`\n", r.id));
    if let Some(src) = &r.source {
        s.push_str(&format!("- source: {src}\n"));
    }
    if let Some(d) = &r.date {
        s.push_str(&format!("- date: {d}\n"));
    }
    let cb = &r.codebook;
    s.push_str(&format!(
        "- dominant frame: **{}**\n",
        r.dominant_name().unwrap_or("none")
    ));
    let present: Vec<&str> = r.present.iter().map(|&l| cb.name(l)).collect();
    s.push_str(&format!(
        "- frames present: {}\n",
        if present.is_empty() {
            "none".to_string()
        } else {
            present.join(", ")
        }
    ));
    s.push_str(&format!(
        "- framed fraction of the text: {:.0}%\n\n",
        r.framed_fraction * 100.0
    ));
    s.push_str("| frame | share |\n|---|---:|\n");
    for (&l, v) in cb.frames().iter().zip(&r.shares) {
        s.push_str(&format!("| {} | {:.1}% |\n", cb.name(l), v * 100.0));
    }
    for (f, ev) in &r.evidence {
        s.push_str(&format!("\n## {}\n\n", cb.name(*f)));
        if let Some(t) = r.terms.get(f).filter(|t| !t.is_empty()) {
            s.push_str(&format!(
                "Terms that pushed this frame: {}\n\n",
                t.iter()
                    .map(|x| format!("*{x}*"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for e in ev {
            s.push_str(&format!(
                "> {}\n>\n> — paragraph {}, score {:.2}\n\n",
                e.text.replace('\n', " "),
                e.index,
                e.score
            ));
        }
    }
    crate::narratives::render_markdown_section(&r.narratives, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_are_unique_and_clean() {
        assert_eq!(safe_name("abc-1.txt"), "abc-1.txt");
        let a = safe_name("dir/a b.txt");
        assert!(a.starts_with("dir_a_b.txt-"));
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert!(!safe_name("../x").contains('/'));
    }
}
