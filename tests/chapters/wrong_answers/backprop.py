"""Chapter 03's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

_ACTIVATIONS_OK = '''
def tanh_backward(out, grad_out):
    return grad_out * (1 - out ** 2)


def relu_backward(z, grad_out):
    return grad_out * (z > 0).to(grad_out.dtype)
'''

WRONG = {
    "ex-activation-backward": {
        "sigmoid-of-out": '''
def sigmoid_backward(out, grad_out):
    s = torch.sigmoid(out)
    return grad_out * s * (1 - s)
''' + _ACTIVATIONS_OK,
        "tanh-not-squared": '''
def sigmoid_backward(out, grad_out):
    return grad_out * out * (1 - out)


def tanh_backward(out, grad_out):
    return grad_out * (1 - out)


def relu_backward(z, grad_out):
    return grad_out * (z > 0).to(grad_out.dtype)
''',
        "relu-mask-at-zero": '''
def sigmoid_backward(out, grad_out):
    return grad_out * out * (1 - out)


def tanh_backward(out, grad_out):
    return grad_out * (1 - out ** 2)


def relu_backward(z, grad_out):
    return grad_out * (z >= 0).float()
''',
        "library-call": '''
def sigmoid_backward(out, grad_out):
    return grad_out * out * (1 - out)


def tanh_backward(out, grad_out):
    return grad_out * (1 - out ** 2)


def relu_backward(z, grad_out):
    z = z.detach().clone().requires_grad_(True)
    torch.relu(z).backward(grad_out)
    return z.grad
''',
        "tanh-with-sigmoid-derivative": '''
def sigmoid_backward(out, grad_out):
    return grad_out * out * (1 - out)


def tanh_backward(out, grad_out):
    return grad_out * out * (1 - out)


def relu_backward(z, grad_out):
    return grad_out * (z > 0).to(grad_out.dtype)
''',
        "sigmoid-z-formula-on-out": '''
def sigmoid_backward(out, grad_out):
    return grad_out * torch.exp(-out) / (1 + torch.exp(-out)) ** 2
''' + _ACTIVATIONS_OK,
        "reference-call": '''
from helpers.chapters.backprop.answers import relu_backward, sigmoid_backward, tanh_backward
''',
    },
    "ex-silu-backward": {
        "product-path-only": '''
def silu_backward(x, grad_out):
    return grad_out * torch.sigmoid(x)
''',
        "sigmoid-path-only": '''
def silu_backward(x, grad_out):
    s = 1 / (1 + torch.exp(-x))
    return grad_out * x * s * (1 - s)
''',
        "paths-multiplied": '''
def silu_backward(x, grad_out):
    s = torch.sigmoid(x)
    return grad_out * s * (x * s * (1 - s))
''',
        "library-call": '''
def silu_backward(x, grad_out):
    x = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.silu(x), x, grad_out)
    return g
''',
    },
    "ex-shared-weight": {
        "decoder-use-only": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    return Z.T @ R
''',
        "encoder-use-only": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    return (R @ W.T).T @ X
''',
        "uses-averaged": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    return (Z.T @ R + W @ R.T @ X) / 2
''',
        "missing-1/N": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = Z @ W - X
    return Z.T @ R + W @ R.T @ X
''',
        "transposed-terms": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    return R.T @ Z + X.T @ R @ W.T
''',
        "overwrite-not-add": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    grad = Z.T @ R                  # decoder
    grad = W @ R.T @ X              # encoder: overwrites the decoder's term
    return grad
''',
        "autograd": '''
def tied_weights_grad(W, X):
    W = W.detach().clone().requires_grad_(True)
    loss = ((X @ W.T @ W - X) ** 2).sum() / (2 * X.shape[0])
    loss.backward()
    return W.grad
''',
        "reference-call": '''
from helpers.chapters.backprop.answers import tied_weights_grad
''',
    },
    "ex-mlp-backward": {
        "W2-transposed": '''
def mlp_manual_backward(x, t, W1, b1, W2, b2):
    h = torch.sigmoid(x @ W1.T + b1)
    o = torch.sigmoid(h @ W2.T + b2)
    d2 = (o - t) * o * (1 - o)
    d1 = (d2 @ W2.T) * h * (1 - h)
    return {"W1": d1.T @ x, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "mean-over-batch": '''
def mlp_manual_backward(x, t, W1, b1, W2, b2):
    n = x.shape[0]
    h = torch.sigmoid(x @ W1.T + b1)
    o = torch.sigmoid(h @ W2.T + b2)
    d2 = (o - t) * o * (1 - o) / n
    d1 = (d2 @ W2) * h * (1 - h)
    return {"W1": d1.T @ x, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "no-hidden-derivative": '''
def mlp_manual_backward(x, t, W1, b1, W2, b2):
    h = torch.sigmoid(x @ W1.T + b1)
    o = torch.sigmoid(h @ W2.T + b2)
    d2 = (o - t) * o * (1 - o)
    d1 = d2 @ W2
    return {"W1": d1.T @ x, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "bias-not-summed": '''
def mlp_manual_backward(x, t, W1, b1, W2, b2):
    h = torch.sigmoid(x @ W1.T + b1)
    o = torch.sigmoid(h @ W2.T + b2)
    d2 = (o - t) * o * (1 - o)
    d1 = (d2 @ W2) * h * (1 - h)
    return {"W1": d1.T @ x, "b1": d1, "W2": d2.T @ h, "b2": d2}
''',
        "autograd": '''
def mlp_manual_backward(x, t, W1, b1, W2, b2):
    params = [p.detach().clone().requires_grad_(True) for p in (W1, b1, W2, b2)]
    h = torch.sigmoid(x @ params[0].T + params[1])
    o = torch.sigmoid(h @ params[2].T + params[3])
    (0.5 * ((o - t) ** 2).sum()).backward()
    return dict(zip(["W1", "b1", "W2", "b2"], [p.grad for p in params]))
''',
    },
    "ex-linear-function": {
        "W-grad-transposed": '''
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    @staticmethod
    def backward(ctx, grad_out):
        x, W = ctx.saved_tensors
        return grad_out @ W, x.T @ grad_out, grad_out.sum(0)
''',
        "no-bias-grad": '''
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    @staticmethod
    def backward(ctx, grad_out):
        x, W = ctx.saved_tensors
        return grad_out @ W, grad_out.T @ x, None
''',
        "x-grad-transposed": '''
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    @staticmethod
    def backward(ctx, grad_out):
        x, W = ctx.saved_tensors
        return grad_out @ W.T, grad_out.T @ x, grad_out.sum(0)
''',
        "library-call": '''
class LinearFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return F.linear(x, W, b)

    @staticmethod
    def backward(ctx, grad_out):
        x, W = ctx.saved_tensors
        return grad_out @ W, grad_out.T @ x, grad_out.sum(0)
''',
        "reference-call": '''
from helpers.chapters.backprop.answers import LinearFunction
''',
    },
    "ex-vjp-chain": {
        "wrong-end": '''
def vjp_chain(jacobians, v):
    g, count = v, 0
    for J in jacobians:
        g = J.T @ g
        count += J.shape[0] * J.shape[1]
    return g, count


def matrix_chain_cost(jacobians, v):
    n0 = jacobians[0].shape[1]
    return sum(J.shape[0] * J.shape[1] * n0 for J in jacobians[1:]) + jacobians[-1].shape[0] * n0
''',
        "square-count": '''
def vjp_chain(jacobians, v):
    g = v
    for J in reversed(jacobians):
        g = J.T @ g
    n = v.shape[0]
    return g, len(jacobians) * n * n


def matrix_chain_cost(jacobians, v):
    n = v.shape[0]
    return (len(jacobians) - 1) * n ** 3 + n ** 2
''',
        "cost-without-final-product": '''
def vjp_chain(jacobians, v):
    g, count = v, 0
    for J in reversed(jacobians):
        g = J.T @ g
        count += J.numel()
    return g, count


def matrix_chain_cost(jacobians, v):
    n0 = jacobians[0].shape[1]
    return sum(J.shape[0] * J.shape[1] * n0 for J in jacobians[1:])
''',
        "reference-call": '''
from helpers.chapters.backprop.answers import matrix_chain_cost, vjp_chain
''',
    },
    "ex-loss-and-grads": {
        "sum-not-mean": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1.T + b1
    h = torch.relu(z1)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = -torch.log(p[torch.arange(len(y)), y]).mean()
    d2 = p - F.one_hot(y, p.shape[1]).to(p.dtype)
    d1 = (d2 @ W2) * (z1 > 0)
    return loss, {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "no-relu-mask": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = torch.relu(X @ W1.T + b1)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = F.cross_entropy(logits, y)
    d2 = (p - F.one_hot(y, p.shape[1]).to(p.dtype)) / len(y)
    d1 = d2 @ W2
    return loss, {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "no-onehot": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = F.cross_entropy(logits, y)
    d2 = p / len(y)
    d1 = (d2 @ W2) * (z1 > 0)
    return loss, {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "dW-transposed": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = F.cross_entropy(logits, y)
    d2 = (p - F.one_hot(y, p.shape[1]).to(p.dtype)) / len(y)
    d1 = (d2 @ W2) * (z1 > 0)
    return loss, {"W1": X.T @ d1, "b1": d1.sum(0), "W2": h.T @ d2, "b2": d2.sum(0)}
''',
        "mask-at-zero": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = F.cross_entropy(logits, y)
    d2 = (p - F.one_hot(y, p.shape[1]).to(p.dtype)) / len(y)
    d1 = (d2 @ W2) * (z1 >= 0)
    return loss, {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "mask-from-output-layer": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = F.cross_entropy(logits, y)
    d2 = (p - F.one_hot(y, p.shape[1]).to(p.dtype)) / len(y)
    d1 = (d2 * (logits > 0)) @ W2
    return loss, {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "bias-not-summed": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = F.cross_entropy(logits, y)
    d2 = (p - F.one_hot(y, p.shape[1]).to(p.dtype)) / len(y)
    d1 = (d2 @ W2) * (z1 > 0)
    return loss, {"W1": d1.T @ X, "b1": d1, "W2": d2.T @ h, "b2": d2}
''',
        "loss-of-probabilities": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = F.cross_entropy(p, y)
    d2 = (p - F.one_hot(y, p.shape[1]).to(p.dtype)) / len(y)
    d1 = (d2 @ W2) * (z1 > 0)
    return loss, {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "autograd": '''
def loss_and_grads(X, y, params):
    leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
    logits = torch.relu(X @ leaves["W1"].T + leaves["b1"]) @ leaves["W2"].T + leaves["b2"]
    loss = F.cross_entropy(logits, y)
    loss.backward()
    return loss.detach(), {k: v.grad for k, v in leaves.items()}
''',
        "updates-params-in-place": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    p = torch.softmax(logits, dim=1)
    loss = F.cross_entropy(logits, y)
    d2 = (p - F.one_hot(y, p.shape[1]).to(p.dtype)) / len(y)
    d1 = (d2 @ W2) * (z1 > 0)
    grads = {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
    for k in params:
        params[k] -= 0.1 * grads[k]
    return loss, grads
''',
        "reference-call": '''
from helpers.chapters.backprop.answers import loss_and_grads
''',
    },
}
