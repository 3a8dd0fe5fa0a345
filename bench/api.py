"""API latency benchmark: median and p95 of list endpoints on the 1 000 000-customer database.

Two modes, same URLs, same statistics:

- default (client-side): HTTP requests over loopback to a running server (`--base-url`), from a small
  pool of threads (`--threads`), each request on its own `http.client` connection. Includes the HTTP
  server, the socket and JSON parsing on the client.
- `--in-process` (server-side): `django.setup()` with this process's environment, then the same requests
  through `django.test.Client`, one at a time. This is the view, serialization, middleware and the
  database round trips, without the HTTP server: the measure the issue's target (p95 < 100 ms) is about.

The deep-page URL is found first by following `next` cursors `--depth` pages deep on /api/customers/
(and on `?ordering=-latest_nps` unless `--no-nps-deep`); then that deep cursor URL is timed like the
others. Warm-up requests come before every URL's measured ones. The script prints a table and writes
nothing; it asserts nothing about time.

    # client-side, against a running server
    TILFREDS_BENCH_TOKEN=... python bench/api.py --base-url http://127.0.0.1:8799
    # server-side, in-process (needs the server's environment: DATABASE_URL, DJANGO_SECRET_KEY, ...)
    TILFREDS_BENCH_TOKEN=... python bench/api.py --in-process
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

Fetch = Callable[[str], tuple[int, bytes]]


def http_fetcher(base_url: str, token: str) -> Fetch:
    parsed = urllib.parse.urlsplit(base_url)
    host, port = parsed.hostname or "127.0.0.1", parsed.port or 80
    headers = {"Authorization": f"Token {token}", "Accept": "application/json", "Host": parsed.netloc}

    def fetch(path: str) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    return fetch


def in_process_fetcher(token: str, host: str) -> Fetch:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Token {token}", HTTP_ACCEPT="application/json")

    def fetch(path: str) -> tuple[int, bytes]:
        response = client.get(path)
        return response.status_code, response.content

    return fetch


def path_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def deep_url(fetch: Fetch, start: str, depth: int) -> str:
    """Follow `next` `depth` times from `start`; return the path of the page reached."""
    path = start
    for _ in range(depth):
        status, body = fetch(path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
        next_url = json.loads(body)["next"]
        if next_url is None:
            break
        path = path_of(next_url)
    return path


def measure(fetch: Fetch, path: str, n: int, warmup: int, threads: int) -> tuple[list[float], int]:
    """Return the latencies in ms of `n` requests (after `warmup` unmeasured ones) and the rows per page."""
    rows = 0
    for _ in range(warmup):
        status, body = fetch(path)
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
        rows = len(json.loads(body)["results"])

    def one(_: int) -> float:
        started = time.perf_counter()
        status, body = fetch(path)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise SystemExit(f"{path} answered {status}: {body[:300]!r}")
        return elapsed

    if threads <= 1:
        return [one(i) for i in range(n)], rows
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(one, range(n))), rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", default="http://127.0.0.1:8799")
    parser.add_argument("--token", default=os.environ.get("TILFREDS_BENCH_TOKEN", ""))
    parser.add_argument("--product", default="P-0100", help="SKU for /api/upsell-candidates/")
    parser.add_argument("--requests", type=int, default=200, help="measured requests per URL")
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured requests per URL first")
    parser.add_argument("--threads", type=int, default=3, help="client threads (HTTP mode only)")
    parser.add_argument("--depth", type=int, default=200, help="pages to follow for the deep URL")
    parser.add_argument("--no-nps-deep", action="store_true", help="skip the deep ?ordering=-latest_nps page")
    parser.add_argument("--in-process", action="store_true", help="time through django.test.Client")
    args = parser.parse_args()
    if not args.token:
        parser.error("give --token or TILFREDS_BENCH_TOKEN")

    if args.in_process:
        host = urllib.parse.urlsplit(args.base_url).netloc
        fetch, mode, threads = in_process_fetcher(args.token, host), "in-process", 1
    else:
        fetch, mode, threads = http_fetcher(args.base_url, args.token), "client (HTTP)", args.threads

    urls: list[tuple[str, str]] = [
        ("customers nps_min=7 tier=A,B", "/api/customers/?nps_min=7&tier=A&tier=B"),
        ("upsell-candidates", f"/api/upsell-candidates/?product={urllib.parse.quote(args.product)}"),
        (f"customers page {args.depth + 1}", deep_url(fetch, "/api/customers/", args.depth)),
    ]
    if not args.no_nps_deep:
        start = "/api/customers/?ordering=-latest_nps"
        urls.append((f"customers -latest_nps page {args.depth + 1}", deep_url(fetch, start, args.depth)))

    print(f"mode: {mode}, threads: {threads}, warm-up: {args.warmup}, measured: {args.requests} per URL")
    header = f"{'URL':<36} {'rows':>4} {'n':>5} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for label, path in urls:
        latencies, rows = measure(fetch, path, args.requests, args.warmup, threads)
        p95 = statistics.quantiles(latencies, n=20, method="inclusive")[18]
        median = statistics.median(latencies)
        print(f"{label:<36} {rows:>4} {len(latencies):>5} {median:>10.1f} {p95:>8.1f} {max(latencies):>8.1f}")
    for label, path in urls:
        print(f"  {label}: {path}")


if __name__ == "__main__":
    main()
