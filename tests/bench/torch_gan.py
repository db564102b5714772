#!/usr/bin/python3
"""Training-step benchmark of DermaGAN's GAN presets, in PyTorch (CPU): the twin of
tests/bench/bench-gan.c --preset NAME.

The same networks and step as the engine's presets (engine/models/dg-gan.c, dg-gan-nets.c), so a
speed ratio measures the work users run.  Images 64x64, 4 classes.
  default  G: z[128] -> ConvTranspose 4x4 (4x4, ngf*8, bias), 4 residual blocks (ngf*8, *4, *2, *1):
              CBN-ReLU-bilinear x2-Conv3x3-CBN-ReLU-Conv3x3(bias) + shortcut Conv1x1(bias)-bilinear
              x2; then BN-ReLU-Conv3x3(3, bias)-Tanh; ngf 24.
           D: 4 x [Conv3x3(bias, spectral norm) -> AvgPool 2 -> LeakyReLU(0.2)] (ndf, *2, *4, *8),
              head Conv 4x4 -> 1 (spectral norm), plus the projection <E[y], GAP(features)>; ndf 32.
           hinge loss + LeCam (0.3), Adam 2e-4 (0.0, 0.999), EMA of G, DiffAugment.
  large    G as default with ngf 32; D: SNGAN residual blocks (ndf 32, *2, *4, *8, each halving):
              [ReLU]-Conv3x3-ReLU-Conv3x3-AvgPool + AvgPool-Conv1x1 shortcut, all spectral norm,
              then ReLU, GAP, Linear(1) + projection.  Loss and optimizers as default.
  dcgan    DermaGAN 0.1's default: G ConvTranspose 4x4 -> CBN-ReLU, 3 x [nearest x2 -> Conv3x3 ->
              CBN -> ReLU], nearest x2 -> Conv3x3(3) -> Tanh; D Conv 4x4/2 LeakyReLU, 3 x [Conv
              4x4/2 -> BN -> LeakyReLU], head Conv 4x4 + projection; ngf = ndf = 48; BCE, Adam 2e-4
              (0.5, 0.999), EMA, DiffAugment.
  seed     the original notebook: one unconditional DCGAN per class (ConvTranspose generator, nz
              512, ngf = ndf = 64, batch 16, BCE, Adam 1e-4 (0.5, 0.999), no EMA, no DiffAugment);
              all 4 pairs are built, as in our model; pair 0's step.
One step = D on augmented real, G forward, D on augmented fake (detached), D update; then D on
the same augmented fake, G update, EMA update. Synthetic data, no I/O.

usage: torch_gan.py [--preset default] [--batch N] [--threads 2] [--warmup 3] [--iters 10]
Prints one JSON line: img_per_s_med, s_per_iter_med, parameter counts (as in our model files:
default 1,453,131 / 393,536; dcgan 1,664,400 / 1,559,616).
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

PRESETS = {
    #           G         D          nz   ngf ndf batch loss     betas       lr    ema   diffaug
    'default': ('resnet', 'avgpool', 128, 24, 32, 64, 'hinge', (0.0, 0.999), 2e-4, True, True),
    'large':   ('resnet', 'resnet', 128, 32, 32, 64, 'hinge', (0.0, 0.999), 2e-4, True, True),
    'dcgan':   ('upconv', 'dcgan', 128, 48, 48, 64, 'bce', (0.5, 0.999), 2e-4, True, True),
    'seed':    ('convt', 'dcgan', 512, 64, 64, 16, 'bce', (0.5, 0.999), 1e-4, False, False),
}


class CBN(nn.Module):
    """Class-conditional batch norm; without classes, plain batch norm."""
    def __init__(self, ch, n_classes):
        super().__init__()
        self.cond = n_classes > 0
        self.bn = nn.BatchNorm2d(ch, affine=not self.cond)
        if self.cond:
            self.gamma = nn.Embedding(n_classes, ch)
            self.beta = nn.Embedding(n_classes, ch)
            nn.init.ones_(self.gamma.weight)
            nn.init.zeros_(self.beta.weight)

    def forward(self, x, y):
        if not self.cond:
            return self.bn(x)
        return self.bn(x) * self.gamma(y)[:, :, None, None] + self.beta(y)[:, :, None, None]


def up_bilinear(x):
    return F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=False)


def up_nearest(x):
    return F.interpolate(x, scale_factor=2, mode='nearest')


class GBlock(nn.Module):
    def __init__(self, cin, cout, n_classes):
        super().__init__()
        self.bn1, self.bn2 = CBN(cin, n_classes), CBN(cout, n_classes)
        self.c1 = nn.Conv2d(cin, cout, 3, 1, 1, bias=False)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=True)
        self.sc = nn.Conv2d(cin, cout, 1, 1, 0, bias=True)

    def forward(self, x, y):
        h = self.c1(up_bilinear(F.relu(self.bn1(x, y))))
        h = self.c2(F.relu(self.bn2(h, y)))
        return h + up_bilinear(self.sc(x))


class GResnet(nn.Module):
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


class GDcgan(nn.Module):
    """upconv: nearest x2 + Conv3x3 per doubling; convt: ConvTranspose 4x4/2."""
    def __init__(self, nz, ngf, n_classes, upconv):
        super().__init__()
        self.upconv = upconv
        self.head = nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False)
        chans = [ngf * 8, ngf * 4, ngf * 2, ngf]
        self.bns = nn.ModuleList(CBN(c, n_classes) for c in chans)
        if upconv:
            self.convs = nn.ModuleList(nn.Conv2d(a, b, 3, 1, 1, bias=False)
                                       for a, b in zip(chans, chans[1:] + [3]))
        else:
            self.convs = nn.ModuleList(nn.ConvTranspose2d(a, b, 4, 2, 1, bias=False)
                                       for a, b in zip(chans, chans[1:] + [3]))

    def forward(self, z, y):
        x = self.head(z)
        for bn, conv in zip(self.bns, self.convs):
            x = F.relu(bn(x, y))
            x = conv(up_nearest(x) if self.upconv else x)
        return torch.tanh(x)


class DAvgpool(nn.Module):
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
        return self.head(x).view(-1) + (self.embed(y) * x.mean(dim=(2, 3))).sum(dim=1)


class DDcgan(nn.Module):
    def __init__(self, ndf, n_classes):
        super().__init__()
        chans = [3, ndf, ndf * 2, ndf * 4, ndf * 8]
        self.convs = nn.ModuleList(nn.Conv2d(a, b, 4, 2, 1, bias=False)
                                   for a, b in zip(chans, chans[1:]))
        self.bns = nn.ModuleList([nn.Identity()] + [nn.BatchNorm2d(c) for c in chans[2:]])
        self.head = nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False)
        self.embed = nn.Embedding(n_classes, ndf * 8) if n_classes > 0 else None

    def forward(self, x, y):
        for conv, bn in zip(self.convs, self.bns):
            x = F.leaky_relu(bn(conv(x)), 0.2)
        out = self.head(x).view(-1)
        if self.embed is None:
            return out
        return out + (self.embed(y) * x.mean(dim=(2, 3))).sum(dim=1)


class DBlock(nn.Module):
    def __init__(self, cin, cout, first):
        super().__init__()
        self.first = first
        self.c1 = spectral_norm(nn.Conv2d(cin, cout, 3, 1, 1, bias=True))
        self.c2 = spectral_norm(nn.Conv2d(cout, cout, 3, 1, 1, bias=True))
        self.sc = spectral_norm(nn.Conv2d(cin, cout, 1, 1, 0, bias=True))

    def forward(self, x):
        h = x if self.first else F.relu(x)
        h = F.avg_pool2d(self.c2(F.relu(self.c1(h))), 2)
        return h + self.sc(F.avg_pool2d(x, 2))


class DResnet(nn.Module):
    def __init__(self, ndf, n_classes):
        super().__init__()
        chans = [3, ndf, ndf * 2, ndf * 4, ndf * 8]
        self.blocks = nn.ModuleList(DBlock(a, b, i == 0)
                                    for i, (a, b) in enumerate(zip(chans, chans[1:])))
        self.lin = spectral_norm(nn.Linear(ndf * 8, 1))
        self.embed = nn.Embedding(n_classes, ndf * 8)

    def forward(self, x, y):
        for b in self.blocks:
            x = b(x)
        f = F.relu(x).mean(dim=(2, 3))
        return self.lin(f).view(-1) + (self.embed(y) * f).sum(dim=1)


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


def build(preset, classes):
    g, d, nz, ngf, ndf = PRESETS[preset][:5]
    if g == 'resnet':
        netG = GResnet(nz, ngf, classes)
    else:
        netG = GDcgan(nz, ngf, classes, g == 'upconv')
    if d == 'avgpool':
        netD = DAvgpool(ndf, classes)
    elif d == 'resnet':
        netD = DResnet(ndf, classes)
    else:
        netD = DDcgan(ndf, classes)
    if g != 'resnet':  # DCGAN initialization, as our dcgan-family nets
        for m in list(netG.modules()) + list(netD.modules()):
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.normal_(m.weight, 0.0, 0.02)
    return netG, netD


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--preset', default='default', choices=sorted(PRESETS))
    ap.add_argument('--classes', type=int, default=4)
    ap.add_argument('--batch', type=int, default=0, help="0: the preset's")
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--iters', type=int, default=10)
    a = ap.parse_args()
    _, _, nz, ngf, ndf, batch, loss, betas, lr, use_ema, use_aug = PRESETS[a.preset]
    classes = 0 if a.preset == 'seed' else a.classes  # seed: unconditional pairs

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    # the seed preset keeps one unconditional pair per class (as our model does); pair 0 trains
    pairs = [build(a.preset, classes) for _ in range(a.classes if classes == 0 else 1)]
    netG, netD = pairs[0]
    ema = copy.deepcopy(netG) if use_ema else None
    opts = [(torch.optim.Adam(d.parameters(), lr=lr, betas=betas),
             torch.optim.Adam(g.parameters(), lr=lr, betas=betas)) for g, d in pairs]
    optD, optG = opts[0]
    B = a.batch or batch
    aug = diffaug if use_aug else (lambda t: t)
    real = torch.rand(B, 3, 64, 64) * 2 - 1
    labels = torch.arange(B) % max(classes, 1)
    anchors = {'real': 0.0, 'fake': 0.0}
    lecam = 0.3 if loss == 'hinge' else 0.0
    ones, zeros = torch.ones(B), torch.zeros(B)

    def d_loss(out, real_side):
        if loss == 'bce':
            return F.binary_cross_entropy_with_logits(out, ones if real_side else zeros)
        if real_side:
            return F.relu(1 - out).mean() + lecam * F.relu(out - anchors['fake']).pow(2).mean()
        return F.relu(1 + out).mean() + lecam * F.relu(anchors['real'] - out).pow(2).mean()

    def step():
        optD.zero_grad(set_to_none=True)
        d_real = netD(aug(real), labels)
        loss_real = d_loss(d_real, True)
        loss_real.backward()
        fake = netG(torch.randn(B, nz, 1, 1), labels)
        fake_aug = aug(fake)
        d_fake = netD(fake_aug.detach(), labels)
        loss_fake = d_loss(d_fake, False)
        loss_fake.backward()
        optD.step()
        if lecam > 0:
            anchors['real'] = 0.99 * anchors['real'] + 0.01 * d_real.mean().item()
            anchors['fake'] = 0.99 * anchors['fake'] + 0.01 * d_fake.mean().item()
        optG.zero_grad(set_to_none=True)
        out = netD(fake_aug, labels)
        errG = -out.mean() if loss == 'hinge' else F.binary_cross_entropy_with_logits(out, ones)
        errG.backward()
        optG.step()
        if ema is not None:
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
    print(json.dumps(dict(bench='gan', preset=a.preset, ngf=ngf, ndf=ndf, nz=nz, batch=B,
                          threads=a.threads, iters=a.iters, s_per_iter_min=min(times),
                          s_per_iter_med=med, s_per_iter_max=max(times), img_per_s_med=B / med,
                          img_per_s_best=B / min(times), g_params=n_params(netG),
                          d_params=n_params(netD))))
    sys.stdout.flush()


if __name__ == '__main__':
    main()
