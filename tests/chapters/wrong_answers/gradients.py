"""Chapter gradients wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

WRONG: dict[str, dict[str, str]] = {
    "ex-numerical-grad": {
        "forward-difference": '''
def numerical_grad(f, x, h=1e-6):
    x = x.detach().to(torch.float64).clone()
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    base = float(f(x))
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + h
        gflat[i] = (float(f(x)) - base) / h
        flat[i] = old
    return grad
''',
        "no-2h": '''
def numerical_grad(f, x, h=1e-6):
    x = x.detach().to(torch.float64).clone()
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + h
        up = float(f(x))
        flat[i] = old - h
        down = float(f(x))
        flat[i] = old
        gflat[i] = (up - down) / h
    return grad
''',
        "mutates-input": '''
def numerical_grad(f, x, h=1e-6):
    x = x.to(torch.float64)                 # no copy when x is already float64
    grad = torch.zeros_like(x)
    flat, gflat = x.view(-1), grad.view(-1)
    for i in range(flat.numel()):
        flat[i] += h
        up = float(f(x))
        flat[i] -= 2 * h
        down = float(f(x))
        gflat[i] = (up - down) / (2 * h)    # forgot to add h back
    return grad
''',
        "library-call": '''
def numerical_grad(f, x, h=1e-6):
    leaf = x.detach().to(torch.float64).clone().requires_grad_(True)
    return torch.autograd.grad(f(leaf), leaf)[0]
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import numerical_grad as _numerical_grad

def numerical_grad(f, x, h=1e-6):
    return _numerical_grad(f, x, h)
''',
        "checks-helper-call": '''
from helpers.grading import checks as _checks

def numerical_grad(f, x, h=1e-6):
    return _checks.numerical_gradient(f, x, h)
''',
    },
    "ex-relative-error": {
        "divides-by-b": '''
def relative_error(a, b, tiny=1e-12):
    a, b = a.double(), b.double()
    return float(((a - b).abs() / b.abs().clamp(min=tiny)).max())
''',
        "no-tiny": '''
def relative_error(a, b, tiny=1e-12):
    a, b = a.double(), b.double()
    return float(((a - b).abs() / torch.maximum(a.abs(), b.abs())).max())
''',
        "mean-not-max": '''
def relative_error(a, b, tiny=1e-12):
    a, b = a.double(), b.double()
    return float(((a - b).abs() / torch.maximum(torch.maximum(a.abs(), b.abs()), torch.full_like(a, tiny))).mean())
''',
        "sum-denominator": '''
def relative_error(a, b, tiny=1e-12):
    a, b = a.double(), b.double()
    return float(((a - b).abs() / (a.abs() + b.abs()).clamp(min=tiny)).max())
''',
        "norm-based": '''
def relative_error(a, b, tiny=1e-12):
    a, b = a.double(), b.double()
    return float((a - b).norm() / max(a.norm(), b.norm(), tiny))
''',
        "returns-tensor": '''
def relative_error(a, b, tiny=1e-12):
    a, b = a.double(), b.double()
    return ((a - b).abs() / torch.maximum(torch.maximum(a.abs(), b.abs()), torch.full_like(a, tiny))).max()
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import relative_error as _r

def relative_error(a, b, tiny=1e-12):
    return _r(a, b, tiny)
''',
    },
    "ex-grad-sum-squares": {
        "hard-coded": '''
def grad_of_sum_of_squares(x0, y0):
    return (2.0, 4.0)
''',
        "returns-tensors": '''
def grad_of_sum_of_squares(x0, y0):
    x = torch.tensor(float(x0), requires_grad=True)
    y = torch.tensor(float(y0), requires_grad=True)
    (x ** 2 + y ** 2).backward()
    return x.grad, y.grad
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import grad_of_sum_of_squares as _g

def grad_of_sum_of_squares(x0, y0):
    return _g(x0, y0)
''',
    },
    "ex-directional": {
        "not-normalized": '''
def directional_derivative(f, x, l):
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return (grad * l).sum()
''',
        "changes-caller-x": '''
def directional_derivative(f, x, l):
    x.requires_grad_(True)
    (grad,) = torch.autograd.grad(f(x), x)
    return (grad * l / l.norm()).sum()
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import directional_derivative as _dd

def directional_derivative(f, x, l):
    return _dd(f, x, l)
''',
    },
    "ex-gradient-descent": {
        "missing-theta0": '''
def gradient_descent(grad_fn, theta0, lr, n_steps):
    theta = theta0.clone()
    path = []
    for _ in range(n_steps):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return torch.stack(path) if path else theta0[None].clone()
''',
        "ascent": '''
def gradient_descent(grad_fn, theta0, lr, n_steps):
    path = [theta0.clone()]
    for _ in range(n_steps):
        path.append(path[-1] + lr * grad_fn(path[-1]))
    return torch.stack(path)
''',
        "in-place-update": '''
def gradient_descent(grad_fn, theta0, lr, n_steps):
    theta = theta0
    path = [theta]
    for _ in range(n_steps):
        theta -= lr * grad_fn(theta)
        path.append(theta)
    return torch.stack(path)
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import gradient_descent as _gd

def gradient_descent(grad_fn, theta0, lr, n_steps):
    return _gd(grad_fn, theta0, lr, n_steps)
''',
    },
    "ex-linreg-grads": {
        "no-mean": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r, 2 * r.sum()
''',
        "no-factor-2": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    return X.T @ r / len(y), r.mean()
''',
        "y-minus-yhat": '''
def linreg_grads(X, y, w, b):
    r = y - (X @ w + b)
    return 2 * X.T @ r / len(y), 2 * r.mean()
''',
        "X-not-transposed": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    return 2 * X @ r / len(y), 2 * r.mean()
''',
        "forgot-bias-gradient": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r / len(y), torch.zeros((), dtype=X.dtype)
''',
        "forgot-bias-in-prediction": '''
def linreg_grads(X, y, w, b):
    r = X @ w - y
    return 2 * X.T @ r / len(y), 2 * r.mean()
''',
        "gradient-wrt-prediction": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    return 2 * r / len(y), 2 * r.mean()
''',
        "autograd": '''
def linreg_grads(X, y, w, b):
    w = w.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    ((X @ w + b - y) ** 2).mean().backward()
    return w.grad, b.grad
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import linreg_grads as _g

def linreg_grads(X, y, w, b):
    return _g(X, y, w, b)
''',
    },
    "ex-softmax-regression-grads": {
        "no-mean": '''
def softmax_regression_grads(X, Y, W, b):
    G = torch.softmax(X @ W + b, dim=1) - Y
    return X.T @ G, G.sum(0)
''',
        "y-minus-p": '''
def softmax_regression_grads(X, Y, W, b):
    G = (Y - torch.softmax(X @ W + b, dim=1)) / len(X)
    return X.T @ G, G.sum(0)
''',
        "transposed": '''
def softmax_regression_grads(X, Y, W, b):
    G = (torch.softmax(X @ W + b, dim=1) - Y) / len(X)
    return G.T @ X, G.sum(0)
''',
        "gradient-wrt-logits": '''
def softmax_regression_grads(X, Y, W, b):
    G = (torch.softmax(X @ W + b, dim=1) - Y) / len(X)
    return G, G.sum(0)
''',
        "forgot-bias-gradient": '''
def softmax_regression_grads(X, Y, W, b):
    G = (torch.softmax(X @ W + b, dim=1) - Y) / len(X)
    return X.T @ G, torch.zeros_like(b)
''',
        "bias-averaged-twice": '''
def softmax_regression_grads(X, Y, W, b):
    G = (torch.softmax(X @ W + b, dim=1) - Y) / len(X)
    return X.T @ G, G.mean(0)
''',
        "naive-softmax": '''
def softmax_regression_grads(X, Y, W, b):
    e = torch.exp(X @ W + b)
    G = (e / e.sum(dim=1, keepdim=True) - Y) / len(X)
    return X.T @ G, G.sum(0)
''',
        "only-target-term": '''
def softmax_regression_grads(X, Y, W, b):
    G = -Y / len(X)
    return X.T @ G, G.sum(0)
''',
        "autograd": '''
def softmax_regression_grads(X, Y, W, b):
    W = W.detach().clone().requires_grad_(True)
    b = b.detach().clone().requires_grad_(True)
    loss = -(Y * torch.log_softmax(X @ W + b, dim=1)).sum() / len(X)
    return torch.autograd.grad(loss, (W, b))
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import softmax_regression_grads as _g

def softmax_regression_grads(X, Y, W, b):
    return _g(X, Y, W, b)
''',
    },
    "ex-minibatch-sgd": {
        "floor-steps": '''
def minibatch_sgd_linreg(X, y, batch_size, lr, epochs, seed=0):
    n = X.shape[0]
    g = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    n_steps = 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=g)
        for k in range(n // batch_size):
            idx = order[k * batch_size:(k + 1) * batch_size]
            Xb, yb = X[idx], y[idx]
            w = w - lr * 2 * Xb.T @ (Xb @ w - yb) / batch_size
            n_steps += 1
    return w, n_steps
''',
        "sum-gradient": '''
def minibatch_sgd_linreg(X, y, batch_size, lr, epochs, seed=0):
    n = X.shape[0]
    g = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    n_steps = 0
    for _ in range(epochs):
        order = torch.randperm(n, generator=g)
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            Xb, yb = X[idx], y[idx]
            w = w - lr * 2 * Xb.T @ (Xb @ w - yb)
            n_steps += 1
    return w, n_steps
''',
        "shuffled-once": '''
def minibatch_sgd_linreg(X, y, batch_size, lr, epochs, seed=0):
    n = X.shape[0]
    g = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], dtype=X.dtype)
    n_steps = 0
    order = torch.randperm(n, generator=g)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            Xb, yb = X[idx], y[idx]
            w = w - lr * 2 * Xb.T @ (Xb @ w - yb) / len(idx)
            n_steps += 1
    return w, n_steps
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import minibatch_sgd_linreg as _sgd

def minibatch_sgd_linreg(X, y, batch_size, lr, epochs, seed=0):
    return _sgd(X, y, batch_size, lr, epochs, seed)
''',
    },
}
