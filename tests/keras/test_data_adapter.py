"""keras.engine.data_adapter.DataHandler against tf.keras 2: which batches each epoch of fit sees
for arrays, datasets, generators and Sequences, with and without steps_per_epoch (the sequences
below were recorded from tf_keras 2.21's fit with a train_step that logs its batch)."""
import logging

import numpy as np
import pytest

import lamina as tf
from lamina.keras.engine import data_adapter as da

X = np.arange(20, dtype="float32").reshape(10, 2)
Y = np.arange(10, dtype="float32")


def run(*args, **kwargs):
    """The batches (as lists of y) each epoch gets, in fit's loop order."""
    seen = []
    h = da.DataHandler(*args, **kwargs)
    for epoch, iterator in h.enumerate_epochs():
        for _ in h.steps():
            batch = h.next_batch(iterator)
            if batch is None:
                break
            _, y, _ = da.unpack_x_y_sample_weight(batch)
            seen.append([int(v) for v in np.asarray(y).ravel()])
        seen.append(("epoch", epoch))
    return seen, h


def ds():
    return tf.data.Dataset.from_tensor_slices((X, Y)).batch(4)


def gen():
    for i in range(0, 10, 4):
        yield X[i:i + 4], Y[i:i + 4]


class Seq(tf.keras.utils.Sequence):
    def __init__(self, log):
        super().__init__()
        self.log = log

    def __len__(self):
        return 3

    def __getitem__(self, i):
        return X[i * 3:i * 3 + 3], Y[i * 3:i * 3 + 3]

    def on_epoch_end(self):
        self.log.append("seq_end")


def test_dataset_with_fewer_steps_continues_across_epochs_then_runs_out(caplog):
    with caplog.at_level(logging.WARNING, logger="lamina"):
        seen, _ = run(ds(), epochs=3, steps_per_epoch=2)
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], ("epoch", 0), [8, 9], ("epoch", 1)]
    assert "Your input ran out of data; interrupting training" in caplog.text
    assert "(in this case, 6 batches)" in caplog.text


def test_dataset_with_more_steps_than_data():
    seen, _ = run(ds(), epochs=2, steps_per_epoch=5)
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], ("epoch", 0)]


def test_infinite_dataset_needs_steps():
    with pytest.raises(ValueError, match="When providing an infinite dataset, you must specify "
                                         "the number of steps to run"):
        da.DataHandler(ds().repeat(), epochs=1)
    seen, h = run(ds().repeat(), epochs=2, steps_per_epoch=2)
    assert h.inferred_steps == 2
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], ("epoch", 0), [8, 9], [0, 1, 2, 3], ("epoch", 1)]


def test_dataset_is_a_fresh_pass_every_epoch():
    seen, h = run(ds(), epochs=2)
    assert h.inferred_steps == 3
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], ("epoch", 0)] * 1 + \
        [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], ("epoch", 1)]


def test_generator_is_read_once_and_learns_its_length():
    seen, h = run(gen(), epochs=2)
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], ("epoch", 0), ("epoch", 1)]
    assert h.inferred_steps == 3
    seen, _ = run(gen(), epochs=2, steps_per_epoch=2)
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], ("epoch", 0), [8, 9], ("epoch", 1)]


def test_arrays_with_steps_per_epoch_continue_through_the_data():
    seen, _ = run(X, Y, batch_size=4, epochs=2, steps_per_epoch=2, shuffle=False)
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], ("epoch", 0), [8, 9], [0, 1, 2, 3], ("epoch", 1)]
    seen, _ = run(X, Y, batch_size=4, epochs=2, steps_per_epoch=5, shuffle=False)
    assert seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7], ("epoch", 0),
                    [8, 9], ("epoch", 1)]


def test_arrays_default_batch_and_shuffle():
    seen, h = run(X, Y, epochs=1, shuffle=True)
    assert h.inferred_steps == 1 and h.batch_size == 32
    assert sorted(seen[0]) == list(range(10))
    orders = {tuple(run(X, Y, epochs=1, shuffle=True)[0][0]) for _ in range(5)}
    assert len(orders) > 1
    seen, _ = run(X, Y, batch_size=3, epochs=1, shuffle=False)
    assert seen[:-1] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]


def test_sequence_runs_on_epoch_end_after_each_epoch():
    log = []
    seen, h = run(Seq(log), epochs=2, shuffle=False)
    assert h.inferred_steps == 3
    assert seen == [[0, 1, 2], [3, 4, 5], [6, 7, 8], ("epoch", 0), [0, 1, 2], [3, 4, 5],
                    [6, 7, 8], ("epoch", 1)]
    assert log == ["seq_end", "seq_end"]
    shuffled, _ = run(Seq([]), epochs=1, shuffle=True)
    assert sorted(map(tuple, shuffled[:-1])) == [(0, 1, 2), (3, 4, 5), (6, 7, 8)]


def test_batches_hold_tensors_with_float64_as_float32():
    h = da.DataHandler(X.astype("float64"), Y, sample_weight=np.ones(10), batch_size=4)
    (_, it), = list(h.enumerate_epochs())
    x, y, w = h.next_batch(it)
    assert isinstance(x, tf.Tensor) and x.dtype == tf.float32 and tuple(x.shape) == (4, 2)
    assert w.dtype == tf.float32
    h = da.DataHandler({"a": X, "b": Y}, Y, batch_size=5)
    (_, it), = list(h.enumerate_epochs())
    x, y = h.next_batch(it)
    assert set(x) == {"a", "b"} and tuple(x["a"].shape) == (5, 2)


def test_class_weight_becomes_sample_weight():
    y = np.array([0, 1, 1, 2])
    h = da.DataHandler(np.zeros((4, 1)), y, batch_size=4, class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    (_, it), = list(h.enumerate_epochs())
    _, _, w = h.next_batch(it)
    np.testing.assert_allclose(w.numpy(), [1.0, 2.0, 2.0, 0.5])
    onehot = np.eye(3)[y]
    h = da.DataHandler(np.zeros((4, 1)), onehot, sample_weight=np.full(4, 2.0), batch_size=4,
                       class_weight={0: 1.0, 1: 3.0, 2: 1.0})
    (_, it), = list(h.enumerate_epochs())
    _, _, w = h.next_batch(it)
    np.testing.assert_allclose(w.numpy(), [2.0, 6.0, 6.0, 2.0])


def test_errors_match_tf_keras():
    with pytest.raises(ValueError, match="`y` argument is not supported when using dataset as "
                                         "input."):
        da.DataHandler(ds(), Y)
    with pytest.raises(ValueError, match="Data cardinality is ambiguous"):
        da.DataHandler(X, Y[:5])
    with pytest.raises(ValueError, match="`validation_split` is only supported for Tensors or "
                                         "NumPy arrays"):
        da.train_validation_split((ds(), None, None), 0.2)
    with pytest.raises(ValueError, match="Failed to find data adapter"):
        da.DataHandler(object())


def test_validation_split_takes_the_tail():
    (x, y, w), (vx, vy, vw) = da.train_validation_split((X, Y, None), 0.3)
    assert len(x) == 7 and vy.tolist() == [7, 8, 9] and w is None and vw is None


def test_pack_and_unpack():
    assert da.unpack_x_y_sample_weight((1, 2)) == (1, 2, None)
    assert da.unpack_x_y_sample_weight([1, 2, 3]) == (1, 2, 3)
    assert da.unpack_x_y_sample_weight(5) == (5, None, None)
    assert da.pack_x_y_sample_weight(1) == 1
    assert da.pack_x_y_sample_weight([1, 2]) == ([1, 2],)
    assert da.pack_x_y_sample_weight(1, 2, 3) == (1, 2, 3)
    with pytest.raises(ValueError, match="sample_weight"):
        da.unpack_x_y_sample_weight((1, 2, 3, 4))
