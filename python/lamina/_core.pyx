# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, embedsignature=True
"""lamina._core — the one place where Python meets liblamina.

It owns object lifetime (a Tensor holds one reference to a C lm_tensor), zero-copy exchange with
NumPy (buffer protocol, DLPack, __array__), GIL release around large kernels, and the mapping of C
status codes to Python exceptions. Op wrappers live in the included _ops_*.pxi files, one per
family; they all follow the pattern of the elementwise ones below.
"""
cimport cython
from cpython.buffer cimport (PyObject_CheckBuffer, PyObject_GetBuffer, PyBuffer_Release, PyBUF_RECORDS_RO,
                             PyBUF_WRITABLE, PyBUF_FORMAT, PyBUF_STRIDES, PyBUF_ND)
from cpython.pycapsule cimport (PyCapsule_New, PyCapsule_IsValid, PyCapsule_GetPointer,
                                PyCapsule_SetName, PyCapsule_GetName)
from libc.stdlib cimport malloc, free
from libc.string cimport memcpy, strcmp
from libc.stdint cimport int64_t, uint64_t, int8_t, uint8_t, uint16_t, uint32_t, int32_t, INT32_MAX, INT32_MIN

include "_clamina.pxi"

import collections
import operator as _operator
import numpy as _np

from lamina.tensor_shape import TensorShape

# Work smaller than this stays under the GIL: releasing it costs more than the kernel.
DEF BIG_WORK = 32768

# ================================================================================================
# errors
# ================================================================================================

class OpError(Exception):
    """Base class of lamina's op errors (tf.errors.OpError)."""

    def __init__(self, *args):
        # Accepts tf's OpError(node_def, op, message, ...) as well as OpError(message).
        message = args[2] if len(args) >= 3 else (args[0] if args else "")
        super().__init__(message)
        self.message = message


class InvalidArgumentError(OpError, ValueError):
    """A bad shape or argument value (tf.errors.InvalidArgumentError); also a ValueError."""


class _DTypeError(InvalidArgumentError, TypeError):
    """Mismatched or unsupported dtypes: a TypeError that tf code can catch as InvalidArgumentError."""


class _OutOfRangeIndexError(InvalidArgumentError, IndexError):
    """An index or axis out of range: an IndexError that tf code can catch as InvalidArgumentError."""


class ResourceExhaustedError(OpError, MemoryError):
    """Allocation failed or a size overflowed (tf.errors.ResourceExhaustedError)."""


class UnimplementedError(OpError, NotImplementedError):
    """Not implemented (tf.errors.UnimplementedError)."""


cdef int raise_status(lm_status st) except -1:
    msg = lm_last_error().decode("utf-8", "replace")
    if st == LM_EVALUE:
        raise InvalidArgumentError(msg)
    if st == LM_ETYPE:
        raise _DTypeError(msg)
    if st == LM_EINDEX:
        raise _OutOfRangeIndexError(msg)
    if st == LM_ENOMEM:
        raise ResourceExhaustedError(msg)
    if st == LM_ENOTIMPL:
        raise UnimplementedError(msg)
    raise RuntimeError(msg)


cdef inline int check(lm_status st) except -1:
    if st != LM_OK:
        raise_status(st)
    return 0

# ================================================================================================
# dtypes
# ================================================================================================

cdef class DType:
    """A tensor element type: lamina.float32, lamina.int64, ... (tf.DType)."""
    cdef readonly int _code
    cdef readonly str name

    def __cinit__(self, int code):
        if code < 0 or code >= LM_NDTYPE:
            raise ValueError(f"invalid dtype code {code}")
        self._code = code
        self.name = lm_dtype_name(<lm_dtype>code).decode()

    @property
    def size(self):
        return lm_dtype_size(<lm_dtype>self._code)

    @property
    def itemsize(self):
        return lm_dtype_size(<lm_dtype>self._code)

    @property
    def is_floating(self):
        return bool(lm_dtype_is_float(<lm_dtype>self._code))

    @property
    def is_integer(self):
        return bool(lm_dtype_is_int(<lm_dtype>self._code))

    @property
    def is_bool(self):
        return self._code == LM_BOOL

    @property
    def is_complex(self):
        return False

    @property
    def is_unsigned(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def is_numpy_compatible(self):
        return self._code != LM_BFLOAT16

    @property
    def base_dtype(self):
        return self

    @property
    def real_dtype(self):
        return self

    @property
    def as_datatype_enum(self):
        return self._code

    @property
    def as_numpy_dtype(self):
        """The NumPy scalar type; bfloat16 maps to ml_dtypes.bfloat16 when installed, else float32."""
        if self._code == LM_BFLOAT16:
            try:
                import ml_dtypes
                return ml_dtypes.bfloat16
            except ImportError:
                return _np.float32
        return _NUMPY_TYPES[self._code]

    @property
    def min(self):
        if self._code == LM_BOOL:
            return False
        if self._code == LM_BFLOAT16:
            return -3.3895313892515355e38
        info = _np.finfo if self.is_floating else _np.iinfo
        return info(_NUMPY_TYPES[self._code]).min

    @property
    def max(self):
        if self._code == LM_BOOL:
            return True
        if self._code == LM_BFLOAT16:
            return 3.3895313892515355e38
        info = _np.finfo if self.is_floating else _np.iinfo
        return info(_NUMPY_TYPES[self._code]).max

    def is_compatible_with(self, other):
        try:
            return as_dtype(other)._code == self._code
        except TypeError:
            return False

    def __eq__(self, other):
        if isinstance(other, DType):
            return (<DType>other)._code == self._code
        if other is None:
            return False
        try:
            return as_dtype(other)._code == self._code
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(("lamina.DType", self._code))

    def __repr__(self):
        return f"lamina.{self.name}"

    def __str__(self):
        return f"<dtype: '{self.name}'>"

    def __reduce__(self):
        return as_dtype, (self.name,)


bool_ = DType(LM_BOOL)
int32 = DType(LM_INT32)
int64 = DType(LM_INT64)
float16 = DType(LM_FLOAT16)
bfloat16 = DType(LM_BFLOAT16)
float32 = DType(LM_FLOAT32)
float64 = DType(LM_FLOAT64)
cdef tuple DTYPES = (bool_, int32, int64, float16, bfloat16, float32, float64)
cdef tuple _NUMPY_TYPES = (_np.bool_, _np.int32, _np.int64, _np.float16, _np.float32, _np.float32,
                           _np.float64)

cdef dict _DTYPE_BY_NAME = {
    "bool": bool_, "int32": int32, "int64": int64, "float16": float16, "half": float16,
    "bfloat16": bfloat16, "float32": float32, "float": float32, "float64": float64,
    "double": float64, "int": int32,
}


# tf's DataType enum values -> DType (tf.zeros(1, 1) passes 1, float32, as the dtype)
_DTYPE_BY_ENUM = {1: float32, 2: float64, 3: int32, 9: int64, 10: bool_, 14: bfloat16,
                  19: float16}


def as_dtype(type_value):
    """Convert a DType, a name ("float32"), a NumPy dtype or a Python type to a lamina DType."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, str):
        d = _DTYPE_BY_NAME.get(type_value)
        if d is None:
            raise TypeError(f"Cannot convert {type_value!r} to a lamina dtype: lamina supports "
                            f"bool, int32, int64, float16, bfloat16, float32 and float64")
        return d
    if type_value is float:
        return float32
    if type_value is int:
        return int32
    if type_value is bool:
        return bool_
    if isinstance(type_value, int) and not isinstance(type_value, bool):
        # tf's DataType enum values (tf.zeros(1, 1) passes 1 = float32)
        d = _DTYPE_BY_ENUM.get(type_value)
        if d is None:
            raise TypeError(f"Cannot convert {type_value!r} to a lamina dtype: as a tf "
                            f"DataType enum lamina knows {sorted(_DTYPE_BY_ENUM)}")
        return d
    name = getattr(type_value, "name", None)
    if isinstance(name, str) and name in _DTYPE_BY_NAME and hasattr(type_value, "as_numpy_dtype"):
        return _DTYPE_BY_NAME[name]  # a tf.DType or another framework's dtype object
    try:
        npd = _np.dtype(type_value)
    except Exception:
        raise TypeError(f"Cannot convert {type_value!r} to a lamina dtype") from None
    d = _DTYPE_BY_NAME.get(npd.name)
    if d is None:
        raise TypeError(f"Cannot convert {type_value!r} to a lamina dtype: NumPy dtype {npd.name} "
                        f"is not supported (bool, int32, int64, float16, bfloat16, float32, float64)")
    return d


cdef inline lm_dtype dtype_code(object dtype) except LM_NDTYPE:
    if isinstance(dtype, DType):
        return <lm_dtype>(<DType>dtype)._code
    return <lm_dtype>(<DType>as_dtype(dtype))._code

# ================================================================================================
# the Tensor object
# ================================================================================================

cdef char *_FORMATS[7]
_FORMATS[0] = "?"
_FORMATS[1] = "i"
_FORMATS[2] = "q"
_FORMATS[3] = "e"
_FORMATS[4] = "H"   # bfloat16: never exported (no PEP 3118 code); placeholder
_FORMATS[5] = "f"
_FORMATS[6] = "d"


cdef lm_tensor *_EMPTY = NULL   # float32, shape (0,): what a Tensor holds before wrap() fills it
cdef int64_t _zero = 0
check(lm_empty(LM_FLOAT32, 1, &_zero, &_EMPTY))


cdef inline Tensor wrap(lm_tensor *t):
    """Take ownership of one reference to `t` in a new Tensor."""
    cdef Tensor r
    try:
        r = Tensor.__new__(Tensor)
    except BaseException:
        lm_release(t)
        raise
    r.t = t
    return r


cdef tuple shape_tuple(const lm_tensor *t):
    return tuple([t.shape[i] for i in range(t.ndim)])


# NumPy's ufuncs meeting a tensor. `ndarray <op> tensor` becomes a plain call of the operator's
# ufunc: it runs lamina's op and gives a tensor, as the reflected operator would (tf: a tensor).
# Everything else (np.sum and other reductions, np.exp, out=) runs NumPy on the values and gives
# NumPy results, as NumPy does for tf tensors.
_OPERATOR_UFUNCS = {  # ufunc name: (the operator, its reflection)
    "add": ("__add__", "__radd__"), "subtract": ("__sub__", "__rsub__"),
    "multiply": ("__mul__", "__rmul__"), "divide": ("__truediv__", "__rtruediv__"),
    "floor_divide": ("__floordiv__", "__rfloordiv__"), "remainder": ("__mod__", "__rmod__"),
    "power": ("__pow__", "__rpow__"), "matmul": ("__matmul__", "__rmatmul__"),
    "bitwise_and": ("__and__", "__rand__"), "bitwise_or": ("__or__", "__ror__"),
    "bitwise_xor": ("__xor__", "__rxor__"),
    "equal": ("__eq__", "__eq__"), "not_equal": ("__ne__", "__ne__"),
    "less": ("__lt__", "__gt__"), "less_equal": ("__le__", "__ge__"),
    "greater": ("__gt__", "__lt__"), "greater_equal": ("__ge__", "__le__"),
}


def _array_ufunc(ufunc, method, inputs, kwargs):
    if method == "__call__" and not kwargs and len(inputs) == 2:
        ops = _OPERATOR_UFUNCS.get(ufunc.__name__)
        if ops is not None:
            x, y = [convert_to_tensor(v) if hasattr(v, "__lamina_tensor__") else v for v in inputs]
            r = getattr(x, ops[0])(y) if type(x) is Tensor else getattr(y, ops[1])(x)
            if r is not NotImplemented:
                return r
    for o in kwargs.get("out", ()) or ():
        if not isinstance(o, _np.ndarray):
            raise TypeError(f"{ufunc.__name__}: out= must be NumPy arrays; lamina tensors are "
                            f"immutable")
    args = [_np.asarray(x) if type(x) is Tensor or hasattr(x, "__lamina_tensor__") else x
            for x in inputs]
    return getattr(ufunc, method)(*args, **kwargs)


@cython.freelist(256)
cdef class Tensor:
    """An immutable n-dimensional array held by liblamina (tf.Tensor)."""
    cdef lm_tensor *t
    cdef dict __dict__
    cdef object __weakref__

    def __cinit__(self):
        # Never NULL: wrap() replaces it at once, and a Tensor made by Tensor.__new__ (or a
        # subclass, or copyreg) holds an empty float32 tensor rather than crashing its methods.
        self.t = _EMPTY

    def __init__(self, *args, **kwargs):
        raise TypeError("lamina.Tensor cannot be created directly; use lamina.constant(value) "
                        "or lamina.convert_to_tensor(value)")

    def __dealloc__(self):
        if self.t != _EMPTY:   # (never released: the module keeps it for the process' life)
            lm_release(self.t)
        self.t = NULL

    # -- facts ---------------------------------------------------------------------------------
    @property
    def shape(self):
        return TensorShape(shape_tuple(self.t))

    def get_shape(self):
        return TensorShape(shape_tuple(self.t))

    @property
    def dtype(self):
        return DTYPES[self.t.dtype]

    @property
    def ndim(self):
        return self.t.ndim

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    @property
    def _id(self):
        return self.t.id

    @property
    def _strides(self):
        """Strides in elements (views share storage; see _data_ptr)."""
        return tuple([self.t.strides[i] for i in range(self.t.ndim)])

    @property
    def _data_ptr(self):
        return <size_t>self.t.data

    @property
    def _storage_ptr(self):
        return <size_t>self.t.storage.data

    @property
    def _is_contiguous(self):
        return bool(lm_is_contiguous(self.t))

    def __len__(self):
        if self.t.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self.t.shape[0]

    def __iter__(self):
        if self.t.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        for i in range(self.t.shape[0]):
            yield self[i]

    def __getitem__(self, key):
        return _getitem(self, key)

    # -- conversion to Python and NumPy ------------------------------------------------------------
    def numpy(self):
        """A NumPy copy of the values (a NumPy scalar for a 0-d tensor), as tf does."""
        a = _np.array(self._as_array_view(), copy=True)
        return a[()] if self.t.ndim == 0 else a

    def _as_array_view(self):
        """A read-only NumPy view of this tensor; bfloat16 is viewed as a float32 copy."""
        if self.t.dtype == LM_BFLOAT16:
            return _np.asarray(cast(self, float32))
        return _np.asarray(self)

    def __array__(self, dtype=None, copy=None):
        a = self._as_array_view()
        if dtype is not None and a.dtype != _np.dtype(dtype):
            if copy is False:
                raise ValueError(f"converting a {self.dtype.name} tensor to {_np.dtype(dtype)} "
                                 f"needs a copy, but copy=False")
            return a.astype(dtype)
        if copy:
            return a.copy()
        if copy is False and self.t.dtype == LM_BFLOAT16:
            raise ValueError("a bfloat16 tensor cannot be viewed by NumPy without a copy")
        return a

    __array_priority__ = 100

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return _array_ufunc(ufunc, method, inputs, kwargs)

    def __getbuffer__(self, Py_buffer *buf, int flags):
        cdef lm_tensor *t = self.t
        cdef Py_ssize_t *arr
        cdef size_t isz = lm_dtype_size(t.dtype)
        cdef int i
        if flags & PyBUF_WRITABLE:
            raise BufferError("lamina tensors are immutable: a writable buffer was requested")
        if t.dtype == LM_BFLOAT16:
            raise BufferError("bfloat16 has no buffer-protocol format; use .numpy() (float32) "
                              "or DLPack")
        if (flags & PyBUF_STRIDES) != PyBUF_STRIDES and not lm_is_contiguous(t):
            raise BufferError("this tensor is a strided view: the consumer must accept strides")
        arr = <Py_ssize_t *>malloc(sizeof(Py_ssize_t) * (2 * t.ndim + 1))
        if arr == NULL:
            raise MemoryError()
        for i in range(t.ndim):
            arr[i] = t.shape[i]
            arr[t.ndim + i] = t.strides[i] * <Py_ssize_t>isz
        buf.buf = t.data
        buf.obj = self
        buf.len = t.numel * <Py_ssize_t>isz
        buf.readonly = 1
        buf.itemsize = isz
        buf.format = _FORMATS[<int>t.dtype] if (flags & PyBUF_FORMAT) else NULL
        buf.ndim = t.ndim
        buf.shape = arr if (flags & PyBUF_ND) == PyBUF_ND else NULL
        buf.strides = arr + t.ndim if (flags & PyBUF_STRIDES) == PyBUF_STRIDES else NULL
        buf.suboffsets = NULL
        buf.internal = arr
        t.storage.exports += 1

    def __releasebuffer__(self, Py_buffer *buf):
        free(buf.internal)
        self.t.storage.exports -= 1

    def __dlpack__(self, *, stream=None, max_version=None, dl_device=None, copy=None):
        return _to_dlpack(self, stream, max_version, dl_device, copy)

    def __dlpack_device__(self):
        return (1, 0)  # kDLCPU, device 0

    def __float__(self):
        cdef double v
        check(lm_item_f64(self.t, &v))
        return v

    def __int__(self):
        cdef int64_t v
        cdef double f
        if lm_dtype_is_float(self.t.dtype):
            check(lm_item_f64(self.t, &f))
            return int(f)
        check(lm_item_i64(self.t, &v))
        return v

    def __index__(self):
        cdef int64_t v
        if not (lm_dtype_is_int(self.t.dtype) or self.t.dtype == LM_BOOL) or self.t.ndim != 0:
            raise TypeError(f"only integer scalar tensors can be used as an index, got shape "
                            f"{self.shape} and dtype {self.dtype.name}")
        check(lm_item_i64(self.t, &v))
        return v

    def __bool__(self):
        cdef double v
        if self.t.numel != 1:
            raise ValueError(f"The truth value of a tensor with {self.t.numel} elements (shape "
                             f"{self.shape}) is ambiguous. Use lamina.reduce_any or reduce_all")
        check(lm_item_f64(self.t, &v))
        return v != 0

    def __complex__(self):
        return complex(float(self))

    def __repr__(self):
        # a scalar shows its value (numpy=1.0), as tf's repr does; arrays their NumPy repr
        if self.t.ndim == 0:
            r = str(self._as_array_view())
        else:
            r = repr(self._as_array_view()) if self.t.numel < 1000 else "..."
        sep = "\n" if "\n" in r else ""
        return (f"<lamina.Tensor: shape={self.shape}, dtype={self.dtype.name}, "
                f"numpy={sep}{r}>")

    def __str__(self):
        return f"lamina.Tensor({_np.array2string(self._as_array_view())}, shape={self.shape}, " \
               f"dtype={self.dtype.name})"

    def __format__(self, spec):
        if self.t.ndim == 0 and spec:
            return format(self.numpy(), spec)
        return format(str(self), spec)

    def __reduce__(self):
        return constant, (self.numpy(), self.dtype.name)

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    __hash__ = None

    def ref(self):
        """A hashable reference to this tensor (tf.Tensor.ref)."""
        return _TensorRef(self)

    def experimental_ref(self):
        return _TensorRef(self)

    # -- operators ---------------------------------------------------------------------------------
    def __add__(self, other):
        return _binop_or_not(LM_ADD, self, other)

    def __radd__(self, other):
        return _binop_or_not(LM_ADD, other, self)

    def __sub__(self, other):
        return _binop_or_not(LM_SUB, self, other)

    def __rsub__(self, other):
        return _binop_or_not(LM_SUB, other, self)

    def __mul__(self, other):
        return _binop_or_not(LM_MUL, self, other)

    def __rmul__(self, other):
        return _binop_or_not(LM_MUL, other, self)

    def __truediv__(self, other):
        return _binop_or_not(LM_DIV, self, other)

    def __rtruediv__(self, other):
        return _binop_or_not(LM_DIV, other, self)

    def __floordiv__(self, other):
        return _binop_or_not(LM_FLOORDIV, self, other)

    def __rfloordiv__(self, other):
        return _binop_or_not(LM_FLOORDIV, other, self)

    def __mod__(self, other):
        return _binop_or_not(LM_MOD, self, other)

    def __rmod__(self, other):
        return _binop_or_not(LM_MOD, other, self)

    def __pow__(self, other, mod):
        if mod is not None:
            return NotImplemented
        return _binop_or_not(LM_POW, self, other)

    def __rpow__(self, other, mod):
        if mod is not None:
            return NotImplemented
        return _binop_or_not(LM_POW, other, self)

    def __matmul__(self, other):
        if not _convertible(other):
            return NotImplemented
        return matmul(self, other)

    def __rmatmul__(self, other):
        if not _convertible(other):
            return NotImplemented
        return matmul(other, self)

    def __lt__(self, other):
        return _binop_or_not(LM_LT, self, other)

    def __le__(self, other):
        return _binop_or_not(LM_LE, self, other)

    def __gt__(self, other):
        return _binop_or_not(LM_GT, self, other)

    def __ge__(self, other):
        return _binop_or_not(LM_GE, self, other)

    def __eq__(self, other):
        # tf 2: elementwise; operands that cannot be compared give False, as tf does.
        if other is None or not _convertible(other):
            return False
        try:
            return _binop(LM_EQ, self, other)
        except (TypeError, ValueError):
            return False

    def __ne__(self, other):
        if other is None or not _convertible(other):
            return True
        try:
            return _binop(LM_NE, self, other)
        except (TypeError, ValueError):
            return True

    def __and__(self, other):
        return _logical_op(LM_LOGICAL_AND, self, other)

    def __rand__(self, other):
        return _logical_op(LM_LOGICAL_AND, other, self)

    def __or__(self, other):
        return _logical_op(LM_LOGICAL_OR, self, other)

    def __ror__(self, other):
        return _logical_op(LM_LOGICAL_OR, other, self)

    def __xor__(self, other):
        return _logical_op(LM_LOGICAL_XOR, self, other)

    def __rxor__(self, other):
        return _logical_op(LM_LOGICAL_XOR, other, self)

    def __invert__(self):
        if self.t.dtype != LM_BOOL:
            raise TypeError(f"~ (invert) is logical_not and needs a bool tensor, got "
                            f"{self.dtype.name}; bitwise ops on integers are not supported")
        return _unop(LM_LOGICAL_NOT, self)

    def __neg__(self):
        return _unop(LM_NEG, self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _unop(LM_ABS, self)


class _TensorRef:
    """A hashable wrapper of a tensor, by identity (tf's Reference)."""
    __slots__ = ("_t",)

    def __init__(self, t):
        self._t = t

    def deref(self):
        return self._t

    def __hash__(self):
        return id(self._t)

    def __eq__(self, other):
        return isinstance(other, _TensorRef) and other._t is self._t

    def __repr__(self):
        return f"<Reference wrapping {self._t!r}>"


def is_tensor(x):
    """True for lamina tensors and objects that stand for one (variables, symbolic tensors)."""
    return type(x) is Tensor or hasattr(x, "__lamina_tensor__") or getattr(x, "_is_symbolic_tensor", False)

# ================================================================================================
# converting Python values to tensors
# ================================================================================================

cdef int _buffer_dtype(const char *fmt, Py_ssize_t itemsize) noexcept:
    """The lamina dtype a PEP 3118 format maps to without conversion, or -1."""
    if fmt == NULL:
        return -1
    if fmt[0] in (b'<', b'=', b'@'):
        fmt += 1
    if fmt[0] == 0 or fmt[1] != 0:
        return -1
    c = fmt[0]
    if c == b'?':
        return LM_BOOL
    if c in (b'i', b'l', b'q') and itemsize == 4:
        return LM_INT32
    if c in (b'i', b'l', b'q') and itemsize == 8:
        return LM_INT64
    if c == b'e':
        return LM_FLOAT16
    if c == b'f':
        return LM_FLOAT32
    if c == b'd':
        return LM_FLOAT64
    return -1


cdef Tensor _from_buffer(object obj):
    """A contiguous copy of a PEP 3118 buffer of a supported format, or None."""
    cdef Py_buffer view
    cdef lm_tensor *ext = NULL
    cdef lm_tensor *out = NULL
    cdef int64_t shape[8]
    cdef int64_t strides[8]
    cdef int i, dt
    cdef lm_status st
    if not PyObject_CheckBuffer(obj):
        return None
    try:
        PyObject_GetBuffer(obj, &view, PyBUF_RECORDS_RO)
    except (TypeError, ValueError, BufferError):  # e.g. a buffer that will not give strides
        return None
    try:
        dt = _buffer_dtype(view.format, view.itemsize)
        if dt < 0 or view.ndim > LM_MAX_NDIM:
            return None
        for i in range(view.ndim):
            shape[i] = view.shape[i]
            if view.strides[i] % view.itemsize:
                return None
            strides[i] = view.strides[i] // view.itemsize
        if (<size_t>view.buf) % view.itemsize:
            return None
        check(lm_from_external(view.buf, <lm_dtype>dt, view.ndim, shape, strides, NULL, NULL, 1, &ext))
        if ext.numel >= BIG_WORK:
            with nogil:
                st = lm_clone(ext, &out)
        else:
            st = lm_clone(ext, &out)
        lm_release(ext)
        check(st)
        return wrap(out)
    finally:
        PyBuffer_Release(&view)


cdef Tensor _scalar(object v, lm_dtype dt):
    cdef lm_tensor *out = NULL
    if type(v) is float:
        check(lm_scalar_f64(dt, v, &out))
    else:
        check(lm_scalar_i64(dt, v, &out))
    return wrap(out)


cdef int _python_kind(object v) except -2:
    """0 bool, 1 int, 2 float for Python scalars; -1 otherwise."""
    cdef type tp = type(v)
    if tp is bool:
        return 0
    if tp is int:
        return 1
    if tp is float:
        return 2
    return -1


cdef Tensor _adapt_scalar(object v, int kind, lm_dtype dt):
    """A Python scalar as a tensor of dtype dt, refusing lossy conversions as tf does."""
    if dt == LM_BOOL and kind != 0:
        raise TypeError(f"Cannot convert {v!r} to a tensor of dtype bool")
    if lm_dtype_is_int(dt):
        if kind == 2:
            raise TypeError(f"Cannot convert {v!r} to a tensor of dtype {DTYPES[dt].name}: "
                            f"a float does not convert to an integer dtype")
        if dt == LM_INT32 and not (INT32_MIN <= v <= INT32_MAX):
            raise ValueError(f"Cannot convert {v!r} to a tensor of dtype int32: out of range")
        if not (-(1 << 63) <= v < (1 << 63)):
            raise ValueError(f"Cannot convert {v!r} to a tensor of dtype int64: out of range")
    elif kind == 1 and not (-(1 << 63) <= v < (1 << 63)):
        return _scalar(float(v), dt)
    return _scalar(v, dt)


cdef lm_dtype _infer_numpy(object a) except LM_NDTYPE:
    """tf's inference for Python data: float -> float32, int -> int32 (int64 if needed)."""
    k = a.dtype.kind
    if k == "b":
        return LM_BOOL
    if k in "iu":
        if a.size == 0 or (a.min() >= INT32_MIN and a.max() <= INT32_MAX):
            return LM_INT32
        if a.dtype.kind == "u" and a.max() >= (1 << 63):
            raise ValueError(f"Cannot convert values up to {a.max()} to int64: out of range")
        return LM_INT64
    if k == "f":
        return LM_FLOAT32
    raise TypeError(f"Cannot convert a value of NumPy dtype {a.dtype} to a lamina tensor")


cdef inline bint _kind_allows(lm_dtype src, lm_dtype dst) noexcept:
    """Implicit conversion of non-tensor data: bool -> anything, int -> int/float, float -> float."""
    if src == dst or src == LM_BOOL:
        return True
    if lm_dtype_is_int(src):
        return dst != LM_BOOL
    return lm_dtype_is_float(dst)


cdef Tensor _convert_data(object value, object dtype):
    """Convert non-tensor data (scalars, sequences, arrays, buffers) to a new tensor."""
    cdef int kind = _python_kind(value)
    cdef lm_dtype want
    cdef lm_tensor *out = NULL
    cdef Tensor t
    if kind >= 0:
        if dtype is None:
            if kind == 0:
                return _scalar(value, LM_BOOL)
            if kind == 2:
                return _scalar(value, LM_FLOAT32)
            if INT32_MIN <= value <= INT32_MAX:
                return _scalar(value, LM_INT32)
            if -(1 << 63) <= value < (1 << 63):
                return _scalar(value, LM_INT64)
            raise ValueError(f"Cannot convert {value} to a tensor: out of range for int64")
        return _adapt_scalar(value, kind, dtype_code(dtype))
    if isinstance(value, (str, bytes)):
        raise TypeError(f"Cannot convert {value!r} to a lamina tensor: strings are not supported")
    python_data = isinstance(value, (list, tuple))
    if python_data and _first_tensor_dtype(value) is not None:
        return _pack(value, dtype)
    t = None if python_data else _from_buffer(value)
    if t is None:
        try:
            a = _np.asarray(value)
        except ValueError as e:
            raise ValueError(f"Cannot convert a non-rectangular sequence to a tensor: {e}") from None
        if a.dtype == object:
            raise TypeError(f"Cannot convert {value!r} to a lamina tensor")
        if a.ndim > LM_MAX_NDIM:
            raise ValueError(f"Cannot convert a value of rank {a.ndim}: lamina supports up to "
                             f"{LM_MAX_NDIM} dimensions")
        python_data = python_data or not isinstance(value, _np.ndarray)
        if python_data and a.dtype.kind in "biuf" and dtype is None:
            want = _infer_numpy(a)
        elif a.dtype.kind == "f" and a.dtype.itemsize > 8:
            want = LM_FLOAT64
        elif a.dtype.kind in "iu":
            want = LM_INT32 if a.dtype.itemsize < 4 else LM_INT64
        elif a.dtype.kind == "b":
            want = LM_BOOL
        elif a.dtype.kind == "f":
            want = dtype_code(a.dtype)
        elif dtype is not None and a.dtype.name == "bfloat16":
            want = LM_FLOAT32
        else:
            raise TypeError(f"Cannot convert a value of NumPy dtype {a.dtype} to a lamina tensor")
        if dtype is not None and python_data:
            want = dtype_code(dtype) if lm_dtype_is_float(dtype_code(dtype)) and a.dtype.kind == "f" else want
            if a.dtype.kind in "iu" and dtype_code(dtype) == LM_INT32:
                want = LM_INT32   # checked below: Python ints out of int32's range raise, never wrap
        np_want = _np.float32 if want == LM_BFLOAT16 else _NUMPY_TYPES[want]
        if a.dtype.kind in "iu" and want in (LM_INT32, LM_INT64):
            info = _np.iinfo(np_want)
            if a.size and (a.min() < info.min or a.max() > info.max):
                raise ValueError(f"Cannot convert values in [{a.min()}, {a.max()}] to "
                                 f"{DTYPES[want].name}: out of range")
        t = _from_buffer(_np.ascontiguousarray(a, dtype=np_want))
        if t is None:
            raise TypeError(f"Cannot convert {value!r} to a lamina tensor")
    if dtype is not None:
        want = dtype_code(dtype)
        if want != t.t.dtype:
            if python_data and not _kind_allows(t.t.dtype, want):
                raise TypeError(f"Cannot convert {value!r} to a tensor of dtype "
                                f"{DTYPES[want].name}")
            check(lm_cast(t.t, want, &out))
            t = wrap(out)
    return t


cdef object _first_tensor_dtype(object seq):
    """The dtype of the first tensor (or variable) in a nested list or tuple, or None."""
    for v in seq:
        if type(v) is Tensor or hasattr(v, "__lamina_tensor__"):
            return convert_to_tensor(v).dtype
        if isinstance(v, (list, tuple)):
            d = _first_tensor_dtype(v)
            if d is not None:
                return d
    return None


cdef Tensor _pack(object seq, object dtype):
    """A (nested) list holding tensors as one tensor through a recorded `stack`, as tf's
    autopacking does, so that a tape sees through `tf.reduce_sum([a, b])`. Other items adapt to
    the tensors' dtype; tensors of different dtypes are an error unless `dtype` is given."""
    dt = _first_tensor_dtype(seq) if dtype is None else as_dtype(dtype)
    items = []
    for v in seq:
        if type(v) is Tensor or hasattr(v, "__lamina_tensor__"):
            t = convert_to_tensor(v)
            if t.dtype != dt:
                if dtype is None:
                    raise TypeError(f"Cannot convert a list holding tensors of dtypes {dt.name} "
                                    f"and {t.dtype.name} to one tensor")
                t = cast(t, dt)
        elif isinstance(v, (list, tuple)) and _first_tensor_dtype(v) is not None:
            t = _pack(v, dtype)
        else:
            t = _convert_data(v, dt)
        items.append(t)
    return stack(items)


cpdef Tensor convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """tf.convert_to_tensor: tensors pass through; other values become new tensors."""
    cdef Tensor t
    if type(value) is Tensor:
        t = <Tensor>value
        if dtype is not None and dtype_code(dtype) != t.t.dtype:
            raise ValueError(f"Tensor conversion requested dtype {as_dtype(dtype).name} for "
                             f"Tensor with dtype {t.dtype.name}: {t!r}")
        return t
    conv = getattr(value, "__lamina_tensor__", None)
    if conv is not None:
        return convert_to_tensor(conv(), dtype=dtype)
    if dtype is None and dtype_hint is not None:
        try:
            return _convert_data(value, dtype_hint)
        except (TypeError, ValueError):
            pass
    return _convert_data(value, dtype)


def constant(value, dtype=None, shape=None, name="Const"):
    """tf.constant: a new tensor from a value; `shape` reshapes it, or fills it from a scalar."""
    cdef Tensor t
    if type(value) is Tensor or hasattr(value, "__lamina_tensor__"):
        t = convert_to_tensor(value)
        if dtype is not None and dtype_code(dtype) != t.t.dtype:
            t = cast(t, dtype)
    else:
        t = _convert_data(value, dtype)
    if shape is not None:
        dims = tuple(TensorShape(shape).as_list())
        if t.t.numel == 1 and len(dims) != t.t.ndim or (t.t.numel == 1 and tuple(t.shape) != dims):
            t = fill(dims, reshape(t, ()))
        else:
            n = 1
            for d in dims:
                n *= d
            if n != t.t.numel:
                raise TypeError(f"Expected Tensor's shape: {dims}, but got {tuple(t.shape)} "
                                f"({t.t.numel} elements cannot be reshaped to {n})")
            t = reshape(t, dims)
    return t


cdef bint _convertible(object x):
    """Whether an operator should try to convert `x` (else it returns NotImplemented)."""
    if type(x) is Tensor or _python_kind(x) >= 0:
        return True
    if getattr(x, "_is_symbolic_tensor", False):
        return False  # Keras symbolic tensors implement the reflected operator themselves
    return (isinstance(x, (list, tuple, _np.ndarray, _np.generic))
            or hasattr(x, "__lamina_tensor__") or hasattr(x, "__array__"))


cdef Tensor _as_tensor_like(object x, lm_dtype dt):
    """Convert an operand to meet a tensor of dtype dt: scalars and data adapt to dt."""
    cdef int kind = _python_kind(x)
    if kind >= 0:
        return _adapt_scalar(x, kind, dt)
    if type(x) is Tensor:
        return <Tensor>x
    if hasattr(x, "__lamina_tensor__"):
        return convert_to_tensor(x)
    cdef Tensor t = _convert_data(x, None)
    if t.t.dtype == LM_INT64 and dt == LM_INT32:
        a = _np.asarray(t)
        if a.size and (a.min() < INT32_MIN or a.max() > INT32_MAX):
            raise ValueError(f"Cannot convert values in [{a.min()}, {a.max()}] to int32 to meet "
                             f"an int32 tensor: out of range")
    if t.t.dtype != dt and _kind_allows(t.t.dtype, dt) or (
            lm_dtype_is_float(t.t.dtype) and lm_dtype_is_float(dt)):
        return cast(t, DTYPES[dt])
    return t


cdef inline tuple _pair(object a, object b):
    """Two operands as tensors, with TF's rule: non-tensors adapt to the other's dtype."""
    if type(a) is Tensor:
        if type(b) is Tensor:
            return a, b
        return a, _as_tensor_like(b, (<Tensor>a).t.dtype)
    if type(b) is Tensor:
        return _as_tensor_like(a, (<Tensor>b).t.dtype), b
    if hasattr(a, "__lamina_tensor__"):
        a = convert_to_tensor(a)
        return a, _as_tensor_like(b, (<Tensor>a).t.dtype)
    if hasattr(b, "__lamina_tensor__"):
        b = convert_to_tensor(b)
        return _as_tensor_like(a, (<Tensor>b).t.dtype), b
    if _python_kind(a) >= 0 and _python_kind(b) < 0:
        b = convert_to_tensor(b)
        return _as_tensor_like(a, (<Tensor>b).t.dtype), b
    a = convert_to_tensor(a)
    return a, _as_tensor_like(b, (<Tensor>a).t.dtype)

# ================================================================================================
# shared argument parsing for the op wrappers
# ================================================================================================

cdef int parse_shape(object shape, int64_t *out, str op) except -1:
    """A shape argument (int, sequence of ints, TensorShape, 1-D int tensor) -> ndim."""
    cdef int n, i
    if type(shape) is Tensor or isinstance(shape, _np.ndarray):
        t = convert_to_tensor(shape)
        if t.dtype not in (int32, int64) or t.ndim > 1:
            raise TypeError(f"{op}: a shape tensor must be a 1-D int32/int64 tensor, got "
                            f"{t.dtype.name} of shape {t.shape}")
        shape = [int(v) for v in _np.asarray(t).reshape(-1)]
    elif isinstance(shape, TensorShape):
        shape = shape.as_list()
    elif _python_kind(shape) == 1 or isinstance(shape, _np.integer):
        shape = [shape]
    try:
        seq = list(shape)
    except TypeError:
        raise TypeError(f"{op}: shape must be a list or tuple of ints, got {shape!r}") from None
    n = len(seq)
    if n > LM_MAX_NDIM:
        raise ValueError(f"{op}: shape {tuple(seq)} has rank {n}; lamina supports up to "
                         f"{LM_MAX_NDIM} dimensions")
    for i in range(n):
        d = seq[i]
        if d is None:
            raise ValueError(f"{op}: shape {tuple(seq)} has an unknown (None) dimension")
        if isinstance(d, (float, bool)) or not hasattr(d, "__index__"):
            raise TypeError(f"{op}: shape dimensions must be ints, got {d!r} in {tuple(seq)}")
        out[i] = _index64(d, "shape dimension", op)
    return n


cdef int parse_axes(object axis, int64_t *out, str op) except -2:
    """An axis argument (None, int, sequence, int tensor) -> number of axes, -1 for None."""
    cdef int n, i
    if axis is None:
        return -1
    if type(axis) is Tensor or isinstance(axis, _np.ndarray):
        axis = [int(v) for v in _np.asarray(axis).reshape(-1)]
    elif not isinstance(axis, (list, tuple)):
        axis = [axis]
    n = len(axis)
    if n > LM_MAX_NDIM:
        raise ValueError(f"{op}: too many axes {tuple(axis)}")
    for i in range(n):
        d = axis[i]
        if isinstance(d, (float, bool)) or not hasattr(d, "__index__"):
            raise TypeError(f"{op}: axis must be an int or a list of ints, got {d!r}")
        out[i] = _index64(d, "axis", op)
    return n


cdef int64_t _index64(object v, str what, str op) except? -1:
    """v as an int64, or a ValueError naming the op when it does not fit."""
    i = _operator.index(v)
    if not (-(1 << 63) <= i < (1 << 63)):
        raise ValueError(f"{op}: {what} {i} is out of the int64 range")
    return i


cdef int64_t parse_int(object v, str what, str op) except? -1:
    if isinstance(v, (float, bool)) or not hasattr(v, "__index__"):
        if type(v) is Tensor and (<Tensor>v).t.ndim == 0:
            return _index64(v, what, op)
        raise TypeError(f"{op}: {what} must be an int, got {v!r}")
    return _index64(v, what, op)

# ================================================================================================
# elementwise ops: the pattern every op wrapper follows
#   1. convert arguments (fast path for Tensor), 2. call C, under nogil when the work is large,
#   3. check the status, 4. wrap the result.
# ================================================================================================

cdef Tensor _binop(lm_binop op, object a, object b):
    cdef Tensor x, y
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if type(a) is Tensor and type(b) is Tensor:
        x = <Tensor>a
        y = <Tensor>b
    else:
        x, y = _pair(a, b)
    # Small inputs whose broadcast (at most the product of their sizes) is small too.
    if x.t.numel < BIG_WORK and y.t.numel < BIG_WORK and x.t.numel * y.t.numel < 64 * BIG_WORK:
        st = lm_binary(op, x.t, y.t, &out)
    else:
        with nogil:
            st = lm_binary(op, x.t, y.t, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)


cdef object _binop_or_not(lm_binop op, object a, object b):
    """Operator form: NotImplemented for operands lamina does not know (so Python tries the other)."""
    if type(a) is Tensor and type(b) is Tensor:
        return _binop(op, a, b)
    if not _convertible(a) or not _convertible(b):
        return NotImplemented
    return _binop(op, a, b)


cdef object _logical_op(lm_binop op, object a, object b):
    if not _convertible(a) or not _convertible(b):
        return NotImplemented
    x, y = _pair(a, b)
    if (<Tensor>x).t.dtype != LM_BOOL or (<Tensor>y).t.dtype != LM_BOOL:
        raise TypeError(f"{lm_binop_name(op).decode()}: &, | and ^ are logical ops on bool "
                        f"tensors, got {x.dtype.name} and {y.dtype.name}; bitwise ops on "
                        f"integers are not supported")
    return _binop(op, x, y)


cdef Tensor _unop(lm_unop op, object a):
    cdef Tensor x = a if type(a) is Tensor else convert_to_tensor(a)
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if x.t.numel < BIG_WORK:
        st = lm_unary(op, x.t, &out)
    else:
        with nogil:
            st = lm_unary(op, x.t, &out)
    if st != LM_OK:
        raise_status(st)
    return wrap(out)


# One Python function per elementwise op of the registry (csrc/ops/ops.def), and OPS, the
# registry as data: Op(name, kind, function, dtypes it accepts, result dtype ("same", "bool",
# "truediv": integers give float64), has a gradient, has a kernel-table slot, exported from).
Op = collections.namedtuple("Op", "name kind fn dtypes result grad kslot exports")

include "_ops_defs.pxi"

def divide(x, y, name=None):
    return _binop(LM_DIV, x, y)


def export_ops(namespace, where):
    """Put the registry's functions exported from `where` ("tf", "math", "nn") into namespace."""
    for op in OPS:
        if where in op.exports:
            namespace[op.name] = op.fn


def where(condition, x=None, y=None, name=None):
    """tf.where(condition, x, y): elements of x where condition, else y, all broadcast together."""
    cdef Tensor c, a, b
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if x is None or y is None:
        if x is None and y is None:
            raise NotImplementedError("where(condition) with one argument (the coordinates of "
                                      "true elements) is not implemented yet")
        raise ValueError("where: x and y must both be given, or neither")
    c = convert_to_tensor(condition)
    if c.t.dtype != LM_BOOL:
        raise TypeError(f"where: condition must be a bool tensor, got {c.dtype.name}")
    a, b = _pair(x, y)
    if c.t.numel + a.t.numel + b.t.numel < BIG_WORK:
        st = lm_where(c.t, a.t, b.t, &out)
    else:
        with nogil:
            st = lm_where(c.t, a.t, b.t, &out)
    check(st)
    return wrap(out)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    """tf.clip_by_value: min(max(t, lo), hi) with lo and hi broadcast against t."""
    cdef Tensor x = convert_to_tensor(t)
    cdef Tensor lo = _as_tensor_like(clip_value_min, x.t.dtype)
    cdef Tensor hi = _as_tensor_like(clip_value_max, x.t.dtype)
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if x.t.numel < BIG_WORK:
        st = lm_clip(x.t, lo.t, hi.t, &out)
    else:
        with nogil:
            st = lm_clip(x.t, lo.t, hi.t, &out)
    check(st)
    return wrap(out)


def cast(x, dtype, name=None):
    """tf.cast: convert x to dtype (float -> int truncates toward zero)."""
    cdef Tensor t = convert_to_tensor(x)
    cdef lm_dtype dt = dtype_code(dtype)
    cdef lm_tensor *out = NULL
    cdef lm_status st
    if dt == t.t.dtype:
        return t
    if t.t.numel < BIG_WORK:
        st = lm_cast(t.t, dt, &out)
    else:
        with nogil:
            st = lm_cast(t.t, dt, &out)
    check(st)
    return wrap(out)

# ================================================================================================
# DLPack exchange
# ================================================================================================
include "_dlpack.pxi"

# ================================================================================================
# the other op families (one file each)
# ================================================================================================
include "_ops_reduce.pxi"
include "_ops_shape.pxi"
include "_ops_linalg.pxi"
include "_ops_create.pxi"
include "_ops_dense.pxi"
include "_ops_conv.pxi"
include "_ops_quant.pxi"

# ================================================================================================
# runtime facts
# ================================================================================================

def version():
    return lm_version().decode()

def isa():
    """The kernel set in use: "ref", "avx2" or "avx512"."""
    return lm_isa().decode()

def isa_kernels():
    """What runs under the active kernel set: its name and, per kind of kernel, the kernel's
    own name (the GEMM micro-kernel tile, the int8 and bfloat16 weight kernels)."""
    return {"isa": lm_isa().decode(), "gemm_float32": lm_gemm_kernel_name(LM_FLOAT32).decode(),
            "gemm_float64": lm_gemm_kernel_name(LM_FLOAT64).decode(),
            "int8": qdense_kernel(), "bfloat16_weights": bf16dense_kernel()}

def isa_available():
    """The kernel sets this CPU can run, best last."""
    return lm_isa_available().decode().split(",")

def set_isa(name):
    """Force a kernel set for this process (as LAMINA_ISA does at start)."""
    check(lm_set_isa(str(name).encode()))

def get_num_threads():
    """Threads lamina's kernels may use (the calling thread included)."""
    return lm_get_num_threads()

def set_num_threads(n):
    """Set the threads lamina's kernels may use; a job running in another thread finishes first."""
    cdef int k = parse_int(n, "n", "set_num_threads")
    cdef lm_status st
    with nogil:
        st = lm_set_num_threads(k)
    check(st)

def _threads_env_note():
    """None, or why LAMINA_NUM_THREADS / OMP_NUM_THREADS was ignored or capped."""
    cdef const char *note = lm_threads_env_note()
    return None if note == NULL else note.decode()

if _threads_env_note() is not None:   # once per process: the module is imported once
    import warnings
    warnings.warn(f"lamina: {_threads_env_note()}", RuntimeWarning, stacklevel=2)

def live_storages():
    """Storages lamina has allocated and not yet freed (for leak tests)."""
    return lm_live_storages()

def live_bytes():
    """Bytes lamina has allocated and not yet freed (for leak tests)."""
    return lm_live_bytes()
include "_tape.pxi"
