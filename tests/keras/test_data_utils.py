"""keras.utils.pad_sequences / to_categorical / Sequence against tf.keras 2.21's results."""
import numpy as np
import pytest

import lamina as tf

ps = tf.keras.utils.pad_sequences
S = [[1, 2, 3], [4, 5], [6], []]


@pytest.mark.parametrize("kw, dtype, want", [
    ({}, "int32", [[1, 2, 3], [0, 4, 5], [0, 0, 6], [0, 0, 0]]),
    (dict(maxlen=2), "int32", [[2, 3], [4, 5], [0, 6], [0, 0]]),
    (dict(maxlen=2, truncating="post"), "int32", [[1, 2], [4, 5], [0, 6], [0, 0]]),
    (dict(padding="post"), "int32", [[1, 2, 3], [4, 5, 0], [6, 0, 0], [0, 0, 0]]),
    (dict(maxlen=4, padding="post", truncating="post", value=-1), "int32",
     [[1, 2, 3, -1], [4, 5, -1, -1], [6, -1, -1, -1], [-1, -1, -1, -1]]),
    (dict(dtype="float32", value=0.5), "float32",
     [[1.0, 2.0, 3.0], [0.5, 4.0, 5.0], [0.5, 0.5, 6.0], [0.5, 0.5, 0.5]]),
])
def test_pad_sequences(kw, dtype, want):
    r = ps(S, **kw)
    assert r.dtype == np.dtype(dtype) and r.tolist() == want


def test_pad_sequences_of_vectors_and_errors():
    r = ps([[[1, 2], [3, 4]], [[5, 6]]])
    assert r.shape == (2, 2, 2) and r.tolist() == [[[1, 2], [3, 4]], [[0, 0], [5, 6]]]
    with pytest.raises(ValueError, match="`sequences` must be a list of iterables. Found "
                                         "non-iterable: 1"):
        ps([1, 2])
    with pytest.raises(ValueError, match='Padding type "mid" not understood'):
        ps([[1]], padding="mid")
    assert tf.keras.preprocessing.sequence.pad_sequences is ps


def test_to_categorical():
    tc = tf.keras.utils.to_categorical
    assert tc([0, 2, 1]).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert tc([[1], [0]], 3).shape == (2, 3)
    assert tc([[1, 2], [0, 1]]).shape == (2, 2, 3)
    assert tc(np.array([1, 0]), dtype="int32").dtype == np.int32
    with pytest.raises(ValueError, match="class indices"):
        tc([0, 3], num_classes=3)


def test_sequence_base():
    class S2(tf.keras.utils.Sequence):
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return i
    assert list(S2()) == [0, 1]
    S2().on_epoch_end()
    with pytest.raises(NotImplementedError, match="__getitem__"):
        tf.keras.utils.Sequence()[0]
