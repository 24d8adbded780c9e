"""Model: a Layer with `layers`, summary(), predict(); functional when built from inputs and
outputs (a graph of nodes), subclassed otherwise."""
import numpy as np

from lamina import _core
from lamina.keras import backend
from lamina.keras.engine.base_layer import Layer, _convert_inputs, _flat_values
from lamina.variables import Variable, Module
from lamina.keras.engine import functional as F
from lamina.keras.engine.keras_tensor import flatten, map_structure, is_symbolic


class History:
    """What fit() returns: history[name] is the list of per-epoch values; params holds
    verbose / epochs / steps."""

    def __init__(self):
        self.history = {}
        self.epoch = []
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


def _should_validate(epoch, validation_freq):
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def _n_samples(x):
    from lamina.keras.engine.training_arrays import num_samples, _as_numpy
    return num_samples(_as_numpy(x))


def _concat_outputs(outputs):
    """The per-batch outputs of predict_step joined along the batch axis (as NumPy)."""
    first = outputs[0]
    if isinstance(first, dict):
        return {k: _concat_outputs([o[k] for o in outputs]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_concat_outputs([o[i] for o in outputs]) for i in range(len(first)))
    arrs = [np.asarray(o.numpy() if hasattr(o, "numpy") else o) for o in outputs]
    return np.concatenate(arrs) if arrs[0].ndim else np.stack(arrs)


class Model(Layer):
    """tf.keras.Model: Model(inputs, outputs, name=None) for a functional model, or a subclass
    that defines its layers in __init__ and its computation in call()."""

    def __init__(self, *args, **kwargs):
        inputs = kwargs.pop("inputs", None)
        outputs = kwargs.pop("outputs", None)
        if args:
            if inputs is None:
                inputs, args = args[0], args[1:]
            if args and outputs is None:
                outputs, args = args[0], args[1:]
        if args:
            raise TypeError(f"Model got unexpected positional arguments {args!r}")
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("A functional Model needs both `inputs` and `outputs`.")
            for k in kwargs:
                if k not in ("name", "trainable", "dtype"):
                    raise TypeError(f"Keyword argument not understood: {k!r} (functional Model "
                                    f"accepts inputs, outputs, name, trainable)")
            self._init_graph_network(inputs, outputs, **kwargs)
            return
        for k in kwargs:
            if k not in ("name", "trainable", "dtype", "dynamic", "autocast", "input_shape",
                         "batch_input_shape", "batch_size", "input_dim", "weights",
                         "activity_regularizer"):
                raise TypeError(f"Keyword argument not understood: {k!r}")
        super().__init__(**kwargs)
        object.__setattr__(self, "_is_graph_network", False)

    def __setattr__(self, name, value):
        # tf.keras 2: unlike a Layer, a Model refuses layers / variables (or an empty list, ...)
        # assigned before Model.__init__ ran
        if "_call_spec" not in self.__dict__ and not hasattr(type(self), name):
            if all(isinstance(v, (Layer, Variable, Module)) for v in _flat_values(value)):
                raise RuntimeError("It looks like you are subclassing `Model` and you forgot to "
                                   "call `super().__init__()`. Always start with this line.")
        super().__setattr__(name, value)

    # ---- weights: a Model lists its sublayers' weights before its own (tf.keras 2) ----------------
    def _assert_weights_created(self):
        """A model whose class defines build() has no weights to list before it is built."""
        if self.dynamic:
            return
        cls = type(self)
        if "build" in cls.__dict__ and cls is not Model and not self.built:
            raise ValueError(f"Weights for model '{self.name}' have not yet been created. "
                             f"Weights are created when the model is first called on inputs "
                             f"or `build()` is called with an `input_shape`.")

    @property
    def trainable_weights(self):
        self._assert_weights_created()
        if not self._trainable:
            return []
        return self._dedup(self._gather_children("trainable_weights") + self._trainable_weights)

    @property
    def non_trainable_weights(self):
        self._assert_weights_created()
        children = self._gather_children("non_trainable_weights")
        if self._trainable:
            w = children + self._non_trainable_weights
        else:
            w = (self._gather_children("trainable_weights") + self._trainable_weights +
                 children + self._non_trainable_weights)
        return self._dedup(w)

    @property
    def weights(self):
        self._assert_weights_created()
        return self._dedup(self._gather_children("weights") + self._trainable_weights +
                           self._non_trainable_weights)

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        return self.non_trainable_weights

    @property
    def variables(self):
        return self.weights

    def _init_set_name(self, name, zero_based=True):
        if not name and type(self) is Model:
            name = backend.unique_object_name("model")
        super()._init_set_name(name, zero_based)

    # ---- functional graph -------------------------------------------------------------------------
    def _init_graph_network(self, inputs, outputs, name=None, trainable=True, dtype=None):
        super().__init__(name=name, trainable=trainable, dtype=dtype)
        s = object.__setattr__
        s(self, "_is_graph_network", True)
        if isinstance(inputs, list) and len(flatten(inputs)) == 1:
            inputs = inputs[0]
        if isinstance(outputs, list) and len(flatten(outputs)) == 1:
            outputs = outputs[0]
        s(self, "_nested_inputs", inputs)
        s(self, "_nested_outputs", outputs)
        flat_in = flatten(inputs)
        flat_out = flatten(outputs)
        for t in flat_in:
            if not is_symbolic(t) or not hasattr(t, "_keras_history"):
                raise ValueError(f"Input tensors to a functional Model must come from "
                                 f"`keras.Input`. Received: {t!r}")
        for t in flat_out:
            if not is_symbolic(t):
                raise ValueError(f"Output tensors of a functional Model must be the output of "
                                 f"a Keras layer. Received: {t!r}")
        s(self, "inputs", flat_in)
        s(self, "outputs", flat_out)
        s(self, "input_names", [F.node_of(t).layer.name for t in flat_in])
        s(self, "output_names", [t._keras_history.layer.name for t in flat_out])
        nodes = F.topological_nodes(flat_out, stop=flat_in)
        # Inputs are entry points; Input layers no output depends on still belong to the model.
        for t in reversed(flat_in):
            n = F.node_of(t)
            if n.is_input and n not in nodes:
                nodes.insert(0, n)
        F.check_connected(flat_in, [n for n in nodes if not n.is_input or
                                    any(id(t) in {id(i) for i in flat_in} for t in n.flat_outputs)])
        s(self, "_nodes", nodes)
        self._set_layers_from_nodes()
        s(self, "built", True)
        s(self, "_autocast", False)
        s(self, "_build_input_shape", map_structure(lambda t: t.shape, inputs))
        self._update_fast_path()

    @property
    def input(self):
        if getattr(self, "_is_graph_network", False):
            return self._nested_inputs
        return Layer.input.fget(self)

    @property
    def output(self):
        if getattr(self, "_is_graph_network", False):
            return self._nested_outputs
        return Layer.output.fget(self)

    def _set_layers_from_nodes(self):
        layers, seen = [], set()
        for node in self._nodes:
            if id(node.layer) not in seen:
                seen.add(id(node.layer))
                layers.append(node.layer)
        # input layers first, in the order of self.inputs
        ins = [F.node_of(t).layer for t in self.inputs if F.node_of(t).is_input]
        layers = ins + [l for l in layers if not any(l is i for i in ins)]
        object.__setattr__(self, "_graph_layers", layers)
        object.__setattr__(self, "_self_tracked", list(layers))

    def _graph_network_add_loss(self, symbolic_loss):
        self._insert_subgraph(symbolic_loss, "loss")
        layer = F.AddLoss(unconditional=False, dtype=symbolic_loss.dtype.name)
        layer(symbolic_loss)
        self._nodes.append(layer._inbound_nodes[-1])
        self._set_layers_from_nodes()

    def _graph_network_add_metric(self, value, name):
        self._insert_subgraph(value, "metric")
        layer = F.AddMetric(aggregation="mean", metric_name=name)
        layer(value)
        self._nodes.append(layer._inbound_nodes[-1])
        self._set_layers_from_nodes()

    def _insert_subgraph(self, tensor, what):
        nodes = F.topological_nodes([tensor], stop=self.inputs)
        known = {id(n) for n in self._nodes}
        try:
            F.check_connected(self.inputs, [n for n in nodes if not n.is_input or id(n) in known])
        except ValueError as e:
            raise ValueError(f"The {what} tensor {tensor!r} cannot be traced back to the "
                             f"model's inputs: {e}") from None
        for n in nodes:
            if id(n) not in known:
                self._nodes.append(n)
                known.add(id(n))

    def _run_graph(self, inputs):
        flat = flatten(inputs) if not isinstance(inputs, dict) else None
        if isinstance(inputs, dict):
            if isinstance(self._nested_inputs, dict):
                flat = flatten(inputs)
            else:
                missing = [n for n in self.input_names if n not in inputs]
                if missing:
                    raise ValueError(f"Missing data for input(s) {missing}: model {self.name!r} "
                                     f"expects inputs named {self.input_names}")
                flat = [inputs[n] for n in self.input_names]
        if len(flat) != len(self.inputs):
            raise ValueError(f'Layer "{self.name}" expects {len(self.inputs)} input(s), but it '
                             f'received {len(flat)} input tensors. Inputs received: {inputs!r}')
        values = {}
        for kt, v in zip(self.inputs, flat):
            v = _convert_inputs(v)
            if hasattr(v, "dtype") and not is_symbolic(v) and v.dtype != kt.dtype \
                    and v.dtype.is_floating and kt.dtype.is_floating:
                v = _core.cast(v, kt.dtype)
            if hasattr(v, "shape") and kt.shape.rank is not None:
                got = list(v.shape)
                want = kt.shape.as_list()
                if len(got) != len(want) or any(w is not None and g is not None and w != g
                                                for w, g in zip(want, got)):
                    raise ValueError(f'Input 0 of layer "{self.name}" is incompatible with the '
                                     f'layer: expected shape={tuple(want)}, found shape='
                                     f'{tuple(got)}')
            values[id(kt)] = v
        F.run_nodes(self._nodes, values)
        return map_structure(lambda t: values[id(t)], self._nested_outputs)

    def call(self, inputs, training=None, mask=None):
        if getattr(self, "_is_graph_network", False):
            return self._run_graph(inputs)
        raise NotImplementedError(f"Model {self.name}: a subclassed Model must implement "
                                  f"call(); this one has no call() and no functional graph.")

    @property
    def layers(self):
        if getattr(self, "_is_graph_network", False):
            return list(self._graph_layers)
        return list(self._flatten_layers(include_self=False, recursive=False))

    def get_layer(self, name=None, index=None):
        if index is not None and name is not None:
            raise ValueError("Provide only a layer name or a layer index.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: "
                             f"{[l.name for l in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index.")

    @property
    def input_spec(self):
        return self._input_spec

    @input_spec.setter
    def input_spec(self, value):
        Layer.input_spec.fset(self, value)

    # ---- training: compile / fit / evaluate / predict (eager, with a GradientTape) ----------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None,
                jit_compile=None, pss_evaluation_shards=0, **kwargs):
        from lamina.keras import optimizers, mixed_precision
        from lamina.keras.engine.compile_utils import LossesContainer, MetricsContainer
        steps_per_execution = kwargs.pop("experimental_steps_per_execution",
                                         steps_per_execution)
        if kwargs:
            raise TypeError(f"Invalid keyword argument(s) in `compile()`: {tuple(kwargs)}. "
                            f"Valid keyword arguments include \"cloning\", "
                            f"\"experimental_run_tf_function\", \"distribute\", "
                            f"\"target_tensors\", or \"sample_weight_mode\".")
        opt = optimizers.get(optimizer)
        policy = getattr(self, "_dtype_policy", None) or mixed_precision.global_policy()
        if getattr(policy, "name", None) == "mixed_float16" and \
                not isinstance(opt, optimizers.LossScaleOptimizer):
            opt = optimizers.LossScaleOptimizer(opt)
        s = object.__setattr__
        s(self, "optimizer", opt)
        s(self, "loss", loss)
        s(self, "compiled_loss", LossesContainer(loss, loss_weights,
                                                 output_names=self._compile_output_names()))
        s(self, "compiled_metrics", MetricsContainer(metrics, weighted_metrics,
                                                     output_names=self._compile_output_names()))
        s(self, "_run_eagerly", run_eagerly)
        s(self, "_steps_per_execution", int(steps_per_execution or 1))
        s(self, "_jit_compile", jit_compile)
        s(self, "stop_training", False)
        s(self, "_is_compiled", True)

    def _compile_output_names(self):
        if getattr(self, "_is_graph_network", False):
            return list(self.output_names)
        return None

    @property
    def run_eagerly(self):
        # lamina has no graph mode: every step runs eagerly
        return True

    @run_eagerly.setter
    def run_eagerly(self, value):
        object.__setattr__(self, "_run_eagerly", value)

    @property
    def steps_per_execution(self):
        return getattr(self, "_steps_per_execution", 1)

    def _assert_compile_was_called(self):
        if not getattr(self, "_is_compiled", False):
            raise RuntimeError("You must compile your model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    _check_compiled = _assert_compile_was_called

    @property
    def metrics(self):
        out = []
        if getattr(self, "_is_compiled", False):
            out += self.compiled_loss.metrics
            out += self.compiled_metrics.metrics
        out.extend(Layer.metrics.fget(self))
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None):
        """The compiled loss plus the model's added losses (tf.keras's compute_loss)."""
        del x
        return self.compiled_loss(y, y_pred, sample_weight, regularization_losses=self.losses,
                                  model=self)

    def compute_metrics(self, x, y, y_pred, sample_weight):
        del x
        self.compiled_metrics.update_state(y, y_pred, sample_weight, model=self)
        return self.get_metrics_result()

    def get_metrics_result(self):
        out = {}
        for m in self.metrics:
            r = m.result()
            if isinstance(r, dict):
                out.update(r)
            else:
                out[m.name] = r
        return out

    def _validate_target_and_loss(self, y, loss):
        if self.loss and y is None:
            raise ValueError(f"Target data is missing. Your model was compiled with "
                             f"loss={self.loss}, and therefore expects target data to be "
                             f"provided in `fit()`.")
        if loss is None:
            raise ValueError("No loss found. You may have forgotten to provide a `loss` argument "
                             "in the `compile()` method.")

    def train_step(self, data):
        """One optimizer step on a batch; returns the metrics' results (tf.keras's)."""
        import lamina
        from lamina.keras.engine.training_arrays import unpack_x_y_sample_weight
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with lamina.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._validate_target_and_loss(y, loss)
        self.optimizer.minimize(loss, self.trainable_variables, tape=tape)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        from lamina.keras.engine.training_arrays import unpack_x_y_sample_weight
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        self.compute_loss(x, y, y_pred, sample_weight)
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        from lamina.keras.engine.training_arrays import unpack_x_y_sample_weight
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    def _traced_step(self, step, batch):
        """step(batch) as tf.keras's traced train function runs it (run_eagerly not set): the
        optimizer is told, for the one rule whose result depends on it (Nadam's counter)."""
        opt = getattr(self, "optimizer", None)
        inner = getattr(opt, "inner_optimizer", opt)
        graph = not getattr(self, "_run_eagerly", None) and inner is not None
        if graph:
            object.__setattr__(inner, "_graph_step", True)
        try:
            return step(batch)
        finally:
            if graph:
                object.__setattr__(inner, "_graph_step", False)

    def _one_batch(self, x, y, sample_weight, class_weight=None):
        from lamina.keras.engine.training_arrays import ArrayData
        data = ArrayData(x, y, sample_weight, batch_size=max(1, _n_samples(x)),
                         class_weight=class_weight)
        return next(iter(data.batches()))

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None,
                       reset_metrics=True, return_dict=False):
        from lamina.keras.engine.training_arrays import to_python, flatten_metrics_in_order
        self._assert_compile_was_called()
        if reset_metrics:
            self.reset_metrics()
        logs = to_python(self._traced_step(self.train_step,
                                           self._one_batch(x, y, sample_weight, class_weight)))
        return logs if return_dict else flatten_metrics_in_order(logs, self.metrics_names)

    def test_on_batch(self, x, y=None, sample_weight=None, reset_metrics=True,
                      return_dict=False):
        from lamina.keras.engine.training_arrays import to_python, flatten_metrics_in_order
        self._assert_compile_was_called()
        if reset_metrics:
            self.reset_metrics()
        logs = to_python(self.test_step(self._one_batch(x, y, sample_weight)))
        return logs if return_dict else flatten_metrics_in_order(logs, self.metrics_names)

    def predict_on_batch(self, x):
        out = self.predict_step(self._one_batch(x, None, None))
        return map_structure(lambda t: t.numpy() if hasattr(t, "numpy") else t, out)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1, max_queue_size=10, workers=1,
            use_multiprocessing=False):
        """Train for epochs: each epoch resets the metrics and runs self.train_step on every
        batch; the last batch's logs (plus val_* from evaluate) go to the History."""
        from lamina.keras.engine.training_arrays import ArrayData, to_python, \
            unpack_x_y_sample_weight
        self._assert_compile_was_called()
        if callbacks:
            raise NotImplementedError("fit(callbacks=...) is not implemented in lamina yet")
        data = ArrayData(x, y, sample_weight, batch_size, shuffle, class_weight, steps_per_epoch)
        if validation_split and validation_data is None:
            validation_data = data.split(validation_split)
        val = None
        if validation_data is not None:
            vx, vy, vw = unpack_x_y_sample_weight(tuple(validation_data))
            val = (vx, vy, vw)
        history = History()
        history.set_model(self)
        history.set_params({"verbose": verbose, "epochs": epochs,
                            "steps": data.steps_per_epoch})
        object.__setattr__(self, "history", history)
        object.__setattr__(self, "stop_training", False)
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            logs = {}
            for batch in data.batches():
                logs = self._traced_step(self.train_step, batch)
            epoch_logs = to_python(logs)
            if val is not None and _should_validate(epoch, validation_freq):
                val_logs = self.evaluate(val[0], val[1], sample_weight=val[2],
                                         batch_size=validation_batch_size or data.batch_size,
                                         steps=validation_steps, verbose=0, return_dict=True)
                epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
            history.on_epoch_end(epoch, epoch_logs)
            if verbose == 1 or verbose is True:
                print(f"Epoch {epoch + 1}/{epochs} - " +
                      " - ".join(f"{k}: {v:.4f}" for k, v in epoch_logs.items()))
            if self.stop_training:
                break
        return history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, max_queue_size=10, workers=1,
                 use_multiprocessing=False, return_dict=False, **kwargs):
        from lamina.keras.engine.training_arrays import ArrayData, to_python, \
            flatten_metrics_in_order
        self._assert_compile_was_called()
        unknown = set(kwargs) - {"_use_cached_eval_dataset"}
        if unknown:
            raise TypeError(f"Invalid keyword arguments: {sorted(unknown)}")
        data = ArrayData(x, y, sample_weight, batch_size, shuffle=False, steps=steps)
        self.reset_metrics()
        logs = {}
        for batch in data.batches():
            logs = self.test_step(batch)
        logs = to_python(logs)
        return logs if return_dict else flatten_metrics_in_order(logs, self.metrics_names)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None,
                max_queue_size=10, workers=1, use_multiprocessing=False):
        from lamina.keras.engine.training_arrays import ArrayData
        data = ArrayData(x, None, None, batch_size, shuffle=False, steps=steps)
        outputs = []
        for batch in data.batches():
            outputs.append(self.predict_step(batch))
        if not outputs:
            raise ValueError("Unexpected result of `predict_function` (Empty batch_outputs). "
                             "Please use `Model.compile(..., run_eagerly=True)`, or "
                             "`tf.config.run_functions_eagerly(True)` for more information of "
                             "where went wrong, or file a issue/bug to `tf.keras`.")
        return _concat_outputs(outputs)

    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        print_fn = print_fn or print
        line_length = line_length or 65
        rows = []
        for layer in self.layers:
            try:
                shape = layer.output_shape
            except AttributeError:
                shape = "multiple" if layer.built else "?"
            rows.append((f"{layer.name} ({type(layer).__name__})", str(shape),
                         str(layer.count_params() if layer.built else 0)))
        w0 = max([len("Layer (type)")] + [len(r[0]) for r in rows]) + 2
        w1 = max([len("Output Shape")] + [len(r[1]) for r in rows]) + 2
        width = max(line_length, w0 + w1 + 10)
        print_fn(f'Model: "{self.name}"')
        print_fn("_" * width)
        print_fn(f"{'Layer (type)':<{w0}}{'Output Shape':<{w1}}Param #")
        print_fn("=" * width)
        for i, r in enumerate(rows):
            print_fn(f"{r[0]:<{w0}}{r[1]:<{w1}}{r[2]}")
            print_fn(("_" if i < len(rows) - 1 else "=") * width)
        t = sum(int(np.prod(w.shape.as_list())) for w in self.trainable_weights)
        n = sum(int(np.prod(w.shape.as_list())) for w in self.non_trainable_weights)
        print_fn(f"Total params: {t + n}")
        print_fn(f"Trainable params: {t}")
        print_fn(f"Non-trainable params: {n}")
        print_fn("_" * width)

    # ---- config -----------------------------------------------------------------------------------
    def get_config(self):
        if not getattr(self, "_is_graph_network", False):
            try:
                return Layer.get_config(self)
            except NotImplementedError:
                return {}
        return self._functional_config()

    get_config._is_default = True

    def _functional_config(self):
        node_index = {}   # id(node) -> index among this model's nodes of its layer
        counts = {}
        for node in self._nodes:
            li = id(node.layer)
            node_index[id(node)] = counts.get(li, 0)
            counts[li] = counts.get(li, 0) + 1

        def ref(kt):
            h = kt._keras_history
            node = h.layer._inbound_nodes[h.node_index]
            return (h.layer.name, node_index.get(id(node), 0), h.tensor_index)
        from lamina.keras.utils import serialize_keras_object
        layers = []
        by_layer = {}
        for node in self._nodes:
            by_layer.setdefault(id(node.layer), []).append(node)
        for layer in self._graph_layers:
            conf = serialize_keras_object(layer)
            conf["name"] = layer.name
            inbound = []
            for node in by_layer.get(id(layer), []):
                if node.is_input:
                    continue
                inbound.append({"args": F._encode(list(node.call_args), ref),
                                "kwargs": F._encode(node.call_kwargs, ref)})
            conf["inbound_nodes"] = inbound
            layers.append(conf)
        return {"name": self.name, "trainable": self.trainable, "layers": layers,
                "input_layers": map_structure(lambda t: list(ref(t)), self._nested_inputs),
                "output_layers": map_structure(lambda t: list(ref(t)), self._nested_outputs)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" not in config or "input_layers" not in config:
            try:
                return cls(**config)
            except TypeError as e:
                raise TypeError(f"Unable to revive model from config. When overriding the "
                                f"`get_config()` method, make sure that the returned config "
                                f"contains all items used as arguments in the constructor to "
                                f"{cls.__name__}. Error encountered: {e}") from e
        from lamina.keras.utils import deserialize_keras_object
        created = {}
        outputs_of = {}   # layer name -> list of node outputs

        def lookup(name, node_idx, tensor_idx):
            return flatten(outputs_of[name][node_idx])[tensor_idx]
        pending = []      # [layer name, its nodes' configs not yet applied], in config order
        for lconf in config["layers"]:
            name = lconf["name"]
            layer = deserialize_keras_object(lconf, custom_objects=custom_objects)
            created[name] = layer
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
                        args = F._decode(nodes[0]["args"], lookup)
                        kwargs = F._decode(nodes[0]["kwargs"], lookup)
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
                return lookup(*x)
            if isinstance(x, dict) and x.get("class_name") == "__tuple__":
                return tuple(refs(v) for v in x["config"]["value"])
            if isinstance(x, list):
                return [refs(v) for v in x]
            return x
        inputs = refs(config["input_layers"])
        outputs = refs(config["output_layers"])
        model = cls(inputs=inputs, outputs=outputs, name=config.get("name"))
        # add_loss / add_metric layers hang off the graph: put their nodes back
        for layer in created.values():
            if isinstance(layer, (F.AddLoss, F.AddMetric)) and layer._inbound_nodes:
                node = layer._inbound_nodes[-1]
                for kt in node.keras_inputs:
                    model._insert_subgraph(kt, "loss" if isinstance(layer, F.AddLoss) else "metric")
                if node not in model._nodes:
                    model._nodes.append(node)
        model._set_layers_from_nodes()
        if not config.get("trainable", True):
            model.trainable = False
        return model
