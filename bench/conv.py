"""tf.nn.conv2d / depthwise / conv1d / pooling and a small-CNN train step: lamina against PyTorch
(channels_last tensors, torch.nn.functional), same process, same thread count. Prints medians and
the ratio lamina / PyTorch (below 1: lamina is faster).

    python bench/conv.py [--threads 1 2] [--quick] [--cpu-time]

--cpu-time times the process's CPU time instead of the wall clock: on a machine shared with other
jobs, at 1 thread, it measures the work rather than the waiting.

PyTorch is optional (without it only lamina's times are printed). On a machine where PyTorch
lives in another environment of the same Python version, append its site-packages:
    PYTHONPATH_TAIL=/path/to/site-packages python bench/conv.py
"""
import argparse
import os
import sys
import time

import numpy as np

if os.environ.get("PYTHONPATH_TAIL"):
    sys.path.append(os.environ["PYTHONPATH_TAIL"])

import lamina as tf  # noqa: E402

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402
except ImportError:
    torch = None


CLOCK = time.perf_counter


def median_time(fn, budget=0.4, reps=7):
    fn()
    t0 = CLOCK()
    fn()
    one = CLOCK() - t0
    calls = max(1, int(budget / reps / max(one, 1e-9)))
    times = []
    for _ in range(reps if one < 0.2 else 3):
        t0 = CLOCK()
        for _ in range(calls):
            fn()
        times.append((CLOCK() - t0) / calls)
    times.sort()
    return times[len(times) // 2]


def conv_case(n, h, w, c, k, cout, stride=1, depthwise=False):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, h, w, c)).astype(np.float32)
    if depthwise:
        f = rng.standard_normal((k, k, c, 1)).astype(np.float32)
        lx, lf = tf.constant(x), tf.constant(f)
        lam = lambda: tf.nn.depthwise_conv2d(lx, lf, [1, stride, stride, 1], "SAME")  # noqa: E731
    else:
        f = rng.standard_normal((k, k, c, cout)).astype(np.float32)
        lx, lf = tf.constant(x), tf.constant(f)
        lam = lambda: tf.nn.conv2d(lx, lf, stride, "SAME")  # noqa: E731
    tor = None
    if torch is not None:
        tx = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
        if depthwise:
            tw = torch.from_numpy(f).permute(2, 3, 0, 1).contiguous()   # (C, 1, k, k)
            tw = tw.contiguous(memory_format=torch.channels_last)
            groups = c
        else:
            tw = torch.from_numpy(f).permute(3, 2, 0, 1).contiguous(memory_format=torch.channels_last)
            groups = 1
        pad = k // 2

        def tor():
            with torch.no_grad():
                return F.conv2d(tx, tw, stride=stride, padding=pad, groups=groups)
    return lam, tor


def audio_case():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1, 16000, 1)).astype(np.float32)
    f = rng.standard_normal((80, 1, 128)).astype(np.float32)
    lx, lf = tf.constant(x), tf.constant(f)
    lam = lambda: tf.nn.conv1d(lx, lf, 4, "VALID")  # noqa: E731
    tor = None
    if torch is not None:
        tx = torch.from_numpy(x).permute(0, 2, 1).contiguous()
        tw = torch.from_numpy(f).permute(2, 1, 0).contiguous()

        def tor():
            with torch.no_grad():
                return F.conv1d(tx, tw, stride=4)
    return lam, tor


def pool_case():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 112, 112, 64)).astype(np.float32)
    lx = tf.constant(x)
    lam = lambda: tf.nn.max_pool2d(lx, 3, 2, "SAME")  # noqa: E731
    tor = None
    if torch is not None:
        tx = torch.from_numpy(x).permute(0, 3, 1, 2)   # a channels_last view

        def tor():
            with torch.no_grad():
                return F.max_pool2d(tx, 3, 2, padding=1)
    return lam, tor, x.nbytes * 1.25   # reads x, writes a quarter


def train_case():
    """conv(32)-relu-pool-conv(64)-relu-pool-dense(10), batch 32 of 28x28x1, SGD."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 28, 28, 1)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    w1 = tf.Variable(rng.standard_normal((3, 3, 1, 32)).astype(np.float32) * 0.3)
    b1 = tf.Variable(np.zeros(32, np.float32))
    w2 = tf.Variable(rng.standard_normal((3, 3, 32, 64)).astype(np.float32) * 0.06)
    b2 = tf.Variable(np.zeros(64, np.float32))
    w3 = tf.Variable(rng.standard_normal((7 * 7 * 64, 10)).astype(np.float32) * 0.02)
    b3 = tf.Variable(np.zeros(10, np.float32))
    lv = [w1, b1, w2, b2, w3, b3]
    lx, onehot = tf.constant(x), tf.one_hot(y, 10)

    def lam():
        with tf.GradientTape() as tape:
            h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(lx, w1, 1, "SAME") + b1), 2, 2, "VALID")
            h = tf.nn.max_pool2d(tf.nn.relu(tf.nn.conv2d(h, w2, 1, "SAME") + b2), 2, 2, "VALID")
            logits = tf.reshape(h, (32, -1)) @ w3 + b3
            loss = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(onehot, logits))
        for v, g in zip(lv, tape.gradient(loss, lv)):
            v.assign_sub(g * 0.01)
    tor = None
    if torch is not None:
        tx = torch.from_numpy(x).permute(0, 3, 1, 2).contiguous(memory_format=torch.channels_last)
        ty = torch.from_numpy(y)
        conv1 = torch.nn.Conv2d(1, 32, 3, padding=1).to(memory_format=torch.channels_last)
        conv2 = torch.nn.Conv2d(32, 64, 3, padding=1).to(memory_format=torch.channels_last)
        fc = torch.nn.Linear(7 * 7 * 64, 10)
        params = list(conv1.parameters()) + list(conv2.parameters()) + list(fc.parameters())
        opt = torch.optim.SGD(params, lr=0.01)

        def tor():
            opt.zero_grad()
            h = F.max_pool2d(F.relu(conv1(tx)), 2)
            h = F.max_pool2d(F.relu(conv2(h)), 2)
            loss = F.cross_entropy(fc(h.reshape(32, -1)), ty)
            loss.backward()
            opt.step()
    return lam, tor


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--quick", action="store_true", help="batch-1 shapes only")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time the process's CPU time (1 thread on a loaded machine)")
    args = ap.parse_args()
    if args.cpu_time:
        global CLOCK
        CLOCK = time.process_time
    convs = [
        ("resnet 56x56x64 3x3->64", (1, 56, 56, 64, 3, 64)),
        ("resnet 56x56x64 1x1->256", (1, 56, 56, 64, 1, 256)),
        ("resnet 28x28x128 3x3->128", (1, 28, 28, 128, 3, 128)),
        ("resnet 14x14x256 3x3->256", (1, 14, 14, 256, 3, 256)),
        ("resnet 7x7x512 3x3->512", (1, 7, 7, 512, 3, 512)),
    ]
    if not args.quick:
        convs += [(name.replace("resnet", "resnet b32"), (32,) + s[1:]) for name, s in convs]
    dws = [("mobilenet dw 112x112x32", (1, 112, 112, 32, 3, 32)),
           ("mobilenet dw 56x56x128", (1, 56, 56, 128, 3, 128)),
           ("mobilenet dw 28x28x256 s2", (1, 28, 28, 256, 3, 256, 2)),
           ("mobilenet dw 14x14x512", (1, 14, 14, 512, 3, 512)),
           ("mobilenet dw 7x7x1024", (1, 7, 7, 1024, 3, 1024))]
    print(f"lamina {tf.__version__} isa={tf.isa()}; torch "
          f"{torch.__version__ if torch else 'absent'}")
    print(f"{'case':34s} {'thr':>3s} {'lamina ms':>10s} {'torch ms':>10s} {'ratio':>6s}")
    for threads in args.threads:
        tf.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        rows = [(name, conv_case(*s)) for name, s in convs]
        rows += [(name, conv_case(*s[:6], stride=s[6] if len(s) > 6 else 1, depthwise=True))
                 for name, s in dws]
        rows.append(("audio conv1d 16000 k80 s4 ->128", audio_case()))
        rows.append(("small-CNN train step b32", train_case()))
        for name, (lam, tor) in rows:
            tl = median_time(lam)
            tt = median_time(tor) if tor else float("nan")
            print(f"{name:34s} {threads:3d} {tl * 1e3:10.3f} {tt * 1e3:10.3f} {tl / tt:6.2f}",
                  flush=True)
        lam, tor, nbytes = pool_case()
        tl = median_time(lam)
        tt = median_time(tor) if tor else float("nan")
        print(f"{'maxpool 8x112x112x64 3x3 s2':34s} {threads:3d} {tl * 1e3:10.3f} {tt * 1e3:10.3f} "
              f"{tl / tt:6.2f}   lamina {nbytes / tl / 1e9:.1f} GB/s", flush=True)


if __name__ == "__main__":
    main()
