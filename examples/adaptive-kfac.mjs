// KFAC with no learning rate to tune: the step size and momentum come from the quadratic model of the batch loss
// and the damping adapts by the Levenberg–Marquardt rule (optim.kfac({ adaptive: true })).
// Trains the fashion-mlp network (784-256-256-10, ReLU, float32 products) for one epoch from three initial dampings.
// Uses Fashion-MNIST when its files are installed (LAYERWISE_DATA_DIR), else the MNIST digits that ship with layerwise.
// Run from a clone after `npm install`:   node examples/adaptive-kfac.mjs [epochs] [damping…]
import { data, nn, optim, random } from "layerwise";

const epochs = Number(process.argv[2] ?? 1);
const dampings = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1e-3, 1, 100];
const fashion = await data.hasFashionMnist();
const raw = fashion ? await data.loadFashionMnist() : await data.loadMnistDigits();
const splits = data.preprocess(raw, data.standardization); // fitted on the training split
const net = nn.sequential([nn.dense(784, 256), nn.relu(), nn.dense(256, 256), nn.relu(), nn.dense(256, 10)], {
  inputShape: [784],
  dtype: "float32",
});
console.log(`${fashion ? "Fashion-MNIST" : "MNIST digits"}, ${epochs} epoch(s), batch 128, seed 0`);

for (const damping of dampings) {
  const optimizer = optim.kfac({ adaptive: true, damping });
  let params = net.init(0);
  let state = optimizer.init(params);
  const rng = new random.Rng(1);
  const trace = [];
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const rows of data.epochBatches(splits.train.x.rows, 128, rng)) {
      const batch = data.selectRows(splits.train, rows);
      // curvature: true adds the batch's exact Gauss–Newton products, which the quadratic model needs.
      const { grads, stats, loss, curvature } = net.lossAndGrad(params, batch.x, batch.y, nn.softmaxCrossEntropy, {
        curvature: true,
      });
      const step = optimizer.update(grads, state, params, { stats, loss, curvature });
      state = step.state;
      params = optim.applyUpdates(params, step.updates);
      if (state.last.rho !== null) trace.push(state.last);
    }
  }
  const accuracy = nn.accuracy(net.forward(params, splits.test.x), splits.test.y);
  const mean = (f) => trace.reduce((s, t) => s + f(t), 0) / trace.length;
  console.log(
    `initial damping ${String(damping).padEnd(5)}: test accuracy ${accuracy.toFixed(4)}, ` +
      `final damping ${state.damping.toExponential(2)}, mean ρ ${mean((t) => t.rho).toFixed(2)}, ` +
      `mean learning rate ${mean((t) => t.learningRate).toFixed(3)}, mean momentum ${mean((t) => t.momentum).toFixed(3)}`,
  );
}
