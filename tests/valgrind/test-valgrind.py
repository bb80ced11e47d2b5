#!/usr/bin/env python3
# test-valgrind.py INKLING_CLI MODELS_DIR SUPPRESSIONS [SANITIZED]: runs the
# command-line flows (compile, inspect, predict, export, update, and
# errors) on the CLI tests' small models under valgrind's memcheck; a
# memory error or any leak (definite, indirect or possible, beyond
# glib.supp) fails the flow. TAP output. Skips when valgrind is absent or
# the build uses sanitizers (which valgrind cannot run).
# SPDX-License-Identifier: MIT
import os
import shutil
import subprocess
import sys
import tempfile

cli, models, supp = sys.argv[1], sys.argv[2], sys.argv[3]
sanitized = len(sys.argv) > 4 and sys.argv[4] not in ("", "none")

if sanitized:
    print("1..0 # SKIP a sanitizer build: valgrind runs in the plain build")
    sys.exit(0)
valgrind = shutil.which("valgrind")
if valgrind is None:
    print("1..0 # SKIP valgrind is not installed (scripts/setup-deps --test installs it)")
    sys.exit(0)

tmp = tempfile.TemporaryDirectory(prefix="inkling-valgrind-")


def m(name):
    return os.path.join(models, name)


def t(name):
    return os.path.join(tmp.name, name)


def write(name, text):
    with open(t(name), "w") as f:
        f.write(text)
    return t(name)


regressor_csv = write("regressor.csv", "x,y_true\n" + "".join(
    '"%r,%r",%r\n' % (a / 4, b / 4, 2 * a / 4 - b / 4 + 0.5) for a in range(-2, 2) for b in range(-2, 2)))
corrupt = write("corrupt.inkmodel", "INKMODEL but not really a model")

# (name, arguments, expected exit status)
flows = [
    ("inspect", ["inspect", m("glm.inkmodel")], 0),
    ("inspect --json", ["inspect", m("knn-image.inkmodel"), "--json"], 0),
    ("export glm", ["export", m("glm.inkmodel"), t("glm.mlmodel")], 0),
    ("export knn-image", ["export", m("knn-image.inkmodel"), t("knn-image.mlmodel")], 0),
    ("export nn-regressor", ["export", m("nn-regressor.inkmodel"), t("nn-regressor.mlmodel")], 0),
    ("compile glm", ["compile", t("glm.mlmodel"), t("glm.inkmodel")], 0),
    ("compile knn-image", ["compile", t("knn-image.mlmodel"), t("knn-image.inkmodel")], 0),
    ("predict glm", ["predict", t("glm.inkmodel"), "--input", "x=1,2,3"], 0),
    ("predict --json tree", ["predict", m("tree-double.inkmodel"), "--input", "x=0.5", "--json"], 0),
    ("predict nn-image", ["predict", m("nn-image.inkmodel"), "--image", m("big.png")], 0),
    ("predict .mlmodel knn-image", ["predict", t("knn-image.mlmodel"), "--image", m("digit.png")], 0),
    ("update k-NN", ["update", m("knn-image.inkmodel"), "-o", t("knn-star.inkmodel"),
                     "--label", "star", "--image", m("digit.png"), "--image", m("big.png")], 0),
    ("update --json network", ["update", m("nn-regressor.inkmodel"), "-o", t("regressor.inkmodel"),
                               "--examples", regressor_csv, "--param", "epochs=3", "--json"], 0),
    ("predict updated", ["predict", t("knn-star.inkmodel"), "--image", m("inverse.png")], 0),
    ("error: corrupt model", ["inspect", corrupt], 1),
    ("error: compile a non-Core ML file", ["compile", corrupt, t("never.inkmodel")], 1),
    ("error: wrong input", ["predict", m("glm.inkmodel"), "--input", "x=1"], 1),
    ("error: update a non-updatable model", ["update", m("glm.inkmodel"), "-o", t("never.inkmodel"),
                                             "--label", "a", "--image", m("digit.png")], 1),
]

print("1..%d" % len(flows))
failed = 0
env = dict(os.environ, G_SLICE="always-malloc")
env.pop("MALLOC_CHECK_", None)
for i, (name, args, expected) in enumerate(flows, 1):
    cmd = [valgrind, "--quiet", "--error-exitcode=99", "--leak-check=full",
           "--show-leak-kinds=definite,indirect,possible",
           "--errors-for-leak-kinds=definite,indirect,possible",
           "--suppressions=" + supp, cli] + args
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if r.returncode == expected:
        print("ok %d - %s" % (i, name))
        continue
    failed += 1
    what = "valgrind found errors or leaks" if r.returncode == 99 else "exit status %d, expected %d" % (
        r.returncode, expected)
    print("not ok %d - %s: %s" % (i, name, what))
    for line in (r.stderr + r.stdout).splitlines()[-60:]:
        print("# " + line)
sys.exit(1 if failed else 0)
