#!/usr/bin/python3
"""Training and inference benchmark of DermaGAN's classifier architectures, in PyTorch (CPU): the
twin of tests/bench/bench-cnn.c --arch NAME (engine/models/dg-classifier.c).

  dermanet (width w = 32, 64x64x3 input, 1,768,068 parameters): conv 3x3 (w) BN ReLU at 64x64,
     then residual blocks with stride 2: w*3/2 (32x32), w*3 (16x16), w*6 (8x8), w*8 (4x4); each
     block = conv3x3(s) BN ReLU conv3x3 BN + shortcut (conv1x1(s) BN when the shape changes),
     ReLU after the sum; global average pool, dropout 0.2, dense to 4 classes.
  mobile (w = 24): conv 3x3/2 (w) BN ReLU, then depthwise-separable blocks (dw 3x3 BN ReLU,
     pointwise BN ReLU) to 2w, 4w/2, 4w, 8w/2, 8w, 8w, 12w/2; global average pool, dropout, dense.
  seed: conv 1x1 (60, bias) ReLU, max-pool 2, conv 3x3 valid (50, bias) ReLU, max-pool 5, dense 256
     ReLU dropout, dense 128 ReLU dropout, dense 4.
Loss: softmax cross-entropy with label smoothing 0.1; AdamW lr 2e-3, weight decay 5e-4 (on every
parameter here; ours decays weights only: the same work).  Synthetic data, no I/O.

usage: torch_cnn.py [--arch dermanet] [--batch 64] [--threads 2] [--iters 10]
Prints one JSON line: train_img_per_s_med, infer_img_per_s_med (batch), lat_b1_ms_med, params.
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def cbr(i, o, k=3, s=1):
    return nn.Sequential(nn.Conv2d(i, o, k, s, k // 2, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


class Res(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.a = cbr(i, o, 3, s)
        self.b = nn.Sequential(nn.Conv2d(o, o, 3, 1, 1, bias=False), nn.BatchNorm2d(o))
        self.sc = nn.Sequential(nn.Conv2d(i, o, 1, s, 0, bias=False), nn.BatchNorm2d(o)) if (s != 1 or i != o) else nn.Identity()

    def forward(self, x):
        return F.relu(self.b(self.a(x)) + self.sc(x))


def dermanet(w=32, n_classes=4):
    return nn.Sequential(cbr(3, w), Res(w, w * 3 // 2, 2), Res(w * 3 // 2, w * 3, 2), Res(w * 3, w * 6, 2),
                         Res(w * 6, w * 8, 2), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                         nn.Linear(w * 8, n_classes))


def dw_sep(i, o, s):
    return nn.Sequential(nn.Conv2d(i, i, 3, s, 1, groups=i, bias=False), nn.BatchNorm2d(i), nn.ReLU(inplace=True),
                         nn.Conv2d(i, o, 1, 1, 0, bias=False), nn.BatchNorm2d(o), nn.ReLU(inplace=True))


def mobile(w=24, n_classes=4):
    plan = [(2 * w, 1), (4 * w, 2), (4 * w, 1), (8 * w, 2), (8 * w, 1), (8 * w, 1), (12 * w, 2)]
    layers, c = [cbr(3, w, 3, 2)], w
    for o, s in plan:
        layers.append(dw_sep(c, o, s))
        c = o
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(c, n_classes))


def seed(n_classes=4):
    return nn.Sequential(nn.Conv2d(3, 60, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(60, 50, 3), nn.ReLU(),
                         nn.MaxPool2d(5), nn.Flatten(), nn.Linear(50 * 6 * 6, 256), nn.ReLU(), nn.Dropout(0.2),
                         nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, n_classes))


ARCHS = {'dermanet': lambda: dermanet(32), 'mobile': lambda: mobile(24), 'seed': seed}


def timed(fn, warmup, iters):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(iters):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return statistics.median(t)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--arch', default='dermanet', choices=sorted(ARCHS))
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--iters', type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = ARCHS[a.arch]()
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=5e-4)
    B = a.batch
    x = torch.rand(B, 3, 64, 64) * 2 - 1
    y = torch.arange(B) % 4

    def train_step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x), y, label_smoothing=0.1).backward()
        opt.step()

    net.train()
    t_train = timed(train_step, a.warmup, a.iters)
    net.eval()
    with torch.no_grad():
        t_inf = timed(lambda: net(x), a.warmup, a.iters)
        x1 = x[:1].clone()
        t_one = timed(lambda: net(x1), 5, 30)
    print(json.dumps(dict(bench='cnn', arch=a.arch, batch=B, threads=a.threads,
                          train_img_per_s_med=B / t_train, infer_img_per_s_med=B / t_inf,
                          lat_b1_ms_med=t_one * 1e3, params=sum(p.numel() for p in net.parameters()))))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
