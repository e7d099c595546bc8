"""Chapter 04: mistakes of the kinds the catalogues do not list (types, in place, dtypes, overlaps...)."""

_CV_OK = '''

def cross_val_score(score, n, k, seed=0):
    return sum(float(score(tr, va)) for tr, va in kfold_indices(n, k, seed)) / k
'''

_DECAY_OK = '''

def equivalent_weight_decay(l2):
    return 2 * l2
'''

_LAMBDA_OK = '''
def prior_lambda(sigma):
    return 1 / (2 * sigma ** 2)
'''

WRONG = {
    "ex-kfold": {
        "python-lists": '''
def kfold_indices(n, k, seed=0):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    folds = [perm[j::k] for j in range(k)]
    return [([i for i in perm if i not in f], f) for f in folds]
''' + _CV_OK,
        "overlapping-slices": '''
def kfold_indices(n, k, seed=0):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    size = -(-n // k)
    out = []
    for j in range(k):
        va = perm[j * size:(j + 1) * size + 1]
        keep = torch.ones(n, dtype=torch.bool)
        keep[va] = False
        out.append((torch.arange(n)[keep], va))
    return out
''' + _CV_OK,
    },
    "ex-penalty": {
        "abs-ratio": '''
def penalty_grad(w, l1, l2):
    return l1 * w / w.abs() + 2 * l2 * w
''' + _DECAY_OK,
        "in-place-sign": '''
def penalty_grad(w, l1, l2):
    g = 2 * l2 * w
    return g + l1 * w.sign_()
''' + _DECAY_OK,
        "float64-sign": '''
def penalty_grad(w, l1, l2):
    return l1 * torch.sign(w).double() + 2 * l2 * w
''' + _DECAY_OK,
    },
    "ex-map": {
        "lambda-on-every-entry": _LAMBDA_OK + '''

def map_linear_regression(X, y, sigma, noise_std=1.0):
    A = X.T @ X + noise_std ** 2 / sigma ** 2
    return torch.linalg.solve(A, X.T @ y)
''',
        "float32-eye": _LAMBDA_OK + '''

def map_linear_regression(X, y, sigma, noise_std=1.0):
    A = X.T @ X + noise_std ** 2 / sigma ** 2 * torch.eye(X.shape[1])
    return torch.linalg.inv(A.float()) @ (X.T @ y).float()
''',
    },
    "ex-dropout": {
        "keep-p-scale-1/p": '''
def inverted_dropout(x, p, training=True, generator=None):
    if not training:
        return x
    keep = torch.rand(x.shape, generator=generator) < p
    return x * keep.to(x.dtype) / p
''',
        "in-place-mask": '''
def inverted_dropout(x, p, training=True, generator=None):
    if not training:
        return x
    keep = (torch.rand(x.shape, generator=generator) >= p).to(x.dtype)
    x *= keep / (1 - p)
    return x
''',
    },
    "ex-early-stopping": {
        "saves-every-check": '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss, self.bad_checks, self.best_state = float("inf"), 0, None

    def step(self, val_loss, model):
        self.best_state = copy.deepcopy(model.state_dict())
        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.bad_checks = val_loss, 0
        else:
            self.bad_checks += 1
        return self.bad_checks >= self.patience

    def restore(self, model):
        model.load_state_dict(self.best_state)
''',
        "counts-total-bad": '''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.history, self.best_state = [], None

    def step(self, val_loss, model):
        if not self.history or val_loss < min(self.history) - self.min_delta:
            self.best_state = copy.deepcopy(model.state_dict())
        self.history.append(val_loss)
        worse = sum(1 for a, b in zip(self.history, self.history[1:]) if b >= a)
        return worse >= self.patience

    def restore(self, model):
        model.load_state_dict(self.best_state)
''',
    },
    "ex-ensemble": {
        "median": '''
def ensemble_probs(logits):
    return torch.softmax(logits, dim=-1).median(dim=0).values
''',
        "geometric-mean": '''
def ensemble_probs(logits):
    return torch.softmax(torch.log_softmax(logits, dim=-1).mean(dim=0), dim=-1)
''',
    },
}
