"""The Keras v3 weights layout (`model.weights.h5` inside a .keras zip, and `.weights.h5`):
one group per layer reached from the model, named as Keras names it, with the layer's own
variables as datasets `<path>/vars/0, 1, ...`.

Keras walks an object's attributes in sorted order; a layer held in an attribute is saved under
the attribute's name, a list of layers (a model's `layers`) under `<attr>/<snake_case class
name>[_<n>]` with a counter per class name in list order. Each layer is saved once, where it is
first reached. The optimizer's variables go to `optimizer/vars`."""
import numpy as np

from lamina.keras.backend import to_snake_case
from lamina.keras.saving.errors import ModelFileError
from lamina.keras.saving import optimizer_state


def _class_name(layer):
    from lamina.keras.engine.training import Model
    if type(layer) is Model and getattr(layer, "_is_graph_network", False):
        return "Functional"
    return type(layer).__name__


def _children(layer):
    """(attribute name, a layer or a list of layers) in sorted attribute order."""
    from lamina.keras.engine.base_layer import Layer
    from lamina.keras.engine.training import Model
    out = {}
    if isinstance(layer, Model):
        out["layers"] = layer.layers
    for name, value in vars(layer).items():
        if name.startswith("_") or name in out:
            continue
        if isinstance(value, Layer) and not _is_metric(value):
            out[name] = value
        elif isinstance(value, (list, tuple)) and value and \
                all(isinstance(v, Layer) for v in value):
            out[name] = list(value)
    return sorted(out.items())


def _is_metric(x):
    from lamina.keras.metrics import Metric
    return isinstance(x, Metric)


def own_variables(layer):
    return list(layer._trainable_weights) + list(layer._non_trainable_weights)


def layer_paths(model):
    """[(path, layer)] for every layer reached from the model, the model itself at ''."""
    out, seen = [], set()

    def visit(layer, path):
        if id(layer) in seen:
            return
        seen.add(id(layer))
        out.append((path, layer))
        for attr, child in _children(layer):
            base = f"{path}/{attr}" if path else attr
            if isinstance(child, list):
                used = {}
                for c in child:
                    name = to_snake_case(_class_name(c))
                    if name in used:
                        used[name] += 1
                        name = f"{name}_{used[name]}"
                    else:
                        used[name] = 0
                    visit(c, f"{base}/{name}")
            else:
                visit(child, base)
    visit(model, "")
    return out


def _custom(layer, method):
    """True when the layer's class overrides save_own_variables / load_own_variables."""
    from lamina.keras.engine.base_layer import Layer
    return getattr(type(layer), method) is not getattr(Layer, method)


def save(model, h5file, include_optimizer=True):
    for path, layer in layer_paths(model):
        group = h5file.create_group(f"{path}/vars" if path else "vars")
        group.attrs["name"] = layer.name
        store = {}
        layer.save_own_variables(store)
        for key, value in store.items():
            group.create_dataset(str(key), data=np.asarray(
                value.numpy() if hasattr(value, "numpy") else value))
    opt = getattr(model, "optimizer", None) if include_optimizer else None
    values = optimizer_state.values(opt) if opt is not None else None
    if values is not None:
        group = h5file.create_group("optimizer/vars")
        group.attrs["name"] = str(getattr(opt, "name", "optimizer"))
        for i, v in enumerate(values):
            group.create_dataset(str(i), data=v)


def _read_vars(h5file, path, filename, by_name=False):
    key = f"{path}/vars" if path else "vars"
    if key not in h5file:
        return None
    group = h5file[key]
    if not hasattr(group, "keys"):
        raise ModelFileError(filename, f"'{key}' in the weights file is not a group")
    names = list(group.keys())
    if by_name:
        return {n: _numeric(group[n], f"{key}/{n}", filename) for n in names}
    if sorted(names, key=lambda n: (len(n), n)) != [str(i) for i in range(len(names))]:
        raise ModelFileError(filename, f"the variables of '{key}' are named {names}; expected "
                                       f"0..{len(names) - 1}")
    return [_numeric(group[str(i)], f"{key}/{i}", filename) for i in range(len(names))]


def _numeric(ds, where, filename):
    if not hasattr(ds, "shape") or ds.dtype.kind not in "fiub":
        raise ModelFileError(filename, f"'{where}' is not a numeric dataset")
    return ds[()]


def read_assignments(model, h5file, filename, skip_mismatch=False):
    """[(variable, value)] for every variable of the model, checked against the file (count and
    shape) before anything is assigned; and [(layer, store)] for the layers that load their own
    state (a custom load_own_variables), to call after."""
    pairs, custom = [], []
    for path, layer in layer_paths(model):
        if _custom(layer, "load_own_variables"):
            store = _read_vars(h5file, path, filename, by_name=True)
            custom.append((layer, store if store is not None else {}))
            continue
        variables = own_variables(layer)
        values = _read_vars(h5file, path, filename)
        where = f"layer '{layer.name}' (group '{path or '/'}')"
        if values is None:
            if not variables:
                continue
            if skip_mismatch:
                continue
            raise ModelFileError(filename, f"{where} has {len(variables)} variables but the "
                                           f"file has no '{path}/vars' group")
        if len(values) != len(variables):
            if skip_mismatch:
                continue
            raise ModelFileError(filename, f"{where} expected {len(variables)} variables, but "
                                           f"the file has {len(values)}")
        checked = check_shapes(variables, values, where, filename, skip_mismatch)
        pairs.extend(checked)
    return pairs, custom


def assign(assignments, filename):
    pairs, custom = assignments
    for v, value in pairs:
        v.assign(value)     # (the variable converts to its dtype, bfloat16 included)
    for layer, store in custom:
        try:
            layer.load_own_variables(store)
        except (ValueError, KeyError, TypeError) as e:
            raise ModelFileError(filename, f"layer '{layer.name}' could not load its state: "
                                           f"{e}") from e


def check_shapes(variables, values, where, filename, skip_mismatch):
    out = []
    for v, a in zip(variables, values):
        want = tuple(v.shape.as_list())
        if tuple(a.shape) != want:
            if skip_mismatch:
                return []
            raise ModelFileError(filename, f"{where}: variable '{v.name}' has shape {want}, "
                                           f"the file's value has shape {tuple(a.shape)}")
        out.append((v, a))
    return out


def read_optimizer(h5file, filename):
    if "optimizer/vars" not in h5file:
        return None
    return _read_vars(h5file, "optimizer", filename)
