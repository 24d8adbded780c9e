"""tf.nest and tf.TensorSpec."""
import collections

import pytest

import lamina as tf


def test_flatten_and_pack_follow_tf_nest_order():
    s = {"b": [1, (2, 3)], "a": None}
    assert tf.nest.flatten(s) == [None, 1, 2, 3]  # dict keys sorted, None a leaf
    assert tf.nest.pack_sequence_as(s, [0, 10, 20, 30]) == {"b": [10, (20, 30)], "a": 0}
    P = collections.namedtuple("P", "x y")
    assert tf.nest.map_structure(lambda u, v: u + v, P(1, [2]), P(10, [20])) == P(11, [22])
    assert tf.nest.flatten("abc") == ["abc"] and tf.nest.is_nested([1]) and not tf.nest.is_nested(1)


def test_structure_errors():
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tf.nest.map_structure(lambda a, b: a, [1, 2], [1, [2]])
    with pytest.raises(ValueError, match="don't have the same nested structure"):
        tf.nest.assert_same_structure([1], (1,))
    tf.nest.assert_same_structure([1], (1,), check_types=False)
    with pytest.raises(ValueError, match="has 2 leaves but flat_sequence has 3"):
        tf.nest.pack_sequence_as([1, 2], [1, 2, 3])


def test_tensor_spec():
    spec = tf.TensorSpec((None, 3), tf.float32, name="x")
    assert spec.shape.as_list() == [None, 3] and spec.dtype == tf.float32 and spec.name == "x"
    assert spec.is_compatible_with(tf.zeros((5, 3)))
    assert not spec.is_compatible_with(tf.zeros((5, 4)))
    assert not spec.is_compatible_with(tf.zeros((5, 3), tf.int32))
    assert tf.TensorSpec.from_tensor(tf.ones((2,))) == tf.TensorSpec([2])
    assert "TensorSpec(shape=(None, 3)" in repr(spec)
    assert len({tf.TensorSpec([2]), tf.TensorSpec([2])}) == 1


def test_compute_output_signature_takes_tensor_specs():
    layer = tf.keras.layers.Dense(4)
    out = layer.compute_output_signature(tf.TensorSpec((None, 3)))
    assert list(out.shape) == [None, 4]
