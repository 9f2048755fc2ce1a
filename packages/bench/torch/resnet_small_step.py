"""PyTorch's training step on resnet-small as qcb builds it (packages/models): batch N of
28x28x1 images, SGD with momentum 0.9 and weight decay 5e-4, BatchNorm in training mode.
Prints one JSON line: the median seconds per step over --steps steps after --warmup.
Usage: python3 resnet_small_step.py --threads T --batch 32 --steps 20 --warmup 3"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + self.shortcut(x))


def resnet_small(widths=(16, 32, 64), classes=10):
    layers = [nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    cin = widths[0]
    for stage, w in enumerate(widths):
        layers.append(BasicBlock(cin, w, 2 if stage > 0 else 1))
        cin = w
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes)]
    return nn.Sequential(*layers)


def training_step(threads, batch):
    """One training step of resnet-small on a fixed batch, as a function that returns the loss."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = resnet_small().train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(batch, 1, 28, 28)
    y = torch.randint(0, 10, (batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    return step


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--threads', type=int, required=True)
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--warmup', type=int, default=3)
    a = p.parse_args()
    step = training_step(a.threads, a.batch)

    for _ in range(a.warmup):
        step()
    times = []
    loss = float('nan')
    for _ in range(a.steps):
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
    print(json.dumps({'threads': torch.get_num_threads(), 'seconds': statistics.median(times), 'loss': loss, 'torch': torch.__version__}))


if __name__ == '__main__':
    main()
