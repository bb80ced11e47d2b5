# app_bench.py: the application cases of tests/bench/run
#
# Runs the real GTK application under its own Xvfb and D-Bus session (with
# tests/ui/inkling_uitest.py, as the ui tests do) with $INKLING_BENCH_FILE
# set, so the app records its own timings (ui/inkling-bench.h), and drives
# it with D-Bus actions and xdotool strokes:
#
#   app-start                  a new process with new user data, from the
#                              launcher's clock reading just before it starts
#                              the process to the end of the first frame
#                              painted; several runs.
#   stroke-to-guess            one-stroke drawings on the Draw page: from the
#                              stroke's end to the end of the first frame
#                              painted with its guesses.
#   long-frames-during-update  frames whose interval (frame clock) exceeds
#                              20 ms while an update runs: a sticker taught
#                              from the Draw page, then the image classifier
#                              trained on the demo images, three times.
#
# Rendering: Xvfb has no GPU. By default GTK then probes GL and renders with
# Mesa's llvmpipe, which is slow and loads LLVM (about 0.3 s at start). The
# cases run with GTK's cairo renderer and GL disabled (GSK_RENDERER=cairo,
# GDK_DEBUG=gl-disable) unless --app-gl is given; docs/BENCHMARKS.md has
# both.
#
# SPDX-License-Identifier: MIT

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

APP_CASES = ["app-start", "stroke-to-guess", "long-frames-during-update"]
TOOLS = ["Xvfb", "xdotool", "dbus-daemon", "gdbus"]
TARGETS = ["app/inkling", "data/drawing-classifier.inkmodel", "data/image-classifier.inkmodel"]
LONG_FRAME_US = 20000


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def missing_tools():
    return [t for t in TOOLS if shutil.which(t) is None]


def build(build_dir):
    subprocess.run(["ninja", "-C", build_dir] + TARGETS, check=True, stdout=sys.stderr)


def stats(values):
    return dict(median_us=float(statistics.median(values)), min_us=float(min(values)),
                max_us=float(max(values)))


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def wait_for(predicate, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    return None


class QuietTap:
    """What inkling_uitest's helpers report to, kept off stdout (which
    carries the benchmark's table or JSON)."""

    def ok(self, passed, description, diagnostics=None):
        if not passed:
            log("app: not ok: %s %s" % (description, diagnostics or ""))
        return passed

    def diag(self, text):
        log("app: " + str(text))


class Runner:
    def __init__(self, u, source, build_dir, display, bus, work, gl):
        self.u = u
        self.source = source
        self.build_dir = build_dir
        self.display = display
        self.bus = bus
        self.work = work
        self.gl = gl
        # The state and bench files on tmpfs: the app writes them with
        # g_file_set_contents, whose fsync on a disk would be the test
        # hook's cost, not the app's.
        self.files = tempfile.mkdtemp(prefix="inkling-bench-",
                                      dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        self.runs = 0
        self.start_cpu = []  # CPU time until the first frame, per app-start run

    def env(self, home):
        env = self.u.private_env(self.display, home, self.bus, animations=True)
        env["INKLING_BUNDLED_MODEL"] = os.path.join(self.build_dir, "data",
                                                    "drawing-classifier.inkmodel")
        env["INKLING_IMAGE_MODEL"] = os.path.join(self.build_dir, "data", "image-classifier.inkmodel")
        env["INKLING_DEMO_IMAGES"] = os.path.join(self.source, "data", "demo-images")
        # Training long enough to see many frames (the most the settings allow).
        env["GSETTINGS_SCHEMA_DIR"] = self.u.compile_schema(
            os.path.join(self.source, "data", "io.github.inkling.Inkling.gschema.xml"), home,
            {"train-epochs": "100"})
        env["G_DEBUG"] = "gc-friendly"
        if not self.gl:
            env["GSK_RENDERER"] = "cairo"
            env["GDK_DEBUG"] = "gl-disable"
        return env

    def start(self, home):
        """Starts the app with new files; returns (App, bench file path)."""
        self.runs += 1
        bench = os.path.join(self.files, "bench-%d.json" % self.runs)
        env = self.env(home)
        env["INKLING_BENCH_FILE"] = bench
        env["INKLING_BENCH_START_US"] = str(time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)
        app = self.u.App([os.path.join(self.build_dir, "app", "inkling")], env,
                         os.path.join(self.work, "app-%d.log" % self.runs),
                         os.path.join(self.files, "state-%d.json" % self.runs))
        return app, bench

    def ready(self, app):
        state, ok = app.wait_state(lambda s: s["view"] == "main" and
                                   s["draw"]["canvas"]["width"] > 0 and not s["busy"], timeout=60)
        if not ok:
            raise RuntimeError("the app did not get ready: %s" % app.log()[-2000:])
        return state

    def stop(self, app):
        app.quit()
        app.stop()

    def app_start(self, runs):
        values = []
        for i in range(runs):
            home = tempfile.mkdtemp(dir=self.work, prefix="start-")
            app, bench = self.start(home)
            try:
                doc = wait_for(lambda: (read_json(bench) or {}).get("first-frame-us"), 60, app.proc)
                if doc is None:
                    raise RuntimeError("no first frame recorded: %s" % app.log()[-2000:])
                values.append(doc)
                self.start_cpu.append((read_json(bench) or {}).get("first-frame-cpu-us", 0))
                self.ready(app)
            finally:
                self.stop(app)
                shutil.rmtree(home, ignore_errors=True)
        return values

    def strokes_and_updates(self, n_strokes, train):
        """One run: n one-stroke drawings guessed, then a sticker taught and
        the image classifier trained train times; returns the bench file."""
        u = self.u
        home = tempfile.mkdtemp(dir=self.work, prefix="strokes-")
        app, bench = self.start(home)
        tap = QuietTap()
        try:
            app.wait_window()
            self.ready(app)
            for i in range(n_strokes):
                state = u.show_empty_canvas(tap, app, "stroke %d" % (i + 1))
                if state is None:
                    raise RuntimeError("the Draw page did not show an empty canvas")
                u.draw_strokes(app.env, app.wid, state["draw"]["canvas"], u.heart())
                if not wait_for(lambda: len((read_json(bench) or {}).get(
                        "stroke-to-guess-us", [])) > i, 30, app.proc):
                    raise RuntimeError("stroke %d: no guess recorded" % (i + 1))
                app.wait_state(u.settled_guesses)
            # A sticker taught from the Draw page (a k-NN update, saved).
            app.activate("teach", '<"heart">')
            if not wait_for(lambda: (read_json(bench) or {}).get(
                    "update-frames", {}).get("updates", 0) >= 1, 60, app.proc):
                raise RuntimeError("the sticker update did not end")
            if train:
                app.activate("import-demo-images")
                state, ok = app.wait_state(
                    lambda s: s["images"]["importing"] == 0 and len(s["images"]["images"]) > 0 and
                    all(i["predicted"] != "Not classified" for i in s["images"]["images"]),
                    timeout=120)
                if not ok:
                    raise RuntimeError("the demo images were not imported")
                # Labelled with their true classes (as tests/ui/test-flows.py).
                with open(os.path.join(self.source, "data", "demo-images", "demo.json")) as f:
                    truth = {d["file"]: d["label"] for d in json.load(f)["images"]}
                for cell in state["images"]["images"]:
                    app.activate("relabel-image",
                                 '<(int64 %d, "%s")>' % (cell["id"], truth[cell["name"]]))
                state, ok = app.wait_state(lambda s: all(
                    i["label"] == truth[i["name"]] for i in s["images"]["images"]))
                if not ok:
                    raise RuntimeError("the demo images were not labelled")
                for _ in range(train):
                    updates = (read_json(bench) or {}).get("update-frames", {}).get("updates", 0)
                    app.activate("train-images")
                    if not wait_for(lambda: (read_json(bench) or {}).get(
                            "update-frames", {}).get("updates", 0) > updates, 300, app.proc):
                        raise RuntimeError("the training did not end")
            return read_json(bench)
        finally:
            self.stop(app)
            shutil.rmtree(home, ignore_errors=True)


def run(source, build_dir, work, tiny, gl=False, skip_build=False):
    """Returns (cases, note): JSON cases with system "inkling", and a note
    when the cases were skipped (None otherwise)."""
    missing = missing_tools()
    if missing:
        return [], "skipped: %s not installed" % ", ".join(missing)
    if not skip_build:
        build(build_dir)
    sys.path.insert(0, os.path.join(source, "tests", "ui"))
    import inkling_uitest as u
    os.makedirs(work, exist_ok=True)
    cases = []
    with open(os.path.join(work, "xvfb.log"), "w") as xlog:
        xvfb, display = u.start_xvfb(xlog)
        bus, address = u.start_dbus(xlog) if xvfb else (None, None)
        if xvfb is None or bus is None:
            u.stop(xvfb)
            return [], "skipped: Xvfb or D-Bus did not start"
        runner = Runner(u, source, build_dir, display, address, work, gl)
        try:
            log("app: app-start")
            starts = runner.app_start(1 if tiny else 7)
            cases.append(dict(case="app-start", system="inkling", **stats(starts)))
            log("app: stroke-to-guess, long-frames-during-update")
            doc = runner.strokes_and_updates(2 if tiny else 15, train=1 if tiny else 3)
            latencies = doc["stroke-to-guess-us"]
            cases.append(dict(case="stroke-to-guess", system="inkling", **stats(latencies)))
            frames = doc["update-frames"]
            intervals = frames["intervals-us"] or [0]
            cases.append(dict(case="long-frames-during-update", system="inkling",
                              count=sum(1 for v in intervals if v > LONG_FRAME_US),
                              frames=len(frames["intervals-us"]),
                              min_us=float(min(intervals)), max_us=float(max(intervals))))
            # The parts, for the notes (stderr).
            log("app: first frame runs (us): %s" % starts)
            log("app: CPU time until the first frame (us): %s" % runner.start_cpu)
            log("app: stroke to guesses shown (us): %s" % doc["stroke-to-shown-us"])
            log("app: stroke to guesses painted (us): %s" % latencies)
            log("app: frames up to the one with the guesses: %s" % doc["stroke-to-guess-frames"])
            log("app: frames during updates: %d, over 20 ms: %s" % (
                len(frames["intervals-us"]),
                sorted(v for v in frames["intervals-us"] if v > LONG_FRAME_US)))
        finally:
            u.stop(bus)
            u.stop(xvfb)
            shutil.rmtree(runner.files, ignore_errors=True)
    return cases, None
