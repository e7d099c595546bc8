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
    "ex-mse-grad": {
        "seed-formula": '''
def mse_grad(o, y):
    return o - y
''',
        "per-example-only": '''
def mse_grad(o, y):
    return 2 * (o - y) / o.shape[1]
''',
        "library-call": '''
def mse_grad(o, y):
    o = o.detach().clone().requires_grad_(True)
    F.mse_loss(o, y).backward()
    return o.grad
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import mse_grad as _mse_grad

def mse_grad(o, y):
    return _mse_grad(o, y)
''',
    },
    "ex-softmax-ce-grad": {
        "p-minus-y": '''
def softmax_ce_grad(z, y):
    return (torch.softmax(z, dim=1) - y) / z.shape[0]
''',
        "no-batch-mean": '''
def softmax_ce_grad(z, y):
    return torch.softmax(z, dim=1) * y.sum(dim=1, keepdim=True) - y
''',
        "naive-softmax": '''
def softmax_ce_grad(z, y):
    e = torch.exp(z)
    p = e / e.sum(dim=1, keepdim=True)
    return (p * y.sum(dim=1, keepdim=True) - y) / z.shape[0]
''',
        "library-call": '''
def softmax_ce_grad(z, y):
    z = z.detach().clone().requires_grad_(True)
    loss = -(y * torch.log_softmax(z, dim=1)).sum() / z.shape[0]
    (grad,) = torch.autograd.grad(loss, z)
    return grad
''',
        "reference-call": '''
from helpers.chapters.gradients.answers import softmax_ce_grad as _g

def softmax_ce_grad(z, y):
    return _g(z, y)
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
