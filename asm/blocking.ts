// Block-size arithmetic shared by the float64 and float32 GEMMs (asm/blas.ts, asm/blas32.ts).

/** x rounded up to a multiple of `to`. */
export function roundUp(x: i32, to: i32): i32 {
  return ((x + to - 1) / to) * to;
}

/** Splits `total` into ceil(total / maxBlock) nearly equal blocks, each a multiple of `unit`: the block size. */
export function evenBlock(total: i32, maxBlock: i32, unit: i32): i32 {
  const count = (total + maxBlock - 1) / maxBlock;
  return min(roundUp((total + count - 1) / count, unit), maxBlock);
}
