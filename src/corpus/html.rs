//! HTML markup stripped from article text ([`strip_html`]), character references decoded ([`decode_entities`]).

/// HTML elements whose content is not text.
const HTML_SKIP: &[&str] = &["script", "style", "noscript", "template", "head"];

/// Inline HTML elements: removed without a break.
const HTML_INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins",
    "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time",
    "tt", "u", "var", "wbr",
];

/// HTML elements replaced by a space.
const HTML_SPACE: &[&str] = &[
    "td", "th", "img", "input", "button", "label", "select", "option",
];

/// Block-level HTML elements: replaced by a line break (a paragraph boundary).
const HTML_BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "iframe",
    "li",
    "main",
    "meta",
    "link",
    "nav",
    "ol",
    "p",
    "picture",
    "pre",
    "section",
    "source",
    "summary",
    "svg",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "title",
    "tr",
    "ul",
    "video",
    "audio",
    "object",
    "embed",
];

/// Longest tag (from `<` to `>`) recognised as markup.
const MAX_TAG: usize = 4096;

enum TagAction {
    Nothing,
    Space,
    Break,
    /// Skip the element's content up to its closing tag.
    SkipTo(&'static str),
}

/// Parse an HTML tag, comment or declaration starting at `b[lt] == b'<'`: the index just past
/// it and what to put in its place, or `None` when this `<` is not markup.
fn parse_tag(b: &[u8], lt: usize) -> Option<(usize, TagAction)> {
    let rest = &b[lt..];
    if rest.starts_with(b"<!--") {
        let end = find(&b[lt + 4..], b"-->").map_or(b.len(), |i| lt + 4 + i + 3);
        return Some((end, TagAction::Nothing));
    }
    if rest.len() > 2 && (rest[1] == b'!' || rest[1] == b'?') && rest[2].is_ascii_alphabetic() {
        let gt = rest.iter().take(MAX_TAG).position(|&c| c == b'>')?;
        return Some((lt + gt + 1, TagAction::Nothing));
    }
    let mut i = 1;
    let closing = rest.get(1) == Some(&b'/');
    if closing {
        i += 1;
    }
    let start = i;
    while i < rest.len() && rest[i].is_ascii_alphanumeric() && i - start < 16 {
        i += 1;
    }
    if i == start || !rest[start].is_ascii_alphabetic() {
        return None;
    }
    let name = std::str::from_utf8(&rest[start..i])
        .ok()?
        .to_ascii_lowercase();
    match rest.get(i) {
        Some(c) if c.is_ascii_whitespace() || *c == b'/' || *c == b'>' => {}
        _ => return None,
    }
    // find the closing '>' outside quoted attribute values, within MAX_TAG bytes
    let mut quote = None;
    let mut j = i;
    let gt = loop {
        if j >= rest.len() || j >= MAX_TAG {
            return None;
        }
        let c = rest[j];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => break j,
            None if c == b'<' => return None,
            None => {}
        }
        j += 1;
    };
    let end = lt + gt + 1;
    let is = |set: &[&str]| set.contains(&name.as_str());
    let action = if let (false, Some(skip)) = (closing, HTML_SKIP.iter().find(|s| **s == name)) {
        TagAction::SkipTo(skip)
    } else if is(HTML_INLINE) {
        TagAction::Nothing
    } else if is(HTML_SPACE) {
        TagAction::Space
    } else if is(HTML_BLOCK) || is(HTML_SKIP) {
        TagAction::Break
    } else {
        return None;
    };
    Some((end, action))
}

/// Position of `needle` in `hay`, ASCII case-insensitively.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Remove HTML markup from text: tags and comments are dropped (block elements such as `<p>`,
/// `<br>`, `<div>`, `<li>` become line breaks, so they still separate paragraphs), the content
/// of `<script>`, `<style>`, `<head>` … is dropped, and character references (`&amp;`,
/// `&#233;` …) are decoded. Only known HTML element names count as tags, so prose such as
/// `a <b and c> d` with unknown names is left alone.
///
/// Returns the cleaned text and the number of tags removed, or `None` when the text has no
/// markup (it is then used unchanged, entities included).
pub fn strip_html(text: &str) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut tags = 0usize;
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(b'<', &b[i..]) {
        let lt = i + off;
        let Some((mut end, action)) = parse_tag(b, lt) else {
            i = lt + 1;
            continue;
        };
        if tags == 0 {
            out.reserve(text.len());
        }
        out.push_str(&text[last..lt]);
        tags += 1;
        match action {
            TagAction::Nothing => {}
            TagAction::Space => out.push(' '),
            TagAction::Break => out.push('\n'),
            TagAction::SkipTo(name) => {
                let close = format!("</{name}");
                end = match find(&b[end..], close.as_bytes()) {
                    Some(k) => {
                        let from = end + k;
                        b[from..]
                            .iter()
                            .position(|&c| c == b'>')
                            .map_or(b.len(), |g| from + g + 1)
                    }
                    None => b.len(),
                };
                out.push('\n');
            }
        }
        last = end;
        i = end;
        if i >= b.len() {
            break;
        }
    }
    if tags == 0 {
        return None;
    }
    out.push_str(&text[last.min(text.len())..]);
    Some((decode_entities(&out), tags))
}

/// Decode HTML character references (`&amp;`, `&nbsp;`, `&#8217;`, `&#x1F600;` …); unknown or
/// invalid ones are kept as they are.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|k| entity(&after[..k]).map(|c| (c, k)));
        match decoded {
            Some((c, k)) => {
                out.push(c);
                rest = &after[k + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let v = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return char::from_u32(v).filter(|&c| c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "euro" => '€',
        "pound" => '£',
        "copy" => '©',
        "middot" => '·',
        "eacute" => 'é',
        "aacute" => 'á',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        "ccedil" => 'ç',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::paragraphs;

    #[test]
    fn html_stripping() {
        let (t, n) = strip_html(
            "<html><head><title>T</title><style>p{x:1}</style></head><body>\
             <h1>Head</h1><p>One <b>bold</b> word.<br>Two&nbsp;&#8217;s &#x263A;</p>\
             <script>var a = '<p>';</script><!-- c --><div class=\"a>b\">Three</div></body></html>",
        )
        .unwrap();
        assert_eq!(
            paragraphs(&t),
            ["Head", "One bold word.", "Two ’s ☺", "Three"]
        );
        assert!(n >= 10);
        assert!(strip_html("a <b and c> d").is_some());
        assert!(strip_html("x <unknown> y, 3 < 4").is_none());
        assert!(strip_html("unterminated <p class=\"x").is_none());
        assert_eq!(
            decode_entities("AT&T &bogus; &#0; &amp;"),
            "AT&T &bogus; &#0; &"
        );
        // never panics on multi-byte text around markup
        let (t, _) = strip_html("é<p>ü</p>€<br/>").unwrap();
        assert_eq!(paragraphs(&t), ["é", "ü", "€"]);
    }
}
