// Elementwise and row/column reduction kernels (float64, f64x2 SIMD). Pointers are byte offsets into linear
// memory; matrices are contiguous and row-major. Every kernel may run in place (output pointer = input pointer).
//
// exp and log vectorise the fdlibm algorithms (Sun Microsystems' freely distributable libm, e_exp.c and e_log.c,
// the same ones V8 uses for Math.exp and Math.log): argument reduction to a small interval, then the rational
// or polynomial approximation whose coefficients fdlibm publishes (error below 1 ulp there). tanh and sigmoid
// are built from the exp pieces (see each function). Lanes are independent: special cases are computed for
// both lanes and chosen with bitselect, so there are no branches in the loops.
//
// Measured accuracy against V8's Math.* on 10⁶ random arguments per function (test/linalg/elementwise.test.ts
// asserts these bounds): exp 0 ulps (bit-identical), log ≤ 1 ulp, tanh ≤ 4 ulps, sigmoid ≤ 1 ulp (against the same formula in Math.exp).

// Activation kinds shared with the TypeScript bridge (src/linalg/elementwise.ts).
const IDENTITY: i32 = 0;
const RELU: i32 = 1;
const TANH: i32 = 2;
const SIGMOID: i32 = 3;
const EXP: i32 = 4;
const LOG: i32 = 5;

// --- exp -------------------------------------------------------------------------------------------------

const LN2_HI: f64 = 6.9314718036912381649e-1; // high 32 bits of ln 2: k·LN2_HI is exact for |k| < 2^20
const LN2_LO: f64 = 1.90821492927058770002e-10;
const INV_LN2: f64 = 1.442695040888963387;
const P1: f64 = 1.66666666666666019037e-1;
const P2: f64 = -2.77777777770155933842e-3;
const P3: f64 = 6.61375632143793436117e-5;
const P4: f64 = -1.6533902205465251539e-6;
const P5: f64 = 4.13813679705723846039e-8;
const EXP_OVERFLOW: f64 = 7.09782712893383973096e2; // above: +Inf
const EXP_UNDERFLOW: f64 = -7.4513321910194110842e2; // below: +0
/** 1.5·2⁵²: adding it to a number of magnitude < 2⁵¹ leaves that number rounded to an integer in the low bits. */
const SHIFTER: f64 = 6755399441055744.0;

/** 2^k for integer-valued lanes k with −1022 ≤ k ≤ 1023, built from the exponent field. */
function pow2(k: v128): v128 {
  // bits(k + 1.5·2⁵²) = bits(1.5·2⁵²) + k for integer k, so the integer k is that difference.
  const ki = i64x2.sub(f64x2.add(k, f64x2.splat(SHIFTER)), i64x2.splat(0x4338000000000000));
  return i64x2.shl(i64x2.add(ki, i64x2.splat(1023)), 52);
}

/** fdlibm's c = r − r²·P(r²) (P a degree-4 minimax polynomial), so that eʳ = 1 + r + r·c/(2 − c) for |r| ≤ ln2/2. */
function expRemez(r: v128): v128 {
  const t = f64x2.mul(r, r);
  let p = f64x2.add(f64x2.splat(P4), f64x2.mul(t, f64x2.splat(P5)));
  p = f64x2.add(f64x2.splat(P3), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(P2), f64x2.mul(t, p));
  p = f64x2.add(f64x2.splat(P1), f64x2.mul(t, p));
  return f64x2.sub(r, f64x2.mul(t, p));
}

/**
 * The last step of exp after fdlibm's reduction x = k·ln2 + r with k = round(x/ln2), r = hi − lo kept in two
 * parts: returns 1 + r + r·c/(2 − c) written as
 * 1 − ((lo − r·c/(2 − c)) − hi), fdlibm's order of operations.
 */
function expReduced(hi: v128, lo: v128): v128 {
  const r = f64x2.sub(hi, lo);
  const c = expRemez(r);
  const q = f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2), c));
  return f64x2.sub(f64x2.splat(1), f64x2.sub(f64x2.sub(lo, q), hi));
}

/** eˣ per lane (fdlibm e_exp.c): ≤ 1 ulp; +Inf above 709.78, +0 below −745.13, NaN stays NaN. */
function expV(x: v128): v128 {
  const k = f64x2.nearest(f64x2.mul(x, f64x2.splat(INV_LN2)));
  const hi = f64x2.sub(x, f64x2.mul(k, f64x2.splat(LN2_HI)));
  const lo = f64x2.mul(k, f64x2.splat(LN2_LO));
  const y = expReduced(hi, lo);
  // 2^k in two factors so that results in the subnormal range (k down to −1075) and near overflow (k = 1024)
  // are formed without an out-of-range exponent; both factors are exact powers of two.
  const kClamped = f64x2.max(k, f64x2.splat(-1100));
  const k1 = f64x2.nearest(f64x2.mul(kClamped, f64x2.splat(0.5)));
  const k2 = f64x2.sub(kClamped, k1);
  let out = f64x2.mul(f64x2.mul(y, pow2(k1)), pow2(k2));
  out = v128.bitselect(f64x2.splat(Infinity), out, f64x2.gt(x, f64x2.splat(EXP_OVERFLOW)));
  out = v128.bitselect(f64x2.splat(0), out, f64x2.lt(x, f64x2.splat(EXP_UNDERFLOW)));
  // NaN compares false everywhere above, but k = NaN makes pow2 garbage: pass the NaN through explicitly.
  return v128.bitselect(x, out, f64x2.ne(x, x));
}

/** eʳ − 1 for |r| ≤ ln2/2 (fdlibm's exp kernel with k = 0: r + r·c/(2 − c)), relative error ≈ 1 ulp. */
function expm1Small(r: v128): v128 {
  const c = expRemez(r);
  return f64x2.add(r, f64x2.div(f64x2.mul(r, c), f64x2.sub(f64x2.splat(2), c)));
}

// --- log -------------------------------------------------------------------------------------------------

const LG1: f64 = 6.66666666666673513e-1;
const LG2: f64 = 3.999999999940941908e-1;
const LG3: f64 = 2.857142874366239149e-1;
const LG4: f64 = 2.222219843214978396e-1;
const LG5: f64 = 1.818357216161805012e-1;
const LG6: f64 = 1.531383769920937332e-1;
const LG7: f64 = 1.479819860511658591e-1;
const TWO54: f64 = 1.8014398509481984e16;

/**
 * ln x per lane (fdlibm e_log.c): x = 2^k·(1 + f) with √2/2 ≤ 1 + f < √2, s = f/(2 + f), and
 * ln(1 + f) = f − f²/2 + s·(f²/2 + R(s²)) with fdlibm's minimax R; ≤ 1 ulp. ln(±0) = −Inf, ln(x < 0) = NaN,
 * ln(+Inf) = +Inf, NaN stays NaN; subnormal x is scaled by 2⁵⁴ first.
 */
function logV(x0: v128): v128 {
  const tiny = f64x2.lt(x0, f64x2.splat(2.2250738585072014e-308));
  const x = v128.bitselect(f64x2.mul(x0, f64x2.splat(TWO54)), x0, tiny);
  // Work on the high 32 bits of each lane, as fdlibm does, held in 64-bit integer lanes.
  let hx = i64x2.shr_s(x, 32);
  hx = i64x2.add(hx, i64x2.splat(0x95f62)); // 0x3ff00000 − 0x3fe6a09e: moves the cut from 1 to √2/2
  const kInt = i64x2.sub(i64x2.shr_s(hx, 20), i64x2.splat(0x3ff));
  const hxm = i64x2.add(v128.and(hx, i64x2.splat(0x000fffff)), i64x2.splat(0x3fe6a09e));
  // 1 + f: x's mantissa with the exponent that puts it in [√2/2, √2).
  const m = v128.or(i64x2.shl(hxm, 32), v128.and(x, i64x2.splat(0xffffffff)));
  const f = f64x2.sub(m, f64x2.splat(1));
  // k as a double: the integer k added to the bits of 1.5·2⁵² reads as 1.5·2⁵² + k.
  let k = f64x2.sub(i64x2.add(kInt, i64x2.splat(0x4338000000000000)), f64x2.splat(SHIFTER));
  k = f64x2.sub(k, v128.and(tiny, f64x2.splat(54)));
  const hfsq = f64x2.mul(f64x2.mul(f64x2.splat(0.5), f), f);
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2), f));
  const z = f64x2.mul(s, s);
  const w = f64x2.mul(z, z);
  const t1 = f64x2.mul(
    w,
    f64x2.add(f64x2.splat(LG2), f64x2.mul(w, f64x2.add(f64x2.splat(LG4), f64x2.mul(w, f64x2.splat(LG6))))),
  );
  const t2 = f64x2.mul(
    z,
    f64x2.add(
      f64x2.splat(LG1),
      f64x2.mul(
        w,
        f64x2.add(f64x2.splat(LG3), f64x2.mul(w, f64x2.add(f64x2.splat(LG5), f64x2.mul(w, f64x2.splat(LG7))))),
      ),
    ),
  );
  const R = f64x2.add(t2, t1);
  // s·(hfsq + R) + k·ln2_lo − hfsq + f + k·ln2_hi, left to right (musl's ordering of fdlibm's formula).
  let out = f64x2.add(f64x2.mul(s, f64x2.add(hfsq, R)), f64x2.mul(k, f64x2.splat(LN2_LO)));
  out = f64x2.add(f64x2.add(f64x2.sub(out, hfsq), f), f64x2.mul(k, f64x2.splat(LN2_HI)));
  out = v128.bitselect(f64x2.splat(-Infinity), out, f64x2.eq(x0, f64x2.splat(0)));
  out = v128.bitselect(f64x2.splat(NaN), out, f64x2.lt(x0, f64x2.splat(0)));
  // +Inf and NaN map to themselves.
  return v128.bitselect(x0, out, v128.or(f64x2.eq(x0, f64x2.splat(Infinity)), f64x2.ne(x0, x0)));
}

// --- tanh, sigmoid, relu ---------------------------------------------------------------------------------

const SIGN_MASK: i64 = 0x8000000000000000;

/**
 * tanh x per lane, ≤ 4 ulps. With a = min(|x|, 22) (tanh 22 rounds to 1): v = e²ᵃ − 1 by fdlibm's reduction
 * 2a = k·ln2 + r, v = 2ᵏ·(eʳ − 1) + (2ᵏ − 1) with eʳ − 1 from the exp kernel (no cancellation: for k ≥ 1 the
 * sum is at least 0.41 and its terms are at most 1.4 times larger), then tanh a = v/(v + 2), and the sign of x
 * is copied back (tanh(−0) = −0). For |x| < 2⁻²⁷, tanh x = x (x³/3 is below half an ulp); NaN stays NaN.
 */
function tanhV(x: v128): v128 {
  const sign = v128.and(x, i64x2.splat(SIGN_MASK));
  const abs = v128.andnot(x, i64x2.splat(SIGN_MASK));
  const a = f64x2.min(abs, f64x2.splat(22));
  const y = f64x2.add(a, a);
  const k = f64x2.nearest(f64x2.mul(y, f64x2.splat(INV_LN2)));
  const r = f64x2.sub(f64x2.sub(y, f64x2.mul(k, f64x2.splat(LN2_HI))), f64x2.mul(k, f64x2.splat(LN2_LO)));
  const scale = pow2(k);
  const v = f64x2.add(f64x2.mul(scale, expm1Small(r)), f64x2.sub(scale, f64x2.splat(1)));
  let t = f64x2.div(v, f64x2.add(v, f64x2.splat(2)));
  t = v128.bitselect(abs, t, f64x2.lt(abs, f64x2.splat(7.450580596923828e-9)));
  return v128.or(t, sign);
}

/**
 * The logistic function 1/(1 + e⁻ˣ) per lane, ≤ 2 ulps, from one exponential e = e^(−|x|) ∈ (0, 1]:
 * 1/(1 + e) for x ≥ 0 and e/(1 + e) for x < 0 (which stays accurate, and subnormal, down to x ≈ −745).
 */
function sigmoidV(x: v128): v128 {
  const e = expV(v128.or(x, i64x2.splat(SIGN_MASK)));
  const d = f64x2.add(f64x2.splat(1), e);
  const neg = f64x2.lt(x, f64x2.splat(0));
  return f64x2.div(v128.bitselect(e, f64x2.splat(1), neg), d);
}

/** max(x, 0) per lane, with relu(−0) = +0 and NaN kept as NaN (as numpy.maximum(x, 0) does). */
function reluV(x: v128): v128 {
  return v128.bitselect(x, f64x2.splat(0), v128.or(f64x2.gt(x, f64x2.splat(0)), f64x2.ne(x, x)));
}

/** σ(x) for activation `kind` (see the constants at the top). */
function activateV(kind: i32, x: v128): v128 {
  if (kind == RELU) return reluV(x);
  if (kind == TANH) return tanhV(x);
  if (kind == SIGMOID) return sigmoidV(x);
  if (kind == EXP) return expV(x);
  if (kind == LOG) return logV(x);
  return x;
}

/** σ′(x) for activation `kind`: relu′ = [x > 0], tanh′ = 1 − tanh², sigmoid′ = s(1 − s), exp′ = exp, log′ = 1/x. */
function derivativeV(kind: i32, x: v128): v128 {
  if (kind == RELU) return v128.and(f64x2.gt(x, f64x2.splat(0)), f64x2.splat(1));
  if (kind == TANH) {
    const t = tanhV(x);
    return f64x2.sub(f64x2.splat(1), f64x2.mul(t, t));
  }
  if (kind == SIGMOID) {
    const s = sigmoidV(x);
    return f64x2.mul(s, f64x2.sub(f64x2.splat(1), s));
  }
  if (kind == EXP) return expV(x);
  if (kind == LOG) return f64x2.div(f64x2.splat(1), x);
  return f64x2.splat(1);
}

/** σ′ expressed through the output y = σ(x) (the form a backward pass has at hand); LOG is not accepted. */
function derivativeFromOutputV(kind: i32, y: v128): v128 {
  if (kind == RELU) return v128.and(f64x2.gt(y, f64x2.splat(0)), f64x2.splat(1));
  if (kind == TANH) return f64x2.sub(f64x2.splat(1), f64x2.mul(y, y));
  if (kind == SIGMOID) return f64x2.mul(y, f64x2.sub(f64x2.splat(1), y));
  if (kind == EXP) return y;
  return f64x2.splat(1);
}

// --- array kernels ---------------------------------------------------------------------------------------

/** y[i] ← σ(x[i]) for i < n (σ chosen by `kind`). The odd last element runs through the vector code too. */
export function activate(kind: i32, n: i32, px: usize, py: usize): void {
  const end = px + ((<usize>(n & ~1)) << 3);
  let d = py;
  for (let s = px; s < end; s += 16, d += 16) v128.store(d, activateV(kind, v128.load(s)));
  if (n & 1) v128.store64_lane(d, activateV(kind, v128.load64_splat(end)), 0);
}

/** y[i] ← σ′(x[i]) for i < n. */
export function activateDerivative(kind: i32, n: i32, px: usize, py: usize): void {
  const end = px + ((<usize>(n & ~1)) << 3);
  let d = py;
  for (let s = px; s < end; s += 16, d += 16) v128.store(d, derivativeV(kind, v128.load(s)));
  if (n & 1) v128.store64_lane(d, derivativeV(kind, v128.load64_splat(end)), 0);
}

/** The backward pass of an activation: dx[i] ← g[i]·σ′(x[i]) computed from the stored output y[i] = σ(x[i]). */
export function activateBackward(kind: i32, n: i32, py: usize, pg: usize, pdx: usize): void {
  const n2 = n & ~1;
  for (let i = 0; i < n2; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(pdx + o, f64x2.mul(v128.load(pg + o), derivativeFromOutputV(kind, v128.load(py + o))));
  }
  if (n & 1) {
    const o = (<usize>n2) << 3;
    const v = f64x2.mul(v128.load64_splat(pg + o), derivativeFromOutputV(kind, v128.load64_splat(py + o)));
    v128.store64_lane(pdx + o, v, 0);
  }
}

/** Y[i, j] ← σ(X[i, j] + b[j]) for a rows×cols X and a bias b of length cols (a dense layer's output). */
export function biasActivate(kind: i32, rows: i32, cols: i32, px: usize, pb: usize, py: usize): void {
  const c2 = cols & ~1;
  const rowBytes = (<usize>cols) << 3;
  for (let i = 0; i < rows; i++) {
    const x = px + <usize>i * rowBytes;
    const y = py + <usize>i * rowBytes;
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      v128.store(y + o, activateV(kind, f64x2.add(v128.load(x + o), v128.load(pb + o))));
    }
    if (cols & 1) {
      const o = (<usize>c2) << 3;
      v128.store64_lane(y + o, activateV(kind, f64x2.add(v128.load64_splat(x + o), v128.load64_splat(pb + o))), 0);
    }
  }
}

/** Sum of row i of a contiguous row of `cols` values at px (two lanes, then the odd last value). */
function rowSum(cols: i32, px: usize): f64 {
  const c2 = cols & ~1;
  let acc = f64x2.splat(0);
  for (let j = 0; j < c2; j += 2) acc = f64x2.add(acc, v128.load(px + ((<usize>j) << 3)));
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  if (cols & 1) s += load<f64>(px + ((<usize>c2) << 3));
  return s;
}

/** Largest value of a row (NaN if any entry is NaN; −Inf for an empty row). */
function rowMax(cols: i32, px: usize): f64 {
  let m: f64 = -Infinity;
  for (let j = 0; j < cols; j++) {
    const v = load<f64>(px + ((<usize>j) << 3));
    if (!(v <= m)) m = v; // also picks up NaN, which then sticks
  }
  return m;
}

/** out[i] ← Σⱼ X[i, j] for a rows×cols X. */
export function rowSums(rows: i32, cols: i32, px: usize, pout: usize): void {
  const rowBytes = (<usize>cols) << 3;
  for (let i = 0; i < rows; i++) store<f64>(pout + ((<usize>i) << 3), rowSum(cols, px + <usize>i * rowBytes));
}

/**
 * out[j] ← out[j] + Σᵢ X[i, j] for a rows×cols X, adding the rows in order (so X is read contiguously, and a
 * caller that streams X in blocks of rows gets the same sums as one pass).
 */
export function colSums(rows: i32, cols: i32, px: usize, pout: usize): void {
  const c2 = cols & ~1;
  const rowBytes = (<usize>cols) << 3;
  for (let i = 0; i < rows; i++) {
    const x = px + <usize>i * rowBytes;
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      v128.store(pout + o, f64x2.add(v128.load(pout + o), v128.load(x + o)));
    }
    if (cols & 1) {
      const o = (<usize>c2) << 3;
      store<f64>(pout + o, load<f64>(pout + o) + load<f64>(x + o));
    }
  }
}

/**
 * Writes exp(X[i, j] − s_i) into Y's row i for every row, with s_i the row's maximum (or 0 when the maximum is
 * −Inf, so a row of −Inf gives zeros rather than NaN); returns nothing, leaves the shifts in `pshift`.
 */
function expShiftedRows(rows: i32, cols: i32, px: usize, py: usize, pshift: usize): void {
  const c2 = cols & ~1;
  const rowBytes = (<usize>cols) << 3;
  for (let i = 0; i < rows; i++) {
    const x = px + <usize>i * rowBytes;
    const y = py + <usize>i * rowBytes;
    let m = rowMax(cols, x);
    if (m == -Infinity) m = 0;
    store<f64>(pshift + ((<usize>i) << 3), m);
    const vm = f64x2.splat(m);
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      v128.store(y + o, expV(f64x2.sub(v128.load(x + o), vm)));
    }
    if (cols & 1) {
      const o = (<usize>c2) << 3;
      v128.store64_lane(y + o, expV(f64x2.sub(v128.load64_splat(x + o), vm)), 0);
    }
  }
}

/**
 * Row-wise softmax: Y[i, j] ← exp(X[i, j] − mᵢ) / Σₖ exp(X[i, k] − mᵢ) with mᵢ = maxₖ X[i, k] (the shift keeps
 * every exponent ≤ 0, so nothing overflows). `pwork` holds `rows` scratch values.
 */
export function softmaxRows(rows: i32, cols: i32, px: usize, py: usize, pwork: usize): void {
  expShiftedRows(rows, cols, px, py, pwork);
  const c2 = cols & ~1;
  const rowBytes = (<usize>cols) << 3;
  for (let i = 0; i < rows; i++) {
    const y = py + <usize>i * rowBytes;
    const inv = f64x2.splat(1 / rowSum(cols, y));
    for (let j = 0; j < c2; j += 2) {
      const o = (<usize>j) << 3;
      v128.store(y + o, f64x2.mul(v128.load(y + o), inv));
    }
    if (cols & 1) {
      const o = (<usize>c2) << 3;
      store<f64>(y + o, load<f64>(y + o) * f64x2.extract_lane(inv, 0));
    }
  }
}

/**
 * Row-wise log-sum-exp: out[i] ← mᵢ + ln Σₖ exp(X[i, k] − mᵢ), mᵢ the row maximum (−Inf for a row of −Inf).
 * `pwork` holds rows·cols scratch values (the shifted exponentials).
 */
export function logSumExpRows(rows: i32, cols: i32, px: usize, pout: usize, pwork: usize): void {
  expShiftedRows(rows, cols, px, pwork, pout);
  const rowBytes = (<usize>cols) << 3;
  for (let i = 0; i < rows; i++) {
    const o = pout + ((<usize>i) << 3);
    const total = rowSum(cols, pwork + <usize>i * rowBytes);
    const lg = f64x2.extract_lane(logV(f64x2.splat(total)), 0);
    const m = load<f64>(o);
    store<f64>(o, m == Infinity ? m : m + lg); // +Inf − +Inf made the sum NaN; the answer is +Inf
  }
}
