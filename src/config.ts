import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './config-file';
import { DEFAULT_CAMPAIGN } from './paths';

export type { Config, ConfigValues } from './config-file';

/**
 * Settings come in layers, as marp-cli does it: a flag on the command line, else the config file,
 * else the default. The config file is lettermerge.config.yaml (or .yml, or .json) in the working
 * folder, or the one --config names; paths in it are relative to its own folder, so a CI job and
 * a secretariat machine can share it.
 */
export const DEFAULTS = {
  /** The bundled sample campaign. */
  campaign: DEFAULT_CAMPAIGN,
  out: 'out',
  previewOut: 'preview.pdf',
} as const;

export const CONFIG_FILES = ['lettermerge.config.yaml', 'lettermerge.config.yml', 'lettermerge.config.json'];

/** Reads and checks a config file (see config-file.ts, loaded only when there is one to read: its YAML and schema code take a tenth of a second to load). */
function readConfig(file: string): Config {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('./config-file') as typeof import('./config-file')).readConfig(file);
}

/** The config file to use: the one named, else the first of CONFIG_FILES in `cwd`, else none. */
export function findConfig(cwd: string, named?: string): Config | undefined {
  if (named !== undefined) return readConfig(path.resolve(cwd, named));
  for (const name of CONFIG_FILES) {
    const file = path.join(cwd, name);
    if (existsSync(file)) return readConfig(file);
  }
  return undefined;
}
