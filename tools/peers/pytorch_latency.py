#!/usr/bin/env python3
"""Peer for `deno task bench --compact`: PyTorch's CPU inference latency of the same networks.

Builds each tfjs LayersModel topology given (the Keras-style JSON of a model.json's
`modelTopology`, e.g. a dense model and its compact version) as a PyTorch module with the same
layers and widths (random weights: time does not depend on them), then times the models in
turn, as `bench --compact` times ours, and prints one JSON line per batch size:

    {"peer": "pytorch 1.13.1 cpu", "threads": 2, "batch": 1, "ms": [dense, compact], "runs": 812,
     "params": [dense, compact]}

("params" counts weights as tfjs's `countParams()` does: batch norms' moving statistics too.)

Usage: python3 pytorch_latency.py [--threads 2] [--batches 1,64] [--seconds 3] a.json b.json

Layers: InputLayer, Conv2D, Dense, BatchNormalization, Activation (linear, relu), Add,
MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Flatten, Dropout. Tensors are NCHW,
PyTorch's default; "same" padding is PyTorch's symmetric padding wherever it gives tfjs's
output size (TF pads the odd pixel at the end, a difference of one row of zeros).
"""
import argparse, json, math, os, sys, time

# As the training peer does: keep malloc'd blocks (page faults are costly on these machines)
if "MALLOC_MMAP_THRESHOLD_" not in os.environ:
    os.environ.update(MALLOC_MMAP_THRESHOLD_="33554432", MALLOC_TRIM_THRESHOLD_="4294967296")
    # And its choice of OpenBLAS kernels: 0.3.21 does not know Zen 5 and takes AVX2 ones.
    if " avx512f" in open("/proc/cpuinfo").read():
        os.environ.setdefault("OPENBLAS_CORETYPE", "SkylakeX")
    os.execv(sys.executable, [sys.executable] + sys.argv)

import torch, torch.nn as nn, torch.nn.functional as F


class Unsupported(Exception):
    pass


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


def same_padding(size, kernel, stride, dilation, where):
    """Symmetric padding giving tfjs's "same" output size ceil(size / stride)."""
    out = math.ceil(size / stride)
    extent = dilation * (kernel - 1) + 1
    total = max((out - 1) * stride + extent - size, 0)
    pad = (total + 1) // 2
    if (size + 2 * pad - extent) // stride + 1 != out:
        raise Unsupported(f"{where}: no symmetric padding gives tfjs's output size {out}")
    return pad


def spatial(config, size, where, kernel_key, stride_key, dilation_key=None):
    """Kernel, stride, dilation and padding per axis, and the output size."""
    kernel, stride = pair(config[kernel_key]), pair(config[stride_key] or config[kernel_key])
    dilation = pair(config.get(dilation_key, 1)) if dilation_key else (1, 1)
    padding, out = [], []
    for axis in range(2):
        k, s, d, n = kernel[axis], stride[axis], dilation[axis], size[axis]
        if config["padding"] == "same":
            p = same_padding(n, k, s, d, where)
        elif config["padding"] == "valid":
            p = 0
        else:
            raise Unsupported(f"{where}: padding {config['padding']!r}")
        padding.append(p)
        out.append((n + 2 * p - (d * (k - 1) + 1)) // s + 1)
    return kernel, stride, dilation, tuple(padding), tuple(out)


def activation(name, where):
    if name in (None, "linear"):
        return lambda x: x
    if name == "relu":
        return F.relu
    raise Unsupported(f"{where}: activation {name!r}")


class Net(nn.Module):
    """The layers of one topology, run in its order (Keras lists layers topologically)."""

    def __init__(self, topology):
        super().__init__()
        config = topology.get("config", topology)
        self.steps, self.modules_by_name = [], nn.ModuleDict()
        shapes = {}  # layer name -> (channels, height, width) or (features,)
        for layer in config["layers"]:
            kind, c, name = layer["class_name"], layer["config"], layer["name"]
            where = f"layer {name!r} ({kind})"
            inbound = [n[0] for n in layer["inbound_nodes"][0]] if layer["inbound_nodes"] else []
            ins = [shapes[i] for i in inbound]
            fn, shape = self.build(kind, c, name, where, ins)
            shapes[name] = shape
            self.steps.append((name, inbound, fn))
        self.input_shape = shapes[config["input_layers"][0][0]]
        self.output = config["output_layers"][0][0]

    def build(self, kind, c, name, where, ins):
        if kind == "InputLayer":
            h, w, ch = c["batch_input_shape"][1:]
            return None, (ch, h, w)
        x = ins[0]
        if kind == "Conv2D":
            k, s, d, p, out = spatial(c, x[1:], where, "kernel_size", "strides", "dilation_rate")
            conv = nn.Conv2d(x[0], c["filters"], k, s, p, d, bias=c["use_bias"])
            self.modules_by_name[name] = conv
            act = activation(c["activation"], where)
            return (lambda t: act(conv(t))), (c["filters"], *out)
        if kind == "Dense":
            if len(x) != 1:
                raise Unsupported(f"{where}: input of rank {len(x) + 1}")
            dense = nn.Linear(x[0], c["units"], bias=c["use_bias"])
            self.modules_by_name[name] = dense
            act = activation(c["activation"], where)
            return (lambda t: act(dense(t))), (c["units"],)
        if kind == "BatchNormalization":
            bn = nn.BatchNorm2d(x[0], eps=c["epsilon"]) if len(x) == 3 else nn.BatchNorm1d(x[0])
            self.modules_by_name[name] = bn
            return bn, x
        if kind == "Activation":
            return activation(c["activation"], where), x
        if kind == "Add":
            return (lambda *ts: sum(ts[1:], ts[0])), x
        if kind in ("MaxPooling2D", "AveragePooling2D"):
            k, s, _, p, out = spatial(c, x[1:], where, "pool_size", "strides")
            pool = nn.MaxPool2d if kind == "MaxPooling2D" else nn.AvgPool2d
            return pool(k, s, p), (x[0], *out)
        if kind == "GlobalAveragePooling2D":
            return (lambda t: F.adaptive_avg_pool2d(t, 1).flatten(1)), (x[0],)
        if kind == "Flatten":
            return (lambda t: t.flatten(1)), (math.prod(x),)
        if kind == "Dropout":
            return (lambda t: t), x
        raise Unsupported(f"{where}: no PyTorch equivalent here")

    def forward(self, x):
        values = {}
        for name, inbound, fn in self.steps:
            values[name] = x if fn is None else fn(*(values[i] for i in inbound))
        return values[self.output]


def tfjs_params(net):
    """Weights as tfjs counts them: parameters and the batch norms' moving statistics."""
    stats = sum(b.numel() for n, b in net.named_buffers() if not n.endswith("num_batches_tracked"))
    return sum(p.numel() for p in net.parameters()) + stats


def median(values):
    return sorted(values)[len(values) // 2]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batches", default="1,64")
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("topologies", nargs="+")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    nets = []
    for path in a.topologies:
        try:
            with open(path) as f:
                nets.append(Net(json.load(f)).eval())
        except Unsupported as e:
            raise SystemExit(f"{path}: {e}")
        except (OSError, ValueError, KeyError, IndexError, TypeError) as e:
            raise SystemExit(f"{path}: not a tfjs LayersModel topology ({type(e).__name__}: {e})")
    for batch in (int(b) for b in a.batches.split(",")):
        xs = [torch.randn(batch, *net.input_shape) for net in nets]
        times = [[] for _ in nets]
        with torch.inference_mode():
            for net, x in zip(nets, xs):
                for _ in range(3):
                    net(x)
            start = time.perf_counter()
            while len(times[0]) < 5 or time.perf_counter() - start < len(nets) * a.seconds:
                for net, x, t in zip(nets, xs, times):
                    t0 = time.perf_counter()
                    net(x)
                    t.append((time.perf_counter() - t0) * 1e3)
        print(json.dumps({"peer": f"pytorch {torch.__version__} cpu", "threads": a.threads,
                          "batch": batch, "ms": [round(median(t), 3) for t in times],
                          "runs": len(times[0]), "params": [tfjs_params(n) for n in nets]}),
              flush=True)


if __name__ == "__main__":
    main()
