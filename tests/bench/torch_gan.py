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
  current  the engine's default since 2026-12-07, x-resnetrcy-ap-24-32-0.3-1-2dc (the twin's default
              above is x-resnet-ap-24-32): D, loss, optimizers and DiffAugment as default; G as
              default but every 3x3 convolution of G (the blocks' and the output's) sees
              reflection padding (ReflectionPad 1 + Conv padding 0), and in each block
              CBN-ReLU-bilinear x2, then the centre-distance channel concatenated after the
              input's channels (sqrt((u^2 + v^2) / 2) with u, v = (2i + 1) / n - 1: 0 at the
              centre, 1 at the corners; a constant), Conv3x3 (cin + 1 -> cout), then noise,
              CBN-ReLU-Conv3x3(bias), noise, + shortcut Conv1x1(bias)-bilinear x2.  Noise
              (blocks to 8, 16 and 32 only, not the 64x64 one): x + scale[c] * n[b, y, x], one
              N(0, 1) plane per image and layer shared by its channels, scale a learned
              per-channel parameter starting at 0.  Plus the per-class spectral loss (weight 1)
              in G's loss: per image the grey level (channel mean) less its mean, times the 2-D
              Hann window w(u) w(v), w(u) = 0.5 - 0.5 cos(2 pi (u + 0.5) / S), its power
              |FFT2|^2 (torch.fft.fft2, unshifted), summed over the 2x2 blocks of the spectrum
              (all (S/2)^2 = 1024 of them but the zero frequency's: 1023 bins); per class k
              the batch means Pf_k, Pr_k of the block powers (sum / (4 N)) of G's un-augmented
              output and of the un-augmented real batch (no gradient), and
              L = sum_k (Nf_k / B) (1 / 1023) sum_bins (log10(Pf_k + 1e-6) - log10(Pr_k + 1e-6))^2
              over the classes with at least 2 fake and 2 real images; G minimizes
              -mean D(aug(G(z))) + 1 * L.  The step as the engine's (dg_gan_train_step): G
              forward first; LeCam from D's second step on, its anchors set by the first step
              (then decay 0.99); D's parameters get no gradient in G's pass; EMA decay
              min(0.999, (1 + t) / (10 + t)) after G's t-th step.
              Differences from the engine that remain: the noise planes are torch.randn draws
              (ours hashes the image's latent vector, layer and pixel: the same z gives the
              same noise, same N(0, 1) distribution); the spectrum is an FFT (ours multiplies
              by S x S cosine and sine matrices, O(S^3) per image); PyTorch's spectral_norm
              makes one power iteration per D forward (3 per step; ours one per optimizer
              step) and the weights start as PyTorch's default (ours Kaiming), as in default;
              ours also checks that the losses and gradients are finite before each update.
  seed     the original notebook: one unconditional DCGAN per class (ConvTranspose generator, nz
              512, ngf = ndf = 64, batch 16, BCE, Adam 1e-4 (0.5, 0.999), no EMA, no DiffAugment);
              all 4 pairs are built, as in our model; pair 0's step.
One step = D on augmented real, G forward, D on augmented fake (detached), D update; then D on
the same augmented fake, G update, EMA update (current: G forward first, and the spectral loss
added to G's). Synthetic data, no I/O.

usage: torch_gan.py [--preset default] [--batch N] [--threads 2] [--warmup 3] [--iters 10]
Prints one JSON line: img_per_s_med, s_per_iter_med, parameter counts (as in our model files:
default 1,453,131 / 393,536; current 1,457,043 / 393,536; dcgan 1,664,400 / 1,559,616).
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
    'current': ('resnetrcy', 'avgpool', 128, 24, 32, 64, 'hinge', (0.0, 0.999), 2e-4, True, True),
}
# the spectral loss's weight and per class (the presets not named: none)
SPECTRAL = {'current': (1.0, True)}


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


def pad_reflect(x):
    return F.pad(x, [1, 1, 1, 1], mode='reflect')


class Noise(nn.Module):
    """x + scale[c] * n[b, y, x]: one N(0, 1) plane per image, shared by the channels."""
    def __init__(self, ch):
        super().__init__()
        self.scale = nn.Parameter(torch.zeros(ch))

    def forward(self, x):
        B, C, H, W = x.shape
        return x + self.scale.view(1, C, 1, 1) * torch.randn(B, 1, H, W, dtype=x.dtype)


def centre_distance(h, w):
    """[1, 1, h, w]: the distance from the plane's centre, 0 there, 1 at the corners."""
    v = (2 * torch.arange(h, dtype=torch.float32) + 1) / h - 1
    u = (2 * torch.arange(w, dtype=torch.float32) + 1) / w - 1
    return torch.sqrt((u[None, :] ** 2 + v[:, None] ** 2) * 0.5)[None, None]


class GBlockRC(nn.Module):
    """The current preset's block: reflection padding, the centre channel before the first
    convolution, noise after both convolutions (when noise)."""
    def __init__(self, cin, cout, n_classes, size, noise):
        super().__init__()
        self.bn1, self.bn2 = CBN(cin, n_classes), CBN(cout, n_classes)
        self.c1 = nn.Conv2d(cin + 1, cout, 3, 1, 0, bias=False)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 0, bias=True)
        self.sc = nn.Conv2d(cin, cout, 1, 1, 0, bias=True)
        self.n1 = Noise(cout) if noise else nn.Identity()
        self.n2 = Noise(cout) if noise else nn.Identity()
        self.register_buffer('coords', centre_distance(size, size), persistent=False)

    def forward(self, x, y):
        h = up_bilinear(F.relu(self.bn1(x, y)))
        h = torch.cat([h, self.coords.expand(h.shape[0], 1, -1, -1)], dim=1)
        h = self.n1(self.c1(pad_reflect(h)))
        h = self.n2(self.c2(pad_reflect(F.relu(self.bn2(h, y)))))
        return h + up_bilinear(self.sc(x))


class GResnetRCY(nn.Module):
    """resnetrcy: GResnet with reflection padding, the centre channel and noise below size."""
    def __init__(self, nz, ngf, n_classes, size=64):
        super().__init__()
        self.head = nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=True)
        chans = [ngf * 8, ngf * 8, ngf * 4, ngf * 2, ngf]
        self.blocks = nn.ModuleList(GBlockRC(a, b, n_classes, 4 << l, (4 << l) < size)
                                    for l, (a, b) in enumerate(zip(chans, chans[1:]), 1))
        self.bn = nn.BatchNorm2d(ngf)
        self.out = nn.Conv2d(ngf, 3, 3, 1, 0, bias=True)

    def forward(self, z, y):
        x = self.head(z)
        for b in self.blocks:
            x = b(x, y)
        return torch.tanh(self.out(pad_reflect(F.relu(self.bn(x)))))


class SpectralBlocks:
    """The engine's spectral loss (engine/numerics/dg-spectral.c) on the 2x2 blocks of the
    2-D power spectrum, per group (class); see the module's docstring."""
    EPS = 1e-6

    def __init__(self, size):
        n = torch.arange(size, dtype=torch.float64)
        w = 0.5 - 0.5 * torch.cos(2 * torch.pi * (n + 0.5) / size)
        self.win = (w[:, None] * w[None, :]).float()
        self.R = size // 2
        self.nbins = self.R * self.R - 1

    def powers(self, x):
        """[B, C, S, S] -> [B, nbins]: each image's power summed over each block."""
        B, R = x.shape[0], self.R
        g = x.mean(dim=1)
        g = (g - g.mean(dim=(1, 2), keepdim=True)) * self.win
        f = torch.fft.fft2(g)
        p = f.real.square() + f.imag.square()
        return p.view(B, R, 2, R, 2).sum(dim=(2, 4)).reshape(B, R * R)[:, 1:]

    def loss(self, fake, fake_groups, real, real_groups, n_groups):
        pf, nf = self.group_means(self.powers(fake), fake_groups, n_groups)
        with torch.no_grad():
            pr, nr = self.group_means(self.powers(real), real_groups, n_groups)
        least = 2 if n_groups > 1 else 1
        keep = ((nf >= least) & (nr >= least)).to(fake.dtype)
        w = keep * nf.to(fake.dtype) / nf.sum()
        d = torch.log10(pf + self.EPS) - torch.log10(pr + self.EPS)
        return (w[:, None] * d.square()).sum() / self.nbins

    @staticmethod
    def group_means(p, groups, n_groups):
        n = torch.bincount(groups, minlength=n_groups)
        sums = torch.zeros(n_groups, p.shape[1], dtype=p.dtype).index_add(0, groups, p)
        return sums / (4 * n.clamp(min=1).to(p.dtype))[:, None], n


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
    elif g == 'resnetrcy':
        netG = GResnetRCY(nz, ngf, classes)
    else:
        netG = GDcgan(nz, ngf, classes, g == 'upconv')
    if d == 'avgpool':
        netD = DAvgpool(ndf, classes)
    elif d == 'resnet':
        netD = DResnet(ndf, classes)
    else:
        netD = DDcgan(ndf, classes)
    if not g.startswith('resnet'):  # DCGAN initialization, as our dcgan-family nets
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

    spectral, per_class = SPECTRAL.get(a.preset, (0.0, False))
    spec = SpectralBlocks(64) if spectral > 0 else None
    groups = max(classes, 1) if per_class else 1
    spec_labels = labels if per_class else torch.zeros(B, dtype=torch.long)
    d_params = list(netD.parameters())
    counts = {'d': 0, 'g': 0}

    def step_engine():
        """The step as the engine's dg_gan_train_step (the current preset: hinge)."""
        fake = netG(torch.randn(B, nz, 1, 1), labels)
        optD.zero_grad(set_to_none=True)
        use_lecam = lecam > 0 and counts['d'] > 0  # from D's second step on
        d_real = netD(aug(real), labels)
        loss_real = F.relu(1 - d_real).mean()
        if use_lecam:
            loss_real = loss_real + lecam * F.relu(d_real - anchors['fake']).pow(2).mean()
        loss_real.backward()
        fake_aug = aug(fake)
        d_fake = netD(fake_aug.detach(), labels)
        loss_fake = F.relu(1 + d_fake).mean()
        if use_lecam:
            loss_fake = loss_fake + lecam * F.relu(anchors['real'] - d_fake).pow(2).mean()
        loss_fake.backward()
        optD.step()
        counts['d'] += 1
        if lecam > 0:
            decay = 0.99 if counts['d'] > 1 else 0.0  # the first step sets them
            anchors['real'] = decay * anchors['real'] + (1 - decay) * d_real.mean().item()
            anchors['fake'] = decay * anchors['fake'] + (1 - decay) * d_fake.mean().item()
        optG.zero_grad(set_to_none=True)
        for p in d_params:  # no parameter gradients for D in G's pass
            p.requires_grad_(False)
        errG = -netD(fake_aug, labels).mean()
        if spec is not None:
            errG = errG + spectral * spec.loss(fake, spec_labels, real, spec_labels, groups)
        errG.backward()
        for p in d_params:
            p.requires_grad_(True)
        optG.step()
        counts['g'] += 1
        if ema is not None:
            t = counts['g']
            decay = min(0.999, (1.0 + t) / (10.0 + t))  # the engine's warm-up
            with torch.no_grad():
                for pe, p in zip(ema.parameters(), netG.parameters()):
                    pe.mul_(decay).add_(p, alpha=1 - decay)
        return (loss_real + loss_fake).item(), errG.item()

    if a.preset == 'current':
        step = step_engine
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
