#!/usr/bin/env python3
# test-cli.py: inkling-cli end to end (exit statuses, messages, text and JSON output)
#
# SPDX-License-Identifier: MIT
#
# Usage: test-cli.py PATH/TO/inkling-cli MODELS_DIR
# MODELS_DIR holds what make-cli-models wrote. Every expected prediction is
# computed here, independently of the engine, from the parameters
# make-cli-models.c uses (mirrored below: keep the two in step). Prints TAP.

import json
import math
import os
import random
import re
import signal
import struct
import subprocess
import sys
import zlib

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import taptest  # noqa: E402
from taptest import check, main, scratch, skip, test, tmp_path  # noqa: E402

CLI = sys.argv[1]
MODELS = sys.argv[2]
TMP = scratch("inkling-cli-test-")


def model(name):
    return os.path.join(MODELS, name)


def run(*args):
    return taptest.run([CLI, *args], ["inkling-cli", *args], timeout=60)


def expect_ok(*args):
    r = run(*args)
    check(r.rc == 0, "expected exit 0", r)
    check(r.err == "", "expected nothing on stderr", r)
    return r


def expect_error(*args, mentions=()):
    r = run(*args)
    check(r.rc == 1, "expected exit 1 (error)", r)
    check(r.err.startswith("inkling-cli: ") and len(r.err.strip()) > len("inkling-cli:"),
          "expected an 'inkling-cli: <message>' on stderr", r)
    check(r.out == "", "expected nothing on stdout", r)
    for word in mentions:
        check(word in r.err, "expected the message to mention %r" % word, r)
    return r


def expect_usage(*args):
    r = run(*args)
    check(r.rc == 2, "expected exit 2 (usage error)", r)
    check(r.err.strip() != "", "expected a message on stderr", r)
    return r


def expect_json(*args):
    r = expect_ok(*args)
    try:
        return json.loads(r.out)
    except ValueError as e:
        raise AssertionError("output is not JSON: %s\n%s" % (e, r.describe()))


def predict_json(name, *args):
    doc = expect_json("predict", model(name), "--json", *args)
    check(isinstance(doc, dict) and list(doc.keys()) == ["outputs"],
          "expected exactly {\"outputs\": {...}}, got %r" % (doc,))
    check(isinstance(doc["outputs"], dict), "outputs is not an object")
    return doc["outputs"]


def predict_text(name, *args):
    """The NAME: VALUE lines of a text prediction, as a dict."""
    r = expect_ok("predict", model(name), *args)
    lines = {}
    for line in r.out.splitlines():
        key, sep, value = line.partition(": ")
        check(sep != "", "not a NAME: VALUE line: %r" % line, r)
        lines[key] = value
    return lines


def close(a, b, tol):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def check_close(got, want, tol, what):
    check(isinstance(got, (int, float)) and not isinstance(got, bool),
          "%s: %r is not a number" % (what, got))
    check(close(got, want, tol), "%s: got %r, expected %r" % (what, got, want))


def vec(values):
    return ",".join(repr(v) for v in values)


# ---- The models' parameters, as make-cli-models.c builds them ----

GLM_WEIGHTS = [0.5, -1.25, 2.0]
GLM_OFFSET = 0.75


def glm(x):
    return sum(w * v for w, v in zip(GLM_WEIGHTS, x)) + GLM_OFFSET


TREE_LABELS = ["cat", "dog", "bird"]


def tree_classifier(x):
    """Scores of the leaf x reaches, softmaxed; returns (label, probabilities)."""
    if x[0] <= 0.5:
        scores = [2.0, 0.0, 0.0]
    elif x[1] <= 0.0:
        scores = [0.0, 1.5, 0.0]
    else:
        scores = [0.5, 0.0, 3.0]
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    probs = {label: e / sum(exps) for label, e in zip(TREE_LABELS, exps)}
    return TREE_LABELS[scores.index(top)], probs


KNN_STRING = [((0, 0), "sun"), ((0, 1), "sun"), ((1, 0), "sun"), ((5, 5), "moon"),
              ((5, 6), "moon"), ((6, 5), "moon"), ((10, 0), "star"), ((10, 1), "star")]
KNN_INT = [((0, 0), 10), ((4, 0), 20), ((0, 4), 30)]


def knn(examples, k, q):
    """Majority label among the k nearest (squared Euclidean); the test
    points are chosen so that neither distances nor votes tie."""
    ranked = sorted(examples, key=lambda e: (e[0][0] - q[0]) ** 2 + (e[0][1] - q[1]) ** 2)
    dist = [(e[0][0] - q[0]) ** 2 + (e[0][1] - q[1]) ** 2 for e in ranked]
    assert len(dist) <= k or dist[k - 1] != dist[k], "test point %r ties" % (q,)
    votes = {}
    for _, label in ranked[:k]:
        votes[label] = votes.get(label, 0) + 1
    best = sorted(votes.items(), key=lambda kv: -kv[1])
    assert len(best) == 1 or best[0][1] != best[1][1], "test point %r ties" % (q,)
    return best[0][0]


NN_FEATURES = 20


def nn(pixels):
    """Inner product of pixels / 255 with make-cli-models' weights."""
    out = []
    for r in range(NN_FEATURES):
        s = sum(((r * 7 + k * 3) % 11 - 5) / 64.0 * p / 255.0 for k, p in enumerate(pixels))
        out.append(s + r * 0.125)
    return out


# A gray level off by one in each pixel moves a feature by at most
# 64 * 5/64 / 255: the tolerance for values that went through an image.
NN_TOL = 0.025


def read_png(path):
    """Decodes an 8-bit, non-interlaced PNG into (width, height, channels,
    rows of samples): just enough to read what ink_image_save_png writes."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, depth, color, _, _, interlace = header
    assert depth == 8 and interlace == 0, "unsupported PNG"
    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev, pos = [], [0] * stride, 0
    for _ in range(height):
        ftype, line = raw[pos], list(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 255
            elif ftype == 2:
                line[i] = (line[i] + b) & 255
            elif ftype == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def png_gray_8x8(path):
    """The PNG as 8x8 gray levels: Rec. 601 luma, area-averaged down."""
    width, height, channels, rows = read_png(path)
    gray = []
    for row in rows:
        line = []
        for x in range(width):
            px = row[x * channels:(x + 1) * channels]
            line.append(px[0] if channels < 3 else
                        0.299 * px[0] + 0.587 * px[1] + 0.114 * px[2])
        gray.append(line)
    fx, fy = width // 8, height // 8
    return [sum(gray[y * fy + j][x * fx + i] for j in range(fy) for i in range(fx)) / (fx * fy)
            for y in range(8) for x in range(8)]


# ---- Usage ----

@test("--help prints the usage and exits 0")
def _():
    r = expect_ok("--help")
    for word in ("inspect", "predict", "--json"):
        check(word in r.out, "usage lacks %r" % word, r)


@test("help, and help COMMAND, exit 0")
def _():
    r = expect_ok("help")
    check("predict" in r.out, "usage lacks the commands", r)
    r = expect_ok("help", "predict")
    check("--input" in r.out and "--image" in r.out, "predict's help lacks its options", r)
    r = expect_ok("inspect", "--help")
    check("MODEL" in r.out and "--json" in r.out, "inspect's help lacks MODEL/--json", r)


@test("--version prints the version")
def _():
    r = expect_ok("--version")
    check(re.match(r"inkling-cli \S+", r.out), "unexpected version line", r)


@test("no command is a usage error")
def _():
    expect_usage()


@test("an unknown command is a usage error")
def _():
    r = expect_usage("frobnicate", model("glm.inkmodel"))
    check("frobnicate" in r.err, "message does not name the command", r)


@test("unknown options are usage errors")
def _():
    expect_usage("--bogus")
    expect_usage("inspect", model("glm.inkmodel"), "--bogus")
    expect_usage("predict", model("glm.inkmodel"), "--input", "x=1,2,3", "--frob")
    # The command line is checked before the model is opened.
    expect_usage("inspect", "/nonexistent/model.inkmodel", "--bogus")


@test("a missing MODEL is a usage error")
def _():
    expect_usage("inspect")
    expect_usage("inspect", "--json")
    expect_usage("predict")
    expect_usage("predict", "--input", "x=1,2,3")


@test("an extra argument is a usage error")
def _():
    expect_usage("inspect", model("glm.inkmodel"), model("glm.inkmodel"))
    expect_usage("predict", model("glm.inkmodel"), "1,2,3")


@test("a malformed --input is a usage error")
def _():
    expect_usage("predict", model("glm.inkmodel"), "--input", "x")
    expect_usage("predict", model("glm.inkmodel"), "--input", "=1,2,3")
    expect_usage("predict", model("glm.inkmodel"), "--input")


# ---- Model files ----

@test("a missing model file is an error")
def _():
    expect_error("inspect", tmp_path("absent.inkmodel"), mentions=["absent.inkmodel"])
    expect_error("predict", tmp_path("absent.inkmodel"), "--input", "x=1,2,3")


@test("a garbage file is an error")
def _():
    rng = random.Random(7)
    path = tmp_path("garbage.inkmodel")
    with open(path, "wb") as f:
        f.write(bytes(rng.randrange(256) for _ in range(4096)))
    expect_error("inspect", path)
    with open(path, "wb") as f:
        f.write(b"INKMODEL" + bytes(rng.randrange(256) for _ in range(4096)))
    expect_error("inspect", path)
    expect_error("predict", path, "--input", "x=1,2,3")


@test("truncated copies of a model are errors, never crashes")
def _():
    with open(model("glm.inkmodel"), "rb") as f:
        data = f.read()
    for size in sorted({0, 4, 8, 12, 16, 32, 64, len(data) // 2, len(data) - 1}):
        path = tmp_path("truncated-%d.inkmodel" % size)
        with open(path, "wb") as f:
            f.write(data[:size])
        expect_error("inspect", path)


@test("a model with an altered byte is an error")
def _():
    # Bytes in the header, the description and the weights (the last bytes
    # of nn-image.inkmodel are its biases); padding between sections is
    # left alone, as it carries nothing.
    for name, ats in (("glm.inkmodel", (12, 20, 100, "middle")),
                      ("nn-image.inkmodel", (100, "middle", "end"))):
        with open(model(name), "rb") as f:
            data = f.read()
        for at in ats:
            at = {"middle": len(data) // 2, "end": len(data) - 3}.get(at, at)
            altered = bytearray(data)
            altered[at] ^= 0x5A
            path = tmp_path("altered-%d-%s" % (at, name))
            with open(path, "wb") as f:
                f.write(altered)
            expect_error("inspect", path)


@test("a Core ML .mlmodel is compiled in memory, compiled to a file and exported back")
def _():
    path = os.path.join(os.environ.get("INKLING_FIXTURES", "/nonexistent"),
                        "seed-site", "MyFirstCustomModel.bundled.mlmodel")
    if not os.path.exists(path):
        skip("../shared/fixtures is absent: the seed site's model is not available")
    r = expect_ok("inspect", path)
    check("treeEnsembleClassifier" in r.out and "classLabel" in r.out,
          "inspect of the seed model lacks its kind or output", r)
    direct = expect_json("predict", path, "--input", "input=0.25,1", "--json")
    compiled = tmp_path("seed.inkmodel")
    expect_ok("compile", path, compiled)
    via_file = expect_json("predict", compiled, "--input", "input=0.25,1", "--json")
    check(direct == via_file, "the compiled file predicts differently", None)
    exported = tmp_path("seed-export.mlmodel")
    expect_ok("export", compiled, exported)
    again = expect_json("predict", exported, "--input", "input=0.25,1", "--json")
    check(again == direct, "the exported model predicts differently", None)
    check(set(direct["outputs"]) == {"classLabel", "classProbability"},
          "unexpected outputs %r" % (direct["outputs"],), None)


@test("compile and export refuse bad input with exit 1, and bad usage with exit 2")
def _():
    expect_usage("compile")
    expect_usage("compile", "in.mlmodel")
    expect_usage("export", model("glm.inkmodel"))
    garbage = tmp_path("garbage.mlmodel")
    with open(garbage, "wb") as f:
        f.write(b"\x08\x04\x12\xff\xff\xff\x0f")
    expect_error("compile", garbage, tmp_path("out.inkmodel"))
    check(not os.path.exists(tmp_path("out.inkmodel")), "a failed compile left a file", None)
    expect_error("compile", "/nonexistent/in.mlmodel", tmp_path("out2.inkmodel"))
    expect_error("compile", model("glm.inkmodel"), tmp_path("out3.inkmodel"),
                 mentions=("already a compiled .inkmodel",))
    expect_error("export", model("glm.inkmodel"), "/nonexistent-dir/out.mlmodel")


# ---- inspect ----

@test("inspect prints kind, metadata, inputs and outputs")
def _():
    r = expect_ok("inspect", model("glm.inkmodel"))
    for word in ("glmRegressor", "Inputs", "Outputs", "x", "MultiArray", "Three measurements",
                 "y", "Double", "Inkling tests", "1.2", "MIT", "com.example.source",
                 "make-cli-models", "Updatable: no"):
        check(word in r.out, "inspect output lacks %r" % word, r)


@test("inspect shows training inputs and update parameters")
def _():
    r = expect_ok("inspect", model("knn-string.inkmodel"))
    for word in ("kNearestNeighborsClassifier", "Training inputs", "label", "Updatable: yes",
                 "numberOfNeighbors", "default 3", "[1, 7]"):
        check(word in r.out, "inspect output lacks %r" % word, r)
    r = expect_ok("inspect", model("knn-int.inkmodel"))
    check("{1, 3}" in r.out, "inspect output lacks the allowed set", r)


@test("inspect --json: the GLM's description")
def _():
    doc = expect_json("inspect", model("glm.inkmodel"), "--json")
    check(doc["kind"] == "glmRegressor", "kind: %r" % doc["kind"])
    check(isinstance(doc["specificationVersion"], int), "specificationVersion is not an int")
    check(doc["metadata"] == {
        "shortDescription": "A linear regressor over three measurements",
        "version": "1.2", "author": "Inkling tests", "license": "MIT",
        "userDefined": {"com.example.source": "make-cli-models"}},
        "metadata: %r" % doc["metadata"])
    check(doc["inputs"] == [{
        "name": "x", "shortDescription": "Three measurements",
        "type": {"type": "MultiArray", "dataType": "Float64", "shape": [3]},
        "optional": False}], "inputs: %r" % doc["inputs"])
    check(doc["outputs"] == [{"name": "y", "shortDescription": "The estimate",
                              "type": {"type": "Double"}, "optional": False}],
          "outputs: %r" % doc["outputs"])
    check(doc["trainingInputs"] == [], "trainingInputs: %r" % doc["trainingInputs"])
    check(doc["predictedFeatureName"] == "y", "predictedFeatureName")
    check(doc["predictedProbabilitiesName"] is None, "predictedProbabilitiesName")
    check(doc["isUpdatable"] is False, "isUpdatable")
    check(doc["updateParameters"] == [], "updateParameters")


@test("inspect --json: a classifier's outputs and probabilities name")
def _():
    doc = expect_json("inspect", model("tree-classifier.inkmodel"), "--json")
    check(doc["kind"] == "treeEnsembleClassifier", "kind: %r" % doc["kind"])
    outputs = {o["name"]: o["type"] for o in doc["outputs"]}
    check(outputs == {"classLabel": {"type": "String"},
                      "classProbability": {"type": "Dictionary", "keyType": "String"}},
          "outputs: %r" % outputs)
    check(doc["predictedFeatureName"] == "classLabel", "predictedFeatureName")
    check(doc["predictedProbabilitiesName"] == "classProbability", "predictedProbabilitiesName")
    check(doc["inputs"][0]["type"] == {"type": "MultiArray", "dataType": "Float32",
                                       "shape": [2]}, "input type: %r" % doc["inputs"][0])


@test("inspect --json: an image input and multi-array outputs")
def _():
    doc = expect_json("inspect", model("nn-image.inkmodel"), "--json")
    check(doc["kind"] == "neuralNetwork", "kind: %r" % doc["kind"])
    check(doc["inputs"][0]["name"] == "image", "input name")
    check(doc["inputs"][0]["type"] == {"type": "Image", "width": 8, "height": 8,
                                       "pixelFormat": "Gray8"},
          "image type: %r" % doc["inputs"][0]["type"])
    outputs = {o["name"]: o["type"] for o in doc["outputs"]}
    check(outputs["grid"] == {"type": "MultiArray", "dataType": "Float32", "shape": [1, 4, 5]},
          "grid type: %r" % outputs)


@test("inspect --json: updatable k-NN with a range and a set")
def _():
    doc = expect_json("inspect", model("knn-string.inkmodel"), "--json")
    check(doc["isUpdatable"] is True, "isUpdatable")
    check([t["name"] for t in doc["trainingInputs"]] == ["features", "label"],
          "trainingInputs: %r" % doc["trainingInputs"])
    params = {p["key"]: p for p in doc["updateParameters"]}
    k = params.get("numberOfNeighbors")
    check(k is not None, "no numberOfNeighbors in %r" % doc["updateParameters"])
    check(k["type"] == "Int64" and k["default"] == 3 and k["range"] == [1, 7]
          and "set" not in k, "numberOfNeighbors: %r" % k)
    doc = expect_json("inspect", model("knn-int.inkmodel"), "--json")
    k = {p["key"]: p for p in doc["updateParameters"]}["numberOfNeighbors"]
    check(k["default"] == 1 and k["set"] == [1, 3] and "range" not in k,
          "numberOfNeighbors: %r" % k)
    outputs = {o["name"]: o["type"] for o in doc["outputs"]}
    check(outputs["label"] == {"type": "Int64"} and
          outputs["labelProbability"] == {"type": "Dictionary", "keyType": "Int64"},
          "outputs: %r" % outputs)


# ---- predict ----

@test("predict: the GLM gives w.x + b, in full precision")
def _():
    for x in ([1, 2, 3], [0.1, 0.2, 0.3], [-7.5, 1e-3, 123456.789], [1 / 3, 2 / 7, 5 / 11]):
        out = predict_json("glm.inkmodel", "--input", "x=" + vec(x))
        check(list(out.keys()) == ["y"], "outputs: %r" % out)
        check_close(out["y"], glm(x), 1e-12, "y for %r" % x)
        text = predict_text("glm.inkmodel", "--input", "x=" + vec(x))
        check_close(float(text["y"]), glm(x), 1e-12, "text y for %r" % x)


@test("predict: the tree classifier's label and probabilities either side of its splits")
def _():
    for x in ([0.2, 5.0], [0.49, -3.0], [0.51, -0.5], [3.0, -2.0], [0.75, 0.25], [9.0, 9.0]):
        label, probs = tree_classifier(x)
        out = predict_json("tree-classifier.inkmodel", "--input", "features=" + vec(x))
        check(out["classLabel"] == label, "label for %r: %r, expected %r"
              % (x, out["classLabel"], label))
        got = out["classProbability"]
        check(isinstance(got, dict) and set(got) == set(probs), "probabilities: %r" % got)
        for name, p in probs.items():
            check_close(got[name], p, 1e-6, "P(%s) for %r" % (name, x))


@test("predict: text dictionaries are sorted by value, highest first")
def _():
    x = [0.9, 1.0]
    label, probs = tree_classifier(x)
    text = predict_text("tree-classifier.inkmodel", "--input", "features=" + vec(x))
    check(text["classLabel"] == label, "label: %r" % text)
    entries = re.findall(r"(\w+) \(([-0-9.e]+)\)", text["classProbability"])
    check([e[0] for e in entries] == sorted(probs, key=lambda k: -probs[k]),
          "order: %r" % text["classProbability"])
    for name, value in entries:
        check_close(float(value), probs[name], 1e-3, "P(%s)" % name)


@test("predict: Double and Int64 inputs")
def _():
    for x, y in ((0.2, 1.75), (-4.0, 1.75), (0.9, -2.25), (1e6, -2.25)):
        out = predict_json("tree-double.inkmodel", "--input", "x=%r" % x)
        check_close(out["y"], y, 1e-12, "y for x=%r" % x)
    for n, y in ((3, 100.25), (-5, 100.25), (10, 100.25), (11, 200.25), (9000000000, 200.25)):
        out = predict_json("tree-int.inkmodel", "--input", "n=%d" % n)
        check_close(out["y"], y, 1e-12, "y for n=%d" % n)
        text = predict_text("tree-int.inkmodel", "--input", "n=%d" % n)
        check_close(float(text["y"]), y, 1e-12, "text y for n=%d" % n)


@test("predict: k-NN gives the nearest examples' majority label")
def _():
    for q in ([0.2, 0.3], [4.0, 4.5], [9.0, 0.2], [8.5, 2.5], [2.0, 1.5], [6.0, 7.0]):
        want = knn(KNN_STRING, 3, q)
        out = predict_json("knn-string.inkmodel", "--input", "features=" + vec(q))
        check(out["label"] == want, "label for %r: %r, expected %r" % (q, out["label"], want))
        text = predict_text("knn-string.inkmodel", "--input", "features=" + vec(q))
        check(text["label"] == want, "text label for %r: %r" % (q, text))


@test("predict: int64 labels, and int64 dictionary keys as decimal strings")
def _():
    for q in ([0.5, 0.5], [3.5, 0.2], [0.1, 3.0], [3.0, 2.0], [-1.0, 2.5]):
        want = knn(KNN_INT, 1, q)
        out = predict_json("knn-int.inkmodel", "--input", "features=" + vec(q))
        check(out["label"] == want and isinstance(out["label"], int),
              "label for %r: %r, expected %r" % (q, out["label"], want))
        probs = out["labelProbability"]
        check(isinstance(probs, dict) and str(want) in probs, "probabilities: %r" % probs)
        check(all(re.fullmatch(r"-?\d+", k) for k in probs), "keys: %r" % list(probs))
        check(probs[str(want)] == max(probs.values()), "the label is not the most probable")
        text = predict_text("knn-int.inkmodel", "--input", "features=" + vec(q))
        check(text["label"] == str(want), "text label: %r" % text)
        check(text["labelProbability"].startswith(str(want) + " ("), "text: %r" % text)


@test("predict --image: the network's features from a PNG")
def _():
    want = nn(png_gray_8x8(model("digit.png")))
    for args in (["--image", model("digit.png")], ["--image", "image=" + model("digit.png")],
                 ["--input", "image=" + model("digit.png")]):
        out = predict_json("nn-image.inkmodel", *args)
        got = out["features"]
        check(isinstance(got, list) and len(got) == NN_FEATURES, "features: %r" % got)
        for i, (g, w) in enumerate(zip(got, want)):
            check_close(g, w, NN_TOL, "feature %d" % i)
        grid = out["grid"]
        check(isinstance(grid, list) and len(grid) == 1 and len(grid[0]) == 4 and
              all(isinstance(row, list) and len(row) == 5 for row in grid[0]),
              "grid is not nested as [1, 4, 5]: %r" % grid)
        check([v for row in grid[0] for v in row] == got, "grid does not hold the features")


@test("predict --image: a larger RGBA image is converted to the input's constraint")
def _():
    want = nn(png_gray_8x8(model("big.png")))
    out = predict_json("nn-image.inkmodel", "--image", model("big.png"))
    for i, (g, w) in enumerate(zip(out["features"], want)):
        check_close(g, w, NN_TOL, "feature %d" % i)


@test("predict: text multi-arrays show 16 values then the count")
def _():
    want = nn(png_gray_8x8(model("digit.png")))
    text = predict_text("nn-image.inkmodel", "--image", model("digit.png"))
    m = re.fullmatch(r"\[(.*), … \((\d+) values\)\]", text["features"])
    check(m is not None, "features: %r" % text["features"])
    values = [float(v) for v in m.group(1).split(", ")]
    check(len(values) == 16 and int(m.group(2)) == NN_FEATURES, "features: %r" % text)
    for i, (g, w) in enumerate(zip(values, want)):
        check_close(g, w, NN_TOL, "feature %d" % i)


# ---- predict errors ----

@test("predict: an unknown input name is an error listing the inputs")
def _():
    expect_error("predict", model("glm.inkmodel"), "--input", "bogus=1,2,3",
                 mentions=["bogus", "x"])
    expect_error("predict", model("nn-image.inkmodel"), "--image", "bogus=" + model("digit.png"),
                 mentions=["bogus", "image"])


@test("predict: numbers that do not parse are errors")
def _():
    expect_error("predict", model("glm.inkmodel"), "--input", "x=1,abc,3", mentions=["abc"])
    expect_error("predict", model("glm.inkmodel"), "--input", "x=1,,3")
    expect_error("predict", model("tree-double.inkmodel"), "--input", "x=abc", mentions=["abc"])
    expect_error("predict", model("tree-double.inkmodel"), "--input", "x=1.5abc")
    expect_error("predict", model("tree-double.inkmodel"), "--input", "x=")
    expect_error("predict", model("tree-int.inkmodel"), "--input", "n=1.5")
    expect_error("predict", model("tree-int.inkmodel"), "--input", "n=12x")


@test("predict: a multi-array with the wrong count is an error")
def _():
    expect_error("predict", model("glm.inkmodel"), "--input", "x=1,2", mentions=["3"])
    expect_error("predict", model("glm.inkmodel"), "--input", "x=1,2,3,4")
    expect_error("predict", model("glm.inkmodel"), "--input", "x=")


@test("predict: a missing input is reported by the engine")
def _():
    expect_error("predict", model("glm.inkmodel"), mentions=["x"])
    expect_error("predict", model("nn-image.inkmodel"), mentions=["image"])


@test("predict: an image for a non-image input is a type error")
def _():
    expect_error("predict", model("tree-double.inkmodel"), "--image", "x=" + model("digit.png"))


@test("predict --image: no image input, missing and undecodable files")
def _():
    expect_error("predict", model("glm.inkmodel"), "--image", model("digit.png"),
                 mentions=["image"])
    expect_error("predict", model("nn-image.inkmodel"), "--image", tmp_path("absent.png"))
    path = tmp_path("garbage.png")
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    expect_error("predict", model("nn-image.inkmodel"), "--image", path)


# ---- update ----

REGRESSOR_W = (2.0, -1.0)
REGRESSOR_B = 0.5


def regressor_rows(n=16):
    """Points of y = 2 x0 - x1 + 0.5 on a small grid."""
    rows = []
    for i in range(n):
        x0, x1 = (i % 4) / 2.0 - 0.75, (i // 4) / 2.0 - 0.75
        rows.append(((x0, x1), REGRESSOR_W[0] * x0 + REGRESSOR_W[1] * x1 + REGRESSOR_B))
    return rows


def write_file(name, text):
    path = tmp_path(name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        f.write(text)
    return path


def regressor_csv(name="regressor.csv"):
    lines = ["x,y_true"] + ['"%r,%r",%r' % (x[0], x[1], y) for x, y in regressor_rows()]
    return write_file(name, "\n".join(lines) + "\n")


def read_bytes(path):
    with open(path, "rb") as f:
        return f.read()


def copy_model(name, to):
    path = tmp_path(to)
    with open(path, "wb") as f:
        f.write(read_bytes(model(name)))
    return path


def json_lines(result):
    """Every stdout line as JSON; fails on any line that is not."""
    docs = []
    for line in result.out.splitlines():
        try:
            docs.append(json.loads(line))
        except ValueError as e:
            raise AssertionError("not a JSON line: %r (%s)\n%s" % (line, e, result.describe()))
    check(docs, "no JSON lines", result)
    for doc in docs:
        check(isinstance(doc, dict) and isinstance(doc.get("event"), str),
              "a JSON line without an event: %r" % (doc,), result)
    return docs


def check_events_in_order(docs, n_examples, result):
    """trainingBegin, then per epoch its mini-batches and epochEnd, then
    the result; returns the epochEnd lines."""
    check(docs[0]["event"] == "trainingBegin", "the first line is not trainingBegin", result)
    check(docs[-1]["event"] == "result", "the last line is not the result", result)
    epochs = docs[0]["epochs"]
    batches = docs[0]["miniBatches"]
    check(isinstance(epochs, int) and epochs >= 1 and isinstance(batches, int) and batches >= 1,
          "trainingBegin lacks epochs/miniBatches: %r" % docs[0], result)
    expected = []
    for e in range(epochs):
        expected += [("miniBatchEnd", e, b) for b in range(batches)] + [("epochEnd", e, None)]
    got = [(d["event"], d["epoch"], d["miniBatch"] if d["event"] == "miniBatchEnd" else None)
           for d in docs[1:-1]]
    check(got == expected, "events out of order: %r" % got[:12], result)
    seen = [d["examplesSeen"] for d in docs[1:-1]]
    check(seen == sorted(seen) and seen[-1] == epochs * n_examples,
          "examplesSeen: %r" % seen[:12], result)
    for d in docs[1:-1]:
        for key in ("epoch", "miniBatch", "loss", "examplesSeen", "epochs", "miniBatches"):
            check(key in d, "an event lacks %r: %r" % (key, d), result)
    return [d for d in docs if d["event"] == "epochEnd"]


def predicted_label(path, *args):
    doc = expect_json("predict", path, "--json", *args)
    return doc["outputs"]["label"]


@test("update --help describes its options")
def _():
    r = expect_ok("update", "--help")
    for word in ("--examples", "--label", "--image", "--param", "--threads", "--json", "-o"):
        check(word in r.out, "update's help lacks %r" % word, r)
    r = expect_ok("--help")
    check("update" in r.out, "the usage lacks update", r)


@test("update: usage errors exit 2 before any work")
def _():
    knn = model("knn-image.inkmodel")
    out = tmp_path("usage-out.inkmodel")
    digit = model("digit.png")
    expect_usage("update")
    expect_usage("update", "-o", out, "--label", "a", "--image", digit)
    expect_usage("update", knn, "--label", "a", "--image", digit)
    expect_usage("update", knn, "-o", out)
    expect_usage("update", knn, "-o", out, "--label", "a")
    expect_usage("update", knn, "-o", out, "--image", digit)
    expect_usage("update", knn, "-o", out, "--examples", TMP.name, "--label", "a", "--image", digit)
    expect_usage("update", knn, knn, "-o", out, "--label", "a", "--image", digit)
    expect_usage("update", knn, "-o", out, "--label", "a", "--image", digit, "--bogus")
    expect_usage("update", knn, "-o", out, "--label", "a", "--image", digit, "--threads", "-2")
    for param in ("numberOfNeighbors", "numberOfNeighbors=", "=3", "numberOfNeighbors=three",
                  "epochs=1x"):
        expect_usage("update", knn, "-o", out, "--label", "a", "--image", digit, "--param", param)
    r = expect_usage("update", knn, "-o", out, "--label", "a", "--image", digit,
                     "--param", "frobs=3")
    check("frobs" in r.err, "the message does not name the unknown parameter", r)
    # Checked before the model is opened.
    expect_usage("update", "/nonexistent/model.inkmodel", "-o", out)
    check(not os.path.exists(out), "a usage error wrote OUT")


@test("update --label/--image: a k-NN pipeline learns the images' label")
def _():
    base = model("knn-image.inkmodel")
    before = read_bytes(base)
    digit, big, inverse = model("digit.png"), model("big.png"), model("inverse.png")
    check(predicted_label(base, "--image", digit) == "unknown", "the empty k-NN knows a label")
    star = tmp_path("star.inkmodel")
    r = expect_ok("update", base, "-o", star, "--label", "star", "--image", digit)
    check(star in r.out and "epoch 1/1" in r.out, "no progress or result line", r)
    both = tmp_path("star-moon.inkmodel")
    expect_ok("update", star, "-o", both, "--label", "moon", "--image", inverse)
    check(read_bytes(base) == before, "MODEL changed")
    check(predicted_label(star, "--image", inverse) == "star", "one label: everything is it")
    for image, label in ((digit, "star"), (big, "star"), (inverse, "moon")):
        got = predicted_label(both, "--image", image)
        check(got == label, "%s: %r, expected %r" % (os.path.basename(image), got, label))
    # The personalized model records its base and its examples.
    meta = expect_json("inspect", both, "--json")["metadata"]["userDefined"]
    check(meta.get("inkling.update.examples") == "2", "inkling.update.examples: %r" % meta)
    check(meta.get("inkling.base.id", "") != "", "no inkling.base.id: %r" % meta)
    check(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta.get("inkling.update.time", "")),
          "inkling.update.time: %r" % meta)


@test("update --json: a k-NN update's events, then the result with its provenance")
def _():
    out = tmp_path("json-knn.inkmodel")
    r = expect_ok("update", model("knn-image.inkmodel"), "-o", out, "--json",
                  "--label", "star", "--image", model("digit.png"), "--image", model("big.png"))
    docs = json_lines(r)
    check_events_in_order(docs, 2, r)
    result = docs[-1]
    check(result["state"] == "completed" and result["output"] == out and result["examples"] == 2,
          "result: %r" % result, r)
    check("error" not in result, "a completed update reports an error", r)
    prov = result["provenance"]
    check(isinstance(prov, dict) and prov["examples"] == 2 and prov["baseId"]
          and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", prov["updatedAt"]),
          "provenance: %r" % prov, r)
    check(result["metrics"]["examplesSeen"] == 2, "metrics: %r" % result["metrics"], r)


@test("update --examples DIR: one folder per label")
def _():
    root = tmp_path("labels")
    for label, images in (("star", ("digit.png", "big.png")), ("moon", ("inverse.png",))):
        os.makedirs(os.path.join(root, label))
        for image in images:
            with open(os.path.join(root, label, image), "wb") as f:
                f.write(read_bytes(model(image)))
    write_file("labels/.hidden-notes", "ignored")
    out = tmp_path("labels.inkmodel")
    r = expect_ok("update", model("knn-image.inkmodel"), "-o", out, "--examples", root, "--json")
    check(json_lines(r)[-1]["examples"] == 3, "not 3 examples", r)
    for image, label in (("digit.png", "star"), ("big.png", "star"), ("inverse.png", "moon")):
        got = predicted_label(out, "--image", model(image))
        check(got == label, "%s: %r, expected %r" % (image, got, label))


@test("update --examples DIR: bad files and folders are errors naming them; nothing written")
def _():
    base = model("knn-image.inkmodel")
    out = tmp_path("bad-labels.inkmodel")
    root = tmp_path("bad-labels")
    os.makedirs(os.path.join(root, "star"))
    with open(os.path.join(root, "star", "digit.png"), "wb") as f:
        f.write(read_bytes(model("digit.png")))
    write_file("bad-labels/star/notes.txt", "not an image")
    expect_error("update", base, "-o", out, "--examples", root, mentions=["notes.txt"])
    os.remove(os.path.join(root, "star", "notes.txt"))
    os.makedirs(os.path.join(root, "empty"))
    expect_error("update", base, "-o", out, "--examples", root, mentions=["empty"])
    os.rmdir(os.path.join(root, "empty"))
    write_file("bad-labels/loose.png", "")
    expect_error("update", base, "-o", out, "--examples", root, mentions=["loose.png"])
    expect_error("update", base, "-o", out, "--examples", tmp_path("no-such-dir"),
                 mentions=["no-such-dir"])
    os.makedirs(tmp_path("no-labels"))
    expect_error("update", base, "-o", out, "--examples", tmp_path("no-labels"))
    check(not os.path.exists(out), "a failed update wrote OUT")


@test("update --examples FILE.csv: a network's loss goes down; JSON lines in order")
def _():
    base = model("nn-regressor.inkmodel")
    before = read_bytes(base)
    out = tmp_path("regressor.inkmodel")
    csv = regressor_csv()
    r = expect_ok("update", base, "-o", out, "--examples", csv, "--json",
                  "--param", "epochs=40", "--param", "miniBatchSize=4")
    docs = json_lines(r)
    ends = check_events_in_order(docs, 16, r)
    check(len(ends) == 40 and docs[0]["miniBatches"] == 4, "not 40 epochs of 4 mini-batches", r)
    losses = [d["loss"] for d in ends]
    check(all(isinstance(v, (int, float)) and v >= 0 for v in losses), "losses: %r" % losses, r)
    check(losses[-1] < losses[0] / 4, "the loss did not go down: %r" % losses, r)
    check(sum(b < a for a, b in zip(losses, losses[1:])) >= 30,
          "the loss did not go down epoch after epoch: %r" % losses, r)
    result = docs[-1]
    check(result["state"] == "completed" and result["examples"] == 16, "result: %r" % result, r)
    check(read_bytes(base) == before, "MODEL changed")
    y = expect_json("predict", out, "--input", "x=0.25,-0.25", "--json")["outputs"]["y"][0]
    check_close(y, 2 * 0.25 + 0.25 + 0.5, 0.25, "y for (0.25, -0.25)")


@test("update: human progress lines on stdout, one per epoch")
def _():
    out = tmp_path("regressor-text.inkmodel")
    r = expect_ok("update", model("nn-regressor.inkmodel"), "-o", out,
                  "--examples", regressor_csv(), "--param", "epochs=5")
    epochs = re.findall(r"^epoch (\d+)/5  loss (\d+\.\d+)$", r.out, re.M)
    check([int(e) for e, _ in epochs] == [1, 2, 3, 4, 5], "epoch lines: %r" % epochs, r)
    check(r.out.splitlines()[-1].startswith("updated ") and out in r.out,
          "no final line naming OUT", r)


@test("update --examples FILE.csv: errors name the file and line; nothing written")
def _():
    base = model("nn-regressor.inkmodel")
    out = tmp_path("bad-csv.inkmodel")
    cases = (
        ("x,y_true\n\"1,2\",3\n\"0,1\"\n", "3"),
        ("x,y_true\n\"1,2\",3\n\n\"0,abc\",1\n", "4"),
        ("x,y_true,z\n\"1,2\",3,4\n", "1"),
        ("x\n\"1,2\"\n", "1"),
        ("x,y_true\n\"1,2,3\",3\n", "2"),
        ("x,y_true\n\"1,2\",3\n\"1,2,3\n", "3"),
        ("x,y_true\n", None),
        ("", None),
    )
    for i, (text, line) in enumerate(cases):
        path = write_file("bad-%d.csv" % i, text)
        where = "bad-%d.csv" % i + (":" + line if line else "")
        expect_error("update", base, "-o", out, "--examples", path, mentions=[where])
    # CRLF line ends, a byte-order mark and blank lines are fine.
    text = "\ufeffx,y_true\r\n\r\n\"0.5,1\",0.5\r\n\"1,0\",2.5\r\n"
    ok = tmp_path("crlf.inkmodel")
    expect_ok("update", base, "-o", ok, "--examples", write_file("crlf.csv", text),
              "--param", "epochs=1")
    check(not os.path.exists(out), "a failed update wrote OUT")


@test("update --examples FILE.csv: image cells are files beside the CSV; labels may be quoted")
def _():
    for image in ("digit.png", "inverse.png"):
        with open(tmp_path(image), "wb") as f:
            f.write(read_bytes(model(image)))
    csv = write_file("images.csv", 'label,image\nstar,digit.png\n"moon, ""new""",inverse.png\n')
    out = tmp_path("csv-images.inkmodel")
    expect_ok("update", model("knn-image.inkmodel"), "-o", out, "--examples", csv)
    check(predicted_label(out, "--image", model("big.png")) == "star", "digit is not a star")
    check(predicted_label(out, "--image", model("inverse.png")) == 'moon, "new"',
          "inverse is not the quoted label")
    csv = write_file("missing-image.csv", "image,label\nabsent.png,star\n")
    expect_error("update", model("knn-image.inkmodel"), "-o", out + ".2", "--examples", csv,
                 mentions=["missing-image.csv:2", "absent.png"])


@test("update --param: values outside the model's ranges are errors naming the parameter")
def _():
    knn = model("knn-image.inkmodel")
    nn = model("nn-regressor.inkmodel")
    csv = regressor_csv()
    out = tmp_path("param.inkmodel")
    digit = model("digit.png")
    expect_error("update", knn, "-o", out, "--label", "a", "--image", digit,
                 "--param", "numberOfNeighbors=9", mentions=["numberOfNeighbors", "5"])
    for param, name in (("learningRate=5", "learningRate"), ("miniBatchSize=0", "miniBatchSize"),
                        ("epochs=0", "epochs"), ("momentum=-1", "momentum"),
                        ("epochs=2.5", "epochs"), ("beta1=0.5", "beta1")):
        expect_error("update", nn, "-o", out, "--examples", csv, "--param", param,
                     mentions=[name])
    check(not os.path.exists(out), "a refused update wrote OUT")
    expect_ok("update", knn, "-o", out, "--label", "a", "--image", digit,
              "--param", "numberOfNeighbors=3")
    doc = expect_json("inspect", out, "--json")
    k = {p["key"]: p for p in doc["updateParameters"]}["numberOfNeighbors"]
    check(k["default"] == 3, "numberOfNeighbors=3 was not kept: %r" % k)
    expect_ok("update", nn, "-o", out, "--examples", csv, "--param", "epochs=2",
              "--param", "shuffle=false", "--param", "learningRate=0.01", "--param", "seed=3",
              "--threads", "2")


@test("update: bad, missing and unsuitable inputs are errors; nothing written")
def _():
    knn = model("knn-image.inkmodel")
    out = tmp_path("bad-input.inkmodel")
    garbage = tmp_path("garbage-update.png")
    with open(garbage, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    expect_error("update", knn, "-o", out, "--label", "a", "--image", garbage,
                 mentions=["garbage-update.png"])
    expect_error("update", knn, "-o", out, "--label", "a", "--image", model("digit.png"),
                 "--image", tmp_path("absent.png"), mentions=["absent.png"])
    expect_error("update", model("glm.inkmodel"), "-o", out, "--label", "a",
                 "--image", model("digit.png"), mentions=["updatable"])
    expect_error("update", model("knn-string.inkmodel"), "-o", out, "--label", "a",
                 "--image", model("digit.png"), mentions=["features"])
    expect_error("update", tmp_path("absent.inkmodel"), "-o", out, "--label", "a",
                 "--image", model("digit.png"), mentions=["absent.inkmodel"])
    expect_error("update", knn, "-o", tmp_path("no-dir/out.inkmodel"), "--label", "a",
                 "--image", model("digit.png"), mentions=["no-dir"])
    expect_error("update", model("knn-int.inkmodel"), "-o", out, "--examples",
                 write_file("int-labels.csv", "features,label\n\"1,2\",ten\n"),
                 mentions=["int-labels.csv:2", "ten"])
    check(not os.path.exists(out), "a failed update wrote OUT")


def interrupt(signum, out, base):
    """Starts a long update of base to out, waits for its first epoch,
    sends signum; returns (exit status, stdout lines, stderr)."""
    proc = subprocess.Popen([CLI, "update", base, "-o", out, "--json",
                             "--examples", regressor_csv(), "--param", "epochs=10000000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if '"epochEnd"' in line:
                break
        check(proc.poll() is None, "the update ended before the signal: %r" % lines[-3:])
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=60)
    except BaseException:
        proc.kill()
        proc.communicate()
        raise
    return proc.returncode, lines + rest.splitlines(), err


@test("update: SIGINT cancels a long run; OUT absent, MODEL unchanged")
def _():
    base = copy_model("nn-regressor.inkmodel", "interrupted.inkmodel")
    before = read_bytes(base)
    out = tmp_path("interrupted-out.inkmodel")
    rc, lines, err = interrupt(signal.SIGINT, out, base)
    check(rc == 1, "exit %r, expected 1; stderr: %s" % (rc, err))
    check("cancelled" in err and "unchanged" in err, "stderr: %r" % err)
    check(not os.path.exists(out), "a cancelled update wrote OUT")
    check(read_bytes(base) == before, "a cancelled update changed MODEL")
    result = json.loads(lines[-1])
    check(result["event"] == "result" and result["state"] == "cancelled"
          and result["output"] is None, "last line: %r" % result)
    leftovers = [f for f in os.listdir(TMP.name) if f.startswith("interrupted") and "tmp" in f]
    check(leftovers == [], "temporary files left: %r" % leftovers)


@test("update -o MODEL: replaced only on success; SIGTERM leaves it as it was")
def _():
    path = copy_model("knn-image.inkmodel", "in-place.inkmodel")
    expect_ok("update", path, "-o", path, "--label", "star", "--image", model("digit.png"))
    check(predicted_label(path, "--image", model("digit.png")) == "star", "not updated in place")
    leftovers = [f for f in os.listdir(TMP.name) if f.startswith("in-place.inkmodel.")]
    check(leftovers == [], "temporary files left: %r" % leftovers)
    before = read_bytes(path)
    expect_error("update", path, "-o", path, "--label", "moon", "--image", tmp_path("absent.png"))
    check(read_bytes(path) == before, "a failed in-place update changed MODEL")
    net = copy_model("nn-regressor.inkmodel", "in-place-net.inkmodel")
    before = read_bytes(net)
    rc, lines, err = interrupt(signal.SIGTERM, net, net)
    check(rc == 1 and "cancelled" in err, "exit %r; stderr: %s" % (rc, err))
    check(read_bytes(net) == before, "a cancelled in-place update changed MODEL")


@test("update: Core ML fixtures (an empty k-NN, a 1x1 network), and OUT.mlmodel")
def _():
    root = os.path.join(os.environ.get("INKLING_FIXTURES", "/nonexistent"), "coreml")
    knn = os.path.join(root, "knn_updatable_empty_linear.mlmodel")
    linear = os.path.join(root, "nn_updatable_linear1x1_mse.mlmodel")
    if not (os.path.exists(knn) and os.path.exists(linear)):
        skip("../shared/fixtures/coreml is absent: no Core ML updatable models")
    csv = write_file("stations.csv", 'input,output\n"0,0,0",home\n"0,1,0",home\n'
                                     '"10,10,10",work\n"10,9,10",work\n"20,0,0",gym\n')
    out = tmp_path("stations.mlmodel")
    expect_ok("update", knn, "-o", out, "--examples", csv, "--param", "numberOfNeighbors=1")
    with open(out, "rb") as f:
        check(f.read(8) != b"INKMODEL", "OUT.mlmodel is not a Core ML file")
    for q, want in (("1,0,1", "home"), ("9,10,9", "work"), ("19,1,0", "gym")):
        got = expect_json("predict", out, "--input", "input=" + q, "--json")["outputs"]["output"]
        check(got == want, "%s: %r, expected %r" % (q, got, want))
    rows = "\n".join("%r,%r" % (x, 2 * x + 1.5) for x in (-1.0, -0.5, 0.0, 0.5, 1.0))
    r = expect_ok("update", linear, "-o", tmp_path("linear.inkmodel"), "--json",
                  "--examples", write_file("linear.csv", "dense_input,output_true\n" + rows + "\n"))
    ends = check_events_in_order(json_lines(r), 5, r)
    check(len(ends) == 100 and ends[-1]["loss"] < ends[0]["loss"],
          "the 1x1 network did not learn: %r" % [e["loss"] for e in ends][:5], r)


if __name__ == "__main__":
    sys.exit(main())
