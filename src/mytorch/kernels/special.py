"""Special functions on plain arrays: a stable sigmoid, erf/erfc, the normal CDF and GELU.

NumPy has no ``erf``, and ``np.vectorize(math.erf)`` is a Python loop over the
elements, so erf is computed here, vectorized, in float64, with W. J. Cody's
rational Chebyshev approximations (Math. Comp. 23, 1969), one per range of
z = |x|, each a ratio of two polynomials evaluated by Horner's rule:

* z < 0.5:       ``erf(z)  = z R1(z^2)``;
* 0.5 <= z < 4:  ``erfc(z) = exp(-z^2) R2(z)``;
* z >= 4:        ``erfc(z) = exp(-z^2) / z (1/sqrt(pi) - R3(1/z^2) / z^2)``,
  the start of the asymptotic series ``1/sqrt(pi) (1 - 1/(2 z^2) + ...)`` corrected.

The approximations themselves are good to about 1e-19, below float64 rounding;
the complement of each range's function is ``1 - it`` (no cancellation: erf is
below 0.53 in the first range, erfc below 0.48 in the others). ``exp(-z^2)`` is
taken apart so the rounding of ``z*z`` is not magnified (see
:func:`_exp_minus_square`), which keeps erfc's relative error small deep in the
tail (erfc(26) is 6e-296). Measured against ``math.erf``/``math.erfc`` on a
fine grid over [-27, 27]: erf within 3 units in the last place of float64,
erfc within 9, relative, down to its underflow (tests/ops/test_activation.py);
float32 results are correctly rounded there.

The arithmetic is NumPy passes over the array, so what costs is memory: the
work goes in blocks of a few thousand elements, in float64, whose temporaries
stay in cache, and is written straight into the output in the input's dtype,
rather than through whole-array temporaries, each a fresh set of pages.

:func:`gelu` gives exact GELU and its derivative for the activation. In float64 it
builds on :func:`normal_cdf`; in float32 it has a cheaper formula of its own, accurate
to float32 rounding (see there): float32 is the activation's hot path, where the
float64 rational approximations would cost eight times PyTorch's whole step.

>>> erf(np.array([0.0, 0.5, 1.0]))
array([0.        , 0.52049988, 0.84270079])
>>> erfc(np.array([10.0, 26.0]))
array([2.08848758e-045, 5.66319241e-296])
"""

from __future__ import annotations

import math

import numpy as np

_SMALL, _LARGE = 0.5, 4.0  # the three ranges of z = |x|
_ERFC_ZERO = 30.0  # erfc(30) underflows to 0; the tail is clipped here, keeping inf out
_ONE_OVER_SQRT_PI = 1 / math.sqrt(math.pi)
_BLOCK = 8192  # elements per block of work: 64 KiB of float64
_BLOCK32 = 32768  # elements per block of float32 GELU: 128 KiB per buffer row. The block's
# 13 rows (1.7 MiB) exceed the 1 MiB L2, yet blocks that fit it are slower: each block costs
# 22 NumPy calls of about 0.7 us fixed cost. CPU time of the (256, 1024) kernel, one thread,
# under load: 8192 elements 1.32 ms, 16384 1.03, 24576 1.00, 32768 1.00, 65536 0.92, 262144 1.30
# (65536 within the noise)
_ONE_OVER_SQRT_2PI = 1 / math.sqrt(2 * math.pi)

# Cody's coefficients, highest power first: (numerator, denominator) of each R
_R1 = ((1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
        3.77485237685302021e02, 3.20937758913846947e03),
       (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
        2.84423683343917062e03))
_R2 = ((2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
        6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
        1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03),
       (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
        1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
        3.43936767414372164e03, 1.23033935480374942e03))
_R3 = ((1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
        1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4),
       (1.0, 2.56852019228982242e00, 1.87295284992346725e00, 5.27905102951428412e-1,
        6.05183413124413191e-2, 2.33520497626869185e-3))


def sigmoid(a: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-a))`` without overflow: ``exp`` only ever sees ``-|a|``."""
    e = np.exp(-np.abs(a))
    r = 1 / (1 + e)
    return np.where(a >= 0, r, e * r)  # for a < 0: exp(a) / (1 + exp(a))


def _horner(coefficients: tuple[float, ...], t: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The polynomial with these coefficients (highest power first) at t, into ``out``."""
    np.multiply(t, coefficients[0], out=out)
    out += coefficients[1]
    for c in coefficients[2:]:
        out *= t
        out += c
    return out


def _rational(r: tuple[tuple[float, ...], tuple[float, ...]], t: np.ndarray,
              out: np.ndarray) -> np.ndarray:
    """``numerator(t) / denominator(t)`` into ``out`` (in place: fresh arrays cost page faults)."""
    _horner(r[0], t, out)
    out /= _horner(r[1], t, np.empty_like(t))
    return out


def _exp_minus_square(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``exp(-z^2)`` into ``out``, to full relative precision even where z^2 is large.

    ``z*z`` is rounded, and exp magnifies that error by z^2; so split z = s + (z - s)
    with s = z rounded to float32, whose square is exact in float64, and use
    exp(-s^2) exp(-(z - s)(z + s)).
    """
    s = z.astype(np.float32).astype(np.float64)
    np.multiply(s, -s, out=out)
    np.exp(out, out=out)
    d = z - s
    d *= np.add(z, s, out=s)
    np.negative(d, out=d)
    out *= np.exp(d, out=d)
    return out


def _erf_or_erfc(a: np.ndarray, complement: bool, scale: float = 1.0,
                 factor: float = 1.0) -> np.ndarray:
    """``factor * erf(scale * a)``, or erfc if ``complement``, in a's dtype, a block at a time.

    In each range of z = |scale * a| the function accurate there is computed
    (erf below 0.5, erfc above) and the other is its complement ``1 - it``. The
    small and middle ranges are both computed on every element, the argument
    clipped into the range: cheaper than gathering a random half of the
    elements; the large range, rare, is gathered. The work goes in blocks of
    ``_BLOCK`` elements, in float64, written into the one output array: every
    whole-array temporary would cost a fresh set of pages, which the page faults
    make dearer than the arithmetic.
    """
    x = np.asarray(a)
    flat = x.reshape(-1)  # 1-d: 0-d math gives scalars
    out = np.empty(flat.shape, dtype=np.result_type(x, np.float32))
    for start in range(0, flat.size, _BLOCK):
        xb = flat[start:start + _BLOCK].astype(np.float64)
        xb *= scale  # in float64: no extra rounding
        z = np.abs(xb)
        zs = np.minimum(z, _SMALL)  # NaN stays NaN through both clips
        e = _rational(_R1, zs * zs, np.empty_like(z))
        e *= zs  # erf(z), valid below 0.5
        zm = np.clip(z, _SMALL, _LARGE, out=zs)
        c = _exp_minus_square(zm, np.empty_like(z))
        c *= _rational(_R2, zm, np.empty_like(z))  # erfc(z), valid from 0.5 on
        large = np.flatnonzero(z >= _LARGE)
        if large.size:
            zl = np.minimum(z[large], _ERFC_ZERO)
            inverse_square = 1 / (zl * zl)
            correction = _rational(_R3, inverse_square, np.empty_like(zl)) * inverse_square
            tail = (_ONE_OVER_SQRT_PI - correction) / zl
            c[large] = _exp_minus_square(zl, np.empty_like(zl)) * tail
        small = z < _SMALL
        if complement:  # erfc(-z) = 2 - erfc(z); below 0.5, 1 - erf(a) (|erf(a)| < 0.53)
            result = np.where(np.signbit(xb), 2 - c, c)
            np.copyto(result, 1 - np.copysign(e, xb), where=small)
        else:
            result = np.copysign(np.where(small, e, 1 - c), xb)
        result *= factor
        out[start:start + _BLOCK] = result
    return out.reshape(x.shape)


def erf(a: np.ndarray) -> np.ndarray:
    """The error function ``2/sqrt(pi) * integral_0^a exp(-t^2) dt``, elementwise, in a's dtype."""
    return _erf_or_erfc(a, complement=False)


def erfc(a: np.ndarray) -> np.ndarray:
    """``1 - erf(a)``, accurate also where it is tiny (large positive a)."""
    return _erf_or_erfc(a, complement=True)


def normal_cdf(a: np.ndarray) -> np.ndarray:
    """Phi(a), the standard normal CDF: ``(1 + erf(a / sqrt(2))) / 2 = erfc(-a / sqrt(2)) / 2``."""
    return _erf_or_erfc(a, complement=True, scale=-math.sqrt(0.5), factor=0.5)


# Phi(-z) = exp(-z^2 / 2) P(z) / Q(z) for z >= 0, P of degree 4 and Q of degree 5 (lowest
# power first; the rows of one matrix product with the powers 1, z, ..., z^5): fitted here to
# Phi(-z) exp(z^2 / 2) on z in [0, 14.5] by least squares on the relative error, linearized
# (weights 1 / Q of the last round) and reweighted towards the minimax (Lawson's method);
# relative error 6e-9 in float64, all coefficients positive (no cancellation in float32), and
# P(0) / Q(0) = 1/2 exactly, so Phi(0) = 1/2 exactly. Past z = 14.5 the float32 exp underflows.
_MILLS = np.array([(0.5, 0.43828512, 0.18322786, 0.04063077, 0.00411594, 0.0),
                   (1.0, 1.67445522, 1.2024729, 0.46945141, 0.10185269, 0.01031702)],
                  dtype=np.float32)
_Z_CLIP = 20.0  # z is clipped here: no overflow in z^5, and exp(-z^2 / 2) is 0 already
_SIGN_BIT = np.int32(-2**31)


def gelu(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact GELU ``y = a Phi(a)`` and its derivative ``dy/da = Phi(a) + a phi(a)``.

    ``phi(a) = exp(-a^2 / 2) / sqrt(2 pi)`` is the standard normal density. Both
    results have a's shape, in float32 for float32 input (float64 otherwise).

    float64 (and any other dtype): Phi is :func:`normal_cdf`, accurate to float64 rounding.

    float32: for z = |a|, ``q = Phi(-z) = exp(-z^2 / 2) P(z) / Q(z)`` (the rational
    ``_MILLS``), then ``y = max(a, 0) - z q`` (no cancellation: for a < 0 it is ``-z q``)
    and ``dy/da = 1/2 + sign(a) (1/2 - q + z phi(z))``. P and Q are one float32 matrix
    product of ``_MILLS`` with the powers of z, and 20 more float32 passes over
    cache-sized blocks: no erf, no float64. Measured against float64 on a fine grid:
    GELU is within 2e-7 + 6e-7 |y| of the exact value, the derivative within 2e-7, and
    below a = -3 y's relative error stays below 5e-6 down to the float32 underflow (the
    rounding of ``a * a`` in float32, magnified by exp) (tests/ops/test_activation.py).
    +inf gives y = inf, -inf y = 0 (the limits), and both a derivative of nan (as PyTorch).

    >>> y, slope = gelu(np.array([-1.0, 0.0, 1.0], dtype=np.float32))
    >>> y.round(6)
    array([-0.158655,  0.      ,  0.841345], dtype=float32)
    >>> slope.round(6)
    array([-0.083315,  0.5     ,  1.083315], dtype=float32)
    """
    x = np.asarray(a)
    if x.dtype != np.float32:
        with np.errstate(over="ignore", invalid="ignore"):  # +-inf: x phi = inf * 0 = nan
            cdf = normal_cdf(x)
            slope = np.exp(x * x * -0.5) * _ONE_OVER_SQRT_2PI
            slope *= x
            slope += cdf
            cdf *= x
        return cdf, slope
    flat = x.reshape(-1)  # 1-d: 0-d math gives scalars
    y, slope = np.empty(flat.shape, np.float32), np.empty(flat.shape, np.float32)
    size = min(flat.size, _BLOCK32)
    powers = _rows(6, size)  # 1, z, z^2, ..., z^5
    powers[0] = 1
    ratio = _rows(2, size)  # P(z), Q(z)
    limits = _rows(2, size)  # the clip, and 0 for max(x, 0): arrays, not scalars (NumPy's
    limits[0], limits[1] = _Z_CLIP, 0  # loops with a scalar operand are slower)
    with np.errstate(over="ignore", invalid="ignore"):  # +-inf as above
        for start in range(0, flat.size, _BLOCK32):
            block = slice(start, start + _BLOCK32)
            n = len(range(*block.indices(flat.size)))
            _gelu32_block(flat[block], y[block], slope[block], powers[:, :n], ratio[:, :n],
                          limits[:, :n])
    return y.reshape(x.shape), slope.reshape(x.shape)


def _rows(count: int, size: int) -> np.ndarray:
    """A float32 buffer of ``count`` rows of ``size``, each row 64 bytes further along the
    cache than the last: rows a power of two apart map to the same cache sets, and a pass
    that reads two of them and writes a third ran 3x slower (measured, 65536-element rows)."""
    return np.empty((count, size + 16), np.float32)[:, :size]


def _gelu32_block(xb: np.ndarray, yb: np.ndarray, sb: np.ndarray, powers: np.ndarray,
                  ratio: np.ndarray, limits: np.ndarray) -> None:
    """:func:`gelu` of one float32 block ``xb`` into ``yb`` and ``sb``; the rest are work
    buffers cut to the block (``powers[0]`` is 1, ``limits`` the clip and 0). Few of them,
    and the outputs' blocks reused as work space, so that a block's arrays stay in cache."""
    z, z2 = powers[1], powers[2]
    w, e = sb, powers[3]  # the slope's block holds w until the sign goes in; e takes z^3's row
    np.abs(xb, out=w)  # kept unclipped for x phi: +-inf give a derivative of nan, as torch
    np.minimum(w, limits[0], out=z)  # NaN stays NaN
    np.multiply(z, z, out=z2)
    np.multiply(z2, z, out=powers[3])
    np.multiply(z2, z2, out=powers[4])
    np.multiply(powers[4], z, out=powers[5])
    np.matmul(_MILLS, powers, out=ratio)  # P(z), Q(z): one product, not 17 Horner passes
    q, zq = ratio
    q /= ratio[1]
    np.multiply(z2, -0.5, out=e)  # exp(-z^2 / 2)
    np.exp(e, out=e)
    q *= e  # Phi(-z)
    np.multiply(z, q, out=zq)  # y = max(x, 0) - z q: x Phi(x) on either side
    np.maximum(xb, limits[1], out=yb)
    yb -= zq
    # dy/dx = Phi + x phi = 1/2 + sign(x) w with w = 1/2 - q + z phi >= 0: the sign by or-ing
    # x's sign bit into w (a select or copysign on random signs costs several passes)
    w *= _ONE_OVER_SQRT_2PI
    w *= e
    w += 0.5
    w -= q
    sign = z2.view(np.int32)
    np.bitwise_and(xb.view(np.int32), _SIGN_BIT, out=sign)
    np.bitwise_or(w.view(np.int32), sign, out=w.view(np.int32))
    sb += 0.5
