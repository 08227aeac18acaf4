/**
 * Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv:1708.07747): 60 000 training and 10 000 test greyscale 28×28
 * images of clothing in 10 classes, read from the official IDX files (as Debian's `dataset-fashion-mnist`
 * installs them). Pixels are scaled to [0, 1].
 */
import { InputError } from "../config/errors.js";
import { Matrix } from "../linalg/matrix.js";
import type { Dataset, DatasetSplits } from "./dataset.js";
import { IdxFormatError, readIdxFile, type IdxArray } from "./idx.js";

/** Where the files are looked for when neither `dataDir` nor the environment variable says otherwise. */
export const DEFAULT_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";
/** Environment variable naming the directory that holds the four IDX files. */
export const DATA_DIR_ENV = "LAYERWISE_DATA_DIR";
/** How to install the files on Debian/Ubuntu. */
export const FASHION_MNIST_INSTALL = "apt-get install dataset-fashion-mnist";

/** The four file names (each may also carry a .gz suffix). */
export const FASHION_MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

const SIDE = 28;
const CLASSES = 10;

/** The four files are not where we looked (an input problem: the CLI exits with code 2). */
export class DatasetNotFoundError extends InputError {
  override name = "DatasetNotFoundError";
}

/**
 * The four files are there but one is corrupt, truncated or of the wrong shape (an input problem: the CLI exits
 * with code 2). The message names the file, what is wrong and how to get a good copy.
 */
export class DatasetInvalidError extends InputError {
  override name = "DatasetInvalidError";
}

/** Options of `loadFashionMnist`. */
export interface FashionMnistOptions {
  /** Directory holding the four IDX files (gzipped or not). Default: $LAYERWISE_DATA_DIR, else the Debian path. */
  dataDir?: string;
}

/** The directory to read: `dataDir`, else $LAYERWISE_DATA_DIR (when set and non-empty), else the Debian path. */
export function fashionMnistDir(dataDir?: string): string {
  if (dataDir !== undefined) return dataDir;
  const fromEnv = typeof process !== "undefined" ? process.env[DATA_DIR_ENV] : undefined;
  return fromEnv ? fromEnv : DEFAULT_FASHION_MNIST_DIR;
}

/**
 * The paths of the four files in `dir` (each `name.gz` or `name`), or a `DatasetNotFoundError` naming the
 * directory, the missing files and the install command.
 */
export async function findFashionMnistFiles(dir: string): Promise<Record<keyof typeof FASHION_MNIST_FILES, string>> {
  const { access } = await import("node:fs/promises");
  const { join } = await import("node:path");
  const found: Partial<Record<keyof typeof FASHION_MNIST_FILES, string>> = {};
  const missing: string[] = [];
  for (const [key, name] of Object.entries(FASHION_MNIST_FILES) as [keyof typeof FASHION_MNIST_FILES, string][]) {
    for (const candidate of [`${name}.gz`, name]) {
      const path = join(dir, candidate);
      if (
        await access(path).then(
          () => true,
          () => false,
        )
      ) {
        found[key] = path;
        break;
      }
    }
    if (found[key] === undefined) missing.push(`${name}.gz`);
  }
  if (missing.length > 0) {
    throw new DatasetNotFoundError(
      `Fashion-MNIST not found in ${dir} (missing ${missing.join(", ")}). Install it with ` +
        `\`${FASHION_MNIST_INSTALL}\`, or point \`dataDir\` or $${DATA_DIR_ENV} at a directory holding the four IDX files`,
    );
  }
  return found as Record<keyof typeof FASHION_MNIST_FILES, string>;
}

/** Whether the four files are present in the directory `fashionMnistDir(dataDir)` resolves to. */
export async function hasFashionMnist(dataDir?: string): Promise<boolean> {
  try {
    await findFashionMnistFiles(fashionMnistDir(dataDir));
    return true;
  } catch (e) {
    if (e instanceof DatasetNotFoundError) return false;
    throw e;
  }
}

/** Checks that `images` are n×28×28 and `labels` n labels in 0…9 (throws `IdxFormatError` naming the file). */
function checkSplit(images: IdxArray, labels: IdxArray, imagesPath: string, labelsPath: string): void {
  const [n, h, w] = images.dims;
  if (images.dims.length !== 3 || h !== SIDE || w !== SIDE) {
    throw new IdxFormatError(`${imagesPath}: expected n×${SIDE}×${SIDE} images, found ${images.dims.join("×")}`);
  }
  if (labels.dims.length !== 1 || labels.dims[0] !== n) {
    throw new IdxFormatError(`${labelsPath}: expected ${n} labels (one per image), found ${labels.dims.join("×")}`);
  }
  const bad = labels.data.findIndex((label) => label >= CLASSES);
  if (bad >= 0) {
    throw new IdxFormatError(`${labelsPath}: label ${labels.data[bad]} at index ${bad} is outside 0…${CLASSES - 1}`);
  }
}

/** Images n×28×28 and labels n (already checked) → a Dataset with pixels/255. */
function toDataset(images: IdxArray, labels: IdxArray): Dataset {
  const x = new Matrix(images.dims[0], SIDE * SIDE);
  for (let i = 0; i < x.data.length; i++) x.data[i] = images.data[i] / 255;
  return { x, y: Int32Array.from(labels.data), classes: CLASSES };
}

/** Reads and checks the four files of `dir` (throws `DatasetNotFoundError` or `IdxFormatError`). */
async function readChecked(dir: string) {
  const paths = await findFashionMnistFiles(dir);
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    readIdxFile(paths.trainImages),
    readIdxFile(paths.trainLabels),
    readIdxFile(paths.testImages),
    readIdxFile(paths.testLabels),
  ]);
  checkSplit(trainImages, trainLabels, paths.trainImages, paths.trainLabels);
  checkSplit(testImages, testLabels, paths.testImages, paths.testLabels);
  return { trainImages, trainLabels, testImages, testLabels };
}

/**
 * Checks the Fashion-MNIST files of `fashionMnistDir(dataDir)` without keeping them: present, valid IDX (magic,
 * header sizes, exactly the announced bytes, gzip intact), images n×28×28 with n labels in 0…9. Throws
 * `DatasetNotFoundError` (missing files) or `DatasetInvalidError` (a bad file), each an `InputError` whose message
 * names the file, the problem and how to fix it. Runs select this once before any trial starts.
 */
export async function checkFashionMnist(dataDir?: string): Promise<void> {
  const dir = fashionMnistDir(dataDir);
  try {
    await readChecked(dir);
  } catch (e) {
    if (!(e instanceof IdxFormatError)) throw e;
    throw new DatasetInvalidError(
      `Fashion-MNIST in ${dir} is unusable: ${e.message}. Reinstall it (\`apt-get install --reinstall dataset-fashion-mnist\`), ` +
        `or point \`dataDir\` or $${DATA_DIR_ENV} at a directory holding intact copies of the four IDX files`,
    );
  }
}

/**
 * Loads Fashion-MNIST from `fashionMnistDir(options.dataDir)`. Throws `DatasetNotFoundError` when files are
 * missing and `IdxFormatError` when one is corrupt, truncated or of the wrong shape.
 */
export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<DatasetSplits> {
  const { trainImages, trainLabels, testImages, testLabels } = await readChecked(fashionMnistDir(options.dataDir));
  return {
    name: "fashion-mnist",
    train: toDataset(trainImages, trainLabels),
    test: toDataset(testImages, testLabels),
    imageShape: [1, SIDE, SIDE],
  };
}
