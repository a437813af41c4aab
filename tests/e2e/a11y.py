"""axe-core at WCAG 2.2 AA, and the 375 px check, for whatever page the browser shows."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
_axe = Axe()

OVERFLOW_SCRIPT = """(width) => {
    const wide = [];
    const root = document.documentElement;
    if (root.scrollWidth > width) wide.push('document ' + root.scrollWidth);
    for (const el of document.querySelectorAll('main *, header *, footer *')) {
        const r = el.getBoundingClientRect();
        if (r.width && r.right > width + 1 && getComputedStyle(el).position !== 'absolute') {
            wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' right=' + Math.round(r.right));
        }
    }
    return wide.slice(0, 5);
}"""


def violations(page: Page) -> list[str]:
    """One line per violated rule: its id, impact, help and the first offending elements."""
    results = _axe.run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]}
    ).response
    lines = []
    for rule in results["violations"]:
        targets = ", ".join(" ".join(map(str, node["target"])) for node in rule["nodes"][:3])
        lines.append(f"{rule['id']} ({rule['impact']}): {rule['help']} at {targets}")
    return lines


def overflow_at(page: Page, width: int = 375) -> list[str]:
    """Elements wider than the viewport at `width` px (the page must not scroll sideways)."""
    size = page.viewport_size
    page.set_viewport_size({"width": width, "height": 800})
    try:
        return page.evaluate(OVERFLOW_SCRIPT, width)
    finally:
        page.set_viewport_size(size)


def check(page: Page, state: str, *, auditor: Page | None = None) -> list[str]:
    """Problems on the current page, labelled with the state it shows.

    axe-core needs JavaScript: for a page shown with JavaScript off, pass `auditor`, a page with JavaScript on,
    which is served a copy of the HTML at the same address (so the stylesheet and everything else load alike).
    """
    if auditor is not None:
        url, html = page.url, page.content()
        auditor.route(url, lambda route: route.fulfill(body=html, content_type="text/html; charset=utf-8"))
        try:
            auditor.goto(url)
        finally:
            auditor.unroute(url)
        page = auditor
    return [f"{state}: {line}" for line in violations(page)] + [
        f"{state} at 375 px: {line}" for line in overflow_at(page)
    ]
