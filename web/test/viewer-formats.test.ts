import { describe, expect, test } from "bun:test";
import {
  histogramOf,
  type IntensityInfo,
  mapValue,
  resolveMapping,
  type WindowLevel,
  windowFromBounds,
} from "@common/imaging/intensity";
import { TRANSFER_SYNTAX_UIDS, writeDiconde } from "@generator/diconde";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { imageFixtures } from "@scripts/testing/image-fixtures";
import { stubDetections, useWorkerWithStubInference } from "@scripts/testing/stub-inference";
import { encode as encodePng } from "fast-png";
import { finishedJob, openViewer } from "./app-steps";
import { chromiumMissing, newPage, pageErrors, useBrowser } from "./browser";
import { acrossEdge, CRACK_RGB, edgeIn, grey, POROSITY_RGB, pixelAt } from "./film-canvas";
import { STUB_FILM } from "./films";
import { BROWSER_TEST_VARS } from "./worker-vars";

const browser = useBrowser();
const stack = useWorkerWithStubInference({ vars: BROWSER_TEST_VARS });

const { width: WIDTH, height: HEIGHT } = STUB_FILM;
/** Away from every box and caption. */
const PROBE = { x: 150, y: 200 };

type Upload = { file: Uint8Array; values: ArrayLike<number>; info: IntensityInfo };

/** Values that use all 16 bits: neighbouring values differ in the low byte an 8-bit copy drops. */
function png16(): Upload {
  const values = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i * 1031 + 7) % 65536);
  const file = encodePng({ width: WIDTH, height: HEIGHT, data: values, depth: 16, channels: 1 });
  return { file, values, info: { bitsStored: 16 } };
}

/** The hand-written 16-bit TIFF fixture (the API's own upload tests use it). */
async function tiff16(): Promise<Upload> {
  const file = new Uint8Array(await imageFixtures.tiff16(WIDTH, HEIGHT));
  const values = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i * 257) % 65536);
  return { file, values, info: { bitsStored: 16 } };
}

/** A 12-bit DICONDE film, JPEG Lossless compressed, with its own window. */
function diconde(): Upload {
  const values = Uint16Array.from({ length: WIDTH * HEIGHT }, (_, i) => (i * 37 + 11) % 4096);
  const window = { center: 1500, width: 800 };
  const file = writeDiconde({
    width: WIDTH,
    height: HEIGHT,
    values,
    bitsAllocated: 16,
    bitsStored: 12,
    transferSyntax: TRANSFER_SYNTAX_UIDS.jpegLossless,
    window,
  });
  return { file, values, info: { bitsStored: 12, window } };
}

/** What the shared mapping shows for a stored value under a window. */
const shown = (stored: number, info: IntensityInfo, window: WindowLevel) =>
  Math.round(255 * mapValue(stored, resolveMapping({ ...info, window }, null)));

/** The window the viewer should open with: the file's own, else the shared mapping's default. */
function expectedDefault(upload: Upload): WindowLevel {
  const histogram = upload.info.window ? null : histogramOf(upload.values, 2 ** upload.info.bitsStored);
  const { low, high } = resolveMapping(upload.info, histogram);
  return windowFromBounds(low, high);
}

const oneDecimal = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(1));

describe.skipIf(chromiumMissing)("the viewer shows every uploaded format with its stored values", () => {
  const films: Array<[string, () => Upload | Promise<Upload>]> = [
    ["16-bit PNG", png16],
    ["16-bit TIFF", tiff16],
    ["DICONDE (JPEG Lossless, 12 bits)", diconde],
  ];
  for (const [name, make] of films) {
    test(`${name}: the shared mapping of each stored value, boxes in place`, async () => {
      const upload = await make();
      const { user, auth } = await signedInUser(stack.worker);
      const jobId = (await finishedJob(stack.worker, auth, upload.file)).id;
      const { context, page } = await newPage(browser.current, stack.worker.origin);
      try {
        await openViewer(page, user, jobId);

        // The controls open on the expected window, in the film's stored units.
        const initial = expectedDefault(upload);
        expect(await page.getByTestId("window-center-value").textContent()).toBe(oneDecimal(initial.center));
        expect(await page.getByTestId("window-width-value").textContent()).toBe(oneDecimal(initial.width));
        expect(await page.getByTestId("window-units").textContent()).toContain(
          `${upload.info.bitsStored}-bit stored values`,
        );

        const stored = upload.values[PROBE.y * WIDTH + PROBE.x] as number;
        const probe = { x: PROBE.x + 0.5, y: PROBE.y + 0.5 };
        const opened = await pixelAt(page, probe.x, probe.y);
        expect(grey(opened)).toBe(true);
        expect(opened[0]).toBe(shown(stored, upload.info, initial));

        // The detections' boxes are drawn where the model put them.
        const [porosity, crack] = stubDetections(jobId);
        if (!porosity || !crack) throw new Error("fake detections changed");
        const porosityEdge = { x: porosity.box.x1, y: (porosity.box.y1 + porosity.box.y2) / 2 };
        const crackEdge = { x: crack.box.x1, y: (crack.box.y1 + crack.box.y2) / 2 };
        expect(edgeIn(await acrossEdge(page, porosityEdge.x, porosityEdge.y), POROSITY_RGB)).toBe(true);
        expect(edgeIn(await acrossEdge(page, crackEdge.x, crackEdge.y), CRACK_RGB)).toBe(true);

        // A window three stored values wide around the probe: the probe and its neighbours come out
        // three different greys, which only the full stored value can give.
        const narrow = { center: stored, width: 3 };
        // Exact values go in the number fields: the sliders move in steps of about 1/1000 of the range.
        await page.getByLabel("Level value").fill(String(narrow.center));
        await page.getByLabel("Level value").press("Enter");
        await page.getByLabel("Width value").fill(String(narrow.width));
        await page.getByLabel("Width value").press("Enter");
        expect(await page.getByTestId("window-center-value").textContent()).toBe(String(stored));
        const windowed = await pixelAt(page, probe.x, probe.y);
        expect(windowed[0]).toBe(shown(stored, upload.info, narrow));
        expect(windowed[0]).not.toBe(shown(stored - 1, upload.info, narrow));
        expect(windowed[0]).not.toBe(shown(stored + 1, upload.info, narrow));
        expect(pageErrors(page)).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);
  }
});
