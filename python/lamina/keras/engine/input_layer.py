"""InputLayer and Input(): the entry points of a functional model."""
from lamina._core import as_dtype
from lamina.keras import backend
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.keras_tensor import KerasTensor, Node, install_dispatch


class InputLayer(Layer):
    def __init__(self, input_shape=None, batch_size=None, dtype=None, input_tensor=None,
                 sparse=None, name=None, ragged=None, type_spec=None, **kwargs):
        if "batch_input_shape" in kwargs:
            batch_input_shape = kwargs.pop("batch_input_shape")
            if input_shape is not None and batch_input_shape is not None:
                raise ValueError("Only provide the input_shape OR batch_input_shape argument "
                                 "to InputLayer, not both at the same time.")
            if batch_input_shape is not None:
                batch_size = batch_input_shape[0]
                input_shape = tuple(batch_input_shape[1:])
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {list(kwargs)}")
        if sparse or ragged:
            raise NotImplementedError("sparse and ragged inputs are not supported by lamina")
        if not name:
            name = backend.unique_object_name("input", zero_based=False)
        if dtype is None:
            dtype = input_tensor.dtype if input_tensor is not None else backend.floatx()
        dtype = as_dtype(dtype).name
        super().__init__(dtype=dtype, name=name)
        self.built = True
        self.sparse = bool(sparse)
        self.ragged = bool(ragged)
        install_dispatch()
        if input_tensor is not None:
            if not getattr(input_tensor, "_is_symbolic_tensor", False):
                raise ValueError(f"input_tensor must be a KerasTensor, got {input_tensor!r}")
            batch_input_shape = tuple(input_tensor.shape.as_list())
            kt = input_tensor
        else:
            if input_shape is None:
                batch_input_shape = None
            else:
                if isinstance(input_shape, int):
                    input_shape = (input_shape,)
                batch_input_shape = (batch_size,) + tuple(input_shape)
            kt = KerasTensor(batch_input_shape, dtype, name=name)
        object.__setattr__(self, "_batch_input_shape", batch_input_shape)
        self.is_placeholder = input_tensor is None
        Node(self, (), {}, outputs=kt)

    def get_config(self):
        return {"batch_input_shape": self._batch_input_shape, "dtype": self.dtype,
                "sparse": self.sparse, "ragged": self.ragged, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def Input(shape=None, batch_size=None, name=None, dtype=None, sparse=None, tensor=None,
          ragged=None, type_spec=None, **kwargs):
    """A symbolic input tensor of a functional model: shape excludes the batch dimension."""
    batch_shape = kwargs.pop("batch_shape", None) or kwargs.pop("batch_input_shape", None)
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments to Input: {list(kwargs)}")
    if shape is not None and batch_shape is not None:
        raise ValueError("Only provide the `shape` OR `batch_shape` argument to Input, not both "
                         "at the same time.")
    if shape is None and batch_shape is None and tensor is None:
        raise ValueError("Please provide to Input a `shape` or a `tensor` or a `type_spec` "
                         "argument. Note that `shape` does not include the batch dimension.")
    if batch_shape is not None:
        layer = InputLayer(batch_input_shape=tuple(batch_shape), name=name, dtype=dtype,
                           sparse=sparse, ragged=ragged, input_tensor=tensor)
    else:
        layer = InputLayer(input_shape=shape, batch_size=batch_size, name=name, dtype=dtype,
                           sparse=sparse, ragged=ragged, input_tensor=tensor)
    return layer._inbound_nodes[0].outputs
