"""Chapter 09: mistakes of kinds the catalogues do not list (in place, dtypes, off-by-one, averaged heads...)."""

WRONG = {
    "ex-attention": {
        "scales-q-in-place": '''
def attention(q, k, v, mask=None):
    q /= math.sqrt(q.shape[-1])
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
''',
        "float32-weights": '''
def attention(q, k, v, mask=None):
    scores = (q @ k.transpose(-2, -1)).float() / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights.to(v.dtype) @ v, weights
''',
        "mask-transposed": '''
def attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask.transpose(-2, -1), float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
''',
    },
    "ex-mha": {
        "averaged-weights": '''
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
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, lq, d_model)), weights.mean(dim=1)
''',
        "no-bias-layers": '''
class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, n_heads):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_model // n_heads
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model, bias=False), nn.Linear(d_model, d_model, bias=False)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model, bias=False), nn.Linear(d_model, d_model, bias=False)

    def forward(self, x_q, x_kv, mask=None):
        b, lq, d_model = x_q.shape
        split = lambda x: x.view(b, x.shape[1], self.n_heads, self.d_head).transpose(1, 2)
        q, k, v = split(self.q_proj(x_q)), split(self.k_proj(x_kv)), split(self.v_proj(x_kv))
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(self.d_head), dim=-1)
        return self.out_proj((weights @ v).transpose(1, 2).reshape(b, lq, d_model)), weights
''',
    },
    "ex-sinusoidal-pe": {
        "one-row-short": '''
def sinusoidal_pe(T, d, dtype=torch.float32):
    t = torch.arange(1, T, dtype=torch.float64)[:, None]
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[1:, 0::2], pe[1:, 1::2] = torch.sin(t * omega), torch.cos(t * omega)
    return pe.to(dtype)
''',
        "base-1000": '''
def sinusoidal_pe(T, d, dtype=torch.float32):
    t = torch.arange(T, dtype=torch.float64)[:, None]
    omega = 1000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    pe = torch.zeros(T, d, dtype=torch.float64)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(t * omega), torch.cos(t * omega)
    return pe.to(dtype)
''',
    },
    "ex-pe-shift": {
        "shift-by-k-plus-1": '''
def pe_shift_matrix(k, d, dtype=torch.float32):
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    c, s = torch.cos(omega * (k + 1)), torch.sin(omega * (k + 1))
    m = torch.zeros(d, d, dtype=torch.float64)
    i = torch.arange(0, d, 2)
    m[i, i], m[i, i + 1], m[i + 1, i], m[i + 1, i + 1] = c, s, -s, c
    return m.to(dtype)
''',
        "always-float64": '''
def pe_shift_matrix(k, d, dtype=torch.float32):
    omega = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    c, s = torch.cos(omega * k), torch.sin(omega * k)
    m = torch.zeros(d, d, dtype=torch.float64)
    i = torch.arange(0, d, 2)
    m[i, i], m[i, i + 1], m[i + 1, i], m[i + 1, i + 1] = c, s, -s, c
    return m
''',
    },
    "ex-attention-backward": {
        "unstable-softmax": '''
def attention_backward(scores, v, grad_out):
    e = scores.exp()
    a = e / e.sum(dim=-1, keepdim=True)
    da = grad_out @ v.transpose(-2, -1)
    return a * (da - (a * da).sum(dim=-1, keepdim=True)), a.transpose(-2, -1) @ grad_out
''',
        "batch-mixed": '''
def attention_backward(scores, v, grad_out):
    a = torch.softmax(scores, dim=-1)
    da = grad_out @ v.transpose(-2, -1)
    ds = a * (da - (a * da).sum(dim=-1, keepdim=True))
    dv = (a.transpose(-2, -1) @ grad_out).mean(dim=0, keepdim=True).expand_as(v) * (v.shape[0] if v.dim() > 2 else 1)
    return ds, dv
''',
    },
    "ex-beam-search": {
        "tensor-tokens": '''
def beam_search(step_logprobs, bos, k, steps):
    beams = [((bos,), 0.0)]
    for _ in range(steps):
        cands = [(p + (t,), s + lp) for p, s in beams for t, lp in enumerate(step_logprobs(p).tolist())]
        beams = sorted(cands, key=lambda c: -c[1])[:k]
    return torch.tensor(beams[0][0][1:], dtype=torch.float32), beams[0][1]
''',
        "one-step-short": '''
def beam_search(step_logprobs, bos, k, steps):
    beams = [((bos,), 0.0)]
    for _ in range(steps - 1):
        cands = [(p + (t,), s + lp) for p, s in beams for t, lp in enumerate(step_logprobs(p).tolist())]
        beams = sorted(cands, key=lambda c: -c[1])[:k]
    return beams[0][0][1:], beams[0][1]
''',
    },
}

WRONG["ex-block"] = {
    "mask-dropped": '''
class TransformerBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = answers.MultiHeadAttention(d_model, n_heads)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        attend = lambda h: self.self_attn(h, h)[0]
        ff = lambda h: self.linear2(torch.relu(self.linear1(h)))
        if self.norm_first:
            x = x + attend(self.norm1(x))
            return x + ff(self.norm2(x))
        x = self.norm1(x + attend(x))
        return self.norm2(x + ff(x))
''',
    "returns-weights-too": '''
class TransformerBlock(nn.Module):
    def __init__(self, d_model, n_heads, d_ff, norm_first=False):
        super().__init__()
        self.self_attn = answers.MultiHeadAttention(d_model, n_heads)
        self.linear1, self.linear2 = nn.Linear(d_model, d_ff), nn.Linear(d_ff, d_model)
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.norm_first = norm_first

    def forward(self, x, mask=None):
        a, w = self.self_attn(x, x, mask)
        x = self.norm1(x + a)
        return self.norm2(x + self.linear2(torch.relu(self.linear1(x)))), w
''',
}
