// Elementary functions computed inside WebAssembly, so that they return the same bits in every JavaScript
// engine. Engines' Math.exp / Math.log / Math.pow / Math.tanh / Math.cos differ in the last bits between versions (Node 20
// and current Chromium disagree on about one argument in ten for exp and pow), which would make the same seed
// give different numbers in Node and in a browser. AssemblyScript's Math is a port of musl's libm (exp, log,
// tanh, cos: Sun's fdlibm algorithms; pow: ARM's optimized-routines, under 1 ulp), built from IEEE-754 arithmetic
// only, hence deterministic.

export function elementaryExp(x: f64): f64 {
  return Math.exp(x);
}

export function elementaryLog(x: f64): f64 {
  return Math.log(x);
}

export function elementaryPow(x: f64, y: f64): f64 {
  return Math.pow(x, y);
}

export function elementaryTanh(x: f64): f64 {
  return Math.tanh(x);
}

export function elementaryCos(x: f64): f64 {
  return Math.cos(x);
}
