"""Chapter 09's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

_MHA_HEAD = '''
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, x_q, x_kv, mask=None):
        b, lq, d_model = x_q.shape
'''

_SHIFT_HEAD = '''
def pe_shift_matrix(k, d, dtype=torch.float32):
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    c, s = torch.cos(omega * k), torch.sin(omega * k)
    m = torch.zeros(d, d, dtype=torch.float64)
    i = torch.arange(0, d, 2)
'''

_BACKWARD_HEAD = '''
def attention_backward(scores, v, grad_out):
    a = torch.softmax(scores, dim=-1)
    da = grad_out @ v.transpose(-2, -1)
'''

WRONG = {
    "ex-attention": {
        "no-scale": '''
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
''',
        "softmax-over-queries": '''
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-2)
    return weights @ v, weights
''',
        "mask-zero": '''
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores * mask
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
''',
        "mask-inverted": '''
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
''',
        "uses-sdpa": '''
def attention(q, k, v, mask=None):
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    return out, torch.softmax(scores, dim=-1)
''',
    },
    "ex-mha": {
        "scale-d-model": _MHA_HEAD + '''
        split = lambda x: x.view(b, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)
        q, k, v = split(self.q_proj(x_q)), split(self.k_proj(x_kv)), split(self.v_proj(x_kv))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d_model)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, lq, d_model)), weights
''',
        "heads-split-wrong": _MHA_HEAD + '''
        split = lambda x: x.reshape(b, self.n_heads, x.shape[1], self.d_head)
        q, k, v = split(self.q_proj(x_q)), split(self.k_proj(x_kv)), split(self.v_proj(x_kv))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj((weights @ v).reshape(b, lq, d_model)), weights
''',
        "no-out-proj": _MHA_HEAD + '''
        split = lambda x: x.view(b, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)
        q, k, v = split(self.q_proj(x_q)), split(self.k_proj(x_kv)), split(self.v_proj(x_kv))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return (weights @ v).transpose(1, 2).reshape(b, lq, d_model), weights
''',
        "keys-from-queries": _MHA_HEAD + '''
        split = lambda x: x.view(b, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)
        q, k, v = split(self.q_proj(x_q)), split(self.k_proj(x_q)), split(self.v_proj(x_q))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, lq, d_model)), weights
''',
        "wraps-torch": '''
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.inner = nn.MultiheadAttention(d_model, n_heads, batch_first=True)

    def forward(self, x_q, x_kv, mask=None):
        return self.inner(x_q, x_kv, x_kv, attn_mask=None if mask is None else ~mask, average_attn_weights=False)
''',
    },
    "ex-sinusoidal-pe": {
        "sin-cos-swapped": '''
def sinusoidal_pe(T, d, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.cos(t * omega), torch.sin(t * omega)
    return pe.to(dtype)
''',
        "exponent-i": '''
def sinusoidal_pe(T, d, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    omega = 10000.0 ** (-torch.arange(d // 2, dtype=torch.float64) / d)
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(t * omega), torch.cos(t * omega)
    return pe.to(dtype)
''',
        "halves": '''
def sinusoidal_pe(T, d, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    return torch.cat([torch.sin(t * omega), torch.cos(t * omega)], dim=1).to(dtype)
''',
        "float32-always": '''
def sinusoidal_pe(T, d, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float32)[:, None]
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)
    pe = torch.zeros(T, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(t * omega), torch.cos(t * omega)
    return pe
''',
    },
    "ex-pe-shift": {
        "rotation-backwards": _SHIFT_HEAD + '''
    m[i, i], m[i, i + 1] = c, -s
    m[i + 1, i], m[i + 1, i + 1] = s, c
    return m.to(dtype)
''',
        "diagonal-only": _SHIFT_HEAD + '''
    m[i, i], m[i + 1, i + 1] = c, c
    return m.to(dtype)
''',
        "exponent-i": '''
def pe_shift_matrix(k, d, dtype=torch.float32):
    omega = 10000.0 ** (-torch.arange(d // 2, dtype=torch.float64) / d)
    c, s = torch.cos(omega * k), torch.sin(omega * k)
    m = torch.zeros(d, d, dtype=torch.float64)
    i = torch.arange(0, d, 2)
    m[i, i], m[i, i + 1] = c, s
    m[i + 1, i], m[i + 1, i + 1] = -s, c
    return m.to(dtype)
''',
        "both-minus": _SHIFT_HEAD + '''
    m[i, i], m[i, i + 1] = c, -s
    m[i + 1, i], m[i + 1, i + 1] = -s, c
    return m.to(dtype)
''',
    },
    "ex-attention-backward": {
        "no-correction": _BACKWARD_HEAD + '''
    return a * da, a.transpose(-2, -1) @ grad_out
''',
        "sigmoid-jacobian": _BACKWARD_HEAD + '''
    return a * (1 - a) * da, a.transpose(-2, -1) @ grad_out
''',
        "dv-not-transposed": _BACKWARD_HEAD + '''
    ds = a * (da - (a * da).sum(dim=-1, keepdim=True))
    return ds, a @ grad_out
''',
        "correction-wrong-axis": _BACKWARD_HEAD + '''
    ds = a * (da - (a * da).sum(dim=-2, keepdim=True))
    return ds, a.transpose(-2, -1) @ grad_out
''',
        "plus-sign": _BACKWARD_HEAD + '''
    ds = a * (da + (a * da).sum(dim=-1, keepdim=True))
    return ds, a.transpose(-2, -1) @ grad_out
''',
    },
    "ex-beam-search": {
        "greedy": '''
def beam_search(step_logprobs, bos, k, steps):
    prefix, score = (bos,), 0.0
    for _ in range(steps):
        logp = step_logprobs(prefix)
        token = int(logp.argmax())
        prefix, score = prefix + (token,), score + float(logp[token])
    return prefix[1:], score
''',
        "last-step-score": '''
def beam_search(step_logprobs, bos, k, steps):
    beams = [((bos,), 0.0, 0.0)]
    for _ in range(steps):
        cands = [(p + (t,), s + lp, lp) for p, s, _ in beams for t, lp in enumerate(step_logprobs(p).tolist())]
        beams = sorted(cands, key=lambda c: -c[2])[:k]
    return beams[0][0][1:], beams[0][1]
''',
        "with-bos": '''
def beam_search(step_logprobs, bos, k, steps):
    beams = [((bos,), 0.0)]
    for _ in range(steps):
        cands = [(p + (t,), s + lp) for p, s in beams for t, lp in enumerate(step_logprobs(p).tolist())]
        beams = sorted(cands, key=lambda c: -c[1])[:k]
    return beams[0]
''',
        "k-per-beam": '''
def beam_search(step_logprobs, bos, k, steps):
    beams = [((bos,), 0.0)]
    for _ in range(steps):
        new = []
        for p, s in beams:
            logp = step_logprobs(p)
            top = torch.topk(logp, 1)
            new += [(p + (int(t),), s + float(lp)) for lp, t in zip(top.values, top.indices)]
        beams = sorted(new, key=lambda c: -c[1])[:k]
    return beams[0][0][1:], beams[0][1]
''',
        "probability-product-float32": '''
def beam_search(step_logprobs, bos, k, steps):
    beams = [((bos,), 1.0)]
    for _ in range(steps):
        cands = [(p + (t,), s * pr) for p, s in beams for t, pr in enumerate(step_logprobs(p).exp().float().tolist())]
        beams = sorted(cands, key=lambda c: -c[1])[:k]
    return beams[0][0][1:], math.log(beams[0][1]) if beams[0][1] > 0 else -math.inf
''',
    },
}

_BLOCK_HEAD = '''
class TransformerBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = answers.MultiHeadAttention(d_model, n_heads)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        attend = lambda h: self.self_attn(h, h, mask)[0]
        ff = lambda h: self.linear2(torch.relu(self.linear1(h)))
'''

WRONG["ex-block"] = {
    "always-post-norm": _BLOCK_HEAD + '''
        x = self.norm1(x + attend(x))
        return self.norm2(x + ff(x))
''',
    "pre-norm-no-residual-ff": _BLOCK_HEAD + '''
        if self.norm_first:
            x = x + attend(self.norm1(x))
            return ff(self.norm2(x))
        x = self.norm1(x + attend(x))
        return self.norm2(x + ff(x))
''',
    "norm-after-residual-only-once": _BLOCK_HEAD + '''
        if self.norm_first:
            x = x + attend(self.norm1(x))
            return x + ff(self.norm1(x))
        x = self.norm1(x + attend(x))
        return self.norm1(x + ff(x))
''',
    "no-relu": '''
class TransformerBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = answers.MultiHeadAttention(d_model, n_heads)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        attend = lambda h: self.self_attn(h, h, mask)[0]
        ff = lambda h: self.linear2(self.linear1(h))
        if self.norm_first:
            x = x + attend(self.norm1(x))
            return x + ff(self.norm2(x))
        x = self.norm1(x + attend(x))
        return self.norm2(x + ff(x))
''',
}


# Added in review (2026-12-02): plausible mistakes the first list did not have; several get hints
# only since the review (mask inverted in MHA and the block, worst-kept and k-greedy beams, exponent 4i, scale-dv).
_REVIEW = {
    'ex-attention': {
        'scale-dv': '''
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(v.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    w = torch.softmax(scores, dim=-1)
    return w @ v, w
''',
        'causal-hardcoded': '''
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        L = scores.shape[-1]
        scores = scores.masked_fill(~torch.ones(scores.shape[-2], L, dtype=torch.bool).tril(), float("-inf"))
    w = torch.softmax(scores, dim=-1)
    return w @ v, w
''',
        'softmax-dim1': '''
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    w = torch.softmax(scores, dim=1)
    return w @ v, w
''',
    },
    'ex-mha': {
        'merge-no-transpose': '''
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, x_q, x_kv, mask=None):
        b, lq, d_model = x_q.shape

        split = lambda x: x.view(b, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)
        q, k, v = split(self.q_proj(x_q)), split(self.k_proj(x_kv)), split(self.v_proj(x_kv))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj((weights @ v).reshape(b, lq, d_model)), weights
''',
        'kv-swapped': '''
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, x_q, x_kv, mask=None):
        b, lq, d_model = x_q.shape

        split = lambda x: x.view(b, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)
        q, k, v = split(self.q_proj(x_q)), split(self.v_proj(x_kv)), split(self.k_proj(x_kv))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, lq, d_model)), weights
''',
        'mask-torch-convention': '''
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def forward(self, x_q, x_kv, mask=None):
        b, lq, d_model = x_q.shape

        split = lambda x: x.view(b, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)
        q, k, v = split(self.q_proj(x_q)), split(self.k_proj(x_kv)), split(self.v_proj(x_kv))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.d_head)
        if mask is not None:
            scores = scores.masked_fill(mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, lq, d_model)), weights
''',
    },
    'ex-sinusoidal-pe': {
        'exponent-4i': '''
def sinusoidal_pe(T, d, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    i = torch.arange(0, d, 2, dtype=torch.float64)
    omega = 1 / 10000.0 ** (2 * i / d)
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(t * omega), torch.cos(t * omega)
    return pe.to(dtype)
''',
    },
    'ex-pe-shift': {
        'per-pair-freq-index-i': '''
def pe_shift_matrix(k, d, dtype=torch.float32):
    m = torch.zeros(d, d, dtype=torch.float64)
    for i in range(0, d, 2):
        w = 1 / 10000 ** (2 * i / d)
        c, s = math.cos(w * k), math.sin(w * k)
        m[i, i], m[i, i + 1], m[i + 1, i], m[i + 1, i + 1] = c, s, -s, c
    return m.to(dtype)
''',
        'no-omega': '''
def pe_shift_matrix(k, d, dtype=torch.float32):
    m = torch.zeros(d, d, dtype=torch.float64)
    i = torch.arange(0, d, 2)
    c, s = math.cos(k), math.sin(k)
    m[i, i], m[i, i + 1], m[i + 1, i], m[i + 1, i + 1] = c, s, -s, c
    return m.to(dtype)
''',
    },
    'ex-attention-backward': {
        'correction-unweighted': '''
def attention_backward(scores, v, grad_out):
    a = torch.softmax(scores, dim=-1)
    da = grad_out @ v.transpose(-2, -1)
    return a * (da - da.sum(dim=-1, keepdim=True)), a.transpose(-2, -1) @ grad_out
''',
        'float64-always': '''
def attention_backward(scores, v, grad_out):
    s, v, g = scores.double(), v.double(), grad_out.double()
    a = torch.softmax(s, dim=-1)
    da = g @ v.transpose(-2, -1)
    return a * (da - (a * da).sum(dim=-1, keepdim=True)), a.transpose(-2, -1) @ g
''',
    },
    'ex-block': {
        'pre-norm-residual-from-normed': '''
class TransformerBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = answers.MultiHeadAttention(d_model, n_heads)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        attend = lambda h: self.self_attn(h, h, mask)[0]
        ff = lambda h: self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            h = self.norm1(x)
            x = h + attend(h)
            h = self.norm2(x)
            return h + ff(h)
        x = self.norm1(x + attend(x))
        return self.norm2(x + ff(x))
''',
        'pre-norm-final-norm-inside': '''
class TransformerBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = answers.MultiHeadAttention(d_model, n_heads)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        attend = lambda h: self.self_attn(h, h, mask)[0]
        ff = lambda h: self.linear2(torch.relu(self.linear1(h)))

        if self.norm_first:
            x = x + attend(self.norm1(x))
            x = x + ff(self.norm2(x))
            return self.norm2(x)
        x = self.norm1(x + attend(x))
        return self.norm2(x + ff(x))
''',
        'mask-inverted-torch-convention': '''
class TransformerBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = answers.MultiHeadAttention(d_model, n_heads)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        m = None if mask is None else ~mask
        attend = lambda h: self.self_attn(h, h, m)[0]
        ff = lambda h: self.linear2(torch.relu(self.linear1(h)))
        if self.norm_first:
            x = x + attend(self.norm1(x))
            return x + ff(self.norm2(x))
        x = self.norm1(x + attend(x))
        return self.norm2(x + ff(x))
''',
    },
    'ex-beam-search': {
        'ascending-slice-returns-worst': '''
def beam_search(step_logprobs, bos, k, steps):
    beams = [((bos,), 0.0)]
    for _ in range(steps):
        cands = [(p + (t,), s + lp) for p, s in beams for t, lp in enumerate(step_logprobs(p).tolist())]
        beams = sorted(cands, key=lambda c: c[1])[-k:]
    return beams[0][0][1:], beams[0][1]
''',
        'topk-first-token-only': '''
def beam_search(step_logprobs, bos, k, steps):
    first = step_logprobs((bos,))
    top = torch.topk(first, min(k, first.numel()))
    beams = [((bos, int(t)), float(lp)) for lp, t in zip(top.values, top.indices)]
    for _ in range(steps - 1):
        new = []
        for p, s in beams:
            lp = step_logprobs(p)
            t = int(lp.argmax())
            new.append((p + (t,), s + float(lp[t])))
        beams = new
    best = max(beams, key=lambda c: c[1])
    return best[0][1:], best[1]
''',
        'steps-plus-one': '''
def beam_search(step_logprobs, bos, k, steps):
    beams = [((bos,), 0.0)]
    for _ in range(steps + 1):
        cands = [(p + (t,), s + lp) for p, s in beams for t, lp in enumerate(step_logprobs(p).tolist())]
        beams = sorted(cands, key=lambda c: -c[1])[:k]
    return beams[0][0][1:], beams[0][1]
''',
    },
}
for _cell, _answers in _REVIEW.items():
    assert not set(_answers) & set(WRONG[_cell]), _cell
    WRONG[_cell].update(_answers)
