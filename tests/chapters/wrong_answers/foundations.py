"""Chapter 01's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

WRONG = {
    "ex-sigmoid": {
        "textbook-formula": '''
def stable_sigmoid(x):
    return 1 / (1 + torch.exp(-x))
''',
        "naive-ratio": '''
def stable_sigmoid(x):
    return torch.exp(x) / (1 + torch.exp(x))
''',
        "library-call": '''
def stable_sigmoid(x):
    return torch.sigmoid(x)
''',
        "where-both-branches": '''
def stable_sigmoid(x):
    return torch.where(x >= 0, 1 / (1 + torch.exp(-x)), torch.exp(x) / (1 + torch.exp(x)))
''',
    },
    "ex-softmax": {
        "no-max-subtraction": '''
def stable_softmax(z, dim=-1):
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)
''',
        "global-max": '''
def stable_softmax(z, dim=-1):
    e = torch.exp(z - z.max())
    return e / e.sum(dim=dim, keepdim=True)
''',
        "reference-call": '''
from helpers.kernels import softmax as _softmax

def stable_softmax(z, dim=-1):
    return _softmax(z, dim=dim)
''',
    },
    "ex-cross-entropy": {
        "sum-not-mean": '''
def cross_entropy_from_logits(logits, target):
    z = logits - logits.max(dim=1, keepdim=True).values
    logp = z - z.exp().sum(dim=1, keepdim=True).log()
    return -logp[torch.arange(len(target)), target].sum()
''',
        "log-of-softmax": '''
def cross_entropy_from_logits(logits, target):
    p = torch.exp(logits - logits.max(dim=1, keepdim=True).values)
    p = p / p.sum(dim=1, keepdim=True)
    return -torch.log(p[torch.arange(len(target)), target]).mean()
''',
        "library-call": '''
def cross_entropy_from_logits(logits, target):
    return F.cross_entropy(logits, target)
''',
    },
    "ex-information": {
        "log2": '''
def entropy(p):
    return -torch.xlogy(p, p).sum(-1) / math.log(2)

def cross_entropy(p, q):
    return -torch.xlogy(p, q).sum(-1) / math.log(2)

def kl_div(p, q):
    return (torch.xlogy(p, p) - torch.xlogy(p, q)).sum(-1) / math.log(2)
''',
        "kl-reversed": '''
def entropy(p):
    return -torch.xlogy(p, p).sum(-1)

def cross_entropy(p, q):
    return -torch.xlogy(p, q).sum(-1)

def kl_div(p, q):
    return (q * torch.log(q / p)).sum(-1)
''',
        "zero-log-zero": '''
def entropy(p):
    return -(p * torch.log(p)).sum(-1)

def cross_entropy(p, q):
    return -(p * torch.log(q)).sum(-1)

def kl_div(p, q):
    return (p * torch.log(p / q)).sum(-1)
''',
    },
    "ex-cross-entropy-grad": {
        "missing-1/N": '''
def cross_entropy_grad(logits, target):
    p = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    p = p / p.sum(dim=1, keepdim=True)
    return p - F.one_hot(target, logits.shape[1]).to(logits.dtype)
''',
        "onehot-minus-softmax": '''
def cross_entropy_grad(logits, target):
    p = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    p = p / p.sum(dim=1, keepdim=True)
    return (F.one_hot(target, logits.shape[1]).to(logits.dtype) - p) / len(target)
''',
        "forgot-onehot": '''
def cross_entropy_grad(logits, target):
    p = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    return p / p.sum(dim=1, keepdim=True) / len(target)
''',
        "true-class-only": '''
def cross_entropy_grad(logits, target):
    p = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    p = p / p.sum(dim=1, keepdim=True)
    grad = torch.zeros_like(logits)
    rows = torch.arange(len(target))
    grad[rows, target] = p[rows, target] - 1
    return grad / len(target)
''',
        "unstable-softmax": '''
def cross_entropy_grad(logits, target):
    p = torch.exp(logits) / torch.exp(logits).sum(dim=1, keepdim=True)
    return (p - F.one_hot(target, logits.shape[1]).to(logits.dtype)) / len(target)
''',
        "transposed": '''
def cross_entropy_grad(logits, target):
    p = torch.exp(logits - logits.amax(dim=1, keepdim=True))
    p = p / p.sum(dim=1, keepdim=True)
    return ((p - F.one_hot(target, logits.shape[1]).to(logits.dtype)) / len(target)).T
''',
        "autograd": '''
def cross_entropy_grad(logits, target):
    z = logits.detach().clone().requires_grad_(True)
    F.cross_entropy(z, target).backward()
    return z.grad
''',
        "float32-result": '''
def cross_entropy_grad(logits, target):
    z = logits.float()
    p = torch.exp(z - z.amax(dim=1, keepdim=True))
    p = p / p.sum(dim=1, keepdim=True)
    return (p - F.one_hot(target, z.shape[1]).float()) / len(target)
''',
    },
    "ex-gaussian-nll-grad": {
        "dmu-sign": '''
def gaussian_nll_grad(y, mu, sigma):
    return (y - mu) / sigma ** 2, 1 / sigma - (y - mu) ** 2 / sigma ** 3
''',
        "no-log-term": '''
def gaussian_nll_grad(y, mu, sigma):
    return (mu - y) / sigma ** 2, -(y - mu) ** 2 / sigma ** 3
''',
        "variance-derivative": '''
def gaussian_nll_grad(y, mu, sigma):
    return (mu - y) / sigma ** 2, 1 / (2 * sigma ** 2) - (y - mu) ** 2 / (2 * sigma ** 4)
''',
        "power-rule": '''
def gaussian_nll_grad(y, mu, sigma):
    return (mu - y) / sigma ** 2, 1 / sigma - (y - mu) ** 2 / (2 * sigma ** 3)
''',
        "swapped-order": '''
def gaussian_nll_grad(y, mu, sigma):
    return 1 / sigma - (y - mu) ** 2 / sigma ** 3, (mu - y) / sigma ** 2
''',
        "dmu-factor-2": '''
def gaussian_nll_grad(y, mu, sigma):
    return 2 * (mu - y) / sigma ** 2, 1 / sigma - (y - mu) ** 2 / sigma ** 3
''',
    },
    "ex-parameter-count": {
        "no-biases": '''
def mlp_parameter_count(layer_sizes):
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
''',
        "hard-coded": '''
def mlp_parameter_count(layer_sizes):
    return 13002
''',
        "input-biases": '''
def mlp_parameter_count(layer_sizes):
    return sum(a * b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])) + sum(layer_sizes)
''',
        "biases-of-n-in": '''
def mlp_parameter_count(layer_sizes):
    return sum(a * b + a for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
''',
        "n-in-plus-n-out": '''
def mlp_parameter_count(layer_sizes):
    return sum(a + b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:]))
''',
    },
    "ex-softmax-regression": {
        "hard-coded-sizes": '''
class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.linear = nn.Linear(784, 10)

    def forward(self, x):
        return self.linear(x.flatten(1))
''',
        "returns-log-softmax": '''
class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.linear = nn.Linear(n_inputs, n_classes)

    def forward(self, x):
        return torch.log_softmax(self.linear(x.flatten(1)), dim=1)
''',
        "reference-call": '''
from helpers.chapters.foundations.answers import softmax_regression as _ref

class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.inner = _ref(n_inputs, n_classes)

    def forward(self, x):
        return self.inner(x)
''',
        "returns-probabilities": '''
class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.linear = nn.Linear(n_inputs, n_classes)

    def forward(self, x):
        return torch.softmax(self.linear(x.flatten(1)), dim=1)
''',
        "no-bias": '''
class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.linear = nn.Linear(n_inputs, n_classes, bias=False)

    def forward(self, x):
        return self.linear(x.flatten(1))
''',
        "constant-prediction": '''
class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=784, n_classes=10):
        super().__init__()
        self.linear = nn.Linear(n_inputs, n_classes)

    def forward(self, x):
        return self.linear(x.flatten(1)) * 0 + self.linear.bias
''',
    },
}
