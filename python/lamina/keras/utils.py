"""tf.keras.utils: (de)serialization of Keras objects and custom-object registration."""
import contextlib

from lamina.keras import _serial

_GLOBAL_CUSTOM = _serial._custom_objects
_scopes = []


def register_keras_serializable(package="Custom", name=None):
    def decorator(arg):
        class_name = name if name is not None else arg.__name__
        registered = package + ">" + class_name
        if isinstance(arg, type) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM[registered] = arg
        _GLOBAL_CUSTOM.setdefault(class_name, arg)
        try:
            arg._registered_name = registered
        except (AttributeError, TypeError):
            pass
        return arg
    return decorator


def get_registered_name(obj):
    return getattr(obj, "_registered_name", None) or getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name, custom_objects=None, module_objects=None):
    for table in (*reversed(_scopes), custom_objects or {}, _GLOBAL_CUSTOM, module_objects or {}):
        if name in table:
            return table[name]
    return None


@contextlib.contextmanager
def custom_object_scope(*args):
    scope = {}
    for a in args:
        scope.update(a or {})
    _scopes.append(scope)
    try:
        yield
    finally:
        _scopes.pop()


CustomObjectScope = custom_object_scope


def get_custom_objects():
    return _GLOBAL_CUSTOM


def _known_classes():
    from lamina.keras import layers, metrics
    from lamina.keras.engine.training import Model
    from lamina.keras.engine.sequential import Sequential
    table = {k: v for k, v in vars(layers).items() if isinstance(v, type)}
    table.update({k: v for k, v in vars(metrics).items() if isinstance(v, type)})
    table.update({"Model": Model, "Functional": Model, "Sequential": Sequential})
    return table


def serialize_keras_object(obj):
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        cls = type(obj)
        reg = getattr(cls, "_registered_name", None)
        return {"module": None if reg else cls.__module__.replace("lamina.", ""),
                "class_name": cls.__name__, "config": obj.get_config(),
                "registered_name": reg or cls.__name__}
    return getattr(obj, "__name__", obj)


def deserialize_keras_object(config, module_objects=None, custom_objects=None,
                             printable_module_name="object"):
    if config is None:
        return None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize {printable_module_name} from {config!r}")
    name = config["class_name"]
    reg = config.get("registered_name")
    cls = None
    for key in (reg, name):
        if key:
            cls = get_registered_object(key, custom_objects, module_objects)
            if cls is not None:
                break
    if cls is None:
        cls = _known_classes().get(name)
    if cls is None:
        raise ValueError(f"Unknown {printable_module_name}: '{name}'. Please ensure you are "
                         f"using a `keras.utils.custom_object_scope` and that this object is "
                         f"included in the scope. See https://www.tensorflow.org/guide/keras/"
                         f"save_and_serialize#registering_the_custom_object for details.")
    inner = config.get("config", {})
    import inspect
    try:
        takes_custom = "custom_objects" in inspect.signature(cls.from_config).parameters
    except (TypeError, ValueError):
        takes_custom = False
    if takes_custom:
        return cls.from_config(inner, custom_objects=custom_objects)
    return cls.from_config(inner)


def to_categorical(y, num_classes=None, dtype="float32"):
    import numpy as np
    y = np.asarray(y, dtype="int64").ravel()
    num_classes = num_classes or int(y.max()) + 1
    out = np.zeros((y.shape[0], num_classes), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out


def set_random_seed(seed):
    import random
    import numpy as np
    import lamina
    random.seed(seed)
    np.random.seed(seed)
    lamina.random.set_seed(seed)


def unpack_x_y_sample_weight(data):
    """(x, y, sample_weight) from a batch as train_step receives it."""
    from lamina.keras.engine.training_arrays import unpack_x_y_sample_weight as unpack
    return unpack(data)


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    from lamina.keras.engine.training_arrays import pack_x_y_sample_weight as pack
    return pack(x, y, sample_weight)
