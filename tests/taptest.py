# taptest.py: the TAP harness the script tests share (tests/cli/test-cli.py,
# tests/remote/remotetest.py and its tests, tests/crash/test-crash.py): test
# cases registered with @test and run in order by main(), skipped with
# skip(), failed with check(); a scratch folder; a process run to its end
# as a Result, or one stopped with a signal; values made once with @cached;
# clean-ups run at the end
#
# A script imports it with its own folder's parent on sys.path:
#   sys.dont_write_bytecode = True  # no __pycache__ in the source tree
#   sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#
# SPDX-License-Identifier: MIT

import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

TESTS = []
_scratch = None
_at_end = []


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


def scratch(prefix):
    """Makes the folder tmp_path() and fresh_dir() name paths in; main()
    removes it at the end. Returns its TemporaryDirectory."""
    global _scratch
    _scratch = tempfile.TemporaryDirectory(prefix=prefix)
    return _scratch


def tmp_path(*names):
    return os.path.join(_scratch.name, *names)


def fresh_dir(*names):
    path = tmp_path(*names)
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def copy_tree(source, *names):
    """A fresh copy of the folder source, named in the scratch folder."""
    target = tmp_path(*names)
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    return target


class Result:
    """What a process did: the command line shown for it, its exit status,
    stdout and stderr. describe() shows the last tail characters of each
    output (all of it without tail)."""

    def __init__(self, argv, rc, out, err, tail=None):
        self.argv = argv
        self.rc = rc
        self.out = out
        self.err = err
        self.tail = tail

    def describe(self):
        out, err = self.out.strip(), self.err.strip()
        if self.tail is not None:
            out, err = out[-self.tail:], err[-self.tail:]
        return "%s\nexit %s\nstdout: %s\nstderr: %s" % (" ".join(self.argv), self.rc, out, err)


def run(argv, shown=None, tail=None, **kwargs):
    """Runs argv to its end, its output captured as text (kwargs go to
    subprocess.run); returns its Result, shown as the command line shown
    (argv by default)."""
    proc = subprocess.run(argv, capture_output=True, text=True, **kwargs)
    return Result(argv if shown is None else list(shown), proc.returncode, proc.stdout,
                  proc.stderr, tail)


def stop_process(proc, signum, timeout=10):
    """Sends signum to proc when it still runs and waits up to timeout
    seconds for it to end, killing it if it does not. Returns whether it
    ended by itself."""
    if proc.poll() is None:
        proc.send_signal(signum)
    try:
        proc.wait(timeout=timeout)
        return True
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return False


_cache = {}


def cached(fn):
    """fn() made once: later calls return the first call's value."""
    def wrapper():
        if fn.__name__ not in _cache:
            _cache[fn.__name__] = fn()
        return _cache[fn.__name__]

    return wrapper


def at_end(fn):
    """fn() is called once the test cases have run, before the scratch
    folder is removed (for a server a case left running)."""
    _at_end.append(fn)


def main():
    """Runs every test case in order and prints TAP (each case's seconds too
    with $INKLING_TEST_TIMES set); then calls what at_end() was given and
    removes the scratch folder. Returns the exit status: 1 when a case
    failed."""
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
    for fn in _at_end:
        fn()
    if _scratch is not None:
        _scratch.cleanup()
    return 1 if failed else 0
