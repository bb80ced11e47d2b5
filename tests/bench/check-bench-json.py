#!/usr/bin/env python3
# check-bench-json.py: runs inkling-bench in its tiny mode and checks that its
# --json output has the form tests/bench/run merges (no timing is asserted).
#
# Usage: check-bench-json.py PATH/TO/inkling-bench [BENCH.json]
# With a second argument, checks that file (a whole `tests/bench/run
# --json` output) instead of running the program.
#
# SPDX-License-Identifier: MIT

import json
import subprocess
import sys
import tempfile

CASES = {"embedding-forward", "knn-1000", "knn-10000", "image-convert", "sticker-update",
         "model-id", "network-update", "compile", "load", "app-start", "stroke-to-guess",
         "long-frames-during-update"}
SYSTEMS = {"inkling", "pytorch", "onnxruntime"}
ENGINE_CASES = ["compile", "load", "embedding-forward", "knn-1000", "knn-10000",
                "image-convert", "sticker-update", "model-id", "network-update"]


def check(doc, want_all_engine_cases):
    assert isinstance(doc, dict) and set(doc) == {"cases"}, "one object with 'cases'"
    seen = set()
    for c in doc["cases"]:
        assert c["case"] in CASES, c
        assert c["system"] in SYSTEMS, c
        key = "count" if c["case"] == "long-frames-during-update" else "median_us"
        # The frame case may also say how many frames it saw; a case compared
        # with a peer, its rounds' medians.
        extra = {"frames"} if key == "count" else {"rounds"}
        assert set(c) - extra == {"case", "system", key, "min_us", "max_us"}, c
        if "rounds" in c:
            assert c["rounds"] and all(isinstance(r, (int, float)) for r in c["rounds"]), c
        for k in (key, "min_us", "max_us"):
            assert isinstance(c[k], (int, float)) and c[k] >= 0, c
        if key == "median_us":
            assert c["min_us"] <= c["median_us"] <= c["max_us"], c
        assert (c["case"], c["system"]) not in seen, c
        seen.add((c["case"], c["system"]))
    if want_all_engine_cases:
        for name in ENGINE_CASES:
            assert (name, "inkling") in seen, "missing case " + name


def main():
    if len(sys.argv) == 3:
        with open(sys.argv[2]) as f:
            check(json.load(f), False)
        print("ok")
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([sys.argv[1], "--tiny", "--json", "--export", tmp],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        check(json.loads(out), True)
        for name in ("drawing.gray8", "embedding-inkling.f32", "drawing-classifier.inkmodel",
                     "image-classifier.inkmodel"):
            with open(tmp + "/" + name, "rb") as f:
                assert len(f.read()) > 0, name
    print("ok: every engine case ran and the JSON is well formed")


if __name__ == "__main__":
    main()
