// Kernels of the convolution and pooling layers (src/nn/conv2d.ts, src/nn/pooling.ts): the rearrangements around
// a convolution's GEMM (im2col, col2im, positions ↔ channels), the bias gradient, and max pooling. Activations
// are float64 NCHW rows (one example per row); the GEMM operands (patches, output gradients) are float64 or
// float32, hence the F64/F32 pairs, which differ only in the element type of those operands.
//
// A convolution's geometry is passed as a block of 11 i32 at pGeo: channels C, height H, width W, kernel kh × kw,
// stride sh × sw, padding ph × pw, output outH × outW (the fields of ConvGeometry in src/nn/im2col.ts).

function geo(pGeo: usize, field: i32): i32 {
  return load<i32>(pGeo + ((<usize>field) << 2));
}

function at<T>(p: usize, index: i32): usize {
  return p + <usize>index * sizeof<T>();
}

/** Values of one zero-padded example, C × (H + 2ph) × (W + 2pw): the workspace `im2col` and `col2im` need. */
export function paddedImageSize(pGeo: usize): i32 {
  return geo(pGeo, 0) * (geo(pGeo, 1) + 2 * geo(pGeo, 7)) * (geo(pGeo, 2) + 2 * geo(pGeo, 8));
}

/**
 * Patch rows of n examples: row i·T + (oh·outW + ow) of the (n·T) × ld matrix at pp (T = outH·outW) receives in
 * column c·kh·kw + ki·kw + kj the input X[i, c, oh·sh − ph + ki, ow·sw − pw + kj] (0 outside the image), read from
 * the float64 NCHW rows at px. Columns from C·kh·kw to ld are left alone. Each example is first copied, converted
 * and zero-padded into the workspace at pwork (`paddedImageSize` values of T), so every patch segment is then a
 * plain copy of kw contiguous values, without bounds checks.
 */
function im2col<T>(n: i32, pGeo: usize, px: usize, ld: i32, pp: usize, pwork: usize): void {
  const C = geo(pGeo, 0),
    H = geo(pGeo, 1),
    W = geo(pGeo, 2),
    kh = geo(pGeo, 3),
    kw = geo(pGeo, 4);
  const sh = geo(pGeo, 5),
    sw = geo(pGeo, 6),
    ph = geo(pGeo, 7),
    pw = geo(pGeo, 8);
  const outH = geo(pGeo, 9),
    outW = geo(pGeo, 10);
  const Hp = H + 2 * ph;
  const Wp = W + 2 * pw;
  const padded = C * Hp * Wp;
  memory.fill(pwork, 0, <usize>padded * sizeof<T>());
  let row = 0;
  for (let i = 0; i < n; i++) {
    const xi = px + ((<usize>(i * C * H * W)) << 3);
    for (let c = 0; c < C; c++) {
      for (let ih = 0; ih < H; ih++) {
        const src = xi + ((<usize>((c * H + ih) * W)) << 3);
        const dst = at<T>(pwork, (c * Hp + ih + ph) * Wp + pw);
        for (let iw = 0; iw < W; iw++) store<T>(at<T>(dst, iw), <T>load<f64>(src + ((<usize>iw) << 3)));
      }
    }
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, row++) {
        let q = at<T>(pp, row * ld);
        for (let c = 0; c < C; c++) {
          let src = at<T>(pwork, (c * Hp + oh * sh) * Wp + ow * sw);
          for (let ki = 0; ki < kh; ki++) {
            for (let kj = 0; kj < kw; kj++) store<T>(at<T>(q, kj), load<T>(at<T>(src, kj)));
            q = at<T>(q, kw);
            src = at<T>(src, Wp);
          }
        }
      }
    }
  }
}

/**
 * The adjoint of `im2col`: adds every patch entry dP[row, col] (the first C·kh·kw columns of the (n·T) × ld
 * matrix at pdp) onto the float64 input entry `im2col` read it from, dX at pdx (n rows of C·H·W; the caller
 * initialises it). Each example's patches are summed into a zero-padded float64 workspace at pwork
 * (`paddedImageSize` float64 values) in row order, whose interior is then added to dX, so the sums do not depend
 * on how the caller splits the batch.
 */
function col2im<T>(n: i32, pGeo: usize, pdp: usize, ld: i32, pdx: usize, pwork: usize): void {
  const C = geo(pGeo, 0),
    H = geo(pGeo, 1),
    W = geo(pGeo, 2),
    kh = geo(pGeo, 3),
    kw = geo(pGeo, 4);
  const sh = geo(pGeo, 5),
    sw = geo(pGeo, 6),
    ph = geo(pGeo, 7),
    pw = geo(pGeo, 8);
  const outH = geo(pGeo, 9),
    outW = geo(pGeo, 10);
  const Hp = H + 2 * ph;
  const Wp = W + 2 * pw;
  const padded = C * Hp * Wp;
  let row = 0;
  for (let i = 0; i < n; i++) {
    memory.fill(pwork, 0, (<usize>padded) << 3);
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++, row++) {
        let q = at<T>(pdp, row * ld);
        for (let c = 0; c < C; c++) {
          let dst = pwork + ((<usize>((c * Hp + oh * sh) * Wp + ow * sw)) << 3);
          for (let ki = 0; ki < kh; ki++) {
            for (let kj = 0; kj < kw; kj++) {
              const d = dst + ((<usize>kj) << 3);
              store<f64>(d, load<f64>(d) + <f64>load<T>(at<T>(q, kj)));
            }
            q = at<T>(q, kw);
            dst += (<usize>Wp) << 3;
          }
        }
      }
    }
    const xi = pdx + ((<usize>(i * C * H * W)) << 3);
    for (let c = 0; c < C; c++) {
      for (let ih = 0; ih < H; ih++) {
        const d = xi + ((<usize>((c * H + ih) * W)) << 3);
        const s = pwork + ((<usize>((c * Hp + ih + ph) * Wp + pw)) << 3);
        for (let iw = 0; iw < W; iw++) {
          const o = d + ((<usize>iw) << 3);
          store<f64>(o, load<f64>(o) + load<f64>(s + ((<usize>iw) << 3)));
        }
      }
    }
  }
}

/**
 * NCHW rows from a GEMM result: out[i, c·T + t] = Y[i·T + t, c] + b[c] for the (n·T) × C matrix Y at py, the
 * float64 bias at pb (none when pb is 0), written as float64 rows of C·T at pout.
 */
function positionsToChannels<T>(n: i32, positions: i32, C: i32, py: usize, pb: usize, pout: usize): void {
  for (let i = 0; i < n; i++) {
    const yi = at<T>(py, i * positions * C);
    const oi = pout + ((<usize>(i * C * positions)) << 3);
    for (let c = 0; c < C; c++) {
      const b = pb ? load<f64>(pb + ((<usize>c) << 3)) : 0.0;
      const o = oi + ((<usize>(c * positions)) << 3);
      for (let t = 0; t < positions; t++) {
        store<f64>(o + ((<usize>t) << 3), <f64>load<T>(at<T>(yi, t * C + c)) + b);
      }
    }
  }
}

/** The inverse rearrangement, without bias: G[i·T + t, c] = D[i, c·T + t] from float64 NCHW rows at pd. */
function channelsToPositions<T>(n: i32, positions: i32, C: i32, pd: usize, pg: usize): void {
  for (let i = 0; i < n; i++) {
    const gi = at<T>(pg, i * positions * C);
    const di = pd + ((<usize>(i * C * positions)) << 3);
    for (let c = 0; c < C; c++) {
      const d = di + ((<usize>(c * positions)) << 3);
      for (let t = 0; t < positions; t++) store<T>(at<T>(gi, t * C + c), <T>load<f64>(d + ((<usize>t) << 3)));
    }
  }
}

export function im2colF64(n: i32, pGeo: usize, px: usize, ld: i32, pp: usize, pwork: usize): void {
  im2col<f64>(n, pGeo, px, ld, pp, pwork);
}

export function im2colF32(n: i32, pGeo: usize, px: usize, ld: i32, pp: usize, pwork: usize): void {
  im2col<f32>(n, pGeo, px, ld, pp, pwork);
}

export function col2imF64(n: i32, pGeo: usize, pdp: usize, ld: i32, pdx: usize, pwork: usize): void {
  col2im<f64>(n, pGeo, pdp, ld, pdx, pwork);
}

export function col2imF32(n: i32, pGeo: usize, pdp: usize, ld: i32, pdx: usize, pwork: usize): void {
  col2im<f32>(n, pGeo, pdp, ld, pdx, pwork);
}

export function positionsToChannelsF64(n: i32, positions: i32, C: i32, py: usize, pb: usize, pout: usize): void {
  positionsToChannels<f64>(n, positions, C, py, pb, pout);
}

export function positionsToChannelsF32(n: i32, positions: i32, C: i32, py: usize, pb: usize, pout: usize): void {
  positionsToChannels<f32>(n, positions, C, py, pb, pout);
}

export function channelsToPositionsF64(n: i32, positions: i32, C: i32, pd: usize, pg: usize): void {
  channelsToPositions<f64>(n, positions, C, pd, pg);
}

export function channelsToPositionsF32(n: i32, positions: i32, C: i32, pd: usize, pg: usize): void {
  channelsToPositions<f32>(n, positions, C, pd, pg);
}

/**
 * out[i·C + c] = Σ_t D[i, c·T + t] over the float64 NCHW rows at pd: each example's channel sums (a convolution's
 * bias gradient is their column sum over the examples, divided by n), summed in a fixed order (per channel plane
 * two interleaved partial sums). Per example, so the batch can be split across threads without changing a bit.
 */
export function channelSums(n: i32, C: i32, positions: i32, pd: usize, pout: usize): void {
  const t2 = positions & ~1;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < C; c++) {
      const d = pd + ((<usize>((i * C + c) * positions)) << 3);
      let s = f64x2.splat(0);
      for (let t = 0; t < t2; t += 2) s = f64x2.add(s, v128.load(d + ((<usize>t) << 3)));
      let total = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
      if (t2 < positions) total += load<f64>(d + ((<usize>t2) << 3));
      store<f64>(pout + ((<usize>(i * C + c)) << 3), total);
    }
  }
}

/**
 * A convolution's output, max-pooled, straight from its GEMM result: for the (n·T) × C matrix Y at py (positions
 * × channels, T = H·W positions of the convolution's output, geometry of the pooling at pPool with channels C and
 * H × W its input), out[i, c, oh, ow] = max over the window of Y[i·T + t, c], plus the float64 bias b[c] (none when
 * pb is 0), as float64 NCHW rows at pout, and argmax[i, c, oh, ow] = c·T + t of the winner (its index in the
 * example's NCHW row; the first one on ties, NaN wins as in `maxPoolForward`). The caller applies a monotone
 * activation σ to the pooled values afterwards: max σ(y + b) = σ(max y + b), since rounding y + b is monotone too,
 * so the full-size outputs are never laid out, biased or activated. The window's rows of C values are contiguous in
 * Y, so every load of the window is a cache hit after the first channel.
 */
function poolPositions<T>(n: i32, pPool: usize, py: usize, pb: usize, pout: usize, pargmax: usize): void {
  const C = geo(pPool, 0),
    W = geo(pPool, 2),
    kh = geo(pPool, 3),
    kw = geo(pPool, 4);
  const sh = geo(pPool, 5),
    sw = geo(pPool, 6),
    outH = geo(pPool, 9),
    outW = geo(pPool, 10);
  const positions = geo(pPool, 1) * W;
  const pooled = outH * outW;
  // Channels a vector holds (4 float32 or 2 float64): each window position's channels are one load.
  const lanes = 16 / sizeof<T>();
  const vectorC = C - (C % lanes);
  for (let i = 0; i < n; i++) {
    const yi = at<T>(py, i * positions * C);
    const o0 = i * C * pooled;
    for (let oh = 0; oh < outH; oh++) {
      for (let ow = 0; ow < outW; ow++) {
        const first = oh * sh * W + ow * sw;
        const o = o0 + oh * outW + ow;
        for (let c = 0; c < vectorC; c += lanes) {
          let best = sizeof<T>() == 4 ? f32x4.splat(-Infinity) : f64x2.splat(-Infinity);
          let arg = sizeof<T>() == 4 ? i32x4.splat(first) : i64x2.splat(first);
          for (let ki = 0; ki < kh; ki++) {
            for (let kj = 0; kj < kw; kj++) {
              const t = first + ki * W + kj;
              const v = v128.load(at<T>(yi, t * C + c));
              // NaN wins, as in the scalar loop below.
              const wins =
                sizeof<T>() == 4
                  ? v128.or(f32x4.gt(v, best), f32x4.ne(v, v))
                  : v128.or(f64x2.gt(v, best), f64x2.ne(v, v));
              best = v128.bitselect(v, best, wins);
              arg = v128.bitselect(sizeof<T>() == 4 ? i32x4.splat(t) : i64x2.splat(t), arg, wins);
            }
          }
          if (sizeof<T>() == 4) {
            storePooled(
              pout,
              pargmax,
              pb,
              o,
              c,
              pooled,
              positions,
              <f64>f32x4.extract_lane(best, 0),
              i32x4.extract_lane(arg, 0),
            );
            storePooled(
              pout,
              pargmax,
              pb,
              o,
              c + 1,
              pooled,
              positions,
              <f64>f32x4.extract_lane(best, 1),
              i32x4.extract_lane(arg, 1),
            );
            storePooled(
              pout,
              pargmax,
              pb,
              o,
              c + 2,
              pooled,
              positions,
              <f64>f32x4.extract_lane(best, 2),
              i32x4.extract_lane(arg, 2),
            );
            storePooled(
              pout,
              pargmax,
              pb,
              o,
              c + 3,
              pooled,
              positions,
              <f64>f32x4.extract_lane(best, 3),
              i32x4.extract_lane(arg, 3),
            );
          } else {
            storePooled(
              pout,
              pargmax,
              pb,
              o,
              c,
              pooled,
              positions,
              f64x2.extract_lane(best, 0),
              <i32>i64x2.extract_lane(arg, 0),
            );
            storePooled(
              pout,
              pargmax,
              pb,
              o,
              c + 1,
              pooled,
              positions,
              f64x2.extract_lane(best, 1),
              <i32>i64x2.extract_lane(arg, 1),
            );
          }
        }
        for (let c = vectorC; c < C; c++) {
          let best = <T>-Infinity;
          let arg = first;
          for (let ki = 0; ki < kh; ki++) {
            for (let kj = 0; kj < kw; kj++) {
              const t = first + ki * W + kj;
              const v = load<T>(at<T>(yi, t * C + c));
              // Selects rather than branches (random data mispredicts every other comparison); NaN wins.
              const wins = <bool>((<i32>(v > best)) | (<i32>(v != v)));
              best = select<T>(v, best, wins);
              arg = select<i32>(t, arg, wins);
            }
          }
          storePooled(pout, pargmax, pb, o, c, pooled, positions, <f64>best, arg);
        }
      }
    }
  }
}

/** Writes channel c's pooled value (plus its bias) and its winner's index at pooled entry o + c·pooled. */
function storePooled(
  pout: usize,
  pargmax: usize,
  pb: usize,
  o: i32,
  c: i32,
  pooled: i32,
  positions: i32,
  best: f64,
  arg: i32,
): void {
  const k = o + c * pooled;
  const b = pb ? load<f64>(pb + ((<usize>c) << 3)) : 0.0;
  store<f64>(pout + ((<usize>k) << 3), best + b);
  store<i32>(pargmax + ((<usize>k) << 2), c * positions + arg);
}

/**
 * The adjoint of `poolPositions` (before its bias): the per-position gradients G ((n·T) × C at pg, this kernel
 * zeroes them first) receive each pooled gradient D[i, o] (float64 NCHW rows of C·pooled at pd, already multiplied
 * by σ′) at the winner argmax[i, o] = c·T + t, G[i·T + t, c] += D[i, o]; with pdb, also each example's channel sums
 * of D (float64 n × C, the bias gradient's terms as `channelSums` writes them). Windows that do not overlap give
 * every position at most one term, so G holds D's values rounded once.
 */
function poolGradPositions<T>(
  n: i32,
  positions: i32,
  C: i32,
  pooled: i32,
  pd: usize,
  pargmax: usize,
  pg: usize,
  pdb: usize,
): void {
  memory.fill(pg, 0, <usize>n * <usize>positions * <usize>C * sizeof<T>());
  let o = 0;
  for (let i = 0; i < n; i++) {
    const gi = at<T>(pg, i * positions * C);
    for (let c = 0; c < C; c++) {
      let sum = 0.0;
      for (let k = 0; k < pooled; k++, o++) {
        const v = load<f64>(pd + ((<usize>o) << 3));
        const t = load<i32>(pargmax + ((<usize>o) << 2)) - c * positions;
        const g = at<T>(gi, t * C + c);
        store<T>(g, load<T>(g) + <T>v);
        sum += v;
      }
      if (pdb) store<f64>(pdb + ((<usize>(i * C + c)) << 3), sum);
    }
  }
}

export function poolPositionsF64(n: i32, pPool: usize, py: usize, pb: usize, pout: usize, pargmax: usize): void {
  poolPositions<f64>(n, pPool, py, pb, pout, pargmax);
}

export function poolPositionsF32(n: i32, pPool: usize, py: usize, pb: usize, pout: usize, pargmax: usize): void {
  poolPositions<f32>(n, pPool, py, pb, pout, pargmax);
}

export function poolGradPositionsF64(
  n: i32,
  positions: i32,
  C: i32,
  pooled: i32,
  pd: usize,
  pargmax: usize,
  pg: usize,
  pdb: usize,
): void {
  poolGradPositions<f64>(n, positions, C, pooled, pd, pargmax, pg, pdb);
}

export function poolGradPositionsF32(
  n: i32,
  positions: i32,
  C: i32,
  pooled: i32,
  pd: usize,
  pargmax: usize,
  pg: usize,
  pdb: usize,
): void {
  poolGradPositions<f32>(n, positions, C, pooled, pd, pargmax, pg, pdb);
}

/**
 * Max pooling of float64 NCHW rows (no padding): out[i, c, oh, ow] = max of X[i, c, oh·sh + ki, ow·sw + kj] over
 * the kh × kw window, and argmax[i, c, oh, ow] the index of the winner within its example's row (the first one on
 * ties; NaN wins, as in PyTorch, so a diverged input shows in the output: the last NaN of the window). Geometry at pGeo as for im2col.
 */
export function maxPoolForward(n: i32, pGeo: usize, px: usize, pout: usize, pargmax: usize): void {
  const C = geo(pGeo, 0),
    H = geo(pGeo, 1),
    W = geo(pGeo, 2),
    kh = geo(pGeo, 3),
    kw = geo(pGeo, 4);
  const sh = geo(pGeo, 5),
    sw = geo(pGeo, 6),
    outH = geo(pGeo, 9),
    outW = geo(pGeo, 10);
  const inSize = C * H * W;
  let o = 0;
  for (let i = 0; i < n; i++) {
    const xi = px + ((<usize>(i * inSize)) << 3);
    for (let c = 0; c < C; c++) {
      for (let oh = 0; oh < outH; oh++) {
        for (let ow = 0; ow < outW; ow++, o++) {
          let best = -Infinity;
          let arg = c * H * W + oh * sh * W + ow * sw;
          for (let ki = 0; ki < kh; ki++) {
            const rowStart = c * H * W + (oh * sh + ki) * W + ow * sw;
            for (let kj = 0; kj < kw; kj++) {
              const v = load<f64>(xi + ((<usize>(rowStart + kj)) << 3));
              // Selects rather than branches (random data mispredicts every other comparison); NaN wins.
              const wins = <bool>((<i32>(v > best)) | (<i32>(v != v)));
              best = select<f64>(v, best, wins);
              arg = select<i32>(rowStart + kj, arg, wins);
            }
          }
          store<f64>(pout + ((<usize>o) << 3), best);
          store<i32>(pargmax + ((<usize>o) << 2), arg);
        }
      }
    }
  }
}

/**
 * The gradient of max pooling: dX[i, argmax[i, o]] += dOut[i, o] for the n × outSize float64 rows at pdout, into
 * the n × inSize float64 rows at pdx, which this kernel zeroes first.
 */
export function maxPoolBackward(n: i32, inSize: i32, outSize: i32, pdout: usize, pargmax: usize, pdx: usize): void {
  memory.fill(pdx, 0, (<usize>(n * inSize)) << 3);
  let o = 0;
  for (let i = 0; i < n; i++) {
    const xi = pdx + ((<usize>(i * inSize)) << 3);
    for (let k = 0; k < outSize; k++, o++) {
      const d = xi + ((<usize>load<i32>(pargmax + ((<usize>o) << 2))) << 3);
      store<f64>(d, load<f64>(d) + load<f64>(pdout + ((<usize>o) << 3)));
    }
  }
}
