/** The real-data experiments on Fashion-MNIST: an MLP and a CNN trained with every optimizer. */
export { fashionMlp } from "./mlp.js";
export { fashionCnn } from "./cnn.js";
