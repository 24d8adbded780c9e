"""InputSpec: what a layer accepts (rank, dims at given axes, dtype), checked on each call."""
from lamina.tensor_shape import TensorShape


class InputSpec:
    """tf.keras.layers.InputSpec(dtype, shape, ndim, max_ndim, min_ndim, axes,
    allow_last_axis_squeeze, name, optional); an optional spec accepts None for its input."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
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
        self.optional = optional
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
    """Raise ValueError (naming the layer and both shapes) if inputs do not meet input_spec;
    the checks and messages are tf.keras 2's."""
    if not input_spec:
        return
    input_spec = _flat(input_spec)
    if isinstance(inputs, dict):
        names = [spec.name for spec in input_spec]
        if all(names):
            missing = [n for n in names if n not in inputs]
            if missing:
                raise ValueError(f'Missing data for input "{missing[0]}". You passed a data '
                                 f'dictionary with keys {list(inputs.keys())}. Expected the '
                                 f'following keys: {names}')
            inputs = [inputs[n] for n in names]
    inputs = _flat(inputs)
    for x, spec in zip(inputs, input_spec):
        if spec is None or (x is None and spec.optional):
            continue
        if not hasattr(x, "shape"):
            raise TypeError(f"Inputs to a layer should be tensors. Got '{x}' (of type "
                            f"{type(x)}) as input for layer '{layer_name}'.")
    if len(inputs) != len(input_spec):
        raise ValueError(f'Layer "{layer_name}" expects {len(input_spec)} input(s), but it '
                         f'received {len(inputs)} input tensors. Inputs received: {inputs}')
    for idx, (x, spec) in enumerate(zip(inputs, input_spec)):
        if spec is None or (x is None and spec.optional):
            continue
        shape = TensorShape(x.shape)
        if shape.rank is None:
            return
        ndim = shape.rank
        full = tuple(shape.as_list())
        head = f'Input {idx} of layer "{layer_name}" is incompatible with the layer: '
        if spec.ndim is not None and not spec.allow_last_axis_squeeze and ndim != spec.ndim:
            raise ValueError(f'{head}expected ndim={spec.ndim}, found ndim={ndim}. Full shape '
                             f'received: {full}')
        if spec.max_ndim is not None and ndim > spec.max_ndim:
            raise ValueError(f'{head}expected max_ndim={spec.max_ndim}, found ndim={ndim}')
        if spec.min_ndim is not None and ndim < spec.min_ndim:
            raise ValueError(f'{head}expected min_ndim={spec.min_ndim}, found ndim={ndim}. '
                             f'Full shape received: {full}')
        if spec.dtype is not None and x.dtype.name != spec.dtype:
            raise ValueError(f'{head}expected dtype={spec.dtype}, found dtype={x.dtype}')
        dims = shape.as_list()
        if spec.axes:
            for axis, value in spec.axes.items():
                if value is not None and dims[int(axis)] not in (value, None):
                    raise ValueError(f'{head}expected axis {axis} of input shape to have value '
                                     f'{value}, but received input with shape {full}')
        if spec.shape is not None:
            want = spec.shape
            if spec.allow_last_axis_squeeze:
                if dims and dims[-1] == 1:
                    dims = dims[:-1]
                if want and want[-1] == 1:
                    want = want[:-1]
            for s, d in zip(want, dims):
                if s is not None and d is not None and s != d:
                    raise ValueError(f'{head}expected shape={spec.shape}, found shape={full}')


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
