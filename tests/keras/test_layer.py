"""The base Layer: constructor, names, dtypes and policies, tracking, trainable, add_weight,
get/set_weights, config, losses, metrics, input_spec, training / mask propagation."""
import numpy as np
import pytest

import lamina as tf
from lamina import keras
from lamina.keras.layers import Layer, InputSpec, Dense
from _keras_session import fresh_keras_session  # noqa: F401  (autouse fixture)


class Linear(Layer):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight("w", shape=(input_shape[-1], self.units))
        self.b = self.add_weight("b", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return tf.matmul(inputs, self.w) + self.b


# ---- constructor and names ---------------------------------------------------------------------
def test_names_snake_case_and_unique():
    assert Layer().name == "layer" and Layer().name == "layer_1"
    assert Dense(1).name == "dense" and Dense(1).name == "dense_1"

    class MyFancyLayer2D(Layer):
        pass
    assert MyFancyLayer2D().name == "my_fancy_layer2d"
    assert Layer(name="custom").name == "custom"
    keras.backend.clear_session()
    assert Dense(1).name == "dense"
    with pytest.raises(TypeError, match="name"):
        Layer(name=3)
    with pytest.raises(AttributeError):
        Layer().name = "x"


def test_unknown_kwarg_is_type_error():
    with pytest.raises(TypeError, match="Keyword argument not understood.*'foo'"):
        Layer(foo=1)
    with pytest.raises(TypeError, match="Keyword argument not understood"):
        Dense(3, bogus=True)
    with pytest.raises(TypeError, match="trainable"):
        Layer(trainable="yes")


def test_input_shape_kwargs():
    assert Dense(2, input_shape=(3,))._batch_input_shape == (None, 3)
    assert Dense(2, input_dim=4)._batch_input_shape == (None, 4)
    assert Dense(2, input_shape=(3,), batch_size=8)._batch_input_shape == (8, 3)
    assert Dense(2, batch_input_shape=(5, 3))._batch_input_shape == (5, 3)
    assert Dense(2, input_shape=(3,)).get_config()["batch_input_shape"] == (None, 3)


def test_dynamic_and_attributes():
    layer = Layer(dynamic=True, trainable=False)
    assert layer.dynamic and not layer.trainable and not layer.built
    assert layer.input_spec is None and layer.losses == [] and layer.metrics == []
    assert layer.weights == layer.variables == []
    assert layer.trainable_variables == layer.non_trainable_variables == []


# ---- dtypes and policies -----------------------------------------------------------------------
def test_dtype_attributes_default_and_explicit():
    layer = Layer()
    assert layer.dtype == "float32" and layer.variable_dtype == "float32"
    assert layer.compute_dtype == "float32" and layer.dtype_policy.name == "float32"
    assert Layer(dtype="float64").dtype == "float64"
    assert Layer(dtype=tf.float16).compute_dtype == "float16"
    p = keras.mixed_precision.Policy("mixed_bfloat16")
    layer = Layer(dtype=p)
    assert layer.dtype_policy is p and layer.compute_dtype == "bfloat16"
    assert layer.variable_dtype == "float32"
    assert Layer(dtype="mixed_float16").compute_dtype == "float16"


def test_policy_names_and_errors():
    for name, c, v in [("float32", "float32", "float32"), ("float64", "float64", "float64"),
                       ("float16", "float16", "float16"), ("bfloat16", "bfloat16", "bfloat16"),
                       ("mixed_float16", "float16", "float32"),
                       ("mixed_bfloat16", "bfloat16", "float32")]:
        p = keras.mixed_precision.Policy(name)
        assert (p.name, p.compute_dtype, p.variable_dtype) == (name, c, v)
        assert repr(p) == f'<Policy "{name}">'
    with pytest.raises(ValueError, match="Cannot convert value 'mixed_float32'"):
        keras.mixed_precision.Policy("mixed_float32")
    with pytest.raises(ValueError, match="Cannot convert"):
        keras.mixed_precision.Policy("complex7")
    with pytest.raises(TypeError, match="must be a string"):
        keras.mixed_precision.Policy(1)


def test_global_policy():
    assert keras.mixed_precision.global_policy().name == "float32"
    keras.mixed_precision.set_global_policy("mixed_float16")
    assert keras.mixed_precision.global_policy().name == "mixed_float16"
    d = Dense(2)
    assert d.compute_dtype == "float16" and d.dtype == "float32"
    keras.mixed_precision.set_global_policy(None)
    assert Dense(2).compute_dtype == "float32"
    with pytest.raises(ValueError, match="floating"):
        keras.mixed_precision.set_global_policy("int32")


def test_autocast_inputs_and_variables():
    keras.mixed_precision.set_global_policy("mixed_float16")
    seen = {}

    class Probe(Layer):
        def build(self, input_shape):
            self.v = self.add_weight("v", shape=(3,), initializer="ones")
            self.n = self.add_weight("n", shape=(), dtype="float32", initializer="ones",
                                     experimental_autocast=False)

        def call(self, x):
            seen["x"], seen["v"], seen["n"] = x.dtype, self.v.value().dtype, self.n.value().dtype
            return x * self.v
    layer = Probe()
    out = layer(np.ones((2, 3)))      # float64 NumPy input -> float16
    assert seen == {"x": tf.float16, "v": tf.float16, "n": tf.float32}
    assert out.dtype == tf.float16
    assert layer.v.dtype == tf.float32 and layer.v.value().dtype == tf.float32
    ints = layer(tf.ones((2, 3), dtype=tf.int32)) if False else None   # non-floats stay as they are
    assert ints is None


def test_no_autocast_of_integer_inputs():
    class Echo(Layer):
        def call(self, x):
            return x
    layer = Echo(dtype="float64")
    assert layer(tf.ones((2,), dtype=tf.int32)).dtype == tf.int32
    assert layer(tf.ones((2,))).dtype == tf.float64
    assert Echo(autocast=False, dtype="float64")(tf.ones((2,))).dtype == tf.float32


# ---- build and call ----------------------------------------------------------------------------
def test_build_on_first_call_with_tensorshape():
    shapes = []

    class L(Layer):
        def build(self, input_shape):
            shapes.append(input_shape)
            super().build(input_shape)
    layer = L()
    layer(tf.ones((4, 3)))
    layer(tf.ones((4, 3)))
    assert len(shapes) == 1 and isinstance(shapes[0], tf.TensorShape)
    assert shapes[0].as_list() == [4, 3] and layer.built


def test_state_in_init_build_and_first_call():
    class L(Layer):
        def __init__(self):
            super().__init__()
            self.a = self.add_weight("a", shape=(), initializer="ones")

        def build(self, input_shape):
            self.b = self.add_weight("b", shape=(), initializer="ones")

        def call(self, x):
            if not hasattr(self, "c"):
                self.c = tf.Variable(2.0, name="c")
            return x * self.a * self.b * self.c
    layer = L()
    assert len(layer.weights) == 1
    out = layer(tf.ones((2,)))
    assert [w.name for w in layer.weights] == ["a:0", "l/b:0", "l/c:0"]
    assert out.numpy().tolist() == [2.0, 2.0]


def test_dense_weight_names_and_nested_scopes():
    d = Dense(2)
    d(tf.ones((1, 3)))
    assert [w.name for w in d.weights] == ["dense/kernel:0", "dense/bias:0"]

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Dense(2)

        def call(self, x):
            return self.inner(x)
    o = Outer()
    o(tf.ones((1, 3)))
    assert [w.name for w in o.weights] == ["outer/dense_1/kernel:0", "outer/dense_1/bias:0"]


def test_inputs_as_keyword_and_missing():
    layer = Linear()
    assert layer(inputs=tf.ones((1, 3))).shape == (1, 2)
    with pytest.raises(ValueError, match="first argument.*must always be passed"):
        layer()


def test_numpy_and_python_inputs_converted():
    class Echo(Layer):
        def call(self, x):
            return x
    out = Echo()(np.ones((2, 2)))
    assert isinstance(out, tf.Tensor) and out.dtype == tf.float32
    assert isinstance(Echo()(3.0), tf.Tensor)


# ---- tracking ----------------------------------------------------------------------------------
def test_weight_order_trainable_first_own_before_children():
    class Block(Layer):
        def __init__(self):
            super().__init__()
            self.nt = tf.Variable(0.0, trainable=False, name="nt")
            self.d1 = Dense(2)
            self.t = tf.Variable(1.0, name="t")
            self.d2 = Dense(2)

        def call(self, x):
            return self.d2(self.d1(x)) * self.t
    b = Block()
    b(tf.ones((1, 3)))
    names = [w.name.split("/")[-1] for w in b.weights]
    assert names == ["t:0", "kernel:0", "bias:0", "kernel:0", "bias:0", "nt:0"]
    assert b.trainable_weights[1] is b.d1.kernel and b.trainable_weights[3] is b.d2.kernel
    assert b.non_trainable_weights == [b.nt]


def test_tracking_through_lists_dicts_and_shared_variables():
    shared = tf.Variable(1.0, name="shared")

    class L(Layer):
        def __init__(self):
            super().__init__()
            self.vars = [shared, tf.Variable(2.0, name="v2")]
            self.table = {"a": Dense(1), "b": [Dense(1)]}
            self.again = shared
            self.sub = [Linear(1)]

        def call(self, x):
            return self.sub[0](self.table["b"][0](self.table["a"](x)))
    layer = L()
    layer(tf.ones((1, 2)))
    w = layer.weights
    assert w[0] is shared and sum(v is shared for v in w) == 1
    assert len(w) == 2 + 2 + 2 + 2
    layer.vars.append(tf.Variable(3.0, name="late"))
    assert layer.weights[2].name == "late:0"
    assert len(list(layer._flatten_layers(include_self=False))) == 3


def test_shared_sublayer_counted_once():
    d = Dense(2)

    class Twice(Layer):
        def __init__(self):
            super().__init__()
            self.a = d
            self.b = d

        def call(self, x):
            return self.b(self.a(x))
    t = Twice()
    t(tf.ones((1, 2)))
    assert len(t.weights) == 2


def test_delattr_and_reassign_untrack():
    class L(Layer):
        pass
    layer = L()
    layer.v = tf.Variable(1.0)
    layer.d = Dense(1)
    layer.d(tf.ones((1, 1)))
    assert len(layer.weights) == 3
    del layer.v
    assert len(layer.weights) == 2
    layer.d = Dense(1)
    assert layer.weights == []


def test_forgot_super_init():
    # tf.keras 2 tracks state assigned before (or without) Layer.__init__; the missing
    # super().__init__() is reported when the layer is called
    class Bad(Layer):
        def __init__(self):
            self.v = tf.Variable(1.0)
    bad = Bad()
    assert bad.__dict__["_trainable_weights"] == [bad.v]
    with pytest.raises(RuntimeError, match="super"):
        bad(tf.ones((1,)))


def test_trainable_false_freezes_everything_inside():
    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.d = Dense(2)
            self.nt = tf.Variable(0.0, trainable=False)

        def call(self, x):
            return self.d(x)
    o = Outer()
    o(tf.ones((1, 2)))
    o.trainable = False
    assert o.trainable_weights == [] and o.d.trainable is False
    assert len(o.non_trainable_weights) == 3 and len(o.weights) == 3
    assert o.non_trainable_weights[0] is o.nt and o.non_trainable_weights[1] is o.d.kernel
    o.trainable = True
    assert len(o.trainable_weights) == 2 and o.d.trainable
    o.d.trainable = False
    assert len(o.trainable_weights) == 0 and len(o.weights) == 3
    assert Layer(trainable=False).trainable is False


# ---- add_weight --------------------------------------------------------------------------------
def test_add_weight_defaults_and_arguments():
    layer = Layer()
    w = layer.add_weight("w", shape=(3, 4))
    assert w.dtype == tf.float32 and w.trainable and w.shape == (3, 4)
    limit = np.sqrt(6 / 7)
    assert np.all(np.abs(w.numpy()) <= limit) and w.numpy().std() > 0   # glorot_uniform
    s = layer.add_weight("s")
    assert s.shape == ()
    i = layer.add_weight("i", shape=(2,), dtype="int32")
    assert i.dtype == tf.int32 and i.numpy().tolist() == [0, 0]
    b = layer.add_weight("b", shape=(2,), dtype=tf.bool)
    assert b.numpy().tolist() == [False, False]
    nt = layer.add_weight("nt", shape=(2,), initializer="ones", trainable=False)
    assert layer.trainable_weights == [w, s, i, b] and layer.non_trainable_weights == [nt]
    c = layer.add_weight("c", shape=(2,), initializer=keras.initializers.Constant(3.0),
                         constraint=keras.constraints.NonNeg(),
                         synchronization=tf.VariableSynchronization.ON_READ,
                         aggregation=tf.VariableAggregation.MEAN, use_resource=True)
    assert c.numpy().tolist() == [3.0, 3.0] and not c.trainable
    assert isinstance(c.constraint, keras.constraints.NonNeg)
    assert c.aggregation == tf.VariableAggregation.MEAN
    f = layer.add_weight("f", shape=(2,), initializer=lambda shape, dtype=None: tf.ones(shape) * 7,
                         synchronization=tf.VariableSynchronization.AUTO,
                         aggregation=tf.VariableSynchronization.NONE)   # the page's defaults
    assert f.aggregation == tf.VariableAggregation.NONE
    assert f.numpy().tolist() == [7.0, 7.0]
    assert layer.add_weight("d", shape=(1,), dtype="float64").dtype == tf.float64


def test_add_weight_errors():
    layer = Layer()
    with pytest.raises(ValueError, match="ON_READ"):
        layer.add_weight("w", trainable=True, synchronization=tf.VariableSynchronization.ON_READ)
    with pytest.raises(TypeError, match="Unknown keyword argument.*'foo'"):
        layer.add_weight("w", foo=1)
    with pytest.raises(ValueError, match="Unknown initializer"):
        layer.add_weight("w", initializer="no_such_init")
    layer.add_weight("ok", getter=lambda **k: tf.Variable(1.0), collections=None,
                     caching_device=None, experimental_autocast=False)


def test_add_weight_regularizer_adds_loss():
    layer = Layer()
    w = layer.add_weight("w", shape=(2,), initializer="ones",
                         regularizer=keras.regularizers.l2(0.5))
    (loss,) = layer.losses
    assert float(loss) == pytest.approx(1.0)
    w.assign([2.0, 2.0])
    assert float(layer.losses[0]) == pytest.approx(4.0)   # re-evaluated on each read


# ---- get_weights / set_weights -----------------------------------------------------------------
def test_get_set_weights_copies_and_errors():
    d = Dense(2)
    d(tf.ones((1, 3)))
    ws = d.get_weights()
    ws[0][...] = 5.0
    assert not np.all(d.kernel.numpy() == 5.0)     # copies
    d.set_weights(ws)
    assert np.all(d.kernel.numpy() == 5.0)
    with pytest.raises(ValueError, match='layer "dense" with a weight list of length 1, but the '
                                         'layer was expecting 2 weights'):
        d.set_weights(ws[:1])
    with pytest.raises(ValueError, match=r"weight shape \(3, 2\) is not compatible with provided "
                                         r"weight shape \(2, 3\).*kernel"):
        d.set_weights([np.zeros((2, 3)), np.zeros(2)])
    d2 = Dense(2, weights=[np.ones((3, 2)), np.ones(2)])
    d2(tf.ones((1, 3)))
    assert d2.get_weights()[1].tolist() == [1.0, 1.0]


def test_count_params():
    d = Dense(4)
    with pytest.raises(ValueError, match="isn't built"):
        d.count_params()
    d(tf.ones((1, 3)))
    assert d.count_params() == 16


# ---- get_config / from_config --------------------------------------------------------------------
def test_base_config():
    assert Layer(name="l", dtype="float64", trainable=False).get_config() == \
        {"name": "l", "trainable": False, "dtype": "float64"}
    conf = Layer(dtype="mixed_float16").get_config()
    assert conf["dtype"] == {"module": "keras.mixed_precision", "class_name": "Policy",
                             "config": {"name": "mixed_float16"}, "registered_name": None}
    l2 = Layer.from_config(conf)
    assert l2.dtype_policy.name == "mixed_float16"


def test_auto_config_and_not_implemented_error():
    class Plain(Layer):
        def __init__(self, units, scale=2.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, scale
    conf = Plain(3, name="p").get_config()
    assert conf == {"units": 3, "name": "p", "trainable": True, "dtype": "float32"}
    clone = Plain.from_config(conf)
    assert clone.units == 3 and clone.name == "p"

    class Opaque(Layer):
        def __init__(self, thing, **kwargs):
            super().__init__(**kwargs)
            self.thing = thing
    with pytest.raises(NotImplementedError, match="(?s)Layer Opaque.*get_config"):
        Opaque(b"bytes").get_config()
    with pytest.raises(NotImplementedError, match="def get_config"):
        Opaque(object()).get_config()

    class WithConfig(Layer):
        def __init__(self, arg, **kwargs):
            super().__init__(**kwargs)
            self.arg = arg

        def get_config(self):
            c = super().get_config()
            c["arg"] = self.arg
            return c
    assert WithConfig(object).get_config()["arg"] is object

    class OnlyBase(Layer):
        def __init__(self, name="x", dtype=None, **kwargs):
            super().__init__(name=name, dtype=dtype, **kwargs)
    assert OnlyBase(name="New").get_config()["name"] == "New"


def test_dense_config_roundtrip():
    d = Dense(3, activation="relu", use_bias=False, kernel_regularizer="l2",
              kernel_initializer="he_normal", kernel_constraint="max_norm",
              activity_regularizer=keras.regularizers.L1(0.1), name="dd")
    conf = d.get_config()
    assert conf["units"] == 3 and conf["activation"] == "relu" and conf["use_bias"] is False
    assert conf["kernel_initializer"]["class_name"] == "HeNormal"
    d2 = Dense.from_config(conf)
    assert d2.get_config() == conf
    assert isinstance(d2.kernel_regularizer, keras.regularizers.L2)
    assert isinstance(d2.activity_regularizer, keras.regularizers.L1)
    with pytest.raises(TypeError, match="Error when deserializing class 'Dense'"):
        Dense.from_config({"units": 2, "bogus": 1})


# ---- losses ------------------------------------------------------------------------------------
class LossLayer(Layer):
    def call(self, x):
        self.add_loss(tf.reduce_sum(x))
        return x


def test_losses_cleared_on_each_outer_call_and_gathered_from_children():
    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.a = LossLayer()
            self.b = LossLayer()

        def call(self, x):
            self.add_loss(1.0)
            return self.b(self.a(x))
    o = Outer()
    o(tf.ones((2,)))
    assert [float(v) for v in o.losses] == [1.0, 2.0, 2.0]
    o(tf.ones((3,)))
    assert [float(v) for v in o.losses] == [1.0, 3.0, 3.0]
    assert [float(v) for v in o.a.losses] == [3.0]


def test_add_loss_outside_call_needs_symbolic_or_callable():
    layer = Layer()
    with pytest.raises(ValueError, match="zero argument `lambda`"):
        layer.add_loss(tf.constant(1.0))
    layer.add_loss(lambda: tf.constant(2.0))
    layer.add_loss([lambda: None, None])
    assert [float(v) for v in layer.losses] == [2.0]
    with pytest.raises(TypeError, match="Unknown keyword"):
        layer.add_loss(lambda: 1.0, foo=1)
    layer2 = Layer()
    layer2.add_loss(lambda: 3.0)
    assert layer2.losses[0].dtype == tf.float32


def test_callable_loss_differentiable_under_tape():
    d = Dense(2, kernel_initializer="ones", kernel_regularizer=keras.regularizers.l2(0.5))
    d(tf.ones((1, 3)))
    d.add_loss(lambda: tf.reduce_sum(d.bias * 3.0))
    with tf.GradientTape() as tape:
        total = tf.add_n(d.losses)
    gk, gb = tape.gradient(total, [d.kernel, d.bias])
    np.testing.assert_allclose(gk.numpy(), np.ones((3, 2)))     # d/dk 0.5*sum(k^2) = k
    np.testing.assert_allclose(gb.numpy(), [3.0, 3.0])


def test_activity_regularizer():
    d = Dense(2, kernel_initializer="ones", activity_regularizer=keras.regularizers.L1(0.1))
    d(tf.ones((4, 3)))
    (loss,) = d.losses
    assert float(loss) == pytest.approx(0.1 * 4 * 2 * 3 / 4)


# ---- metrics -----------------------------------------------------------------------------------
def test_add_metric_errors_and_aggregation():
    class M(Layer):
        def call(self, x):
            self.add_metric(tf.reduce_mean(x), name="avg")
            return x
    m = M()
    m(tf.ones((2,)))
    m(tf.zeros((2,)))
    assert float(m.metrics[0].result()) == 0.5
    layer = Layer()
    with pytest.raises(ValueError, match="provide a name"):
        layer.add_metric(tf.constant(1.0))
    with pytest.raises(ValueError, match="Expected a symbolic Tensor"):
        layer.add_metric(tf.constant(1.0), name="x")
    with pytest.raises(TypeError, match="Unknown keyword"):
        layer.add_metric(tf.constant(1.0), name="x", foo=1)

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.inner = M()

        def call(self, x):
            return self.inner(x)
    o = Outer()
    o(tf.ones((2,)))
    assert [x.name for x in o.metrics] == ["avg"]


def test_mean_metric():
    m = keras.metrics.Mean()
    assert m.name == "mean" and m.dtype == "float32"
    m.update_state([1.0, 2.0, 3.0])
    m.update_state(5.0, sample_weight=2.0)
    assert float(m.result()) == pytest.approx((6 + 10) / 5)
    m.reset_state()
    assert float(m.result()) == 0.0
    assert float(m([2.0, 4.0])) == 3.0


# ---- input_spec ----------------------------------------------------------------------------------
def test_input_spec_checks_name_the_layer_and_shapes():
    class L(Layer):
        def __init__(self, spec, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = spec

        def call(self, x):
            return x
    with pytest.raises(ValueError, match=r'layer "l1".*expected ndim=2, found ndim=1. Full shape '
                                         r'received: \(3,\)'):
        L(InputSpec(ndim=2), name="l1")(tf.ones((3,)))
    with pytest.raises(ValueError, match="expected min_ndim=3, found ndim=2"):
        L(InputSpec(min_ndim=3))(tf.ones((1, 2)))
    with pytest.raises(ValueError, match="expected max_ndim=1, found ndim=2"):
        L(InputSpec(max_ndim=1))(tf.ones((1, 2)))
    with pytest.raises(ValueError, match=r"expected axis -1 of input shape to have value 4, but "
                                         r"received input with shape \(1, 2\)"):
        L(InputSpec(axes={-1: 4}))(tf.ones((1, 2)))
    with pytest.raises(ValueError, match=r"expected shape=\(None, 3\), found shape=\(1, 2\)"):
        L(InputSpec(shape=(None, 3)))(tf.ones((1, 2)))
    # tf.keras 2 prints the input's DType object: found dtype=<dtype: 'float32'>
    with pytest.raises(ValueError, match="expected dtype=float64, found dtype=.*float32"):
        L(InputSpec(dtype="float64"), autocast=False)(tf.ones((1, 2)))
    with pytest.raises(ValueError, match="expects 2 input"):
        L([InputSpec(), InputSpec()])(tf.ones((1,)))
    assert L(InputSpec(shape=(None, 2)))(tf.ones((5, 2))).shape == (5, 2)
    with pytest.raises(TypeError, match="InputSpec"):
        L(3)
    assert "min_ndim=2" in repr(InputSpec(min_ndim=2))
    with pytest.raises(ValueError, match="Axis 3 is greater"):
        InputSpec(ndim=2, axes={3: 1})


def test_dense_input_errors_name_layer():
    d = Dense(2, name="dd")
    d(tf.ones((1, 3)))
    with pytest.raises(ValueError, match=r'layer "dd".*axis -1.*value 3.*\(1, 4\)'):
        d(tf.ones((1, 4)))
    with pytest.raises(ValueError, match=r'layer "dd".*min_ndim=2, found ndim=1'):
        d(tf.ones((3,)))
    with pytest.raises(ValueError, match="min_ndim=2"):
        Dense(2)(tf.ones((3,)))


# ---- training / mask -----------------------------------------------------------------------------
def test_training_argument_propagation():
    seen = []

    class Inner(Layer):
        def call(self, x, training=None):
            seen.append(training)
            return x

    class NoTraining(Layer):
        def __init__(self):
            super().__init__()
            self.inner = Inner()

        def call(self, x):
            return self.inner(x)

    class Outer(Layer):
        def __init__(self):
            super().__init__()
            self.mid = NoTraining()

        def call(self, x, training=None):
            return self.mid(x)
    o = Outer()
    o(tf.ones(1), training=True)
    o(tf.ones(1), training=False)
    o(tf.ones(1))
    o(tf.ones(1), True)
    NoTraining()(tf.ones(1), training=True)
    Inner()(tf.ones(1))

    class Default(Layer):
        def call(self, x, training=True):
            seen.append(training)
            return x
    Default()(tf.ones(1))
    assert seen == [True, False, None, True, True, None, True]


def test_mask_passed_and_propagated():
    got = []

    class Masker(Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def compute_mask(self, inputs, mask=None):
            return tf.constant([True, False])

        def call(self, x):
            return x * 1.0

    class UsesMask(Layer):
        def call(self, x, mask=None):
            got.append(mask)
            return x
    y = Masker()(tf.ones((2,)))
    assert y._keras_mask.numpy().tolist() == [True, False]
    UsesMask()(y)
    UsesMask()(tf.ones((2,)))
    assert got[0].numpy().tolist() == [True, False] and got[1] is None
    with pytest.raises(TypeError, match="does not support masking"):
        Layer().compute_mask(tf.ones(1), tf.constant([True]))


def test_compute_output_shape():
    assert Dense(3).compute_output_shape((None, 5)).as_list() == [None, 3]
    assert Linear(4).compute_output_shape((None, 2)).as_list() == [None, 4]


def test_dense_arguments():
    d = Dense(2, activation="relu", use_bias=False, kernel_initializer="ones")
    assert d(tf.constant([[1.0, -3.0]])).numpy().tolist() == [[0.0, 0.0]]
    assert d.bias is None and len(d.weights) == 1
    for act, fn in [("sigmoid", lambda v: 1 / (1 + np.exp(-v))), ("tanh", np.tanh),
                    ("softmax", lambda v: np.exp(v) / np.exp(v).sum(-1, keepdims=True)),
                    (None, lambda v: v)]:
        d = Dense(3, activation=act, kernel_initializer="glorot_normal", bias_initializer="ones")
        x = np.random.default_rng(1).standard_normal((4, 5)).astype(np.float32)
        out = d(x).numpy()
        np.testing.assert_allclose(out, fn(x @ d.kernel.numpy() + 1), rtol=1e-5, atol=1e-6)
    x3 = np.ones((2, 3, 4), np.float32)
    d = Dense(5)
    assert d(x3).shape == (2, 3, 5)
    with pytest.raises(ValueError, match="units"):
        Dense("a")
    with pytest.raises(ValueError, match="units"):
        Dense(-1)
    with pytest.raises(TypeError, match="floating-point"):
        Dense(2, dtype="int32")(tf.ones((1, 2), dtype=tf.int32))
    d = Dense(2, kernel_constraint=keras.constraints.NonNeg(), bias_regularizer="l1")
    d(tf.ones((1, 2)))
    assert d.kernel.constraint is d.kernel_constraint and len(d.losses) == 1


def test_short_path_equivalence_and_subclass_overrides():
    d = Dense(3, activation="relu")
    x = tf.constant(np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32))
    first = d(x)                            # builds through the general path
    again = d(x)                            # the short path
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert d._fast_dtype is tf.float32
    d.kernel.assign(np.ones((4, 3), np.float32))
    np.testing.assert_allclose(d(x).numpy(), np.maximum(x.numpy() @ np.ones((4, 3)) +
                                                        d.bias.numpy(), 0), rtol=1e-6)

    class Doubled(Dense):
        def call(self, inputs):
            return super().call(inputs) * 2.0
    dd = Doubled(3, kernel_initializer="ones")
    dd(x)
    assert dd._fast_dtype is None           # an overridden call never takes the short path
    np.testing.assert_allclose(dd(x).numpy(), 2 * (x.numpy() @ np.ones((4, 3))), rtol=1e-6)
    soft = Dense(3, activation="softmax")   # an activation the kernel does not fuse
    np.testing.assert_allclose(soft(x).numpy().sum(1), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(soft(tf.cast(x, tf.float64)).numpy().sum(1), [1.0, 1.0],
                               rtol=1e-6)
    masked = tf.ones((2, 4))
    masked._keras_mask = tf.constant([True, False])
    assert d(masked)._keras_mask.numpy().tolist() == [True, False]
