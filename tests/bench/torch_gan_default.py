#!/usr/bin/python3
"""Training-step benchmark of DermaGAN's `default` GAN preset (DermaGAN 0.2), in PyTorch (CPU).

The same networks and step as the engine's default preset (engine/models/dg-gan-nets.c), so a
speed ratio measures the work users run:
  generator (64x64): z[nz] -> ConvTranspose 4x4 (4x4, ngf*8, bias), then 4 residual blocks
             (ngf*8, ngf*4, ngf*2, ngf): CBN-ReLU-bilinear x2-Conv3x3-CBN-ReLU-Conv3x3(bias)
             + shortcut Conv1x1(bias)-bilinear x2; then BN-ReLU-Conv3x3(3, bias)-Tanh
  discriminator: 4 x [Conv3x3(bias, spectral norm) -> AvgPool 2 -> LeakyReLU(0.2)]
             (ndf, ndf*2, ndf*4, ndf*8), head Conv 4x4 -> 1 (spectral norm), plus the
             projection <E[y], GAP(features)>
  class-conditional BN = BatchNorm without affine + per-class gamma/beta embeddings
  loss: hinge, LeCam regularization (weight 0.3, anchors decayed 0.99); Adam 2e-4,
  betas (0.0, 0.999); EMA of G (0.999); DiffAugment (colour, translation 1/8, cutout 1/2)
  on real and fake images before D.
One step = D on augmented real, G forward, D on augmented fake (detached), D update;
then D on the same augmented fake, G update, EMA update. Synthetic data, no I/O.

usage: torch_gan_default.py [--ngf 24] [--ndf 32] [--nz 128] [--batch 64] [--threads 2]
                            [--warmup 3] [--iters 10] [--no-diffaug]
Prints one JSON line: img_per_s_med, s_per_iter_med, parameter counts
(1,453,131 generator and 393,536 discriminator parameters at the defaults, as in our files).
"""
import argparse
import copy
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import spectral_norm



class CBN(nn.Module):
    def __init__(self, ch, n_classes):
        super().__init__()
        self.bn = nn.BatchNorm2d(ch, affine=False)
        self.gamma = nn.Embedding(n_classes, ch)
        self.beta = nn.Embedding(n_classes, ch)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x, y):
        return self.bn(x) * self.gamma(y)[:, :, None, None] + self.beta(y)[:, :, None, None]


def up(x):
    return F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)


class GBlock(nn.Module):
    def __init__(self, cin, cout, n_classes):
        super().__init__()
        self.bn1, self.bn2 = CBN(cin, n_classes), CBN(cout, n_classes)
        self.c1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=True)
        self.sc = nn.Conv2d(cin, cout, 1, 1, 0, bias=True)

    def forward(self, x, y):
        h = self.c1(up(F.relu(self.bn1(x, y))))
        h = self.c2(F.relu(self.bn2(h, y)))
        return h + up(self.sc(x))


class G(nn.Module):
    def __init__(self, nz, ngf, n_classes):
        super().__init__()
        self.head = nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=True)
        chans = [ngf * 8, ngf * 8, ngf * 4, ngf * 2, ngf]
        self.blocks = nn.ModuleList(GBlock(a, b, n_classes) for a, b in zip(chans, chans[1:]))
        self.bn = nn.BatchNorm2d(ngf)
        self.out = nn.Conv2d(ngf, 3, 3, 1, 1, bias=True)

    def forward(self, z, y):
        x = self.head(z)
        for b in self.blocks:
            x = b(x, y)
        return torch.tanh(self.out(F.relu(self.bn(x))))


class D(nn.Module):
    def __init__(self, ndf, n_classes):
        super().__init__()
        chans = [3, ndf, ndf * 2, ndf * 4, ndf * 8]
        self.convs = nn.ModuleList(spectral_norm(nn.Conv2d(a, b, 3, 1, 1, bias=True))
                                   for a, b in zip(chans, chans[1:]))
        self.head = spectral_norm(nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False))
        self.embed = nn.Embedding(n_classes, ndf * 8)

    def forward(self, x, y):
        for conv in self.convs:
            x = F.leaky_relu(F.avg_pool2d(conv(x), 2), 0.2)
        out = self.head(x).view(-1)
        return out + (self.embed(y) * x.mean(dim=(2, 3))).sum(dim=1)


def diffaug(x):
    B, _, H, W = x.shape
    x = x + (torch.rand(B, 1, 1, 1) - 0.5)
    m = x.mean(dim=1, keepdim=True)
    x = (x - m) * (torch.rand(B, 1, 1, 1) * 2) + m
    m = x.mean(dim=(1, 2, 3), keepdim=True)
    x = (x - m) * (torch.rand(B, 1, 1, 1) + 0.5) + m
    s = H // 8
    tx = torch.randint(-s, s + 1, (B,))
    ty = torch.randint(-s, s + 1, (B,))
    gy, gx = torch.meshgrid(torch.arange(H), torch.arange(W), indexing='ij')
    gx = (gx[None] + tx[:, None, None] + 1).clamp(0, W + 1)
    gy = (gy[None] + ty[:, None, None] + 1).clamp(0, H + 1)
    xp = F.pad(x, [1, 1, 1, 1])
    bi = torch.arange(B)[:, None, None]
    x = xp.permute(0, 2, 3, 1)[bi, gy, gx].permute(0, 3, 1, 2)
    ch, cw = H // 2, W // 2
    oy = torch.randint(0, H + 1 - ch % 2, (B,))
    ox = torch.randint(0, W + 1 - cw % 2, (B,))
    ry = torch.arange(H)[None, :, None] - oy[:, None, None] + ch // 2
    rx = torch.arange(W)[None, None, :] - ox[:, None, None] + cw // 2
    keep = ~((ry >= 0) & (ry < ch) & (rx >= 0) & (rx < cw))
    return x * keep[:, None].to(x.dtype)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--nz', type=int, default=128)
    ap.add_argument('--ngf', type=int, default=24)
    ap.add_argument('--ndf', type=int, default=32)
    ap.add_argument('--classes', type=int, default=4)
    ap.add_argument('--batch', type=int, default=64)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--iters', type=int, default=10)
    ap.add_argument('--lecam', type=float, default=0.3)
    ap.add_argument('--no-diffaug', action='store_true')
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    netG, netD = G(a.nz, a.ngf, a.classes), D(a.ndf, a.classes)
    ema = copy.deepcopy(netG)
    optD = torch.optim.Adam(netD.parameters(), lr=2e-4, betas=(0.0, 0.999))
    optG = torch.optim.Adam(netG.parameters(), lr=2e-4, betas=(0.0, 0.999))
    B = a.batch
    aug = (lambda t: t) if a.no_diffaug else diffaug
    real = torch.rand(B, 3, 64, 64) * 2 - 1
    labels = torch.arange(B) % a.classes
    anchors = {'real': 0.0, 'fake': 0.0}

    def step():
        optD.zero_grad(set_to_none=True)
        d_real = netD(aug(real), labels)
        loss_real = F.relu(1 - d_real).mean() + a.lecam * F.relu(d_real - anchors['fake']).pow(2).mean()
        loss_real.backward()
        fake = netG(torch.randn(B, a.nz, 1, 1), labels)
        fake_aug = aug(fake)
        d_fake = netD(fake_aug.detach(), labels)
        loss_fake = F.relu(1 + d_fake).mean() + a.lecam * F.relu(anchors['real'] - d_fake).pow(2).mean()
        loss_fake.backward()
        optD.step()
        anchors['real'] = 0.99 * anchors['real'] + 0.01 * d_real.mean().item()
        anchors['fake'] = 0.99 * anchors['fake'] + 0.01 * d_fake.mean().item()
        optG.zero_grad(set_to_none=True)
        errG = -netD(fake_aug, labels).mean()
        errG.backward()
        optG.step()
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), netG.parameters()):
                pe.mul_(0.999).add_(p, alpha=0.001)
        return (loss_real + loss_fake).item(), errG.item()

    for _ in range(a.warmup):
        step()
    times = []
    for _ in range(a.iters):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    n_params = lambda net: sum(p.numel() for n, p in net.named_parameters())
    print(json.dumps(dict(bench='gan-default', preset='default', ngf=a.ngf, ndf=a.ndf, nz=a.nz,
                          batch=B, threads=a.threads, diffaug=not a.no_diffaug, iters=a.iters,
                          s_per_iter_min=min(times), s_per_iter_med=med, s_per_iter_max=max(times),
                          img_per_s_med=B / med, img_per_s_best=B / min(times),
                          g_params=n_params(netG), d_params=n_params(netD))))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
