// Train a 784-128-10 MLP on the MNIST digits that ship with layerwise, with KFAC and with Adam.
// Run from a clone after `npm install`:   node examples/train-mlp.mjs
import { data, nn, optim, random } from "layerwise";

const digits = data.preprocess(await data.loadMnistDigits(), data.standardization); // fitted on the training split
const net = nn.sequential([nn.dense(784, 128), nn.relu(), nn.dense(128, 10)], { inputShape: [784] });

function train(name, optimizer, epochs = 2, batchSize = 128) {
  let params = net.init(0);
  let state = optimizer.init(params);
  const rng = new random.Rng(1);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    for (const rows of data.epochBatches(digits.train.x.rows, batchSize, rng)) {
      const batch = data.selectRows(digits.train, rows);
      // One pass gives the loss, the gradients and the per-layer statistics KFAC needs, computed only at the
      // steps and for the layers the optimizer asks for (Adam: none).
      const { grads, stats, loss } = net.lossAndGrad(params, batch.x, batch.y, nn.softmaxCrossEntropy, {
        stats: optim.statsRequest(optimizer, state),
      });
      const step = optimizer.update(grads, state, params, { stats, loss });
      state = step.state;
      params = optim.applyUpdates(params, step.updates);
    }
    const accuracy = nn.accuracy(net.forward(params, digits.test.x), digits.test.y);
    console.log(`${name.padEnd(5)} epoch ${epoch}: test accuracy ${accuracy.toFixed(3)}`);
  }
  return params;
}

train("kfac", optim.kfac({ learningRate: 0.1, damping: 0.1 }));
train("adam", optim.adam({ learningRate: 1e-3 }));
