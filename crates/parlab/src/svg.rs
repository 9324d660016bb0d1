//! The frame every picture of the course shares: the engine's timelines and
//! the bench's charts open the same way, and take their colours from the
//! book's theme (`--fg`), so that one picture reads on light and dark pages.

use std::fmt::Write;

/// Opens a picture `width` x `height` (its own units; it scales down to the
/// page): the `<svg>` element with `attrs` added (data for the book's
/// tests), its `<title>`, the theme's classes (`parlab-fg` for text,
/// `parlab-grid` for grid lines, `parlab-axis` for axes) and the title
/// line in bold. The caller writes the rest and `</svg>`.
///
/// ```
/// let mut svg = String::new();
/// parlab::svg::open(&mut svg, (520.0, 170.0), 15, "two runs & a race", r#"data-axis-ns="1000""#);
/// assert!(svg.starts_with("<svg") && svg.contains(r#"data-axis-ns="1000""#));
/// assert!(svg.contains("<title>two runs &amp; a race</title>"));
/// ```
pub fn open(out: &mut String, (width, height): (f64, f64), font_size: u32, title: &str, attrs: &str) {
    let title = escape(title);
    let attrs = if attrs.is_empty() { String::new() } else { format!(" {attrs}") };
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" style="max-width: {width}px; height: auto" font-family="sans-serif" font-size="{font_size}" role="img" aria-label="{title}"{attrs}>"#
    );
    let _ = writeln!(out, "<title>{title}</title>");
    let _ = writeln!(
        out,
        "<style>.parlab-fg {{ fill: var(--fg, #222) }} .parlab-grid {{ stroke: var(--fg, #222); stroke-opacity: 0.2 }} \
         .parlab-axis {{ stroke: var(--fg, #222); stroke-opacity: 0.6 }}</style>"
    );
    let _ = writeln!(out, r#"<text class="parlab-fg" x="8" y="22" font-size="16" font-weight="bold">{title}</text>"#);
}

/// `s` made safe as SVG text or as an attribute's value.
///
/// ```
/// assert_eq!(parlab::svg::escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
/// ```
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
