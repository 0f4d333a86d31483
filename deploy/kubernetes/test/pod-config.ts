import { type Config, loadConfig } from "@inference/config";
import type { Manifest } from "./render-overlay";

/** Stands for a value the pod reads from a Secret; the manifests never hold the value itself. */
export const fromSecret = (name: string, key: string) => `secret:${name}/${key}`;

function renderedConfigMap(manifests: Manifest[], name: string): Record<string, string> {
  const configMap = manifests.find((m) => m.kind === "ConfigMap" && m.metadata.name === name);
  if (configMap === undefined) throw new Error(`the pod names ConfigMap ${name}, which is not rendered`);
  return configMap.data ?? {};
}

/**
 * The environment the container starts with, as the kubelet builds it: every `envFrom`
 * ConfigMap in order, then `env` (which wins). Secret references become `fromSecret` markers; a
 * ConfigMap key that is not there throws, as the kubelet refuses to start such a container.
 */
export function containerEnv(container: Manifest, manifests: Manifest[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (name === undefined) throw new Error("envFrom other than a ConfigMap is not expected");
    Object.assign(env, renderedConfigMap(manifests, name));
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    const configKey = variable.valueFrom?.configMapKeyRef;
    if (secret !== undefined) env[variable.name] = fromSecret(secret.name, secret.key);
    else if (configKey !== undefined) {
      const value = renderedConfigMap(manifests, configKey.name)[configKey.key];
      if (value === undefined) throw new Error(`ConfigMap ${configKey.name} has no key ${configKey.key}`);
      env[variable.name] = value;
    } else if (typeof variable.value === "string") env[variable.name] = variable.value;
    else throw new Error(`env ${variable.name} is neither a value nor a ConfigMap or Secret reference`);
  }
  return env;
}

/** The inference service's configuration in that environment, validated as the service does at start. */
export function serviceConfig(container: Manifest, manifests: Manifest[]): Config {
  return loadConfig(containerEnv(container, manifests));
}
