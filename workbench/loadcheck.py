"""A bounded load check of the workbench on loopback: p50/p95 per page (issue #17 target: < 300 ms at p95
for the queue, a flag page and an enterprise page at 5,000 enterprises).

    python -m workbench.loadcheck http://127.0.0.1:8080 LOGIN --requests 100 < password-file

Sequential requests from one client: it measures how long a page takes to render, not how many
reviewers the server holds at once. Standard library only, so it runs wherever the app runs.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p * (len(ordered) - 1))))]


def run(base_url: str, login: str, password: str, requests: int = 50,
        out=sys.stdout) -> dict[str, dict[str, float]]:
    """Log in, then GET each page `requests` times; returns {page: {p50_ms, p95_ms, max_ms}} and prints it."""
    base_url = base_url.rstrip("/")
    host = urllib.parse.urlparse(base_url).hostname
    if host not in ("127.0.0.1", "::1", "localhost"):
        raise ValueError("the load check runs on loopback only")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    token = CSRF.search(opener.open(base_url + "/login").read().decode()).group(1)
    form = urllib.parse.urlencode({"username": login, "password": password, "csrf_token": token,
                                   "next": "/flags"}).encode()
    queue = opener.open(base_url + "/login", data=form).read().decode()
    flag = re.search(r'href="(/flags/[0-9a-f]+)"', queue)
    enterprise = re.search(r'href="(/enterprises/[^"]+)"', queue)
    if not flag or not enterprise:
        raise RuntimeError("login failed or the queue is empty: nothing to measure")
    pages = {"queue": "/flags", "flag": flag.group(1), "enterprise": enterprise.group(1)}
    results = {}
    for name, path in pages.items():
        timings = []
        for _ in range(requests):
            start = time.perf_counter()
            with opener.open(base_url + path) as response:
                response.read()
                assert response.status == 200, f"{path}: HTTP {response.status}"
            timings.append((time.perf_counter() - start) * 1000)
        results[name] = {"p50_ms": statistics.median(timings), "p95_ms": _percentile(timings, 0.95),
                         "max_ms": max(timings)}
        print(f"{name:<11} {path:<40} n={requests:<4} p50 {results[name]['p50_ms']:7.1f} ms  "
              f"p95 {results[name]['p95_ms']:7.1f} ms  max {results[name]['max_ms']:7.1f} ms", file=out)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url")
    parser.add_argument("login")
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args(argv)
    password = sys.stdin.readline().rstrip("\r\n")
    run(args.base_url, args.login, password, args.requests)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
