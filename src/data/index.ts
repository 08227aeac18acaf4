/**
 * Real datasets and their preparation: Fashion-MNIST from its IDX files, the MNIST digits embedded in the `mnist`
 * package, standardisation and re-conditioning fitted on the training split, seeded shuffles, mini-batches and
 * validation splits.
 */
export { type Dataset, type DatasetSplits, selectRows } from "./dataset.js";
export { IdxFormatError, IdxDecoder, decodeIdx, readIdxFile, type IdxArray } from "./idx.js";
export {
  DATA_DIR_ENV,
  DEFAULT_FASHION_MNIST_DIR,
  FASHION_MNIST_FILES,
  FASHION_MNIST_INSTALL,
  DatasetNotFoundError,
  fashionMnistDir,
  findFashionMnistFiles,
  hasFashionMnist,
  loadFashionMnist,
  type FashionMnistOptions,
} from "./fashion-mnist.js";
export { loadMnistDigits } from "./mnist-digits.js";
export {
  fitStandardizer,
  standardization,
  mapInputs,
  preprocess,
  type InputMap,
  type InputMapFitter,
  type Standardizer,
} from "./standardize.js";
export { anisotropic, type AnisotropicMap, type AnisotropicOptions } from "./anisotropic.js";
export { shuffledIndices, epochBatches, randomSubset, splitValidation } from "./batches.js";
