"""Keras convolution, pooling and reshaping layers: output shapes, weight names and get_config
as tf.keras 2 gives them (stored from tf_keras 2.21), values against NumPy references, the
fused bias/activation path against the taped one, and a small convnet that learns."""
import os
import sys

import numpy as np
import pytest

import lamina as tf

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import conv_reference as ref  # noqa: E402

L = tf.keras.layers

# (layer, input shape, output shape, weights (name, shape)) as tf.keras 2 built them.
CASES = [
    (lambda: L.Conv1D(4, 3), (2, 10, 3), (2, 8, 4), [("conv1d/kernel:0", (3, 3, 4)), ("conv1d/bias:0", (4,))]),
    (lambda: L.Conv2D(4, 3), (2, 8, 8, 3), (2, 6, 6, 4), [("conv2d/kernel:0", (3, 3, 3, 4)), ("conv2d/bias:0", (4,))]),
    (lambda: L.Conv3D(4, 3), (1, 5, 5, 5, 2), (1, 3, 3, 3, 4), [("conv3d/kernel:0", (3, 3, 3, 2, 4)), ("conv3d/bias:0", (4,))]),
    (lambda: L.DepthwiseConv2D(3), (1, 8, 8, 3), (1, 6, 6, 3), [("depthwise_conv2d/depthwise_kernel:0", (3, 3, 3, 1)), ("depthwise_conv2d/bias:0", (3,))]),
    (lambda: L.DepthwiseConv1D(3), (1, 8, 3), (1, 6, 3), [("depthwise_conv1d/depthwise_kernel:0", (3, 3, 1)), ("depthwise_conv1d/bias:0", (3,))]),
    (lambda: L.SeparableConv1D(4, 3), (1, 8, 3), (1, 6, 4), [("separable_conv1d/depthwise_kernel:0", (3, 3, 1)), ("separable_conv1d/pointwise_kernel:0", (1, 3, 4)), ("separable_conv1d/bias:0", (4,))]),
    (lambda: L.SeparableConv2D(4, 3), (1, 8, 8, 3), (1, 6, 6, 4), [("separable_conv2d/depthwise_kernel:0", (3, 3, 3, 1)), ("separable_conv2d/pointwise_kernel:0", (1, 1, 3, 4)), ("separable_conv2d/bias:0", (4,))]),
    (lambda: L.Conv1DTranspose(4, 3), (1, 8, 3), (1, 10, 4), [("conv1d_transpose/kernel:0", (3, 4, 3)), ("conv1d_transpose/bias:0", (4,))]),
    (lambda: L.Conv2DTranspose(4, 3), (1, 8, 8, 3), (1, 10, 10, 4), [("conv2d_transpose/kernel:0", (3, 3, 4, 3)), ("conv2d_transpose/bias:0", (4,))]),
    (lambda: L.Conv3DTranspose(2, 2), (1, 4, 4, 4, 2), (1, 5, 5, 5, 2), [("conv3d_transpose/kernel:0", (2, 2, 2, 2, 2)), ("conv3d_transpose/bias:0", (2,))]),
    (lambda: L.MaxPooling1D(), (1, 8, 3), (1, 4, 3), []),
    (lambda: L.MaxPooling2D(), (1, 8, 8, 3), (1, 4, 4, 3), []),
    (lambda: L.MaxPooling3D(), (1, 4, 4, 4, 2), (1, 2, 2, 2, 2), []),
    (lambda: L.AveragePooling1D(), (1, 8, 3), (1, 4, 3), []),
    (lambda: L.AveragePooling2D(), (1, 8, 8, 3), (1, 4, 4, 3), []),
    (lambda: L.GlobalAveragePooling1D(), (1, 8, 3), (1, 3), []),
    (lambda: L.GlobalAveragePooling2D(), (1, 8, 8, 3), (1, 3), []),
    (lambda: L.GlobalMaxPooling1D(), (1, 8, 3), (1, 3), []),
    (lambda: L.GlobalMaxPooling2D(), (1, 8, 8, 3), (1, 3), []),
    (lambda: L.UpSampling1D(), (1, 8, 3), (1, 16, 3), []),
    (lambda: L.UpSampling2D(), (1, 8, 8, 3), (1, 16, 16, 3), []),
    (lambda: L.UpSampling3D(), (1, 4, 4, 4, 2), (1, 8, 8, 8, 2), []),
    (lambda: L.ZeroPadding1D(), (1, 8, 3), (1, 10, 3), []),
    (lambda: L.ZeroPadding2D(), (1, 8, 8, 3), (1, 10, 10, 3), []),
    (lambda: L.ZeroPadding3D(), (1, 4, 4, 4, 2), (1, 6, 6, 6, 2), []),
    (lambda: L.Cropping1D(), (1, 8, 3), (1, 6, 3), []),
    (lambda: L.Cropping2D(), (1, 8, 8, 3), (1, 8, 8, 3), []),
    (lambda: L.Cropping3D(), (1, 4, 4, 4, 2), (1, 2, 2, 2, 2), []),
    (lambda: L.SpatialDropout1D(0.5), (1, 8, 3), (1, 8, 3), []),
    (lambda: L.SpatialDropout2D(0.5), (1, 8, 8, 3), (1, 8, 8, 3), []),
]

GLOROT = {"module": "keras.initializers", "class_name": "GlorotUniform", "config": {"seed": None},
          "registered_name": None}
ZEROS = {"module": "keras.initializers", "class_name": "Zeros", "config": {}, "registered_name": None}
CONV2D_CONFIG = {"filters": 4, "kernel_size": (3, 3), "strides": (1, 1), "padding": "valid",
                 "data_format": "channels_last", "dilation_rate": (1, 1), "groups": 1,
                 "activation": "linear", "use_bias": True, "kernel_initializer": GLOROT,
                 "bias_initializer": ZEROS, "kernel_regularizer": None, "bias_regularizer": None,
                 "activity_regularizer": None, "kernel_constraint": None, "bias_constraint": None}
CONFIGS = {
    "Conv2D": CONV2D_CONFIG,
    "DepthwiseConv2D": {"kernel_size": (3, 3), "strides": (1, 1), "padding": "valid",
                        "data_format": "channels_last", "dilation_rate": (1, 1), "groups": 1,
                        "activation": "linear", "use_bias": True, "bias_initializer": ZEROS,
                        "bias_regularizer": None, "activity_regularizer": None,
                        "bias_constraint": None, "depth_multiplier": 1,
                        "depthwise_initializer": GLOROT, "depthwise_regularizer": None,
                        "depthwise_constraint": None},
    "Conv2DTranspose": dict(CONV2D_CONFIG, output_padding=None),
    "MaxPooling1D": {"strides": (2,), "pool_size": (2,), "padding": "valid",
                     "data_format": "channels_last"},
    "MaxPooling2D": {"pool_size": (2, 2), "padding": "valid", "strides": (2, 2),
                     "data_format": "channels_last"},
    "GlobalAveragePooling2D": {"data_format": "channels_last", "keepdims": False},
    "UpSampling1D": {"size": 2},
    "UpSampling2D": {"size": (2, 2), "data_format": "channels_last", "interpolation": "nearest"},
    "ZeroPadding1D": {"padding": (1, 1)},
    "ZeroPadding2D": {"padding": ((1, 1), (1, 1)), "data_format": "channels_last"},
    "Cropping1D": {"cropping": (1, 1)},
    "Cropping2D": {"cropping": ((0, 0), (0, 0)), "data_format": "channels_last"},
    "SpatialDropout2D": {"rate": 0.5, "noise_shape": None, "seed": None},
}


@pytest.mark.parametrize("make,shape_in,shape_out,weights", CASES)
def test_shapes_weights_and_config_as_tf_keras(make, shape_in, shape_out, weights):
    tf.keras.backend.clear_session() if hasattr(tf.keras.backend, "clear_session") else None
    layer = make()
    y = layer(np.ones(shape_in, np.float32))
    assert tuple(y.shape) == shape_out
    assert [tuple(w.shape) for w in layer.weights] == [s for _, s in weights]
    assert [w.name.split("/")[-1] for w in layer.weights] == [n.split("/")[-1] for n, _ in weights]
    assert tuple(layer.compute_output_shape(shape_in)) == shape_out
    cfg = layer.get_config()
    name = type(layer).__name__
    if name in CONFIGS:
        got = {k: v for k, v in cfg.items() if k not in ("name", "trainable", "dtype")}
        assert got == CONFIGS[name]
    clone = type(layer).from_config(cfg)
    assert clone.get_config() == cfg


def test_conv2d_layer_values_groups_dilation_and_fused_vs_taped():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 9, 9, 4)).astype(np.float32)
    layer = L.Conv2D(6, 3, padding="same", dilation_rate=2, groups=2, activation="relu")
    y = layer(x).numpy()
    k, b = layer.kernel.numpy(), layer.bias.numpy()
    lo, hi = ref.same_pads((9, 9), (3, 3), (1, 1), (2, 2))
    want = np.maximum(ref.conv(x, k, (1, 1), (2, 2), lo, hi) + b, 0)
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    with tf.GradientTape() as tape:   # the taped path gives the same values
        y2 = layer(x)
        loss = tf.reduce_sum(y2)
    np.testing.assert_allclose(y2.numpy(), y, rtol=1e-6, atol=1e-6)
    gk, gb = tape.gradient(loss, [layer.kernel, layer.bias])
    assert gk.shape == k.shape and gb.shape == b.shape


def test_conv1d_causal_and_channels_first():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 7, 3)).astype(np.float32)
    layer = L.Conv1D(2, 3, padding="causal", dilation_rate=2)
    y = layer(x).numpy()
    want = ref.conv(x, layer.kernel.numpy(), (1,), (2,), (4,), (0,)) + layer.bias.numpy()
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-5)
    x2 = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    conv = L.Conv2D(4, 2, data_format="channels_first")
    y = conv(x2).numpy()
    want = ref.conv(x2.transpose(0, 2, 3, 1), conv.kernel.numpy(), (1, 1), (1, 1), (0, 0),
                    (0, 0)) + conv.bias.numpy()
    np.testing.assert_allclose(y, want.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)


def test_transpose_layer_is_the_adjoint_and_output_padding():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((1, 5, 5, 3)).astype(np.float32)
    layer = L.Conv2DTranspose(2, 3, strides=2, padding="same", use_bias=False)
    y = layer(x).numpy()
    assert y.shape == (1, 10, 10, 2)
    z = rng.standard_normal(y.shape).astype(np.float32)
    fwd = tf.nn.conv2d(z, layer.kernel.numpy(), 2, "SAME").numpy()
    np.testing.assert_allclose((y * z).sum(), (fwd * x).sum(), rtol=1e-4)
    y = L.Conv2DTranspose(2, 3, strides=2, padding="valid", output_padding=1)(x)
    assert y.shape == (1, 12, 12, 2)


def test_pooling_layers_values():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    lo, hi = ref.same_pads((7, 6), (3, 3), (2, 2), (1, 1))
    np.testing.assert_allclose(L.MaxPooling2D(3, 2, padding="same")(x).numpy(),
                               ref.pool(x, (3, 3), (2, 2), lo, hi, True), rtol=1e-6)
    np.testing.assert_allclose(L.AveragePooling2D(3, 2, padding="same")(x).numpy(),
                               ref.pool(x, (3, 3), (2, 2), lo, hi, False), rtol=1e-5)
    np.testing.assert_allclose(L.GlobalAveragePooling2D(keepdims=True)(x).numpy(),
                               x.mean((1, 2), keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(L.GlobalMaxPooling1D()(x[:, 0]).numpy(), x[:, 0].max(1))
    mask = np.array([[1, 1, 0, 0, 0, 1], [1, 0, 0, 0, 0, 0]], bool)
    got = L.GlobalAveragePooling1D()(x[:, 0], mask=mask).numpy()
    want = (x[:, 0] * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-5)


def test_reshaping_layers_values():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 4, 2)).astype(np.float32)
    np.testing.assert_array_equal(L.UpSampling2D((2, 3))(x).numpy(),
                                  x.repeat(2, 1).repeat(3, 2))
    np.testing.assert_array_equal(L.ZeroPadding2D(((1, 0), (2, 1)))(x).numpy(),
                                  np.pad(x, [(0, 0), (1, 0), (2, 1), (0, 0)]))
    np.testing.assert_array_equal(L.Cropping2D(((1, 0), (1, 2)))(x).numpy(), x[:, 1:, 1:2])
    # bilinear upsampling: tf.image.resize's numbers (tf 2.21)
    xi = (np.arange(2 * 3 * 4 * 2, dtype=np.float32).reshape(2, 3, 4, 2) ** 1.5) / 10
    y = L.UpSampling2D(2, interpolation="bilinear")(xi).numpy()
    np.testing.assert_allclose(y.sum(), 2487.8384, rtol=1e-5)
    np.testing.assert_allclose(y[1, 1, :, 0], [13.343647, 13.732584, 14.51046, 15.302587,
                                               16.108965, 16.929104, 17.763, 18.17995], rtol=1e-5)
    y = tf.image.resize(xi, (5, 7), method="nearest").numpy()
    np.testing.assert_allclose(y.sum(), 1839.3632, rtol=1e-5)
    np.testing.assert_allclose(tf.image.resize(xi, (5, 7)).numpy()[1, 1, :, 0],
                               [14.295304, 14.862898, 15.771048, 16.707146, 17.651094, 18.62206,
                                19.228914], rtol=1e-5)
    d = L.SpatialDropout2D(0.5, seed=1)(np.ones((4, 3, 3, 8), np.float32), training=True).numpy()
    per_map = d.reshape(4, 9, 8)
    assert np.all(per_map.min(1) == per_map.max(1))       # whole maps kept or dropped
    assert set(np.unique(d)) <= {0.0, 2.0}


def test_layer_errors():
    with pytest.raises(ValueError, match="evenly divisible by the number of groups"):
        L.Conv2D(5, 3, groups=2)
    with pytest.raises(ValueError, match="padding"):
        L.Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="input channels must be evenly divisible"):
        L.Conv2D(4, 3, groups=2)(np.ones((1, 5, 5, 3), np.float32))
    with pytest.raises(ValueError):
        L.MaxPooling2D(2)(np.ones((1, 5, 5), np.float32))


def test_small_convnet_learns():
    rng = np.random.default_rng(5)
    n = 64
    x = rng.standard_normal((n, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].mean((1, 2, 3)) > x[:, 4:].mean((1, 2, 3))).astype(np.int64)
    model = tf.keras.Sequential([
        L.Conv2D(8, 3, padding="same", activation="relu", input_shape=(8, 8, 1)),
        L.MaxPooling2D(),
        L.Conv2D(8, 3, activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(2),
    ])
    opt = tf.keras.optimizers.Adam(0.02)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    first = None
    for step in range(60):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        first = float(loss) if first is None else first
    assert float(loss) < 0.5 * first
