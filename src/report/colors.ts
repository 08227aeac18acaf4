/**
 * One colour per algorithm, the same in every figure (so "kfac" is always the same hue). Unknown names get a
 * stable colour from a fallback palette, chosen by a hash of the name.
 */
const FIXED: Record<string, string> = {
  sgd: "#d62728",
  gd: "#d62728",
  adam: "#ff7f0e",
  adamw: "#ffbb78",
  "sgd-bn": "#8c564b",
  "gd-bn": "#8c564b",
  amd: "#e377c2",
  "one-sided": "#2ca02c",
  kfac: "#1f77b4",
  ekfac: "#17becf",
  "kfac-auto": "#aec7e8",
  shampoo: "#2ca02c",
  soap: "#bcbd22",
  muon: "#9467bd",
  ngd: "#9467bd",
  "random-features": "#7f7f7f",
  "linear-ridge": "#bcbd22",
  preconditioned: "#1f77b4",
  diagonal: "#ff7f0e",
  theory: "#000000",
};

// The unused hues of the category palette: a fixed colour never doubles as another name's fallback.
const FALLBACK = ["#98df8a", "#ff9896", "#c5b0d5", "#c49c94", "#f7b6d2", "#dbdb8d", "#9edae5"];

/** The colour of `algorithm`. */
export function algorithmColor(algorithm: string): string {
  const fixed = FIXED[algorithm];
  if (fixed) return fixed;
  let h = 0;
  for (let i = 0; i < algorithm.length; i++) h = (Math.imul(h, 31) + algorithm.charCodeAt(i)) >>> 0;
  return FALLBACK[h % FALLBACK.length];
}

/** A Vega-Lite colour scale mapping each of `algorithms` to its colour. */
export function algorithmScale(algorithms: readonly string[]): { domain: string[]; range: string[] } {
  const domain = [...new Set(algorithms)];
  return { domain, range: domain.map(algorithmColor) };
}
