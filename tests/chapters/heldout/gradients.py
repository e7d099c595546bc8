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
    "ex-mse-grad": {
        "mean-over-rows": '''
def mse_grad(o, y):
    return 2 * (o - y) / o.shape[0]
''',
        "no-two": '''
def mse_grad(o, y):
    return (o - y) / o.numel()
''',
        "y-minus-o": '''
def mse_grad(o, y):
    return 2 * (y - o) / o.numel()
''',
        "float32-constant": '''
def mse_grad(o, y):
    return (torch.tensor(2.0) * (o - y) / o.numel()).to(torch.float32)
''',
    },
    "ex-softmax-ce-grad": {
        "one-minus-p": '''
def softmax_ce_grad(z, y):
    p = torch.softmax(z, dim=1)
    return (y - p) / z.shape[0]
''',
        "softmax-over-batch": '''
def softmax_ce_grad(z, y):
    p = torch.softmax(z, dim=0)
    return (p * y.sum(dim=1, keepdim=True) - y) / z.shape[0]
''',
        "no-mean": '''
def softmax_ce_grad(z, y):
    p = torch.softmax(z, dim=1)
    return p * y.sum(dim=1, keepdim=True) - y
''',
    },
}
