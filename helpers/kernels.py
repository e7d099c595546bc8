"""The reference kernels later chapters build on, re-exported from the chapter that teaches each.

Device-agnostic torch: each runs on whatever device its inputs live on. Graded code may call any
of them, except inside the exercise that asks for that very function (see helpers.grading.guard)::

    from helpers import kernels
    probs = kernels.softmax(logits, dim=-1)      # chapter 01
    out = kernels.linear_forward(x, W, b)        # chapter 03: x @ W.T + b
    y = kernels.conv2d(x, w, b, stride=1, padding=1)   # chapter 07: NCHW cross-correlation, as F.conv2d
    out, weights = kernels.attention(q, k, v, mask=kernels.causal_mask(T))   # chapter 09

Each chapter that teaches a kernel adds it here.
"""
from helpers.chapters.attention.answers import (MultiHeadAttention, TransformerBlock, attention, attention_backward,
                                                beam_search, causal_mask, padding_mask, pe_shift_matrix, sinusoidal_pe)
from helpers.chapters.backprop.answers import (linear_backward, linear_forward, relu_backward, sigmoid_backward,
                                               silu_backward, tanh_backward)
from helpers.chapters.cnn.answers import ResidualBlock, conv2d_backward
from helpers.chapters.cnn.answers import conv2d_im2col as conv2d
from helpers.chapters.cnn.answers import (conv_out_size, conv_param_count, maxpool2d, maxpool2d_backward,
                                          receptive_field)
from helpers.chapters.deep_nets.answers import ResidualBlock as ResidualMLPBlock
from helpers.chapters.deep_nets.answers import (batchnorm_backward, batchnorm_forward, clip_grad_norm, keeping_std,
                                                layer_norm)
from helpers.chapters.foundations.answers import (cross_entropy, cross_entropy_from_logits, entropy, gaussian_nll,
                                                  kl_div, log_softmax, sigmoid, softmax)
from helpers.chapters.gan.answers import (d_loss, frechet_distance, g_loss, gaussian_fit, gradient_penalty, js_divergence,
                                          modes_covered, optimal_discriminator, spectral_norm, sqrtm_psd)
from helpers.chapters.optimization.answers import (adam_step, classify_critical_point, momentum_step, rmsprop_step,
                                                   warmup_cosine)
from helpers.chapters.vae.answers import (AffineCoupling, iwae_bound, kl_diag_gaussians, log_normal, negative_elbo,
                                          reparameterize, subspace_angles)
from helpers.chapters.rl.answers import (discounted_returns, dqn_loss, dqn_targets, epsilon_greedy, policy_evaluation,
                                         q_learning_update, reinforce_loss, sarsa_update, value_iteration)
from helpers.chapters.rnn.answers import (gru_cell, jacobians_through_time, lstm_cell, rnn_backward, rnn_forward,
                                          sampling_probs, tbptt_batches)
from helpers.chapters.overfitting.answers import (Dropout, EarlyStopping, cross_val_score, ensemble_probs,
                                                  inverted_dropout, kfold_indices, map_linear_regression, penalty_grad)

__all__ = [
    # chapter 01: output layers and losses
    "sigmoid", "softmax", "log_softmax", "cross_entropy_from_logits", "entropy", "cross_entropy", "kl_div",
    "gaussian_nll",
    # chapter 03: layers and their backward passes
    "linear_forward", "linear_backward", "sigmoid_backward", "tanh_backward", "relu_backward", "silu_backward",
    # chapter 04: validation and regularization
    "kfold_indices", "cross_val_score", "penalty_grad", "map_linear_regression", "inverted_dropout", "Dropout",
    "EarlyStopping", "ensemble_probs",
    # chapter 05: optimizer steps (pure functions: step(theta, g, state, lr, ...) -> new theta) and schedules
    "classify_critical_point", "momentum_step", "rmsprop_step", "adam_step", "warmup_cosine",
    # chapter 06: initialization, normalization, clipping, residual MLP blocks
    "keeping_std", "batchnorm_forward", "batchnorm_backward", "layer_norm", "clip_grad_norm", "ResidualMLPBlock",
    # chapter 07: convolutions (NCHW), pooling, receptive fields, the ResNet basic block
    "conv_out_size", "conv_param_count", "conv2d", "conv2d_backward", "maxpool2d", "maxpool2d_backward",
    "receptive_field", "ResidualBlock",
    # chapter 08: recurrent cells (PyTorch's weight layout and gate order), BPTT, sampling, batching
    "rnn_forward", "rnn_backward", "jacobians_through_time", "lstm_cell", "gru_cell", "sampling_probs",
    "tbptt_batches",
    # chapter 09: attention, masks, positional encodings, transformer blocks, beam search
    "attention", "causal_mask", "padding_mask", "attention_backward", "MultiHeadAttention", "sinusoidal_pe",
    "pe_shift_matrix", "TransformerBlock", "beam_search",
    # chapter 10: latent-variable models and flows
    "kl_diag_gaussians", "reparameterize", "negative_elbo", "iwae_bound", "log_normal", "subspace_angles",
    "AffineCoupling",
    # chapter 11: GAN losses and divergences, the gradient penalty, spectral norm, the Frechet distance
    "optimal_discriminator", "js_divergence", "d_loss", "g_loss", "gradient_penalty", "spectral_norm", "sqrtm_psd",
    "gaussian_fit", "frechet_distance", "modes_covered",
    # chapter 12: returns, dynamic programming, TD updates, policy gradient, DQN targets
    "discounted_returns", "policy_evaluation", "value_iteration", "epsilon_greedy", "sarsa_update",
    "q_learning_update", "reinforce_loss", "dqn_targets", "dqn_loss",
]
