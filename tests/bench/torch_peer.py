# torch_peer.py: the PyTorch side of the benchmark, and the ONNX export
#
# Reads the networks from the compiled .inkmodel files inkling-bench
# exports (the format is docs/FORMATS.md: a header, a JSON section, a
# float32 weights section), builds the same networks in PyTorch with the
# same weights, and writes the embedding network as an ONNX model built by
# hand (protobuf encoded here: no onnx package needed) for ONNX Runtime.
#
# Used by tests/bench/run; not a program of its own.
#
# SPDX-License-Identifier: MIT

import json
import math
import struct
import time

import torch
import torch.nn.functional as F


# ---- .inkmodel reading ----

def read_inkmodel(path):
    """Returns (model JSON, weights bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"INKMODEL":
        raise ValueError(path + ": not an .inkmodel file")
    json_off, json_size = struct.unpack_from("<QQ", data, 20)
    w_off, w_size = struct.unpack_from("<QQ", data, 40)
    doc = json.loads(data[json_off:json_off + json_size].decode("utf-8"))
    return doc["model"], data[w_off:w_off + w_size]


def find_network(model):
    """The first neural network in the model (itself, or a pipeline stage)."""
    if model["kind"].startswith("neuralNetwork"):
        return model
    for stage in model.get("body", {}).get("models", []):
        net = find_network(stage["model"])
        if net is not None:
            return net
    return None


def weights(blob, ref, shape=None):
    t = torch.frombuffer(bytearray(blob[ref["offset"]:ref["offset"] + 4 * ref["count"]]),
                         dtype=torch.float32).clone()
    return t.reshape(shape) if shape is not None else t


def same_padding(size, k, stride, top_left_heavy):
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + k - size, 0)
    small, big = total // 2, total - total // 2
    return (big, small) if top_left_heavy else (small, big)


class Network(torch.nn.Module):
    """A Core ML (legacy NeuralNetwork) layer list run on NCHW tensors of
    batch N; every blob is [N, C, H, W] as in the engine ([C, H, W] per
    example). Supports the layer kinds the bundled models use."""

    def __init__(self, net, blob, input_shape):
        super().__init__()
        self.layers = net["body"]["layers"]
        self.scaler = (net["body"].get("imageScalers") or [None])[0]
        self.params = torch.nn.ParameterDict()
        self.shapes = {}
        self.input_name = None
        shape = input_shape  # [C, H, W]
        self.geometry = {}
        for i, layer in enumerate(self.layers):
            if i == 0:
                self.input_name = layer["inputs"][0]
            kind, p, w = layer["kind"], layer["params"], layer["weights"]
            key = "l%d" % i
            grad = bool(layer.get("updatable"))
            c, h, wd = shape
            if kind == "convolution":
                oc, kc, g = p["outChannels"], p["kernelChannels"], p["groups"]
                kh, kw = p["kernel"]
                sh, sw = p["stride"]
                if p["dilation"] != [1, 1]:
                    raise ValueError("dilated convolution is not supported")
                pad = p["padding"]
                if pad["type"] == "same":
                    pt, pb = same_padding(h, kh, sh, pad["topLeftHeavy"])
                    pl, pr = same_padding(wd, kw, sw, pad["topLeftHeavy"])
                else:
                    pt, pb = pad["amounts"]
                    pl, pr = pad["amountsW"]
                self.geometry[i] = (pt, pb, pl, pr, sh, sw, g)
                self.params[key + "w"] = torch.nn.Parameter(
                    weights(blob, w["w0"], (oc, kc, kh, kw)), requires_grad=grad)
                if p["hasBias"]:
                    self.params[key + "b"] = torch.nn.Parameter(weights(blob, w["w1"]),
                                                                requires_grad=grad)
                shape = [oc, (h + pt + pb - kh) // sh + 1, (wd + pl + pr - kw) // sw + 1]
            elif kind == "innerProduct":
                self.params[key + "w"] = torch.nn.Parameter(
                    weights(blob, w["w0"], (p["outChannels"], p["inChannels"])),
                    requires_grad=grad)
                if p["hasBias"]:
                    self.params[key + "b"] = torch.nn.Parameter(weights(blob, w["w1"]),
                                                                requires_grad=grad)
                shape = [p["outChannels"], 1, 1]
            elif kind == "pooling":
                if p["global"]:
                    shape = [c, 1, 1]
                else:
                    kh, kw = p["kernel"]
                    sh, sw = p["stride"]
                    if p["padding"]["type"] != "valid" or p["padding"]["amounts"] != [0, 0]:
                        raise ValueError("only valid, unpadded pooling is supported")
                    shape = [c, (h - kh) // sh + 1, (wd - kw) // sw + 1]
            elif kind == "flatten":
                if p["order"] != "channelFirst":
                    raise ValueError("only channel-first flatten is supported")
                shape = [c * h * wd, 1, 1]
            elif kind == "reshape":
                if p["order"] != "channelFirst":
                    raise ValueError("only channel-first reshape is supported")
                shape = list(p["shape"][-3:])
            elif kind == "batchnorm":
                self.params[key + "g"] = torch.nn.Parameter(weights(blob, w["w0"]),
                                                            requires_grad=False)
                self.params[key + "b"] = torch.nn.Parameter(weights(blob, w["w1"]),
                                                            requires_grad=False)
                if not p["computeMeanVar"]:
                    self.params[key + "m"] = torch.nn.Parameter(weights(blob, w["w2"]),
                                                                requires_grad=False)
                    self.params[key + "v"] = torch.nn.Parameter(weights(blob, w["w3"]),
                                                                requires_grad=False)
            elif kind in ("activation", "softmax"):
                pass
            else:
                raise ValueError("layer kind %s is not supported by the benchmark" % kind)
            self.shapes[i] = shape
        self.output_shape = shape

    def forward(self, x, stop_before_softmax=False):
        if self.scaler is not None:
            pass  # inputs are given already scaled (see scale_input)
        for i, layer in enumerate(self.layers):
            kind, p, key = layer["kind"], layer["params"], "l%d" % i
            if kind == "convolution":
                pt, pb, pl, pr, sh, sw, g = self.geometry[i]
                if pt or pb or pl or pr:
                    x = F.pad(x, (pl, pr, pt, pb))
                x = F.conv2d(x, self.params[key + "w"], self.params.get(key + "b"),
                             stride=(sh, sw), groups=g)
            elif kind == "innerProduct":
                x = F.linear(x.flatten(1), self.params[key + "w"], self.params.get(key + "b"))
                x = x.reshape(x.shape[0], -1, 1, 1)
            elif kind == "activation":
                t = p["type"]
                if t == "ReLU":
                    x = F.relu(x)
                elif t == "sigmoid":
                    x = torch.sigmoid(x)
                elif t == "tanh":
                    x = torch.tanh(x)
                elif t == "leakyReLU":
                    x = F.leaky_relu(x, p["alpha"])
                else:
                    x = p["alpha"] * x + p["beta"]
            elif kind == "pooling":
                if p["global"]:
                    x = (F.adaptive_max_pool2d if p["type"] == "max" else F.adaptive_avg_pool2d)(
                        x, 1)
                elif p["type"] == "max":
                    x = F.max_pool2d(x, p["kernel"], p["stride"])
                else:
                    x = F.avg_pool2d(x, p["kernel"], p["stride"])
            elif kind in ("flatten", "reshape"):
                x = x.reshape([x.shape[0]] + self.shapes[i])
            elif kind == "batchnorm":
                if p["computeMeanVar"]:
                    mu = x.mean(dim=(2, 3), keepdim=True)
                    var = ((x - mu) ** 2).mean(dim=(2, 3), keepdim=True)
                else:
                    mu = self.params[key + "m"].reshape(1, -1, 1, 1)
                    var = self.params[key + "v"].reshape(1, -1, 1, 1)
                x = (x - mu) / torch.sqrt(var + p["epsilon"])
                x = x * self.params[key + "g"].reshape(1, -1, 1, 1) + \
                    self.params[key + "b"].reshape(1, -1, 1, 1)
            elif kind == "softmax":
                if stop_before_softmax:
                    return x
                x = torch.softmax(x, dim=1)
        return x

    def scale_input(self, pixels):
        """Gray8 pixels [N, 1, H, W] (uint8) to the network's float input."""
        s = self.scaler or {"channelScale": 1.0, "grayBias": 0.0}
        return pixels.to(torch.float32) * s["channelScale"] + s["grayBias"]


def load_network(path):
    model, blob = read_inkmodel(path)
    net = find_network(model)
    if net is None:
        raise ValueError(path + ": no neural network")
    # The input's shape from the first convolution: C = kernel channels *
    # groups; 28x28 (the bundled models' inputs) unless the doc says so.
    desc = net.get("description", {})
    side = 28
    for inp in desc.get("inputs", []):
        t = inp.get("type", {})
        if t.get("type") == "Image":
            side = t["height"]
    first = net["body"]["layers"][0]["params"]
    channels = first.get("kernelChannels", 1) * first.get("groups", 1)
    return Network(net, blob, [channels, side, side]), (channels, side, side)


# ---- timing ----

def stats(times_s):
    t = sorted(x * 1e6 for x in times_s)
    n = len(t)
    med = t[n // 2] if n % 2 else 0.5 * (t[n // 2 - 1] + t[n // 2])
    return {"median_us": med, "min_us": t[0], "max_us": t[-1]}


def time_it(fn, budget_s, min_runs, max_runs):
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or
                                     time.perf_counter() - start < budget_s):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return stats(times)


def bench_forward(net, x, tiny):
    with torch.inference_mode():
        return time_it(lambda: net(x), 0 if tiny else 1.0, 1 if tiny else 20,
                       1 if tiny else 20000)


def bench_network_update(path, n_examples, epochs, batch, lr, momentum, tiny):
    """The image classifier's updatable layers trained like the engine's
    update task: SGD with momentum, mini-batches in order, categorical
    cross entropy on the softmax, frozen layers run forward only."""
    net, (c, h, w) = load_network(path)
    gen = torch.Generator().manual_seed(1234)
    pixels = torch.randint(0, 256, (n_examples, c, h, w), generator=gen, dtype=torch.uint8)
    labels = torch.arange(n_examples) % net.output_shape[0]
    x_all = net.scale_input(pixels)
    initial = {k: v.detach().clone() for k, v in net.params.items()}

    def run():
        with torch.no_grad():
            for k, v in initial.items():
                net.params[k].copy_(v)
        opt = torch.optim.SGD([p for p in net.params.values() if p.requires_grad], lr=lr,
                              momentum=momentum)
        for _ in range(epochs):
            for b0 in range(0, n_examples, batch):
                logits = net(x_all[b0:b0 + batch], stop_before_softmax=True)
                loss = F.cross_entropy(logits.flatten(1), labels[b0:b0 + batch])
                opt.zero_grad()
                loss.backward()
                opt.step()

    return time_it(run, 0 if tiny else 3.0, 1 if tiny else 3, 1 if tiny else 20)


# ---- ONNX export, protobuf encoded by hand ----

def _varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return _varint(field << 3 | wire)


def _int(field, n):
    return _key(field, 0) + _varint(n)


def _bytes(field, b):
    if isinstance(b, str):
        b = b.encode("utf-8")
    return _key(field, 2) + _varint(len(b)) + b


def _float(field, f):
    return _key(field, 5) + struct.pack("<f", f)


def _attr(name, value):
    a = _bytes(1, name)
    if isinstance(value, float):
        return a + _float(2, value) + _int(20, 1)
    if isinstance(value, int):
        return a + _int(3, value) + _int(20, 2)
    return a + b"".join(_int(8, v) for v in value) + _int(20, 7)  # INTS


def _node(op, inputs, outputs, **attrs):
    n = b"".join(_bytes(1, i) for i in inputs) + b"".join(_bytes(2, o) for o in outputs)
    n += _bytes(3, outputs[0] + "_" + op) + _bytes(4, op)
    for k, v in attrs.items():
        n += _bytes(5, _attr(k, v))
    return n


def _tensor(name, t, dtype=1):
    t = t.detach().contiguous()
    raw = t.numpy().tobytes() if dtype == 1 else struct.pack("<%dq" % t.numel(), *t.tolist())
    return b"".join(_int(1, d) for d in t.shape) + _int(2, dtype) + _bytes(8, name) + \
        _bytes(9, raw)


def _value_info(name, shape):
    dims = b"".join(_bytes(1, _int(1, d)) for d in shape)
    tensor_type = _int(1, 1) + _bytes(2, dims)
    return _bytes(1, name) + _bytes(2, _bytes(1, tensor_type))


def export_onnx(net, input_shape, path):
    """Writes net (batch 1, float input already scaled) as an ONNX model,
    opset 13, with the same weights."""
    nodes, inits = [], []
    cur = "input"
    for i, layer in enumerate(net.layers):
        kind, p, key = layer["kind"], layer["params"], "l%d" % i
        out = "t%d" % i
        if kind == "convolution":
            pt, pb, pl, pr, sh, sw, g = net.geometry[i]
            ins = [cur, key + "w"]
            inits.append(_tensor(key + "w", net.params[key + "w"]))
            if key + "b" in net.params:
                ins.append(key + "b")
                inits.append(_tensor(key + "b", net.params[key + "b"]))
            wshape = net.params[key + "w"].shape
            nodes.append(_node("Conv", ins, [out], kernel_shape=list(wshape[2:]),
                               pads=[pt, pl, pb, pr], strides=[sh, sw], group=g))
        elif kind == "innerProduct":
            nodes.append(_node("Flatten", [cur], [out + "f"], axis=1))
            ins = [out + "f", key + "w"]
            inits.append(_tensor(key + "w", net.params[key + "w"]))
            if key + "b" in net.params:
                ins.append(key + "b")
                inits.append(_tensor(key + "b", net.params[key + "b"]))
            nodes.append(_node("Gemm", ins, [out + "g"], transB=1))
            inits.append(_tensor(key + "s", torch.tensor([1, -1, 1, 1]), dtype=7))
            nodes.append(_node("Reshape", [out + "g", key + "s"], [out]))
        elif kind == "activation":
            t = p["type"]
            if t == "ReLU":
                nodes.append(_node("Relu", [cur], [out]))
            elif t == "sigmoid":
                nodes.append(_node("Sigmoid", [cur], [out]))
            elif t == "tanh":
                nodes.append(_node("Tanh", [cur], [out]))
            elif t == "leakyReLU":
                nodes.append(_node("LeakyRelu", [cur], [out], alpha=float(p["alpha"])))
            else:
                raise ValueError("activation %s is not exported" % t)
        elif kind == "pooling":
            if p["global"]:
                nodes.append(_node("GlobalMaxPool" if p["type"] == "max" else
                                   "GlobalAveragePool", [cur], [out]))
            else:
                nodes.append(_node("MaxPool" if p["type"] == "max" else "AveragePool", [cur],
                                   [out], kernel_shape=list(p["kernel"]),
                                   strides=list(p["stride"])))
        elif kind in ("flatten", "reshape"):
            inits.append(_tensor(key + "s", torch.tensor([1] + net.shapes[i]), dtype=7))
            nodes.append(_node("Reshape", [cur, key + "s"], [out]))
        elif kind == "batchnorm":
            if p["computeMeanVar"]:
                # Per-channel statistics over H and W: InstanceNormalization.
                inits.append(_tensor(key + "g", net.params[key + "g"]))
                inits.append(_tensor(key + "b", net.params[key + "b"]))
                nodes.append(_node("InstanceNormalization", [cur, key + "g", key + "b"], [out],
                                   epsilon=float(p["epsilon"])))
            else:
                for s in "gbmv":
                    inits.append(_tensor(key + s, net.params[key + s]))
                nodes.append(_node("BatchNormalization",
                                   [cur, key + "g", key + "b", key + "m", key + "v"], [out],
                                   epsilon=float(p["epsilon"])))
        elif kind == "softmax":
            nodes.append(_node("Softmax", [cur], [out], axis=1))
        cur = out
    # Name the last tensor "output".
    nodes.append(_node("Identity", [cur], ["output"]))
    graph = b"".join(_bytes(1, n) for n in nodes) + _bytes(2, "inkling")
    graph += b"".join(_bytes(5, t) for t in inits)
    graph += _bytes(11, _value_info("input", [1] + list(input_shape)))
    graph += _bytes(12, _value_info("output", [1] + list(net.output_shape)))
    model = _int(1, 7) + _bytes(2, "inkling-bench") + _bytes(7, graph)
    model += _bytes(8, _bytes(1, "") + _int(2, 13))
    with open(path, "wb") as f:
        f.write(model)


def max_abs_diff(a, b):
    return max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else math.inf
