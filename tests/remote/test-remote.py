#!/usr/bin/env python3
# test-remote.py: over-the-air model updates end to end, over real HTTP on
# 127.0.0.1: `inkling-cli publish` writes a site, `inkling-cli serve` (or
# nginx) serves it, `inkling-cli remote` checks, installs, rolls back and
# resets, and every fault leaves the active model untouched with a clear
# line in the activity log
#
# SPDX-License-Identifier: MIT
#
# Usage: test-remote.py PATH/TO/inkling-cli CLI_MODELS_DIR
# CLI_MODELS_DIR holds what tests/cli/make-cli-models wrote. Prints TAP.

import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import glob  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # taptest
from remotetest import (CLI, Nginx, Served, expect_error, expect_ok, expect_usage,  # noqa: E402
                        read_bytes, run, write_bytes)
from taptest import cached, check, fresh_dir, main, skip, test, tmp_path  # noqa: E402
from taptest import copy_tree as copy_site  # noqa: E402

MODELS = sys.argv[2]
FIXTURES = os.environ.get("INKLING_FIXTURES", "/nonexistent")
SEED_SITE = os.path.join(FIXTURES, "seed-site")

# The bundled model of these tests: a k-NN from make-cli-models (input
# "features", 2 floats; output "label"), knowing sun, moon and star.
BUNDLED = os.path.join(MODELS, "knn-string.inkmodel")

def write_text(name, text):
    return write_bytes(tmp_path(name), text.encode())


@cached
def model_v1():
    """The bundled k-NN as a Core ML file."""
    path = tmp_path("knn-v1.mlmodel")
    expect_ok("export", BUNDLED, path)
    return path


@cached
def model_v2():
    """The same k-NN, taught a comet at (20, 20)."""
    csv = write_text("comet.csv", 'features,label\n"20,20",comet\n"20,21",comet\n'
                     '"21,20",comet\n')
    inkmodel = tmp_path("knn-v2.inkmodel")
    expect_ok("update", BUNDLED, "-o", inkmodel, "--examples", csv)
    path = tmp_path("knn-v2.mlmodel")
    expect_ok("export", inkmodel, path)
    return path


@cached
def model_misfit():
    """A model whose inputs are not the bundled model's (x, not features)."""
    path = tmp_path("glm.mlmodel")
    expect_ok("export", os.path.join(MODELS, "glm.inkmodel"), path)
    return path


@cached
def examples_csv():
    """The user's own examples: a planet at (30, -10)."""
    return write_text("planet.csv", 'features,label\n"30,-10",planet\n"30,-11",planet\n'
                      '"31,-10",planet\n')


@cached
def minisign_keys():
    """(secret key, public key) made by Debian's minisign -G, unencrypted."""
    if shutil.which("minisign") is None:
        skip("minisign is not installed (Debian: minisign)")
    folder = fresh_dir("keys")
    sk, pk = os.path.join(folder, "test.key"), os.path.join(folder, "test.pub")
    proc = subprocess.run(["minisign", "-G", "-W", "-p", pk, "-s", sk], capture_output=True,
                          text=True, timeout=30, stdin=subprocess.DEVNULL)
    check(proc.returncode == 0, "minisign -G -W failed: %s" % proc.stderr)
    return sk, pk


def publish(site, model, version, *args):
    r = expect_ok("publish", site, model, "--version", version, "--json", *args)
    return json.loads(r.out)


@cached
def site_v1_v2():
    """A site with 1.0.0 (the bundled k-NN) and 2.0.0 (it plus comets)."""
    site = fresh_dir("site-v1-v2")
    publish(site, model_v1(), "1.0.0", "--id", "knn", "--notes", "the first")
    publish(site, model_v2(), "2.0.0")
    return site


def manifest(site):
    return json.loads(read_bytes(os.path.join(site, "manifest.json")))


def write_manifest(site, doc):
    write_bytes(os.path.join(site, "manifest.json"), json.dumps(doc, indent=2).encode())


def sha256(path):
    return hashlib.sha256(read_bytes(path)).hexdigest()


# ---- inkling-cli remote ----

class Remote:
    """The outcome of `inkling-cli remote ... --json`: the JSON lines, the
    log entries and progress reports among them, the result line."""

    def __init__(self, r):
        self.r = r
        self.lines = []
        for line in r.out.splitlines():
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                raise AssertionError("not a JSON line: %r\n%s" % (line, r.describe()))
        check(self.lines and self.lines[-1].get("event") == "result",
              "the last line is not the result", r)
        self.result = self.lines[-1]
        self.log = [x for x in self.lines if x.get("event") == "log"]
        self.progress = [x for x in self.lines if x.get("event") == "progress"]
        check(self.result["log"] == [dict((k, v) for k, v in x.items() if k != "event")
                                     for x in self.log],
              "the result's log differs from the log lines", r)

    def errors(self):
        return [x for x in self.log if x["level"] == "error"]

    def describe(self):
        return self.r.describe()


def remote(store, *args, server=None, bundled=BUNDLED, env=None, timeout=60):
    full = ["remote", *args, "--store", store, "--bundled", bundled, "--json"]
    if server is not None:
        full += ["--server", server]
    return run(*full, env=env, timeout=timeout)


def remote_ok(store, *args, **kwargs):
    r = remote(store, *args, **kwargs)
    check(r.rc == 0, "expected exit 0", r)
    out = Remote(r)
    check(out.result["ok"] is True and out.result["error"] is None, "result not ok", r)
    return out


def remote_fails(store, *args, mentions=(), **kwargs):
    """A failed operation: exit 1, a message naming the cause on stderr,
    and an error in the log saying it too."""
    r = remote(store, *args, **kwargs)
    check(r.rc == 1, "expected exit 1 (error)", r)
    check("inkling-cli: " in r.err and "still" in r.err,
          "expected 'inkling-cli: ... the active model is still ...' on stderr", r)
    out = Remote(r)
    check(out.result["ok"] is False and out.result["error"], "the result says ok", r)
    errors = out.errors()
    check(errors, "no error entry in the log", r)
    text = " ".join([r.err, out.result["error"]] + [e["message"] for e in errors]).lower()
    for words in mentions:
        alternatives = words if isinstance(words, tuple) else (words,)
        check(any(w.lower() in text for w in alternatives),
              "expected the error to mention %s" % " or ".join(map(repr, alternatives)), r)
    return out


def status(store, bundled=BUNDLED):
    r = run("remote", "status", "--store", store, "--bundled", bundled, "--json")
    check(r.rc == 0, "remote status failed", r)
    try:
        return json.loads(r.out)
    except ValueError as e:
        raise AssertionError("status is not JSON: %s\n%s" % (e, r.describe()))


def snapshot(store):
    """What must not change when an operation fails: the pointer file and
    the installed models."""
    files = {}
    for path in sorted(glob.glob(os.path.join(store, "models", "*"))):
        files[os.path.basename(path)] = sha256(path)
    pointer = os.path.join(store, "active.json")
    return (read_bytes(pointer) if os.path.exists(pointer) else None, files)


def active(store):
    return status(store)["active"]


def predict_label(model_path, point):
    r = expect_ok("predict", model_path, "--input", "features=%s" % point, "--json")
    return json.loads(r.out)["outputs"]["label"]


def active_model_path(entry):
    return entry["personal_path"] or entry["path"]


@cached
def store_v1_template():
    """A store where 1.0.0 is installed and active (copied by each fault case)."""
    store = fresh_dir("store-v1")
    site = copy_site(site_v1_v2(), "site-v1-only")
    doc = manifest(site)
    doc["models"] = [m for m in doc["models"] if m["version"] == "1.0.0"]
    write_manifest(site, doc)
    with Served(site) as server:
        out = remote_ok(store, "install", server=server.url)
        check(out.result["installed"], "1.0.0 was not installed", out)
    check(active(store)["version"] == "1.0.0", "1.0.0 is not active")
    return store


def store_v1(name):
    store = tmp_path(name)
    shutil.rmtree(store, ignore_errors=True)
    shutil.copytree(store_v1_template(), store)
    return store


def fault_case(name, site, *faults, args=(), mentions=(), op="install"):
    """Installs from site served with faults onto a store where 1.0.0 is
    active; the install must fail naming the cause, and the store stay as
    it was. Returns (Remote, Served)."""
    store = store_v1(name)
    before = snapshot(store)
    with Served(site, *faults) as server:
        out = remote_fails(store, op, *args, server=server.url, mentions=mentions)
    check(snapshot(store) == before, "the store changed after a failed %s" % op, out)
    entry = active(store)
    check(entry["version"] == "1.0.0" and entry["source"] == "downloaded",
          "the active model is now %r" % entry)
    return out, server


# ---- publish ----

@test("publish: usage errors exit 2 and write nothing")
def _():
    site = fresh_dir("site-usage")
    model = model_v1()
    expect_usage("publish", site, model)
    expect_usage("publish", site, "--version", "1.0")
    expect_usage("publish", site, model, "--version", "one", mentions=["dotted"])
    expect_usage("publish", site, model, "--version", "1", "--rollout", "101")
    expect_usage("publish", site, model, "--version", "1", "--expires", "soon")
    expect_usage("publish", site, model, "--version", "1", "--min-app-version", "x")
    expect_usage("publish", site, model, "--version", "1", "--base-url", "ftp://x/")
    check(os.listdir(site) == [], "a usage error wrote %r" % os.listdir(site))


@test("publish: refuses what does not compile, a compiled model, a bad key; writes nothing")
def _():
    site = fresh_dir("site-refused")
    expect_error("publish", site, BUNDLED, "--version", "1", mentions=["export"])
    junk = write_text("junk.mlmodel", "not a model")
    expect_error("publish", site, junk, "--version", "1", mentions=["does not compile"])
    expect_error("publish", site, model_v1(), "--version", "1", "--key", junk)
    expect_error("publish", tmp_path("absent-site"), model_v1(), "--version", "1")
    check(os.listdir(site) == [], "a failed publish wrote %r" % os.listdir(site))


@test("publish: the model under models/<uuid>.mlmodel, the manifest in both forms")
def _():
    site = fresh_dir("site-forms")
    first = publish(site, model_v1(), "1.0.0", "--id", "knn", "--notes", "first",
                    "--min-app-version", "0.1", "--expires", "2099-01-01")
    check(first["file"].startswith("models/") and first["file"].endswith(".mlmodel")
          and len(os.path.basename(first["file"])) == 36 + 8, "file %r" % first["file"])
    path = os.path.join(site, first["file"])
    check(read_bytes(path) == read_bytes(model_v1()), "the published model differs")
    doc = manifest(site)
    check(doc.get("schema") == 1 and doc["expires"].startswith("2099-01-01"), "doc %r" % doc)
    (m,) = doc["models"]
    check(m["id"] == "knn" and m["version"] == "1.0.0" and m["url"] == first["file"]
          and m["size"] == os.path.getsize(path) and m["sha256"] == sha256(path)
          and m["notes"] == "first" and m["min_app_version"] == "0.1", "model %r" % m)
    seed = json.loads(read_bytes(os.path.join(site, "latest_model_details.json")))
    check(seed == {"url": first["file"]}, "seed form %r" % seed)

    second = publish(site, model_v2(), "2.0.0")
    check(second["id"] == "knn" and second["models"] == 2, "second %r" % second)
    seed = json.loads(read_bytes(os.path.join(site, "latest_model_details.json")))
    check(seed == {"url": second["file"]}, "seed form after 2.0.0: %r" % seed)
    beta = publish(site, model_v2(), "3.0.0", "--channel", "beta", "--rollout", "10")
    doc = manifest(site)
    check([m["version"] for m in doc["models"]] == ["1.0.0", "2.0.0", "3.0.0"]
          and doc["models"][2]["channel"] == "beta" and doc["models"][2]["rollout_percent"] == 10,
          "models %r" % doc["models"])
    seed = json.loads(read_bytes(os.path.join(site, "latest_model_details.json")))
    check(seed == {"url": second["file"]}, "the seed form took the beta model: %r" % seed)
    check(beta["signature"] is None and not glob.glob(os.path.join(site, "*.minisig")),
          "unsigned publish wrote a signature")
    expect_error("publish", site, model_v2(), "--version", "2.0", mentions=["already published"])
    r = expect_ok("publish", site, model_v1(), "--version", "4", "--base-url",
                  "https://models.example/demo")
    check("4" in r.out and "knn" in r.out, "text output: %r" % r.out)
    url = manifest(site)["models"][-1]["url"]
    check(url.startswith("https://models.example/demo/models/"), "--base-url: %r" % url)


@test("publish --key: minisign -V accepts both manifests' signatures (Debian's minisign)")
def _():
    sk, pk = minisign_keys()
    site = fresh_dir("site-signed")
    out = publish(site, model_v1(), "1.0.0", "--key", sk)
    check(out["signature"] == "manifest.json.minisig"
          and out["seed_signature"] == "latest_model_details.json.minisig"
          and out["key_id"], "json %r" % out)
    for name in ("manifest.json", "latest_model_details.json"):
        proc = subprocess.run(["minisign", "-V", "-p", pk, "-m", os.path.join(site, name)],
                              capture_output=True, text=True, timeout=30)
        check(proc.returncode == 0, "minisign -V %s: %s%s" % (name, proc.stdout, proc.stderr))
        check("Signature and comment signature verified" in proc.stdout
              and "file:%s" % name in proc.stdout, "minisign said %r" % proc.stdout)
    # A changed manifest no longer verifies.
    path = os.path.join(site, "manifest.json")
    write_bytes(path, read_bytes(path).replace(b"1.0.0", b"1.0.1"))
    proc = subprocess.run(["minisign", "-V", "-p", pk, "-m", path], capture_output=True,
                          text=True, timeout=30)
    check(proc.returncode != 0, "minisign accepted a changed manifest")
    # Publishing without the key deletes the signatures that no longer match.
    publish(site, model_v2(), "2.0.0")
    check(not glob.glob(os.path.join(site, "*.minisig")), "stale signatures kept")


# ---- remote: usage and status ----

@test("remote: usage errors exit 2")
def _():
    store = tmp_path("store-usage")
    expect_usage("remote")
    expect_usage("remote", "explode", "--store", store)
    expect_usage("remote", "check", "--store", store, env={"INKLING_SERVER": ""},
                 mentions=["--server"])
    expect_usage("remote", "status", "extra", "--store", store)
    expect_usage("remote", "install", "1", "2", "--store", store, "--server", "http://x/")
    expect_usage("remote", "check", "--store", store, "--server", "ftp://x/")
    expect_usage("remote", "rollback", "--allow-older", "--store", store)
    expect_usage("remote", "check", "--store", store, "--server", "http://x/", "--rewrite", "x")
    check(not os.path.exists(store), "a usage error created the store")


@test("remote status: a new store runs the bundled model")
def _():
    store = fresh_dir("store-new")
    doc = status(store)
    check(doc["active"]["source"] == "bundled" and doc["previous"] is None
          and doc["last_check"] is None and doc["available"] == [], "status %r" % doc)
    check(os.path.realpath(doc["active"]["path"]) == os.path.realpath(BUNDLED),
          "bundled path %r" % doc["active"]["path"])
    r = expect_ok("remote", "status", "--store", store, "--bundled", BUNDLED)
    check("bundled" in r.out and "never" in r.out, "text status: %r" % r.out)


# ---- remote: installing over real HTTP ----

@test("remote check and install over `inkling-cli serve`: installed, activated, predicts")
def _():
    store = fresh_dir("store-serve")
    with Served(site_v1_v2()) as server:
        out = remote_ok(store, "check", server=server.url)
        c = out.result["check"]
        check(c["outcome"] == "update-available" and c["candidate"]["version"] == "2.0.0"
              and c["http_status"] == 200, "check %r" % c)
        check(active(store)["source"] == "bundled", "a check installed something")
        check(not server.requests_for(".mlmodel"), "a check downloaded a model")
        out = remote_ok(store, "install", server=server.url)
        check(out.result["installed"] is True, "not installed", out)
        steps = [x["step"] for x in out.log]
        for step in ("check", "download", "verify", "compile", "install", "activate"):
            check(step in steps, "no %r step in the log: %r" % (step, steps), out)
        check(out.progress and out.progress[-1]["received"] == out.progress[-1]["total"],
              "progress %r" % out.progress, out)
    entry = active(store)
    v2 = [m for m in manifest(site_v1_v2())["models"] if m["version"] == "2.0.0"][0]
    check(entry["source"] == "downloaded" and entry["id"] == "knn" and entry["version"] == "2.0.0"
          and entry["sha256"] == v2["sha256"], "active %r" % entry)
    check(predict_label(entry["path"], "20,20") == "comet", "2.0.0 does not know comets")
    check(predict_label(entry["path"], "0,0") == "sun", "2.0.0 forgot the sun")
    doc = status(store)
    check(doc["previous"]["source"] == "bundled", "previous %r" % doc["previous"])
    check([a["version"] for a in doc["available"]] == ["1.0.0", "2.0.0"],
          "available %r" % doc["available"])
    check(any(e["step"] == "activate" for e in doc["log"]), "status has no activity log")
    r = expect_ok("remote", "status", "--store", store, "--bundled", BUNDLED)
    check("2.0.0" in r.out and "downloaded" in r.out, "text status: %r" % r.out)


@test("remote check: an unchanged manifest costs a 304 and no download")
def _():
    store = fresh_dir("store-304")
    with Served(site_v1_v2()) as server:
        remote_ok(store, "install", server=server.url)
        models_before = len(server.requests_for(".mlmodel"))
        out = remote_ok(store, "check", server=server.url)
        c = out.result["check"]
        check(c["not_modified"] is True and c["http_status"] == 304 and c["manifest_bytes"] == 0,
              "check %r" % c, out)
        check(c["outcome"] == "no-update", "outcome %r" % c)
        manifest_requests = server.requests_for("/manifest.json")
        check(manifest_requests[-1][2] == 304 and manifest_requests[-1][3] == 0,
              "the server answered %r" % (manifest_requests[-1],))
        out = remote_ok(store, "install", server=server.url)
        check(out.result["installed"] is False, "installed again", out)
        check(len(server.requests_for(".mlmodel")) == models_before,
              "a 304 led to a download: %r" % server.log())
    # With the server gone, a check fails and says so; the model stays.
    remote_fails(store, "check", "--timeout", "2", server="http://127.0.0.1:%d/" % server.port)
    check(active(store)["version"] == "2.0.0", "a failed check changed the active model")


@test("remote install from the same site served by nginx (nginx-light)")
def _():
    store = fresh_dir("store-nginx")
    site = copy_site(site_v1_v2(), "site-nginx")
    with Nginx(site) as nginx:
        out = remote_ok(store, "install", server=nginx.url)
        check(out.result["installed"] is True, "not installed", out)
        check(active(store)["version"] == "2.0.0", "active %r" % active(store))
        out = remote_ok(store, "check", server=nginx.url)
        check(out.result["check"]["not_modified"] is True, "nginx: no 304: %r"
              % out.result["check"], out)
        check("GET /manifest.json" in nginx.access_log() and '" 304 ' in nginx.access_log(),
              "nginx log: %s" % nginx.access_log())


@test("remote install of the seed article's own site; its random forest answers predict")
def _():
    if not os.path.isdir(SEED_SITE):
        skip("../shared/fixtures/seed-site is absent")
    bundled = os.path.join(SEED_SITE, "MyFirstCustomModel.bundled.mlmodel")
    ota = glob.glob(os.path.join(SEED_SITE, "models", "80a2-*.mlmodel"))[0]
    original = json.loads(read_bytes(os.path.join(SEED_SITE, "latest_model_details.json")))["url"]
    prefix = original[:original.index("models/")]
    store = fresh_dir("store-seed")
    with Served(SEED_SITE) as server:
        r_args = ["--rewrite", "%s=%s" % (prefix, server.url)]
        r = run("remote", "install", "--store", store, "--bundled", bundled, "--json",
                "--server", server.url + "latest_model_details.json", *r_args)
        check(r.rc == 0, "install failed", r)
        out = Remote(r)
        check(out.result["installed"] is True, "not installed", r)
        check(server.requests_for(os.path.basename(ota)), "the model was not fetched from "
              "loopback: %r" % server.log())
    entry = status(store, bundled)["active"]
    check(entry["source"] == "downloaded" and entry["sha256"] == sha256(ota), "active %r" % entry)
    check(entry["id"] == os.path.basename(ota)[:-len(".mlmodel")], "id %r" % entry["id"])
    for point in ("0.2,0", "0.9,1"):
        got = json.loads(expect_ok("predict", entry["path"], "--input", "input=" + point,
                                   "--json").out)["outputs"]
        want = json.loads(expect_ok("predict", ota, "--input", "input=" + point,
                                    "--json").out)["outputs"]
        check(got["classLabel"] in ("Dismissed", "Purchased") and got == want,
              "%s: %r, the fixture says %r" % (point, got, want))
        check(set(got["classProbability"]) == {"Dismissed", "Purchased"}, "probabilities %r"
              % got)


# ---- remote: faults; each leaves the active model as it was ----

@test("fault: the model answers 404")
def _():
    fault_case("store-404", site_v1_v2(), "status=*.mlmodel:404", mentions=["404"])


@test("fault: the manifest answers 500 (check and install)")
def _():
    fault_case("store-500", site_v1_v2(), "status=/manifest.json:500", mentions=["500"],
               op="check")
    fault_case("store-500i", site_v1_v2(), "status=/manifest.json:500", mentions=["500"])


@test("fault: no answer within the time limit (timeout)")
def _():
    fault_case("store-timeout", site_v1_v2(), "delay=/manifest.json:5000",
               args=("--timeout", "0.5"), mentions=[("time", "timed out")])


@test("fault: a slow drip past the time limit")
def _():
    fault_case("store-drip", site_v1_v2(), "drip=*.mlmodel:100", args=("--timeout", "1"),
               mentions=[("time", "timed out", "slow")])


@test("fault: a drop mid-download, then a successful resume (206)")
def _():
    out, server = fault_case("store-drop", site_v1_v2(), "drop=*.mlmodel:500:1",
                             args=("--retries", "0"))
    store = tmp_path("store-drop")
    partials = glob.glob(os.path.join(store, "downloads", "*.partial"))
    check(partials and os.path.getsize(partials[0]) == 500,
          "partial download %r" % [(p, os.path.getsize(p)) for p in partials])
    with Served(site_v1_v2()) as server:
        out = remote_ok(store, "install", server=server.url)
        check(out.result["installed"] is True, "not installed after resuming", out)
        models = server.requests_for(".mlmodel")
        check(models and models[0][2] == 206 and models[0][4].startswith("range=500-"),
              "the resume was not a range request from 500: %r" % models)
    check(active(store)["version"] == "2.0.0", "2.0.0 is not active")
    check(not glob.glob(os.path.join(store, "downloads", "*.partial")), "partial file left")
    # Within one install: the transfer breaks once and is resumed at once.
    store = store_v1("store-drop-retry")
    with Served(site_v1_v2(), "drop=*.mlmodel:300:1") as server:
        out = remote_ok(store, "install", server=server.url)
        check(out.result["installed"] is True, "not installed", out)
        codes = [entry[2] for entry in server.requests_for(".mlmodel")]
        check(codes == [200, 206], "requests %r" % server.log())


@test("fault: a truncated model (the server's file is cut short)")
def _():
    fault_case("store-truncated", site_v1_v2(), "truncate=*.mlmodel:300",
               mentions=[("size", "bytes", "short")])


@test("fault: the manifest's size is wrong")
def _():
    site = copy_site(site_v1_v2(), "site-wrong-size")
    doc = manifest(site)
    doc["models"][1]["size"] -= 7
    write_manifest(site, doc)
    fault_case("store-wrong-size", site, mentions=["size"])


@test("fault: the model's SHA-256 is wrong (a corrupted byte)")
def _():
    fault_case("store-hash", site_v1_v2(), "corrupt=*.mlmodel:100",
               mentions=[("sha-256", "sha256", "hash", "checksum")])


@test("fault: a bad signature, and a missing one while a key is set")
def _():
    sk, pk = minisign_keys()
    site = fresh_dir("site-signed-faults")
    publish(site, model_v1(), "1.0.0", "--id", "knn", "--key", sk)
    publish(site, model_v2(), "2.0.0", "--key", sk)
    # The signed site installs with the key.
    store = store_v1("store-signed")
    with Served(site) as server:
        out = remote_ok(store, "check", "--key", pk, server=server.url)
        check(out.result["check"]["signature_verified"] is True, "not verified", out)
    tampered = copy_site(site, "site-tampered")
    doc = manifest(tampered)
    doc["models"][1]["notes"] = "changed after signing"
    write_manifest(tampered, doc)
    fault_case("store-bad-sig", tampered, args=("--key", pk), mentions=["signature"])
    missing = copy_site(site, "site-unsigned")
    os.unlink(os.path.join(missing, "manifest.json.minisig"))
    fault_case("store-no-sig", missing, args=("--key", pk), mentions=["signature"])
    other = fresh_dir("other-key")
    subprocess.run(["minisign", "-G", "-W", "-p", os.path.join(other, "k.pub"), "-s",
                    os.path.join(other, "k.key")], capture_output=True, check=True, timeout=30)
    fault_case("store-other-key", site, args=("--key", os.path.join(other, "k.pub")),
               mentions=[("signature", "key")])


@test("fault: an older version is refused unless asked for on purpose")
def _():
    store = fresh_dir("store-older")
    with Served(site_v1_v2()) as server:
        remote_ok(store, "install", server=server.url)
        out = remote_ok(store, "check", server=server.url)
        check(out.result["check"]["outcome"] == "no-update", "check %r" % out.result["check"])
        before = snapshot(store)
        remote_fails(store, "install", "1.0.0", server=server.url, mentions=["older"])
        check(snapshot(store) == before, "a refused downgrade changed the store")
        out = remote_ok(store, "install", "1.0.0", "--allow-older", server=server.url)
        check(out.result["installed"] and active(store)["version"] == "1.0.0",
              "--allow-older did not install 1.0.0", out)


@test("fault: an expired manifest")
def _():
    site = copy_site(site_v1_v2(), "site-expired")
    publish(site, model_v2(), "2.1.0", "--expires", "2001-01-01")
    fault_case("store-expired", site, mentions=["expired"])
    fault_case("store-expired-check", site, mentions=["expired"], op="check")


@test("fault: a model id that would leave the store (path traversal)")
def _():
    for n, bad in enumerate(("../../evil", "/etc/passwd", "a/../../b", ".hidden")):
        site = copy_site(site_v1_v2(), "site-traversal-%d" % n)
        doc = manifest(site)
        doc["models"][1]["id"] = bad
        write_manifest(site, doc)
        fault_case("store-traversal-%d" % n, site, mentions=[("unsafe", "leave")])
    check(not os.path.exists(tmp_path("evil")) and not glob.glob(tmp_path("*", "evil*")),
          "something was written outside the store")


@test("fault: an oversized model (past the manifest's size, past --max-size)")
def _():
    fault_case("store-padded", site_v1_v2(), "pad=*.mlmodel:100000",
               mentions=[("size", "large", "bytes")])
    fault_case("store-max-size", site_v1_v2(), args=("--max-size", "100"),
               mentions=[("size", "large", "bytes", "maximum")])


@test("fault: a malformed manifest (not JSON, a bad member)")
def _():
    site = copy_site(site_v1_v2(), "site-malformed")
    write_bytes(os.path.join(site, "manifest.json"), b'{"models": [ {"id": "knn", ')
    fault_case("store-malformed", site, mentions=[("json", "format", "manifest")], op="check")
    doc = manifest(site_v1_v2())
    doc["models"][1]["sha256"] = "xyz"
    write_manifest(site, doc)
    fault_case("store-bad-member", site, mentions=["sha256"])


@test("fault: a model whose inputs do not fit the app")
def _():
    site = copy_site(site_v1_v2(), "site-misfit")
    publish(site, model_misfit(), "3.0.0")
    fault_case("store-misfit", site, mentions=[("input", "features")])


@test("fault: 503 with Retry-After postpones the next automatic check")
def _():
    store = store_v1("store-retry-after")
    with Served(site_v1_v2(), "retry-after=/manifest.json:7200") as server:
        remote_fails(store, "check", server=server.url, mentions=["503"])
    doc = status(store)
    check(doc["retry_after_until"] is not None and doc["failures"] >= 1, "status %r" % doc)


# ---- remote: HTTPS certificates and redirects ----

@cached
def test_certificates():
    """A certificate authority made by openssl for these tests, and two
    server certificates it signed: "local" for 127.0.0.1, "other" for
    another host name. {"ca": PEM file, "local"/"other": (cert, key)}."""
    if shutil.which("openssl") is None:
        skip("openssl is not installed (Debian: openssl)")
    folder = fresh_dir("tls")

    def openssl(*args):
        proc = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60,
                              stdin=subprocess.DEVNULL, cwd=folder)
        check(proc.returncode == 0, "openssl %s: %s" % (" ".join(args), proc.stderr))

    def path(name):
        return os.path.join(folder, name)

    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "2",
            "-subj", "/CN=Inkling test CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    certificates = {"ca": path("ca.pem")}
    for name, alt_names in (("local", "IP:127.0.0.1,DNS:localhost"),
                            ("other", "DNS:models.example.org")):
        write_text(os.path.join("tls", name + ".ext"),
                   "subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                   % alt_names)
        openssl("req", *ec, "-keyout", path(name + ".key"), "-out", path(name + ".csr"),
                "-subj", "/CN=" + alt_names.split(",")[0].split(":")[1])
        openssl("x509", "-req", "-in", path(name + ".csr"), "-CA", path("ca.pem"), "-CAkey",
                path("ca.key"), "-CAcreateserial", "-out", path(name + ".pem"), "-days", "2",
                "-extfile", path(name + ".ext"))
        certificates[name] = (path(name + ".pem"), path(name + ".key"))
    return certificates


@test("https: a certificate from an unknown CA is refused, naming it; --ca-file trusts the CA")
def _():
    certificates = test_certificates()
    site = copy_site(site_v1_v2(), "site-https")
    store = store_v1("store-https")
    before = snapshot(store)
    with Nginx(site, tls=certificates["local"]) as nginx:
        check(nginx.url.startswith("https://127.0.0.1:"), "nginx URL %r" % nginx.url)
        for op in ("check", "install"):
            out = remote_fails(store, op, server=nginx.url,
                               mentions=["certificate", "not trusted", nginx.url])
            check(snapshot(store) == before, "the store changed after a refused %s" % op, out)
        check(" 200 " not in nginx.access_log(),
              "nginx served something over the refused connection: %s" % nginx.access_log())
        check(not glob.glob(os.path.join(store, "downloads", "*")), "something was downloaded")
        entry = active(store)
        check(entry["version"] == "1.0.0", "the active model is now %r" % entry)
        # The same server with the test CA trusted: checked and installed.
        out = remote_ok(store, "install", "--ca-file", certificates["ca"], server=nginx.url)
        check(out.result["installed"] is True, "not installed over https", out)
        check(any(nginx.url + "models/" in x["message"] for x in out.log),
              "the model was not fetched over https", out)
    entry = active(store)
    check(entry["version"] == "2.0.0" and entry["url"].startswith("https://"),
          "active %r" % entry)


@test("https: a trusted CA's certificate for another host name is refused")
def _():
    certificates = test_certificates()
    store = store_v1("store-https-name")
    before = snapshot(store)
    with Nginx(copy_site(site_v1_v2(), "site-https-name"), tls=certificates["other"]) as nginx:
        remote_fails(store, "install", "--ca-file", certificates["ca"], server=nginx.url,
                     mentions=["certificate", "not trusted", ("host name", "name")])
    check(snapshot(store) == before, "the store changed")


@test("https: --ca-file must be a file of CA certificates")
def _():
    certificates = test_certificates()
    store = store_v1("store-https-ca-file")
    before = snapshot(store)
    expect_error("remote", "check", "--store", store, "--bundled", BUNDLED, "--server",
                 "https://127.0.0.1:1/", "--ca-file", tmp_path("absent.pem"),
                 mentions=["absent.pem", "--ca-file"])
    junk = write_text("junk.pem", "not a certificate\n")
    with Nginx(copy_site(site_v1_v2(), "site-https-junk"), tls=certificates["local"]) as nginx:
        remote_fails(store, "check", "--ca-file", junk, server=nginx.url,
                     mentions=["junk.pem", "CA certificates"])
    check(snapshot(store) == before, "the store changed")


@test("https: a redirect down to plain http is refused (manifest and model), naming it")
def _():
    certificates = test_certificates()
    ca = certificates["ca"]
    site = copy_site(site_v1_v2(), "site-https-downgrade")
    store = store_v1("store-https-downgrade")
    before = snapshot(store)
    with Served(site) as plain:
        # The same site over plain http: nothing may be fetched from it.
        to_plain = "location = /manifest.json { return 302 %smanifest.json; }\n" % plain.url
        shutil.copy(os.path.join(site, "manifest.json"), os.path.join(site, "same.json"))
        to_https = "location = /moved.json { return 302 /same.json; }"
        with Nginx(site, tls=certificates["local"], extra=to_plain + to_https) as nginx:
            for op in ("check", "install"):
                out = remote_fails(store, op, "--ca-file", ca, server=nginx.url,
                                   mentions=["refused the redirect to %smanifest.json" % plain.url,
                                             "fetching %smanifest.json" % nginx.url,
                                             "from https down to plain http"])
                check(any(e["step"] == "check" and "refused the redirect" in e["message"]
                          for e in out.errors()), "no check error in the log naming it", out)
            check('"GET /manifest.json HTTP/1.1" 302 ' in nginx.access_log(),
                  "nginx did not redirect: %s" % nginx.access_log())
            # https to https is still followed.
            out = remote_ok(store, "check", "--ca-file", ca, server=nginx.url + "moved.json")
            check(out.result["check"]["http_status"] == 200, "not checked through a redirect", out)
        to_plain = "location /models/ { return 302 %s$request_uri; }" % plain.url.rstrip("/")
        with Nginx(site, tls=certificates["local"], extra=to_plain) as nginx:
            out = remote_fails(store, "install", "--ca-file", ca, server=nginx.url,
                               mentions=["refused the redirect to %smodels/" % plain.url,
                                         "from https down to plain http"])
            check(any(e["step"] == "download" and "refused the redirect" in e["message"]
                      for e in out.errors()), "no download error in the log naming it", out)
        check(plain.log() == [], "the plain http server was asked: %r" % plain.log())
    check(snapshot(store) == before, "the store changed after a refused redirect")
    entry = active(store)
    check(entry["version"] == "1.0.0", "the active model is now %r" % entry)


@test("redirects: one (manifest and model) is followed; up to the limit works")
def _():
    store = store_v1("store-redirect")
    with Served(site_v1_v2(), "redirect=/manifest.json:1", "redirect=*.mlmodel:5") as server:
        out = remote_ok(store, "install", server=server.url)
        check(out.result["installed"] is True, "not installed through redirects", out)
        log = server.log()
        manifest = [entry[2] for entry in log if entry[1].startswith("/manifest.json")]
        model = [entry[2] for entry in log if ".mlmodel" in entry[1]]
        check(manifest[:2] == [302, 200] and model == [302] * 5 + [200],
              "requests %r" % log)
    check(active(store)["version"] == "2.0.0", "active %r" % active(store))


@test("redirects: more than the limit (default 5, --max-redirects N) fail clearly")
def _():
    out, server = fault_case("store-redirect-loop", site_v1_v2(), "redirect=*.mlmodel:6",
                             mentions=["too many redirects", "limit 5"])
    check(len([entry for entry in server.log() if entry[2] == 302]) == 6,
          "the sixth redirect was not followed: %r" % server.log())
    fault_case("store-redirect-none", site_v1_v2(), "redirect=/manifest.json:1",
               args=("--max-redirects", "0"), mentions=["too many redirects", "limit 0"],
               op="check")
    expect_usage("remote", "check", "--store", tmp_path("store-redirect-usage"), "--server",
                 "http://127.0.0.1:1/", "--max-redirects", "-2", mentions=["--max-redirects"])


@test("remote install: Ctrl-C cancels; the active model stays, the partial file is kept")
def _():
    store = store_v1("store-cancel")
    before = snapshot(store)
    with Served(site_v1_v2(), "drip=*.mlmodel:100") as server:
        proc = subprocess.Popen([CLI, "remote", "install", "--store", store, "--bundled", BUNDLED,
                                 "--server", server.url, "--json"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            # Cancel once the model is arriving (a progress report of some bytes).
            lines = []
            for line in proc.stdout:
                lines.append(line)
                event = json.loads(line)
                if event.get("event") == "progress" and event["received"] > 0:
                    break
            check(lines and json.loads(lines[-1]).get("event") == "progress",
                  "no progress before the end: %r" % lines)
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=20)
            out = "".join(lines) + out
        except BaseException:
            proc.kill()
            proc.communicate()
            raise
    check(proc.returncode == 1 and "cancelled" in err, "exit %r, stderr %r" % (proc.returncode,
                                                                          err))
    result = json.loads(out.splitlines()[-1])
    check(result["event"] == "result" and result["status"] == "cancelled", "result %r" % result)
    check(snapshot(store) == before, "a cancelled install changed the store")


# ---- remote: rollback, reset, personalization ----

@test("remote rollback and reset")
def _():
    store = fresh_dir("store-rollback")
    with Served(site_v1_v2()) as server:
        remote_ok(store, "install", "1.0.0", server=server.url)
        remote_ok(store, "install", server=server.url)
    doc = status(store)
    check(doc["active"]["version"] == "2.0.0" and doc["previous"]["version"] == "1.0.0",
          "before rollback %r / %r" % (doc["active"], doc["previous"]))
    out = remote_ok(store, "rollback")
    check(any(x["step"] == "rollback" for x in out.log), "no rollback entry", out)
    doc = status(store)
    check(doc["active"]["version"] == "1.0.0" and doc["previous"]["version"] == "2.0.0",
          "after rollback %r / %r" % (doc["active"], doc["previous"]))
    check(predict_label(doc["active"]["path"], "20,20") != "comet", "1.0.0 knows comets")
    # A check does not offer the version rolled back from again.
    with Served(site_v1_v2()) as server:
        out = remote_ok(store, "check", server=server.url)
        check(out.result["check"]["outcome"] == "no-update", "check %r" % out.result["check"])
    out = remote_ok(store, "reset")
    doc = status(store)
    check(doc["active"]["source"] == "bundled" and doc["previous"]["version"] == "1.0.0",
          "after reset %r / %r" % (doc["active"], doc["previous"]))
    r = expect_ok("remote", "reset", "--store", store, "--bundled", BUNDLED)
    check("bundled" in r.out, "text reset: %r" % r.out)
    empty = fresh_dir("store-no-previous")
    remote_fails(empty, "rollback", mentions=["previous"])


@test("remote: personalization survives an update (--examples re-applied to the new model)")
def _():
    store = fresh_dir("store-personal")
    with Served(site_v1_v2()) as server:
        remote_ok(store, "install", "1.0.0", "--examples", examples_csv(), server=server.url)
        entry = active(store)
        check(entry["personalized"] and entry["personal_path"], "not personalized: %r" % entry)
        check(predict_label(entry["personal_path"], "30,-10") == "planet", "1.0.0 lost the planet")
        out = remote_ok(store, "install", "--examples", examples_csv(), server=server.url)
        check(any(x["step"] == "personalize" for x in out.log), "no personalize entry", out)
    entry = active(store)
    check(entry["version"] == "2.0.0" and entry["personalized"], "active %r" % entry)
    check(predict_label(entry["personal_path"], "30,-10") == "planet", "2.0.0 lost the planet")
    check(predict_label(entry["personal_path"], "20,20") == "comet", "2.0.0 lost its comets")
    check(predict_label(entry["path"], "30,-10") != "planet", "the base model was changed")
    out = remote_ok(store, "rollback", "--examples", examples_csv())
    entry = active(store)
    check(entry["version"] == "1.0.0" and entry["personalized"]
          and predict_label(entry["personal_path"], "30,-10") == "planet",
          "rollback lost the planet: %r" % entry)


@test("remote: channels, rollout and the minimum app version decide what applies")
def _():
    site = copy_site(site_v1_v2(), "site-audience")
    publish(site, model_v2(), "5.0.0", "--channel", "beta")
    publish(site, model_v2(), "6.0.0", "--min-app-version", "99.0")
    publish(site, model_v2(), "7.0.0", "--rollout", "0")
    store = store_v1("store-audience")
    with Served(site) as server:
        out = remote_ok(store, "check", server=server.url)
        check(out.result["check"]["candidate"]["version"] == "2.0.0",
              "stable: %r" % out.result["check"])
        out = remote_ok(store, "check", "--channel", "beta", server=server.url)
        check(out.result["check"]["candidate"]["version"] == "5.0.0",
              "beta: %r" % out.result["check"])
        out = remote_ok(store, "check", "--app-version", "99.1", server=server.url)
        check(out.result["check"]["candidate"]["version"] == "6.0.0",
              "app 99.1: %r" % out.result["check"])
    available = {a["version"]: a for a in status(store)["available"]}
    check(not available["7.0.0"]["applies"] and available["7.0.0"]["reason"],
          "rollout 0%%: %r" % available["7.0.0"])


if __name__ == "__main__":
    sys.exit(main())
