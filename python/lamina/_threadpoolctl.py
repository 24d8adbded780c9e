"""A threadpoolctl controller, so that `threadpoolctl.threadpool_limits` reaches lamina's pool.

threadpoolctl takes 40 ms to import, so lamina does not import it: the controller is registered
when threadpoolctl is already imported, or right after it is imported later (an import hook).
"""
import importlib.abc
import importlib.util
import sys


def _register(threadpoolctl):
    import lamina

    class LaminaController(threadpoolctl.LibController):
        user_api = "lamina"
        internal_api = "lamina"
        filename_prefixes = ("_core.",)
        check_symbols = ("lm_set_num_threads", "lm_get_num_threads")

        def get_num_threads(self):
            return lamina.get_num_threads()

        def set_num_threads(self, num_threads):
            lamina.set_num_threads(num_threads)

        def get_version(self):
            return lamina.__version__

    threadpoolctl.register(LaminaController)


class _Hook(importlib.abc.MetaPathFinder):
    """Registers the controller once threadpoolctl has been imported, then removes itself."""

    def find_spec(self, name, path=None, target=None):
        if name != "threadpoolctl":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def exec_and_register(module):
            exec_module(module)
            _register(module)

        spec.loader.exec_module = exec_and_register
        return spec


def install():
    if "threadpoolctl" in sys.modules:
        _register(sys.modules["threadpoolctl"])
    else:
        sys.meta_path.insert(0, _Hook())
