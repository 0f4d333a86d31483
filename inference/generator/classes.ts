/** The default model's classes, in class-id order (the order of `names` in data.yaml and the ONNX metadata). */
export const DEFECT_CLASSES = [
  "porosity",
  "crack",
  "slag_inclusion",
  "lack_of_fusion",
  "undercut",
  "tungsten_inclusion",
] as const;

export type DefectClass = (typeof DEFECT_CLASSES)[number];

export const classId = (name: DefectClass): number => DEFECT_CLASSES.indexOf(name);

/**
 * Smallest label side, in model-input pixels. The issue asks for ≥ 4; a pixel more keeps tiny
 * defects clear of the rounding that letterbox resampling introduces.
 */
export const MIN_BOX_INPUT_PX = 5;
