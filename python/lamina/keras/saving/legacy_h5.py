"""tf.keras 2's HDF5 files: a whole model (`model.save("m.h5")`: attributes model_config,
training_config, keras_version, backend; groups model_weights and optimizer_weights), and weights
only (`save_weights("w.h5")`: the model_weights layout at the root).

Weights live per layer: the group <layer name> has attribute weight_names (every weight of the
layer, its sublayers' included, in `layer.weights` order) and datasets at <layer>/<weight name>.
Loading matches layers in order (those with weights), or by name with by_name=True."""
import json

import numpy as np

from lamina.keras.saving.errors import ModelFileError, open_h5
from lamina.keras.saving import model_config, optimizer_state, weights_v3


def _str(x):
    return x.decode("utf-8") if isinstance(x, bytes) else str(x)


def _names_attr(group, key, path):
    if key not in group.attrs:
        raise ModelFileError(path, f"the group '{group.name}' has no '{key}' attribute (not a "
                                   f"Keras weights group)")
    return [_str(n) for n in np.asarray(group.attrs[key]).ravel()]


def save_weights_to_group(model, group):
    group.attrs["layer_names"] = np.array([l.name.encode("utf8") for l in model.layers])
    group.attrs["backend"] = "tensorflow"
    group.attrs["keras_version"] = model_config.KERAS_VERSION
    for layer in model.layers + [None]:
        g = group.create_group(layer.name if layer is not None else "top_level_model_weights")
        weights = layer.weights if layer is not None else \
            model._trainable_weights + model._non_trainable_weights
        names = [w.name for w in weights]
        g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
        for name, w in zip(names, weights):
            if name in g:
                raise ValueError(f"Layer '{layer.name}' has two weights named '{name}'; an .h5 "
                                 f"file cannot hold both")
            g.create_dataset(name, data=np.asarray(w.numpy()))


def _layer_values(group, name, path):
    g = group[name]
    values = []
    for wname in _names_attr(g, "weight_names", path):
        if wname not in g:
            raise ModelFileError(path, f"layer '{name}' lists weight '{wname}' but the file "
                                       f"has no such dataset")
        ds = g[wname]
        if not hasattr(ds, "shape") or ds.dtype.kind not in "fiub":
            raise ModelFileError(path, f"'{name}/{wname}' is not a numeric dataset")
        values.append(ds[()])
    return values


def read_assignments(model, group, path, by_name=False, skip_mismatch=False):
    """[(variable, value)] checked (counts and shapes) before anything is assigned."""
    layer_names = _names_attr(group, "layer_names", path)
    for n in layer_names:
        if n not in group:
            raise ModelFileError(path, f"layer '{n}' is listed in layer_names but has no group")
    pairs = []
    if by_name:
        index = {}
        for layer in model.layers:
            index.setdefault(layer.name, []).append(layer)
        for name in layer_names:
            values = _layer_values(group, name, path)
            for layer in index.get(name, []):
                pairs.extend(_match(layer, values, name, path, skip_mismatch))
        return pairs
    file_layers = [(n, v) for n in layer_names for v in [_layer_values(group, n, path)] if v]
    model_layers = [l for l in model.layers if l.weights]
    if len(file_layers) != len(model_layers):
        raise ModelFileError(path, f"the file holds weights for {len(file_layers)} layers "
                                   f"({[n for n, _ in file_layers]}), but the model has "
                                   f"{len(model_layers)} layers with weights "
                                   f"({[l.name for l in model_layers]})")
    for layer, (name, values) in zip(model_layers, file_layers):
        pairs.extend(_match(layer, values, name, path, skip_mismatch))
    return pairs


def _match(layer, values, name, path, skip_mismatch):
    weights = layer.weights
    if len(weights) != len(values):
        if skip_mismatch:
            return []
        raise ModelFileError(path, f"layer '{layer.name}' has {len(weights)} weights, but the "
                                   f"file's layer '{name}' has {len(values)}")
    return weights_v3.check_shapes(weights, values, f"layer '{layer.name}'", path, skip_mismatch)


def assign(pairs):
    weights_v3.assign((pairs, []), None)


# ---- whole models -------------------------------------------------------------------------------
def legacy_config(x):
    """tf.keras 2's legacy serialization, which its .h5 files hold: {'class_name', 'config'}
    only, a registered class named by its registered name ('package>Name')."""
    if isinstance(x, list):
        return [legacy_config(v) for v in x]
    if not isinstance(x, dict):
        return x
    out = {k: legacy_config(v) for k, v in x.items()
           if k not in ("module", "registered_name", "build_config", "compile_config")}
    if "class_name" in x and x.get("registered_name"):
        out["class_name"] = x["registered_name"]
    return out


def save_model(model, path, include_optimizer=True):
    from lamina.keras.saving.serialization import serialize_keras_object
    from lamina.keras.engine.sequential import Sequential
    if not isinstance(model, Sequential) and not getattr(model, "_is_graph_network", False):
        raise NotImplementedError(
            "Saving the model to HDF5 format requires the model to be a Functional model or a "
            "Sequential model. It does not work for subclassed models, because such models are "
            "defined via the body of a Python method, which isn't safely serializable. Save it "
            "to the .keras format, or save its weights with save_weights().")
    with open_h5(path, "w") as f:
        f.attrs["backend"] = "tensorflow"
        f.attrs["keras_version"] = model_config.KERAS_VERSION
        config = legacy_config(model_config._plain(serialize_keras_object(model)))
        f.attrs["model_config"] = json.dumps(config)
        if include_optimizer and getattr(model, "_is_compiled", False):
            cc = model_config.compile_config(model)
            f.attrs["training_config"] = json.dumps(model_config._plain(
                {"loss": legacy_config(cc["loss"]), "metrics": cc["metrics"],
                 "weighted_metrics": None, "loss_weights": None,
                 "optimizer_config": legacy_config(cc["optimizer"])}))
        save_weights_to_group(model, f.create_group("model_weights"))
        values = optimizer_state.values(model.optimizer) \
            if include_optimizer and getattr(model, "optimizer", None) is not None else None
        if values is not None:
            g = f.create_group("optimizer_weights")
            names = [getattr(v, "name", f"var_{i}") for i, v in
                     enumerate(optimizer_state._variables(model.optimizer))]
            names = [n if n.endswith(":0") else n + ":0" for n in names]
            if len(set(names)) != len(names):
                names = [f"{i}/{n}" for i, n in enumerate(names)]
            g.attrs["weight_names"] = np.array([n.encode("utf8") for n in names])
            for n, v in zip(names, values):
                g.create_dataset(n, data=v)


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    from lamina.keras.saving import keras_zip
    from lamina.keras.saving.serialization import safe_mode_scope
    with open_h5(path) as f:
        if "model_config" not in f.attrs:
            raise ModelFileError(path, "it holds no model_config attribute: a weights-only "
                                       ".h5 file? Build the model and call load_weights")
        try:
            config = json.loads(_str(f.attrs["model_config"]))
        except ValueError as e:
            raise ModelFileError(path, f"its model_config is not JSON ({e})") from None
        if not isinstance(config, dict):
            raise ModelFileError(path, "its model_config is not a JSON object")
        with safe_mode_scope(safe_mode):
            model = keras_zip.build_model(config, custom_objects, path, safe_mode)
        if "model_weights" not in f:
            raise ModelFileError(path, "it has no 'model_weights' group")
        assign(read_assignments(model, f["model_weights"], path))
        if compile and "training_config" in f.attrs:
            try:
                training = json.loads(_str(f.attrs["training_config"]))
            except ValueError as e:
                raise ModelFileError(path, f"its training_config is not JSON ({e})") from None
            model_config.compile_from_config(model, training, custom_objects)
            if "optimizer_weights" in f:
                g = f["optimizer_weights"]
                arrays = [g[n][()] for n in _names_attr(g, "weight_names", path)
                          if n in g]
                optimizer_state.restore(model.optimizer, model.trainable_variables, arrays,
                                        path)
    return model
