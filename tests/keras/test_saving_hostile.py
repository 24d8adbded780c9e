"""Hostile and broken model files: each is refused with an exception that names the file and the
problem; nothing crashes, hangs, runs code from the file, writes outside a directory, or leaves a
model half loaded (load_weights checks every value before it assigns any)."""
import io
import json
import os
import struct
import zipfile

import numpy as np
import pytest

import lamina as tf
from lamina.keras.saving import keras_zip
from lamina.keras.saving.errors import ModelFileError
from _keras_session import fresh_keras_session  # noqa: F401

h5py = pytest.importorskip("h5py")


def _model():
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3, name="d1"),
                                 tf.keras.layers.Dense(2, name="d2")])
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(size=w.shape.as_list()).astype("float32"))
    return model


@pytest.fixture
def good(tmp_path):
    path = str(tmp_path / "good.keras")
    _model().save(path)
    return path


def _members(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def _rezip(path, members, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def _refused(path, *fragments, exc=ValueError, **kwargs):
    with pytest.raises(exc) as info:
        tf.keras.models.load_model(path, **kwargs)
    msg = str(info.value)
    assert os.path.basename(path) in msg, msg
    for f in fragments:
        assert f in msg, msg
    return msg


def _weights_file(members, edit):
    """The members with model.weights.h5 edited by edit(h5file)."""
    buf = io.BytesIO(members["model.weights.h5"])
    with h5py.File(buf, "r+") as f:
        edit(f)
    return dict(members, **{"model.weights.h5": buf.getvalue()})


# ---- the zip --------------------------------------------------------------------------------------
def test_empty_file(tmp_path):
    path = tmp_path / "empty.keras"
    path.write_bytes(b"")
    _refused(str(path), "not a readable zip")


def test_random_bytes(tmp_path):
    path = tmp_path / "noise.keras"
    path.write_bytes(np.random.default_rng(1).bytes(4096))
    _refused(str(path), "zip")


def test_truncated_zip(good, tmp_path):
    data = open(good, "rb").read()
    path = tmp_path / "truncated.keras"
    path.write_bytes(data[: len(data) // 2])
    _refused(str(path))


def test_corrupted_member_bytes_fail_the_crc(good, tmp_path):
    data = bytearray(open(good, "rb").read())
    with zipfile.ZipFile(good) as z:
        info = z.getinfo("model.weights.h5")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for i in range(start + 100, start + 200):
        data[i] ^= 0xFF
    path = tmp_path / "crc.keras"
    path.write_bytes(bytes(data))
    _refused(str(path), "damaged")


def test_missing_config(good, tmp_path):
    m = _members(good)
    del m["config.json"]
    _refused(_rezip(str(tmp_path / "noconfig.keras"), m), "config.json")


def test_missing_weights(good, tmp_path):
    m = _members(good)
    del m["model.weights.h5"]
    _refused(_rezip(str(tmp_path / "noweights.keras"), m), "model.weights.h5")


def test_config_not_json(good, tmp_path):
    m = dict(_members(good), **{"config.json": b"{not json"})
    _refused(_rezip(str(tmp_path / "badjson.keras"), m), "not valid JSON")


def test_config_not_an_object(good, tmp_path):
    m = dict(_members(good), **{"config.json": b"[1, 2, 3]"})
    _refused(_rezip(str(tmp_path / "list.keras"), m), "not an object")


def test_config_not_utf8(good, tmp_path):
    m = dict(_members(good), **{"config.json": b"\xff\xfe\x00garbage"})
    _refused(_rezip(str(tmp_path / "utf.keras"), m), "not valid JSON")


@pytest.mark.parametrize("name", ["../../evil.txt", "/tmp/lamina_evil.txt", "a/../../evil.txt",
                                  "..\\..\\evil.txt"])
def test_member_names_outside_the_archive(good, tmp_path, name):
    m = dict(_members(good), **{name: b"pwned"})
    path = _rezip(str(tmp_path / "slip.keras"), m)
    _refused(path, "outside the archive")
    assert not os.path.exists(tmp_path.parent / "evil.txt")
    assert not os.path.exists("/tmp/lamina_evil.txt")


def test_zip_bomb_member_is_bounded(good, tmp_path, monkeypatch):
    monkeypatch.setattr(keras_zip, "MAX_WEIGHTS_BYTES", 1 << 20)
    m = dict(_members(good), **{"model.weights.h5": b"\0" * (8 << 20)})
    path = _rezip(str(tmp_path / "bomb.keras"), m, zipfile.ZIP_DEFLATED)
    assert os.path.getsize(path) < 100_000
    _refused(path, "allowed")


def test_zip_bomb_that_lies_about_its_size(good, tmp_path, monkeypatch):
    """A member whose headers declare 1 KiB but whose stream inflates to 8 MiB: reading stops
    at the bound (here the declared size) and the file is refused."""
    monkeypatch.setattr(keras_zip, "MAX_WEIGHTS_BYTES", 1 << 20)
    m = dict(_members(good), **{"model.weights.h5": b"\0" * (8 << 20)})
    path = _rezip(str(tmp_path / "liar.keras"), m, zipfile.ZIP_DEFLATED)
    data = bytearray(open(path, "rb").read())
    with zipfile.ZipFile(path) as z:
        info = z.getinfo("model.weights.h5")
    # the uncompressed size in the local header (offset 22) and the central directory (24)
    struct.pack_into("<I", data, info.header_offset + 22, 1024)
    cd = data.find(b"model.weights.h5", data.find(b"PK\x01\x02")) - 46   # its CD entry
    struct.pack_into("<I", data, cd + 24, 1024)
    open(path, "wb").write(bytes(data))
    _refused(path, "damaged")


def test_huge_config_member_is_bounded(good, tmp_path, monkeypatch):
    monkeypatch.setattr(keras_zip, "MAX_JSON_BYTES", 1000)
    _refused(good, "config.json", "allowed")


def test_directory_is_not_a_model(tmp_path):
    with pytest.raises(ValueError, match="directory"):
        tf.keras.models.load_model(str(tmp_path))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere"):
        tf.keras.models.load_model(str(tmp_path / "nothere.keras"))


# ---- the config -----------------------------------------------------------------------------------
def _edit_config(good, tmp_path, name, edit):
    m = _members(good)
    config = json.loads(m["config.json"])
    edit(config)
    return _rezip(str(tmp_path / name), dict(m, **{"config.json": json.dumps(config).encode()}))


def test_unknown_layer_class(good, tmp_path):
    def edit(c):
        c["config"]["layers"][1]["class_name"] = "FancyDense"
    _refused(_edit_config(good, tmp_path, "unknown.keras", edit), "FancyDense")


def test_unknown_registered_class(good, tmp_path):
    def edit(c):
        layer = c["config"]["layers"][1]
        layer.update(class_name="Thing", registered_name="evilpkg>Thing", module=None)
    _refused(_edit_config(good, tmp_path, "unregistered.keras", edit), "Thing")


def test_unknown_argument(good, tmp_path):
    def edit(c):
        c["config"]["layers"][1]["config"]["bogus"] = 1
    _refused(_edit_config(good, tmp_path, "arg.keras", edit), "bogus")


def test_unsupported_keras3_argument_value(tmp_path):
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.BatchNormalization()])
    path = str(tmp_path / "renorm.keras")
    model.save(path)

    def edit(c):
        c["config"]["layers"][1]["config"]["renorm"] = True
    with pytest.raises(NotImplementedError, match="renorm"):
        tf.keras.models.load_model(_edit_config(path, tmp_path, "renorm2.keras", edit))


def test_config_of_a_layer_not_a_model(good, tmp_path):
    m = _members(good)
    layer = tf.keras.layers.Dense(2)
    conf = tf.keras.utils.serialize_keras_object(layer)
    path = _rezip(str(tmp_path / "layer.keras"),
                  dict(m, **{"config.json": json.dumps(conf).encode()}))
    _refused(path, "not a model")


def test_config_with_no_class_name(good, tmp_path):
    def edit(c):
        del c["class_name"]
    _refused(_edit_config(good, tmp_path, "noclass.keras", edit))


# ---- Lambda bytecode --------------------------------------------------------------------------
def _lambda_file(tmp_path, marker):
    inp = tf.keras.Input((2,))
    # (the lambda would create the marker file when run)
    out = tf.keras.layers.Lambda(lambda x: (open(marker, "w").close(), x)[1])(inp)
    path = str(tmp_path / "lambda.keras")
    tf.keras.Model(inp, out).save(path)
    os.remove(marker)
    return path


def test_lambda_bytecode_is_refused_in_safe_mode(tmp_path):
    marker = str(tmp_path / "ran")
    path = _lambda_file(tmp_path, marker)
    _refused(path, "safe_mode")
    assert not os.path.exists(marker)
    with pytest.raises(ValueError, match="safe_mode"):
        with open(path.replace(".keras", ".json"), "w") as f:
            f.write(json.dumps(json.loads(_members(path)["config.json"])))
        tf.keras.models.model_from_json(open(path.replace(".keras", ".json")).read())
    assert not os.path.exists(marker)


def test_lambda_bytecode_loads_with_safe_mode_false(tmp_path):
    marker = str(tmp_path / "ran")
    path = _lambda_file(tmp_path, marker)
    model = tf.keras.models.load_model(path, safe_mode=False)
    assert model.predict(np.ones((1, 2), "float32")).tolist() == [[1.0, 1.0]]


def test_lambda_in_legacy_h5_is_refused_too(tmp_path):
    marker = str(tmp_path / "ran")
    inp = tf.keras.Input((2,))
    out = tf.keras.layers.Lambda(lambda x: (open(marker, "w").close(), x)[1])(inp)
    path = str(tmp_path / "lambda.h5")
    tf.keras.Model(inp, out).save(path)
    os.remove(marker)
    _refused(path, "safe_mode")
    assert not os.path.exists(marker)


def test_lambda_function_named_from_an_arbitrary_module_is_refused(good, tmp_path):
    inp = tf.keras.Input((2,))
    out = tf.keras.layers.Lambda(tf.nn.relu)(inp)
    path = str(tmp_path / "fn.keras")
    tf.keras.Model(inp, out).save(path)

    def edit(c):
        lam = c["config"]["layers"][1]["config"]
        lam.update(function="system", module="os", function_type="function")
    _refused(_edit_config(path, tmp_path, "os.keras", edit), "system")


# ---- the weights ------------------------------------------------------------------------------
def test_weights_member_not_hdf5(good, tmp_path):
    m = dict(_members(good), **{"model.weights.h5": b"this is not hdf5" * 10})
    _refused(_rezip(str(tmp_path / "nothdf5.keras"), m), "not an HDF5 file")


def test_weights_member_truncated_hdf5(good, tmp_path):
    m = _members(good)
    m["model.weights.h5"] = m["model.weights.h5"][:3000]
    _refused(_rezip(str(tmp_path / "trunch5.keras"), m))


def test_weight_of_the_wrong_shape(good, tmp_path):
    def edit(f):
        del f["layers/dense/vars/0"]
        f["layers/dense/vars/0"] = np.zeros((5, 3), "float32")
    m = _weights_file(_members(good), edit)
    _refused(_rezip(str(tmp_path / "shape.keras"), m), "(4, 3)", "(5, 3)")


def test_missing_variable(good, tmp_path):
    def edit(f):
        del f["layers/dense_1/vars/1"]
    m = _weights_file(_members(good), edit)
    _refused(_rezip(str(tmp_path / "count.keras"), m), "expected 2 variables")


def test_extra_variable(good, tmp_path):
    def edit(f):
        f["layers/dense/vars/2"] = np.zeros((3,), "float32")
    m = _weights_file(_members(good), edit)
    _refused(_rezip(str(tmp_path / "extra.keras"), m), "has 3")


def test_missing_layer_group(good, tmp_path):
    def edit(f):
        del f["layers/dense_1"]
    m = _weights_file(_members(good), edit)
    _refused(_rezip(str(tmp_path / "group.keras"), m), "no 'layers/dense_1/vars' group")


def test_string_dataset_instead_of_numbers(good, tmp_path):
    def edit(f):
        del f["layers/dense/vars/1"]
        f["layers/dense/vars/1"] = np.array([b"a", b"b", b"c"])
    m = _weights_file(_members(good), edit)
    _refused(_rezip(str(tmp_path / "str.keras"), m), "not a numeric dataset")


# ---- legacy .h5 and weights files ---------------------------------------------------------------
def test_h5_that_is_not_hdf5(tmp_path):
    path = tmp_path / "text.h5"
    path.write_text("hello, I am a text file\n" * 20)
    _refused(str(path), "not an HDF5 file")
    model = _model()
    with pytest.raises(ValueError, match="not an HDF5 file"):
        model.load_weights(str(path))


def test_truncated_h5(tmp_path):
    path = str(tmp_path / "full.h5")
    _model().save(path)
    data = open(path, "rb").read()
    bad = tmp_path / "cut.h5"
    bad.write_bytes(data[:2048])
    _refused(str(bad))


def test_h5_without_model_config(tmp_path):
    path = str(tmp_path / "weights_only.h5")
    _model().save_weights(path)
    _refused(path, "no model_config")


def test_h5_model_config_not_json(tmp_path):
    path = str(tmp_path / "cfg.h5")
    _model().save(path)
    with h5py.File(path, "r+") as f:
        f.attrs["model_config"] = "{{{"
    _refused(path, "not JSON")


def test_h5_layer_listed_without_group(tmp_path):
    path = str(tmp_path / "names.h5")
    _model().save_weights(path)
    with h5py.File(path, "r+") as f:
        f.attrs["layer_names"] = np.array([b"d1", b"d2", b"ghost"])
    with pytest.raises(ValueError, match="ghost"):
        _model().load_weights(path)


def _unchanged_after(model, path, match, **kwargs):
    before = [w.numpy().copy() for w in model.weights]
    with pytest.raises(ValueError, match=match) as info:
        model.load_weights(path, **kwargs)
    assert os.path.basename(path) in str(info.value)
    for b, w in zip(before, model.weights):
        np.testing.assert_array_equal(b, w.numpy())


def test_h5_weights_wrong_layer_count_leaves_the_model_as_it_was(tmp_path):
    path = str(tmp_path / "three.h5")
    tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3),
                         tf.keras.layers.Dense(2), tf.keras.layers.Dense(2)]).save_weights(path)
    _unchanged_after(_model(), path, "3 layers")


def test_h5_weights_wrong_shape_in_last_layer_leaves_the_model_as_it_was(tmp_path):
    path = str(tmp_path / "shape.h5")
    tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3),
                         tf.keras.layers.Dense(5)]).save_weights(path)
    _unchanged_after(_model(), path, "shape")


def test_v3_weights_wrong_shape_leaves_the_model_as_it_was(tmp_path):
    path = str(tmp_path / "shape.weights.h5")
    tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3),
                         tf.keras.layers.Dense(5)]).save_weights(path)
    _unchanged_after(_model(), path, "shape")


def test_hdf5_without_keras_weights(tmp_path):
    path = str(tmp_path / "other.h5")
    with h5py.File(path, "w") as f:
        f["data"] = np.arange(3)
    with pytest.raises(ValueError, match="holds no Keras weights"):
        _model().load_weights(path)


def test_weights_path_without_h5_suffix_names_the_supported_suffixes(tmp_path):
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        _model().save_weights(str(tmp_path / "ckpt"))
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        _model().load_weights(str(tmp_path / "ckpt"))


def test_no_pickle_in_the_saving_code():
    import inspect
    import lamina.keras.saving as saving_pkg
    folder = os.path.dirname(inspect.getfile(saving_pkg))
    for name in os.listdir(folder):
        if name.endswith(".py"):
            text = open(os.path.join(folder, name)).read()
            assert "pickle" not in text and "allow_pickle" not in text, name


def test_duplicate_member_names(good, tmp_path):
    path = str(tmp_path / "dup.keras")
    m = _members(good)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in m.items():
            z.writestr(name, data)
        with pytest.warns(UserWarning):
            z.writestr("config.json", b'{"class_name": "Evil"}')
    _refused(path, "several members")


def test_deeply_nested_config(good, tmp_path):
    m = dict(_members(good), **{"config.json": b"[" * 100_000 + b"]" * 100_000})
    _refused(_rezip(str(tmp_path / "deep.keras"), m), "not valid JSON")


@pytest.mark.parametrize("units", [-3, 10 ** 30, "many"])
def test_config_asking_for_an_impossible_layer(good, tmp_path, units):
    # (sizes that reach the allocator are left out: under ASan its refusal is a report)
    def edit(c):
        c["config"]["layers"][1]["config"]["units"] = units
    _refused(_edit_config(good, tmp_path, "huge.keras", edit))


def test_config_with_a_cycle_between_layers(tmp_path):
    inputs = tf.keras.Input((3,), name="in")
    x = tf.keras.layers.Dense(3, name="a")(inputs)
    out = tf.keras.layers.Dense(3, name="b")(x)
    path = str(tmp_path / "ok.keras")
    tf.keras.Model(inputs, out).save(path)

    def edit(c):
        layers = {l["name"]: l for l in c["config"]["layers"]}
        layers["a"]["inbound_nodes"] = [[["b", 0, 0, {}]]]
    _refused(_edit_config(path, tmp_path, "cycle.keras", edit), "never produced")


@pytest.mark.parametrize("flavor", ["tf_keras", "keras3"])
@pytest.mark.parametrize("kind", ["keras", "h5"])
def test_real_keras_lambda_files_are_refused_in_safe_mode(flavor, kind):
    """(tf_keras 2.21 itself runs a legacy .h5's Lambda bytecode; lamina follows Keras 3)"""
    path = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures",
                        "keras_files", flavor, "lambda." + kind)
    _refused(path, "safe_mode")
