// Vector helpers for the LAPACK-like kernels: f64x2 SIMD dot products, axpys and plane rotations over contiguous
// float64 arrays. Pointers are byte offsets; lengths are element counts.

/**
 * Reflector norms at or below NEGLIGIBLE (2^−966, LINPACK's underflow guard) are treated as exact zeros (the
 * entries are zeroed: a backward error of at most NEGLIGIBLE·√m on inputs rescaled to max|A| ≈ 1). Without this,
 * exactly rank-deficient inputs whose rounding noise decays geometrically reach subnormals, whose few significant
 * bits make the Householder vectors non-orthogonal.
 */
export const NEGLIGIBLE: f64 = reinterpret<f64>((<u64>(1023 - 966)) << 52);

/** x[i] at byte pointer p. */
export function ld(p: usize, i: i32): f64 {
  return load<f64>(p + ((<usize>i) << 3));
}

/** x[i] = v at byte pointer p. */
export function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + ((<usize>i) << 3), v);
}

/** Byte pointer of element (i, j) of a row-major matrix with row stride ld at p. */
export function at(p: usize, i: i32, j: i32, ld: i32): usize {
  return p + ((<usize>i * <usize>ld + <usize>j) << 3);
}

/** Σ x[i]·y[i], i < n (two independent f64x2 accumulators to hide the add latency). */
export function dot(px: usize, py: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 3;
    a0 = f64x2.add(a0, f64x2.mul(v128.load(px + o), v128.load(py + o)));
    a1 = f64x2.add(a1, f64x2.mul(v128.load(px + o, 16), v128.load(py + o, 16)));
  }
  a0 = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a0, 0) + f64x2.extract_lane(a0, 1);
  for (; i < n; i++) s += ld(px, i) * ld(py, i);
  return s;
}

/** y[i] += a·x[i], i < n. */
export function axpy(n: i32, a: f64, px: usize, py: usize): void {
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 3;
    v128.store(py + o, f64x2.add(v128.load(py + o), f64x2.mul(va, v128.load(px + o))));
    v128.store(py + o, f64x2.add(v128.load(py + o, 16), f64x2.mul(va, v128.load(px + o, 16))), 16);
  }
  for (; i < n; i++) st(py, i, ld(py, i) + a * ld(px, i));
}

/** x[i] *= a, i < n. */
export function scal(n: i32, a: f64, px: usize): void {
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(px + o, f64x2.mul(va, v128.load(px + o)));
  }
  for (; i < n; i++) st(px, i, a * ld(px, i));
}

/**
 * x[i] /= a, i < n. Used instead of scaling by 1/a wherever a may be tiny: 1/a overflows to ∞ once |a| < 2^−1024
 * (rank-deficient inputs drive reflector norms and pivots down to subnormals).
 */
export function div(n: i32, a: f64, px: usize): void {
  const va = f64x2.splat(a);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    v128.store(px + o, f64x2.div(v128.load(px + o), va));
  }
  for (; i < n; i++) st(px, i, ld(px, i) / a);
}

/** Swaps x[i] and y[i], i < n. */
export function swap(n: i32, px: usize, py: usize): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    const t = v128.load(px + o);
    v128.store(px + o, v128.load(py + o));
    v128.store(py + o, t);
  }
  for (; i < n; i++) {
    const t = ld(px, i);
    st(px, i, ld(py, i));
    st(py, i, t);
  }
}

/** ‖x‖₂ (i < n) without overflow or underflow: scaled by max|x| (as LAPACK dnrm2 guarantees). */
export function nrm2(px: usize, n: i32): f64 {
  let big: f64 = 0;
  for (let i = 0; i < n; i++) big = max(big, abs(ld(px, i)));
  if (big == 0) return 0;
  // Scale by a power of two so the sum of squares is exact in range and costs no rounding.
  const sc = reinterpret<f64>((<u64>max(1, 2046 - <i32>(reinterpret<u64>(big) >> 52))) << 52);
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const y = ld(px, i) * sc;
    s += y * y;
  }
  return sqrt(s) / sc;
}

/**
 * A list of plane rotations, recorded while an iteration (tridiagonal QL, bidiagonal QR) runs and applied later in
 * one cache-friendly pass (`applyRotations`). Rotation r maps rows (x, y) = (row i_r, row j_r) of a row-major
 * matrix to (c x − s y, s x + c y). The list lives in linear memory (kernels never allocate): a header of
 * ROT_HEADER bytes at pL — count, capacity, the matrix pointer and its row length — then i32 i[cap], i32 j[cap],
 * f64 c[cap], f64 s[cap].
 */
export const ROT_HEADER: i32 = 16;

/** Bytes a rotation list of `capacity` entries needs. */
export function rotationListBytes(capacity: i32): i32 {
  return ROT_HEADER + capacity * 24;
}

/** Initialises a rotation list at pL for the row-major matrix at pM with rows of length `cols`. */
export function rotInit(pL: usize, capacity: i32, pM: usize, cols: i32): void {
  store<i32>(pL, 0);
  store<i32>(pL, capacity, 4);
  store<i32>(pL, <i32>pM, 8);
  store<i32>(pL, cols, 12);
}

/** Records a rotation of rows (i, j); applies and clears the list first when it is full. */
export function rotPush(pL: usize, i: i32, j: i32, c: f64, s: f64): void {
  let count = load<i32>(pL);
  const cap = load<i32>(pL, 4);
  if (count == cap) {
    rotFlush(pL);
    count = 0;
  }
  const base = pL + <usize>ROT_HEADER;
  const r = <usize>count;
  store<i32>(base + (r << 2), i);
  store<i32>(base + ((<usize>cap) << 2) + (r << 2), j);
  store<f64>(base + ((<usize>cap) << 3) + (r << 3), c);
  store<f64>(base + ((<usize>cap) << 4) + (r << 3), s);
  store<i32>(pL, count + 1);
}

/** Applies the recorded rotations in order and clears the list. */
export function rotFlush(pL: usize): void {
  const cap = <usize>load<i32>(pL, 4);
  const base = pL + <usize>ROT_HEADER;
  applyRotations(
    <usize>load<i32>(pL, 8),
    load<i32>(pL, 12),
    base,
    base + (cap << 2),
    base + (cap << 3),
    base + (cap << 4),
    load<i32>(pL),
  );
  store<i32>(pL, 0);
}

/** Columns per pass of `applyRotations`: a 16-wide strip of a 400-row matrix is 50 KiB, resident in L2. */
const STRIP: i32 = 16;

/**
 * Applies `count` rotations in order to the rows of a row-major matrix (row length `cols`). The matrix is cut into
 * STRIP-wide column strips and every rotation is applied to one strip before moving to the next: each column
 * evolves independently, so this is the same result as rotation by rotation, but the strip stays in cache.
 * A sweep of the QL/QR iterations is a chain of rotations on neighbouring rows in which each rotation shares a
 * row with the next — (i, i+1) then (i−1, i) going up, (i, i+1) then (i+1, i+2) going down; such a chain is
 * applied with the shared row kept in registers, 8 columns at a time, halving the loads and stores.
 */
export function applyRotations(pM: usize, cols: i32, pI: usize, pJ: usize, pC: usize, pS: usize, count: i32): void {
  const ldb = (<usize>cols) << 3;
  for (let c0 = 0; c0 < cols; c0 += STRIP) {
    const w = min(STRIP, cols - c0);
    const base = pM + ((<usize>c0) << 3);
    let r = 0;
    while (r < count) {
      const i0 = idx(pI, r);
      let len = 1;
      let up = false;
      if (r + 1 < count && idx(pJ, r) == i0 + 1) {
        up = idx(pJ, r + 1) == i0;
        const down = idx(pI, r + 1) == i0 + 1;
        if (up || down) {
          while (r + len < count) {
            const i = idx(pI, r + len);
            const j = idx(pJ, r + len);
            if (j != i + 1 || (up ? j != idx(pI, r + len - 1) : i != idx(pJ, r + len - 1))) break;
            len++;
          }
        }
      }
      let h = 0;
      if (len > 1) {
        for (; h + 8 <= w; h += 8) {
          const b = base + ((<usize>h) << 3);
          if (up) chainUp8(b, ldb, pI, pJ, pC, pS, r, len);
          else chainDown8(b, ldb, pI, pJ, pC, pS, r, len);
        }
      }
      if (h < w) {
        const b = base + ((<usize>h) << 3);
        for (let t = r; t < r + len; t++) {
          const to = <usize>t;
          rot(
            w - h,
            b + <usize>idx(pI, t) * ldb,
            b + <usize>idx(pJ, t) * ldb,
            load<f64>(pC + (to << 3)),
            load<f64>(pS + (to << 3)),
          );
        }
      }
      r += len;
    }
  }
}

/** Row index r of a rotation list's i32 array at p. */
function idx(p: usize, r: i32): i32 {
  return load<i32>(p + ((<usize>r) << 2));
}

/**
 * An upward chain on 8 columns at b: rotation t acts on (x, y) = (row i_t, row i_t + 1) with i_{t+1} = i_t − 1, so
 * the new x of rotation t is the y of rotation t + 1 and stays in registers.
 */
function chainUp8(b: usize, ldb: usize, pI: usize, pJ: usize, pC: usize, pS: usize, r: i32, len: i32): void {
  let py = b + <usize>idx(pJ, r) * ldb;
  let y0 = v128.load(py);
  let y1 = v128.load(py, 16);
  let y2 = v128.load(py, 32);
  let y3 = v128.load(py, 48);
  for (let t = r; t < r + len; t++) {
    const to = <usize>t;
    const c = f64x2.splat(load<f64>(pC + (to << 3)));
    const s = f64x2.splat(load<f64>(pS + (to << 3)));
    const px = b + <usize>idx(pI, t) * ldb;
    const x0 = v128.load(px);
    const x1 = v128.load(px, 16);
    const x2 = v128.load(px, 32);
    const x3 = v128.load(px, 48);
    v128.store(py, f64x2.add(f64x2.mul(s, x0), f64x2.mul(c, y0)));
    v128.store(py, f64x2.add(f64x2.mul(s, x1), f64x2.mul(c, y1)), 16);
    v128.store(py, f64x2.add(f64x2.mul(s, x2), f64x2.mul(c, y2)), 32);
    v128.store(py, f64x2.add(f64x2.mul(s, x3), f64x2.mul(c, y3)), 48);
    y0 = f64x2.sub(f64x2.mul(c, x0), f64x2.mul(s, y0));
    y1 = f64x2.sub(f64x2.mul(c, x1), f64x2.mul(s, y1));
    y2 = f64x2.sub(f64x2.mul(c, x2), f64x2.mul(s, y2));
    y3 = f64x2.sub(f64x2.mul(c, x3), f64x2.mul(s, y3));
    py = px;
  }
  v128.store(py, y0);
  v128.store(py, y1, 16);
  v128.store(py, y2, 32);
  v128.store(py, y3, 48);
}

/**
 * A downward chain on 8 columns at b: rotation t acts on (x, y) = (row i_t, row i_t + 1) with i_{t+1} = i_t + 1, so
 * the new y of rotation t is the x of rotation t + 1 and stays in registers.
 */
function chainDown8(b: usize, ldb: usize, pI: usize, pJ: usize, pC: usize, pS: usize, r: i32, len: i32): void {
  let px = b + <usize>idx(pI, r) * ldb;
  let x0 = v128.load(px);
  let x1 = v128.load(px, 16);
  let x2 = v128.load(px, 32);
  let x3 = v128.load(px, 48);
  for (let t = r; t < r + len; t++) {
    const to = <usize>t;
    const c = f64x2.splat(load<f64>(pC + (to << 3)));
    const s = f64x2.splat(load<f64>(pS + (to << 3)));
    const py = b + <usize>idx(pJ, t) * ldb;
    const y0 = v128.load(py);
    const y1 = v128.load(py, 16);
    const y2 = v128.load(py, 32);
    const y3 = v128.load(py, 48);
    v128.store(px, f64x2.sub(f64x2.mul(c, x0), f64x2.mul(s, y0)));
    v128.store(px, f64x2.sub(f64x2.mul(c, x1), f64x2.mul(s, y1)), 16);
    v128.store(px, f64x2.sub(f64x2.mul(c, x2), f64x2.mul(s, y2)), 32);
    v128.store(px, f64x2.sub(f64x2.mul(c, x3), f64x2.mul(s, y3)), 48);
    x0 = f64x2.add(f64x2.mul(s, x0), f64x2.mul(c, y0));
    x1 = f64x2.add(f64x2.mul(s, x1), f64x2.mul(c, y1));
    x2 = f64x2.add(f64x2.mul(s, x2), f64x2.mul(c, y2));
    x3 = f64x2.add(f64x2.mul(s, x3), f64x2.mul(c, y3));
    px = py;
  }
  v128.store(px, x0);
  v128.store(px, x1, 16);
  v128.store(px, x2, 32);
  v128.store(px, x3, 48);
}

/** (x, y) ← (c x − s y, s x + c y) elementwise, i < n. */
export function rot(n: i32, px: usize, py: usize, c: f64, s: f64): void {
  const vc = f64x2.splat(c);
  const vs = f64x2.splat(s);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = (<usize>i) << 3;
    const x = v128.load(px + o);
    const y = v128.load(py + o);
    v128.store(px + o, f64x2.sub(f64x2.mul(vc, x), f64x2.mul(vs, y)));
    v128.store(py + o, f64x2.add(f64x2.mul(vs, x), f64x2.mul(vc, y)));
  }
  for (; i < n; i++) {
    const x = ld(px, i);
    const y = ld(py, i);
    st(px, i, c * x - s * y);
    st(py, i, s * x + c * y);
  }
}
