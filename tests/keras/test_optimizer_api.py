"""Optimizer surface: get_config / from_config round trips, variables layout, set_weights,
schedules serialization, iterations as a variable, errors."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras

O = keras.optimizers


@pytest.mark.parametrize("cls", [O.SGD, O.RMSprop, O.Adam, O.AdamW, O.Adagrad, O.Adadelta,
                                 O.Adamax, O.Nadam, O.Ftrl])
def test_config_round_trip_and_state_transfer(cls):
    opt = cls(learning_rate=0.05)
    config = opt.get_config()
    assert config["name"] == cls.__name__ and config["is_legacy_optimizer"] is False
    again = cls.from_config(config)
    assert again.get_config() == config
    assert O.deserialize(O.serialize(opt)).get_config() == config
    v1, v2 = tf.Variable([1.0, -2.0], name="w"), tf.Variable([1.0, -2.0], name="w")
    opt.apply_gradients([(tf.constant([0.3, -0.4]), v1)])
    again.build([v2])
    again.set_weights([w.numpy() for w in opt.variables])
    v2.assign(v1.numpy())
    for o, v in ((opt, v1), (again, v2)):
        o.apply_gradients([(tf.constant([0.1, 0.2]), v)])
    if cls is not O.Nadam:   # Nadam's running u-product is outside `variables`, as in tf.keras
        np.testing.assert_allclose(v1.numpy(), v2.numpy(), rtol=1e-6)
    assert opt.variables[0].name == "iteration:0" and opt.iterations.dtype == tf.int64
    assert all(v.name.startswith(f"{cls.__name__}/") for v in opt.variables[1:])


def test_set_weights_errors_and_lr_assignment():
    opt = O.Adam(0.1)
    with pytest.raises(ValueError, match="not yet been built"):
        opt.set_weights([])
    v = tf.Variable([1.0])
    opt.build([v])
    with pytest.raises(ValueError, match="shape"):
        opt.set_weights([np.zeros(()), np.zeros((2,)), np.zeros((1,))])
    opt.learning_rate = 0.5
    assert float(opt.learning_rate.numpy()) == 0.5 and float(opt.lr.numpy()) == 0.5
    sched = O.SGD(O.schedules.ExponentialDecay(0.1, 1, 0.5))
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        sched.learning_rate = 0.3
    with pytest.raises(TypeError, match="not a valid argument"):
        O.SGD(0.1, foo=1)
    with pytest.raises(ValueError, match="momentum"):
        O.SGD(momentum=2.0)
    with pytest.raises(ValueError, match="weight_decay"):
        O.AdamW(weight_decay=None)
    with pytest.raises(ValueError, match="No gradients"):
        O.SGD().apply_gradients([(None, v)])


def test_schedules_serialize_and_drive_the_learning_rate():
    s = O.schedules
    for sched in (s.ExponentialDecay(0.1, 2, 0.5, staircase=True),
                  s.PiecewiseConstantDecay([1, 3], [0.3, 0.2, 0.1]),
                  s.PolynomialDecay(0.1, 4, 0.01), s.InverseTimeDecay(0.1, 2, 0.5),
                  s.CosineDecay(0.1, 5), s.CosineDecayRestarts(0.1, 2)):
        again = s.deserialize(s.serialize(sched))
        assert type(again) is type(sched) and again.get_config() == sched.get_config()
        opt = O.SGD(sched)
        assert O.SGD.from_config(opt.get_config()).get_config() == opt.get_config()
    opt = O.SGD(s.PiecewiseConstantDecay([1], [1.0, 0.5]))
    v = tf.Variable([0.0])
    seen = []
    for _ in range(3):
        opt.apply_gradients([(tf.constant([1.0]), v)])
        seen.append(float(opt.learning_rate.numpy()))
    assert seen == [1.0, 1.0, 0.5] and v.numpy().tolist() == [-2.5]


def test_get_accepts_names_configs_and_instances():
    assert isinstance(O.get("adam"), O.Adam) and isinstance(O.get("RMSprop"), O.RMSprop)
    assert O.get({"class_name": "SGD", "config": {"learning_rate": 0.2}}).get_config()[
        "learning_rate"] == pytest.approx(0.2)
    opt = O.Nadam()
    assert O.get(opt) is opt
    with pytest.raises(ValueError):
        O.get("no_such_optimizer")
