"""Chapter 03: mistakes of the kinds the catalogues do not list (in place, masks, transposes...)."""

WRONG = {
    "ex-activation-backward": {
        "sigmoid-in-place": '''
def sigmoid_backward(out, grad_out):
    grad_out *= out * (1 - out)
    return grad_out

def tanh_backward(out, grad_out):
    return grad_out * (1 - out ** 2)

def relu_backward(z, grad_out):
    return grad_out * (z > 0).to(grad_out.dtype)
''',
        "tanh-forgot-square": '''
def sigmoid_backward(out, grad_out):
    return grad_out * out * (1 - out)

def tanh_backward(out, grad_out):
    return grad_out * (1 - out)

def relu_backward(z, grad_out):
    return grad_out * (z > 0).to(grad_out.dtype)
''',
        "relu-bool-mask": '''
def sigmoid_backward(out, grad_out):
    return grad_out * out * (1 - out)

def tanh_backward(out, grad_out):
    return grad_out * (1 - out ** 2)

def relu_backward(z, grad_out):
    return (z > 0).double() * grad_out
''',
    },
    "ex-shared-weight": {
        "last-use-only": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    return Z.T @ R
''',
        "mean-over-uses": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    grad = torch.zeros_like(W)
    for term in (Z.T @ R, W @ R.T @ X):
        grad = grad + term
    return grad / 2
''',
        "residual-sign": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (X - Z @ W) / X.shape[0]
    return Z.T @ R + W @ R.T @ X
''',
        "x-and-residual-swapped": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    return Z.T @ R + W @ X.T @ R
''',
        "mean-over-all-entries": '''
def tied_weights_grad(W, X):
    Z = X @ W.T
    R = (Z @ W - X) / X.numel()
    return Z.T @ R + W @ R.T @ X
''',
        "normalises-w-in-place": '''
def tied_weights_grad(W, X):
    W /= W.norm()
    Z = X @ W.T
    R = (Z @ W - X) / X.shape[0]
    return Z.T @ R + W @ R.T @ X
''',
    },
    "ex-loss-and-grads": {
        "w-transposed": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    logp = torch.log_softmax(logits, dim=1)
    loss = -logp[torch.arange(n), y].mean()
    d2 = logp.exp()
    d2[torch.arange(n), y] -= 1
    d2 = d2 / n
    d1 = (d2 @ W2) * (z1 > 0).to(X.dtype)
    return loss, {"W1": X.T @ d1, "b1": d1.sum(0), "W2": h.T @ d2, "b2": d2.sum(0)}
''',
        "bias-not-summed": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    logp = torch.log_softmax(logits, dim=1)
    loss = -logp[torch.arange(n), y].mean()
    d2 = logp.exp()
    d2[torch.arange(n), y] -= 1
    d2 = d2 / n
    d1 = (d2 @ W2) * (z1 > 0).to(X.dtype)
    return loss, {"W1": d1.T @ X, "b1": d1.mean(0), "W2": d2.T @ h, "b2": d2.mean(0)}
''',
        "mask-from-output": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    logp = torch.log_softmax(logits, dim=1)
    loss = -logp[torch.arange(n), y].mean()
    d2 = logp.exp()
    d2[torch.arange(n), y] -= 1
    d2 = d2 / n
    d1 = (d2 @ W2) * (logits.sum(1, keepdim=True) > 0).to(X.dtype)
    return loss, {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
''',
        "updates-params": '''
def loss_and_grads(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    z1 = X @ W1.T + b1
    h = z1.clamp(min=0)
    logits = h @ W2.T + b2
    logp = torch.log_softmax(logits, dim=1)
    loss = -logp[torch.arange(n), y].mean()
    d2 = logp.exp()
    d2[torch.arange(n), y] -= 1
    d2 = d2 / n
    d1 = (d2 @ W2) * (z1 > 0).to(X.dtype)
    grads = {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}
    for k in params:
        params[k] -= 0.1 * grads[k]
    return loss, grads
''',
    },
}
