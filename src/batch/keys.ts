import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Campaign } from '../campaign/campaign';
import type { ColumnRead, ListMapping } from '../data/mapping';
import { PACKAGE_ROOT } from '../paths';

/**
 * The packages whose code shapes a letter's bytes. Their versions, with lettermerge's own, are
 * part of every letter's key: an upgrade makes the letters again on --resume.
 */
const OUTPUT_PACKAGES = [
  'pdfkit',
  'fontkit',
  '@embedpdf/fonts-latin',
  '@embedpdf/fonts-arabic',
  '@embedpdf/fonts-sc',
  'handlebars',
  'markdown-it',
  'nodemailer',
  'bidi-js',
  'linebreak',
  'hyphen',
  'harfbuzzjs',
  'date-fns',
];

function packageVersion(name: string): string {
  // Some packages do not export their package.json; find it above the resolved entry point.
  let dir: string;
  try {
    dir = path.dirname(require.resolve(name, { paths: [PACKAGE_ROOT] }));
  } catch {
    return 'missing';
  }
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    }
    dir = path.dirname(dir);
  }
  return 'unknown';
}

let versions: string | undefined;

/** "lettermerge@0.1.0 pdfkit@0.20.2 …": what made the letters. */
export function softwareVersions(): string {
  if (versions === undefined) {
    const own = (JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    versions = [`lettermerge@${own}`, ...OUTPUT_PACKAGES.map((p) => `${p}@${packageVersion(p)}`)].join(' ');
  }
  return versions;
}

/**
 * How a list was read, for a letter's key: which column each field came from (where the header is
 * not the field's own name) and what the mapping says its words mean. A mapping that changes
 * neither (one naming a column that was read so anyway) changes no key. Undefined when every
 * column has its field's name and no word is mapped, so that letters made before mappings
 * existed keep their keys.
 */
export function readingKey(reads: ColumnRead[], m: ListMapping): string | undefined {
  const columns = reads
    .filter((r) => r.field && r.field !== r.header)
    .map((r) => [r.field, r.header])
    .sort(([a], [b]) => ((a ?? '') < (b ?? '') ? -1 : 1));
  const values = Object.entries(m.values ?? {})
    .map(([f, words]) => [f, Object.entries(words ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))] as const)
    .filter(([, words]) => words.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return columns.length || values.length ? JSON.stringify({ columns, values }) : undefined;
}

/** Options of a run that change what a letter looks like (none yet beyond its language). */
export type OutputOptions = Record<string, string | number | boolean | undefined>;

/**
 * What a letter is made from, as one hash: the recipient's row (every cell), the campaign (its
 * files and date), the letter's language, the options that change output, and the software.
 * --resume keeps a letter only when its recorded key is this one; anything else is made again.
 */
export function letterKey(campaign: Campaign, fields: Record<string, string>, language: string, options: OutputOptions = {}): string {
  const h = createHash('sha256');
  h.update(softwareVersions());
  h.update('\0');
  h.update(campaign.hashes[language] ?? `no templates in ${language}`);
  h.update('\0');
  h.update(language);
  h.update('\0');
  h.update(JSON.stringify(Object.entries(options).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1))));
  for (const name of Object.keys(fields).sort()) {
    h.update('\0');
    h.update(name);
    h.update('\0');
    h.update(fields[name]);
  }
  return h.digest('hex').slice(0, 32);
}
