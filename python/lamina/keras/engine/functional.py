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


def _legacy_node(node, ref):
    """tf.keras 2's node format [[layer, node, tensor, kwargs], ...] (which tf_keras 2 and
    Keras 3 both read), when the call was on a tensor or a flat list of tensors with plain
    keyword arguments; None otherwise."""
    args = node.call_args
    if len(args) != 1 or any(is_symbolic(v) for v in flatten(node.call_kwargs)):
        return None
    x = args[0]
    tensors = x if isinstance(x, list) else [x]
    if not tensors or not all(is_symbolic(t) for t in tensors):
        return None
    kwargs = _encode(node.call_kwargs, ref)
    return [_legacy_ref(ref(t), t._keras_history.layer) + [kwargs] for t in tensors]


def _has_own_node(layer):
    """A functional model: tf.keras 2 counts its inner input node as its node 0, so its calls
    in an outer graph are numbered from 1 in tf.keras 2's node format. (A Sequential inside a
    functional model is written without its input, so its calls count from 0 in tf_keras 2
    and Keras 3 alike.)"""
    return bool(getattr(layer, "_is_graph_network", False))


def _nested_config(layer, conf):
    """A Sequential inside a functional model loses its InputLayer and build_config: tf_keras
    2 then numbers its nodes from 0 as Keras 3 does (the outer graph gives it its input)."""
    from lamina.keras.engine.sequential import Sequential
    if isinstance(layer, Sequential) and isinstance(conf.get("config"), dict):
        conf["config"]["layers"] = [c for c in conf["config"]["layers"]
                                    if c.get("class_name") != "InputLayer"]
        conf.pop("build_config", None)
        for c in conf["config"]["layers"][:1]:
            c.get("config", {}).pop("batch_input_shape", None)
    return conf


def _legacy_ref(r, layer):
    name, node, tensor = r
    return [name, node + 1 if _has_own_node(layer) else node, tensor]


def functional_config(model):
    """tf.keras 2's functional config: layers with their inbound nodes, input and output refs."""
    from lamina.keras.saving.serialization import serialize_keras_object
    node_index = {}   # id(node) -> index among this model's nodes of its layer
    counts = {}
    for node in model._nodes:
        li = id(node.layer)
        node_index[id(node)] = counts.get(li, 0)
        counts[li] = counts.get(li, 0) + 1

    def ref(kt):
        h = kt._keras_history
        node = h.layer._inbound_nodes[h.node_index]
        return (h.layer.name, node_index.get(id(node), 0), h.tensor_index)
    layers = []
    by_layer = {}
    for node in model._nodes:
        by_layer.setdefault(id(node.layer), []).append(node)
    for layer in model._graph_layers:
        conf = _nested_config(layer, serialize_keras_object(layer))
        conf["name"] = layer.name
        inbound = []
        for node in by_layer.get(id(layer), []):
            if node.is_input:
                continue
            inbound.append(_legacy_node(node, ref) or
                           {"args": _encode(list(node.call_args), ref),
                            "kwargs": _encode(node.call_kwargs, ref)})
        conf["inbound_nodes"] = inbound
        layers.append(conf)
    def io_ref(t):
        return _legacy_ref(ref(t), t._keras_history.layer)
    return {"name": model.name, "trainable": model.trainable, "layers": layers,
            "input_layers": map_structure(io_ref, model._nested_inputs),
            "output_layers": map_structure(io_ref, model._nested_outputs)}


def _node_call(node, lookup, legacy_lookup, layer):
    """(args, kwargs) of one inbound node in either format."""
    if isinstance(node, list):     # tf.keras 2: [[layer, node, tensor, kwargs], ...]
        if not node:
            return (), {}
        tensors = [legacy_lookup(*entry[:3]) for entry in node]
        kwargs = _decode(node[0][3], lookup) if len(node[0]) > 3 else {}
        return (tensors[0] if len(tensors) == 1 else tensors,), kwargs or {}
    if not isinstance(node, dict) or "args" not in node:
        raise ValueError(f"Cannot read the inbound node {node!r} of layer '{layer.name}'")
    args = _decode(node["args"], lookup)
    kwargs = _decode(node.get("kwargs", {}), lookup)
    # Keras 3 records call arguments the layer may not take (mask=None): drop unset ones
    spec = layer._call_spec
    kwargs = {k: v for k, v in kwargs.items()
              if v is not None or k in spec.param_names or spec.varkw}
    return tuple(args), kwargs


def functional_from_config(cls, config, custom_objects=None, layers=None, input_tensors=None):
    """The model a functional config describes; `layers` ({name: layer}) and `input_tensors`
    (replacing the Input layers in order) serve clone_model."""
    from lamina.keras.saving.serialization import deserialize_nested
    from lamina.keras.engine.training import Model
    created = {}
    outputs_of = {}   # layer name -> list of node outputs
    given_inputs = list(input_tensors or [])

    def lookup(name, node_idx, tensor_idx, *rest):
        return flatten(outputs_of[name][node_idx])[tensor_idx]

    own_node = set()  # models made with their own inputs: tf.keras 2 numbers their calls from 1

    def legacy_lookup(name, node_idx, tensor_idx, *rest):
        return lookup(name, node_idx - (name in own_node), tensor_idx)
    pending = []      # [layer name, its nodes' configs not yet applied], in config order
    for lconf in config["layers"]:
        name = lconf.get("name") or lconf.get("config", {}).get("name")
        if lconf.get("class_name") == "InputLayer" and given_inputs:
            outputs_of[name] = [given_inputs.pop(0)]
            continue
        layer = (layers or {}).get(name)
        if layer is None:
            layer = deserialize_nested(lconf, custom_objects)
        created[name] = layer
        if isinstance(layer, Model) and getattr(layer, "inputs", None):
            own_node.add(name)
        if type(layer).__name__ == "InputLayer":
            outputs_of[name] = [layer._inbound_nodes[0].outputs]
            continue
        outputs_of[name] = []
        pending.append([name, list(lconf.get("inbound_nodes", []))])
    # A node whose inputs come from a node not made yet (a layer shared at several depths)
    # waits for a later pass, as tf.keras's from_config does; each layer's nodes keep their
    # order, so node indices in the config still match.
    while any(nodes for _, nodes in pending):
        progress = False
        for entry in pending:
            name, nodes = entry
            while nodes:
                try:
                    args, kwargs = _node_call(nodes[0], lookup, legacy_lookup, created[name])
                except (KeyError, IndexError):
                    break
                outputs_of[name].append(created[name](*args, **kwargs))
                nodes.pop(0)
                progress = True
        if not progress:
            raise ValueError(f"Cannot rebuild the model from its config: the inputs of "
                             f"layers {[n for n, nodes in pending if nodes]} are never "
                             f"produced.")

    def refs(x):
        if isinstance(x, list) and len(x) == 3 and isinstance(x[0], str):
            return legacy_lookup(*x)
        if isinstance(x, dict) and x.get("class_name") == "__tuple__":
            return tuple(refs(v) for v in x["config"]["value"])
        if isinstance(x, list):
            return [refs(v) for v in x]
        if isinstance(x, dict):
            return {k: refs(v) for k, v in x.items()}
        return x
    inputs = refs(config["input_layers"])
    outputs = refs(config["output_layers"])
    model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
    # add_loss / add_metric layers hang off the graph: put their nodes back
    for layer in created.values():
        if isinstance(layer, (AddLoss, AddMetric)) and layer._inbound_nodes:
            node = layer._inbound_nodes[-1]
            for kt in node.keras_inputs:
                model._insert_subgraph(kt, "loss" if isinstance(layer, AddLoss) else "metric")
            if node not in model._nodes:
                model._nodes.append(node)
    model._set_layers_from_nodes()
    if not config.get("trainable", True):
        model.trainable = False
    return model
