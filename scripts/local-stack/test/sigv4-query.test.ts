import { describe, expect, test } from "bun:test";
import { presignedSignature, uriEncode, verifyPresigned } from "../sigv4-query";

// AWS's published example of a presigned GET ("Authenticating Requests: Using Query Parameters").
const AWS_EXAMPLE = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  url:
    "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256" +
    "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request" +
    "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host" +
    "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404",
  signedAt: Date.UTC(2013, 4, 24),
};

const exampleRequest = (url = AWS_EXAMPLE.url, method = "GET") => ({
  method,
  url: new URL(url),
  host: new URL(url).host,
});
const secretFor = (id: string) => (id === AWS_EXAMPLE.accessKeyId ? AWS_EXAMPLE.secretAccessKey : undefined);

describe("SigV4 query verification", () => {
  test("computes AWS's published example signature", () => {
    const signature = presignedSignature(exampleRequest(), AWS_EXAMPLE.secretAccessKey, {
      date: "20130524",
      region: "us-east-1",
      service: "s3",
    });
    expect(signature).toBe("aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    expect(verifyPresigned(exampleRequest(), secretFor, AWS_EXAMPLE.signedAt + 1000)).toEqual({
      ok: true,
      accessKeyId: AWS_EXAMPLE.accessKeyId,
    });
  });

  test("refuses past the window, and before it", () => {
    const end = AWS_EXAMPLE.signedAt + 86_400_000;
    expect(verifyPresigned(exampleRequest(), secretFor, end)).toMatchObject({ ok: true });
    expect(verifyPresigned(exampleRequest(), secretFor, end + 1000)).toMatchObject({
      ok: false,
      refusal: { status: 403, code: "ExpiredRequest" },
    });
    expect(verifyPresigned(exampleRequest(), secretFor, AWS_EXAMPLE.signedAt - 1000)).toMatchObject({
      ok: false,
      refusal: { status: 403, code: "AccessDenied" },
    });
  });

  test("a changed key, expiry, signature, host or method → 403 SignatureDoesNotMatch", () => {
    const now = AWS_EXAMPLE.signedAt + 1000;
    const variants = [
      exampleRequest(AWS_EXAMPLE.url.replace("/test.txt", "/other.txt")),
      exampleRequest(AWS_EXAMPLE.url.replace("X-Amz-Expires=86400", "X-Amz-Expires=86401")),
      exampleRequest(AWS_EXAMPLE.url.replace("Signature=aeee", "Signature=beee")),
      exampleRequest(`${AWS_EXAMPLE.url}&response-content-type=text%2Fhtml`),
      { ...exampleRequest(), host: "otherbucket.s3.amazonaws.com" },
      exampleRequest(AWS_EXAMPLE.url, "PUT"),
      exampleRequest(AWS_EXAMPLE.url, "HEAD"),
    ];
    for (const request of variants) {
      expect(verifyPresigned(request, secretFor, now)).toMatchObject({
        ok: false,
        refusal: { status: 403, code: "SignatureDoesNotMatch" },
      });
    }
  });

  test("an unknown access key → 403 InvalidAccessKeyId; missing or malformed parameters → 400", () => {
    const now = AWS_EXAMPLE.signedAt + 1000;
    expect(verifyPresigned(exampleRequest(), () => undefined, now)).toMatchObject({
      refusal: { status: 403, code: "InvalidAccessKeyId" },
    });
    const malformed = [
      AWS_EXAMPLE.url.replace(/&X-Amz-Signature=[0-9a-f]+/, ""),
      AWS_EXAMPLE.url.replace("X-Amz-Expires=86400", "X-Amz-Expires=604801"),
      AWS_EXAMPLE.url.replace("X-Amz-Date=20130524T000000Z", "X-Amz-Date=20130525T000000Z"),
      AWS_EXAMPLE.url.replace("%2Fs3%2F", "%2Fsqs%2F"),
      AWS_EXAMPLE.url.replace("SignedHeaders=host", "SignedHeaders=range"),
    ];
    for (const url of malformed) {
      expect(verifyPresigned(exampleRequest(url), secretFor, now)).toMatchObject({
        ok: false,
        refusal: { status: 400, code: "AuthorizationQueryParametersError" },
      });
    }
  });

  test("encodes as SigV4's UriEncode: unreserved kept, UTF-8 bytes escaped, slashes kept in paths", () => {
    expect(uriEncode("a-b_c.d~e f/g")).toBe("a-b_c.d~e%20f%2Fg");
    expect(uriEncode("images/ä (1)!.png", true)).toBe("images/%C3%A4%20%281%29%21.png");
  });
});
