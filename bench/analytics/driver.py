#!/usr/bin/python3
"""Asks a monotube server on loopback for channel dashboards and prints p50/p95/p99
latency per range (Markdown).

    driver.py --port 8080 --login ADMIN --password PW --channels FILE [--requests 2000]
              [--clients 4] [--max-seconds 60] [--seed 1]

FILE lists channel public ids, busiest first. The mix takes channels from the whole list
(the busiest tenth twice as often) and every range: 24h (by hour), 7d, 28d, 90d, 365d, and
28d by hour. An admin asks (user_id=), so any channel can be read. Only 127.0.0.1 is contacted.
"""
import argparse
import http.client
import json
import random
import threading
import time


class Client:
    def __init__(self, port, token):
        self.port = port
        self.headers = {"Authorization": "Bearer " + token}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, target):
        try:
            self.connection.request("GET", target, headers=self.headers)
            response = self.connection.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request("GET", target, headers=self.headers)
            response = self.connection.getresponse()
            body = response.read()
        return response.status, body


def log_in(port, login, password):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/auth/login", body=json.dumps({"login": login, "password": password}),
                       headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"log-in failed: {response.status} {body[:200]!r}")
    return json.loads(body)["token"]


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[index]


RANGES = [("24h by hour", "range=24h"), ("7d", "range=7d"), ("28d", "range=28d"), ("90d", "range=90d"),
          ("365d", "range=365d"), ("28d by hour", "range=28d&granularity=hour")]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--login", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--channels", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with open(args.channels, encoding="utf-8") as handle:
        channels = [line.strip() for line in handle if line.strip()]
    if not channels:
        raise SystemExit("no channels to ask for")
    busiest = channels[: max(1, len(channels) // 10)]
    mix = []
    for i in range(args.requests):
        channel = rng.choice(busiest if i % 2 == 0 else channels)
        name, query = RANGES[i % len(RANGES)]
        mix.append((name, f"/api/analytics/channel?user_id={channel}&{query}"))
    token = log_in(args.port, args.login, args.password)
    warm = Client(args.port, token)
    for _, target in mix[: len(mix) // 10]:
        warm.get(target)

    latencies = {}
    errors = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.max_seconds

    def worker(offset):
        client = Client(args.port, token)
        local = {}
        for index in range(offset, len(mix), args.clients):
            if time.monotonic() > deadline:
                break
            name, target = mix[index]
            started = time.perf_counter()
            status, body = client.get(target)
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                with lock:
                    errors.append((status, target, body[:200]))
                continue
            local.setdefault(name, []).append(elapsed)
        with lock:
            for name, values in local.items():
                latencies.setdefault(name, []).extend(values)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    everything = [v for values in latencies.values() for v in values]
    print(f"{len(everything)} channel dashboards ({len(errors)} not 200) for {len(channels)} channels from "
          f"{args.clients} clients in {wall:.1f} s: {len(everything) / wall:.0f} requests/s\n")
    print("| range | count | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")

    def row(name, values):
        print(f"| {name} | {len(values)} | {percentile(values, 50):.2f} | {percentile(values, 95):.2f} | "
              f"{percentile(values, 99):.2f} |")

    row("**all**", everything)
    for name, _ in RANGES:
        if name in latencies:
            row(name, latencies[name])
    for status, target, body in errors[:5]:
        print(f"\nnot 200: {status} {target} {body!r}")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
