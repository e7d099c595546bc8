"""Chapter 07: mistakes of kinds the catalogues do not list (in place, dtypes, off-by-one, batch mixing...)."""

WRONG = {
    "ex-conv-sizes": {
        "off-by-one": '''
def conv_out_size(h, k, s=1, p=0, d=1):
    return (h + 2 * p - d * (k - 1)) // s + 1


def conv_param_count(c_in, c_out, k, bias=True):
    return (k * k * c_in + (1 if bias else 0)) * c_out
''',
        "tensor-count": '''
def conv_out_size(h, k, s=1, p=0, d=1):
    return (h + 2 * p - d * (k - 1) - 1) // s + 1


def conv_param_count(c_in, c_out, k, bias=True):
    return torch.tensor(float((k * k * c_in + (1 if bias else 0)) * c_out))
''',
    },
    "ex-conv2d-loops": {
        "float32-accumulator": '''
def conv2d_loops(x, w, b=None, stride=1, padding=0, dilation=1):
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    span = dilation * (k - 1) + 1
    h_out, w_out = (h + 2 * padding - span) // stride + 1, (wd + 2 * padding - span) // stride + 1
    xp = F.pad(x, (padding, padding, padding, padding))
    out = torch.zeros(n, o, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, :, i * stride:i * stride + span:dilation, j * stride:j * stride + span:dilation]
            out[:, :, i, j] = torch.einsum("ncuv,ocuv->no", patch, w)
    return out if b is None else out + b.view(1, o, 1, 1)
''',
        "channels-not-summed": '''
def conv2d_loops(x, w, b=None, stride=1, padding=0, dilation=1):
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    span = dilation * (k - 1) + 1
    h_out, w_out = (h + 2 * padding - span) // stride + 1, (wd + 2 * padding - span) // stride + 1
    xp = F.pad(x, (padding, padding, padding, padding))
    out = x.new_zeros(n, o, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, :1, i * stride:i * stride + span:dilation, j * stride:j * stride + span:dilation]
            out[:, :, i, j] = torch.einsum("ncuv,ocuv->no", patch, w[:, :1])
    return out if b is None else out + b.view(1, o, 1, 1)
''',
    },
    "ex-conv2d-im2col": {
        "pads-input-in-place": '''
def conv2d_im2col(x, w, b=None, stride=1, padding=0, dilation=1):
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    span = dilation * (k - 1) + 1
    h_out, w_out = (h + 2 * padding - span) // stride + 1, (wd + 2 * padding - span) // stride + 1
    x.sub_(0.0 * x.mean()).mul_(1.0 + 1e-3)
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    out = w.reshape(o, -1) @ cols
    if b is not None:
        out = out + b.view(1, o, 1)
    return out.reshape(n, o, h_out, w_out)
''',
        "batch-mixed-reshape": '''
def conv2d_im2col(x, w, b=None, stride=1, padding=0, dilation=1):
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    span = dilation * (k - 1) + 1
    h_out, w_out = (h + 2 * padding - span) // stride + 1, (wd + 2 * padding - span) // stride + 1
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    out = w.reshape(o, -1) @ cols
    if b is not None:
        out = out + b.view(1, o, 1)
    return out.transpose(0, 1).reshape(n, o, h_out, w_out)
''',
    },
    "ex-conv2d-backward": {
        "dx-ignores-overlaps": '''
def conv2d_backward(x, w, grad_out, stride=1, padding=0, dilation=1):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    g = grad_out.reshape(n, o, -1)
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    dcols = w.reshape(o, -1).T @ g
    ones = F.fold(torch.ones_like(dcols), (h, wd), k, dilation=dilation, padding=padding, stride=stride)
    dx = F.fold(dcols, (h, wd), k, dilation=dilation, padding=padding, stride=stride) / ones.clamp(min=1)
    dw = (g @ cols.transpose(1, 2)).sum(dim=0).reshape(w.shape)
    return dx, dw, grad_out.sum(dim=(0, 2, 3))
''',
        "dw-channels-swapped": '''
def conv2d_backward(x, w, grad_out, stride=1, padding=0, dilation=1):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    g = grad_out.reshape(n, o, -1)
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    dcols = w.reshape(o, -1).T @ g
    dx = F.fold(dcols, (h, wd), k, dilation=dilation, padding=padding, stride=stride)
    dw = (g @ cols.transpose(1, 2)).sum(dim=0).reshape(o, k, k, c).permute(0, 3, 1, 2)
    return dx, dw, grad_out.sum(dim=(0, 2, 3))
''',
    },
    "ex-maxpool": {
        "window-off-by-one": '''
def maxpool2d(x, k, s):
    return x.unfold(2, k, s).unfold(3, k, s).amax(dim=(-1, -2))


def maxpool2d_backward(x, grad_out, k, s):
    dx = torch.zeros_like(x)
    for i in range(grad_out.shape[-2]):
        for j in range(grad_out.shape[-1]):
            win = x[:, :, i * s:i * s + k - 1, j * s:j * s + k - 1]
            mask = (win == win.amax(dim=(-1, -2), keepdim=True)).to(x.dtype)
            dx[:, :, i * s:i * s + k - 1, j * s:j * s + k - 1] += mask * grad_out[:, :, i:i + 1, j:j + 1]
    return dx
''',
        "grad-out-modified": '''
def maxpool2d(x, k, s):
    return x.unfold(2, k, s).unfold(3, k, s).amax(dim=(-1, -2))


def maxpool2d_backward(x, grad_out, k, s):
    dx = torch.zeros_like(x)
    for i in range(grad_out.shape[-2]):
        for j in range(grad_out.shape[-1]):
            win = x[:, :, i * s:i * s + k, j * s:j * s + k]
            mask = (win == win.amax(dim=(-1, -2), keepdim=True)).to(x.dtype)
            dx[:, :, i * s:i * s + k, j * s:j * s + k] += mask * grad_out[:, :, i:i + 1, j:j + 1]
            grad_out[:, :, i, j] = 0
    return dx
''',
    },
    "ex-receptive-field": {
        "strides-summed": '''
def receptive_field(layers):
    r, j = 1, 0
    for layer in layers:
        k, s = layer[0], layer[1]
        d = layer[2] if len(layer) > 2 else 1
        r = r + d * (k - 1) * max(j, 1)
        j = j + s
    return r, j
''',
        "last-layer-only-jump": '''
def receptive_field(layers):
    r = 1
    for layer in layers:
        k, s = layer[0], layer[1]
        d = layer[2] if len(layer) > 2 else 1
        r = r + d * (k - 1)
    return r * layers[-1][1], layers[-1][1]
''',
    },
    "ex-residual-block": {
        "bn-reused": '''
class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if stride == 1 and c_in == c_out:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = torch.relu(self.bn2(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))
''',
        "shortcut-from-hidden": '''
class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if stride == 1 and c_in == c_out:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + h)
''',
    },
}
