// KFAC with no learning rate to tune: the step size and momentum come from the quadratic model of the batch loss
// and the damping adapts by the Levenberg–Marquardt rule (optim.kfac({ adaptive: true })).
// Trains the fashion-mlp network (784-256-256-10, ReLU, float32 products) from three initial dampings.
// Uses Fashion-MNIST when its files are installed (LAYERWISE_DATA_DIR), else the MNIST digits that ship with layerwise.
// Run from a clone after `npm install`:
//   node examples/adaptive-kfac.mjs [--epochs=1] [--batch=128] [--min-damping=1e-8] [initial damping …]   (default 1e-3 1 100)
import { data, nn, optim, random } from "layerwise";

const flag = (name, fallback) =>
  Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1] ?? fallback);
const epochs = flag("epochs", 1);
const minDamping = flag("min-damping", 1e-8);
const batchSize = flag("batch", 128);
const listed = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const dampings = listed.length > 0 ? listed.map(Number) : [1e-3, 1, 100];
const fashion = await data.hasFashionMnist();
const raw = fashion ? await data.loadFashionMnist() : await data.loadMnistDigits();
const splits = data.preprocess(raw, data.standardization); // fitted on the training split
const net = nn.sequential([nn.dense(784, 256), nn.relu(), nn.dense(256, 256), nn.relu(), nn.dense(256, 10)], {
  inputShape: [784],
  dtype: "float32",
});
// 1024 test images on which each adapted step's reduction is compared with the model's prediction.
const probe = data.selectRows(
  splits.test,
  Array.from({ length: 1024 }, (_, i) => i),
);
const probeLoss = (params) => nn.softmaxCrossEntropy(net.forward(params, probe.x), probe.y);
console.log(
  `${fashion ? "Fashion-MNIST" : "MNIST digits"}, ${epochs} epoch(s), batch ${batchSize}, minDamping ${minDamping}`,
);

for (const damping of dampings) {
  const optimizer = optim.kfac({ adaptive: true, damping, minDamping });
  let params = net.init(0);
  let state = optimizer.init(params);
  const rng = new random.Rng(1);
  const adapted = []; // the steps that measured ρ, with the same ratio on the probe images
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const rows of data.epochBatches(splits.train.x.rows, batchSize, rng)) {
      const batch = data.selectRows(splits.train, rows);
      // curvature: true adds the batch's exact Gauss–Newton products, which the quadratic model needs.
      const { grads, stats, loss, curvature } = net.lossAndGrad(params, batch.x, batch.y, nn.softmaxCrossEntropy, {
        stats: optim.statsRequest(optimizer, state),
        curvature: true,
      });
      const step = optimizer.update(grads, state, params, { stats, loss, curvature });
      const next = optim.applyUpdates(params, step.updates);
      const info = step.state.last;
      if (info.rho !== null) adapted.push({ ...info, probe: (probeLoss(next) - probeLoss(params)) / info.quadChange });
      state = step.state;
      params = next;
    }
  }
  const accuracy = nn.accuracy(net.forward(params, splits.test.x), splits.test.y);
  const mean = (key) => adapted.reduce((s, t) => s + t[key], 0) / adapted.length;
  console.log(
    `initial damping ${String(damping).padEnd(5)}: test accuracy ${accuracy.toFixed(4)}, ` +
      `final damping ${state.damping.toExponential(2)}, mean ρ ${mean("rho").toFixed(2)} on the batch and ` +
      `${mean("probe").toFixed(3)} on other images, mean learning rate ${mean("learningRate").toFixed(3)}, ` +
      `mean momentum ${mean("momentum").toFixed(3)}`,
  );
}
