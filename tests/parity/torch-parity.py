#!/usr/bin/env python3
# torch-parity.py: the engine's network trainer against PyTorch
#
# Builds a small convolutional classifier in PyTorch with seeded random
# weights and data, writes both to a temporary folder, runs the C driver
# (parity-train, the same network built with the engine's builder and
# trained with ink_nn_trainer), trains the PyTorch model the same way (float32,
# same mini-batches in the same order, no shuffling) and checks that the mean
# loss of every epoch agrees within 1e-4 (relative). Runs SGD with momentum
# and Adam, each on one and on two compute threads.
#
# Usage: torch-parity.py PATH/TO/parity-train
# Exit status 77 (meson's "skipped") when PyTorch is not importable.
#
# SPDX-License-Identifier: MIT

import json
import os
import subprocess
import sys
import tempfile

SYSTEM_PYTHON = "/usr/bin/python3"

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    # Debian's python3-torch is installed for the system interpreter; a
    # python3 found first on PATH (pyenv, a virtualenv) may not see it.
    if (os.path.exists(SYSTEM_PYTHON)
            and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)
            and "INKLING_PARITY_REEXEC" not in os.environ):
        os.environ["INKLING_PARITY_REEXEC"] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON] + sys.argv)
    print("SKIP: PyTorch is not importable (Debian: apt-get install python3-torch); "
          "the trainer's parity with PyTorch is not checked")
    sys.exit(77)

SIDE, CLASSES, C1, C2 = 12, 4, 4, 8
N, BATCH, EPOCHS = 64, 16, 20
TOLERANCE = 1e-4

RUNS = [
    # name, optimizer, lr, momentum, beta1, beta2, eps
    ("SGD+momentum", "sgd", 0.05, 0.9, 0.9, 0.999, 1e-8),
    ("Adam", "adam", 0.01, 0.0, 0.9, 0.999, 1e-8),
]


class Net(torch.nn.Module):
    """The driver's network: Core ML's layouts are PyTorch's (convolution
    weights [out][in][kh][kw], inner product [out][in]; flattening NCHW is
    Core ML's channel-first flatten)."""

    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, C1, 3)
        self.conv2 = torch.nn.Conv2d(C1, C2, 3)
        self.fc = torch.nn.Linear(C2 * 3 * 3, CLASSES)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.relu(self.conv2(x))
        return self.fc(torch.flatten(x, 1))  # logits; the softmax is in the loss


def make_data(gen):
    """Images whose class is the brightest quadrant, plus noise."""
    x = torch.rand(N, 1, SIDE, SIDE, generator=gen)
    y = torch.randint(0, CLASSES, (N,), generator=gen)
    h = SIDE // 2
    for i in range(N):
        r, c = divmod(int(y[i]), 2)
        x[i, 0, r * h:(r + 1) * h, c * h:(c + 1) * h] += 0.25
    return x, y


def write(path, tensor, dtype):
    tensor.detach().contiguous().numpy().astype(dtype).tofile(path)


def train_torch(model, x, y, opt_name, lr, momentum, beta1, beta2, eps):
    if opt_name == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=lr, betas=(beta1, beta2), eps=eps)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum)
    losses = []
    for _ in range(EPOCHS):
        total, batches = 0.0, 0
        for i in range(0, N, BATCH):
            opt.zero_grad()
            loss = F.cross_entropy(model(x[i:i + BATCH]), y[i:i + BATCH])
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        losses.append(total / batches)
    return losses


def main():
    if len(sys.argv) != 2:
        print("usage: torch-parity.py PATH/TO/parity-train", file=sys.stderr)
        return 2
    driver = sys.argv[1]
    torch.set_num_threads(1)
    torch.manual_seed(20240229)
    gen = torch.Generator().manual_seed(7)
    x, y = make_data(gen)
    initial = Net()
    failures = 0
    print(f"PyTorch {torch.__version__}; {N} examples, mini-batches of {BATCH}, {EPOCHS} epochs")
    with tempfile.TemporaryDirectory(prefix="inkling-parity-") as tmp:
        for name in ("conv1", "conv2", "fc"):
            layer = getattr(initial, name)
            write(os.path.join(tmp, name + ".w"), layer.weight, "<f4")
            write(os.path.join(tmp, name + ".b"), layer.bias, "<f4")
        write(os.path.join(tmp, "x"), x, "<f4")
        write(os.path.join(tmp, "y"), y, "<i8")
        for name, opt, lr, momentum, beta1, beta2, eps in RUNS:
            model = Net()
            model.load_state_dict(initial.state_dict())
            expected = train_torch(model, x, y, opt, lr, momentum, beta1, beta2, eps)
            for threads in (1, 2):
                args = [driver, tmp, opt, str(EPOCHS), str(BATCH), str(threads), repr(lr),
                        repr(momentum), repr(beta1), repr(beta2), repr(eps)]
                out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
                result = json.loads(out)
                got = result["losses"]
                print(f"\n{name}, lr {lr}, {threads} thread(s) "
                      f"({result['examples_per_second']:.0f} examples/s):")
                print(" epoch       PyTorch        Inkling    rel. diff")
                worst = 0.0
                for e, (t, c) in enumerate(zip(expected, got)):
                    rel = abs(c - t) / max(abs(t), 1e-12)
                    worst = max(worst, rel)
                    flag = "" if rel <= TOLERANCE else "   <-- differs"
                    print(f" {e:5d} {t:14.9f} {c:14.9f} {rel:12.3g}{flag}")
                if len(got) != len(expected) or worst > TOLERANCE:
                    failures += 1
                    print(f"FAIL: {name} on {threads} thread(s): largest relative difference "
                          f"{worst:.3g} > {TOLERANCE}")
                else:
                    print(f"ok: largest relative difference {worst:.3g}")
                if got[-1] >= got[0]:
                    failures += 1
                    print(f"FAIL: {name}: the loss did not go down")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
