"""Sequential: a stack of layers, each called on the output of the one before."""
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.training import Model
from lamina.keras.engine.input_layer import InputLayer
from lamina.keras.engine.keras_tensor import is_symbolic, flatten


class Sequential(Model):
    def __init__(self, layers=None, name=None, **kwargs):
        Layer.__init__(self, name=name, **kwargs)
        object.__setattr__(self, "_is_graph_network", False)
        self._seq_layers = []
        object.__setattr__(self, "_input_kt", None)
        object.__setattr__(self, "_output_kt", None)
        if layers is not None and not isinstance(layers, (list, tuple)):
            layers = [layers]
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self):
        return [l for l in self._seq_layers if not isinstance(l, InputLayer)]

    def add(self, layer):
        if is_symbolic(layer) and hasattr(layer, "_keras_history"):
            layer = layer._keras_history.layer
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Received: "
                            f"layer={layer!r} of type {type(layer)}.")
        if any(l.name == layer.name for l in self._seq_layers if l is not layer):
            raise ValueError(f'All layers added to a Sequential model should have unique names. '
                             f'Name "{layer.name}" is already the name of a layer in this model. '
                             f'Update the `name` argument to pass a unique name.')
        if isinstance(layer, InputLayer):
            if self._seq_layers:
                raise ValueError("An InputLayer can only be the first layer of a Sequential")
            self._seq_layers.append(layer)
            object.__setattr__(self, "_input_kt", layer._inbound_nodes[0].outputs)
            object.__setattr__(self, "_output_kt", self._input_kt)
            return
        if not self._seq_layers and hasattr(layer, "_batch_input_shape"):
            inp = InputLayer(batch_input_shape=layer._batch_input_shape,
                             dtype=layer.dtype, name=layer.name + "_input")
            self._seq_layers.append(inp)
            object.__setattr__(self, "_input_kt", inp._inbound_nodes[0].outputs)
            object.__setattr__(self, "_output_kt", self._input_kt)
        self._seq_layers.append(layer)
        if self._output_kt is not None:
            out = layer(self._output_kt)
            if len(flatten(out)) != 1:
                raise ValueError("All layers in a Sequential model should have a single output "
                                 "tensor. For multi-output layers, use the functional API.")
            object.__setattr__(self, "_output_kt", out)
            object.__setattr__(self, "built", True)
            object.__setattr__(self, "_build_input_shape", self._input_kt.shape)

    def pop(self):
        if not self.layers:
            raise TypeError("There are no layers in the model.")
        self._seq_layers.pop()
        if self._input_kt is not None:
            x = self._input_kt
            for l in self.layers:
                x = l(x)
            object.__setattr__(self, "_output_kt", x)

    @property
    def output_shape(self):
        # a Sequential that starts with an Input knows its output shape before any call
        if self._output_kt is not None:
            return tuple(self._output_kt.shape.as_list())
        return super().output_shape

    @property
    def input_shape(self):
        if self._input_kt is not None:
            return tuple(self._input_kt.shape.as_list())
        return super().input_shape

    @property
    def inputs(self):
        return [self._input_kt] if self._input_kt is not None else None

    @property
    def outputs(self):
        return [self._output_kt] if self._output_kt is not None else None

    def build(self, input_shape=None):
        if input_shape is None:
            if self._input_kt is None:
                raise ValueError("You must provide an `input_shape` argument.")
            return
        if self._input_kt is None:
            shape = tuple(input_shape.as_list()) if hasattr(input_shape, "as_list") else tuple(input_shape)
            layers = list(self._seq_layers)
            self._seq_layers.clear()
            inp = InputLayer(batch_input_shape=shape)
            self._seq_layers.append(inp)
            object.__setattr__(self, "_input_kt", inp._inbound_nodes[0].outputs)
            x = self._input_kt
            for l in layers:
                self._seq_layers.append(l)
                x = l(x)
            object.__setattr__(self, "_output_kt", x)
        object.__setattr__(self, "_build_input_shape", self._input_kt.shape)
        object.__setattr__(self, "built", True)

    def call(self, inputs, training=None, mask=None):
        x = inputs
        for layer in self.layers:
            kwargs = {}
            if layer._call_spec.expects_training or layer._call_spec.varkw:
                kwargs["training"] = training
            x = layer(x, **kwargs)
        return x

    def _maybe_build(self, inputs):
        if not self.built and self._input_kt is None and not is_symbolic(inputs) \
                and hasattr(inputs, "shape"):
            shape = [None] + list(inputs.shape)[1:]
            self.build(tuple(shape))
        object.__setattr__(self, "built", True)

    def get_config(self):
        from lamina.keras.utils import serialize_keras_object
        layers = [serialize_keras_object(l) for l in self._seq_layers]
        return {"name": self.name, "layers": layers}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from lamina.keras.utils import deserialize_keras_object
        model = cls(name=config.get("name"))
        for lconf in config["layers"]:
            model.add(deserialize_keras_object(lconf, custom_objects=custom_objects))
        return model
