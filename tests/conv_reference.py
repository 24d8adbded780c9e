"""NumPy reference implementations of tf's convolution and pooling equations (channels last,
filters HWIO, explicit padding before/after each spatial dim), used by the conv tests."""
import numpy as np


def same_pads(sizes, ks, strides, dilations):
    """tf's SAME padding: out = ceil(in / stride), the odd extra after."""
    lo, hi = [], []
    for n, k, s, d in zip(sizes, ks, strides, dilations):
        out = -(-n // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
        lo.append(total // 2)
        hi.append(total - total // 2)
    return lo, hi


def conv(x, w, s, d, lo, hi):
    nsp = x.ndim - 2
    xp = np.pad(x.astype(np.float64), [(0, 0)] + list(zip(lo, hi)) + [(0, 0)])
    k, cg, cout = w.shape[:nsp], w.shape[-2], w.shape[-1]
    groups = x.shape[-1] // cg
    cog = cout // groups
    out = [(xp.shape[1 + i] - ((k[i] - 1) * d[i] + 1)) // s[i] + 1 for i in range(nsp)]
    y = np.zeros((x.shape[0], *out, cout))
    for idx in np.ndindex(*k):
        sl = tuple(slice(idx[i] * d[i], idx[i] * d[i] + (out[i] - 1) * s[i] + 1, s[i])
                   for i in range(nsp))
        patch = xp[(slice(None),) + sl]
        for g in range(groups):
            y[..., g * cog:(g + 1) * cog] += patch[..., g * cg:(g + 1) * cg] @ \
                w[idx][:, g * cog:(g + 1) * cog].astype(np.float64)
    return y


def pool(x, k, s, lo, hi, is_max):
    """Padding never counts: max over real elements, average divided by their number."""
    nsp = x.ndim - 2
    fill = -np.inf if is_max else 0.0
    xp = np.pad(x.astype(np.float64), [(0, 0)] + list(zip(lo, hi)) + [(0, 0)],
                constant_values=fill)
    ones = np.pad(np.ones(x.shape[1:-1]), list(zip(lo, hi)))
    out = [(xp.shape[1 + i] - k[i]) // s[i] + 1 for i in range(nsp)]
    y = np.full((x.shape[0], *out, x.shape[-1]), fill)
    cnt = np.zeros(out)
    for idx in np.ndindex(*k):
        sl = tuple(slice(idx[i], idx[i] + (out[i] - 1) * s[i] + 1, s[i]) for i in range(nsp))
        patch = xp[(slice(None),) + sl]
        y = np.maximum(y, patch) if is_max else y + patch
        cnt += ones[sl]
    return y if is_max else y / cnt[None, ..., None]
