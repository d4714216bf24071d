"""Sparse COO tensors against PyTorch: construction, coalescing, repr, sparse @ dense with
gradients, and the GCN program of pytorch/examples (graph with a sparse adjacency) on both."""
import os

import numpy as np
import pytest
import torch

import ember

pytestmark = [pytest.mark.filterwarnings("ignore:Sparse invariant checks"),
              pytest.mark.filterwarnings("ignore:Sparse CSR tensor support")]

R = np.random.default_rng(0)
DENSE = np.where(R.random((5, 4)) < 0.4, R.standard_normal((5, 4)), 0).astype(np.float32)
IDX = np.array([[0, 2, 1, 0, 4], [3, 1, 0, 3, 2]])          # (0, 3) twice: uncoalesced
VAL = np.array([1.0, -2.0, 0.5, 3.0, 4.0], np.float32)


def _both(fn):
    return fn(ember), fn(torch)


def _eq(e, t, **kw):
    if isinstance(t, torch.Tensor) and t.is_sparse:
        assert e.is_sparse and e.layout is ember.sparse_coo
        assert tuple(e.shape) == tuple(t.shape)
        assert e.coalesce()._nnz() == t.coalesce()._nnz()
        e, t = e.to_dense(), t.to_dense()
    assert not e.is_sparse
    np.testing.assert_allclose(np.asarray(e.detach()), t.detach().numpy(), **kw)


def test_to_sparse_and_accessors():
    e, t = _both(lambda L: L.tensor(DENSE).to_sparse())
    assert repr(e) == repr(t)
    assert e.is_sparse and e.layout is ember.sparse_coo and repr(e.layout) == repr(t.layout)
    assert e.is_coalesced() and e._nnz() == t._nnz()
    np.testing.assert_array_equal(e.indices().numpy(), t.indices().numpy())
    np.testing.assert_array_equal(e.values().numpy(), t.values().numpy())
    _eq(e.to_dense(), t.to_dense())
    assert not ember.ones(2).is_sparse and repr(ember.ones(2).layout) == "torch.strided"
    assert e.sparse_dim() == 2 and e.dense_dim() == 0 and e.dim() == 2 and e.numel() == 20


def test_sparse_coo_tensor_uncoalesced_then_coalesce():
    e, t = _both(lambda L: L.sparse_coo_tensor(IDX.astype(np.int32), L.tensor(VAL), (5, 4),
                                               dtype=L.int64))
    assert repr(e) == repr(t)
    assert not e.is_coalesced() and e.dtype is ember.int64
    for L, s in ((ember, e), (torch, t)):
        with pytest.raises(RuntimeError, match="uncoalesced"):
            s.indices()
    ce, ct = e.coalesce(), t.coalesce()
    assert repr(ce) == repr(ct)
    _eq(ce, ct)
    # size inferred from the indices
    e2, t2 = _both(lambda L: L.sparse_coo_tensor(IDX, VAL.tolist()))
    assert tuple(e2.shape) == tuple(t2.shape) == (5, 4)
    _eq(e2, t2)


def test_construction_errors():
    with pytest.raises(RuntimeError, match="same nnz"):
        ember.sparse_coo_tensor([[0, 1]], [1.0, 2.0, 3.0], (3,))
    with pytest.raises(RuntimeError, match="size is inconsistent with indices"):
        ember.sparse_coo_tensor([[0, 5]], [1.0, 2.0], (3,))
    with pytest.raises(ValueError, match="hybrid"):
        ember.sparse_coo_tensor([[0, 1]], [[1.0], [2.0]], (3, 1))


@pytest.mark.parametrize("how", ["mm", "matmul", "at", "spmm", "sparse.mm"])
def test_sparse_at_dense_forward_and_gradients(how):
    W = R.standard_normal((4, 3)).astype(np.float32)

    def run(L):
        v = L.tensor(VAL, requires_grad=True)
        s = L.sparse_coo_tensor(IDX, v, (5, 4))
        w = L.tensor(W, requires_grad=True)
        f = {"mm": L.mm, "matmul": L.matmul, "at": lambda a, b: a @ b, "spmm": L.spmm,
             "sparse.mm": L.sparse.mm}[how]
        out = f(s, w)
        (out * L.arange(15.).reshape(5, 3)).sum().backward()
        return out, w.grad, v.grad
    for a, b in zip(*_both(run)):
        _eq(a, b, rtol=1e-5, atol=1e-6)
    e, t = _both(lambda L: L.spmm(L.tensor(DENSE).to_sparse(), L.ones(4, 2, requires_grad=True)))
    assert type(e.grad_fn).__name__ == type(t.grad_fn).__name__ == "MmBackward0"


def test_dense_at_sparse_vector_and_sparse_at_sparse():
    A = R.standard_normal((3, 5)).astype(np.float32)

    def run(L):
        a = L.tensor(A, requires_grad=True)
        s = L.sparse_coo_tensor(IDX, L.tensor(VAL), (5, 4))
        out = a @ s
        out.pow(2).sum().backward()
        mv = L.mv(s, L.arange(4.))
        ss = L.tensor(DENSE).T.to_sparse() @ s.coalesce()     # sparse @ sparse stays sparse
        return out, a.grad, mv, ss
    for a, b in zip(*_both(run)):
        _eq(a, b, rtol=1e-5, atol=1e-5)


def test_arithmetic_keeps_or_refuses_the_layout():
    def run(L):
        s = L.sparse_coo_tensor(IDX, L.tensor(VAL), (5, 4))
        d = L.tensor(DENSE)
        return (d + s, d - s, L.add(d, s, alpha=2), s * 2, 2 * s, s / 4, -s, s + s, s.t(),
                s.transpose(0, 1), s.double(), L.sparse.sum(s), s.sum(), L.sparse.sum(s, 1),
                s * d, s.clone(), s.detach())
    for a, b in zip(*_both(run)):
        _eq(a, b, rtol=1e-6)
    s = ember.sparse_coo_tensor(IDX, ember.tensor(VAL), (5, 4))
    ts = torch.sparse_coo_tensor(IDX, torch.tensor(VAL), (5, 4))
    for L, x in ((ember, s), (torch, ts)):
        with pytest.raises(RuntimeError, match=r"add\(sparse, dense\) is not supported"):
            x + L.ones(5, 4)
        with pytest.raises(TypeError, match="to_dense"):
            x.numpy()
    # an op without a sparse kernel refuses by name instead of densifying
    with pytest.raises(RuntimeError, match="does not support sparse COO tensors"):
        s.exp()
    with pytest.raises(RuntimeError, match="does not support sparse COO tensors"):
        s[0]


def test_values_gradient_through_to_dense_and_coalesce():
    def run(L):
        v = L.tensor(VAL, requires_grad=True)
        s = L.sparse_coo_tensor(IDX, v, (5, 4))
        (s.coalesce().to_dense() * L.arange(20.).reshape(5, 4)).sum().backward()
        return v.grad
    _eq(*_both(run))
    s = ember.sparse_coo_tensor(IDX, ember.tensor(VAL), (5, 4), requires_grad=True)
    t = torch.sparse_coo_tensor(IDX, torch.tensor(VAL), (5, 4), requires_grad=True)
    assert s.requires_grad and t.requires_grad
    assert repr(s).replace("ember.", "torch.") == repr(t)


def test_gradient_of_a_sparse_leaf_is_masked_like_sparse_mm():
    # torch.sparse.mm masks the sparse operand's gradient to its pattern; ember does so for every
    # product (torch.mm / @ give PyTorch's full dense gradient there: a documented difference)
    W = R.standard_normal((4, 3)).astype(np.float32)
    grads = []
    for L in (ember, torch):
        s = L.sparse_coo_tensor(IDX, L.tensor(VAL), (5, 4), requires_grad=True)
        (L.sparse.mm(s, L.tensor(W)) ** 2).sum().backward()
        assert s.grad.is_sparse
        grads.append(s.grad)
    _eq(*grads, rtol=1e-5)
    a = ember.tensor(DENSE, requires_grad=True)
    ta = torch.tensor(DENSE, requires_grad=True)
    (ember.sparse.mm(a.to_sparse(), ember.tensor(W)) ** 2).sum().backward()
    (torch.sparse.mm(ta.to_sparse(), torch.tensor(W)) ** 2).sum().backward()
    _eq(a.grad, ta.grad, rtol=1e-5)


def test_plain_programs_do_not_turn_the_subclass_protocol_on():
    import subprocess
    import sys
    code = ("import ember, ember._subclass as s; x = ember.ones(2) * 2; a = s.ACTIVE[0]; "
            "ember.ones(2).to_sparse(); print(a, s.ACTIVE[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()}, check=True)
    assert out.stdout.split() == ["False", "True"]


# -- the GCN program of pytorch/examples (gcn/main.py), on a small Cora-format graph -----------
def _gcn_program(torch, path, epochs):
    """pytorch/examples gcn/main.py: GraphConv, GCN and load_cora as written there (the
    dataset download and argparse left out); dropout 0 so both libraries compute the same."""
    nn, F, Adam = torch.nn, torch.nn.functional, torch.optim.Adam

    class GraphConv(nn.Module):
        def __init__(self, input_dim, output_dim, use_bias=False):
            super(GraphConv, self).__init__()
            self.kernel = nn.Parameter(torch.Tensor(input_dim, output_dim))
            nn.init.xavier_normal_(self.kernel)
            self.bias = None
            if use_bias:
                self.bias = nn.Parameter(torch.Tensor(output_dim))
                nn.init.zeros_(self.bias)

        def forward(self, input_tensor, adj_mat):
            support = torch.mm(input_tensor, self.kernel)
            output = torch.spmm(adj_mat, support)
            if self.bias is not None:
                output = output + self.bias
            return output

    class GCN(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim, use_bias=True, dropout_p=0.1):
            super(GCN, self).__init__()
            self.gc1 = GraphConv(input_dim, hidden_dim, use_bias=use_bias)
            self.gc2 = GraphConv(hidden_dim, output_dim, use_bias=use_bias)
            self.dropout = nn.Dropout(dropout_p)

        def forward(self, input_tensor, adj_mat):
            x = self.gc1(input_tensor, adj_mat)
            x = F.relu(x)
            x = self.dropout(x)
            x = self.gc2(x, adj_mat)
            return F.log_softmax(x, dim=1)

    def load_cora(path='./cora', device='cpu'):
        content_path = os.path.join(path, 'cora.content')
        cites_path = os.path.join(path, 'cora.cites')
        content_tensor = np.genfromtxt(content_path, dtype=np.dtype(str))
        cites_tensor = np.genfromtxt(cites_path, dtype=np.int32)
        features = torch.FloatTensor(content_tensor[:, 1:-1].astype(np.int32))
        scale_vector = torch.sum(features, dim=1)
        scale_vector = 1 / scale_vector
        scale_vector[scale_vector == float('inf')] = 0
        scale_vector = torch.diag(scale_vector).to_sparse()
        features = scale_vector @ features
        classes, labels = np.unique(content_tensor[:, -1], return_inverse=True)
        labels = torch.LongTensor(labels)
        idx = content_tensor[:, 0].astype(np.int32)
        idx_map = {id: pos for pos, id in enumerate(idx)}
        edges = np.array(
            list(map(lambda edge: [idx_map[edge[0]], idx_map[edge[1]]],
                 cites_tensor)), dtype=np.int32)
        V = len(idx)
        E = edges.shape[0]
        adj_mat = torch.sparse_coo_tensor(edges.T, torch.ones(E), (V, V), dtype=torch.int64)
        adj_mat = torch.eye(V) + adj_mat
        degree_mat = torch.sum(adj_mat, dim=1)
        degree_mat = torch.sqrt(1 / degree_mat)
        degree_mat[degree_mat == float('inf')] = 0
        degree_mat = torch.diag(degree_mat).to_sparse()
        adj_mat = degree_mat @ adj_mat @ degree_mat
        return features.to_sparse().to(device), labels.to(device), adj_mat.to_sparse().to(device)

    def test(model, criterion, input, target, mask):
        model.eval()
        with torch.no_grad():
            output = model(*input)
            output, target = output[mask], target[mask]
            loss = criterion(output, target)
            acc = (output.argmax(dim=1) == target).float().sum() / len(target)
        return loss.item(), acc.item()

    features, labels, adj_mat = load_cora(path)
    assert features.is_sparse and adj_mat.is_sparse
    idx = torch.arange(len(labels))                   # the program's randperm, made the same
    idx_test, idx_val, idx_train = idx[:60], idx[60:100], idx[100:]
    gcn = GCN(features.shape[1], 16, labels.max().item() + 1, True, 0.0)
    rng = np.random.default_rng(5)                    # the same initial weights in both
    with torch.no_grad():
        for p in gcn.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
    optimizer = Adam(gcn.parameters(), lr=0.01, weight_decay=5e-4)
    criterion = nn.NLLLoss()
    history = []
    for epoch in range(epochs):
        gcn.train()
        optimizer.zero_grad()
        output = gcn(features, adj_mat)
        loss = criterion(output[idx_train], labels[idx_train])
        loss.backward()
        optimizer.step()
        history.append((loss.item(),) + test(gcn, criterion, (features, adj_mat), labels, idx_val))
    history.append(test(gcn, criterion, (features, adj_mat), labels, idx_test) + (0.0,))
    return history, gcn.gc1.kernel.grad.numpy().copy(), adj_mat.to_dense().numpy().copy()


@pytest.fixture(scope="module")
def cora_dir(tmp_path_factory):
    """A Cora-format dataset: 300 papers (ids not 0..n-1), 40 binary word features, 7 classes,
    about 900 citations with repeats (so the adjacency is uncoalesced, as Cora's is)."""
    rng = np.random.default_rng(3)
    n, f = 300, 40
    ids = rng.choice(10 ** 6, n, replace=False)
    labels = rng.integers(0, 7, n)
    feats = (rng.random((n, f)) < 0.1 + 0.02 * labels[:, None]).astype(int)
    feats[5] = 0                                       # a paper with no words (1/0 = inf path)
    src = rng.integers(0, n, 900)
    dst = np.where(rng.random(900) < 0.7, rng.integers(0, n, 900), src[::-1])
    d = tmp_path_factory.mktemp("cora")
    with open(d / "cora.content", "w") as fh:
        for i in range(n):
            fh.write(f"{ids[i]}\t" + "\t".join(map(str, feats[i])) + f"\tClass_{labels[i]}\n")
    with open(d / "cora.cites", "w") as fh:
        for a, b in zip(src, dst):
            fh.write(f"{ids[a]}\t{ids[b]}\n")
    return str(d)


def test_gcn_program_matches_torch(cora_dir):
    he, ge, ae = _gcn_program(ember, cora_dir, 6)
    ht, gt, at = _gcn_program(torch, cora_dir, 6)
    np.testing.assert_allclose(ae, at, rtol=1e-6, atol=1e-7)       # the normalized adjacency
    np.testing.assert_allclose(np.array(he), np.array(ht), rtol=2e-4, atol=2e-5)
    np.testing.assert_allclose(ge, gt, rtol=1e-3, atol=1e-5)
    assert he[-2][0] < he[0][0]                                      # it learns


def _gat_program(torch, path, steps):
    """pytorch/examples gat/main.py: its load_cora (sparse scaling and adjacency, returned
    dense) and GAT with 4 heads, dropout 0, a few Adam steps from fixed weights."""
    nn, F = torch.nn, torch.nn.functional
    content = np.genfromtxt(os.path.join(path, 'cora.content'), dtype=np.dtype(str))
    cites = np.genfromtxt(os.path.join(path, 'cora.cites'), dtype=np.int32)
    features = torch.FloatTensor(content[:, 1:-1].astype(np.int32))
    scale_vector = torch.sum(features, dim=1)
    scale_vector = 1 / scale_vector
    scale_vector[scale_vector == float('inf')] = 0
    scale_vector = torch.diag(scale_vector).to_sparse()
    features = scale_vector @ features
    classes, labels = np.unique(content[:, -1], return_inverse=True)
    labels = torch.LongTensor(labels)
    idx = content[:, 0].astype(np.int32)
    idx_map = {id: pos for pos, id in enumerate(idx)}
    edges = np.array(list(map(lambda edge: [idx_map[edge[0]], idx_map[edge[1]]], cites)),
                     dtype=np.int32)
    V, E = len(idx), edges.shape[0]
    adj_mat = torch.sparse_coo_tensor(edges.T, torch.ones(E), (V, V), dtype=torch.int64)
    adj_mat = torch.eye(V) + adj_mat

    class GraphAttentionLayer(nn.Module):
        def __init__(self, in_features, out_features, n_heads, concat=False, dropout=0.4,
                     leaky_relu_slope=0.2):
            super().__init__()
            self.n_heads, self.concat, self.dropout = n_heads, concat, dropout
            if concat:
                self.out_features = out_features
                self.n_hidden = out_features // n_heads
            else:
                self.n_hidden = out_features
            self.W = nn.Parameter(torch.empty(size=(in_features, self.n_hidden * n_heads)))
            self.a = nn.Parameter(torch.empty(size=(n_heads, 2 * self.n_hidden, 1)))
            self.leakyrelu = nn.LeakyReLU(leaky_relu_slope)

        def _get_attention_scores(self, h_transformed):
            source_scores = torch.matmul(h_transformed, self.a[:, :self.n_hidden, :])
            target_scores = torch.matmul(h_transformed, self.a[:, self.n_hidden:, :])
            e = source_scores + target_scores.mT
            return self.leakyrelu(e)

        def forward(self, h, adj_mat):
            n_nodes = h.shape[0]
            h_transformed = torch.mm(h, self.W)
            h_transformed = F.dropout(h_transformed, self.dropout, training=self.training)
            h_transformed = h_transformed.view(n_nodes, self.n_heads, self.n_hidden).permute(1, 0, 2)
            e = self._get_attention_scores(h_transformed)
            connectivity_mask = -9e16 * torch.ones_like(e)
            e = torch.where(adj_mat > 0, e, connectivity_mask)
            attention = F.softmax(e, dim=-1)
            attention = F.dropout(attention, self.dropout, training=self.training)
            h_prime = torch.matmul(attention, h_transformed)
            if self.concat:
                h_prime = h_prime.permute(1, 0, 2).contiguous().view(n_nodes, self.out_features)
            else:
                h_prime = h_prime.mean(dim=0)
            return h_prime

    class GAT(nn.Module):
        def __init__(self, in_features, n_hidden, n_heads, num_classes, concat=False,
                     dropout=0.4, leaky_relu_slope=0.2):
            super().__init__()
            self.gat1 = GraphAttentionLayer(in_features, n_hidden, n_heads, concat, dropout,
                                            leaky_relu_slope)
            self.gat2 = GraphAttentionLayer(n_hidden, num_classes, 1, False, dropout,
                                            leaky_relu_slope)

        def forward(self, input_tensor, adj_mat):
            x = self.gat1(input_tensor, adj_mat)
            x = F.elu(x)
            x = self.gat2(x, adj_mat)
            return F.log_softmax(x, dim=1)

    net = GAT(features.shape[1], 16, 4, labels.max().item() + 1, True, 0.0)
    rng = np.random.default_rng(6)
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.3))
    opt = torch.optim.Adam(net.parameters(), lr=0.005, weight_decay=5e-4)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.nll_loss(net(features, adj_mat)[100:], labels[100:])
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, net(features, adj_mat).detach().numpy()


def test_gat_program_matches_torch(cora_dir):
    le, oe = _gat_program(ember, cora_dir, 3)
    lt, ot = _gat_program(torch, cora_dir, 3)
    np.testing.assert_allclose(le, lt, rtol=1e-4)
    np.testing.assert_allclose(oe, ot, rtol=1e-3, atol=1e-4)


def test_sparse_kernels_pass_gradcheck_in_float64():
    from ember.autograd import gradcheck, gradgradcheck
    v = ember.tensor(VAL.astype(np.float64), requires_grad=True)
    w = ember.tensor(R.standard_normal((4, 3)), requires_grad=True)
    a = ember.tensor(R.standard_normal((2, 5)), requires_grad=True)

    def sp(vals):
        return ember.sparse_coo_tensor(IDX, vals, (5, 4))
    for fn, inputs in [(lambda vals, d: ember.mm(sp(vals), d), (v, w)),
                       (lambda vals, d: d @ sp(vals), (v, a)),
                       (lambda vals: sp(vals).coalesce().to_dense() ** 2, (v,)),
                       (lambda vals, d: ember.mv(sp(vals), d[:, 0]), (v, w))]:
        assert gradcheck(fn, inputs)
        assert gradgradcheck(fn, inputs)
