"""int8 dynamic quantization: the int8 kernels (csrc/quant/, csrc/kernels/*/qgemm_*.c) against
Keras 3's formula in NumPy and against each other bit for bit, on every kernel this CPU can run;
Dense.quantize / Model.quantize against Keras 3.15's layout and numbers (stored below, from
/work/tfenv keras 3.15 with the TensorFlow backend); errors."""
import warnings

import numpy as np
import pytest

import lamina as tf
from lamina import _core
from lamina.keras.layers.quantized import quantize_weights

ALL_KERNELS = ["ref", "avx2", "avxvnni", "avx512vnni"]
KERNELS = _core.qdense_kernels()


@pytest.fixture(params=ALL_KERNELS)
def kernel(request):
    if request.param not in KERNELS:
        pytest.skip(f"int8 kernel {request.param!r} needs CPU features this machine lacks "
                    f"(it runs {KERNELS})")
    return request.param


def keras_formula(x, q, scale, bias=None):
    """Keras 3's Dense._int8_call in NumPy float32: AbsMaxQuantizer rows, int32 product,
    x / (kernel_scale * inputs_scale), + bias."""
    x = np.asarray(x, np.float32)
    sx = np.float32(127) / (np.max(np.abs(x), axis=-1, keepdims=True) + np.float32(1e-7))
    xq = np.clip(np.round(x * sx), -127, 127).astype(np.int32)
    y = (xq @ q.astype(np.int32)).astype(np.float32) / (scale * sx)
    return y if bias is None else y + bias


def operands(rng, lead, k, n):
    x = rng.standard_normal(lead + (k,)).astype(np.float32) * rng.uniform(0.1, 10)
    w = rng.standard_normal((k, n)).astype(np.float32)
    q, s = quantize_weights(w)
    return x, q, s, rng.standard_normal(n).astype(np.float32)


def test_every_kernel_gives_keras_bits(kernel, rng):
    """Random shapes: every row-tile and column-block edge of each kernel (m 1..40, K not a
    multiple of 4, N not a multiple of 16), leading dimensions, with a bias."""
    for _ in range(60):
        lead = tuple(int(d) for d in rng.integers(1, 7, size=rng.integers(1, 3)))
        k, n = int(rng.integers(1, 300)), int(rng.integers(1, 100))
        x, q, s, b = operands(rng, lead, k, n)
        w = _core.QuantizedKernel(q, s)
        got = _core.qdense(tf.constant(x), w, tf.constant(b), kernel=kernel).numpy()
        np.testing.assert_array_equal(got, keras_formula(x, q, s, b),
                                      err_msg=f"{kernel} x{x.shape} k={k} n={n}")


@pytest.mark.parametrize("m,k,n", [(1, 784, 512), (32, 784, 512), (33, 512, 10), (9, 4, 33)])
def test_every_kernel_matches_ref(kernel, rng, m, k, n):
    x, q, s, b = operands(rng, (m,), k, n)
    w = _core.QuantizedKernel(q, s)
    for act in (None, "relu", "sigmoid", "tanh", "gelu"):
        ref = _core.qdense(tf.constant(x), w, tf.constant(b), act, kernel="ref").numpy()
        got = _core.qdense(tf.constant(x), w, tf.constant(b), act, kernel=kernel).numpy()
        np.testing.assert_array_equal(got, ref, err_msg=f"{kernel} {act}")


def test_extreme_values_do_not_saturate(kernel):
    """All products at +-127 * 127 (AVX2's vpmaddubsw pairs would saturate with an unsigned
    offset; VNNI's x + 128 must come back off exactly), zero rows, a long K."""
    k, n = 4099, 37
    q = np.full((k, n), 127, np.int8)
    q[:, ::2] = -127
    s = np.full(n, 3.0, np.float32)
    x = np.ones((5, k), np.float32)
    x[1] *= -1
    x[2, ::2] = -1
    x[3] = 0
    w = _core.QuantizedKernel(q, s)
    got = _core.qdense(tf.constant(x), w, kernel=kernel).numpy()
    np.testing.assert_array_equal(got, keras_formula(x, q, s))
    assert np.all(got[3] == 0)


def test_non_contiguous_input_and_threads(rng):
    x, q, s, b = operands(rng, (64,), 300, 200)
    w = _core.QuantizedKernel(q, s)
    want = keras_formula(x, q, s, b)
    before = tf.get_num_threads()
    try:
        for threads in (1, 2):
            tf.set_num_threads(threads)
            np.testing.assert_array_equal(
                _core.qdense(tf.constant(x)[::2], w, b).numpy(), want[::2])
            np.testing.assert_array_equal(_core.qdense(x, w, b).numpy(), want)
    finally:
        tf.set_num_threads(before)


def test_kernel_follows_the_isa():
    before = tf.isa()
    try:
        for isa in tf.isa_available():
            tf.set_isa(isa)
            name = _core.qdense_kernel()
            assert name in KERNELS
            assert (name == "ref") == (isa == "ref")
            if isa == "avx512" and "avx512vnni" in KERNELS:
                assert name == "avx512vnni"
    finally:
        tf.set_isa(before)


def test_bad_inputs():
    q = np.zeros((3, 2), np.int8)
    s = np.ones(2, np.float32)
    with pytest.raises(ValueError, match=r"\[-127, 127\].*-128 at \(1, 0\)"):
        _core.QuantizedKernel(np.array([[0, 0], [-128, 0], [0, 0]], np.int8), s)
    with pytest.raises(ValueError, match="kernel_scale must be positive"):
        _core.QuantizedKernel(q, np.array([1, 0], np.float32))
    with pytest.raises(ValueError, match=r"scale must have shape \(2,\)"):
        _core.QuantizedKernel(q, np.ones(3, np.float32))
    with pytest.raises(TypeError, match="2-D int8"):
        _core.QuantizedKernel(q.astype(np.int32), s)
    w = _core.QuantizedKernel(q, s)
    with pytest.raises(ValueError, match=r"3 features on its last axis, got shape \(2, 4\)"):
        _core.qdense(np.zeros((2, 4), np.float32), w)
    with pytest.raises(ValueError, match=r"bias must have shape \(2,\)"):
        _core.qdense(np.zeros((2, 3), np.float32), w, np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="not available here"):
        _core.qdense(np.zeros((2, 3), np.float32), w, kernel="sse9")
    with pytest.raises(ValueError, match="activation"):
        _core.qdense(np.zeros((2, 3), np.float32), w, activation="swish")


# ---- Keras 3 layers ---------------------------------------------------------------------------

def keras3_model():
    rng = np.random.RandomState(0)
    w1 = rng.uniform(-1, 1, (7, 5)).astype("float32")
    b1 = rng.uniform(-1, 1, 5).astype("float32")
    w2 = rng.uniform(-1, 1, (5, 3)).astype("float32")
    b2 = rng.uniform(-1, 1, 3).astype("float32")
    x = rng.uniform(-2, 2, (4, 7)).astype("float32")
    m = tf.keras.Sequential([tf.keras.Input((7,)), tf.keras.layers.Dense(5, activation="relu"),
                             tf.keras.layers.Dense(3)])
    m.set_weights([w1, b1, w2, b2])
    return m, x


# keras 3.15 (TensorFlow backend): model.quantize("int8") on keras3_model()
K3_Y = np.array([[-1.6176102, -0.28701574, -0.11294785], [0.516959, -5.134673, -3.9829988],
                 [-3.902635, 1.1397216, 1.1216078], [-2.259782, 0.33886936, 0.78283226]],
                np.float32)
K3_Q1 = [[13, 57, 29, 12, -20], [39, -17, 112, 127, -31], [77, 8, 19, 117, -113],
         [-110, -127, 95, 76, 98], [127, 79, -11, 77, -101], [37, -94, 127, 6, -23],
         [-62, 73, -13, 19, -127]]
K3_S1 = [132.67354, 132.35187, 142.80286, 136.95297, 131.95895]


def test_model_quantize_matches_keras3():
    m, x = keras3_model()
    with pytest.warns(UserWarning, match="InputLayer does not have a `quantize` method"):
        m.quantize("int8")
    d = m.layers[0]
    assert d.quantization_mode == "int8"
    assert [(w.name, str(getattr(w.dtype, "name", w.dtype)), tuple(w.shape), w.trainable)
            for w in d.weights] == [(f"{d.name}/bias:0", "float32", (5,), True),
                                    (f"{d.name}/kernel:0", "int8", (7, 5), False),
                                    (f"{d.name}/kernel_scale:0", "float32", (5,), False)]
    assert d.kernel is d._kernel
    np.testing.assert_array_equal(d._kernel.numpy(), np.array(K3_Q1, np.int8))
    np.testing.assert_allclose(d.kernel_scale.numpy(), K3_S1, rtol=1e-7)
    np.testing.assert_allclose(m(x).numpy(), K3_Y, rtol=2e-7, atol=1e-7)
    assert [a.shape for a in m.get_weights()] == [(5,), (7, 5), (5,), (3,), (5, 3), (3,)]


def test_set_weights_repacks_and_keeps_layout(rng):
    m, x = keras3_model()
    m.quantize("int8")
    weights = m.get_weights()
    y = m(x).numpy()
    new = [w.copy() for w in weights]
    new[1] = rng.integers(-127, 128, new[1].shape).astype(np.int8)
    m.set_weights(new)
    assert m.get_weights()[1].dtype == np.int8
    np.testing.assert_array_equal(m.get_weights()[1], new[1])
    assert not np.array_equal(m(x).numpy(), y)
    m.set_weights(weights)
    np.testing.assert_array_equal(m(x).numpy(), y)
    with pytest.raises(ValueError, match=r"integers in \[-127, 127\]"):
        m.layers[0]._kernel.assign(np.full((7, 5), 300))


def test_layer_quantize_errors_and_other_layers():
    d = tf.keras.layers.Dense(3)
    with pytest.raises(ValueError, match="isn't yet built"):
        d.quantize("int8")
    d.build((None, 4))
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        d.quantize("int3")
    with pytest.raises(NotImplementedError, match="int4"):
        d.quantize("int4")
    d.quantize("int8")
    with pytest.raises(ValueError, match="already quantized"):
        d.quantize("int8")
    with pytest.raises(NotImplementedError, match="Dropout does not have a `quantize`"):
        tf.keras.layers.Dropout(0.5).quantize("int8")


def test_quantized_dense_gradient_is_keras_custom_gradient(rng):
    """d(sum(y * u))/dx = u @ (w_q / scale)^T through the bias and activation."""
    d = tf.keras.layers.Dense(6, activation="tanh")
    x = tf.constant(rng.standard_normal((3, 4)).astype(np.float32))
    d(x)
    d.quantize("int8")
    u = rng.standard_normal((3, 6)).astype(np.float32)
    with tf.GradientTape() as t:
        t.watch(x)
        y = d(x)
        loss = tf.reduce_sum(y * u)
    g = t.gradient(loss, x).numpy()
    np.testing.assert_array_equal(y.numpy(), d(x).numpy())
    wdq = d._kernel.numpy().astype(np.float32) / d.kernel_scale.numpy()
    want = (u * (1 - y.numpy() ** 2)) @ wdq.T
    np.testing.assert_allclose(g, want, rtol=1e-5, atol=1e-6)


def test_quantized_model_close_to_float(rng):
    """A 784-512-512-10 MLP: int8 outputs within a few percent of float32's scale."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = tf.keras.Sequential([tf.keras.Input((784,)),
                                 tf.keras.layers.Dense(512, activation="relu"),
                                 tf.keras.layers.Dense(512, activation="relu"),
                                 tf.keras.layers.Dense(10)])
        x = rng.uniform(0, 1, (32, 784)).astype(np.float32)
        y = m(x).numpy()
        m.quantize("int8")
    yq = m(x).numpy()
    assert np.abs(yq - y).max() <= 0.03 * np.abs(y).max()
