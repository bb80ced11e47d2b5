#!/usr/bin/env python3
# test-crash.py: crash consistency, a full disk and a read-only store
#
# SPDX-License-Identifier: MIT
#
# Usage: test-crash.py INKLING_CLI CRASH_HELPER BUNDLED.inkmodel BUNDLED.mlmodel CLI_MODELS_DIR
# (BUNDLED is the drawing classifier; CLI_MODELS_DIR holds what
# tests/cli/make-cli-models wrote, for its images). Prints TAP.
#
# Crash consistency: real processes doing the real operation are killed with
# SIGKILL after a random delay, drawn uniformly over the length of an
# uninterrupted run (the median of three measured first and of the runs
# that ended before their kill), and after each kill the invariants are
# checked:
#   - `inkling-cli update OUT -o OUT`, and the engine's save in a loop
#     (crash-helper save-file): OUT loads, and is the old model or the new
#     one (by its example count or a sequence number in its metadata);
#     at most one stray temporary file, removed by the next save;
#   - the model store's personalized model (crash-helper save-store, the
#     app's path): the store loads the personalized model, old or new, and
#     never falls back;
#   - `inkling-cli remote install` against a real `inkling-cli serve` on
#     127.0.0.1: `remote status` works, the active model and the previous
#     one load, the active one is the old or the new version (told apart by
#     a prediction) and carries the user's examples;
#   - the personalization database (crash-helper db-write): it opens with
#     inkling_store, every change printed as committed is there, every
#     multi-row change is there whole or not at all.
# INKLING_CRASH_KILLS (default 60) is the number of kills over all five,
# INKLING_CRASH_SEED the seed of the delays (printed; random by default).
# With strace, one more test checks that each database commit is synced.
#
# Full disk and read-only store: the same operations with a file-size
# limit (RLIMIT_FSIZE, writes fail with EFBIG), on a full tmpfs (ENOSPC) and
# on a read-only bind mount (EROFS; chmod when not root), each in a private
# mount namespace (unshare) that is skipped with a message when it cannot
# be made. Each must fail with a clear message and leave everything as it
# was.

import ctypes
import glob
import hashlib
import json
import math
import os
import random
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import taptest  # noqa: E402
from taptest import (Result, at_end, cached, check, copy_tree, fresh_dir, main,  # noqa: E402
                     scratch, skip, stop_process, test, tmp_path)

CLI, HELPER, BUNDLED, BUNDLED_SOURCE, CLI_MODELS = [os.path.abspath(a) for a in sys.argv[1:6]]
DIGIT = os.path.join(CLI_MODELS, "digit.png")
INVERSE = os.path.join(CLI_MODELS, "inverse.png")
TMP = scratch("inkling-crash-test-")

KILLS = int(os.environ.get("INKLING_CRASH_KILLS") or 60)
SEED = int(os.environ.get("INKLING_CRASH_SEED") or random.SystemRandom().randrange(1, 2**31))
N_SCENARIOS = 5
KILLS_EACH = max(1, math.ceil(KILLS / N_SCENARIOS))
# Enough work per helper run that most of it is the operation, not the
# start of the process.
SAVES = 8
DB_CHANGES = 200
# How much of a process's stdout and stderr a failure shows: their ends.
SHOWN = 3000


def note(text):
    print("# " + text)
    sys.stdout.flush()


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def file_size_limit(limit):
    """A preexec_fn: writes past limit bytes fail with EFBIG (SIGXFSZ
    ignored, so the process sees the error instead of dying)."""
    def apply():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    return apply


def run(argv, limit=None, timeout=300):
    return taptest.run(argv, tail=SHOWN, timeout=timeout,
                       preexec_fn=file_size_limit(limit) if limit is not None else None)


def ok(argv, **kwargs):
    r = run(argv, **kwargs)
    check(r.rc == 0, "expected exit 0", r)
    return r


def cli(*args, **kwargs):
    return run([CLI, *args], **kwargs)


def helper(*args, **kwargs):
    return run([HELPER, *args], **kwargs)


def predict_label(model, image):
    r = ok([CLI, "predict", model, "--input", "drawing=" + image, "--json"])
    return json.loads(r.out)["outputs"]["label"]


# ---- Killing ----

def wait_for_exit(proc, timeout):
    """Waits up to timeout seconds for proc to end (without reaping it);
    true when it ended."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):  # Python < 3.9 or Linux < 5.3
        time.sleep(timeout)
        return proc.poll() is not None
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
    finally:
        os.close(fd)
    return bool(ready)


def run_killed(argv, delay):
    """Runs argv and SIGKILLs it after delay seconds unless it ended first:
    (killed, Result, the length of the run when it ended first)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ended = wait_for_exit(proc, delay)
    length = time.monotonic() - start if ended else None
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    out, err = proc.communicate(timeout=300)
    return proc.returncode == -signal.SIGKILL, Result(argv, proc.returncode, out, err, SHOWN), length


def measure(make_argv, after=None, runs=3):
    """The lengths of uninterrupted runs of make_argv(), which must succeed
    (after(result) sees each)."""
    lengths = []
    for _ in range(runs):
        start = time.monotonic()
        r = ok(make_argv())
        lengths.append(time.monotonic() - start)
        if after is not None:
            after(r)
    return lengths


def median(values):
    return sorted(values)[len(values) // 2]


class KillLoop:
    """Runs make_argv() KILLS_EACH times to a kill, each after a delay drawn
    uniformly from [0, length), where length is the median of the
    uninterrupted runs so far (those measured first, and the runs that ended
    before their kill: the machine's load changes); a run that ends before
    its kill must succeed. after(killed, result) checks the invariants and
    returns "old" or "new" (what the run left)."""

    def __init__(self, name, index):
        self.name = name
        self.rng = random.Random(SEED * 16 + index)

    def run(self, lengths, make_argv, after, phase=None):
        """phase(result), if given, names the last step a killed run
        reported: where the kills landed."""
        lengths = list(lengths)
        kills = completed = 0
        outcomes = {"old": 0, "new": 0}
        phases = {}
        attempts = 0
        while kills < KILLS_EACH:
            attempts += 1
            check(attempts <= 4 * KILLS_EACH + 20,
                  "%s: only %d of %d runs were killed before they ended"
                  % (self.name, kills, attempts - 1))
            delay = self.rng.uniform(0, median(lengths))
            argv = make_argv()
            killed, r, length = run_killed(argv, delay)
            if killed:
                kills += 1
            else:
                check(r.rc == 0, "%s: a run that was not killed failed" % self.name, r)
                completed += 1
                if length is not None:
                    lengths.append(length)
            try:
                outcome = after(killed, r)
            except AssertionError as e:
                raise AssertionError("%s: after %s at %.1f ms (seed %d, attempt %d): %s"
                                     % (self.name, "a kill" if killed else "a complete run",
                                        delay * 1000, SEED, attempts, e))
            if killed:
                outcomes[outcome] += 1
                if phase is not None:
                    name = phase(r)
                    phases[name] = phases.get(name, 0) + 1
        note("%s: %d kills over a %.0f ms run (median), %d runs ended before their kill; "
             "the kills left the old state %d times, the new one %d times; nothing broken"
             % (self.name, kills, median(lengths) * 1000, completed, outcomes["old"],
                outcomes["new"]))
        if phases:
            note("%s: killed after %s" % (self.name, ", ".join(
                "%s %d" % (name, n) for name, n in sorted(phases.items(), key=lambda x: -x[1]))))


def temps_of(path):
    return glob.glob(glob.escape(path) + ".tmp-??????")


def check_temps(folder):
    """At most one stray temporary file per file name in folder."""
    names = {}
    for tmp in glob.glob(os.path.join(glob.escape(folder), "*.tmp-??????")):
        base = tmp[:-len(".tmp-XXXXXX")]
        names[base] = names.get(base, 0) + 1
    for base, n in names.items():
        check(n <= 1, "%d stray temporary files of %s: %s" % (n, base, sorted(os.listdir(folder))))
    return sum(names.values())


def no_temps(folder):
    left = []
    for root, _, files in os.walk(folder):
        left += [os.path.join(root, f) for f in files if ".tmp-" in f]
    check(not left, "temporary files left behind: %s" % left)


# ---- Namespaces: a read-only bind mount, a small tmpfs ----

def unshare_prefix():
    if shutil.which("unshare") is None:
        return None
    if os.geteuid() == 0:
        return ["unshare", "--mount", "--propagation", "private"]
    return ["unshare", "--map-root-user", "--mount", "--propagation", "private"]


MOUNT_FAILED = 77

READ_ONLY_SCRIPT = """
mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" || exit %d
shift
exec "$@"
""" % MOUNT_FAILED

_read_only_way = []


def read_only_way():
    """"mount" (a read-only bind mount in a private mount namespace),
    "chmod" (not root: folders made 0555), or skips saying why."""
    if not _read_only_way:
        probe = fresh_dir("ro-probe")
        prefix = unshare_prefix()
        way = None
        reason = "unshare(1) is not installed"
        if prefix is not None:
            p = subprocess.run(prefix + ["sh", "-c", READ_ONLY_SCRIPT, "sh", probe, "sh", "-c",
                                         'touch "$0/x" 2>/dev/null && exit 1; exit 0', probe],
                               capture_output=True, text=True, timeout=60)
            if p.returncode == 0:
                way = "mount"
            else:
                reason = "a read-only bind mount cannot be made here (%s)" % (
                    p.stderr.strip() or "exit %d" % p.returncode)
        if way is None and os.geteuid() != 0:
            way = "chmod"
        _read_only_way.append((way, reason))
    way, reason = _read_only_way[0]
    if way is None:
        skip("running as root, where chmod does not stop writes, and %s" % reason)
    return way


def run_read_only(folder, argv, **kwargs):
    """Runs argv with folder (and everything under it) read-only."""
    way = read_only_way()
    if way == "mount":
        r = run(unshare_prefix() + ["sh", "-c", READ_ONLY_SCRIPT, "sh", folder] + argv, **kwargs)
        check(r.rc != MOUNT_FAILED, "the read-only bind mount failed", r)
        return r
    modes = {}
    for root, dirs, _ in os.walk(folder):
        for d in [root] + [os.path.join(root, x) for x in dirs]:
            modes[d] = stat.S_IMODE(os.stat(d).st_mode)
    try:
        for d in modes:
            os.chmod(d, 0o555)
        check(not os.access(folder, os.W_OK), "chmod 0555 did not make %s read-only" % folder)
        return run(argv, **kwargs)
    finally:
        for d, mode in modes.items():
            os.chmod(d, mode)


TMPFS_SCRIPT = """
mount -t tmpfs -o size="$1" tmpfs "$2" || exit %d
cp -R --preserve=mode,timestamps "$3/." "$2/" || exit 1
cd "$2" || exit 1
shift 3
"$@" > ../out 2> ../err
echo $? > ../rc
df -k . > ../df
cp -R --preserve=mode,timestamps . ../after
""" % MOUNT_FAILED


def run_on_tmpfs(source, size, argv):
    """Copies the folder source onto a new tmpfs of size bytes (in a private
    mount namespace) and runs argv there (its working folder; give paths
    relative to it). Returns the Result and a copy of the tmpfs made after
    the run, to check outside."""
    prefix = unshare_prefix()
    if prefix is None:
        skip("unshare(1) is not installed")
    base = fresh_dir("tmpfs-%d" % len(os.listdir(TMP.name)))
    mnt = os.path.join(base, "mnt")
    os.makedirs(mnt)
    p = subprocess.run(prefix + ["sh", "-c", TMPFS_SCRIPT, "sh", str(size), mnt, source] + argv,
                       capture_output=True, text=True, timeout=300)
    if p.returncode == MOUNT_FAILED:
        skip("a tmpfs cannot be mounted here (%s)" % p.stderr.strip())
    check(p.returncode == 0, "copying to or from the tmpfs failed: %s" % p.stderr)

    def read(name):
        with open(os.path.join(base, name)) as f:
            return f.read()

    note("the tmpfs after the run: " + " ".join(read("df").splitlines()[-1].split()[1:5]))
    return Result(argv, int(read("rc")), read("out"), read("err"), SHOWN), os.path.join(base, "after")


# ---- Fixtures ----

def examples(path):
    return int(json.loads(ok([CLI, "inspect", path, "--json"]).out)["metadata"]["userDefined"]
               .get("inkling.update.examples", "0"))


def model_seq(path):
    r = helper("model-seq", path)
    check(r.rc == 0, "the model does not load", r)
    return int(r.out.strip())


def store_load(store):
    r = helper("store-load", store, BUNDLED)
    check(r.rc == 0, "the model store does not load", r)
    return json.loads(r.out)


@cached
def site():
    """A site with doodles 1.1.0 (the bundled drawing classifier) and 2.0.0
    (it, taught that the inverse image is "zzz")."""
    folder = fresh_dir("site")
    v2 = tmp_path("v2.inkmodel")
    ok([CLI, "update", BUNDLED, "-o", v2, "--label", "zzz", "--image", INVERSE, "--image", INVERSE])
    ok([CLI, "export", v2, tmp_path("v2.mlmodel")])
    ok([CLI, "publish", folder, BUNDLED_SOURCE, "--version", "1.1.0", "--id", "doodles"])
    ok([CLI, "publish", folder, tmp_path("v2.mlmodel"), "--version", "2.0.0"])
    check(predict_label(BUNDLED, INVERSE) != "zzz", "the bundled model already says zzz")
    return folder


@cached
def user_examples():
    """The user's examples: the digit image is a "planet" (twice, as the
    classifier looks at two neighbours)."""
    folder = fresh_dir("examples", "planet")
    shutil.copy(DIGIT, os.path.join(folder, "a.png"))
    shutil.copy(DIGIT, os.path.join(folder, "b.png"))
    return os.path.dirname(folder)


def die_with_parent():
    """A preexec_fn: the child gets SIGTERM when this script dies (killed by
    a timeout, say), so that no server outlives the test."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Server:
    """`inkling-cli serve SITE --port 0` on 127.0.0.1."""

    def __init__(self, folder):
        self.folder = folder

    def __enter__(self):
        self.log = open(tmp_path("serve.log"), "a")
        self.proc = subprocess.Popen([CLI, "serve", self.folder, "--port", "0"],
                                     stdout=subprocess.PIPE, stderr=self.log, text=True,
                                     preexec_fn=die_with_parent)
        self.url = self.proc.stdout.readline().strip()
        if not self.url.startswith("http://127.0.0.1:"):
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("serve printed %r, not its URL" % self.url)
        return self

    def __exit__(self, *exc):
        stop_process(self.proc, signal.SIGINT)
        self.proc.stdout.close()
        self.log.close()
        return False


def install_argv(store, url, version):
    return [CLI, "remote", "install", version, "--store", store, "--bundled", BUNDLED,
            "--server", url, "--examples", user_examples(), "--allow-older", "--json"]


def status(store):
    r = cli("remote", "status", "--store", store, "--bundled", BUNDLED, "--json")
    check(r.rc == 0, "remote status failed", r)
    return json.loads(r.out)


def check_store(store):
    """The invariants of a model store holding doodles: returns the active
    version."""
    s = status(store)
    active = s["active"]
    check(active["source"] == "downloaded" and active["version"] in ("1.1.0", "2.0.0"),
          "the active model is %r" % active)
    check(active["personal_path"], "the active model lost the user's examples: %r" % active)
    loaded = store_load(store)
    check(loaded["personalized"] and not loaded["fell_back"],
          "the store did not load the personalized model: %r" % loaded)
    is_v2 = predict_label(loaded["path"], INVERSE) == "zzz"
    check(is_v2 == (active["version"] == "2.0.0"),
          "the model loaded is not version %s's" % active["version"])
    check(predict_label(loaded["path"], DIGIT) == "planet", "the user's examples are not applied")
    check(predict_label(active["path"], DIGIT) is not None, "the base model does not predict")
    if s.get("previous"):
        predict_label(s["previous"]["path"], DIGIT)
    # no stray files pile up: the models named, at most the two files of an
    # install cut short and one temporary file per name
    named = set()
    for entry in (active, s.get("previous") or {}):
        for key in ("path", "personal_path"):
            if entry.get(key) and entry.get("source") == "downloaded":
                named.add(os.path.basename(entry[key]))
    models = os.path.join(store, "models")
    check_temps(models)
    check_temps(store)
    others = [f for f in os.listdir(models) if f not in named and ".tmp-" not in f]
    check(len(others) <= 2, "unnamed model files pile up: %s" % sorted(os.listdir(models)))
    downloads = os.listdir(os.path.join(store, "downloads"))
    check(len(downloads) <= 4, "downloads pile up: %s" % downloads)
    return active["version"]


def snapshot(store):
    files = {}
    for path in sorted(glob.glob(os.path.join(store, "models", "*"))):
        files[os.path.basename(path)] = sha256(path)
    return sha256(os.path.join(store, "active.json")), files


@cached
def installed_store():
    """A store with doodles 1.1.0 installed (with the user's examples) and
    the site served; returns (store, server)."""
    server = Server(site()).__enter__()
    store = fresh_dir("store-installed")
    ok(install_argv(store, server.url, "1.1.0"))
    check(check_store(store) == "1.1.0", "1.1.0 is not active")
    at_end(lambda: server.__exit__(None, None, None))
    return store, server


def db_state(db):
    """{sticker label: [example ids]} as inkling_store reads it."""
    r = helper("db-dump", db)
    check(r.rc == 0, "the database does not open", r)
    state = {}
    for line in r.out.splitlines():
        words = line.split()
        check(words[0] == "sticker" and int(words[3]) == len(words) - 4, "bad dump line %r" % line)
        state[words[2]] = [int(x) for x in words[4:]]
    return state


class Committed:
    """What db-write runs printed as committed."""

    def __init__(self):
        self.examples = set()
        self.stickers = {}  # sticker id -> its example ids

    def add(self, out):
        for line in out.splitlines():
            words = line.split()
            if words and words[0] == "example":
                self.examples.add(int(words[1]))
            elif words and words[0] == "sticker":
                self.stickers[int(words[1])] = [int(x) for x in words[2:]]

    def check(self, state, max_unprinted):
        present = set(x for ids in state.values() for x in ids)
        lost = self.examples - present
        check(not lost, "committed examples are lost: %s" % sorted(lost))
        for sid, ids in self.stickers.items():
            check(set(ids) <= present, "a committed sticker's examples are lost: %s" % ids)
        for label, ids in state.items():
            if label != "crash":
                check(len(ids) == 3, "sticker %s has %d examples, not 3 (all or none)"
                      % (label, len(ids)))
        printed = len(self.examples) + 3 * len(self.stickers)
        unprinted = len(present) - printed
        check(0 <= unprinted <= 3 * max_unprinted,
              "%d examples are there that no run committed" % unprinted)
        return unprinted


# ---- Crash consistency ----

note("seed %d: INKLING_CRASH_SEED=%d INKLING_CRASH_KILLS=%d replays these kill points "
     "(%d kills per operation)" % (SEED, SEED, KILLS, KILLS_EACH))


@test("crash: inkling-cli update OUT -o OUT killed at random: OUT is the old or the new model")
def test_crash_update():
    folder = fresh_dir("update")
    out = os.path.join(folder, "doodles.inkmodel")
    shutil.copy(BUNDLED, out)
    argv = [CLI, "update", out, "-o", out, "--label", "comet", "--image", DIGIT]
    before = examples(out)
    lengths = measure(lambda: argv)
    state = {"examples": examples(out)}
    check(state["examples"] == before + 3, "the updates did not add their examples")

    def after(killed, r):
        now = examples(out)
        old = state["examples"]
        check(now in (old, old + 1), "OUT has %d examples, not %d or %d" % (now, old, old + 1))
        check(killed or now == old + 1, "a complete run did not save")
        predict_label(out, DIGIT)
        check_temps(folder)
        state["examples"] = now
        return "new" if now == old + 1 else "old"

    def phase(r):
        lines = r.out.splitlines()
        if not lines:
            return "nothing printed (starting, reading)"
        if lines[-1].startswith("training on"):
            return "'training on' (updating)"
        if lines[-1].startswith("epoch"):
            return "'epoch 1/1' (saving)"
        return "'updated' (saved)"

    KillLoop("update -o OUT", 0).run(lengths, lambda: argv, after, phase)
    ok(argv)
    no_temps(folder)


@test("crash: the engine's model save killed in a loop: the file is the last model saved or the "
      "next, never a broken one")
def test_crash_save_file():
    folder = fresh_dir("save-file")
    out = os.path.join(folder, "personal.inkmodel")
    state = {"seq": 0}

    def argv():
        return [HELPER, "save-file", BUNDLED, out, str(state["seq"] + 1), str(SAVES)]

    def advance(r):
        state["seq"] += SAVES

    lengths = measure(argv, advance)
    check(model_seq(out) == state["seq"], "the last save is not in the file")

    def after(killed, r):
        saved = [int(line.split()[1]) for line in r.out.splitlines()]
        last = saved[-1] if saved else state["seq"]
        now = model_seq(out)
        check(now in (last, last + 1), "the file holds save %d; the last one done was %d"
              % (now, last))
        check(killed or now == last, "a complete run's last save is not in the file")
        check_temps(folder)
        new = now != state["seq"]
        state["seq"] = now
        return "new" if new else "old"

    KillLoop("engine save", 1).run(lengths, argv, after)
    check(predict_label(out, DIGIT) == predict_label(BUNDLED, DIGIT), "the model changed")
    ok(argv())
    no_temps(folder)


@test("crash: the store's personalized model save killed (the app's path): the store loads the "
      "old or the new personalized model, never falls back")
def test_crash_save_store():
    store = fresh_dir("save-store")
    state = {"seq": 0}

    def argv():
        return [HELPER, "save-store", store, BUNDLED, BUNDLED, str(state["seq"] + 1), str(SAVES)]

    def advance(r):
        state["seq"] += SAVES

    lengths = measure(argv, advance)
    check(store_load(store)["seq"] == str(state["seq"]), "the last save is not loaded")

    def after(killed, r):
        saved = [int(line.split()[1]) for line in r.out.splitlines()]
        last = saved[-1] if saved else state["seq"]
        loaded = store_load(store)
        check(loaded["personalized"] and not loaded["fell_back"],
              "the store did not load the personalized model: %r" % loaded)
        now = int(loaded["seq"])
        check(now in (last, last + 1), "the store holds save %d; the last one done was %d"
              % (now, last))
        check(killed or now == last, "a complete run's last save is not loaded")
        check_temps(store)
        check_temps(os.path.join(store, "models"))
        new = now != state["seq"]
        state["seq"] = now
        return "new" if new else "old"

    KillLoop("store save", 2).run(lengths, argv, after)
    ok(argv())
    no_temps(store)


@test("crash: inkling-cli remote install killed at random (real serve on loopback): status works, "
      "the old or the new version is active and loads with the user's examples")
def test_crash_remote_install():
    store = fresh_dir("store-crash")
    with Server(site()) as server:
        state = {"version": None}

        def argv():
            state["target"] = "1.1.0" if state["version"] == "2.0.0" else "2.0.0"
            return install_argv(store, server.url, state["target"])

        def installed(r):
            state["version"] = check_store(store)
            check(state["version"] == state["target"], "%s is not active after its install"
                  % state["target"])

        ok(install_argv(store, server.url, "1.1.0"))
        lengths = measure(argv, installed)

        def after(killed, r):
            old = state["version"]
            now = check_store(store)
            check(now in (old, state["target"]), "%s is active, not %s or %s"
                  % (now, old, state["target"]))
            check(killed or now == state["target"], "a complete install did not activate")
            state["version"] = now
            return "new" if now != old else "old"

        def phase(r):
            steps = []
            for line in r.out.splitlines():
                try:
                    event = json.loads(line)
                except ValueError:
                    break  # a line cut by the kill
                if event.get("event") == "log":
                    steps.append(event["step"])
                elif event.get("event") == "progress" and steps:
                    steps.append("download progress")
            return "log step '%s'" % steps[-1] if steps else "nothing logged (starting)"

        KillLoop("remote install", 3).run(lengths, argv, after, phase)
        ok(argv())
    check_store(store)
    s = status(store)
    named = set(os.path.basename(e[k]) for e in (s["active"], s["previous"])
                for k in ("path", "personal_path") if e and e.get(k) and
                e["source"] == "downloaded")
    check(set(os.listdir(os.path.join(store, "models"))) == named,
          "after a complete install the store holds %s, not only %s"
          % (sorted(os.listdir(os.path.join(store, "models"))), sorted(named)))
    no_temps(store)


@test("crash: personalization database writes killed: it opens, no committed example is lost, "
      "a sticker with its examples is all there or not at all")
def test_crash_database():
    db = os.path.join(fresh_dir("db"), "inkling.db")
    committed = Committed()
    runs = [0]

    def argv():
        runs[0] += 1
        return [HELPER, "db-write", db, "r%d" % runs[0], str(DB_CHANGES)]

    def measured(r):
        committed.add(r.out)
        committed.check(db_state(db), 0)

    lengths = measure(argv, measured)
    kills = [0]

    def after(killed, r):
        before = len(committed.examples) + len(committed.stickers)
        committed.add(r.out)
        kills[0] += killed
        committed.check(db_state(db), kills[0])
        return "new" if len(committed.examples) + len(committed.stickers) > before else "old"

    KillLoop("database", 4).run(lengths, argv, after)
    state = db_state(db)
    note("database: the runs printed %d examples and %d stickers (3 examples each) as "
         "committed; the database holds %d examples, none lost"
         % (len(committed.examples), len(committed.stickers),
            sum(len(ids) for ids in state.values())))


@test("database: every commit is synced to disk (the write-ahead log is fsynced per change), "
      "so that a power cut loses nothing committed either")
def test_database_synced():
    if shutil.which("strace") is None:
        skip("strace is not installed (Debian: strace)")
    db = os.path.join(fresh_dir("db-sync"), "inkling.db")
    ok([HELPER, "db-write", db, "a", "1"])
    trace = tmp_path("db-sync.strace")
    env = dict(os.environ)
    # LeakSanitizer cannot run under ptrace (an AddressSanitizer build)
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") + ":detect_leaks=0").lstrip(":")
    p = subprocess.run(["strace", "-f", "-y", "-e", "trace=fsync,fdatasync", "-o", trace,
                        HELPER, "db-write", db, "b", "10"], capture_output=True, text=True,
                       timeout=300, env=env)
    if p.returncode != 0 and not os.path.exists(trace):
        skip("strace cannot trace here: %s" % p.stderr.strip())
    check(p.returncode == 0, "db-write failed under strace: %s" % p.stderr)
    with open(trace) as f:
        syncs = [line for line in f if "sync(" in line and db + "-wal>" in line]
    check(len(syncs) >= 10, "%d syncs of the write-ahead log for 10 commits" % len(syncs))


# ---- A full disk: a file-size limit ----

def expect_failure(r, *mentions):
    check(r.rc == 1, "expected exit 1 (an error)", r)
    for words in mentions:
        alternatives = words if isinstance(words, tuple) else (words,)
        check(any(w in r.err for w in alternatives),
              "expected the message to mention %s" % " or ".join(map(repr, alternatives)), r)


def check_store_kept(store, before, what=None):
    """After an install that failed: the store is as it was (before is its
    snapshot), 1.1.0 still active, no temporary file left."""
    check(snapshot(store) == before, "the store changed" + (" (%s)" % what if what else ""))
    check(check_store(store) == "1.1.0", "1.1.0 is not active")
    no_temps(store)


def database_with(name, changes):
    """A fresh folder NAME holding a database, inkling.db, that db-write made
    CHANGES changes to (label "a"); returns the folder, the database's path
    and what was committed."""
    folder = fresh_dir(name)
    db = os.path.join(folder, "inkling.db")
    committed = Committed()
    committed.add(ok([HELPER, "db-write", db, "a", str(changes)]).out)
    return folder, db, committed


@test("full disk (file-size limit): update -o OUT fails clearly and OUT is unchanged")
def test_full_update():
    folder = fresh_dir("full-update")
    out = os.path.join(folder, "doodles.inkmodel")
    shutil.copy(BUNDLED, out)
    before = sha256(out)
    r = cli("update", out, "-o", out, "--label", "comet", "--image", DIGIT, limit=64 * 1024)
    expect_failure(r, "inkling-cli: cannot write " + out, "File too large",
                   "the file was left as it was")
    check(sha256(out) == before, "OUT changed")
    check(predict_label(out, DIGIT) == predict_label(BUNDLED, DIGIT), "OUT does not predict")
    no_temps(folder)


@test("full disk (file-size limit): the store's personalized model save fails clearly, the "
      "old one still loads")
def test_full_save_store():
    store = fresh_dir("full-save-store")
    ok([HELPER, "save-store", store, BUNDLED, BUNDLED, "1", "1"])
    before = snapshot(store)
    r = helper("save-store", store, BUNDLED, BUNDLED, "2", "1", limit=64 * 1024)
    expect_failure(r, "cannot save the personalized model", "File too large")
    check(snapshot(store) == before, "the store changed")
    loaded = store_load(store)
    check(loaded["personalized"] and loaded["seq"] == "1", "the old model is not loaded: %r"
          % loaded)
    no_temps(store)


@test("full disk (file-size limit): remote install fails clearly when the download or the "
      "installed model cannot be written; the active model stays")
def test_full_install():
    source, server = installed_store()
    # between the size of 2.0.0's download and that of its compiled model
    download = os.path.getsize(tmp_path("v2.mlmodel"))
    ok([CLI, "compile", tmp_path("v2.mlmodel"), tmp_path("v2-compiled.inkmodel")])
    compiled = os.path.getsize(tmp_path("v2-compiled.inkmodel"))
    check(compiled > download + 1024, "the compiled model is not larger than the download")
    for what, limit in (("download", 64 * 1024), ("model file", (download + compiled) // 2)):
        store = copy_tree(source, "full-install")
        before = snapshot(store)
        r = run(install_argv(store, server.url, "2.0.0"), limit=limit)
        expect_failure(r, "inkling-cli: install failed", "File too large",
                       "the active model is still doodles 1.1.0")
        if what == "model file":
            check("cannot save the model" in r.err, "not the model file's failure", r)
        check_store_kept(store, before, what)


@test("full disk (file-size limit): database writes fail clearly; every committed example is "
      "still there")
def test_full_database():
    _, db, committed = database_with("full-db", 20)
    r = helper("db-write", db, "b", "100000", limit=os.path.getsize(db) + 32 * 1024)
    committed.add(r.out)
    expect_failure(r, "the personalization database " + db,
                   ("cannot be read or written", "the disk is full"))
    check(committed.check(db_state(db), 0) == 0, "an uncommitted change was saved")
    committed.add(ok([HELPER, "db-write", db, "c", "4"]).out)
    committed.check(db_state(db), 0)


# ---- A full disk: a small tmpfs ----

@test("full disk (a full tmpfs): update -o OUT fails with 'No space left on device', OUT is "
      "unchanged")
def test_tmpfs_update():
    folder = fresh_dir("tmpfs-update-src")
    shutil.copy(BUNDLED, os.path.join(folder, "doodles.inkmodel"))
    size = os.path.getsize(BUNDLED) + 256 * 1024
    r, after = run_on_tmpfs(folder, size, [CLI, "update", "doodles.inkmodel", "-o",
                                           "doodles.inkmodel", "--label", "comet", "--image",
                                           DIGIT])
    expect_failure(r, "inkling-cli: cannot write doodles.inkmodel", "No space left on device",
                   "the file was left as it was")
    check(sha256(os.path.join(after, "doodles.inkmodel")) == sha256(BUNDLED), "OUT changed")
    no_temps(after)


@test("full disk (a full tmpfs): remote install fails clearly, the active model stays")
def test_tmpfs_install():
    source, server = installed_store()
    used = sum(os.path.getsize(os.path.join(root, f)) for root, _, files in os.walk(source)
               for f in files)
    download = os.path.getsize(tmp_path("v2.mlmodel"))
    r, after = run_on_tmpfs(source, used + download + 128 * 1024,
                            install_argv(".", server.url, "2.0.0"))
    expect_failure(r, "inkling-cli: install failed", "No space left on device",
                   "the active model is still doodles 1.1.0")
    check("cannot save the model" in r.err, "not the model file's failure", r)
    check_store_kept(after, snapshot(source))


@test("full disk (a full tmpfs): database writes fail with 'the disk is full'; every committed "
      "example is still there")
def test_tmpfs_database():
    folder, db, committed = database_with("tmpfs-db-src", 20)
    r, after = run_on_tmpfs(folder, 512 * 1024, [HELPER, "db-write", "inkling.db", "b", "100000"])
    committed.add(r.out)
    expect_failure(r, "the personalization database inkling.db cannot be written: the disk is "
                   "full; nothing was changed")
    check(len(committed.examples) > 20, "the disk was full from the start")
    committed.check(db_state(os.path.join(after, "inkling.db")), 0)


# ---- A read-only store ----

@test("read-only folder: update -o OUT fails clearly, OUT is unchanged")
def test_read_only_update():
    folder = fresh_dir("ro-update")
    out = os.path.join(folder, "doodles.inkmodel")
    shutil.copy(BUNDLED, out)
    r = run_read_only(folder, [CLI, "update", out, "-o", out, "--label", "comet", "--image",
                               DIGIT])
    expect_failure(r, "inkling-cli: cannot write " + out,
                   ("Read-only file system", "Permission denied"), "the file was left as it was")
    check(sha256(out) == sha256(BUNDLED), "OUT changed")
    no_temps(folder)


@test("read-only store: remote status works, remote install and saving a personalized model "
      "fail clearly, the active model stays")
def test_read_only_store():
    source, server = installed_store()
    store = copy_tree(source, "ro-store")
    before = snapshot(store)
    r = run_read_only(store, [CLI, "remote", "status", "--store", store, "--bundled", BUNDLED,
                              "--json"])
    check(r.rc == 0, "remote status fails on a read-only store", r)
    check(json.loads(r.out)["active"]["version"] == "1.1.0", "status does not show 1.1.0", r)
    r = run_read_only(store, install_argv(store, server.url, "2.0.0"))
    expect_failure(r, "inkling-cli: install failed",
                   ("Read-only file system", "Permission denied"),
                   "the active model is still doodles 1.1.0")
    r = run_read_only(store, [HELPER, "save-store", store, BUNDLED, BUNDLED, "1", "1"])
    expect_failure(r, ("Read-only file system", "Permission denied"))
    r = run_read_only(store, [HELPER, "store-load", store, BUNDLED])
    check(r.rc == 0 and json.loads(r.out)["personalized"],
          "the read-only store does not load its model", r)
    check_store_kept(store, before)


@test("read-only database folder: opening fails clearly and says why; every example is still "
      "there")
def test_read_only_database():
    folder, db, committed = database_with("ro-db", 8)
    before = db_state(db)
    r = run_read_only(folder, [HELPER, "db-write", db, "b", "4"])
    expect_failure(r, "the personalization database " + db,
                   ("cannot be written: Read-only file system",
                    "cannot be written: Permission denied"))
    check(db_state(db) == before, "the database changed")
    committed.check(before, 0)


if __name__ == "__main__":
    sys.exit(main())
