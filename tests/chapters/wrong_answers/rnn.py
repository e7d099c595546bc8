"""Chapter 08's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

WRONG = {
    "ex-rnn-forward": {
        "w-hh-transposed": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, out = h0, []
    for x_t in x:
        h = torch.tanh(x_t @ W_ih.T + b_ih + h @ W_hh + b_hh)
        out.append(h)
    return torch.stack(out), h
''',
        "one-bias": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, out = h0, []
    for x_t in x:
        h = torch.tanh(x_t @ W_ih.T + h @ W_hh.T + b_ih)
        out.append(h)
    return torch.stack(out), h
''',
        "starts-from-zero": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, out = torch.zeros_like(h0), []
    for x_t in x:
        h = torch.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        out.append(h)
    return torch.stack(out), h
''',
        "out-includes-h0": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, out = h0, [h0]
    for x_t in x[:-1]:
        h = torch.tanh(x_t @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        out.append(h)
    return torch.stack(out), h
''',
    },
    "ex-rnn-backward": {
        "no-carry": '''
def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    states = [h0]
    for x_t in x:
        states.append(torch.tanh(x_t @ W_ih.T + b_ih + states[-1] @ W_hh.T + b_hh))
    out, prev = torch.stack(states[1:]), torch.stack(states[:-1])
    da = grad_out * (1 - out ** 2)
    dx = da @ W_ih
    dW_ih = torch.einsum("tbh,tbi->hi", da, x)
    dW_hh = torch.einsum("tbh,tbk->hk", da, prev)
    return dx, da[0] @ W_hh, dW_ih, dW_hh, da.sum(dim=(0, 1))
''',
        "dw-hh-current-state": '''
def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    states = [h0]
    for x_t in x:
        states.append(torch.tanh(x_t @ W_ih.T + b_ih + states[-1] @ W_hh.T + b_hh))
    out = torch.stack(states[1:])
    dx = torch.zeros_like(x)
    dW_ih, dW_hh, db = torch.zeros_like(W_ih), torch.zeros_like(W_hh), torch.zeros_like(b_ih)
    dh_next = torch.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        da = (grad_out[t] + dh_next) * (1 - out[t] ** 2)
        dW_ih = dW_ih + da.T @ x[t]
        dW_hh = dW_hh + da.T @ out[t]
        db = db + da.sum(dim=0)
        dx[t] = da @ W_ih
        dh_next = da @ W_hh
    return dx, dh_next, dW_ih, dW_hh, db
''',
        "carry-transposed": '''
def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    states = [h0]
    for x_t in x:
        states.append(torch.tanh(x_t @ W_ih.T + b_ih + states[-1] @ W_hh.T + b_hh))
    out, prev = torch.stack(states[1:]), torch.stack(states[:-1])
    dx = torch.zeros_like(x)
    dW_ih, dW_hh, db = torch.zeros_like(W_ih), torch.zeros_like(W_hh), torch.zeros_like(b_ih)
    dh_next = torch.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        da = (grad_out[t] + dh_next) * (1 - out[t] ** 2)
        dW_ih = dW_ih + da.T @ x[t]
        dW_hh = dW_hh + da.T @ prev[t]
        db = db + da.sum(dim=0)
        dx[t] = da @ W_ih
        dh_next = da @ W_hh.T
    return dx, dh_next, dW_ih, dW_hh, db
''',
        "no-tanh-derivative": '''
def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    states = [h0]
    for x_t in x:
        states.append(torch.tanh(x_t @ W_ih.T + b_ih + states[-1] @ W_hh.T + b_hh))
    out, prev = torch.stack(states[1:]), torch.stack(states[:-1])
    dx = torch.zeros_like(x)
    dW_ih, dW_hh, db = torch.zeros_like(W_ih), torch.zeros_like(W_hh), torch.zeros_like(b_ih)
    dh_next = torch.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        da = grad_out[t] + dh_next
        dW_ih = dW_ih + da.T @ x[t]
        dW_hh = dW_hh + da.T @ prev[t]
        db = db + da.sum(dim=0)
        dx[t] = da @ W_ih
        dh_next = da @ W_hh
    return dx, dh_next, dW_ih, dW_hh, db
''',
        "db-mean-over-batch": '''
def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    states = [h0]
    for x_t in x:
        states.append(torch.tanh(x_t @ W_ih.T + b_ih + states[-1] @ W_hh.T + b_hh))
    out, prev = torch.stack(states[1:]), torch.stack(states[:-1])
    dx = torch.zeros_like(x)
    dW_ih, dW_hh, db = torch.zeros_like(W_ih), torch.zeros_like(W_hh), torch.zeros_like(b_ih)
    dh_next = torch.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        da = (grad_out[t] + dh_next) * (1 - out[t] ** 2)
        dW_ih = dW_ih + da.T @ x[t]
        dW_hh = dW_hh + da.T @ prev[t]
        db = db + da.mean(dim=0)
        dx[t] = da @ W_ih
        dh_next = da @ W_hh
    return dx, dh_next, dW_ih, dW_hh, db
''',
        "overwrites-shared-gradient": '''
def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    states = [h0]
    for x_t in x:
        states.append(torch.tanh(x_t @ W_ih.T + b_ih + states[-1] @ W_hh.T + b_hh))
    out, prev = torch.stack(states[1:]), torch.stack(states[:-1])
    dx = torch.zeros_like(x)
    dh_next = torch.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        da = (grad_out[t] + dh_next) * (1 - out[t] ** 2)
        dW_ih = da.T @ x[t]
        dW_hh = da.T @ prev[t]
        db = da.sum(dim=0)
        dx[t] = da @ W_ih
        dh_next = da @ W_hh
    return dx, dh_next, dW_ih, dW_hh, db
''',
        "carry-skips-tanh-derivative": '''
def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    states = [h0]
    for x_t in x:
        states.append(torch.tanh(x_t @ W_ih.T + b_ih + states[-1] @ W_hh.T + b_hh))
    out, prev = torch.stack(states[1:]), torch.stack(states[:-1])
    dx = torch.zeros_like(x)
    dW_ih, dW_hh, db = torch.zeros_like(W_ih), torch.zeros_like(W_hh), torch.zeros_like(b_ih)
    dh_next = torch.zeros_like(h0)
    for t in reversed(range(x.shape[0])):
        da = grad_out[t] * (1 - out[t] ** 2) + dh_next
        dW_ih = dW_ih + da.T @ x[t]
        dW_hh = dW_hh + da.T @ prev[t]
        db = db + da.sum(dim=0)
        dx[t] = da @ W_ih
        dh_next = da @ W_hh
    return dx, dh_next, dW_ih, dW_hh, db
''',
    },
    "ex-jacobians": {
        "w-transposed": '''
def jacobians_through_time(hs, W_hh):
    T, H = hs.shape[0] - 1, hs.shape[1]
    J = [torch.eye(H, dtype=hs.dtype)]
    for k in reversed(range(T)):
        J.append(J[-1] @ ((1 - hs[k + 1] ** 2)[:, None] * W_hh.T))
    return torch.stack(J[::-1])
''',
        "derivative-at-h-k": '''
def jacobians_through_time(hs, W_hh):
    T, H = hs.shape[0] - 1, hs.shape[1]
    J = [torch.eye(H, dtype=hs.dtype)]
    for k in reversed(range(T)):
        J.append(J[-1] @ ((1 - hs[k] ** 2)[:, None] * W_hh))
    return torch.stack(J[::-1])
''',
        "product-reversed": '''
def jacobians_through_time(hs, W_hh):
    T, H = hs.shape[0] - 1, hs.shape[1]
    J = [torch.eye(H, dtype=hs.dtype)]
    for k in reversed(range(T)):
        J.append(((1 - hs[k + 1] ** 2)[:, None] * W_hh) @ J[-1])
    return torch.stack(J[::-1])
''',
        "diag-on-columns": '''
def jacobians_through_time(hs, W_hh):
    T, H = hs.shape[0] - 1, hs.shape[1]
    J = [torch.eye(H, dtype=hs.dtype)]
    for k in reversed(range(T)):
        J.append(J[-1] @ (W_hh * (1 - hs[k + 1] ** 2)[None, :]))
    return torch.stack(J[::-1])
''',
    },
    "ex-lstm-cell": {
        "gate-order-ifog": '''
def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, o, g = a.chunk(4, dim=1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new
''',
        "no-tanh-on-c": '''
def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = a.chunk(4, dim=1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * c_new, c_new
''',
        "forget-and-input-swapped": '''
def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    f, i, g, o = a.chunk(4, dim=1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c_new), c_new
''',
        "candidate-sigmoid": '''
def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = torch.sigmoid(a).chunk(4, dim=1)
    c_new = f * c + i * g
    return o * torch.tanh(c_new), c_new
''',
    },
    "ex-gru-cell": {
        "cho-reset": '''
def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, _ = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + (r * h) @ W_hh[2 * H:].T + b_hh[2 * H:])
    return (1 - z) * n + z * h
''',
        "z-weights-new": '''
def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return z * n + (1 - z) * h
''',
        "gate-order-zrn": '''
def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    i_z, i_r, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_z, h_r, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h
''',
        "b-hn-outside-reset": '''
def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    H = h.shape[1]
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, _ = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(i_n + r * (h @ W_hh[2 * H:].T) + b_hh[2 * H:])
    return (1 - z) * n + z * h
''',
    },
    "ex-sampling-probs": {
        "times-temperature": '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    z = logits * temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    e = (z - z.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
''',
        "no-renormalise": '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    z = logits / temperature
    e = (z - z.max(dim=-1, keepdim=True).values).exp()
    p = e / e.sum(dim=-1, keepdim=True)
    if top_k is not None and top_k < z.shape[-1]:
        kth = p.topk(top_k, dim=-1).values[..., -1:]
        p = p * (p >= kth)
    return p
''',
        "naive-exp": '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    e = z.exp()
    return e / e.sum(dim=-1, keepdim=True)
''',
        "masked-with-zero": '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, 0.0)
    e = (z - z.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
''',
        "top-k-above-vocabulary-crashes": '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    z = logits / temperature
    if top_k is not None:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    e = (z - z.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
''',
        "k-plus-one": '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        kth = z.sort(dim=-1, descending=True).values[..., top_k:top_k + 1]
        z = z.masked_fill(z < kth, float("-inf"))
    e = (z - z.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
''',
    },
    "ex-tbptt": {
        "interleaved-streams": '''
def tbptt_batches(ids, batch_size, seq_len):
    M = (len(ids) - 1) // batch_size
    S = M // seq_len
    x = ids[:batch_size * M].view(M, batch_size).T[:, :S * seq_len]
    y = ids[1:batch_size * M + 1].view(M, batch_size).T[:, :S * seq_len]
    return x.reshape(batch_size, S, seq_len).transpose(0, 1), y.reshape(batch_size, S, seq_len).transpose(0, 1)
''',
        "targets-not-shifted": '''
def tbptt_batches(ids, batch_size, seq_len):
    M = (len(ids) - 1) // batch_size
    S = M // seq_len
    x = ids[:batch_size * M].view(batch_size, M)[:, :S * seq_len]
    return x.reshape(batch_size, S, seq_len).transpose(0, 1), x.reshape(batch_size, S, seq_len).transpose(0, 1)
''',
        "windows-side-by-side": '''
def tbptt_batches(ids, batch_size, seq_len):
    M = (len(ids) - 1) // batch_size
    S = M // seq_len
    n = S * batch_size * seq_len
    return ids[:n].view(S, batch_size, seq_len), ids[1:n + 1].view(S, batch_size, seq_len)
''',
    },
}
