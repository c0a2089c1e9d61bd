"""A Bayesian layer's variational posterior across frameworks (`names.POSTERIOR_LEAVES`): TensorFlow Probability's
`kernel_posterior_loc` / `kernel_posterior_untransformed_scale` (TF's layout) are bayesian-torch's `mu_kernel` /
`rho_kernel` (`mu_weight` / `rho_weight` for a linear layer; blitz' `weight_mu` / `weight_rho`), PyTorch's layout,
the scale softplus(rho) in both. Recorded real names: a tf_keras `.h5` of a TFP flipout regressor (Conv1DFlipout,
three DenseFlipout) into its bayesian-torch twin; the truth is the construction."""

from recorded import align_recorded

from ckpt_doctor.match.names import canonical


def test_a_posterior_is_a_role_word_and_the_weights_layout():
    assert canonical("conv1d_flipout/kernel_posterior_loc") == (("conv1dflipout", "mu"), "kernel")
    assert canonical("conv1d_flipout/kernel_posterior_untransformed_scale") == (("conv1dflipout", "rho"), "kernel")
    assert canonical("dense_flipout/bias_posterior_loc") == (("denseflipout", "mu", "bias"), None)
    assert canonical("conv.mu_kernel") == (("conv", "mu"), "weight")
    assert canonical("fc1.rho_weight") == (("fc1", "rho"), "weight")
    assert canonical("blitz.weight_mu") == (("blitz", "mu"), "weight")
    assert canonical("fc1.mu_bias") == (("fc1", "mu", "bias"), None)


def test_tfp_flipout_into_bayesian_torch():
    a = align_recorded("tfp_flipout_h5_to_bayesian_torch.json")
    got = {p.model: (p.checkpoint, p.transform) for p in a.pairs}
    assert got["conv.mu_kernel"] == ("conv1d_flipout/kernel_posterior_loc", "permute(2,1,0)")
    assert got["conv.rho_kernel"] == ("conv1d_flipout/kernel_posterior_untransformed_scale", "permute(2,1,0)")
    assert got["conv.mu_bias"][0] == "conv1d_flipout/bias_posterior_loc"
    assert got["fc2.rho_weight"] == ("dense_flipout_1/kernel_posterior_untransformed_scale", "transpose")
    assert got["out.mu_bias"][0] == "dense_flipout_2/bias_posterior_loc"
    assert len(got) == 12
    # TFP keeps no scale for a bias (a point estimate): bayesian-torch's `rho_bias` is new
    assert {"conv.rho_bias", "fc1.rho_bias", "fc2.rho_bias", "out.rho_bias"} <= set(a.missing)
