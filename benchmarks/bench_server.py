"""``guardrail serve`` under load, side by side with the in-process Guard, on loopback only.

    python benchmarks/bench_server.py [--rounds 3] [--requests 256] [--soak 10000] [--data FILE.jsonl]

Starts two servers as subprocesses (``guardrail serve`` on 127.0.0.1, micro-batching on: wait 2 ms, batches
of up to 64; off: wait 0, one request per verifier call), then, in alternating rounds (machine-speed drift
hits every setting alike; medians over rounds are printed):

1. throughput of ``POST /v1/check`` at 1, 16 and 64 concurrent clients (a small keep-alive HTTP/1.1 client
   per connection, so the load generator costs little), against in-process ``Guard.check_many`` on the same
   items; the ratio at 64 clients (target >= 60%), and batching on / off;
2. p50 / p99 latency at 16 clients, batching on (target p99 <= 3x p50);
3. the OpenAI proxy's overhead: one client, ``POST /v1/chat/completions`` through the service against the
   same request sent to the fake upstream directly; the difference at p50 against the verifier's own time for
   one check (in process) (target: overhead <= verifier time + 2 ms);
4. a soak: ``--soak`` requests at 32 clients, a quarter of them garbage (not JSON, not UTF-8, wrong shapes,
   NaN, empty); every valid request has a unique id: 0 lost, 0 duplicated, 0 5xx; server RSS at start / end.

Items: ``--data`` (JSONL with question + rationale/answer or output), default ``examples/sample.jsonl``.
Every loop is bounded; all traffic goes to 127.0.0.1. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "examples"))

GARBAGE = [
    b"{not json",
    b'{"question": "\xff\xfe bad bytes", "output": "x"}',
    b"",
    b'["an", "array"]',
    b'{"question": 3, "output": "x"}',
    b'{"output": "no question"}',
    b'{"question": "q", "output": "x", "answer": NaN}',
    b'{"question": "q", "output": "x", "rationale": "r", "answer": "a"}',
]


# --- a minimal keep-alive HTTP/1.1 client (one connection per simulated client) ---------------------------


class RawClient:
    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: str = "") -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n{headers}"
                f"content-length: {len(body)}\r\n\r\n").encode()  # fmt: skip
        self.writer.write(head + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, close = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        payload = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, payload

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except OSError:
                pass
            self.writer = self.reader = None


async def load(port: int, bodies: list[bytes], concurrency: int, path: str = "/v1/check") -> dict[str, Any]:
    """Send every body once, ``concurrency`` clients at a time; (status, payload, latency) per body, in order."""
    results: list[Any] = [None] * len(bodies)
    cursor = iter(range(len(bodies)))

    async def worker() -> None:
        client = RawClient(port)
        try:
            for index in cursor:
                started = time.perf_counter()
                status, payload = await client.post(path, bodies[index])
                results[index] = (status, payload, time.perf_counter() - started)
        finally:
            await client.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"seconds": time.perf_counter() - started, "results": results}


# --- servers ------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, name: str, settings: dict[str, Any], model: str | None) -> None:
        self.name, self.port = name, free_port()
        self.config = Path(tempfile.mkstemp(suffix=".json")[1])
        self.config.write_text(json.dumps({"queue_size": 4096, "onnx_batch_size": 32, **settings}))
        command = [sys.executable, "-m", "guardrail", "serve", "--port", str(self.port),
                   "--config", str(self.config), "--log-json"] + (["--model", model] if model else [])  # fmt: skip
        self.proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "GUARDRAIL_API_KEYS": ""})  # fmt: skip
        self._wait_ready()

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/readyz", trust_env=False).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"{self.name}: the server exited ({self.proc.returncode})")
            time.sleep(0.1)
        raise SystemExit(f"{self.name}: not ready within 60 s")

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
        return float("nan")

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.config.unlink(missing_ok=True)


# --- measurements -------------------------------------------------------------------------------------------


def read_items(path: Path, n: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    keep = ("question", "output", "rationale", "answer")
    rows = [{k: r[k] for k in keep if k in r} for r in rows if isinstance(r.get("question"), str)]
    return [{**rows[i % len(rows)], "id": f"item-{i}"} for i in range(n)]


def in_process(guard: Any, items: list[dict[str, Any]]) -> float:
    started = time.perf_counter()
    guard.check_many(items)
    return len(items) / (time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


PROXY_QUESTION = "A box holds 6 rows of 7 eggs. How many eggs are in the box?"


def proxy_overhead(upstream_url: str, proxy_port: int, requests: int) -> tuple[float, float]:
    """p50 (ms) of the same chat completion sent to the upstream directly and through the proxy, one at a time,
    interleaved (direct, proxied, direct, ...) so that drift in machine speed hits both alike."""
    up_port = int(upstream_url.rsplit(":", 1)[1])
    body = json.dumps({"model": "fake-reasoner", "messages": [{"role": "user", "content": PROXY_QUESTION}]})

    async def once(port: int) -> float:
        client = RawClient(port)  # the stdlib fake closes each connection: a fresh one on both paths
        started = time.perf_counter()
        status, _ = await client.post("/v1/chat/completions", body.encode())
        elapsed = time.perf_counter() - started
        await client.close()
        assert status == 200, status
        return elapsed

    async def run() -> tuple[list[float], list[float]]:
        direct, proxied = [], []
        for _ in range(requests):
            direct.append(await once(up_port))
            proxied.append(await once(proxy_port))
        return direct, proxied

    direct, proxied = asyncio.run(run())
    return statistics.median(direct) * 1000, statistics.median(proxied) * 1000


def verifier_time(guard: Any, runs: int = 50) -> float:
    """p50 (ms) of the in-process check of the answer the proxy checks (the fake model's reply)."""
    from _support import model_reply

    reasoning, answer = model_reply(PROXY_QUESTION)
    item = [{"question": PROXY_QUESTION, "rationale": reasoning, "answer": answer}]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        guard.check_many(item)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def mean_batch(server: Server) -> float:
    """Items per verifier call so far, from the server's own metrics."""
    import httpx

    text = httpx.get(f"http://127.0.0.1:{server.port}/metrics", trust_env=False).text
    values = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name in ("guardrail_batch_size_sum", "guardrail_batch_size_count"):
            values[name] = float(value)
    return values.get("guardrail_batch_size_sum", 0.0) / max(1.0, values.get("guardrail_batch_size_count", 0.0))


def soak(server: Server, items: list[dict[str, Any]], n: int, garbage_share: float = 0.25) -> dict[str, Any]:
    rng = random.Random(16)
    bodies, expected = [], {}
    for i in range(n):
        if rng.random() < garbage_share:
            bodies.append(rng.choice(GARBAGE))
        else:
            ident = f"soak-{i}"
            expected[i] = ident
            bodies.append(json.dumps({**items[i % len(items)], "id": ident}).encode())
    rss_start = server.rss_mb()
    run = asyncio.run(load(server.port, bodies, 32))
    rss_end = server.rss_mb()
    statuses: dict[int, int] = {}
    seen: dict[str, int] = {}
    lost = 0
    for index, result in enumerate(run["results"]):
        if result is None:
            lost += 1
            continue
        status, payload, _ = result
        statuses[status] = statuses.get(status, 0) + 1
        if index in expected:
            ident = json.loads(payload).get("id") if status == 200 else None
            if ident != expected[index]:
                lost += 1
            else:
                seen[ident] = seen.get(ident, 0) + 1
    return {
        "requests": n, "valid": len(expected), "garbage": n - len(expected), "statuses": statuses,
        "lost": lost + (len(expected) - len(seen)) - sum(1 for r in run["results"] if r is None),
        "duplicated": sum(count - 1 for count in seen.values()), "5xx": sum(c for s, c in statuses.items() if s >= 500),
        "seconds": run["seconds"], "rss_start_mb": rss_start, "rss_end_mb": rss_end,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=256, help="requests per throughput measurement")
    parser.add_argument("--proxy-requests", type=int, default=200)
    parser.add_argument("--soak", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=REPO / "examples" / "sample.jsonl")
    parser.add_argument("--model", help="model directory (default: the shipped model)")
    args = parser.parse_args()

    from _support import FakeLLMServer

    from guardrail import Guard, OnnxVerifier
    from guardrail.toolkit import configure_cli_logging

    configure_cli_logging()  # warnings only: no per-verdict lines in the bench output

    print(f"bench_server: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} CPUs, rounds={args.rounds}, "
          f"requests={args.requests}, soak={args.soak}, data={args.data.name}", flush=True)  # fmt: skip
    items = read_items(args.data, args.requests)
    bodies = [json.dumps(item).encode() for item in items]
    guard = Guard(OnnxVerifier(args.model, threads=2, batch_size=32))
    guard.check_many(items[:8])
    with FakeLLMServer() as upstream:
        on = Server("batching on", {"batch_wait_ms": 2.0, "max_batch": 64, "openai_upstream": f"{upstream}/v1"},
                    args.model)  # fmt: skip
        off = Server("batching off", {"batch_wait_ms": 0.0, "max_batch": 1}, args.model)
        try:
            for server in (on, off):
                asyncio.run(load(server.port, bodies[:64], 16))  # warm up
            table: dict[str, list[float]] = {}
            p50s, p99s, verifier_ms, direct_ms, proxied_ms = [], [], [], [], []
            for round_ in range(args.rounds):
                table.setdefault("in-process check_many", []).append(in_process(guard, items))
                for server in (on, off):
                    for clients in (1, 16, 64):
                        run = asyncio.run(load(server.port, bodies, clients))
                        bad = sum(1 for r in run["results"] if r is None or r[0] != 200)
                        key = f"{server.name}, {clients:>2} clients"
                        table.setdefault(key, []).append(len(bodies) / run["seconds"])
                        if bad:
                            print(f"  ! {key}: {bad} requests failed")
                        if server is on and clients == 16:
                            latencies = [r[2] * 1000 for r in run["results"] if r is not None]
                            p50s.append(pct(latencies, 0.5))
                            p99s.append(pct(latencies, 0.99))
                verifier_ms.append(verifier_time(guard))
                direct, proxied = proxy_overhead(upstream, on.port, args.proxy_requests)
                direct_ms.append(direct)
                proxied_ms.append(proxied)
                print(f"  round {round_ + 1} done", flush=True)

            for server in (on, off):
                print(f"  {server.name}: mean micro-batch {mean_batch(server):.1f} items")
            med = {key: statistics.median(values) for key, values in table.items()}
            base = med["in-process check_many"]
            print("\nthroughput, checks/s (median of rounds; all rounds)")
            for key, values in table.items():
                print(f"  {key:<28} {med[key]:8.1f}  ({', '.join(f'{v:.1f}' for v in values)})"
                      f"  {med[key] / base:6.1%} of in-process")  # fmt: skip
            for clients in (1, 16, 64):
                ratio = med[f"batching on, {clients:>2} clients"] / med[f"batching off, {clients:>2} clients"]
                print(f"  micro-batching on/off at {clients:>2} clients: {ratio:.2f}x")
            print(f"  /v1/check at 64 clients vs in-process: {med['batching on, 64 clients'] / base:.1%} "
                  "(target >= 60%)")
            p50, p99 = statistics.median(p50s), statistics.median(p99s)
            print(f"\nlatency at 16 clients (batching on): p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
                  f"p99/p50 {p99 / p50:.2f} (target <= 3)")
            verifier, direct, proxied = (statistics.median(v) for v in (verifier_ms, direct_ms, proxied_ms))
            print(f"\nproxy (1 client, p50): direct {direct:.2f} ms, through the proxy {proxied:.2f} ms, overhead "
                  f"{proxied - direct:.2f} ms; verifier alone {verifier:.2f} ms; target overhead <= "
                  f"{verifier + 2:.2f} ms ({'met' if proxied - direct <= verifier + 2 else 'missed'})")
            if args.soak:
                result = soak(on, items, args.soak)
                print(f"\nsoak: {result['requests']} requests ({result['garbage']} garbage) at 32 clients in "
                      f"{result['seconds']:.1f} s: statuses {dict(sorted(result['statuses'].items()))}, lost "
                      f"{result['lost']}, duplicated {result['duplicated']}, 5xx {result['5xx']}; server RSS "
                      f"{result['rss_start_mb']:.0f} MB -> {result['rss_end_mb']:.0f} MB")
        finally:
            on.stop()
            off.stop()


if __name__ == "__main__":
    main()
