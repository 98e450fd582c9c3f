#!/usr/bin/env python3
"""PyTorch's side of the GPU check's throughput table: the same work as scripts/gpu/bench.js.

usage: python3 torch_bench.py --device cuda --amp fp16|bf16|off [--channels-last] --size 224 --batch 256
       [--arch resnet50] [--classes 8631] [--steps 15] [--warmup 5] --models DIR (holding models.py)

Training step: a fixed uint8 NHWC batch in host memory is pinned, copied to the device without
blocking, normalised there, then forward, fp32 cross-entropy, top-1/top-5, backward, SGD
(momentum 0.9, weight decay 5e-4; PyTorch's default foreach implementation) with GradScaler in
fp16, and the loss read back (.item()) as our step returns it. Inference: eval-mode forward under
inference_mode, logits and pooled features copied back to the host. "resident" rows repeat both
with the batch already normalised on the device (no host traffic): PyTorch's best case.
Prints one JSON line; img/s is the median step's.
"""
import argparse, contextlib, json, statistics, sys, time

p = argparse.ArgumentParser()
p.add_argument("--device", default="cuda"); p.add_argument("--amp", default="fp16")
p.add_argument("--channels-last", action="store_true")
p.add_argument("--arch", default="resnet50"); p.add_argument("--classes", type=int, default=8631)
p.add_argument("--size", type=int, default=224); p.add_argument("--batch", type=int, default=256)
p.add_argument("--steps", type=int, default=15); p.add_argument("--warmup", type=int, default=5)
p.add_argument("--models", required=True)
a = p.parse_args()
sys.path.insert(0, a.models)
import torch
import torch.nn as nn
from models import build, features

dev = torch.device(a.device)
cuda = dev.type == "cuda"
if cuda:
    torch.backends.cudnn.benchmark = True  # as vgg2-torch does
torch.manual_seed(0)
mf = torch.channels_last if a.channels_last else torch.contiguous_format
model = build(a.arch, a.classes).to(dev).to(memory_format=mf)
dtype = {"fp16": torch.float16, "bf16": torch.bfloat16}.get(a.amp)
amp = lambda: torch.autocast(dev.type, dtype=dtype) if dtype else contextlib.nullcontext()
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
scaler = None
if a.amp == "fp16":
    scaler = torch.amp.GradScaler("cuda") if hasattr(torch.amp, "GradScaler") else torch.cuda.amp.GradScaler()
loss_fn = nn.CrossEntropyLoss()
g = torch.Generator().manual_seed(1)
x_host = torch.randint(0, 256, (a.batch, a.size, a.size, 3), dtype=torch.uint8, generator=g)
y_host = torch.arange(a.batch) % a.classes
mean = torch.tensor([127.5, 127.5, 127.5], device=dev).view(1, 3, 1, 1)
inv_std = torch.full((1, 3, 1, 1), 1 / 128.0, device=dev)


def to_device(xb):
    if cuda:
        xb = xb.pin_memory().to(dev, non_blocking=True)
    return xb.permute(0, 3, 1, 2).float().sub_(mean).mul_(inv_std).contiguous(memory_format=mf)


resident = to_device(x_host)


def train_step(x_of):
    model.train()
    x = x_of()
    y = y_host.to(dev, non_blocking=True)
    with amp():
        logits = model(x)
    logits = logits.float()
    loss = loss_fn(logits, y)
    with torch.no_grad():
        hits = logits.topk(5, 1).indices.eq(y.unsqueeze(1))
        top1, top5 = hits[:, 0].sum(), hits.any(1).sum()
    if scaler:
        scaler.scale(loss).backward(); scaler.step(opt); scaler.update()
    else:
        loss.backward(); opt.step()
    opt.zero_grad(set_to_none=True)
    return loss.item(), top1.item(), top5.item()


def infer_step(x_of):
    model.eval()
    with torch.inference_mode(), amp():
        f, logits = features(model, x_of())
    return logits.float().cpu(), f.float().cpu()


def median_time(step, x_of):
    for _ in range(a.warmup):
        step(x_of)
    times = []
    for _ in range(a.steps):
        if cuda:
            torch.cuda.synchronize()
        t = time.perf_counter(); step(x_of)
        if cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


out = dict(impl="pytorch-python", torch=torch.__version__, arch=a.arch, device=a.device, amp=a.amp,
           channels_last=a.channels_last, size=a.size, batch=a.batch)
for mode, step in (("train", train_step), ("infer", infer_step)):
    for variant, x_of in (("", lambda: to_device(x_host)), ("resident_", lambda: resident)):
        t = median_time(step, x_of)
        out[f"{variant}{mode}_step_ms"] = round(t * 1e3, 1)
        out[f"{variant}{mode}_img_per_s"] = round(a.batch / t, 1)
print(json.dumps(out))
