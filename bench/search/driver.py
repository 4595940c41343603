#!/usr/bin/python3
"""Replays a fixed mix of searches and suggestions against a monotube server on loopback
and prints p50/p95/p99 latency and throughput per kind of request (Markdown).

    driver.py --port 8080 [--requests 4000] [--clients 4] [--max-seconds 60] [--seed 1]

The mix is built first (not timed) from the server's own data: a sample of titles and
tags found for words of /usr/share/dict/words, and the most popular titles (suggestions
of single letters). Then every client runs its share of the mix in a fixed order over one
keep-alive connection. Only 127.0.0.1 is ever contacted.
"""
import argparse
import http.client
import json
import random
import threading
import time
import urllib.parse

WORDS_FILE = "/usr/share/dict/words"


def words_from_dictionary():
    words = []
    with open(WORDS_FILE, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            word = line.strip()
            if 3 <= len(word) <= 10 and word.isascii() and word.isalpha() and word.islower():
                words.append(word)
    return words


class Client:
    def __init__(self, port):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get(self, target):
        try:
            self.connection.request("GET", target)
            response = self.connection.getresponse()
            body = response.read()
        except (http.client.HTTPException, OSError):
            self.connection.close()
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            self.connection.request("GET", target)
            response = self.connection.getresponse()
            body = response.read()
        return response.status, body


def search_target(params):
    return "/api/search/videos?" + urllib.parse.urlencode(params)


def build_mix(client, rng, count):
    words = words_from_dictionary()
    titles, tags = [], []
    for word in rng.sample(words, 120):
        status, body = client.get(search_target({"query": word, "limit": 5}))
        if status != 200:
            continue
        for video in json.loads(body)["videos"]:
            titles.append(video["title"])
            tags.extend(video.get("tags", []))
    popular = []
    for letter in "abcdefghijklmnoprstw":
        status, body = client.get("/api/search/suggest?" + urllib.parse.urlencode({"query": letter, "limit": 20}))
        if status == 200:
            popular.extend(s["text"] for s in json.loads(body)["suggestions"])
    if not titles or not popular:
        raise SystemExit("the server found nothing to build the query mix from (is the catalogue generated?)")
    common = [w.lower() for t in popular for w in t.split()]
    tags = tags or ["music"]

    def title_words(n):
        title = rng.choice(titles).lower().split()
        if len(title) < n:
            return " ".join(title)
        start = rng.randrange(len(title) - n + 1)
        return " ".join(title[start:start + n])

    kinds = [
        ("search: one rare word", lambda: {"query": rng.choice(words)}),
        ("search: one common word", lambda: {"query": rng.choice(common)}),
        ("search: two words", lambda: {"query": title_words(1) + " " + title_words(1)}),
        ("search: phrase", lambda: {"query": '"' + title_words(2) + '"'}),
        ("search: tag", lambda: {"query": "tag:" + rng.choice(tags)}),
        ("search: word + filters", lambda: {"query": rng.choice(common), "duration": rng.choice(["short", "medium", "long"]),
                                             "upload_date": rng.choice(["this_month", "this_year", ""])}),
        ("search: word + tags filter", lambda: {"query": title_words(1), "tags": rng.choice(tags)}),
        ("search: sort by date", lambda: {"query": rng.choice(common), "sort": "date"}),
        ("search: sort by views", lambda: {"query": rng.choice(common), "sort": "views"}),
        ("search: page 3", lambda: {"query": rng.choice(common), "page": 3}),
    ]
    mix = []
    for i in range(count):
        if i % 2 == 0:
            source = rng.choice(popular + titles)
            prefix = source[: rng.randint(1, min(8, len(source)))]
            mix.append(("suggest", "/api/search/suggest?" + urllib.parse.urlencode({"query": prefix})))
        else:
            name, make = kinds[(i // 2) % len(kinds)]
            params = {k: v for k, v in make().items() if v != ""}
            mix.append((name, search_target(params)))
    return mix


def percentile(values, p):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100.0 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--max-seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    mix = build_mix(Client(args.port), rng, args.requests)
    # Warm-up: one pass over a tenth of the mix, not measured.
    warm = Client(args.port)
    for _, target in mix[: len(mix) // 10]:
        warm.get(target)

    latencies = {}
    errors = []
    lock = threading.Lock()
    deadline = time.monotonic() + args.max_seconds

    def worker(offset):
        client = Client(args.port)
        local = {}
        for index in range(offset, len(mix), args.clients):
            if time.monotonic() > deadline:
                break
            name, target = mix[index]
            started = time.perf_counter()
            status, _ = client.get(target)
            elapsed = (time.perf_counter() - started) * 1000
            if status != 200:
                with lock:
                    errors.append((status, target))
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

    searches = [v for name, values in latencies.items() if name.startswith("search") for v in values]
    suggests = latencies.get("suggest", [])
    done = len(searches) + len(suggests)
    print(f"{done} requests ({len(errors)} not 200) from {args.clients} clients in {wall:.1f} s: "
          f"{done / wall:.0f} requests/s\n")
    print("| requests | count | p50 ms | p95 ms | p99 ms |")
    print("|---|---|---|---|---|")

    def row(name, values):
        print(f"| {name} | {len(values)} | {percentile(values, 50):.2f} | {percentile(values, 95):.2f} | "
              f"{percentile(values, 99):.2f} |")

    row("**all searches**", searches)
    row("**all suggestions**", suggests)
    for name in sorted(latencies):
        if name != "suggest":
            row(name, latencies[name])
    for status, target in errors[:5]:
        print(f"\nnot 200: {status} {target}")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
