"""int8 dynamic quantization of Dense, as Keras 3's `layer.quantize("int8")` /
`model.quantize("int8")`.

Keras 3's layout after quantize: `_kernel`, an int8 non-trainable weight named "kernel" of shape
(in_features, units), w_q = clip(round(w * kernel_scale), -127, 127); `kernel_scale`, float32
(units,), 127 / (max|w[:, j]| + epsilon); the bias unchanged. The weights are ordered
[bias, kernel, kernel_scale] (the float kernel is deleted and the int8 pair added), and
`quantization_mode` is "int8". At call time each row of the input is quantized the same way
(AbsMaxQuantizer on the last axis), the product runs in int32 (csrc/quant/: AVX512_VNNI,
AVX-VNNI, AVX2 or portable kernels, all giving the same bits) and is de-scaled by
kernel_scale * input_scale in float32 before the bias and activation, as Keras computes it.

lamina has no int8 tensor dtype: the int8 values live in an `Int8Weight` (NumPy-backed, with the
packed copy the kernels read), which get_weights / set_weights / saving see as a weight.
Under a GradientTape the input gradient is upstream @ (w_q / kernel_scale)^T, Keras's custom
gradient; the int8 weights get none."""
import numpy as np

from lamina import _core, _tape_hooks
from lamina._core import Tensor, float32
from lamina.tensor_shape import TensorShape

MODES = ("int8", "float8", "int4", "gptq", "awq")   # Keras 3's modes; lamina runs int8
_tape_local = _tape_hooks._local


class Int8Weight:
    """A non-trainable int8 weight: its values (NumPy int8) and the name / shape / dtype a
    Keras weight has. Assigning new values re-packs the layer's kernel on its next call."""
    trainable = False
    dtype = "int8"

    def __init__(self, name, value):
        self._shared_name = name
        self._np = self._check(value, None)
        self.version = 0

    @staticmethod
    def _check(value, shape):
        a = np.asarray(value.numpy() if hasattr(value, "numpy") else value)
        if shape is not None and a.shape != shape:
            raise ValueError(f"Cannot assign a value of shape {a.shape} to the int8 weight of "
                             f"shape {shape}")
        if a.dtype != np.int8:
            if a.size and (not np.all(np.isfinite(a)) or a.min() < -127 or a.max() > 127 or
                           not np.array_equal(a, np.round(a))):
                raise ValueError(f"int8 weight values must be integers in [-127, 127]; got "
                                 f"dtype {a.dtype} with values in [{a.min()}, {a.max()}]")
            a = a.astype(np.int8)
        return np.array(a, dtype=np.int8, order="C", copy=True)

    @property
    def name(self):
        return self._shared_name + ":0"

    @property
    def shape(self):
        return TensorShape(self._np.shape)

    def numpy(self):
        return self._np.copy()

    def __array__(self, dtype=None, copy=None):
        return self._np.astype(dtype) if dtype is not None else self._np.copy()

    def assign(self, value, read_value=True):
        self._np = self._check(value, self._np.shape)
        self.version += 1
        return self if read_value else None

    def _set_from_numpy(self, a):   # Layer.set_weights
        self.assign(a)

    def __repr__(self):
        return f"<Int8Weight '{self.name}' shape={self._np.shape} dtype=int8>"


def quantize_weights(w):
    """Keras 3's AbsMaxQuantizer(axis=0) on a float kernel: (int8 values, float32 scale)."""
    w = np.asarray(w, np.float32)
    scale = np.float32(127) / (np.max(np.abs(w), axis=0) + np.float32(1e-7))
    q = np.clip(np.round(w * scale), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


class _Int8State:
    """What a quantized Dense calls: the packed kernel, rebuilt when a weight changes."""
    __slots__ = ("layer", "packed", "key")

    def __init__(self, layer):
        self.layer = layer
        self.packed = None
        self.key = None

    def kernel(self):
        layer = self.layer
        key = (layer._kernel.version, layer.kernel_scale._value)
        if self.key is None or key[0] != self.key[0] or key[1] is not self.key[1]:
            self.packed = _core.QuantizedKernel(layer._kernel._np,
                                                np.asarray(layer.kernel_scale._value))
            self.key = key
        return self.packed

    def forward(self, x):
        """act(x @ dequant(kernel) + bias) on the int8 kernels; x a float32 Tensor."""
        layer = self.layer
        fused = layer._fused_act
        b = layer.bias
        b = None if b is None else b._value
        if fused is not False and not _recording():
            return _core.qdense(x, self.kernel(), b, fused)
        y = _with_input_gradient(self, x)
        if b is not None:
            y = _core.add(y, layer.bias.value())
        return layer.activation(y)


def _with_input_gradient(state, x):
    from lamina.custom_gradient import custom_gradient

    @custom_gradient
    def f(x):
        def grad(dy):
            w = state.layer._kernel._np.astype(np.float32) / \
                np.asarray(state.layer.kernel_scale._value)
            return _core.matmul(dy, _core.constant(np.ascontiguousarray(w.T)))
        return _core.qdense(x, state.kernel(), None, None), grad
    return f(x)


def quantize_dense(layer, mode):
    """Dense.quantize: replace the float kernel by Keras 3's int8 pair."""
    if mode not in MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {MODES}. "
                         f"Received: mode={mode}")
    if mode != "int8":
        raise NotImplementedError(f"lamina quantizes Dense to 'int8' only; mode={mode!r} is "
                                  f"not implemented")
    if getattr(layer, "quantization_mode", None) is not None:
        raise ValueError(f"Layer '{layer.name}' is already quantized with "
                         f"dtype_policy='{layer.quantization_mode}_from_float32'. "
                         f"Received: mode={mode}")
    if not layer.built:
        raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer "
                         f"'{layer.name}' (of type 'Dense') is not built yet.")
    if layer.kernel.dtype != float32:
        raise NotImplementedError(f"int8 quantization of a {layer.kernel.dtype.name} Dense is "
                                  f"not implemented (float32 only)")
    q, scale = quantize_weights(layer.kernel.numpy())
    name = layer.kernel._shared_name
    del layer.kernel                      # untracked: the float kernel leaves the weights
    kernel = Int8Weight(name, q)
    object.__setattr__(layer, "_kernel", kernel)
    object.__setattr__(layer, "kernel", kernel)   # Keras 3's `kernel` property gives it too
    layer._non_trainable_weights.append(kernel)
    from lamina import variables as _vars
    with _vars.name_scope(name.rsplit("/", 1)[0] if "/" in name else layer.name):
        layer.kernel_scale = layer.add_weight("kernel_scale", shape=[layer.units],
                                              initializer="ones", dtype="float32",
                                              trainable=False)
    layer.kernel_scale.assign(scale)
    object.__setattr__(layer, "quantization_mode", "int8")
    object.__setattr__(layer, "_int8", _Int8State(layer))


def quantize_layers(model, mode):
    """Model.quantize: every leaf layer is quantized; one that cannot be warns, as in Keras 3."""
    import warnings
    if mode not in MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {MODES}. "
                         f"Received: mode={mode}")
    for layer in model._flatten_layers():
        if len(list(layer._flatten_layers())) == 1:
            try:
                layer.quantize(mode)
            except NotImplementedError as e:
                warnings.warn(str(e))


class _BF16State:
    """A bfloat16 Dense (dtype "bfloat16" or the "mixed_bfloat16" policy) on a CPU with
    AVX512_BF16: the kernel rounded to bfloat16 and packed for vdpbf16ps once, re-packed when
    the variable is assigned (its value object changes)."""
    __slots__ = ("packed", "source")

    def __init__(self):
        self.packed = self.source = None

    def forward(self, layer, x):
        value = layer.kernel._value
        if value is not self.source:
            self.packed = _core.BF16Kernel(value)
            self.source = value
        b = layer.bias
        if b is not None:   # rounded to bfloat16 first, as the autocast read does
            b = b._value if b.dtype is x.dtype else _core.cast(b._value, x.dtype)
        return _core.bf16dense(x, self.packed, b, layer._fused_act)


def _recording():
    try:
        return bool(_tape_local.tapes)
    except AttributeError:
        return bool(_tape_hooks.active_tapes())


def bf16_path(layer, x):
    """The bf16 state when `x` can take the packed bfloat16 kernel (no tape, bfloat16 input,
    AVX512_BF16 in use, fused activation), else None: lm_dense's float32-widening path runs."""
    if type(x) is not Tensor or x.dtype.name != "bfloat16" or layer._fused_act is False or \
            _core.bf16dense_kernel() != "avx512bf16" or _recording():
        return None
    st = layer.__dict__.get("_bf16")
    if st is None:
        st = _BF16State()
        object.__setattr__(layer, "_bf16", st)
    return st


def to_float32(x):
    """The input as a float32 Tensor (the int8 path computes in float32)."""
    if type(x) is not Tensor:
        x = _core.convert_to_tensor(x)
    return x if x.dtype is float32 else _core.cast(x, float32)
