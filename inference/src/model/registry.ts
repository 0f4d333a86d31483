import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { ClaimedModel } from "@common/contracts/job-claim";
import { InferenceError, toInferenceError } from "../errors";
import { type Detector, type DetectorOptions, loadDetector } from "./detector";
import { ModelVersionCache, type VersionCacheOptions, type VersionLease } from "./version-cache";

export interface LoadFailure {
  file: string;
  code: string;
  message: string;
}

/**
 * Every `.onnx` model of one folder (the shipped models), each with its own session and batcher,
 * and, with `versions` set, owners' registry versions loaded on demand (`version-cache.ts`).
 */
export class ModelRegistry {
  private warmed = false;

  private constructor(
    private readonly detectors: Map<string, Detector>,
    readonly failures: LoadFailure[],
    private readonly defaultName: string | null,
    private readonly versions: ModelVersionCache | null,
  ) {}

  /**
   * Loads every model in `dir`. A model that cannot be served (unknown layout, broken file) is
   * reported in `failures` and skipped, so one bad file does not take the others down.
   */
  static async load(
    dir: string,
    options: DetectorOptions & { defaultModel?: string; versions?: VersionCacheOptions } = {},
  ): Promise<ModelRegistry> {
    let files: string[];
    try {
      files = (await readdir(dir)).filter((file) => file.toLowerCase().endsWith(".onnx")).sort();
    } catch (error) {
      throw new InferenceError("model_load_failed", `cannot read models folder ${dir}`, { cause: error });
    }
    const detectors = new Map<string, Detector>();
    const failures: LoadFailure[] = [];
    for (const file of files) {
      try {
        const detector = await loadDetector(join(dir, file), options);
        detectors.set(detector.info.name, detector);
      } catch (error) {
        const failure = toInferenceError(error);
        failures.push({ file, code: failure.code, message: failure.message });
      }
    }
    const only = detectors.size === 1 ? [...detectors.keys()][0] : undefined;
    const defaultName = options.defaultModel ?? only ?? null;
    if (defaultName !== null && !detectors.has(defaultName)) {
      throw new InferenceError("model_not_found", `default model ${defaultName} is not in ${dir}`);
    }
    const { versions, defaultModel: _, ...detectorOptions } = options;
    const cache = versions ? new ModelVersionCache(versions, detectorOptions, loadDetector) : null;
    return new ModelRegistry(detectors, failures, defaultName, cache);
  }

  /** The registry version a claim names, loaded on demand; release the lease when the job is done. */
  async version(model: ClaimedModel): Promise<VersionLease> {
    if (this.versions === null) {
      throw new InferenceError(
        "model_not_found",
        `registry model versions are not served here (${model.name})`,
      );
    }
    return this.versions.acquire(model);
  }

  /** The named model; without a name (or with "default") the default model. */
  get(name?: string): Detector {
    const wanted = name === undefined || name === "default" ? this.defaultName : name;
    const detector = wanted === null ? undefined : this.detectors.get(wanted);
    if (detector === undefined) {
      const known = [...this.detectors.keys()].join(", ") || "none";
      throw new InferenceError(
        "model_not_found",
        wanted === null
          ? `no model named and no default model configured (served: ${known})`
          : `model ${wanted} is not served (served: ${known})`,
      );
    }
    return detector;
  }

  get defaultModel(): string | null {
    return this.defaultName;
  }

  list(): Detector[] {
    return [...this.detectors.values()];
  }

  get ready(): boolean {
    return this.warmed && this.detectors.size > 0;
  }

  async warmup(): Promise<void> {
    for (const detector of this.detectors.values()) await detector.warmup();
    this.warmed = true;
  }

  async dispose(): Promise<void> {
    this.warmed = false;
    await Promise.all([...this.list().map((detector) => detector.dispose()), this.versions?.dispose()]);
  }
}
