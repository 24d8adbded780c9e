"""Run training_scenarios.py with real tf.keras 2 and store the numbers in training.json
(never in CI):  /work/tfenv/bin/python tests/keras/oracle/gen_training.py"""
import json
import os
import sys

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import training_scenarios as S  # noqa: E402


def plain(x):
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, (np.generic, np.ndarray)):
        return x.tolist()
    return x


out = {}
for fn in S.SCENARIOS:
    tf.keras.backend.clear_session()
    out[fn.__name__] = plain(fn(tf))
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "training.json")
with open(path, "w") as f:
    json.dump(out, f, indent=0)
print("written", path)
