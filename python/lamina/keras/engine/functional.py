"""Functional graphs: walking nodes from outputs back to inputs, running them, (de)serializing."""
from lamina.keras.engine.base_layer import Layer
from lamina.keras.engine.keras_tensor import flatten, map_structure, is_symbolic


class AddLoss(Layer):
    """Adds its input as a loss (model.add_loss on a functional model)."""

    def __init__(self, unconditional=False, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.unconditional = unconditional

    def call(self, inputs):
        self.add_loss(inputs)
        return inputs

    def get_config(self):
        config = super().get_config()
        config["unconditional"] = self.unconditional
        return config


class AddMetric(Layer):
    """Tracks its input as a metric (model.add_metric on a functional model)."""

    def __init__(self, aggregation=None, metric_name=None, **kwargs):
        super().__init__(**kwargs)
        self.aggregation = aggregation
        self.metric_name = metric_name

    def call(self, inputs):
        self.add_metric(inputs, aggregation=self.aggregation, name=self.metric_name)
        return inputs

    def get_config(self):
        config = super().get_config()
        config.update({"aggregation": self.aggregation, "metric_name": self.metric_name})
        return config


def node_of(kt):
    h = kt._keras_history
    return h.layer._inbound_nodes[h.node_index]


def topological_nodes(outputs, stop=()):
    """The nodes outputs depend on, parents first; walking stops at tensors in `stop`."""
    stop_ids = {id(t) for t in stop}
    order, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for kt in node.keras_inputs:
            if id(kt) in stop_ids:
                continue
            if not hasattr(kt, "_keras_history"):
                continue
            visit(node_of(kt))
        order.append(node)
    for t in outputs:
        if not hasattr(t, "_keras_history"):
            raise ValueError(f"Output tensors of a functional Model must be the output of a "
                             f"Keras layer (a KerasTensor with history); got {t!r}")
        if id(t) not in stop_ids:
            visit(node_of(t))
    return order


def check_connected(inputs, nodes, what="output"):
    input_ids = {id(t) for t in inputs}
    available = set(input_ids)
    accessed = []
    for node in nodes:
        for kt in node.keras_inputs:
            if id(kt) not in available:
                raise ValueError(
                    f"Graph disconnected: cannot obtain value for tensor {kt!r} at layer "
                    f'"{node.layer.name}". The following previous layers were accessed without '
                    f"issue: {accessed}")
        if node.is_input and not any(id(t) in input_ids for t in node.flat_outputs):
            raise ValueError(
                f"Graph disconnected: cannot obtain value for tensor {node.flat_outputs[0]!r} at "
                f'layer "{node.layer.name}" (an Input that is not among the model\'s inputs). '
                f"The following previous layers were accessed without issue: {accessed}")
        for t in node.flat_outputs:
            available.add(id(t))
        accessed.append(node.layer.name)


def run_nodes(nodes, values):
    """Evaluate nodes in order; values maps id(KerasTensor) -> concrete value."""
    def resolve(v):
        if is_symbolic(v):
            return values[id(v)]
        return v
    for node in nodes:
        if node.is_input:
            continue
        args = map_structure(resolve, node.call_args)
        kwargs = map_structure(resolve, node.call_kwargs)
        out = node.layer(*args, **kwargs)
        for kt, v in zip(node.flat_outputs, flatten(out)):
            values[id(kt)] = v
    return values


# ---- config ---------------------------------------------------------------------------------------
def _encode(v, ref):
    if is_symbolic(v):
        return {"class_name": "__keras_tensor__", "config": {"keras_history": list(ref(v))}}
    if isinstance(v, slice):
        return {"class_name": "__slice__", "config": {"start": v.start, "stop": v.stop,
                                                      "step": v.step}}
    if v is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(v, list):
        return [_encode(x, ref) for x in v]
    if isinstance(v, tuple):
        return {"class_name": "__tuple__", "config": {"value": [_encode(x, ref) for x in v]}}
    if isinstance(v, dict):
        return {k: _encode(x, ref) for k, x in v.items()}
    if hasattr(v, "numpy"):
        a = v.numpy()
        return {"class_name": "__tensor__", "config": {"value": a.tolist(), "dtype": a.dtype.name}}
    if hasattr(v, "item") and hasattr(v, "dtype"):
        return v.item()
    return v


def _decode(v, lookup):
    if isinstance(v, dict):
        cls = v.get("class_name")
        if cls == "__keras_tensor__":
            return lookup(*v["config"]["keras_history"])
        if cls == "__slice__":
            c = v["config"]
            return slice(c["start"], c["stop"], c["step"])
        if cls == "__ellipsis__":
            return Ellipsis
        if cls == "__tuple__":
            return tuple(_decode(x, lookup) for x in v["config"]["value"])
        if cls == "__tensor__":
            import lamina
            return lamina.constant(v["config"]["value"], dtype=v["config"]["dtype"])
        return {k: _decode(x, lookup) for k, x in v.items()}
    if isinstance(v, list):
        return [_decode(x, lookup) for x in v]
    return v
