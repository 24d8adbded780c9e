"""The Keras v3 format `.keras`: a zip of metadata.json, config.json and model.weights.h5,
stored uncompressed, as tf_keras 2.13+ and Keras 3 write it, plus `assets/<layer path>/...` for
layers that save files of their own (save_assets / load_assets).

Reading never extracts the archive: members are read into memory by name, each bounded (declared
size and bytes actually inflated), and names that point outside the archive refuse the file; a
layer's assets are written, one checked name at a time, into a fresh temporary directory that is
removed after its load_assets ran."""
import datetime
import io
import json
import os
import tempfile
import zipfile

from lamina.keras.saving.errors import ModelFileError, open_h5
from lamina.keras.saving import model_config, weights_v3

CONFIG, METADATA, WEIGHTS = "config.json", "metadata.json", "model.weights.h5"
MAX_JSON_BYTES = 64 << 20          # a config larger than this is not a model config
MAX_WEIGHTS_BYTES = 8 << 30        # the bytes a weights member may inflate to
MAX_ASSETS_BYTES = 1 << 30         # all of a layer's assets together


def save(model, path, include_optimizer=True):
    config = model_config.model_to_config(model, include_compile=include_optimizer)
    metadata = {"keras_version": model_config.KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    with open_h5(weights, "w") as f:
        weights_v3.save(model, f, include_optimizer=include_optimizer)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(METADATA, json.dumps(metadata))
        z.writestr(CONFIG, json.dumps(config))
        z.writestr(WEIGHTS, weights.getvalue())
        _save_assets(model, z)


def _assets_prefix(layer_path):
    return "/".join(p for p in ("assets", layer_path) if p) + "/"


def _save_assets(model, z):
    for layer_path, layer in weights_v3.layer_paths(model):
        if not hasattr(layer, "save_assets"):
            continue
        with tempfile.TemporaryDirectory() as d:
            layer.save_assets(d)
            for root, _, files in os.walk(d):
                for f in sorted(files):
                    full = os.path.join(root, f)
                    rel = os.path.relpath(full, d).replace(os.sep, "/")
                    z.write(full, _assets_prefix(layer_path) + rel)


def _load_assets(model, z, path):
    names = [n for n in z.namelist() if not n.endswith("/")]
    for layer_path, layer in weights_v3.layer_paths(model):
        if not hasattr(layer, "load_assets"):
            continue
        prefix = _assets_prefix(layer_path)
        budget = MAX_ASSETS_BYTES
        with tempfile.TemporaryDirectory() as d:
            for name in names:
                if not name.startswith(prefix):
                    continue
                data = _read_member(z, name, budget, path)
                budget -= len(data)
                target = os.path.join(d, *name[len(prefix):].split("/"))
                if not os.path.realpath(target).startswith(os.path.realpath(d) + os.sep):
                    raise ModelFileError(path, f"the asset {name!r} points outside its "
                                               f"directory")
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with open(target, "wb") as f:
                    f.write(data)
            layer.load_assets(d)


def _check_names(z, path):
    names = z.namelist()
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise ModelFileError(path, f"the zip holds several members named {twice}: ambiguous, "
                                   f"refusing the file")
    for info in z.infolist():
        name = info.filename
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ModelFileError(path, f"the zip holds a member named {name!r} that points "
                                       f"outside the archive; refusing the file")


def _read_member(z, name, limit, path):
    try:
        info = z.getinfo(name)
    except KeyError:
        raise ModelFileError(path, f"the .keras zip has no '{name}' member (it holds "
                                   f"{z.namelist()[:10]})") from None
    if info.file_size > limit:
        raise ModelFileError(path, f"the member '{name}' declares {info.file_size} bytes, more "
                                   f"than the {limit} allowed")
    out = bytearray()
    try:
        with z.open(info) as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                out += chunk
                if len(out) > limit:
                    raise ModelFileError(path, f"the member '{name}' inflates past {limit} "
                                               f"bytes (a zip bomb?)")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
            NotImplementedError) as e:
        if isinstance(e, ModelFileError):
            raise
        raise ModelFileError(path, f"the member '{name}' of the zip is damaged ({e})") from None
    except Exception as e:   # zlib.error and the like: a corrupted stream
        raise ModelFileError(path, f"the member '{name}' of the zip is damaged ({e})") from None
    return bytes(out)


def _read_json(z, name, path):
    raw = _read_member(z, name, MAX_JSON_BYTES, path)
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        raise ModelFileError(path, f"'{name}' is not valid JSON ({e})") from None
    if not isinstance(value, dict):
        raise ModelFileError(path, f"'{name}' holds a {type(value).__name__}, not an object")
    return value


def open_zip(path):
    try:
        z = zipfile.ZipFile(path, "r")
    except FileNotFoundError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as e:
        raise ModelFileError(path, f"it is not a valid .keras file: not a readable zip "
                                   f"archive ({e})") from None
    _check_names(z, path)
    return z


def load(path, custom_objects=None, compile=True, safe_mode=True):
    from lamina.keras.saving.serialization import safe_mode_scope
    with open_zip(path) as z:
        if METADATA in z.namelist():
            _read_json(z, METADATA, path)
        config = _read_json(z, CONFIG, path)
        weights = _read_member(z, WEIGHTS, MAX_WEIGHTS_BYTES, path)
        with safe_mode_scope(safe_mode):
            model = build_model(config, custom_objects, path, safe_mode)
        with open_weights(weights, path) as f:
            load_weights_into(model, f, path, compile and "compile_config" in config, config,
                              custom_objects)
        _load_assets(model, z, path)
    return model


def open_weights(data, path):
    """The weights member (bytes) as an h5py.File; errors name the .keras file."""
    return open_h5(io.BytesIO(data), name=f"{path} (its {WEIGHTS})")


def build_model(config, custom_objects, path, safe_mode):
    """A fresh model from a config.json (build_config applied), with clear errors."""
    try:
        model = model_config.model_from_config(config, custom_objects, safe_mode=safe_mode)
    except (ModelFileError, NotImplementedError):
        raise
    except (ValueError, TypeError, KeyError, AttributeError, IndexError, MemoryError,
            OverflowError, RecursionError) as e:
        raise ModelFileError(path, f"its model config cannot be rebuilt: "
                                   f"{type(e).__name__}: {e}") from e
    from lamina.keras.engine.training import Model
    if not isinstance(model, Model):
        raise ModelFileError(path, f"its config describes a {type(model).__name__}, not a model")
    if config.get("build_config") and (not model.built or not model.weights):
        _build(model, config["build_config"], path)
    return model


def _build(model, build_config, path):
    """build_from_config; a subclassed model that has no build() of its own is built as tf.keras
    builds one: by calling it (here on zeros of the recorded input shape)."""
    from lamina.keras.engine.training import Model
    from lamina.keras.engine.sequential import Sequential
    shape = build_config.get("input_shape") if isinstance(build_config, dict) else None
    subclassed = not isinstance(model, Sequential) and not model._is_graph_network and \
        type(model).build is Model.build
    one_shape = isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int)
                                                         for d in shape)
    try:
        if subclassed and one_shape:
            import numpy as np
            model(np.zeros([d or 1 for d in shape], "float32"), training=False)
        else:
            model.build_from_config(build_config)
    except (ValueError, TypeError, IndexError) as e:
        raise ModelFileError(path, f"the model cannot be built from its build_config "
                                   f"{build_config}: {e}") from e


def load_weights_into(model, f, path, compile=False, config=None, custom_objects=None):
    """Check every variable against the file, then assign them all; compile and restore the
    optimizer when asked."""
    weights_v3.assign(weights_v3.read_assignments(model, f, path), path)
    if compile:
        from lamina.keras.saving import optimizer_state
        from lamina.keras.saving.object_registration import custom_object_scope
        with custom_object_scope(custom_objects or {}):
            model.compile_from_config(config["compile_config"])
        arrays = weights_v3.read_optimizer(f, path)
        if arrays is not None:
            optimizer_state.restore(model.optimizer, model.trainable_variables, arrays, path)
