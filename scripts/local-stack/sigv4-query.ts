/**
 * Verification of SigV4 query-string (presigned) requests as S3 and R2 do it, written from AWS's
 * specification rather than with the library the edge signs with, so a signing mistake there
 * fails here as it would against R2 (tests check it on AWS's published example).
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** S3's longest presigned lifetime. */
const MAX_EXPIRES_SECONDS = 604_800;
const ALGORITHM = "AWS4-HMAC-SHA256";

export type PresignedRequest = { method: string; url: URL; host: string };
export type S3Refusal = { status: number; code: string; message: string };
export type Verdict = { ok: true; accessKeyId: string } | { ok: false; refusal: S3Refusal };

const refuse = (status: number, code: string, message: string): Verdict => ({
  ok: false,
  refusal: { status, code, message },
});

/** RFC 3986 percent-encoding of everything but the unreserved characters (SigV4's UriEncode). */
export function uriEncode(value: string, keepSlash = false): string {
  let out = "";
  for (const byte of new TextEncoder().encode(value)) {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-._~]/.test(char) || (keepSlash && char === "/")) out += char;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** S3's canonical URI: the decoded path, each byte encoded once (no double encoding for S3). */
function canonicalUri(pathname: string): string {
  return uriEncode(decodeURIComponent(pathname), true);
}

/** Every query parameter but the signature, names and values encoded, sorted by name then value. */
function canonicalQuery(params: URLSearchParams): string {
  return [...params]
    .filter(([name]) => name !== "X-Amz-Signature")
    .map(([name, value]) => [uriEncode(name), uriEncode(value)] as const)
    .sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest();

/** `YYYYMMDD'T'HHMMSS'Z'` → epoch milliseconds, or NaN. */
function parseAmzDate(value: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return Number.NaN;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/** The signature a request must carry: canonical request → string to sign → HMAC chain. */
export function presignedSignature(
  request: PresignedRequest,
  secretAccessKey: string,
  scope: { date: string; region: string; service: string },
): string {
  const params = request.url.searchParams;
  const signedHeaders = (params.get("X-Amz-SignedHeaders") ?? "").split(";");
  // Presigned GETs sign `host` only; any other signed header is read from the request as sent.
  const headerLines = signedHeaders
    .map((name) => `${name}:${name === "host" ? request.host : ""}\n`)
    .join("");
  const canonicalRequest = [
    request.method.toUpperCase(),
    canonicalUri(request.url.pathname),
    canonicalQuery(params),
    headerLines,
    signedHeaders.join(";"),
    "UNSIGNED-PAYLOAD",
  ].join("\n");
  const credentialScope = `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
  const stringToSign = [
    ALGORITHM,
    params.get("X-Amz-Date"),
    credentialScope,
    sha256Hex(canonicalRequest),
  ].join("\n");
  const kDate = hmac(`AWS4${secretAccessKey}`, scope.date);
  const kSigning = hmac(hmac(hmac(kDate, scope.region), scope.service), "aws4_request");
  return createHmac("sha256", kSigning).update(stringToSign).digest("hex");
}

/**
 * Checks a presigned request: its parameters, its access key, its signature (which covers the
 * method, bucket, key and every query parameter), then its validity window, in the order S3
 * answers them.
 */
export function verifyPresigned(
  request: PresignedRequest,
  secretFor: (accessKeyId: string) => string | undefined,
  now = Date.now(),
): Verdict {
  const params = request.url.searchParams;
  const [algorithm, credential, date, expires, signedHeaders, signature] = [
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Date",
    "X-Amz-Expires",
    "X-Amz-SignedHeaders",
    "X-Amz-Signature",
  ].map((name) => params.get(name));
  if (!algorithm || !credential || !date || !expires || !signedHeaders || !signature) {
    return refuse(
      400,
      "AuthorizationQueryParametersError",
      "Query-string authentication requires X-Amz-* parameters.",
    );
  }
  if (algorithm !== ALGORITHM)
    return refuse(400, "AuthorizationQueryParametersError", "Unsupported algorithm.");
  const [accessKeyId, scopeDate, region, service, terminal, ...rest] = credential.split("/");
  const signedAt = parseAmzDate(date);
  const lifetime = Number(expires);
  if (
    !accessKeyId ||
    !scopeDate ||
    !region ||
    service !== "s3" ||
    terminal !== "aws4_request" ||
    rest.length
  ) {
    return refuse(400, "AuthorizationQueryParametersError", "X-Amz-Credential is malformed.");
  }
  if (Number.isNaN(signedAt) || scopeDate !== date.slice(0, 8)) {
    return refuse(400, "AuthorizationQueryParametersError", "X-Amz-Date is malformed or outside the scope.");
  }
  if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_EXPIRES_SECONDS) {
    return refuse(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be 1 to 604800 seconds.");
  }
  if (!signedHeaders.split(";").includes("host")) {
    return refuse(400, "AuthorizationQueryParametersError", "X-Amz-SignedHeaders must include host.");
  }
  const secret = secretFor(accessKeyId);
  if (secret === undefined) return refuse(403, "InvalidAccessKeyId", "The access key ID does not exist.");
  const expected = Buffer.from(presignedSignature(request, secret, { date: scopeDate, region, service }));
  const given = Buffer.from(signature.toLowerCase());
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse(
      403,
      "SignatureDoesNotMatch",
      "The request signature we calculated does not match the signature you provided.",
    );
  }
  if (now < signedAt) return refuse(403, "AccessDenied", "Request is not valid yet.");
  if (now > signedAt + lifetime * 1000) return refuse(403, "ExpiredRequest", "Request has expired.");
  return { ok: true, accessKeyId };
}
