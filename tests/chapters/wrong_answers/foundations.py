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
    "ex-gaussian-nll": {
        "no-log-sigma": '''
def gaussian_nll(y, mu, sigma):
    return 0.5 * ((y - mu) / sigma) ** 2 + 0.5 * math.log(2 * math.pi)
''',
        "sigma-as-variance": '''
def gaussian_nll(y, mu, sigma):
    return 0.5 * (y - mu) ** 2 / sigma + 0.5 * torch.log(sigma) + 0.5 * math.log(2 * math.pi)
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
    },
    "ex-softmax-regression": {
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
