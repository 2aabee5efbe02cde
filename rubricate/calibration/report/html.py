"""The HTML report: the Markdown report rendered to one self-contained page.

The Markdown (:mod:`.markdown`) is rendered with markdown-it (CommonMark plus tables; raw HTML
in the text is escaped, never passed through), every ``figures/*.png`` image is embedded as a
``data:image/png;base64`` URI, and the style sheet is inline. The page makes no request of its
own: no script, no web font, no external style sheet or image, so it opens offline and can be
mailed as one file. A figure whose file is missing is replaced by a note, never by a broken
link to the network.
"""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

CSS = """
:root { color-scheme: light; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 16px; line-height: 1.5; color: #1b1b1b; background: #fff;
  max-width: 1100px; margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.8rem; border-bottom: 3px solid #0072B2; padding-bottom: .3rem; }
h2 { font-size: 1.35rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace;
  font-size: .92em; background: #f2f2f2; padding: 0 .25em; border-radius: 3px; }
blockquote { margin: 1rem 0; padding: .6rem 1rem; background: #f4f8fb;
  border-left: 5px solid #0072B2; }
blockquote.status-not_ready { border-left-color: #D55E00; background: #fdf3ee; }
blockquote.status-incomplete { border-left-color: #E69F00; background: #fdf8ec; }
blockquote.status-ready { border-left-color: #009E73; background: #eef8f4; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .95rem; }
th, td { border: 1px solid #d0d0d0; padding: .3rem .6rem; vertical-align: top; }
th { background: #eef2f6; text-align: left; }
tbody tr:nth-child(even) { background: #fafafa; }
img { max-width: 100%; height: auto; display: block; margin: .8rem 0 1.4rem;
  border: 1px solid #e3e3e3; }
ul { padding-left: 1.3rem; }
.missing { color: #b00; font-style: italic; }
"""

_IMG = re.compile(r'<img src="(figures/[A-Za-z0-9_.-]+\.png)" alt="([^"]*)" />')


def _embed(match: re.Match[str], folder: Path) -> str:
    path, alt = match.group(1), match.group(2)
    try:
        data = (folder / path).read_bytes()
    except OSError:
        return f'<span class="missing">[figure {html.escape(path)} is missing]</span>'
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{encoded}" alt="{alt}" />'


def render_html(markdown: str, folder: Path, *, title: str, status: str) -> str:
    """The self-contained HTML page of ``markdown``.

    Args:
        markdown: the Markdown report.
        folder: the run directory the figure paths are relative to.
        title: the page title.
        status: the verdict status (styles the first quote: ready, not_ready, incomplete).
    """
    # Deferred: markdown-it is only needed when a report is written.
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": False}).enable("table")
    body = renderer.render(markdown)
    body = _IMG.sub(lambda m: _embed(m, folder), body)
    body = body.replace("<blockquote>", f'<blockquote class="status-{status}">', 1)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )
