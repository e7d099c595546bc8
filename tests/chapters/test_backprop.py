"""Chapter 03 checks: the reference answers pass every check on the inputs the notebook uses, every
catalogued mistake fails with its own hint, unimplemented code says so, and autograd, library and
reference calls are refused."""
import pytest
import torch

from helpers import toydata
from helpers.grading.checks import CheckFailure
from helpers.chapters.backprop import checks as B
from helpers.chapters.backprop import answers as R
from tests.chapters.exercise_tools import fails_with, not_implemented, unwrap

g = torch.Generator().manual_seed(0)
F64 = dict(dtype=torch.float64, generator=g)

Z = torch.linspace(-4, 4, 9)                        # contains an exact 0
GRAD = torch.randn(9, generator=g)
Z64 = torch.randn(4, 5, **F64) * 3
Z64[0, :2] = 0.0
GRAD64 = torch.randn(4, 5, **F64)

MLP_ARGS = (torch.randn(5, 3, **F64), torch.rand(5, 2, **F64), torch.randn(4, 3, **F64), torch.randn(4, **F64),
            torch.randn(2, 4, **F64), torch.randn(2, **F64))
MLP_SQUARE = (torch.randn(6, 3, **F64), torch.rand(6, 3, **F64), torch.randn(3, 3, **F64), torch.randn(3, **F64),
              torch.randn(3, 3, **F64), torch.randn(3, **F64))

LIN = (torch.randn(4, 3, **F64), torch.randn(2, 3, **F64), torch.randn(2, **F64))
LIN_SQUARE = (torch.randn(6, 5, **F64), torch.randn(5, 5, **F64), torch.randn(5, **F64))

X_CE = torch.randn(9, 4, **F64)
Y_CE = torch.randint(0, 3, (9,), generator=g)
P_CE = B.init_params(4, 6, 3, seed=1, dtype=torch.float64)

W_TIED = torch.randn(2, 4, **F64)
X_TIED = torch.randn(6, 4, **F64)
W_TIED_SQUARE = torch.randn(3, 3, **F64)
X_TIED_SQUARE = torch.randn(5, 3, **F64)

SQUARE_JS = [torch.randn(4, 4, **F64) for _ in range(3)]
V4 = torch.randn(4, **F64)
WIDTHS = [5, 3, 7, 2, 6]
RAGGED_JS = [torch.randn(o, i, **F64) for i, o in zip(WIDTHS[:-1], WIDTHS[1:])]
V6 = torch.randn(6, **F64)


class GoodLinear(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, W, b):
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    @staticmethod
    def backward(ctx, grad_out):
        x, W = ctx.saved_tensors
        return grad_out @ W, grad_out.T @ x, grad_out.sum(0)


def vjp_ok(js, v):
    return unwrap(R.vjp_chain)(js, v)


# ---------------------------------------------------------------- the reference passes

def test_reference_answers_pass_everything():
    acts = (unwrap(R.sigmoid_backward), unwrap(R.tanh_backward), unwrap(R.relu_backward))
    B.check_activation_backward(*acts, Z, GRAD)
    B.check_activation_backward(*acts, Z64, GRAD64)
    B.check_silu_backward(unwrap(R.silu_backward), Z64, GRAD64)
    B.check_tied_weights_grad(unwrap(R.tied_weights_grad), W_TIED, X_TIED)
    B.check_tied_weights_grad(unwrap(R.tied_weights_grad), W_TIED_SQUARE, X_TIED_SQUARE)
    B.check_tied_weights_grad(unwrap(R.tied_weights_grad), W_TIED.float(), X_TIED[:1].float())
    B.check_mlp_backward(unwrap(R.mlp_manual_backward), *MLP_ARGS)
    B.check_mlp_backward(unwrap(R.mlp_manual_backward), *MLP_SQUARE)
    B.check_linear_function(GoodLinear, *LIN, gradcheck=True)
    B.check_linear_function(GoodLinear, *(a.float() for a in LIN_SQUARE))
    B.check_vjp_chain(vjp_ok, unwrap(R.matrix_chain_cost), SQUARE_JS, V4)
    B.check_vjp_chain(vjp_ok, unwrap(R.matrix_chain_cost), RAGGED_JS, V6)
    B.check_loss_and_grads(unwrap(R.loss_and_grads), X_CE, Y_CE, P_CE)
    X, y = toydata.two_moons(12, noise=0.1, seed=0)
    B.check_loss_and_grads(unwrap(R.loss_and_grads), X, y, B.init_params(2, 5, 2))


def test_manual_training_check():
    X, y = toydata.two_moons(200, noise=0.1, seed=4)
    B.check_manual_training(unwrap(R.loss_and_grads), X, y, hidden=32, lr=1.0, steps=150)
    flipped = lambda X, y, p: (lambda l, gr: (l, {k: -v for k, v in gr.items()}))(*unwrap(R.loss_and_grads)(X, y, p))  # noqa: E731
    fails_with(B.check_manual_training, flipped, X, y, hint="did not go down", steps=50)
    tiny = lambda X, y, p: (lambda l, gr: (l, {k: v * 1e-4 for k, v in gr.items()}))(*unwrap(R.loss_and_grads)(X, y, p))  # noqa: E731
    fails_with(B.check_manual_training, tiny, X, y, hint="below 0.95", steps=50)


# ---------------------------------------------------------------- not implemented, refused calls

@pytest.mark.parametrize("run", [
    lambda: B.check_activation_backward(not_implemented, not_implemented, not_implemented, Z, GRAD),
    lambda: B.check_silu_backward(not_implemented, Z, GRAD),
    lambda: B.check_tied_weights_grad(not_implemented, W_TIED, X_TIED),
    lambda: B.check_mlp_backward(not_implemented, *MLP_ARGS),
    lambda: B.check_vjp_chain(not_implemented, not_implemented, SQUARE_JS, V4),
    lambda: B.check_loss_and_grads(not_implemented, X_CE, Y_CE, P_CE),
], ids=["activations", "silu", "tied", "mlp", "vjp", "loss-and-grads"])
def test_not_implemented_is_reported(run):
    with pytest.raises(CheckFailure, match="not implemented yet"):
        run()


def test_blank_linear_function_is_not_implemented():
    class Blank(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x, W, b):
            raise NotImplementedError()

        @staticmethod
        def backward(ctx, grad_out):
            raise NotImplementedError()

    fails_with(B.check_linear_function, Blank, *LIN, hint="not implemented yet")

    class BlankBackward(GoodLinear):
        @staticmethod
        def backward(ctx, grad_out):
            raise NotImplementedError()

    fails_with(B.check_linear_function, BlankBackward, *LIN, hint="not implemented yet")


def test_reference_calls_earn_nothing():
    fails_with(B.check_activation_backward, R.sigmoid_backward, R.tanh_backward, R.relu_backward, Z, GRAD,
               hint="helpers.chapters.backprop.answers.sigmoid_backward")
    fails_with(B.check_silu_backward, R.silu_backward, Z, GRAD, hint="asks you to write yourself")
    fails_with(B.check_tied_weights_grad, R.tied_weights_grad, W_TIED, X_TIED, hint="asks you to write yourself")
    fails_with(B.check_mlp_backward, R.mlp_manual_backward, *MLP_ARGS, hint="asks you to write yourself")
    fails_with(B.check_linear_function, R.LinearFunction, *LIN, hint="helpers.chapters.backprop.answers.linear_forward")
    fails_with(B.check_vjp_chain, R.vjp_chain, R.matrix_chain_cost, SQUARE_JS, V4, hint="asks you to write yourself")
    fails_with(B.check_loss_and_grads, R.loss_and_grads, X_CE, Y_CE, P_CE, hint="asks you to write yourself")
    X, y = toydata.two_moons(40, seed=1)
    fails_with(B.check_manual_training, R.loss_and_grads, X, y, hint="asks you to write yourself", steps=5)


def _autograd_relu(z, grad_out):
    z = z.detach().clone().requires_grad_(True)
    torch.relu(z).backward(grad_out)
    return z.grad


def _autograd_silu(x, grad_out):
    x = x.detach().clone().requires_grad_(True)
    (gx,) = torch.autograd.grad(torch.nn.functional.silu(x), x, grad_out)
    return gx


def test_autograd_and_library_calls_are_refused():
    acts = [unwrap(R.sigmoid_backward), unwrap(R.tanh_backward), _autograd_relu]
    msg = fails_with(B.check_activation_backward, *acts, Z, GRAD, hint=B.AUTOGRAD_HINT)
    assert "torch.Tensor.backward" in msg
    fails_with(B.check_silu_backward, _autograd_silu, Z, GRAD, hint="torch.nn.functional.silu")

    class LibraryLinear(GoodLinear):
        @staticmethod
        def forward(ctx, x, W, b):
            ctx.save_for_backward(x, W)
            return torch.nn.functional.linear(x, W, b)

    fails_with(B.check_linear_function, LibraryLinear, *LIN, hint="torch.nn.functional.linear")

    def autograd_ce(X, y, params):
        leaves = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        logits = torch.relu(X @ leaves["W1"].T + leaves["b1"]) @ leaves["W2"].T + leaves["b2"]
        loss = torch.nn.functional.cross_entropy(logits, y)
        loss.backward()
        return loss.detach(), {k: v.grad for k, v in leaves.items()}

    fails_with(B.check_loss_and_grads, autograd_ce, X_CE, Y_CE, P_CE, hint=B.AUTOGRAD_HINT)
    # the refusal is undone afterwards: autograd works again
    x = torch.ones(2, requires_grad=True)
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert torch.nn.functional.linear(torch.ones(1, 2), torch.ones(3, 2)).shape == (1, 3)


# ---------------------------------------------------------------- catalogued mistakes are named

def _activation_case(index, variant):
    fns = [unwrap(R.sigmoid_backward), unwrap(R.tanh_backward), unwrap(R.relu_backward)]
    fns[index] = variant
    return fns


@pytest.mark.parametrize("index,mistake",
                         [(0, m) for m in B.SIGMOID_BACKWARD_MISTAKES] + [(1, m) for m in B.TANH_BACKWARD_MISTAKES]
                         + [(2, m) for m in B.RELU_BACKWARD_MISTAKES], ids=lambda v: getattr(v, "name", str(v)))
def test_activation_mistakes_are_named(index, mistake):
    fails_with(B.check_activation_backward, *_activation_case(index, mistake.variant), Z, GRAD, hint=mistake.hint)


@pytest.mark.parametrize("mistake", B.SILU_MISTAKES, ids=lambda m: m.name)
def test_silu_mistakes_are_named(mistake):
    fails_with(B.check_silu_backward, mistake.variant, Z64, GRAD64, hint=mistake.hint)


@pytest.mark.parametrize("mistake", B.TIED_MISTAKES, ids=lambda m: m.name)
def test_tied_weight_mistakes_are_named(mistake):
    W, X = (W_TIED_SQUARE, X_TIED_SQUARE) if mistake.name == "transposed-terms" else (W_TIED, X_TIED)
    fails_with(B.check_tied_weights_grad, mistake.variant, W, X, hint=mistake.hint)


def test_tied_weight_result_keeps_shape_and_dtype():
    fails_with(B.check_tied_weights_grad, lambda W, X: unwrap(R.tied_weights_grad)(W, X).T, W_TIED, X_TIED,
               hint="")
    fails_with(B.check_tied_weights_grad, lambda W, X: unwrap(R.tied_weights_grad)(W, X).float(), W_TIED, X_TIED,
               hint="")


def test_relu_mask_from_the_post_activation_is_accepted():
    """1[h > 0] and 1[z1 > 0] are the same mask: a student who uses the stored activation is right."""
    def mask_on_h(X, y, params):
        z1 = X @ params["W1"].T + params["b1"]
        h = z1.clamp(min=0)
        logits = h @ params["W2"].T + params["b2"]
        loss = torch.nn.functional.cross_entropy(logits, y)
        d2 = (torch.softmax(logits, 1) - torch.nn.functional.one_hot(y, logits.shape[1]).to(X.dtype)) / len(y)
        d1 = (d2 @ params["W2"]) * (h > 0).to(X.dtype)
        return loss, {"W1": d1.T @ X, "b1": d1.sum(0), "W2": d2.T @ h, "b2": d2.sum(0)}

    B.check_loss_and_grads(mask_on_h, X_CE, Y_CE, P_CE)


@pytest.mark.parametrize("mistake", B.CE_LOSS_MISTAKES, ids=lambda m: m.name)
def test_loss_value_mistakes_are_named(mistake):
    _, grads = unwrap(R.loss_and_grads)(X_CE, Y_CE, P_CE)
    fails_with(B.check_loss_and_grads, lambda X, y, p: (mistake.variant(X, y, p), grads), X_CE, Y_CE, P_CE,
               hint=mistake.hint)


def test_loss_must_be_a_0d_tensor():
    def float_loss(X, y, p):
        loss, grads = unwrap(R.loss_and_grads)(X, y, p)
        return loss.reshape(1), grads

    fails_with(B.check_loss_and_grads, float_loss, X_CE, Y_CE, P_CE, hint="")


@pytest.mark.parametrize("name,hint,options", B._MLP_MISTAKES, ids=[m[0] for m in B._MLP_MISTAKES])
def test_mlp_mistakes_are_named(name, hint, options):
    opts = dict(options)
    n = MLP_ARGS[0].shape[0]
    if opts.get("scale", 1.0) is None:
        opts["scale"] = 1.0 / n
    student = lambda *a: B._mlp_grads(*a, **opts)  # noqa: E731
    args = MLP_SQUARE if name == "W2-transposed" else MLP_ARGS
    if name == "mean-not-sum":
        opts["scale"] = 1.0 / args[0].shape[0]
    fails_with(B.check_mlp_backward, student, *args, hint=hint)


def test_mlp_result_must_be_a_dict_with_four_keys():
    fails_with(B.check_mlp_backward, lambda *a: [1, 2], *MLP_ARGS, hint="return {")
    fails_with(B.check_mlp_backward, lambda *a: {"W1": 0}, *MLP_ARGS, hint="use exactly the keys")


@pytest.mark.parametrize("name,hint,options", B._CE_MISTAKES, ids=[m[0] for m in B._CE_MISTAKES])
def test_loss_and_grads_mistakes_are_named(name, hint, options):
    opts = dict(options)
    if opts.get("scale", 1.0) is None:
        opts["scale"] = float(X_CE.shape[0])
    params = P_CE
    if name == "mask-at-zero":                     # needs pre-activations that are exactly 0
        params = {k: v.clone() for k, v in P_CE.items()}
        params["W1"][:2] = 0.0
    loss, _ = unwrap(R.loss_and_grads)(X_CE, Y_CE, params)
    student = lambda X, y, p: (loss, B._ce_grads(X, y, p, **opts))  # noqa: E731
    fails_with(B.check_loss_and_grads, student, X_CE, Y_CE, params, hint=hint)


def test_manual_training_names_a_cause_only_when_a_variant_matches():
    X, y = toydata.two_moons(60, noise=0.1, seed=0)
    X = X.double()
    ref = unwrap(R.loss_and_grads)

    def flipped(X, y, p):
        loss, grads = ref(X, y, p)
        return loss, {k: -v for k, v in grads.items()}

    def no_mean(X, y, p):
        loss, grads = ref(X, y, p)
        return loss, {k: v * len(X) for k, v in grads.items()}

    def frozen(X, y, p):
        loss, grads = ref(X, y, p)
        return loss, {k: 0 * v for k, v in grads.items()}
    msg = fails_with(B.check_manual_training, flipped, X, y, lr=0.5, steps=40, hint="wrong sign")
    assert "it rose" in msg
    msg = fails_with(B.check_manual_training, no_mean, X, y, lr=0.8, steps=40, hint="N times too large")
    msg = fails_with(B.check_manual_training, frozen, X, y, lr=0.5, steps=40, hint="stayed flat")
    assert "Likely mistake" not in msg


def test_loss_and_grads_must_not_update_params():
    def in_place(X, y, params):
        loss, grads = unwrap(R.loss_and_grads)(X, y, params)
        params["W1"] -= 0.1 * grads["W1"]
        return loss, grads

    fails_with(B.check_loss_and_grads, in_place, X_CE, Y_CE, P_CE, hint="the caller still needs its input")
    fails_with(B.check_loss_and_grads, lambda X, y, p: unwrap(R.loss_and_grads)(X, y, p)[1], X_CE, Y_CE, P_CE,
               hint="return loss")


def _linear_with_backward(backward):
    class Wrong(GoodLinear):
        pass

    Wrong.backward = staticmethod(backward)
    return Wrong


def test_linear_function_mistakes_are_named():
    def w_transposed(ctx, g):
        x, W = ctx.saved_tensors
        return g @ W, x.T @ g, g.sum(0)

    def b_not_summed(ctx, g):
        x, W = ctx.saved_tensors
        return g @ W, g.T @ x, g

    def x_transposed(ctx, g):
        x, W = ctx.saved_tensors
        return g @ W.T, g.T @ x, g.sum(0)

    def b_mean(ctx, g):
        x, W = ctx.saved_tensors
        return g @ W, g.T @ x, g.mean(0)

    def no_bias_grad(ctx, g):
        x, W = ctx.saved_tensors
        return g @ W, g.T @ x, None

    def two_grads(ctx, g):
        x, W = ctx.saved_tensors
        return g @ W, g.T @ x

    fails_with(B.check_linear_function, _linear_with_backward(w_transposed), *LIN, hint="x.T @ grad_out is its transpose")
    # autograd itself sums a (N, K) gradient down to b's shape (K,), so not summing is no mistake here
    B.check_linear_function(_linear_with_backward(b_not_summed), *LIN)
    fails_with(B.check_linear_function, _linear_with_backward(x_transposed), *LIN_SQUARE, hint="not grad_out @ W.T")
    fails_with(B.check_linear_function, _linear_with_backward(b_mean), *LIN, hint="not the mean")
    fails_with(B.check_linear_function, _linear_with_backward(two_grads), *LIN, hint="return three gradients")
    fails_with(B.check_linear_function, _linear_with_backward(no_bias_grad), *LIN, hint="returned None for the gradient of b")
    fails_with(B.check_linear_function, lambda x, W, b: x @ W.T + b, *LIN, hint="torch.autograd.Function")

    class NoBias(GoodLinear):
        @staticmethod
        def forward(ctx, x, W, b):
            ctx.save_for_backward(x, W)
            return x @ W.T

    fails_with(B.check_linear_function, NoBias, *LIN, hint="the bias is missing")


def test_gradcheck_runs_on_the_student_function():
    class Scaled(GoodLinear):
        @staticmethod
        def backward(ctx, g):
            x, W = ctx.saved_tensors
            return 2 * g @ W, g.T @ x, g.sum(0)

    with pytest.raises(CheckFailure):
        B.check_linear_function(Scaled, *LIN, gradcheck=True)


@pytest.mark.parametrize("mistake", B.VJP_MISTAKES, ids=lambda m: m.name)
def test_vjp_mistakes_are_named(mistake):
    student = lambda js, v: (mistake.variant(js, v), sum(J.numel() for J in js))  # noqa: E731
    fails_with(B.check_vjp_chain, student, unwrap(R.matrix_chain_cost), SQUARE_JS, V4, hint=mistake.hint)


@pytest.mark.parametrize("mistake", B.VJP_COUNT_MISTAKES, ids=lambda m: m.name)
def test_vjp_count_mistakes_are_named(mistake):
    student = lambda js, v: (vjp_ok(js, v)[0], mistake.variant(js, v))  # noqa: E731
    fails_with(B.check_vjp_chain, student, unwrap(R.matrix_chain_cost), RAGGED_JS, V6, hint=mistake.hint)


@pytest.mark.parametrize("mistake", B.MATRIX_COST_MISTAKES, ids=lambda m: m.name)
def test_matrix_cost_mistakes_are_named(mistake):
    fails_with(B.check_vjp_chain, vjp_ok, mistake.variant, RAGGED_JS, V6, hint=mistake.hint)


def test_hard_coded_vjp_answers_fail_other_inputs():
    expected = vjp_ok(SQUARE_JS, V4)
    fails_with(B.check_vjp_chain, lambda js, v: expected, unwrap(R.matrix_chain_cost), RAGGED_JS, V6,
               hint="")
    fails_with(B.check_vjp_chain, vjp_ok, lambda js, v: 3 * 64 + 16, RAGGED_JS, V6, hint="")
    assert unwrap(R.matrix_chain_cost)(SQUARE_JS, V4) == 2 * 4 ** 3 + 4 ** 2
    assert vjp_ok(SQUARE_JS, V4)[1] == 3 * 4 ** 2


def test_missing_1_over_n_is_caught_where_one_row_hides_it():
    """With N = 1 a summed loss equals the mean; the check then repeats the batch and sees the gradient double."""
    no_mean = lambda W, X: B._tied_grads(W, X, scale=float(X.shape[0]))  # noqa: E731
    fails_with(B.check_tied_weights_grad, no_mean, W_TIED, X_TIED[:1], hint="the 1/N of the mean is missing")

    def summed(X, y, p):
        loss, grads = unwrap(R.loss_and_grads)(X, y, p)
        return loss * len(y), {k: v * len(y) for k, v in grads.items()}

    fails_with(B.check_loss_and_grads, summed, X_CE[:1], Y_CE[:1], P_CE, hint="the 1/N of the mean is missing")
