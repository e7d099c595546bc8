"""Chapter 07's wrong answers: {solution cell grade_id: {name: code}} (see __init__.py)."""

_PARAMS_OK = '''

def conv_param_count(c_in, c_out, k, bias=True):
    return (k * k * c_in + (1 if bias else 0)) * c_out
'''
_SIZE_OK = '''
def conv_out_size(h, k, s=1, p=0, d=1):
    return (h + 2 * p - d * (k - 1) - 1) // s + 1
'''

_LOOPS_HEAD = '''
def conv2d_loops(x, w, b=None, stride=1, padding=0, dilation=1):
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    span = dilation * (k - 1) + 1
    h_out, w_out = (h + 2 * padding - span) // stride + 1, (wd + 2 * padding - span) // stride + 1
    xp = F.pad(x, (padding, padding, padding, padding))
    out = x.new_zeros(n, o, h_out, w_out)
'''

_IM2COL_HEAD = '''
def conv2d_im2col(x, w, b=None, stride=1, padding=0, dilation=1):
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    span = dilation * (k - 1) + 1
    h_out, w_out = (h + 2 * padding - span) // stride + 1, (wd + 2 * padding - span) // stride + 1
'''

_BACKWARD_HEAD = '''
def conv2d_backward(x, w, grad_out, stride=1, padding=0, dilation=1):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    g = grad_out.reshape(n, o, -1)
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    dcols = w.reshape(o, -1).T @ g
    dx = F.fold(dcols, (h, wd), k, dilation=dilation, padding=padding, stride=stride)
    dw = (g @ cols.transpose(1, 2)).sum(dim=0).reshape(w.shape)
'''

_POOL_OK = '''
def maxpool2d(x, k, s):
    return x.unfold(2, k, s).unfold(3, k, s).amax(dim=(-1, -2))
'''

WRONG = {
    "ex-conv-sizes": {
        "no-padding": '''
def conv_out_size(h, k, s=1, p=0, d=1):
    return (h - d * (k - 1) - 1) // s + 1
''' + _PARAMS_OK,
        "true-division": '''
def conv_out_size(h, k, s=1, p=0, d=1):
    return (h + 2 * p - d * (k - 1) - 1) / s + 1
''' + _PARAMS_OK,
        "no-dilation": '''
def conv_out_size(h, k, s=1, p=0, d=1):
    return (h + 2 * p - k) // s + 1
''' + _PARAMS_OK,
        "dilation-times-k": '''
def conv_out_size(h, k, s=1, p=0, d=1):
    return (h + 2 * p - d * k) // s + 1
''' + _PARAMS_OK,
        "seed-bias-formula": _SIZE_OK + '''

def conv_param_count(c_in, c_out, k, bias=True):
    return k * (k + 1) * c_in * c_out if bias else k * k * c_in * c_out
''',
        "bias-as-channel": _SIZE_OK + '''

def conv_param_count(c_in, c_out, k, bias=True):
    return k * k * (c_in + 1) * c_out if bias else k * k * c_in * c_out
''',
        "bias-flag-ignored": _SIZE_OK + '''

def conv_param_count(c_in, c_out, k, bias=True):
    return (k * k * c_in + 1) * c_out
''',
        "reference-call": '''
from helpers.chapters.cnn.answers import conv_out_size, conv_param_count
''',
    },
    "ex-conv2d-loops": {
        "flipped-kernel": _LOOPS_HEAD + '''
    wf = w.flip(-1, -2)
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, :, i * stride:i * stride + span:dilation, j * stride:j * stride + span:dilation]
            out[:, :, i, j] = torch.einsum("ncuv,ocuv->no", patch, wf)
    return out if b is None else out + b.view(1, o, 1, 1)
''',
        "no-bias": _LOOPS_HEAD + '''
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, :, i * stride:i * stride + span:dilation, j * stride:j * stride + span:dilation]
            out[:, :, i, j] = torch.einsum("ncuv,ocuv->no", patch, w)
    return out
''',
        "stride-dilation-swapped": _LOOPS_HEAD.replace(
            "span = dilation * (k - 1) + 1", "stride, dilation = dilation, stride\n    span = dilation * (k - 1) + 1") + '''
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, :, i * stride:i * stride + span:dilation, j * stride:j * stride + span:dilation]
            out[:, :, i, j] = torch.einsum("ncuv,ocuv->no", patch, w)
    return out if b is None else out + b.view(1, o, 1, 1)
''',
        "dilation-ignored": _LOOPS_HEAD + '''
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, :, i * stride:i * stride + k, j * stride:j * stride + k]
            out[:, :, i, j] = torch.einsum("ncuv,ocuv->no", patch, w)
    return out if b is None else out + b.view(1, o, 1, 1)
''',
        "kernel-transposed": _LOOPS_HEAD + '''
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, :, i * stride:i * stride + span:dilation, j * stride:j * stride + span:dilation]
            out[:, :, i, j] = torch.einsum("ncuv,ocvu->no", patch, w)
    return out if b is None else out + b.view(1, o, 1, 1)
''',
        "library-call": '''
def conv2d_loops(x, w, b=None, stride=1, padding=0, dilation=1):
    return F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
''',
    },
    "ex-conv2d-im2col": {
        "flipped-kernel": _IM2COL_HEAD + '''
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    out = w.flip(-1, -2).reshape(o, -1) @ cols
    if b is not None:
        out = out + b.view(1, o, 1)
    return out.reshape(n, o, h_out, w_out)
''',
        "no-bias": _IM2COL_HEAD + '''
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    return (w.reshape(o, -1) @ cols).reshape(n, o, h_out, w_out)
''',
        "padding-ignored": _IM2COL_HEAD + '''
    cols = F.unfold(x, k, dilation=dilation, stride=stride)
    out = w.reshape(o, -1) @ cols
    if b is not None:
        out = out + b.view(1, o, 1)
    return out.reshape(n, o, (h - span) // stride + 1, (wd - span) // stride + 1)
''',
        "kernel-transposed": _IM2COL_HEAD + '''
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    out = w.transpose(-1, -2).reshape(o, -1) @ cols
    if b is not None:
        out = out + b.view(1, o, 1)
    return out.reshape(n, o, h_out, w_out)
''',
        "dilation-ignored": '''
def conv2d_im2col(x, w, b=None, stride=1, padding=0, dilation=1):
    n, _, h, wd = x.shape
    o, _, k, _ = w.shape
    h_out, w_out = (h + 2 * padding - k) // stride + 1, (wd + 2 * padding - k) // stride + 1
    cols = F.unfold(x, k, padding=padding, stride=stride)
    out = w.reshape(o, -1) @ cols
    if b is not None:
        out = out + b.view(1, o, 1)
    return out.reshape(n, o, h_out, w_out)
''',
        "library-call": '''
def conv2d_im2col(x, w, b=None, stride=1, padding=0, dilation=1):
    return torch.conv2d(x, w, b, stride, padding, dilation)
''',
    },
    "ex-conv2d-backward": {
        "db-mean": _BACKWARD_HEAD + '''
    return dx, dw, grad_out.mean(dim=(0, 2, 3))
''',
        "db-batch-only": _BACKWARD_HEAD + '''
    return dx, dw, grad_out.sum(dim=0)
''',
        "dw-averaged-over-batch": _BACKWARD_HEAD + '''
    return dx, dw / n, grad_out.sum(dim=(0, 2, 3))
''',
        "dw-flipped": _BACKWARD_HEAD + '''
    return dx, dw.flip(-1, -2), grad_out.sum(dim=(0, 2, 3))
''',
        "dx-with-unflipped-kernel": '''
def conv2d_backward(x, w, grad_out, stride=1, padding=0, dilation=1):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    g = grad_out.reshape(n, o, -1)
    cols = F.unfold(x, k, dilation=dilation, padding=padding, stride=stride)
    dcols = w.flip(-1, -2).reshape(o, -1).T @ g
    dx = F.fold(dcols, (h, wd), k, dilation=dilation, padding=padding, stride=stride)
    dw = (g @ cols.transpose(1, 2)).sum(dim=0).reshape(w.shape)
    return dx, dw, grad_out.sum(dim=(0, 2, 3))
''',
        "dilation-ignored": '''
def conv2d_backward(x, w, grad_out, stride=1, padding=0, dilation=1):
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    g = grad_out.reshape(n, o, -1)
    cols = F.unfold(x, k, padding=padding, stride=stride)
    dcols = w.reshape(o, -1).T @ g
    dx = F.fold(dcols, (h, wd), k, padding=padding, stride=stride)
    dw = (g @ cols.transpose(1, 2)).sum(dim=0).reshape(w.shape)
    return dx, dw, grad_out.sum(dim=(0, 2, 3))
''',
        "autograd": '''
def conv2d_backward(x, w, grad_out, stride=1, padding=0, dilation=1):
    x = x.detach().requires_grad_(True)
    w = w.detach().requires_grad_(True)
    b = torch.zeros(w.shape[0], dtype=x.dtype, requires_grad=True)
    F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation).backward(grad_out)
    return x.grad, w.grad, b.grad
''',
    },
    "ex-maxpool": {
        "average-pooling": '''
def maxpool2d(x, k, s):
    return x.unfold(2, k, s).unfold(3, k, s).mean(dim=(-1, -2))


def maxpool2d_backward(x, grad_out, k, s):
    n, c, h, wd = x.shape
    ho, wo = grad_out.shape[-2:]
    dx = torch.zeros_like(x)
    for i in range(ho):
        for j in range(wo):
            dx[:, :, i * s:i * s + k, j * s:j * s + k] += grad_out[:, :, i:i + 1, j:j + 1] / (k * k)
    return dx
''',
        "spread-evenly": _POOL_OK + '''

def maxpool2d_backward(x, grad_out, k, s):
    dx = torch.zeros_like(x)
    for i in range(grad_out.shape[-2]):
        for j in range(grad_out.shape[-1]):
            dx[:, :, i * s:i * s + k, j * s:j * s + k] += grad_out[:, :, i:i + 1, j:j + 1] / (k * k)
    return dx
''',
        "overwrite-on-overlap": _POOL_OK + '''

def maxpool2d_backward(x, grad_out, k, s):
    dx = torch.zeros_like(x)
    for i in range(grad_out.shape[-2]):
        for j in range(grad_out.shape[-1]):
            win = x[:, :, i * s:i * s + k, j * s:j * s + k]
            mask = win == win.amax(dim=(-1, -2), keepdim=True)
            region = dx[:, :, i * s:i * s + k, j * s:j * s + k]
            region[mask] = (grad_out[:, :, i:i + 1, j:j + 1] * mask)[mask]
    return dx
''',
        "ones-at-the-max": _POOL_OK + '''

def maxpool2d_backward(x, grad_out, k, s):
    dx = torch.zeros_like(x)
    for i in range(grad_out.shape[-2]):
        for j in range(grad_out.shape[-1]):
            win = x[:, :, i * s:i * s + k, j * s:j * s + k]
            dx[:, :, i * s:i * s + k, j * s:j * s + k] += (win == win.amax(dim=(-1, -2), keepdim=True)).to(x.dtype)
    return dx
''',
        "stride-ignored": '''
def maxpool2d(x, k, s):
    return x.unfold(2, k, k).unfold(3, k, k).amax(dim=(-1, -2))


def maxpool2d_backward(x, grad_out, k, s):
    dx = torch.zeros_like(x)
    for i in range(grad_out.shape[-2]):
        for j in range(grad_out.shape[-1]):
            win = x[:, :, i * k:i * k + k, j * k:j * k + k]
            mask = (win == win.amax(dim=(-1, -2), keepdim=True)).to(x.dtype)
            dx[:, :, i * k:i * k + k, j * k:j * k + k] += mask * grad_out[:, :, i:i + 1, j:j + 1]
    return dx
''',
        "library-call": '''
def maxpool2d(x, k, s):
    return F.max_pool2d(x, k, s)


def maxpool2d_backward(x, grad_out, k, s):
    x = x.detach().requires_grad_(True)
    F.max_pool2d(x, k, s).backward(grad_out)
    return x.grad
''',
    },
    "ex-receptive-field": {
        "no-jump": '''
def receptive_field(layers):
    r, j = 1, 1
    for layer in layers:
        k, s = layer[0], layer[1]
        d = layer[2] if len(layer) > 2 else 1
        r = r + d * (k - 1)
        j = j * s
    return r, j
''',
        "jump-updated-first": '''
def receptive_field(layers):
    r, j = 1, 1
    for layer in layers:
        k, s = layer[0], layer[1]
        d = layer[2] if len(layer) > 2 else 1
        j = j * s
        r = r + d * (k - 1) * j
    return r, j
''',
        "dilation-ignored": '''
def receptive_field(layers):
    r, j = 1, 1
    for layer in layers:
        k, s = layer[0], layer[1]
        r = r + (k - 1) * j
        j = j * s
    return r, j
''',
        "sum-of-kernels": '''
def receptive_field(layers):
    r, j = 0, 1
    for layer in layers:
        r = r + layer[0]
        j = j * layer[1]
    return r, j
''',
        "float-division": '''
def receptive_field(layers):
    r, j = 1.0, 1.0
    for layer in layers:
        k, s = layer[0], layer[1]
        d = layer[2] if len(layer) > 2 else 1
        r = r + d * (k - 1) * j
        j = j * s
    return r, j
''',
    },
    "ex-residual-block": {
        "no-final-relu": '''
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
        return self.bn2(self.conv2(h)) + self.shortcut(x)
''',
        "relu-before-add": '''
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
        return torch.relu(self.bn2(self.conv2(h))) + self.shortcut(x)
''',
        "always-projection": '''
class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if False:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))
''',
        "stride-on-conv2": '''
class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if stride == 1 and c_in == c_out:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))
''',
        "identity-always": '''
class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if True:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))
''',
        "identity-ignores-stride": '''
class ResidualBlock(nn.Module):
    def __init__(self, c_in, c_out, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out)
        if c_in == c_out:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x):
        h = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))
''',
        "no-inner-relu": '''
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
        h = self.bn1(self.conv1(x))
        return torch.relu(self.bn2(self.conv2(h)) + self.shortcut(x))
''',
    },
}
