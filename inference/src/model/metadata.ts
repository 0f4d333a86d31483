/** The metadata reader is shared with the edge, which reads it from uploaded model versions. */
export {
  type ModelMetadata,
  parseImgsz,
  parseNames,
  readModelMetadata,
  type Sidecar,
  SidecarSchema,
} from "@common/onnx/metadata";
