"""tf.dtypes: the element types."""
from lamina._core import (DType, as_dtype, bool_ as bool, int32, int64, float16, bfloat16,  # noqa: F401
                          float32, float64)

half = float16
double = float64
