"""Chapter 03 reference implementations (backpropagation and computation graphs).

The chapter's graded exercises ask the student to write these; while an exercise is graded, its own
answer here refuses to run (see helpers.grading.guard), so a submission that only calls it earns no
points. Other exercises, those of later chapters among them, may call them (``helpers.kernels``).
None of them uses autograd: every gradient is written out. All are device-agnostic.

Layout used throughout: a batch is a matrix with one example per row, ``x: (N, D)``; a layer's
weight has PyTorch's layout ``W: (out, in)``, so the layer computes ``x @ W.T + b``.
"""
from __future__ import annotations

import torch

from helpers.grading.guard import reference


def _sigmoid(z: torch.Tensor) -> torch.Tensor:
    """The textbook logistic function, as a student of this chapter writes it (the stable one is
    ``helpers.kernels.sigmoid``); the activations here see moderate inputs only."""
    return 1 / (1 + torch.exp(-z))


# ---------------------------------------------------------------- activation backward passes

@reference
def sigmoid_backward(out: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    """dL/dz for out = sigmoid(z), from the forward output: grad_out * out * (1 - out). Any shape."""
    return grad_out * out * (1 - out)


@reference
def tanh_backward(out: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    """dL/dz for out = tanh(z), from the forward output: grad_out * (1 - out^2). Any shape."""
    return grad_out * (1 - out * out)


@reference
def relu_backward(z: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    """dL/dz for relu(z), from the forward *input* z: grad_out where z > 0, else 0 (0 at z = 0). Any shape."""
    return grad_out * (z > 0).to(grad_out.dtype)


@reference
def silu_backward(x: torch.Tensor, grad_out: torch.Tensor) -> torch.Tensor:
    """dL/dx for y = x * sigmoid(x): x feeds two consumers, so both paths add up. Any shape."""
    s = _sigmoid(x)
    return grad_out * (s + x * s * (1 - s))


# ---------------------------------------------------------------- a two-layer sigmoid MLP, squared error

@reference
def mlp_manual_backward(x: torch.Tensor, t: torch.Tensor, W1: torch.Tensor, b1: torch.Tensor,
                        W2: torch.Tensor, b2: torch.Tensor) -> dict[str, torch.Tensor]:
    """Gradients of L = 1/2 sum_n sum_k (o_nk - t_nk)^2 (summed over the batch) for
    h = sigmoid(x W1^T + b1), o = sigmoid(h W2^T + b2).

    x: (N, D); t: (N, K); W1: (H, D); b1: (H,); W2: (K, H); b2: (K,).
    Returns {"W1": (H, D), "b1": (H,), "W2": (K, H), "b2": (K,)}.
    """
    h = _sigmoid(x @ W1.T + b1)                  # (N, H)
    o = _sigmoid(h @ W2.T + b2)                  # (N, K)
    delta_o = (o - t) * o * (1 - o)              # (N, K)  delta_k = (o_k - t_k) o_k (1 - o_k)
    delta_h = (delta_o @ W2) * h * (1 - h)       # (N, H)  delta_j = o_j (1 - o_j) sum_k delta_k w_jk
    return {"W1": delta_h.T @ x, "b1": delta_h.sum(0), "W2": delta_o.T @ h, "b2": delta_o.sum(0)}


# ---------------------------------------------------------------- a linear layer as an autograd.Function

@reference
def linear_forward(x: torch.Tensor, W: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """x @ W.T + b. x: (N, D); W: (K, D); b: (K,) -> (N, K)."""
    return x @ W.T + b


@reference
def linear_backward(x: torch.Tensor, W: torch.Tensor, grad_out: torch.Tensor):
    """(dL/dx, dL/dW, dL/db) for y = x @ W.T + b. grad_out: (N, K) -> (N, D), (K, D), (K,)."""
    return grad_out @ W, grad_out.T @ x, grad_out.sum(0)


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward (uses the guarded functions above)."""

    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return linear_forward(x, W, b)

    @staticmethod
    def backward(ctx, grad_out):
        x, W = ctx.saved_tensors
        return linear_backward(x, W, grad_out)


# ---------------------------------------------------------------- ReLU MLP with softmax cross-entropy

@reference
def loss_and_grads(X: torch.Tensor, y: torch.Tensor, params: dict[str, torch.Tensor]):
    """Mean cross-entropy of a one-hidden-layer ReLU MLP and its gradients, without autograd.

    X: (N, D); y: (N,) int64 in [0, K); params W1 (H, D), b1 (H,), W2 (K, H), b2 (K,).
    Returns (loss as a 0-d tensor, {name: gradient of the same shape as params[name]}).
    """
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    z1 = X @ W1.T + b1                                   # (N, H)
    h = z1.clamp(min=0)                                  # (N, H)
    logits = h @ W2.T + b2                               # (N, K)
    shifted = logits - logits.amax(dim=1, keepdim=True)
    logp = shifted - shifted.exp().sum(dim=1, keepdim=True).log()   # (N, K)
    rows = torch.arange(n, device=X.device)
    loss = -logp[rows, y].mean()
    delta2 = logp.exp()                                  # (N, K) softmax
    delta2[rows, y] -= 1                                 # p - onehot(y)
    delta2 = delta2 / n                                  # the mean over the batch
    delta1 = (delta2 @ W2) * (z1 > 0).to(X.dtype)        # (N, H)
    grads = {"W1": delta1.T @ X, "b1": delta1.sum(0), "W2": delta2.T @ h, "b2": delta2.sum(0)}
    return loss, grads


# ---------------------------------------------------------------- a weight used twice (tied weights)

@reference
def tied_weights_grad(W: torch.Tensor, X: torch.Tensor) -> torch.Tensor:
    """dL/dW for the tied-weight linear autoencoder Z = X W^T, X_hat = Z W, L = ||X_hat - X||^2 / (2N).

    W is used twice (encoder and decoder), so its gradient is the sum of both uses' contributions:
    with R = (X_hat - X) / N, dL/dW = Z^T R (decoder use) + W R^T X (encoder use).
    W: (k, D); X: (N, D) -> (k, D).
    """
    Z = X @ W.T                                  # (N, k)  encoder: first use of W
    R = (Z @ W - X) / X.shape[0]                 # (N, D)  dL/dX_hat; the decoder is the second use
    return Z.T @ R + W @ R.T @ X                 # decoder use + encoder use


# ---------------------------------------------------------------- evaluation order

@reference
def vjp_chain(jacobians, v: torch.Tensor):
    """v^T J_L ... J_1 evaluated from the vector side, and its multiply-add count.

    jacobians: [J_1, ..., J_L] with J_l of shape (n_l, n_{l-1}) (numerator layout, J_l = dh_l/dh_{l-1});
    v: (n_L,) = dL/dh_L. Returns (dL/dh_0 of shape (n_0,), sum over l of n_l * n_{l-1}).
    """
    g, cost = v, 0
    for J in reversed(jacobians):
        g = g @ J                                    # (n_l,) @ (n_l, n_{l-1}) -> (n_{l-1},)
        cost += J.shape[0] * J.shape[1]
    return g, cost


@reference
def matrix_chain_cost(jacobians, v: torch.Tensor) -> int:
    """Multiply-adds to form M = J_L ... J_1 from the input side (M = J_1, then M <- J_l M) and then v^T M.

    Each J_l M step costs n_l * n_{l-1} * n_0; the final v^T M costs n_L * n_0.
    """
    n0 = jacobians[0].shape[1]
    cost = sum(J.shape[0] * J.shape[1] * n0 for J in jacobians[1:])
    return int(cost + jacobians[-1].shape[0] * n0)
