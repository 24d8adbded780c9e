"""serialize_keras_object / deserialize_keras_object: the ONE way every Keras object (layer,
model, initializer, regularizer, constraint, activation, loss, metric, optimizer, policy) turns
into and back from tf.keras's {'module', 'class_name', 'config', 'registered_name'} dicts, and
`get(identifier, ...)`, which every `keras.<kind>.get` calls.

Reading accepts what tf_keras 2 and Keras 3 write (saving/compat.py maps their differences);
writing produces configs both of them read."""
import contextlib
import inspect
import threading

from lamina.keras.saving import object_registration as _reg
from lamina.keras.saving import compat as _compat


def _module_of(obj):
    """'keras.layers', 'keras.initializers', ...: the public module tf.keras writes (models
    are 'keras', which tf_keras 2 and Keras 3 both resolve)."""
    from lamina.keras.engine.training import Model
    mod = type(obj).__module__
    if isinstance(obj, Model):
        return "keras"
    if not mod.startswith("lamina.keras"):
        return mod
    parts = mod.split(".")[1:3]   # keras, layers / initializers / engine ...
    if len(parts) > 1 and parts[1] == "engine":
        return "keras.layers"
    return ".".join(parts)


def serialize_keras_object(obj):
    """A JSON-able config: None, a plain value, a function's name, or the class dict."""
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if hasattr(obj, "get_config") and not isinstance(obj, type):
        cls = type(obj)
        reg = _reg.registered_name_of_class(cls)
        name = cls.__dict__.get("_keras_class_name", cls.__name__)
        return {"module": None if reg else _module_of(obj), "class_name": name,
                "config": obj.get_config(), "registered_name": reg}
    if hasattr(obj, "tolist") and hasattr(obj, "dtype"):   # NumPy values
        return obj.tolist()
    if hasattr(obj, "numpy") and hasattr(obj, "dtype"):    # tensors and variables
        return obj.numpy().tolist()
    name = getattr(obj, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {obj!r}: it has no get_config() and no __name__")
    return _reg.get_registered_name(obj)


def _lookup(name, module_objects, custom_objects):
    obj = _reg.get_registered_object(name, custom_objects, module_objects)
    if obj is None and ">" in name:
        # tf_keras writes built-in optimizers as 'Custom>Adam' in legacy .h5 training configs
        obj = _reg.get_registered_object(name.split(">", 1)[1], custom_objects, module_objects)
    return obj


def _unknown(kind, name):
    return ValueError(f"Unknown {kind}: '{name}'. Please ensure you are using a "
                      f"`keras.utils.custom_object_scope` and that this object is included in "
                      f"the scope, or pass it in `custom_objects`. See https://www.tensorflow."
                      f"org/guide/keras/save_and_serialize#registering_the_custom_object.")


class _SafeMode(threading.local):
    value = None


_safe_mode = _SafeMode()


def in_safe_mode():
    """True inside a load (or deserialize_keras_object) that runs in safe mode: Lambda
    bytecode is then refused. Outside any load, False (a direct from_config, as in tf.keras 2)."""
    return bool(_safe_mode.value)


@contextlib.contextmanager
def safe_mode_scope(safe_mode):
    old = _safe_mode.value
    _safe_mode.value = old if safe_mode is None else safe_mode
    try:
        yield
    finally:
        _safe_mode.value = old


def deserialize_keras_object(config, module_objects=None, custom_objects=None,
                             printable_module_name="object", safe_mode=None):
    """The object a config describes. A name resolves (custom_object_scope, then
    custom_objects, then the registry, then module_objects) to an object, instantiated without
    arguments when it is a class; a dict to cls.from_config(config). safe_mode (True unless
    an enclosing load said otherwise) refuses Lambda bytecode."""
    if safe_mode is None and _safe_mode.value is None:
        safe_mode = True
    with safe_mode_scope(safe_mode):
        return _deserialize(config, module_objects, custom_objects, printable_module_name)


def deserialize_nested(config, custom_objects=None, printable_module_name="layer",
                       module_objects=None):
    """deserialize_keras_object for the parts of an object being deserialized (a model's
    layers): it keeps the safe mode of the load in progress, if any."""
    return _deserialize(config, module_objects, custom_objects, printable_module_name)


def _deserialize(config, module_objects, custom_objects, printable_module_name):
    if config is None:
        return None
    kind = printable_module_name
    if isinstance(config, str):
        obj = _lookup(config, module_objects, custom_objects)
        if obj is None:
            raise _unknown(kind, config)
        return obj() if isinstance(obj, type) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret {kind} config: expected a name or a dict with a "
                         f"'class_name', got {config!r}")
    class_name = config["class_name"]
    inner = config.get("config")
    if class_name == "function" or config.get("module") == "builtins":
        # Keras 3 writes a function as {'class_name': 'function', 'config': <its name>}
        return _deserialize(config.get("registered_name") or inner, module_objects,
                            custom_objects, kind)
    cls = None
    for key in (config.get("registered_name"), class_name,
                _compat.CLASS_ALIASES.get(class_name)):
        if key:
            cls = _lookup(key, module_objects, custom_objects)
            if cls is None and module_objects is None:
                cls = _compat.known_classes(config.get("module")).get(key)
            if cls is not None:
                break
    if cls is None:
        raise _unknown(kind, class_name)
    inner = _compat.to_lamina_config(class_name, dict(inner or {}), cls)
    if not isinstance(cls, type) and not hasattr(cls, "from_config"):
        return cls   # a registered function under its config
    with _reg.custom_object_scope(custom_objects or {}):
        fc = getattr(cls, "from_config", None)
        if fc is None:
            obj = cls(**inner)
        else:
            params = _params(fc)
            kw = {}
            if "custom_objects" in params:
                kw["custom_objects"] = custom_objects
            obj = fc(inner, **kw)
    build_config = config.get("build_config")
    if build_config and hasattr(obj, "build_from_config") and not getattr(obj, "built", True):
        obj.build_from_config(build_config)
    return obj


def _params(fn):
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return {}


def get(identifier, module_objects, kind, instantiate=True):
    """keras.<kind>s.get: None stays None; a name or a config dict is deserialized; a
    callable (an object, or a function) is used as it is; a class is instantiated."""
    if identifier is None:
        return None
    if isinstance(identifier, (str, dict)):
        return deserialize_keras_object(identifier, module_objects, None, kind)
    if isinstance(identifier, type) and instantiate:
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier!r}")
