import { describe, expect, test } from "bun:test";
import { splitOf } from "@edge/datasets/split";
import { DatasetItemPageSchema } from "@edge/routes/datasets/schema";
import { encodeTiff } from "@generator/png";
import { signedInUser } from "@scripts/testing/auth-fixtures";
import { readBody } from "@scripts/testing/responses";
import { useTestWorker } from "@scripts/testing/test-worker";
import { stringify } from "yaml";
import { datasetObjects, diconde, film, importDataset, zip } from "./dataset-fixtures";

const worker = useTestWorker({ vars: { RATE_LIMIT_WRITE: "1000/60s", RATE_LIMIT_READ: "1000/60s" } });

async function items(auth: string, id: string) {
  const response = await worker.current.fetch(`/v1/datasets/${id}/items?limit=100`, {
    headers: { Authorization: auth },
  });
  expect(response.status).toBe(200);
  return (await readBody(response, DatasetItemPageSchema)).items;
}

describe("POST /v1/datasets with a YOLO archive", () => {
  test("imports 8- and 16-bit PNG, TIFF and DICONDE films with their boxes", async () => {
    const { user, auth } = await signedInUser(worker.current);
    const [a, b, c] = await Promise.all([film(11), film(12, 16), film(13)]);
    const tiff = new Uint8Array(await encodeTiff(c.plane, 16));
    const archive = zip({
      "data.yaml":
        "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: porosity\n  1: crack # a comment\n",
      "images/train/a.png": a.png,
      "labels/train/a.txt": "0 0.5 0.5 0.2 0.1\n1 0.25 0.25 0.1 0.1\n",
      "images/train/b.png": b.png,
      "labels/train/b.txt": "1 0.5 0.5 1 1\n",
      "images/val/c.tif": tiff,
      "images/val/d.dcm": diconde(64, 48, 1000),
      "labels/val/d.txt": "0 0.5 0.5 0.5 0.5\n",
      "README.dataset.txt": "exported by a labelling tool",
      "__MACOSX/._a.png": "resource fork",
    });
    const dataset = await importDataset(worker.current, auth, archive, "name=films&seed=s");
    expect(dataset).toMatchObject({
      name: "films",
      version: 1,
      source: "yolo",
      classes: ["porosity", "crack"],
    });
    expect(dataset.counts.images.total).toBe(4);
    expect(dataset.counts.perClass.map((k) => k.train + k.val)).toEqual([2, 2]);

    const listed = await items(auth, dataset.id);
    expect(listed.map((item) => [item.key, item.format, item.bitDepth])).toEqual([
      ["train/a", "png", 8],
      ["train/b", "png", 16],
      ["val/c", "tiff", 16],
      ["val/d", "dicom", 16],
    ]);
    const first = listed[0];
    expect(first?.boxes[0]).toMatchObject({ classId: 0, label: "porosity" });
    expect(first?.boxes[0]?.boxNormalized.x1).toBeCloseTo(0.4, 6);
    expect(first?.boxes[0]?.box.x2).toBeCloseTo(0.6 * a.width, 4);
    expect(listed[2]?.boxes).toEqual([]);
    for (const item of listed) expect(item.split).toBe(await splitOf("s", item.sha256, 0.2));
    // The images and nothing else (the archive itself is gone).
    expect(await datasetObjects(worker.current, user.id)).toHaveLength(4);
  });

  test("reads every form of `names` Ultralytics writes, in a folder zipped as a whole", async () => {
    const { auth } = await signedInUser(worker.current);
    const { png } = await film(21);
    const forms = [
      stringify({ names: ["porosity", "crack"] }),
      stringify({ names: { 0: "porosity", 1: "crack" } }),
      "names: ['porosity', \"crack\"]\nnc: 2\n",
      "nc: 2\nnames: {0: porosity, 1: crack}\n",
      "names:\n- porosity\n- 'crack'\n",
    ];
    for (const form of forms) {
      const archive = zip({
        "set/data.yaml": form,
        "set/images/x.png": png,
        "set/labels/x.txt": "1 0.5 0.5 0.1 0.1",
      });
      const dataset = await importDataset(worker.current, auth, archive);
      expect(dataset.classes).toEqual(["porosity", "crack"]);
      expect((await items(auth, dataset.id))[0]?.boxes[0]?.label).toBe("crack");
    }
  });

  test("the same film gets the same split in every import with the same seed", async () => {
    const { auth } = await signedInUser(worker.current);
    const films = await Promise.all([31, 32, 33, 34, 35, 36].map((seed) => film(seed)));
    const files = (n: number) =>
      Object.fromEntries(films.slice(0, n).map((f, i) => [`images/f${i}.png`, f.png] as const));
    const small = await importDataset(
      worker.current,
      auth,
      zip({ "data.yaml": "names: [a]", ...files(3) }),
      "name=s&seed=k&valFraction=0.5",
    );
    const large = await importDataset(
      worker.current,
      auth,
      zip({ "data.yaml": "names: [a]", ...files(6) }),
      "name=s&seed=k&valFraction=0.5",
    );
    const splits = new Map((await items(auth, large.id)).map((item) => [item.key, item.split]));
    for (const item of await items(auth, small.id)) expect(splits.get(item.key)).toBe(item.split);
    expect(large.counts.images.train + large.counts.images.val).toBe(6);
  });
});

describe("POST /v1/datasets with a COCO archive", () => {
  test("imports images and pixel boxes, categories in id order", async () => {
    const { auth } = await signedInUser(worker.current);
    const [a, b] = await Promise.all([film(41), film(42)]);
    const coco = {
      images: [
        { id: 1, file_name: "a.png", width: a.width, height: a.height },
        { id: 2, file_name: "b.png" },
      ],
      categories: [
        { id: 7, name: "crack" },
        { id: 3, name: "porosity" },
      ],
      annotations: [
        { id: 1, image_id: 1, category_id: 7, bbox: [10, 20, 30, 40], area: 1200, iscrowd: 0 },
        { id: 2, image_id: 2, category_id: 3, bbox: [0, 0, b.width, b.height] },
      ],
    };
    const archive = zip({
      "annotations.json": JSON.stringify(coco),
      "images/a.png": a.png,
      "images/b.png": b.png,
    });
    const dataset = await importDataset(worker.current, auth, archive, "name=coco");
    expect(dataset).toMatchObject({ source: "coco", classes: ["porosity", "crack"] });
    const [first, second] = await items(auth, dataset.id);
    expect(first?.boxes).toEqual([
      expect.objectContaining({ classId: 1, label: "crack", box: { x1: 10, y1: 20, x2: 40, y2: 60 } }),
    ]);
    expect(second?.boxes[0]?.boxNormalized).toEqual({ x1: 0, y1: 0, x2: 1, y2: 1 });
  });
});
