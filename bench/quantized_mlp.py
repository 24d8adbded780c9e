"""int8 (and bfloat16) inference of a trained 784-512-512-10 MLP against float32, as ratios of
medians from one run, plus top-1 agreement with float32 on held-out data.

    python bench/quantized_mlp.py [--ort PYTHON] [--threads T]

The model is trained here with lamina (Adam, a few epochs) on a synthetic 10-class problem:
class prototypes in [0, 1]^784 mixed with noise, so that the classes overlap and the logits are
not trivially separated. Timed: model(x) at batch 1 and 32 for the float32 model and the same
model after model.quantize("int8"). With --ort PYTHON (an interpreter with onnx and
onnxruntime, e.g. /work/tfenv/bin/python) the same weights also run as an ONNX model in ONNX
Runtime, float32 and after onnxruntime.quantization.quantize_dynamic (int8 weights), timed in a
child process right after lamina's figures. Also timed: the same weights under the
mixed_bfloat16 policy (vdpbf16ps on packed weights where the CPU has AVX512_BF16).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import timeit
import warnings

import numpy as np

import lamina as tf


def data(rng, n, protos):
    y = rng.integers(0, 10, n)
    mix = rng.uniform(0.02, 0.12, (n, 1)).astype(np.float32)
    x = mix * protos[y] + (1 - mix) * rng.uniform(0, 1, (n, 784)).astype(np.float32)
    return x.astype(np.float32), y


def mlp():
    return tf.keras.Sequential([tf.keras.Input((784,)),
                                tf.keras.layers.Dense(512, activation="relu"),
                                tf.keras.layers.Dense(512, activation="relu"),
                                tf.keras.layers.Dense(10)])


def median_us(fn, number, repeat=9, timer=timeit.default_timer):
    return float(np.median(timeit.repeat(fn, number=number, repeat=repeat, timer=timer))) \
        / number * 1e6


ORT_CHILD = r"""
import json, sys, timeit, numpy as np, onnx, onnxruntime as ort
from onnx import helper, TensorProto, numpy_helper
from onnxruntime.quantization import quantize_dynamic, QuantType
import time
d = np.load(sys.argv[1]); threads = int(sys.argv[3])
timer = time.process_time if threads == 1 else timeit.default_timer
nodes, inits, prev = [], [], "x"
for i in range(3):
    inits += [numpy_helper.from_array(d[f"w{i}"], f"w{i}"), numpy_helper.from_array(d[f"b{i}"], f"b{i}")]
    nodes += [helper.make_node("MatMul", [prev, f"w{i}"], [f"m{i}"]),
              helper.make_node("Add", [f"m{i}", f"b{i}"], [f"a{i}"])]
    prev = f"a{i}"
    if i < 2:
        nodes.append(helper.make_node("Relu", [prev], [f"r{i}"])); prev = f"r{i}"
g = helper.make_graph(nodes, "mlp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 784])],
                      [helper.make_tensor_value_info(prev, TensorProto.FLOAT, [None, 10])], inits)
model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
f32, q8 = sys.argv[2] + "/f32.onnx", sys.argv[2] + "/q8.onnx"
onnx.save(model, f32)
quantize_dynamic(f32, q8, weight_type=QuantType.QInt8)
so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
out = {}
xt = d["xtest"]
for name, path in (("f32", f32), ("int8", q8)):
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    out[name + "_pred"] = s.run(None, {"x": xt})[0].argmax(1).tolist()
    for b in (1, 32):
        x = xt[:b]
        n = 2000 if b == 1 else 300
        out[f"{name}_b{b}"] = float(np.median(timeit.repeat(lambda: s.run(None, {"x": x}), number=n, repeat=9, timer=timer))) / n * 1e6
print(json.dumps(out))
"""


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--ort", help="a Python with onnx + onnxruntime for the ONNX Runtime figures")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args()
    tf.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    protos = (rng.uniform(0, 1, (10, 784)) > 0.5).astype(np.float32)
    xtr, ytr = data(rng, 12000, protos)
    xte, yte = data(rng, 4000, protos)
    tf.keras.utils.set_random_seed(0) if hasattr(tf.keras.utils, "set_random_seed") else None
    m = mlp()
    m.compile(optimizer=tf.keras.optimizers.Adam(1e-3),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    m.fit(xtr, ytr, batch_size=128, epochs=args.epochs, verbose=0)
    weights = m.get_weights()
    q = mlp()
    q.set_weights(weights)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q.quantize("int8")

    prev = tf.keras.mixed_precision.global_policy()
    tf.keras.mixed_precision.set_global_policy("mixed_bfloat16")
    mb = mlp()
    mb.set_weights(weights)
    tf.keras.mixed_precision.set_global_policy(prev)

    pf = m(xte).numpy().argmax(1)
    pb = tf.cast(mb(xte), "float32").numpy().argmax(1)
    pq = q(xte).numpy().argmax(1)
    print(f"lamina {tf.__version__}, ISA {tf.isa()}, int8 kernel {tf._core.qdense_kernel()}, "
          f"threads {args.threads}; machine shared with other jobs")
    print(f"accuracy float32 {np.mean(pf == yte):.4f}, int8 {np.mean(pq == yte):.4f}; "
          f"top-1 agreement int8 vs float32 {np.mean(pf == pq):.4f} on {len(yte)} held-out")
    times = {}
    # one thread: the process's CPU time, which a machine shared with other jobs inflates less
    # than the wall clock; more threads: the wall clock
    timer = time.process_time if args.threads == 1 else timeit.default_timer
    for b in (1, 32):
        x = tf.constant(xte[:b])
        n = 2000 if b == 1 else 300
        times[("f32", b)] = median_us(lambda: m(x), n, timer=timer)
        times[("int8", b)] = median_us(lambda: q(x), n, timer=timer)
        times[("bf16", b)] = median_us(lambda: mb(x), n, timer=timer)
        print(f"batch {b:2d}: float32 {times[('f32', b)]:8.1f} us, int8 {times[('int8', b)]:8.1f}"
              f" us, mixed_bfloat16 {times[('bf16', b)]:8.1f} us -> int8 "
              f"{times[('f32', b)] / times[('int8', b)]:.2f}x, bf16 "
              f"{times[('f32', b)] / times[('bf16', b)]:.2f}x float32")
    if args.ort:
        with tempfile.TemporaryDirectory() as d:
            npz = os.path.join(d, "w.npz")
            np.savez(npz, w0=weights[0], b0=weights[1], w1=weights[2], b1=weights[3],
                     w2=weights[4], b2=weights[5], xtest=xte)
            r = subprocess.run([args.ort, "-c", ORT_CHILD, npz, d, str(args.threads)],
                               capture_output=True, text=True)
            if r.returncode:
                print("ONNX Runtime run failed:", r.stderr[-2000:])
                return
            o = json.loads(r.stdout.strip().splitlines()[-1])
        po = np.array(o["int8_pred"])
        print(f"ONNX Runtime quantize_dynamic int8: top-1 agreement with lamina float32 "
              f"{np.mean(po == pf):.4f}, with lamina int8 {np.mean(po == pq):.4f}")
        for b in (1, 32):
            print(f"batch {b:2d}: ORT float32 {o[f'f32_b{b}']:8.1f} us, ORT int8 "
                  f"{o[f'int8_b{b}']:8.1f} us; lamina int8 is "
                  f"{o[f'int8_b{b}'] / times[('int8', b)]:.2f}x ORT int8, "
                  f"{o[f'f32_b{b}'] / times[('int8', b)]:.2f}x ORT float32")


if __name__ == "__main__":
    sys.exit(main())
