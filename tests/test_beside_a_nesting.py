"""PointNet's classifier (pointnet 0.1.1, held-out part 33) restored into PointNetSeg, which holds the classifier's
feature extractor as `backbone.` and a per-point head of its own, `head.`, the name the classifier's head had too.
The model nests the whole file under `backbone.`; the file's `head.1` BatchNorm matching the segmentation head's
`head.1` by name is a coincidence where `head.0` is a [512, 1088, 1] conv in the model and a [512, 1024] linear in
the file. Those pairs are ambiguous, never made; the backbone pairs all. Names and shapes are the real ones."""

import json
import os

import ckpt_doctor
from ckpt_doctor.catalog import Catalog, TensorInfo
from ckpt_doctor.model.spec import ModelSpec, VariableSpec

HERE = os.path.dirname(os.path.abspath(__file__))


def _align(wrapper: str):
    with open(os.path.join(HERE, "data", "pointnet_cls_to_seg.json")) as f:
        data = json.load(f)
    catalog = Catalog("<pointnet_cls.pt>", "torch", {
        n: TensorInfo(n, dtype, tuple(shape), 4, kind=kind) for n, shape, dtype, kind in data["file"]})
    spec = ModelSpec([VariableSpec(wrapper + n, tuple(shape), dtype, kind=kind, index=i)
                      for i, (n, shape, dtype, kind) in enumerate(data["model"])], framework="torch",
                     source="<PointNetSeg>")
    return ckpt_doctor.align(catalog, spec)


def test_the_classifiers_head_does_not_fill_the_segmentation_head():
    # (also in nn.DataParallel, `module.`: the head's pairs are then a prefix rule's, not exact names)
    for wrapper in ("", "module."):
        a = _align(wrapper)
        assert not [p.model for p in a.pairs if not p.model.startswith(wrapper + "backbone.")]
        assert all(p.checkpoint == p.model.removeprefix(wrapper + "backbone.") for p in a.pairs)
        assert len(a.pairs) == 79
        assert {x.model for x in a.ambiguous} == {f"{wrapper}head.{k}.{leaf}" for k in (1, 4) for leaf in
                                                  ("weight", "bias", "running_mean", "running_var")} | \
            {f"{wrapper}head.3.weight"}
