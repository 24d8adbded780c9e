"""A bounded, seeded run of the op fuzzer (tests/fuzz/fuzz_ops.py); run it longer by hand."""
import os

import pytest

from fuzz.fuzz_ops import run


@pytest.mark.parametrize("seed", range(4))
def test_fuzz_ops_match_numpy_or_raise(seed):
    f = run(seed, steps=int(os.environ.get("LAMINA_FUZZ_STEPS", "1500")))
    assert f.calls > 0 and f.raised < f.calls  # most calls are valid and were compared


@pytest.mark.parametrize("seed", range(3))
def test_junk_arguments_to_every_public_function_raise_clean_errors(seed):
    from fuzz.fuzz_junk import run as run_junk
    ok, raised = run_junk(seed, int(os.environ.get("LAMINA_FUZZ_STEPS", "1500")))
    assert ok > 0 and raised > 0


@pytest.mark.parametrize("call", [
    lambda tf: tf.reduce_sum(tf.ones((2, 2)), axis=2**63),
    lambda tf: tf.one_hot([0, 1], 2**64),
    lambda tf: tf.zeros([2**63]),
    lambda tf: tf.eye(10**30),
])
def test_ints_beyond_int64_are_value_errors(call):
    import lamina as tf
    with pytest.raises(ValueError, match="out of the int64 range"):
        call(tf)


def test_bias_add_data_format_must_be_a_string():
    import lamina as tf
    with pytest.raises(TypeError, match="data_format must be a string"):
        tf.nn.bias_add(tf.ones((2, 3)), tf.ones((3,)), data_format=[1])
