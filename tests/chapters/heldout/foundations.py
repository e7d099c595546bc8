"""Chapter 01: mistakes of the kinds the catalogues do not list (in place, dtype, form, axis...)."""

WRONG = {
    "ex-sigmoid": {
        "in-place-clamp": '''
def stable_sigmoid(x):
    x.clamp_(-700, 700)
    return 1 / (1 + torch.exp(-x))
''',
        "float64-result": '''
def stable_sigmoid(x):
    x = x.double()
    return torch.where(x >= 0, 1 / (1 + torch.exp(-x.abs())), torch.exp(-x.abs()) / (1 + torch.exp(-x.abs())))
''',
        "tanh-identity-wrong-scale": '''
def stable_sigmoid(x):
    return 0.5 * (1 + torch.tanh(x))
''',
    },
    "ex-softmax": {
        "in-place-shift": '''
def stable_softmax(z, dim=-1):
    z -= z.max(dim=dim, keepdim=True).values
    e = torch.exp(z)
    return e / e.sum(dim=dim, keepdim=True)
''',
        "ignores-dim": '''
def stable_softmax(z, dim=-1):
    e = torch.exp(z - z.max(dim=-1, keepdim=True).values)
    return e / e.sum(dim=-1, keepdim=True)
''',
        "log-softmax-returned": '''
def stable_softmax(z, dim=-1):
    s = z - z.max(dim=dim, keepdim=True).values
    return s - torch.log(torch.exp(s).sum(dim=dim, keepdim=True))
''',
        "float32-inside": '''
def stable_softmax(z, dim=-1):
    e = torch.exp((z - z.max(dim=dim, keepdim=True).values).float())
    return (e / e.sum(dim=dim, keepdim=True)).to(z.dtype)
''',
        "min-instead-of-max": '''
def stable_softmax(z, dim=-1):
    e = torch.exp(z - z.min(dim=dim, keepdim=True).values)
    return e / e.sum(dim=dim, keepdim=True)
''',
    },
    "ex-cross-entropy": {
        "sum-over-batch": '''
def cross_entropy_from_logits(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return (lse - logits[torch.arange(len(target)), target]).sum()
''',
        "log2": '''
def cross_entropy_from_logits(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + torch.log2(torch.exp(logits - m).sum(dim=1))
    return (lse - logits[torch.arange(len(target)), target]).mean()
''',
        "per-example": '''
def cross_entropy_from_logits(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    lse = m.squeeze(1) + torch.log(torch.exp(logits - m).sum(dim=1))
    return lse - logits[torch.arange(len(target)), target]
''',
        "target-in-place": '''
def cross_entropy_from_logits(logits, target):
    m = logits.max(dim=1, keepdim=True).values
    logits -= m
    lse = torch.log(torch.exp(logits).sum(dim=1))
    return (lse - logits[torch.arange(len(target)), target]).mean()
''',
    },
    "ex-information": {
        "kl-reversed": '''
def entropy(p):
    return -(torch.where(p > 0, p * torch.log(p), torch.zeros_like(p))).sum(dim=-1)

def cross_entropy(p, q):
    return -(torch.where(p > 0, p * torch.log(q), torch.zeros_like(p))).sum(dim=-1)

def kl_div(p, q):
    return cross_entropy(q, p) - entropy(q)
''',
        "entropy-bits": '''
def entropy(p):
    return -(torch.where(p > 0, p * torch.log2(p), torch.zeros_like(p))).sum(dim=-1)

def cross_entropy(p, q):
    return -(torch.where(p > 0, p * torch.log(q), torch.zeros_like(p))).sum(dim=-1)

def kl_div(p, q):
    return cross_entropy(p, q) + (torch.where(p > 0, p * torch.log(p), torch.zeros_like(p))).sum(dim=-1)
''',
    },
    "ex-cross-entropy-grad": {
        "softmax-over-batch": '''
def cross_entropy_grad(logits, target):
    p = torch.softmax(logits, dim=0)
    p = p - torch.nn.functional.one_hot(target, logits.shape[1]).to(logits.dtype)
    return p / logits.shape[0]
''',
        "shifts-logits-in-place": '''
def cross_entropy_grad(logits, target):
    logits -= logits.max(dim=1, keepdim=True).values
    p = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    p[torch.arange(len(target)), target] -= 1
    return p / len(target)
''',
        "log-softmax-minus-onehot": '''
def cross_entropy_grad(logits, target):
    p = torch.log_softmax(logits, dim=1)
    p[torch.arange(len(target)), target] -= 1
    return p / len(target)
''',
        "float32-result": '''
def cross_entropy_grad(logits, target):
    p = torch.softmax(logits.float(), dim=1)
    p[torch.arange(len(target)), target] -= 1
    return p / len(target)
''',
    },
    "ex-gaussian-nll-grad": {
        "averaged": '''
def gaussian_nll_grad(y, mu, sigma):
    return ((mu - y) / sigma ** 2).mean(), (1 / sigma - (y - mu) ** 2 / sigma ** 3).mean()
''',
        "sigma-square-not-cube": '''
def gaussian_nll_grad(y, mu, sigma):
    return (mu - y) / sigma ** 2, 1 / sigma - (y - mu) ** 2 / sigma ** 2
''',
        "stacked": '''
def gaussian_nll_grad(y, mu, sigma):
    return torch.stack([(mu - y) / sigma ** 2, 1 / sigma - (y - mu) ** 2 / sigma ** 3])
''',
    },
    "ex-parameter-count": {
        "off-by-one-layers": '''
def mlp_parameter_count(layer_sizes):
    return sum(a * b + b for a, b in zip(layer_sizes[:-2], layer_sizes[1:-1]))
''',
        "float-count": '''
def mlp_parameter_count(layer_sizes):
    return float(sum(a * b + b for a, b in zip(layer_sizes[:-1], layer_sizes[1:])))
''',
    },
    "ex-softmax-regression": {
        "ignores-arguments": '''
class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=28 * 28, n_classes=10):
        super().__init__()
        self.linear = nn.Linear(28 * 28, 10)

    def forward(self, x):
        return self.linear(x.flatten(1))
''',
        "returns-probabilities": '''
class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=28 * 28, n_classes=10):
        super().__init__()
        self.linear = nn.Linear(n_inputs, n_classes)

    def forward(self, x):
        return torch.softmax(self.linear(x.flatten(1)), dim=1)
''',
        "no-bias": '''
class SoftmaxRegression(nn.Module):
    def __init__(self, n_inputs=28 * 28, n_classes=10):
        super().__init__()
        self.linear = nn.Linear(n_inputs, n_classes, bias=False)

    def forward(self, x):
        return self.linear(x.flatten(1))
''',
    },
}
