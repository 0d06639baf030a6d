"""The social network of households: a seeded small-world graph held as a sparse matrix, with neighbour
effects computed as sparse matrix-vector products, and exposed as a Mesa ``discrete_space.Network`` over
a networkx graph (built on first use: the monthly step needs only the matrices)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from sim import kernels

if TYPE_CHECKING:
    from mesa.discrete_space import Network


def small_world(n: int, degree: int, rewire: float, rng: np.random.Generator) -> sp.csr_matrix:
    """A Watts-Strogatz small-world graph on ``n`` nodes as a symmetric 0/1 CSR matrix.

    Each node links to its ``degree // 2`` successors on a ring; each link's far end is rewired to a
    uniformly drawn other node with probability ``rewire``. Built with numpy and scipy, no loop over nodes.
    """
    half = max(min(degree // 2, (n - 1) // 2), 0)
    if n < 3 or half == 0:
        return sp.csr_matrix((n, n), dtype=np.float32)
    source = np.repeat(np.arange(n, dtype=np.int64), half)
    target = (source + np.tile(np.arange(1, half + 1), n)) % n
    move = rng.random(len(target)) < rewire
    drawn = rng.integers(0, n - 1, int(move.sum()))
    target[move] = drawn + (drawn >= source[move])  # any node but the source itself
    directed = sp.csr_matrix((np.ones(len(target), dtype=np.float32), target, np.arange(0, len(target) + 1, half)),
                             shape=(n, n))
    adjacency = (directed + directed.T.tocsr()).tocsr()
    adjacency.data[:] = 1.0  # a pair linked both ways counts once
    return adjacency


def row_normalised(adjacency: sp.csr_matrix) -> sp.csr_matrix:
    """Each row divided by its degree, so ``A @ x`` is the mean of ``x`` over a node's neighbours."""
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse = np.divide(1.0, degree, out=np.zeros_like(degree), where=degree > 0)
    return (sp.diags(inverse.astype(np.float32)) @ adjacency).tocsr()


def shared_row_weights(peers: sp.csr_matrix) -> np.ndarray | None:
    """The weight that each row's links share (float32, one per row), when every row's links share one and the links
    are symmetric, as in a row-normalised :func:`small_world` network; else None. Neighbour means can then be
    taken from the flagged households alone (``kernels.neighbour_shares_from_flagged``)."""
    weights = np.empty(peers.shape[0], dtype=np.float32)
    if peers.data.dtype != np.float32 or not kernels.shared_row_weights(peers.indptr, peers.indices, peers.data,
                                                                        weights):
        return None
    return weights


def unit_pattern(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """A 0/1 matrix with the links of ``matrix``, sharing its index arrays (no copy: the adjacency matrix and its
    row-normalised form then hold one copy of the network's links, 36 MB fewer at a million households). Its
    rows list their links in ``matrix``'s order; sums over a row's links of integer-valued counts, the only
    ones the model takes with it, do not depend on that order."""
    return sp.csr_matrix((np.ones(len(matrix.data), dtype=np.float32), matrix.indices, matrix.indptr),
                         shape=matrix.shape)


def mesa_network(adjacency: sp.csr_matrix, random) -> Network:
    """A Mesa ``discrete_space.Network`` over the networkx graph of ``adjacency`` (no layout)."""
    import networkx as nx
    from mesa.discrete_space import Network

    graph = nx.from_scipy_sparse_array(adjacency)
    return Network(graph, random=random, layout=None)
