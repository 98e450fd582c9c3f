#!/usr/bin/env python3
"""The student networks in PyTorch, for the tests (oracle) and the benchmarks (bench): torchvision's
ResNet-18/34 and the same with an SE layer (../shared/reference/models.py's SELayer, reduction 16)
after bn2 and before the residual add; MobileFaceNet (Chen et al. 2018; the layout of insightface's
mobilefacenet.py at scale 1, with our names). Runs on /usr/bin/python3 (python3-torch 1.13).

usage: students.py oracle REFERENCE_DIR ARCH CLASSES SIZE SEED OUT_DIR
         like ../shared/reference/oracle.py: a seeded state_dict (BatchNorm statistics, affine
         parameters and PReLU slopes randomised), input.npy and the eval-mode features and logits;
         prints the parameter count.
       students.py bench REFERENCE_DIR ARCH CLASSES SIZE BATCH THREADS STEPS
         eval-mode forward throughput; one JSON line like torch_bench.py's ({"img_per_s": ...}).
"""
import json, os, sys, time
import numpy as np
import torch
import torch.nn as nn
from torchvision.models.resnet import ResNet, BasicBlock

mode, ref, arch, classes, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
sys.path.insert(0, ref)
from models import SELayer, features  # noqa: E402


class SEBasicBlock(BasicBlock):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.se = SELayer(self.bn2.num_features, 16)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


def conv(i, o, k, s=1, groups=1):
    return nn.Conv2d(i, o, k, s, k // 2, groups=groups, bias=False)


class DepthwiseBlock(nn.Module):
    def __init__(self, i, o, width, stride):
        super().__init__()
        self.residual = stride == 1 and i == o
        self.conv1, self.bn1, self.prelu1 = conv(i, width, 1), nn.BatchNorm2d(width), nn.PReLU(width)
        self.conv2, self.bn2, self.prelu2 = conv(width, width, 3, stride, width), nn.BatchNorm2d(width), nn.PReLU(width)
        self.conv3, self.bn3 = conv(width, o, 1), nn.BatchNorm2d(o)

    def forward(self, x):
        y = self.prelu1(self.bn1(self.conv1(x)))
        y = self.prelu2(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return y + x if self.residual else y


def stage(i, o, down_width, blocks, width):
    return nn.Sequential(DepthwiseBlock(i, o, down_width, 2), *[DepthwiseBlock(o, o, width, 1) for _ in range(blocks)])


class MobileFaceNet(nn.Module):
    def __init__(self, classes, dim=512):
        super().__init__()
        self.conv1, self.bn1, self.prelu1 = conv(3, 64, 3, 2), nn.BatchNorm2d(64), nn.PReLU(64)
        self.conv2, self.bn2, self.prelu2 = conv(64, 64, 3, 1, 64), nn.BatchNorm2d(64), nn.PReLU(64)
        self.layer1 = stage(64, 64, 128, 4, 128)
        self.layer2 = stage(64, 128, 256, 6, 256)
        self.layer3 = stage(128, 128, 512, 2, 256)
        self.conv_sep, self.bn_sep, self.prelu_sep = conv(128, 512, 1), nn.BatchNorm2d(512), nn.PReLU(512)
        self.gdc, self.bn_gdc = nn.Conv2d(512, 512, 7, groups=512, bias=False), nn.BatchNorm2d(512)
        self.embedding = nn.Sequential(nn.Linear(512, dim, bias=False), nn.BatchNorm1d(dim))
        self.fc = nn.Linear(dim, classes)

    def features(self, x):
        x = self.prelu2(self.bn2(self.conv2(self.prelu1(self.bn1(self.conv1(x))))))
        x = self.layer3(self.layer2(self.layer1(x)))
        x = self.prelu_sep(self.bn_sep(self.conv_sep(x)))
        f = torch.flatten(self.bn_gdc(self.gdc(x)), 1)
        return f, self.fc(self.embedding(f))


def build(arch, classes):
    if arch == "mobilefacenet":
        return MobileFaceNet(classes)
    layers = {"18": [2, 2, 2, 2], "34": [3, 4, 6, 3]}[arch[-2:]]
    return ResNet(SEBasicBlock if arch.startswith("senet") else BasicBlock, layers, num_classes=classes)


def outputs(model, x):
    return model.features(x) if isinstance(model, MobileFaceNet) else features(model, x)


def oracle(seed, out):
    torch.manual_seed(seed)
    model = build(arch, classes)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
            if isinstance(m, nn.PReLU):
                m.weight.uniform_(0.1, 0.4)
    model.eval()
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        f, logits = outputs(model, x)
    os.makedirs(out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(out, "weights.pth"))
    np.save(os.path.join(out, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, "features.npy"), f.numpy().astype(np.float32))
    np.save(os.path.join(out, "logits.npy"), logits.numpy().astype(np.float32))
    print(sum(p.numel() for p in model.parameters()))


def bench(batch, threads, steps):
    torch.set_num_threads(threads)
    model = build(arch, classes).eval()
    x = torch.randn(batch, 3, size, size)
    times = []
    with torch.no_grad():
        for i in range(steps + 2):  # two untimed warm-up steps
            t = time.perf_counter()
            outputs(model, x)
            if i >= 2:
                times.append(time.perf_counter() - t)
    ms = sorted(times)[len(times) // 2] * 1000
    print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "arch": arch, "mode": "infer", "size": size,
                      "batch": batch, "threads": threads, "step_ms": round(ms, 1), "img_per_s": round(batch * 1000 / ms, 2)}))


if mode == "oracle":
    oracle(int(sys.argv[6]), sys.argv[7])
else:
    bench(int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8]))
