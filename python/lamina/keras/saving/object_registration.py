"""Custom objects: the global registry (register_keras_serializable), custom_object_scope, and
the lookup every deserialization uses (get_registered_object)."""
import contextlib
import threading

_GLOBAL_CUSTOM_OBJECTS = {}


class _Scopes(threading.local):
    def __init__(self):
        self.stack = []


_scopes = _Scopes()


def register_keras_serializable(package="Custom", name=None):
    """Register a class or function under 'package>name' (as tf.keras / Keras 3 do), so that a
    config naming it resolves without custom_objects."""
    def decorator(arg):
        class_name = name if name is not None else arg.__name__
        registered = package + ">" + class_name
        if isinstance(arg, type) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered] = arg
        try:
            arg._registered_name = registered
        except (AttributeError, TypeError):
            pass
        return arg
    return decorator


def get_registered_name(obj):
    """'package>Name' for a registered object, else its own name."""
    reg = getattr(obj, "_registered_name", None)
    if reg is not None and _GLOBAL_CUSTOM_OBJECTS.get(reg) is obj:
        return reg
    return getattr(obj, "__name__", type(obj).__name__)


def registered_name_of_class(cls):
    """The registered name of a class itself (not one inherited from a registered base)."""
    reg = cls.__dict__.get("_registered_name")
    return reg if reg is not None and _GLOBAL_CUSTOM_OBJECTS.get(reg) is cls else None


def get_registered_object(name, custom_objects=None, module_objects=None):
    """The object `name` stands for: in the innermost custom_object_scope first, then
    custom_objects, then the global registry, then module_objects; None when none has it."""
    for table in (*reversed(_scopes.stack), custom_objects or {}, _GLOBAL_CUSTOM_OBJECTS,
                  module_objects or {}):
        if name in table:
            return table[name]
    return None


@contextlib.contextmanager
def custom_object_scope(*args):
    """Inside the block, the given {name: object} dicts resolve names in configs."""
    scope = {}
    for a in args:
        scope.update(a or {})
    _scopes.stack.append(scope)
    try:
        yield scope
    finally:
        _scopes.stack.pop()


CustomObjectScope = custom_object_scope


def get_custom_objects():
    """The global registry (a dict that may be edited in place, as in tf.keras)."""
    return _GLOBAL_CUSTOM_OBJECTS
