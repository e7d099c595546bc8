"""Chapter 02: mistakes of the kinds the catalogues do not list (in place, dtype, scale, axis...)."""

WRONG = {
    "ex-numerical-grad": {
        "float32-copy": '''
def numerical_grad(f, x, h=1e-6):
    x = x.detach().clone().float()
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        e = torch.zeros_like(x).view(-1)
        e[i] = h
        e = e.view_as(x)
        grad.view(-1)[i] = (float(f(x + e)) - float(f(x - e))) / (2 * h)
    return grad.double()
''',
        "one-sided": '''
def numerical_grad(f, x, h=1e-6):
    x = x.detach().double().clone()
    grad = torch.zeros_like(x)
    for i in range(x.numel()):
        e = torch.zeros_like(x).view(-1)
        e[i] = h
        grad.view(-1)[i] = (float(f(x + e.view_as(x))) - float(f(x))) / h
    return grad
''',
        "writes-into-caller": '''
def numerical_grad(f, x, h=1e-6):
    grad = torch.zeros_like(x, dtype=torch.float64)
    flat = x.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + h
        up = float(f(x))
        flat[i] = old - h
        down = float(f(x))
        grad.view(-1)[i] = (up - down) / (2 * h)
    return grad
''',
    },
    "ex-directional": {
        "not-normalised": '''
def directional_derivative(f, x, l):
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return (grad * l).sum()
''',
        "divides-by-squared-norm": '''
def directional_derivative(f, x, l):
    leaf = x.detach().clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(f(leaf), leaf)
    return (grad * l).sum() / (l * l).sum()
''',
    },
    "ex-gradient-descent": {
        "in-place-start": '''
def gradient_descent(grad_fn, theta0, lr, n_steps):
    path = [theta0.clone()]
    for _ in range(n_steps):
        theta0 -= lr * grad_fn(theta0)
        path.append(theta0.clone())
    return torch.stack(path)
''',
        "ascent": '''
def gradient_descent(grad_fn, theta0, lr, n_steps):
    theta = theta0.clone()
    path = [theta]
    for _ in range(n_steps):
        theta = theta + lr * grad_fn(theta)
        path.append(theta)
    return torch.stack(path)
''',
        "missing-start": '''
def gradient_descent(grad_fn, theta0, lr, n_steps):
    theta = theta0.clone()
    path = []
    for _ in range(n_steps + 1):
        theta = theta - lr * grad_fn(theta)
        path.append(theta)
    return torch.stack(path)
''',
    },
    "ex-relative-error": {
        "absolute-error": '''
def relative_error(a, b, tiny=1e-12):
    return float((a - b).abs().max())
''',
        "mean-denominator": '''
def relative_error(a, b, tiny=1e-12):
    return float(((a - b).abs() / ((a.abs() + b.abs()) / 2).clamp(min=tiny)).max())
''',
    },
    "ex-linreg-grads": {
        "sum-not-mean": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r, 2 * r.sum()
''',
        "half-mse": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    return X.T @ r / X.shape[0], r.mean()
''',
        "bias-grad-is-mean-of-x": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    return 2 * X.T @ r / X.shape[0], 2 * (r * X.mean(dim=1)).mean()
''',
        "float32-result": '''
def linreg_grads(X, y, w, b):
    r = (X @ w + b - y).float()
    return 2 * X.float().T @ r / X.shape[0], 2 * r.mean()
''',
        "changes-w": '''
def linreg_grads(X, y, w, b):
    r = X @ w + b - y
    gw, gb = 2 * X.T @ r / X.shape[0], 2 * r.mean()
    w -= 0.01 * gw
    return gw, gb
''',
    },
    "ex-softmax-regression-grads": {
        "no-subtract-target": '''
def softmax_regression_grads(X, Y, W, b):
    P = torch.softmax(X @ W + b, dim=1)
    return X.T @ P / X.shape[0], P.mean(dim=0)
''',
        "sum-over-batch": '''
def softmax_regression_grads(X, Y, W, b):
    P = torch.softmax(X @ W + b, dim=1)
    return X.T @ (P - Y), (P - Y).sum(dim=0)
''',
        "bias-over-classes": '''
def softmax_regression_grads(X, Y, W, b):
    P = torch.softmax(X @ W + b, dim=1)
    D = (P - Y) / X.shape[0]
    return X.T @ D, D.sum(dim=1)
''',
        "log-softmax-instead": '''
def softmax_regression_grads(X, Y, W, b):
    P = torch.log_softmax(X @ W + b, dim=1)
    D = (P - Y) / X.shape[0]
    return X.T @ D, D.sum(dim=0)
''',
    },
}
