# remotetest.py: what test-serve.py and test-remote.py share: a TAP runner,
# running inkling-cli, and sites served by `inkling-cli serve` or nginx
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
import traceback

CLI = os.path.abspath(sys.argv[1])
TMP = tempfile.TemporaryDirectory(prefix="inkling-remote-test-")

TESTS = []


def test(description):
    def register(fn):
        TESTS.append((description, fn))
        return fn

    return register


class Skip(Exception):
    pass


def skip(reason):
    raise Skip(reason)


def check(condition, message, result=None):
    if not condition:
        if result is not None:
            message += "\n" + result.describe()
        raise AssertionError(message)


def tmp_path(*names):
    return os.path.join(TMP.name, *names)


def fresh_dir(*names):
    path = tmp_path(*names)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def write_bytes(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


class Result:
    def __init__(self, args, proc):
        self.args = args
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def describe(self):
        return "inkling-cli %s\nexit %d\nstdout: %s\nstderr: %s" % (
            " ".join(self.args), self.rc, self.out.strip(), self.err.strip())


def run(*args, env=None, timeout=60):
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=timeout,
                          env=full_env)
    return Result(list(args), proc)


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
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
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
    writes (pid, logs, temporary files) in a folder of its own."""

    def __init__(self, site):
        self.site = os.path.abspath(site)

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
    listen 127.0.0.1:%d;
    root %s;
  }
}
""" % (user, self.dir, self.dir, self.dir, self.dir, self.dir, self.dir, self.dir, self.dir,
            self.port, self.site)
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
        self.url = "http://127.0.0.1:%d/" % self.port
        return self

    def access_log(self):
        try:
            return read_bytes(os.path.join(self.dir, "logs", "access.log")).decode()
        except OSError:
            return ""

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
        return False


def main():
    print("1..%d" % len(TESTS))
    failed = 0
    for n, (description, fn) in enumerate(TESTS, 1):
        start = time.monotonic()
        try:
            fn()
            print("ok %d - %s" % (n, description))
        except Skip as e:
            print("ok %d - %s # SKIP %s" % (n, description, e))
        except Exception as e:  # one failing case must not hide the others
            failed += 1
            print("not ok %d - %s" % (n, description))
            detail = str(e) if isinstance(e, AssertionError) else traceback.format_exc()
            for line in detail.splitlines():
                print("# " + line)
        if os.environ.get("INKLING_TEST_TIMES"):
            print("# %.2f s" % (time.monotonic() - start))
        sys.stdout.flush()
    TMP.cleanup()
    return 1 if failed else 0
