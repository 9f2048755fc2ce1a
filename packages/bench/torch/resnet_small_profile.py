"""Op by op, where one thread's training step of resnet-small goes in PyTorch (the step
resnet_small_step.py times), by self CPU time per step under torch.profiler, against the
step's median wall time unprofiled. scripts/step-kernels.mjs prints qcb's the same way.
Usage: python3 resnet_small_profile.py [--batch 32] [--steps 20] [--threads 1]"""
import argparse
import statistics
import time

import torch
from torch.profiler import ProfilerActivity, profile

from resnet_small_step import training_step


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--steps', type=int, default=20)
    p.add_argument('--threads', type=int, default=1)
    a = p.parse_args()
    step = training_step(a.threads, a.batch)
    for _ in range(20):
        step()
    times = []
    for _ in range(a.steps):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    wall = statistics.median(times) * 1e3
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(a.steps):
            step()
    rows = sorted(prof.key_averages(), key=lambda e: -e.self_cpu_time_total)
    print(f'resnet-small, batch {a.batch}, PyTorch {torch.__version__} on {a.threads} thread(s): median step {wall:.1f} ms unprofiled')
    print('ops by self CPU time, per step (the profiler adds its own cost to each):')
    total = 0.0
    for e in rows:
        ms = e.self_cpu_time_total / 1e3 / a.steps
        total += ms
        if ms >= 0.05:
            print(f'  {ms:7.2f} ms  x{e.count // a.steps:3d}  {e.key}')
    print(f'  {total:7.2f} ms  in all ops')


if __name__ == '__main__':
    main()
