"""A model as a config and back: to_json / model_from_json / model_from_config, the
compile_config (loss, metrics, optimizer) of saved files, and clone_model."""
import json

import numpy as np

from lamina.keras.saving.serialization import serialize_keras_object, deserialize_keras_object

KERAS_VERSION = "2.21.0"   # the tf.keras whose files lamina writes


def _plain(x):
    """JSON-able: tuples as lists, NumPy scalars as numbers."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def model_to_config(model, include_compile=False):
    """{'module', 'class_name', 'config', 'registered_name', 'build_config'[, 'compile_config']}
    as tf.keras writes config.json."""
    config = serialize_keras_object(model)
    if model.built and hasattr(model, "get_build_config"):
        config["build_config"] = model.get_build_config()
    if include_compile and model.get_compile_config() is not None:
        config["compile_config"] = model.get_compile_config()
    return _plain(config)


def model_to_json(model, **kwargs):
    config = model_to_config(model)
    config.update(keras_version=KERAS_VERSION, backend="tensorflow")
    return json.dumps(config, **kwargs)


def model_from_config(config, custom_objects=None, safe_mode=True):
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"model_from_config expects a dict with a 'class_name' and a 'config' "
                         f"(what model.get_config() is wrapped in); got {str(config)[:200]}")
    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    printable_module_name="model", safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    try:
        config = json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json: the string is not JSON ({e})") from None
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


# ---- compile config ----------------------------------------------------------------------------
def compile_config(model):
    """compile()'s arguments as tf.keras records them (metrics as given: names, functions or
    Metric objects)."""
    from lamina.keras.saving.compat import portable_optimizer_config
    metrics = getattr(model, "compiled_metrics", None)
    losses = getattr(model, "compiled_loss", None)
    return {"optimizer": portable_optimizer_config(serialize_keras_object(model.optimizer)),
            "loss": serialize_keras_object(getattr(model, "loss", None)),
            "metrics": serialize_keras_object(getattr(metrics, "_user_metrics", None)),
            "loss_weights": serialize_keras_object(getattr(losses, "_user_loss_weights", None)),
            "weighted_metrics": serialize_keras_object(
                getattr(metrics, "_user_weighted_metrics", None)),
            "run_eagerly": False, "steps_per_execution": 1,
            "jit_compile": False}   # (values both Keras versions take)


def _metric_identifier(m):
    """A compiled metric as compile() takes it: tf_keras's legacy training_config writes
    MeanMetricWrapper dicts around the function's name."""
    if isinstance(m, dict) and m.get("class_name") == "MeanMetricWrapper":
        return m.get("config", {}).get("fn") or m.get("config", {}).get("name")
    if isinstance(m, dict):
        from lamina.keras import metrics
        return metrics.get(m)
    return m


def compile_from_config(model, config, custom_objects=None):
    """model.compile(...) from a compile_config (or a legacy .h5 training_config)."""
    from lamina.keras import optimizers, losses
    from lamina.keras.saving.object_registration import custom_object_scope
    with custom_object_scope(custom_objects or {}):
        opt = config.get("optimizer", config.get("optimizer_config"))
        opt = optimizers.get(opt) if opt is not None else "rmsprop"
        loss = config.get("loss")
        if isinstance(loss, dict) and "class_name" in loss:
            loss = losses.get(loss)
        elif isinstance(loss, dict):
            loss = {k: losses.get(v) if isinstance(v, dict) else v for k, v in loss.items()}
        model.compile(optimizer=opt, loss=loss, metrics=_metrics(config.get("metrics")),
                      weighted_metrics=_metrics(config.get("weighted_metrics")),
                      loss_weights=config.get("loss_weights"))


def _metrics(metrics):
    """compile()'s metrics from a config: a list (tf_keras's legacy .h5 nests one list per
    output), or a dict per output name."""
    if isinstance(metrics, dict):
        return {k: _metrics(v) if isinstance(v, list) else _metric_identifier(v)
                for k, v in metrics.items()}
    flat = []
    for m in metrics or []:
        if isinstance(m, list):
            flat.extend(_metric_identifier(x) for x in m)
        else:
            flat.append(_metric_identifier(m))
    return flat or None


# ---- clone_model ------------------------------------------------------------------------------
def clone_model(model, input_tensors=None, clone_function=None):
    """A new model of the same architecture with freshly initialized weights: each layer
    rebuilt from its config, or made by clone_function(layer); input_tensors replace the
    model's inputs."""
    from lamina.keras.engine.sequential import Sequential
    from lamina.keras.engine.training import Model
    from lamina.keras.engine.input_layer import InputLayer
    from lamina.keras.engine import functional as F
    clone = clone_function or (lambda layer: type(layer).from_config(layer.get_config()))
    if input_tensors is not None and not isinstance(input_tensors, (list, tuple)):
        input_tensors = [input_tensors]
    if isinstance(model, Sequential):
        new = Sequential(name=model.name)
        if input_tensors is not None:
            new.add(InputLayer(input_tensor=input_tensors[0]))
        for layer in model._seq_layers:
            if isinstance(layer, InputLayer):
                if input_tensors is None:
                    new.add(InputLayer.from_config(layer.get_config()))
                continue
            new.add(clone(layer))
        return new
    if not getattr(model, "_is_graph_network", False):
        raise ValueError(f"clone_model expects a Sequential or functional model; "
                         f"{type(model).__name__} is a subclassed model: rebuild it with "
                         f"{type(model).__name__}.from_config(model.get_config())")
    layers = {l.name: clone(l) for l in model.layers if not isinstance(l, InputLayer)}
    return F.functional_from_config(Model, model.get_config(), layers=layers,
                                    input_tensors=input_tensors)
