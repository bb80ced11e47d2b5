# remotetest.py: what test-serve.py and test-remote.py share besides the
# TAP harness (tests/taptest.py, on sys.path from those scripts): running
# inkling-cli, and sites served by `inkling-cli serve` or nginx
#
# SPDX-License-Identifier: MIT

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import taptest
from taptest import check, fresh_dir, scratch, skip, stop_process

CLI = os.path.abspath(sys.argv[1])
TMP = scratch("inkling-remote-test-")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def run(*args, env=None, timeout=60):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return taptest.run([CLI, *args], ["inkling-cli", *args], timeout=timeout, env=full_env)


def expect_ok(*args, **kwargs):
    r = run(*args, **kwargs)
    check(r.rc == 0, "expected exit 0", r)
    return r


def expect_error(*args, mentions=(), **kwargs):
    r = run(*args, **kwargs)
    check(r.rc == 1, "expected exit 1 (error)", r)
    check("inkling-cli: " in r.err, "expected an 'inkling-cli: <message>' on stderr", r)
    for word in mentions:
        check(word in r.err, "expected the message to mention %r" % word, r)
    return r


def expect_usage(*args, mentions=(), **kwargs):
    r = run(*args, **kwargs)
    check(r.rc == 2, "expected exit 2 (usage error)", r)
    check(r.err.strip() != "", "expected a message on stderr", r)
    for word in mentions:
        check(word in r.err, "expected the message to mention %r" % word, r)
    return r


class Served:
    """`inkling-cli serve SITE [--fault SPEC]...` on a free port of
    127.0.0.1, as a context manager; .url is what it printed, .log() the
    request lines it wrote on stderr so far."""

    def __init__(self, site, *faults):
        self.site = site
        self.args = [CLI, "serve", site, "--port", "0"]
        for spec in faults:
            self.args += ["--fault", spec]
        self.log_path = tempfile.mktemp(prefix="serve-", suffix=".log", dir=TMP.name)

    def __enter__(self):
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=self.log_file,
                                     text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("http://127.0.0.1:"):
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("serve printed %r, not its URL; stderr: %s"
                                 % (line, read_bytes(self.log_path).decode()))
        self.url = line.strip()
        self.port = int(self.url.rsplit(":", 1)[1].strip("/"))
        return self

    def log(self):
        """The request lines so far: (method, path, status, bytes, rest)."""
        lines = []
        for line in read_bytes(self.log_path).decode().splitlines():
            if not line.startswith("[") or '"' not in line:
                continue
            request = line.split('"')[1]
            rest = line.split('"', 2)[2].split()
            method, _, path = request.partition(" ")
            lines.append((method, path, int(rest[0]), int(rest[1]), " ".join(rest[2:])))
        return lines

    def requests_for(self, suffix):
        return [entry for entry in self.log() if entry[1].endswith(suffix)]

    def stop(self, signum=signal.SIGINT):
        if not stop_process(self.proc, signum):
            raise AssertionError("serve did not stop within 10 s of a signal")
        self.proc.stdout.close()
        self.log_file.close()
        return self.proc.returncode

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.stop()
        else:
            self.proc.stdout.close()
            self.log_file.close()
        return False


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Nginx:
    """nginx serving site on a free port of 127.0.0.1, with every path it
    writes (pid, logs, temporary files) in a folder of its own; over HTTPS
    when tls is (certificate file, key file); extra: more directives for
    its server block (e.g. a location that redirects)."""

    def __init__(self, site, tls=None, extra=""):
        self.site = os.path.abspath(site)
        self.tls = tls
        self.extra = extra

    @staticmethod
    def binary():
        for path in (shutil.which("nginx"), "/usr/sbin/nginx"):
            if path and os.access(path, os.X_OK):
                return path
        return None

    def __enter__(self):
        nginx = self.binary()
        if nginx is None:
            skip("nginx is not installed (Debian: nginx-light)")
        self.dir = fresh_dir("nginx-%d" % len(os.listdir(TMP.name)))
        for sub in ("client", "proxy", "fastcgi", "uwsgi", "scgi", "logs"):
            os.makedirs(os.path.join(self.dir, sub))
        self.port = free_port()
        user = "user root;\n" if os.geteuid() == 0 else ""
        listen = "127.0.0.1:%d" % self.port
        if self.tls:
            listen += " ssl;\n    ssl_certificate %s;\n    ssl_certificate_key %s" % self.tls
        conf = """%sworker_processes 1;
daemon off;
master_process off;
pid %s/nginx.pid;
error_log %s/logs/error.log;
events { worker_connections 64; }
http {
  access_log %s/logs/access.log;
  client_body_temp_path %s/client;
  proxy_temp_path %s/proxy;
  fastcgi_temp_path %s/fastcgi;
  uwsgi_temp_path %s/uwsgi;
  scgi_temp_path %s/scgi;
  types { application/json json; application/octet-stream mlmodel; }
  default_type application/octet-stream;
  server {
    listen %s;
    root %s;
    %s
  }
}
""" % (user, self.dir, self.dir, self.dir, self.dir, self.dir, self.dir, self.dir, self.dir,
            listen, self.site, self.extra)
        conf_path = os.path.join(self.dir, "nginx.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        self.proc = subprocess.Popen([nginx, "-p", self.dir, "-c", conf_path, "-e",
                                      os.path.join(self.dir, "logs", "error.log")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("nginx exited: %s" % self.proc.stderr.read())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            self.proc.kill()
            raise AssertionError("nginx did not start listening on port %d" % self.port)
        self.url = "%s://127.0.0.1:%d/" % ("https" if self.tls else "http", self.port)
        return self

    def access_log(self):
        try:
            return read_bytes(os.path.join(self.dir, "logs", "access.log")).decode()
        except OSError:
            return ""

    def __exit__(self, *exc):
        stop_process(self.proc, signal.SIGQUIT)
        self.proc.stderr.close()
        return False
