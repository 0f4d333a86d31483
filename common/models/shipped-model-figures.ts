/**
 * What is known of each shipped model's accuracy and of where its training data came from, as its
 * model card (`inference/models/MODEL_CARD.md`, "Training data" and "Measured") states it, so the
 * viewer can say what a confidence score means. Keyed by the ONNX file's SHA-256: a job run by any
 * other file gets no figures rather than another file's. `common/test/shipped-model-figures.test.ts`
 * checks these against the card.
 */

/** One class's figures on the evaluation set; precision and recall at `threshold`. */
export type ShippedClassFigures = {
  name: string;
  objects: number;
  ap50: number;
  ap: number;
  precision: number;
  recall: number;
};

export type ShippedModelFigures = {
  name: string;
  version: string;
  sha256: string;
  /** The confidence at which precision and recall were counted (a detection matches at IoU 0.5). */
  threshold: number;
  /** What the figures were measured on. */
  evaluatedOn: string;
  /** Where the training data came from. */
  trainedOn: string;
  /** The card's own caveat on using the figures for real films. */
  caveat: string;
  perClass: ShippedClassFigures[];
};

const row = (name: string, objects: number, ap50: number, ap: number, precision: number, recall: number) => ({
  name,
  objects,
  ap50,
  ap,
  precision,
  recall,
});

export const SHIPPED_MODEL_FIGURES: readonly ShippedModelFigures[] = [
  {
    name: "weld-defects",
    version: "1.1.0",
    sha256: "3b18f4a15b464b949f000ffbdb48ebcaadf4e80314874f71636f9d53f2dee4c3",
    threshold: 0.25,
    evaluatedOn:
      "600 held-out synthetic films (1,541 indications) from a generator seed not used in training",
    trainedOn:
      "4,000 synthetic weld radiographs drawn by the project's film generator (no real films): plate mottle, bead ripple, IQIs, unsharpness, grain; a quarter of them hard",
    caveat:
      "Trained only on synthetic films and not validated on real radiographs: every indication needs a reviewer's decision.",
    perClass: [
      row("porosity", 359, 0.935, 0.626, 0.913, 0.933),
      row("crack", 210, 0.773, 0.359, 0.653, 0.781),
      row("slag_inclusion", 231, 0.929, 0.705, 0.96, 0.939),
      row("lack_of_fusion", 209, 0.901, 0.645, 0.739, 0.895),
      row("undercut", 248, 0.958, 0.706, 0.903, 0.944),
      row("tungsten_inclusion", 284, 0.956, 0.594, 0.947, 0.947),
    ],
  },
];

/** The figures of the shipped model file with this SHA-256, if the card has any. */
export const shippedModelFigures = (sha256: string | null) =>
  SHIPPED_MODEL_FIGURES.find((figures) => figures.sha256 === sha256) ?? null;
