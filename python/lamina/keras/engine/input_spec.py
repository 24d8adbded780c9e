"""InputSpec: what a layer accepts (rank, dims at given axes, dtype), checked on each call."""
from lamina.tensor_shape import TensorShape


class InputSpec:
    """tf.keras.layers.InputSpec(dtype, shape, ndim, max_ndim, min_ndim, axes, allow_last_axis_squeeze, name)."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None):
        from lamina._core import as_dtype
        self.dtype = as_dtype(dtype).name if dtype is not None else None
        shape = TensorShape(shape) if shape is not None else None
        if shape is not None and shape.rank is not None:
            self.ndim = shape.rank
            self.shape = tuple(shape.as_list())
        else:
            self.ndim = ndim
            self.shape = None
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.name = name
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        try:
            axes = axes or {}
            self.axes = {int(k): v for k, v in axes.items()}
        except (ValueError, TypeError, AttributeError):
            raise TypeError(f"Argument `axes` must be a dict with integer keys. Received: "
                            f"axes={axes}") from None
        if self.axes and (self.ndim is not None or self.max_ndim is not None):
            max_dim = (self.ndim if self.ndim else self.max_ndim) - 1
            max_axis = max(self.axes)
            if max_axis > max_dim:
                raise ValueError(f"Axis {max_axis} is greater than the maximum allowed value: "
                                 f"{max_dim}")

    def __repr__(self):
        spec = [("dtype=" + str(self.dtype)) if self.dtype else "",
                ("shape=" + str(self.shape)) if self.shape else "",
                ("ndim=" + str(self.ndim)) if self.ndim else "",
                ("max_ndim=" + str(self.max_ndim)) if self.max_ndim else "",
                ("min_ndim=" + str(self.min_ndim)) if self.min_ndim else "",
                ("axes=" + str(self.axes)) if self.axes else ""]
        return f"InputSpec({', '.join(x for x in spec if x)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _flat(x):
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(_flat(v))
        return out
    if isinstance(x, dict):
        out = []
        for k in sorted(x):
            out.extend(_flat(x[k]))
        return out
    return [x]


def assert_input_compatibility(input_spec, inputs, layer_name):
    """Raise ValueError (naming the layer and both shapes) if inputs do not meet input_spec."""
    if not input_spec:
        return
    input_spec = _flat(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in input_spec]
        if all(names):
            inputs = [inputs[n] if n in inputs else None for n in names]
    inputs = _flat(inputs)
    for x in inputs:
        if not hasattr(x, "shape"):
            raise TypeError(f"Inputs to a layer should be tensors. Got '{x}' (of type "
                            f"{type(x)}) as input for layer '{layer_name}'.")
    if len(inputs) != len(input_spec):
        raise ValueError(f'Layer "{layer_name}" expects {len(input_spec)} input(s), but it '
                         f'received {len(inputs)} input tensors. Inputs received: {inputs}')
    for idx, (x, spec) in enumerate(zip(inputs, input_spec)):
        if spec is None:
            continue
        shape = TensorShape(x.shape)
        if shape.rank is None:
            return
        ndim = shape.rank
        if spec.ndim is not None and not spec.allow_last_axis_squeeze:
            if ndim != spec.ndim:
                raise ValueError(f'Input {idx} of layer "{layer_name}" is incompatible with the '
                                 f'layer: expected ndim={spec.ndim}, found ndim={ndim}. Full '
                                 f'shape received: {tuple(shape.as_list())}')
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f'Input {idx} of layer "{layer_name}" is incompatible with the '
                             f'layer: expected max_ndim={spec.max_ndim}, found ndim={ndim}. '
                             f'Full shape received: {tuple(shape.as_list())}')
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f'Input {idx} of layer "{layer_name}" is incompatible with the '
                             f'layer: expected min_ndim={spec.min_ndim}, found ndim={ndim}. '
                             f'Full shape received: {tuple(shape.as_list())}')
        if spec.dtype is not None and x.dtype.name != spec.dtype:
            raise ValueError(f'Input {idx} of layer "{layer_name}" is incompatible with the '
                             f'layer: expected dtype={spec.dtype}, found dtype={x.dtype.name}')
        dims = shape.as_list()
        if spec.axes:
            for axis, value in spec.axes.items():
                if value is None:
                    continue
                try:
                    got = dims[axis]
                except IndexError:
                    got = None
                if got is not None and got != value:
                    raise ValueError(f'Input {idx} of layer "{layer_name}" is incompatible with '
                                     f'the layer: expected axis {axis} of input shape to have '
                                     f'value {value}, but received input with shape '
                                     f'{tuple(dims)}')
        if spec.shape is not None:
            want = spec.shape
            if spec.allow_last_axis_squeeze:
                if dims and dims[-1] == 1:
                    dims = dims[:-1]
                if want and want[-1] == 1:
                    want = want[:-1]
            if len(dims) != len(want):
                raise ValueError(f'Input {idx} of layer "{layer_name}" is incompatible with the '
                                 f'layer: expected shape={spec.shape}, found shape='
                                 f'{tuple(shape.as_list())}')
            for s, d in zip(want, dims):
                if s is not None and d is not None and s != d:
                    raise ValueError(f'Input {idx} of layer "{layer_name}" is incompatible '
                                     f'with the layer: expected shape={spec.shape}, found '
                                     f'shape={tuple(shape.as_list())}')


def to_tensor_shape(spec):
    """The TensorShape an InputSpec describes (unknown rank when it gives none)."""
    if spec.ndim is None and spec.shape is None:
        return TensorShape(None)
    if spec.shape is not None:
        return TensorShape(spec.shape)
    shape = [None] * spec.ndim
    for a in spec.axes:
        shape[a] = spec.axes[a]
    return TensorShape(shape)
