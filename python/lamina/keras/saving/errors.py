"""The one exception a bad model file raises, and the lazy h5py import."""


class ModelFileError(ValueError):
    """A file that cannot be loaded: it names the file and what is wrong with it."""

    def __init__(self, path, problem):
        super().__init__(f"Cannot load {str(path)!r}: {problem}")
        self.path = path
        self.problem = problem


def h5py():
    """h5py, imported only when a file is read or written (a declared dependency)."""
    try:
        import h5py as module
    except ImportError as e:   # pragma: no cover - h5py is a dependency
        raise ImportError("Reading and writing Keras model files needs h5py "
                          "(`pip install h5py`)") from e
    return module


HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def open_h5(path, mode="r", name=None):
    """An h5py.File; on reading, a file that is not HDF5 raises ModelFileError (naming `name`,
    or the path)."""
    name = path if name is None else name
    if mode == "r":
        if hasattr(path, "read"):
            head = path.read(8)
            path.seek(0)
        else:
            try:
                with open(path, "rb") as f:
                    head = f.read(8)
            except OSError as e:
                raise ModelFileError(name, f"the file cannot be opened ({e.strerror})") from None
        if head != HDF5_SIGNATURE:
            raise ModelFileError(name, "it is not an HDF5 file (no HDF5 signature at its start)")
    try:
        return h5py().File(path, mode)
    except OSError as e:
        raise ModelFileError(name, f"the HDF5 file is damaged or unreadable ({e})") from None
