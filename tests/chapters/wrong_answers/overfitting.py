"""Chapter 04's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

_CV_OK = '''

def cross_val_score(score, n, k, seed=0):
    return sum(float(score(tr, va)) for tr, va in kfold_indices(n, k, seed)) / k
'''

_KFOLD_OK = '''
def kfold_indices(n, k, seed=0):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    folds = list(torch.tensor_split(perm, k))
    out = []
    for j, va in enumerate(folds):
        tr = torch.cat([f for i, f in enumerate(folds) if i != j])
        out.append((tr, va))
    return out
'''

_DECAY_OK = '''

def equivalent_weight_decay(l2):
    return 2 * l2
'''

_GRAD_OK = '''
def penalty_grad(w, l1, l2):
    return l1 * torch.sign(w) + 2 * l2 * w
'''

_LAMBDA_OK = '''
def prior_lambda(sigma):
    return 1 / (2 * sigma ** 2)
'''

_MAP_OK = '''

def map_linear_regression(X, y, sigma, noise_std=1.0):
    A = X.T @ X + noise_std ** 2 / sigma ** 2 * torch.eye(X.shape[1], dtype=X.dtype)
    return torch.linalg.solve(A, X.T @ y)
'''


def _map(lam_expr: str) -> str:
    return _LAMBDA_OK + f'''

def map_linear_regression(X, y, sigma, noise_std=1.0):
    lam = {lam_expr}
    A = X.T @ X + lam * torch.eye(X.shape[1], dtype=X.dtype)
    return torch.linalg.solve(A, X.T @ y)
'''


def _stopper(step_body: str, save: str = "copy.deepcopy(model.state_dict())", restore: str =
             "model.load_state_dict(self.best_state)") -> str:
    return f'''
class EarlyStopping:
    def __init__(self, patience=5, min_delta=0.0):
        self.patience, self.min_delta = patience, min_delta
        self.best_loss = float("inf")
        self.prev = float("inf")
        self.best_state = None
        self.bad_checks = 0

    def save(self, model):
        self.best_state = {save}

    def step(self, val_loss, model):
{step_body}

    def restore(self, model):
        {restore}
'''


_STEP_OK = '''        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.bad_checks = val_loss, 0
            self.save(model)
        else:
            self.bad_checks += 1
        return self.bad_checks >= self.patience'''

WRONG = {
    "ex-kfold": {
        "remainder-dropped": '''
def kfold_indices(n, k, seed=0):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    size = n // k
    out = []
    for j in range(k):
        va = perm[j * size:(j + 1) * size]
        tr = torch.cat([perm[:j * size], perm[(j + 1) * size:]])
        out.append((tr, va))
    return out
''' + _CV_OK,
        "remainder-in-last-fold": '''
def kfold_indices(n, k, seed=0):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    size = n // k
    out = []
    for j in range(k):
        end = n if j == k - 1 else (j + 1) * size
        va = perm[j * size:end]
        tr = torch.cat([perm[:j * size], perm[end:]])
        out.append((tr, va))
    return out
''' + _CV_OK,
        "not-shuffled": '''
def kfold_indices(n, k, seed=0):
    folds = list(torch.tensor_split(torch.arange(n), k))
    return [(torch.cat([f for i, f in enumerate(folds) if i != j]), va) for j, va in enumerate(folds)]
''' + _CV_OK,
        "train-is-everything": '''
def kfold_indices(n, k, seed=0):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return [(torch.arange(n), va) for va in torch.tensor_split(perm, k)]
''' + _CV_OK,
        "global-generator": '''
def kfold_indices(n, k, seed=0):
    perm = torch.randperm(n)
    folds = list(torch.tensor_split(perm, k))
    return [(torch.cat([f for i, f in enumerate(folds) if i != j]), va) for j, va in enumerate(folds)]
''' + _CV_OK,
        "seed-ignored": '''
def kfold_indices(n, k, seed=0):
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(0))
    folds = list(torch.tensor_split(perm, k))
    return [(torch.cat([f for i, f in enumerate(folds) if i != j]), va) for j, va in enumerate(folds)]
''' + _CV_OK,
        "cv-sum": _KFOLD_OK + '''

def cross_val_score(score, n, k, seed=0):
    return sum(float(score(tr, va)) for tr, va in kfold_indices(n, k, seed))
''',
        "cv-size-weighted": _KFOLD_OK + '''

def cross_val_score(score, n, k, seed=0):
    return sum(float(score(tr, va)) * len(va) for tr, va in kfold_indices(n, k, seed)) / n
''',
    },
    "ex-penalty": {
        "no-2": '''
def penalty_grad(w, l1, l2):
    return l1 * torch.sign(w) + l2 * w
''' + _DECAY_OK,
        "norm-not-squared": '''
def penalty_grad(w, l1, l2):
    return l1 * torch.sign(w) + l2 * w / w.norm()
''' + _DECAY_OK,
        "l1-as-w": '''
def penalty_grad(w, l1, l2):
    return l1 * w + 2 * l2 * w
''' + _DECAY_OK,
        "sign-at-zero-one": '''
def penalty_grad(w, l1, l2):
    return l1 * torch.where(w >= 0, 1.0, -1.0) + 2 * l2 * w
''' + _DECAY_OK,
        "decay-equals-l2": _GRAD_OK + '''

def equivalent_weight_decay(l2):
    return l2
''',
        "decay-half": _GRAD_OK + '''

def equivalent_weight_decay(l2):
    return l2 / 2
''',
        "autograd": '''
def penalty_grad(w, l1, l2):
    w = w.detach().clone().requires_grad_(True)
    (l1 * w.abs().sum() + l2 * (w ** 2).sum()).backward()
    return w.grad
''' + _DECAY_OK,
    },
    "ex-map": {
        "seed-lambda": '''
def prior_lambda(sigma):
    return sigma ** 2 / 2
''' + _MAP_OK,
        "lambda-no-2": '''
def prior_lambda(sigma):
    return 1 / sigma ** 2
''' + _MAP_OK,
        "lambda-one-over-sigma": '''
def prior_lambda(sigma):
    return 1 / sigma
''' + _MAP_OK,
        "lambda-quarter": '''
def prior_lambda(sigma):
    return 1 / (4 * sigma ** 2)
''' + _MAP_OK,
        "ridge-with-nll-lambda": _map("noise_std ** 2 / (2 * sigma ** 2)"),
        "ratio-inverted": _map("sigma ** 2 / noise_std ** 2"),
        "noise-ignored": _map("1 / sigma ** 2"),
        "least-squares": _LAMBDA_OK + '''

def map_linear_regression(X, y, sigma, noise_std=1.0):
    return torch.linalg.lstsq(X, y.unsqueeze(1)).solution.squeeze(1)
''',
    },
    "ex-dropout": {
        "no-rescale": '''
def inverted_dropout(x, p, training=True, generator=None):
    if not training:
        return x
    u = torch.rand(x.shape, generator=generator)
    return x * (u >= p).to(x.dtype)
''',
        "classic-scale-in-training": '''
def inverted_dropout(x, p, training=True, generator=None):
    if not training:
        return x
    u = torch.rand(x.shape, generator=generator)
    return x * (u >= p).to(x.dtype) * (1 - p)
''',
        "keep-probability-p": '''
def inverted_dropout(x, p, training=True, generator=None):
    if not training:
        return x
    u = torch.rand(x.shape, generator=generator)
    return x * (u < p).to(x.dtype) / (1 - p)
''',
        "keep-p-divide-p": '''
def inverted_dropout(x, p, training=True, generator=None):
    if not training:
        return x
    u = torch.rand(x.shape, generator=generator)
    return x * (u < p).to(x.dtype) / p
''',
        "scaled-in-eval": '''
def inverted_dropout(x, p, training=True, generator=None):
    if not training:
        return x * (1 - p)
    u = torch.rand(x.shape, generator=generator)
    return x * (u >= p).to(x.dtype) / (1 - p)
''',
        "one-mask-per-batch": '''
def inverted_dropout(x, p, training=True, generator=None):
    if not training:
        return x
    u = torch.rand(x.shape[1:], generator=generator)
    return x * (u >= p).to(x.dtype) / (1 - p)
''',
        "library": '''
def inverted_dropout(x, p, training=True, generator=None):
    return F.dropout(x, p, training)
''',
    },
    "ex-early-stopping": {
        "no-copy": _stopper(_STEP_OK, save="model.state_dict()"),
        "no-reset": _stopper('''        if val_loss < self.best_loss - self.min_delta:
            self.best_loss = val_loss
            self.save(model)
        else:
            self.bad_checks += 1
        return self.bad_checks >= self.patience'''),
        "vs-previous": _stopper('''        if val_loss < self.prev - self.min_delta:
            self.best_loss, self.bad_checks = min(self.best_loss, val_loss), 0
            self.save(model)
        else:
            self.bad_checks += 1
        self.prev = val_loss
        return self.bad_checks >= self.patience'''),
        "ties-improve": _stopper('''        if val_loss <= self.best_loss - self.min_delta:
            self.best_loss, self.bad_checks = val_loss, 0
            self.save(model)
        else:
            self.bad_checks += 1
        return self.bad_checks >= self.patience'''),
        "stops-late": _stopper(_STEP_OK.replace(">= self.patience", "> self.patience")),
        "min-delta-ignored": _stopper(_STEP_OK.replace("self.best_loss - self.min_delta", "self.best_loss")),
        "no-restore": _stopper(_STEP_OK, restore="pass"),
        "relative-min-delta": _stopper(_STEP_OK.replace("self.best_loss - self.min_delta",
                                                        "self.best_loss * (1 - self.min_delta)")),
        "saves-within-min-delta": _stopper('''        if val_loss < self.best_loss - self.min_delta:
            self.best_loss, self.bad_checks = val_loss, 0
            self.save(model)
        else:
            if val_loss < self.best_loss:
                self.best_loss = val_loss
                self.save(model)
            self.bad_checks += 1
        return self.bad_checks >= self.patience'''),
    },
    "ex-ensemble": {
        "average-logits": '''
def ensemble_probs(logits):
    return torch.softmax(logits.mean(dim=0), dim=-1)
''',
        "wrong-axis": '''
def ensemble_probs(logits):
    return torch.softmax(logits, dim=-1).mean(dim=1)
''',
        "softmax-over-models": '''
def ensemble_probs(logits):
    return torch.softmax(logits, dim=0).mean(dim=0)
''',
        "sum-over-models": '''
def ensemble_probs(logits):
    return torch.softmax(logits, dim=-1).sum(dim=0)
''',
        "softmax-over-examples": '''
def ensemble_probs(logits):
    return torch.softmax(logits, dim=1).mean(dim=0)
''',
        "majority-vote": '''
def ensemble_probs(logits):
    votes = F.one_hot(logits.argmax(dim=-1), logits.shape[-1]).to(logits.dtype)
    return votes.mean(dim=0)
''',
    },
}
