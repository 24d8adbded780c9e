# Matrix products (included by _core.pyx).  STUB: body to be written.

def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    raise NotImplementedError("matmul")
