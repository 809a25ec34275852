"""PyTorch on a CUDA GPU: the same CifarNet and CIFAR ResNets as oicsr's zoo (models/),
trained (forward, backward, SGD with momentum) and run for inference at a batch size, on
random CIFAR-shaped input. One JSON line per model, like `deno task bench --json`.

Usage: python3 pytorch_cuda_bench.py --model resnet20,resnet56 --batch 64 --seconds 4
"""
import argparse, json, time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, stride):
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout, eps=1e-5, momentum=0.1),
    )


class Block(nn.Module):
    """Two 3x3 conv-BN, ReLU between; a 1x1 stride-2 conv-BN shortcut where the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a = conv_bn(cin, cout, stride)
        self.b = conv_bn(cout, cout, 1)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(
                nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout, eps=1e-5)
            )

    def forward(self, x):
        y = self.b(F.relu(self.a(x)))
        return F.relu(y + (x if self.short is None else self.short(x)))


class ResNet(nn.Module):
    def __init__(self, depth, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.stem = conv_bn(3, 16, 1)
        layers, cin = [], 16
        for stage, width in enumerate([16, 32, 64]):
            for i in range(n):
                layers.append(Block(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*layers)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.stem(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


class CifarNet(nn.Module):
    """conv5x5-64, max-pool 3/2, conv5x5-64, max-pool 3/2, dense 384, 192, classes."""

    def __init__(self, classes=10):
        super().__init__()
        self.c1 = nn.Conv2d(3, 64, 5, padding=2)
        self.c2 = nn.Conv2d(64, 64, 5, padding=2)
        self.f3 = nn.Linear(8 * 8 * 64, 384)
        self.f4 = nn.Linear(384, 192)
        self.out = nn.Linear(192, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 3, 2, 1)
        x = F.max_pool2d(F.relu(self.c2(x)), 3, 2, 1)
        x = F.relu(self.f3(torch.flatten(x, 1)))
        return self.out(F.relu(self.f4(x)))


def build(name):
    if name == "cifarnet":
        return CifarNet()
    if name.startswith("resnet"):
        return ResNet(int(name[len("resnet"):]))
    raise SystemExit(f"unknown model {name!r}: cifarnet, resnet20, resnet32, resnet56, resnet110")


def rate(step, batch, seconds, device):
    for _ in range(5):
        step()
    torch.cuda.synchronize(device)
    start, images = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        step()
        images += batch
        if images % (batch * 10) == 0:
            torch.cuda.synchronize(device)
    torch.cuda.synchronize(device)
    return images / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="resnet20,resnet56")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=4)
    args = ap.parse_args()
    device = torch.device("cuda")
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False  # fp32, as WebGPU computes
    torch.backends.cudnn.allow_tf32 = False
    for name in args.model.split(","):
        model = build(name).to(device)
        x = torch.randn(args.batch, 3, 32, 32, device=device)
        y = torch.randint(0, 10, (args.batch,), device=device)
        opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

        def train():
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()

        model.train()
        train_rate = rate(train, args.batch, args.seconds, device)
        model.eval()
        with torch.no_grad():
            infer_rate = rate(lambda: model(x), args.batch, args.seconds / 2, device)
        print(json.dumps({
            "peer": f"pytorch {torch.__version__} cuda fp32 {torch.cuda.get_device_name(device)}",
            "model": name,
            "batch": args.batch,
            "train_img_s": round(train_rate, 1),
            "infer_img_s": round(infer_rate, 1),
        }), flush=True)


if __name__ == "__main__":
    main()
