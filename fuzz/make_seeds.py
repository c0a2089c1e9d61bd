"""Write small seed checkpoints with the real frameworks (run once; the files are committed under fuzz/seeds/).

Run: TF_USE_LEGACY_KERAS=1 python fuzz/make_seeds.py
"""

import os
import sys

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def main() -> None:
    import numpy as np

    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = np.arange(5, dtype=np.int64)

    # NumPy
    np.save(f"{OUT}/np_array.npy", a)
    np.savez(f"{OUT}/np_plain.npz", w=a, b=b)
    np.savez_compressed(f"{OUT}/np_compressed.npz", w=a, b=b, h=np.ones((2, 2), ">f2"))

    # safetensors
    from safetensors.numpy import save_file

    save_file({"w": a, "b": b, "z": np.zeros((0, 3), np.float16)}, f"{OUT}/st_model.safetensors",
              metadata={"format": "np"})

    # PyTorch: zip, legacy, views and tied storages, a training checkpoint
    import torch

    t = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    sd = {"fc.weight": t, "fc.bias": torch.ones(4, dtype=torch.float16), "view": t[1:, ::2],
          "tied": t, "expanded": torch.tensor([7.0]).expand(3, 4), "bn.num_batches_tracked": torch.tensor(3)}
    torch.save(sd, f"{OUT}/pt_zip.pt")
    torch.save(sd, f"{OUT}/pt_legacy.pt", _use_new_zipfile_serialization=False)
    torch.save({"model": {"w": t.t()}, "optimizer": {"state": {0: {"exp_avg": torch.zeros(4, 3)}},
                                                      "param_groups": [{"lr": 0.1, "params": [0]}]}, "epoch": 2},
               f"{OUT}/pt_training.pt")

    # TensorFlow V1, V2 with an object graph and a partitioned variable, Keras HDF5 files
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    tf1 = tf.compat.v1
    for d in ("tf_v1", "tf_v2_part", "state"):
        os.makedirs(f"{OUT}/{d}", exist_ok=True)
    g = tf.Graph()
    with g.as_default():
        v = tf1.get_variable("dense/kernel", initializer=a)
        s = tf1.get_variable("names", initializer=tf.constant([b"ab", b"c"]))
        h = tf1.get_variable("half", initializer=tf.constant([1.5, 70000.0], tf.float16))
        i8 = tf1.get_variable("small", initializer=tf.constant([1, -2], tf.int8))
        part = tf1.get_variable("part", shape=[6, 2], initializer=tf1.ones_initializer(),
                                partitioner=tf1.fixed_size_partitioner(2))
        with tf1.Session() as sess:
            sess.run(tf1.global_variables_initializer())
            tf1.train.Saver(write_version=tf1.train.SaverDef.V1).save(sess, f"{OUT}/tf_v1/model.ckpt",
                                                                     write_meta_graph=False)
            tf1.train.Saver().save(sess, f"{OUT}/tf_v2_part/model.ckpt", write_meta_graph=False)
        del v, s, h, i8, part
    ck = tf.train.Checkpoint(model=tf.Module(), step=tf.Variable(3, dtype=tf.int64))
    ck.model.w = tf.Variable(a)
    ck.model.inner = tf.Module()
    ck.model.inner.b = tf.Variable(b)
    ck.model.alias = ck.model.inner
    ck.write(f"{OUT}/tf_v2_graph/ckpt")

    import tf_keras as keras

    model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,)), keras.layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((2, 4)), np.ones((2, 2)), verbose=0)
    model.save_weights(f"{OUT}/keras_legacy.h5")
    model.save(f"{OUT}/keras_full.h5")
    with open(f"{OUT}/state/checkpoint", "w") as f:
        f.write('model_checkpoint_path: "ckpt-2"\nall_model_checkpoint_paths: "ckpt-1"\n'
                'all_model_checkpoint_paths: "ckpt-2"\nall_model_checkpoint_timestamps: 1700000000.5\n'
                'last_preserved_timestamp: 1699999999.25\n')


if __name__ == "__main__":
    sys.exit(main())
