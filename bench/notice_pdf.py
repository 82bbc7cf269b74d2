"""A closed period's public notice as PDF under readers: 20 concurrent readers, 1,000 requests
in all, on the demo community (about 600 units; its quarters closed). Prints the first request
(which draws and stores the PDF), the others' p50/p99, and how many times the server drew the
PDF: the server runs with ``audit.disclosure_render.render`` wrapped to count its calls, so
"drawn once" is counted, not assumed. Anchor, measured in the same run: the same readers on
``/healthz`` (the server's floor, one ``SELECT 1``).

    .venv/bin/python bench/notice_pdf.py [--readers 20] [--requests 1000]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from _serve import commons, free_port

PATH = "/public/demo/disclosures/2025Q1?format=pdf"

#: ``commons serve`` with every drawing of a notice counted (one line appended per call).
COUNTED_SERVE = """
import sys
from audit import disclosure_render
drawn = disclosure_render.render
def counted(*args, **kwargs):
    with open(sys.argv[1], "a") as tally:
        tally.write(kwargs.get("fmt", "?") + "\\n")
    return drawn(*args, **kwargs)
disclosure_render.render = counted
from api.cli import main
main(["--data", sys.argv[2], "serve", "--host", "127.0.0.1", "--port", sys.argv[3]])
"""


def reader(port: int, path: str, count: int, out: list[float], bodies: set[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        for _ in range(count):
            t0 = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
            out.append((time.perf_counter() - t0) * 1000)
            assert response.status == 200, response.status
            bodies.add(hashlib.sha256(body).hexdigest())
    finally:
        connection.close()


def crowd(port: int, path: str, readers: int, requests: int) -> tuple[list[float], set[str]]:
    times: list[list[float]] = [[] for _ in range(readers)]
    bodies: set[str] = set()
    threads = [
        threading.Thread(target=reader, args=(port, path, requests // readers, out, bodies))
        for out in times
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(x for out in times for x in out), bodies


def percentiles(flat: list[float]) -> str:
    p = statistics.quantiles(flat, n=100)
    return f"p50 {p[49]:.1f} ms, p99 {p[98]:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="commons-notice-") as tmp:
        data, tally = Path(tmp) / "data", Path(tmp) / "drawn.txt"
        tally.touch()
        commons(data, "demo")
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-c", COUNTED_SERVE, str(tally), str(data), str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).is_success:
                        break
                except httpx.TransportError:
                    time.sleep(0.05)
                if process.poll() is not None:
                    raise SystemExit("the server exited")
            anchor, _ = crowd(port, "/healthz", args.readers, args.requests)
            print(f"anchor: {args.readers} readers GET /healthz: {percentiles(anchor)}")
            first: list[float] = []
            reader(port, PATH, 1, first, set())
            print(f"first request (draws and stores the PDF): {first[0]:.0f} ms")
            times, bodies = crowd(port, PATH, args.readers, args.requests)
            drawn = tally.read_text().split()
            print(
                f"{len(times)} requests from {args.readers} readers: {percentiles(times)}; "
                f"{len(bodies)} distinct PDF(s) served; drawn {drawn.count('pdf')} time(s) in all"
            )
        finally:
            process.terminate()
            process.wait()


if __name__ == "__main__":
    main()
