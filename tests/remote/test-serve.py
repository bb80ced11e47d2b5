#!/usr/bin/env python3
# test-serve.py: `inkling-cli serve` as an HTTP/1.1 server (validators, 304,
# ranges, paths that would leave the site, persistent connections, signals)
# and each of its faults, over real sockets on 127.0.0.1
#
# SPDX-License-Identifier: MIT
#
# Usage: test-serve.py PATH/TO/inkling-cli. Prints TAP.

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import email.utils  # noqa: E402
import http.client  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
import time  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # taptest
from remotetest import Served, expect_error, expect_usage, write_bytes  # noqa: E402
from taptest import check, fresh_dir, main, test, tmp_path  # noqa: E402

BLOB = bytes((i * 37 + 11) % 256 for i in range(10000))


def make_site():
    site = fresh_dir("site-%d" % time.monotonic_ns())
    write_bytes(os.path.join(site, "models", "m.mlmodel"), BLOB)
    write_bytes(os.path.join(site, "manifest.json"), b'{"url": "models/m.mlmodel"}\n')
    os.makedirs(os.path.join(site, "empty"))
    return site


def request(server, method, path, headers=None, conn=None):
    """(status, headers as a lower-case dict, body) of one request."""
    own = conn is None
    if own:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        if own:
            conn.close()


def raw(server, data, timeout=10):
    """Sends data as is; returns all the bytes received until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)


def get_partial(server, path, headers=None):
    """GET that may be cut short: (status, headers, body received, complete)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        hdrs = {k.lower(): v for k, v in response.getheaders()}
        try:
            return response.status, hdrs, response.read(), True
        except http.client.IncompleteRead as e:
            return response.status, hdrs, e.partial, False
    finally:
        conn.close()


# ---- The command line ----

@test("serve: usage errors (no SITE_DIR, bad port, malformed faults) exit 2")
def _():
    expect_usage("serve")
    expect_usage("serve", "a", "b", mentions=["unexpected"])
    expect_usage("serve", tmp_path(), "--port", "70000", mentions=["--port"])
    expect_usage("serve", tmp_path(), "--fault", "nonsense", mentions=["KIND=PATH"])
    expect_usage("serve", tmp_path(), "--fault", "explode=*:1", mentions=["unknown kind"])
    expect_usage("serve", tmp_path(), "--fault", "status=*:200", mentions=["300 to 599"])
    expect_usage("serve", tmp_path(), "--fault", "status=*", mentions=["PATH:VALUE"])
    expect_usage("serve", tmp_path(), "--fault", "drop=*:x", mentions=["'x'"])
    expect_usage("serve", tmp_path(), "--fault", "drop=*:10:0", mentions=["TIMES"])
    expect_usage("serve", tmp_path(), "--fault", "drip=*:0", mentions=["bytes per second"])


@test("serve: a missing folder, or a port in use, is an error (exit 1)")
def _():
    expect_error("serve", tmp_path("absent"), "--port", "0", mentions=["absent"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        expect_error("serve", make_site(), "--port", str(port), mentions=["cannot listen"])


@test("serve --help documents every fault kind")
def _():
    from remotetest import expect_ok
    r = expect_ok("serve", "--help")
    for kind in ("status=", "retry-after=", "delay=", "drip=", "drop=", "truncate=", "pad=",
                 "corrupt=", "redirect=", "TIMES"):
        check(kind in r.out, "--help does not mention %s" % kind, r)


# ---- HTTP ----

@test("serve: prints its URL; GET and HEAD with Content-Length, ETag, Last-Modified")
def _():
    site = make_site()
    with Served(site) as server:
        check(server.url.startswith("http://127.0.0.1:") and server.url.endswith("/"),
              "URL %r" % server.url)
        status, headers, body = request(server, "GET", "/models/m.mlmodel")
        check(status == 200 and body == BLOB, "GET: %d, %d bytes" % (status, len(body)))
        check(headers["content-length"] == str(len(BLOB)), "Content-Length %r" % headers)
        check(headers["etag"].startswith('"') and headers["etag"].endswith('"'),
              "not a strong ETag: %r" % headers.get("etag"))
        mtime = int(os.stat(os.path.join(site, "models", "m.mlmodel")).st_mtime)
        check(email.utils.parsedate_to_datetime(headers["last-modified"]).timestamp() == mtime,
              "Last-Modified %r" % headers["last-modified"])
        check(headers["accept-ranges"] == "bytes", "Accept-Ranges %r" % headers)
        check(headers["content-type"] == "application/octet-stream", "type %r" % headers)
        status, head_headers, body = request(server, "HEAD", "/models/m.mlmodel")
        check(status == 200 and body == b"", "HEAD: %d, %d bytes" % (status, len(body)))
        for name in ("content-length", "etag", "last-modified"):
            check(head_headers[name] == headers[name], "HEAD's %s differs" % name)
        status, headers, body = request(server, "GET", "/manifest.json?cache=no")
        check(status == 200 and headers["content-type"] == "application/json",
              "manifest: %d %r" % (status, headers))
        # (A line is written once its answer is sent: the next request's may
        # come first.)
        log = server.log()
        check([(m, p, s) for m, p, s, _, _ in log if p == "/models/m.mlmodel"][:2]
              == [("GET", "/models/m.mlmodel", 200), ("HEAD", "/models/m.mlmodel", 200)],
              "log: %r" % log)


@test("serve: If-None-Match and If-Modified-Since answer 304; a changed file 200")
def _():
    site = make_site()
    path = os.path.join(site, "manifest.json")
    with Served(site) as server:
        _, headers, _ = request(server, "GET", "/manifest.json")
        etag, last_modified = headers["etag"], headers["last-modified"]
        for value in (etag, 'W/' + etag, '"other", ' + etag, "*"):
            status, h, body = request(server, "GET", "/manifest.json", {"If-None-Match": value})
            check(status == 304 and body == b"" and h["etag"] == etag,
                  "If-None-Match %s: %d" % (value, status))
        status, _, _ = request(server, "GET", "/manifest.json", {"If-None-Match": '"other"'})
        check(status == 200, "a different tag gave %d" % status)
        status, _, _ = request(server, "GET", "/manifest.json",
                               {"If-Modified-Since": last_modified})
        check(status == 304, "If-Modified-Since the same date: %d" % status)
        status, _, _ = request(server, "GET", "/manifest.json",
                               {"If-Modified-Since": "Sun, 06 Nov 1994 08:49:37 GMT"})
        check(status == 200, "If-Modified-Since 1994: %d" % status)
        # If-None-Match wins over If-Modified-Since.
        status, _, _ = request(server, "GET", "/manifest.json",
                               {"If-None-Match": '"other"', "If-Modified-Since": last_modified})
        check(status == 200, "If-None-Match did not take precedence: %d" % status)
        write_bytes(path, b'{"url": "models/n.mlmodel"}\n')
        os.utime(path, (time.time() + 5, time.time() + 5))
        status, h, body = request(server, "GET", "/manifest.json", {"If-None-Match": etag})
        check(status == 200 and h["etag"] != etag and b"n.mlmodel" in body,
              "after a change: %d %r" % (status, h.get("etag")))


@test("serve: byte ranges (a-b, a-, -n) answer 206; past the end 416; lists are ignored")
def _():
    with Served(make_site()) as server:
        for spec, first, last in (("100-199", 100, 199), ("9990-", 9990, 9999),
                                  ("-10", 9990, 9999), ("5000-99999", 5000, 9999),
                                  ("0-0", 0, 0), ("-20000", 0, 9999)):
            status, h, body = request(server, "GET", "/models/m.mlmodel",
                                      {"Range": "bytes=" + spec})
            check(status == 206, "bytes=%s: %d" % (spec, status))
            check(body == BLOB[first:last + 1], "bytes=%s: wrong bytes" % spec)
            check(h["content-range"] == "bytes %d-%d/%d" % (first, last, len(BLOB)),
                  "bytes=%s: Content-Range %r" % (spec, h.get("content-range")))
            check(h["content-length"] == str(last - first + 1), "Content-Length %r" % h)
        for spec in ("10000-", "20000-30000", "-0"):
            status, h, _ = request(server, "GET", "/models/m.mlmodel",
                                   {"Range": "bytes=" + spec})
            check(status == 416 and h["content-range"] == "bytes */%d" % len(BLOB),
                  "bytes=%s: %d %r" % (spec, status, h.get("content-range")))
        for value in ("bytes=0-1,5-6", "items=0-5", "bytes=5-1", "bytes=abc"):
            status, _, body = request(server, "GET", "/models/m.mlmodel", {"Range": value})
            check(status == 200 and body == BLOB, "%s: %d" % (value, status))
        _, h, _ = request(server, "HEAD", "/models/m.mlmodel")
        status, _, body = request(server, "GET", "/models/m.mlmodel",
                                  {"Range": "bytes=10-", "If-Range": h["etag"]})
        check(status == 206 and body == BLOB[10:], "If-Range with the ETag: %d" % status)
        status, _, body = request(server, "GET", "/models/m.mlmodel",
                                  {"Range": "bytes=10-", "If-Range": '"stale"'})
        check(status == 200 and body == BLOB, "If-Range with another tag: %d" % status)


@test("serve: nothing outside SITE_DIR is served (.., %2e%2e, %2f, symlinks), 404")
def _():
    site = make_site()
    outside = write_bytes(tmp_path("secret.txt"), b"secret")
    os.symlink(outside, os.path.join(site, "link.txt"))
    os.symlink(os.path.dirname(outside), os.path.join(site, "up"))
    inside = os.path.join(site, "inside.json")
    os.symlink(os.path.join(site, "manifest.json"), inside)
    with Served(site) as server:
        for target in (b"/../secret.txt", b"/models/../../secret.txt", b"/%2e%2e/secret.txt",
                       b"/models%2f..%2f..%2fsecret.txt", b"/link.txt", b"/up/secret.txt",
                       b"/absent.json", b"/empty/", b"/models/%00x", b"/.%2e/secret.txt"):
            reply = raw(server, b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n"
                        b"Connection: close\r\n\r\n")
            status = reply.split(b" ", 2)[1] if reply else b"(none)"
            check(status in (b"404", b"400"), "%s gave %s" % (target.decode(), status.decode()))
            check(b"secret" not in reply, "%s leaked the file" % target.decode())
        status, _, body = request(server, "GET", "/inside.json")
        check(status == 200 and b"url" in body, "a link inside the site: %d" % status)
        status, _, _ = request(server, "GET", "/models/./m.mlmodel")
        check(status == 200, "/./ gave %d" % status)


@test("serve: other methods 405; malformed requests 400; HTTP/2.0 505; huge heads 431")
def _():
    with Served(make_site()) as server:
        status, h, _ = request(server, "POST", "/manifest.json")
        check(status == 405 and "GET" in h.get("allow", ""), "POST: %d %r" % (status, h))
        for data, want in ((b"GARBAGE\r\n\r\n", b"400"), (b"GET /x HTTP/2.0\r\n\r\n", b"505"),
                           (b"GET /x HTTP/1.1\r\nBad Header\r\n\r\n", b"400"),
                           (b"GET /manifest.json HTTP/1.1\r\nX: " + b"a" * 20000 + b"\r\n\r\n",
                            b"431")):
            reply = raw(server, data)
            check(reply.split(b" ", 2)[1] == want, "%r...: %r" % (data[:20], reply[:40]))
        # The server still serves after all that.
        status, _, _ = request(server, "GET", "/manifest.json")
        check(status == 200, "after malformed requests: %d" % status)


@test("serve: persistent connections (keep-alive, pipelining); HTTP/1.0 closes")
def _():
    with Served(make_site()) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for _ in range(3):
            status, _, body = request(server, "GET", "/manifest.json", conn=conn)
            check(status == 200 and b"url" in body, "keep-alive request: %d" % status)
        conn.close()
        reply = raw(server, b"GET /manifest.json HTTP/1.1\r\nHost: x\r\n\r\n"
                    b"HEAD /manifest.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        check(reply.count(b"HTTP/1.1 200 OK") == 2, "pipelined: %r" % reply)
        reply = raw(server, b"GET /manifest.json HTTP/1.0\r\n\r\n")
        check(reply.startswith(b"HTTP/1.1 200") and b"Connection: close" in reply,
              "HTTP/1.0: %r" % reply[:200])


@test("serve: SIGINT and SIGTERM stop it at once (exit 0), even mid-download")
def _():
    for signum in (signal.SIGINT, signal.SIGTERM):
        with Served(make_site(), "drip=*.mlmodel:100") as server:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=20)
            conn.request("GET", "/models/m.mlmodel")
            response = conn.getresponse()
            response.read(10)
            start = time.monotonic()
            rc = server.stop(signum)
            conn.close()
            check(rc == 0, "exit %r after signal %d" % (rc, signum))
            check(time.monotonic() - start < 3, "took %.1f s to stop" % (time.monotonic() - start))


# ---- Faults ----

@test("fault status=PATH:CODE[:TIMES]: the code, for the first TIMES matching requests")
def _():
    with Served(make_site(), "status=*.mlmodel:500:2", "status=/manifest.json:404") as server:
        got = [request(server, "GET", "/models/m.mlmodel")[0] for _ in range(3)]
        check(got == [500, 500, 200], "model: %r" % got)
        got = [request(server, "GET", "/manifest.json")[0] for _ in range(2)]
        check(got == [404, 404], "manifest: %r" % got)
        log = server.log()
        check("fault=status=*.mlmodel:500:2" in log[0][4], "log: %r" % log[0:1])


@test("fault retry-after=PATH:SECONDS: 503 with Retry-After")
def _():
    with Served(make_site(), "retry-after=/manifest.json:120:1") as server:
        status, h, _ = request(server, "GET", "/manifest.json")
        check(status == 503 and h.get("retry-after") == "120", "%d %r" % (status, h))
        status, _, _ = request(server, "GET", "/manifest.json")
        check(status == 200, "second request: %d" % status)


@test("fault delay=PATH:MS: the answer comes after MS milliseconds")
def _():
    with Served(make_site(), "delay=/manifest.json:400") as server:
        start = time.monotonic()
        status, _, _ = request(server, "GET", "/manifest.json")
        elapsed = time.monotonic() - start
        check(status == 200 and elapsed >= 0.4, "%d after %.3f s" % (status, elapsed))
        start = time.monotonic()
        request(server, "GET", "/models/m.mlmodel")
        check(time.monotonic() - start < 0.4, "an unmatched path was delayed")


@test("fault drip=PATH:BYTES_PER_SEC: the body comes no faster")
def _():
    with Served(make_site(), "drip=*.mlmodel:20000") as server:
        start = time.monotonic()
        status, _, body = request(server, "GET", "/models/m.mlmodel")
        elapsed = time.monotonic() - start
        check(status == 200 and body == BLOB, "%d, %d bytes" % (status, len(body)))
        check(elapsed >= 0.4, "10000 bytes at 20000 B/s took only %.3f s" % elapsed)


@test("fault drop=PATH:BYTES:1: the first download breaks after BYTES, the resume works")
def _():
    with Served(make_site(), "drop=*.mlmodel:4096:1") as server:
        status, h, body, complete = get_partial(server, "/models/m.mlmodel")
        check(status == 200 and h["content-length"] == str(len(BLOB)), "first: %d" % status)
        check(not complete and body == BLOB[:4096],
              "expected 4096 bytes then a closed connection, got %d (complete %r)"
              % (len(body), complete))
        status, h, body, complete = get_partial(server, "/models/m.mlmodel",
                                                {"Range": "bytes=4096-"})
        check(status == 206 and complete and body == BLOB[4096:], "resume: %d" % status)
        log = server.log()
        check(log[0][3] == 4096 and "dropped" in log[0][4], "log: %r" % log)


@test("fault truncate=PATH:BYTES and pad=PATH:BYTES change the file as served")
def _():
    with Served(make_site(), "truncate=*.mlmodel:1000:1", "pad=*.mlmodel:16:1") as server:
        status, h, body = request(server, "GET", "/models/m.mlmodel")
        check(status == 200 and body == BLOB[:1000] + bytes(16)
              and h["content-length"] == "1016", "%d, %d bytes" % (status, len(body)))
        status, _, body = request(server, "GET", "/models/m.mlmodel")
        check(status == 200 and body == BLOB, "second request: %d bytes" % len(body))
    with Served(make_site(), "pad=*.mlmodel:100") as server:
        status, h, body = request(server, "GET", "/models/m.mlmodel",
                                  {"Range": "bytes=9995-"})
        check(status == 206 and body == BLOB[9995:] + bytes(100)
              and h["content-range"] == "bytes 9995-10099/10100", "%d %r" % (status, h))


@test("fault corrupt=PATH:OFFSET flips one byte, in full and ranged answers")
def _():
    with Served(make_site(), "corrupt=*.mlmodel:5000", "corrupt=*.mlmodel:0") as server:
        _, _, body = request(server, "GET", "/models/m.mlmodel")
        want = bytearray(BLOB)
        want[0] ^= 0xFF
        want[5000] ^= 0xFF
        check(body == bytes(want), "corrupted bytes differ")
        _, _, body = request(server, "GET", "/models/m.mlmodel", {"Range": "bytes=4999-5001"})
        check(body == bytes(want[4999:5002]), "ranged: %r" % body)
        _, _, body = request(server, "GET", "/manifest.json")
        check(b"url" in body, "the manifest was corrupted too")



@test("fault redirect=PATH:HOPS[:TIMES]: 302s back to PATH, HOPS in all, then the answer")
def _():
    expect_usage("serve", tmp_path(), "--fault", "redirect=*:0", mentions=["1 to 100"])
    expect_usage("serve", tmp_path(), "--fault", "redirect=*:101", mentions=["1 to 100"])
    with Served(make_site(), "redirect=*.mlmodel:3:1", "corrupt=*.mlmodel:0") as server:
        path, hops = "/models/m.mlmodel", []
        while True:
            status, h, body = request(server, "GET", path)
            if status != 302:
                break
            hops.append(h.get("location"))
            path = h["location"]
            check(len(hops) <= 3, "more redirects than asked for: %r" % hops)
        check(hops == ["/models/m.mlmodel?redirects-left=%d" % n for n in (2, 1, 0)],
              "locations %r" % hops)
        # Its end gets the answer, with the other faults that match.
        check(status == 200 and body == bytes([BLOB[0] ^ 0xFF]) + BLOB[1:],
              "the end of the chain: %d, %d bytes" % (status, len(body)))
        # TIMES counted the first request only: the next one is not redirected.
        status, _, _ = request(server, "GET", "/models/m.mlmodel")
        check(status == 200, "second request: %d" % status)
        for bad in ("x", "-1", "101"):
            status, _, _ = request(server, "GET", "/models/m.mlmodel?redirects-left=" + bad)
            check(status == 400, "redirects-left=%s: %d" % (bad, status))
        log = server.log()
        check("fault=redirect=*.mlmodel:3:1" in log[0][4] and log[0][2] == 302, "log %r" % log)


if __name__ == "__main__":
    sys.exit(main())
