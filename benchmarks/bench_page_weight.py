"""Benchmark: the bytes each page of the built site makes a reader download, every resource counted uncompressed.

    .venv/bin/python benchmarks/bench_page_weight.py                      # the site in _build/html
    .venv/bin/python benchmarks/bench_page_weight.py --site /tmp/b/_build/html
    PLAYBOOK_SITE=/tmp/b/_build/html .venv/bin/python benchmarks/bench_page_weight.py --all

Opens every built page in a fresh (empty-cache) headless Chromium context, waits until the network is idle, and
adds up the body of every response. Prints the median and the heaviest page, the heaviest chapter and lesson
pages, and the five heaviest resources across the site. Targets: median at most 1,000 kB, heaviest at most
2,000 kB, chapter pages at most 300 kB. A kB here is 1,000 bytes.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
import localsite  # noqa: E402


def page_weight(browser, base: str, path: str) -> dict[str, int]:
    """Bytes of each resource the page loads from a cold cache, by path (query string dropped)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    context = browser.new_context()
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(f"{base}/{path}", wait_until="load")
    try:
        page.wait_for_load_state("networkidle", timeout=10_000)
    except PlaywrightTimeout:
        pass
    sizes: dict[str, int] = {}
    for response in responses:
        if response.url.startswith("data:") or not 200 <= response.status < 300:
            continue
        resource = urlsplit(response.url).path.lstrip("/")
        sizes[resource] = sizes.get(resource, 0) + len(response.body())
    context.close()
    return sizes


def kb(size: int) -> str:
    return f"{size / 1000:,.0f} kB"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", help="built HTML folder (default $PLAYBOOK_SITE or _build/html)")
    parser.add_argument("--all", action="store_true", help="print every page's weight, not only the summary")
    args = parser.parse_args(argv)
    site = localsite.site_dir(args.site)
    if not (site / "index.html").is_file():
        print(f"No built site at {site}: build the book first or pass --site.", file=sys.stderr)
        return 2
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if "_static" not in p.parts)
    weights: dict[str, dict[str, int]] = {}
    with localsite.serve(site) as base, localsite.chromium() as browser:
        for path in pages:
            weights[path] = page_weight(browser, base, path)
    totals = {path: sum(sizes.values()) for path, sizes in weights.items()}
    ranked = sorted(totals, key=totals.get, reverse=True)
    if args.all:
        for path in ranked:
            print(f"{kb(totals[path]):>10}  {path}")
        print()
    print(f"site: {site}")
    print(f"pages: {len(pages)}")
    print(f"median page: {kb(statistics.median(totals.values()))}")
    print(f"heaviest page: {kb(totals[ranked[0]])}  {ranked[0]}")
    for label, prefix in (("chapter", "chapters/"), ("lesson", "notebooks/")):
        group = [p for p in ranked if p.startswith(prefix)]
        if group:
            print(f"{label} pages: median {kb(statistics.median(totals[p] for p in group))}, "
                  f"heaviest {kb(totals[group[0]])}  {group[0]}")
    largest: dict[str, int] = {}
    for sizes in weights.values():
        for resource, size in sizes.items():
            largest[resource] = max(largest.get(resource, 0), size)
    print("five heaviest resources:")
    for resource in sorted(largest, key=largest.get, reverse=True)[:5]:
        print(f"{kb(largest[resource]):>10}  {resource}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
