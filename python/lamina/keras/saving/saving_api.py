"""save_model / load_model / save_weights / load_weights: the format follows the file name
(.keras: the v3 zip; .h5 / .hdf5: tf.keras 2's HDF5; .weights.h5: v3 weights)."""
import os

from lamina.keras.saving.errors import ModelFileError, open_h5

WEIGHT_SUFFIXES = (".weights.h5", ".h5", ".hdf5")


def _path(filepath):
    return os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else filepath


def _check_overwrite(path, overwrite):
    if not overwrite and isinstance(path, str) and os.path.exists(path):
        raise FileExistsError(f"{path} exists and overwrite=False")


def save_model(model, filepath, overwrite=True, save_format=None, include_optimizer=True,
               **kwargs):
    path = _path(filepath)
    _check_overwrite(path, overwrite)
    fmt = save_format or ("h5" if str(path).endswith((".h5", ".hdf5")) else
                          "keras" if str(path).endswith(".keras") else None)
    if fmt in ("h5", "hdf5"):
        from lamina.keras.saving import legacy_h5
        legacy_h5.save_model(model, path, include_optimizer=include_optimizer)
    elif fmt == "keras":
        from lamina.keras.saving import keras_zip
        keras_zip.save(model, path, include_optimizer=include_optimizer)
    else:
        raise ValueError(f"Cannot save {path!r}: lamina writes the Keras v3 format (a path "
                         f"ending in .keras) and tf.keras 2's HDF5 (.h5); the TensorFlow "
                         f"SavedModel format (save_format={save_format!r}, or a path without "
                         f"one of these suffixes) is not supported")


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, **kwargs):
    """A new model from a .keras or .h5 file. Nothing from the file runs as code unless
    safe_mode=False (a Lambda layer's bytecode)."""
    path = _path(filepath)
    if hasattr(path, "read"):        # an open binary file
        head = path.read(8)
        path.seek(0)
    else:
        if not os.path.exists(path):
            raise FileNotFoundError(f"No such file: {path!r}")
        if os.path.isdir(path):
            raise ValueError(f"Cannot load {path!r}: it is a directory (a TensorFlow "
                             f"SavedModel?); lamina loads .keras and .h5 files")
        with open(path, "rb") as f:
            head = f.read(8)
    if head[:4] == b"PK\x03\x04" or str(path).endswith(".keras"):
        from lamina.keras.saving import keras_zip
        return keras_zip.load(path, custom_objects, compile, safe_mode)
    from lamina.keras.saving import legacy_h5
    return legacy_h5.load_model(path, custom_objects, compile, safe_mode)


def save_weights(model, filepath, overwrite=True, save_format=None):
    path = _path(filepath)
    _check_overwrite(path, overwrite)
    if str(path).endswith(".weights.h5"):
        from lamina.keras.saving import weights_v3
        with open_h5(path, "w") as f:
            weights_v3.save(model, f, include_optimizer=False)
    elif str(path).endswith((".h5", ".hdf5")) or save_format == "h5":
        from lamina.keras.saving import legacy_h5
        with open_h5(path, "w") as f:
            legacy_h5.save_weights_to_group(model, f)
    else:
        raise ValueError(f"Cannot save weights to {path!r}: lamina writes weights files whose "
                         f"names end in {' or '.join(WEIGHT_SUFFIXES)}; the TensorFlow "
                         f"checkpoint format (any other name) is not supported")


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Set the model's weights from a file; every value is checked against the model before
    any is assigned, so a bad file leaves the model as it was."""
    path = _path(filepath)
    if str(path).endswith(".keras"):
        from lamina.keras.saving import keras_zip
        with keras_zip.open_zip(path) as z:
            data = keras_zip._read_member(z, keras_zip.WEIGHTS, keras_zip.MAX_WEIGHTS_BYTES, path)
        with keras_zip.open_weights(data, path) as f:
            keras_zip.load_weights_into(model, f, path)
        return
    if not str(path).endswith(WEIGHT_SUFFIXES):
        raise ValueError(f"Cannot load weights from {path!r}: lamina reads weights files whose "
                         f"names end in {', '.join(WEIGHT_SUFFIXES)} or .keras; the TensorFlow "
                         f"checkpoint format (any other name) is not supported")
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: {path!r}")
    if not model.built:
        raise ValueError(f"Cannot load weights into model '{model.name}' before it is built: "
                         f"call the model on a batch or build() it first")
    with open_h5(path) as f:
        if "layer_names" in f.attrs or "model_weights" in f:
            from lamina.keras.saving import legacy_h5
            group = f["model_weights"] if "model_weights" in f else f
            legacy_h5.assign(legacy_h5.read_assignments(model, group, path, by_name,
                                                        skip_mismatch))
        elif "layers" in f or "vars" in f:
            if by_name:
                raise ValueError(f"{path}: by_name=True applies to tf.keras 2's .h5 weights; "
                                 f"this file has the Keras v3 layout")
            from lamina.keras.saving import weights_v3
            weights_v3.assign(weights_v3.read_assignments(model, f, path, skip_mismatch), path)
        else:
            raise ModelFileError(path, "it is HDF5 but holds no Keras weights (neither "
                                       "layer_names nor a layers group)")
