"""Chapter 08: mistakes of the kinds the catalogues do not list (in place, dtypes, batch mixing, off-by-ones...)."""

WRONG = {
    "ex-rnn-forward": {
        "float32-inside": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, out = h0.float(), []
    for x_t in x:
        h = torch.tanh(x_t.float() @ W_ih.float().T + b_ih.float() + h @ W_hh.float().T + b_hh.float())
        out.append(h)
    return torch.stack(out), h
''',
        "last-step-skipped": '''
def rnn_forward(x, h0, W_ih, W_hh, b_ih, b_hh):
    h, out = h0, []
    for t in range(x.shape[0]):
        h_new = torch.tanh(x[t] @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
        out.append(h_new)
        if t < x.shape[0] - 1:
            h = h_new
    return torch.stack(out), h
''',
    },
    "ex-rnn-backward": {
        "dh0-forgotten": '''
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
        dh_next = da @ W_hh
    return dx, torch.zeros_like(h0), dW_ih, dW_hh, db
''',
        "grad-out-in-place": '''
def rnn_backward(x, h0, W_ih, W_hh, b_ih, b_hh, grad_out):
    states = [h0]
    for x_t in x:
        states.append(torch.tanh(x_t @ W_ih.T + b_ih + states[-1] @ W_hh.T + b_hh))
    out, prev = torch.stack(states[1:]), torch.stack(states[:-1])
    dx = torch.zeros_like(x)
    dW_ih, dW_hh, db = torch.zeros_like(W_ih), torch.zeros_like(W_hh), torch.zeros_like(b_ih)
    for t in reversed(range(x.shape[0])):
        da = grad_out[t] * (1 - out[t] ** 2)
        dW_ih = dW_ih + da.T @ x[t]
        dW_hh = dW_hh + da.T @ prev[t]
        db = db + da.sum(dim=0)
        dx[t] = da @ W_ih
        if t > 0:
            grad_out[t - 1] += da @ W_hh
    return dx, da @ W_hh, dW_ih, dW_hh, db
''',
    },
    "ex-jacobians": {
        "no-identity-at-T": '''
def jacobians_through_time(hs, W_hh):
    T, H = hs.shape[0] - 1, hs.shape[1]
    J = [(1 - hs[T] ** 2)[:, None] * W_hh]
    for k in reversed(range(T - 1)):
        J.append(J[-1] @ ((1 - hs[k + 1] ** 2)[:, None] * W_hh))
    return torch.stack(J[::-1])
''',
        "float32-product": '''
def jacobians_through_time(hs, W_hh):
    T, H = hs.shape[0] - 1, hs.shape[1]
    J = [torch.eye(H)]
    for k in reversed(range(T)):
        J.append(J[-1] @ ((1 - hs[k + 1].float() ** 2)[:, None] * W_hh.float()))
    return torch.stack(J[::-1])
''',
    },
    "ex-lstm-cell": {
        "c-updated-in-place": '''
def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = a.chunk(4, dim=1)
    c *= torch.sigmoid(f)
    c += torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c
''',
        "h-and-c-swapped": '''
def lstm_cell(x, h, c, W_ih, W_hh, b_ih, b_hh):
    a = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = a.chunk(4, dim=1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return c_new, torch.sigmoid(o) * torch.tanh(c_new)
''',
    },
    "ex-gru-cell": {
        "reset-on-input-too": '''
def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
    n = torch.tanh(r * (i_n + h_n))
    return (1 - z) * n + z * h
''',
        "batch-mean-gate": '''
def gru_cell(x, h, W_ih, W_hh, b_ih, b_hh):
    i_r, i_z, i_n = (x @ W_ih.T + b_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, dim=1)
    r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z).mean(dim=0, keepdim=True)
    n = torch.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h
''',
    },
    "ex-sampling-probs": {
        "normalised-over-batch": '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    e = (z - z.max()).exp()
    return e / e.sum(dim=-1, keepdim=True)
''',
        "log-probabilities": '''
def sampling_probs(logits, temperature=1.0, top_k=None):
    z = logits / temperature
    if top_k is not None and top_k < z.shape[-1]:
        kth = z.topk(top_k, dim=-1).values[..., -1:]
        z = z.masked_fill(z < kth, float("-inf"))
    return z - torch.logsumexp(z, dim=-1, keepdim=True)
''',
    },
    "ex-tbptt": {
        "float-ids": '''
def tbptt_batches(ids, batch_size, seq_len):
    M = (len(ids) - 1) // batch_size
    S = M // seq_len
    x = ids[:batch_size * M].view(batch_size, M)[:, :S * seq_len].float()
    y = ids[1:batch_size * M + 1].view(batch_size, M)[:, :S * seq_len].float()
    return x.reshape(batch_size, S, seq_len).transpose(0, 1), y.reshape(batch_size, S, seq_len).transpose(0, 1)
''',
        "stream-length-off-by-one": '''
def tbptt_batches(ids, batch_size, seq_len):
    M = len(ids) // batch_size
    S = M // seq_len
    x = ids[:batch_size * M].view(batch_size, M)[:, :S * seq_len]
    y = torch.cat([ids[1:batch_size * M], ids[:1]]).view(batch_size, M)[:, :S * seq_len]
    return x.reshape(batch_size, S, seq_len).transpose(0, 1), y.reshape(batch_size, S, seq_len).transpose(0, 1)
''',
    },
}
