/** The Content-Type an upload is sent with: the API takes `image/*` and `application/dicom`. */
export function uploadContentType(file: { name: string; type: string }): string {
  if (file.type === "application/dicom" || /\.dcm$/i.test(file.name)) return "application/dicom";
  return file.type.startsWith("image/") ? file.type : "image/octet-stream";
}
