import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const SAMPLE_CSV = path.join(ROOT, 'samples', 'recipients.csv');
export const SAMPLE_CAMPAIGN = path.join(ROOT, 'templates', 'wsis-trust-fund-2022');
export const BIN = path.join(ROOT, 'bin', 'lettermerge.js');

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'lettermerge-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const HEADER = 'id,language,group,gender,title,first_name,last_name,position,organization,address,country,email';

/** Writes a CSV from a header and rows given as arrays of cells (quoted as needed). */
export function writeCsv(dir: string, name: string, rows: string[][], header = HEADER): string {
  const cell = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const text = [header, ...rows.map((r) => r.map(cell).join(','))].join('\n') + '\n';
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

export function row(overrides: Partial<Record<string, string>> = {}): string[] {
  const base: Record<string, string> = {
    id: 'r1',
    language: 'en',
    group: 'academia',
    gender: 'female',
    title: 'Dr',
    first_name: 'Ada',
    last_name: 'Quinlan',
    position: 'Professor',
    organization: 'Example University',
    address: '1 College Road\nExampletown',
    country: 'Utopia',
    email: 'ada@example.edu',
    ...overrides,
  } as Record<string, string>;
  return HEADER.split(',').map((c) => base[c] ?? '');
}

/** A node of pdf.js's structure tree: an element (role, children, lang, alt) or a piece of content. */
export interface StructNode {
  role?: string;
  type?: string;
  id?: string;
  lang?: string;
  alt?: string;
  children?: StructNode[];
}

export interface PdfInfo {
  file: string;
  numPages: number;
  info: Record<string, unknown>;
  lang: string | null;
  markInfo: { Marked: boolean; Suspects: boolean } | null;
  fonts: string[];
  embeddedFontFiles: number;
  pages: {
    text: string;
    items: { str: string; x: number; y: number; width: number; font: string }[];
    annotations: { subtype: string; url: string | null; rect: number[] }[];
    view: number[];
    structTree: StructNode | null;
  }[];
}

/** Reads PDFs back with pdfjs-dist (in a child process: pdfjs-dist is an ES module). */
export function inspectPdfs(files: string[]): PdfInfo[] {
  const out = execFileSync(process.execPath, [path.join(__dirname, 'pdf-inspect.mjs'), ...files], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(out.toString('utf8')) as PdfInfo[];
}

/** Text of all pages with white space folded, for "contains" checks. */
export function flatText(pdf: PdfInfo): string {
  return pdf.pages.map((p) => p.text).join('\n').replace(/\s+/g, ' ');
}

export function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A copy of the sample campaign in `dir`, with some files replaced (paths relative to it). */
export function campaignCopy(dir: string, replace: Record<string, string> = {}): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { cpSync } = require('node:fs') as typeof import('node:fs');
  const target = path.join(dir, 'campaign');
  cpSync(SAMPLE_CAMPAIGN, target, { recursive: true });
  for (const [rel, text] of Object.entries(replace)) writeFileSync(path.join(target, rel), text);
  return target;
}

/** Runs the CLI in this process, capturing what it prints. */
export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const { run } = await import('../../src/cli/main');
  let stdout = '';
  let stderr = '';
  const code = await run(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) });
  return { code, stdout, stderr };
}

/**
 * A PNG written by hand (zlib and CRC-32 from Node, not the PNG library lettermerge reads with):
 * `width` × `height` RGBA pixels from `pixel(x, y)`.
 */
export function pngBytes(width: number, height: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const zlib = require('node:zlib') as typeof import('node:zlib');
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (width * 4 + 1);
    raw[o] = 0; // filter: none
    for (let x = 0; x < width; x++) Buffer.from(pixel(x, y)).copy(raw, o + 1 + x * 4);
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', zlib.deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A dark wavy stroke on a transparent background: a stand-in signature. */
export function signaturePng(width = 300, height = 90): Buffer {
  return pngBytes(width, height, (x, y) => {
    const cy = height / 2 + (height / 3) * Math.sin((x / width) * Math.PI * 4);
    const d = Math.abs(y - cy);
    return [27, 42, 92, d < 3 ? 255 : 0];
  });
}

/** campaign.yaml of the sample with some text replaced (each pair: a regular expression and its replacement). */
export function sampleYaml(...edits: [RegExp, string][]): string {
  let yaml = require('node:fs').readFileSync(path.join(SAMPLE_CAMPAIGN, 'campaign.yaml'), 'utf8') as string;
  for (const [re, to] of edits) {
    if (!re.test(yaml)) throw new Error(`sampleYaml: ${re} does not match`);
    yaml = yaml.replace(re, to);
  }
  return yaml;
}

/** The sample letters' subject in each language, as the templates write it. */
export const SAMPLE_SUBJECT: Record<string, string> = {
  es: 'Invitación a contribuir al Fondo Fiduciario de la CMSI – 2022',
  en: 'Invitation to contribute to the WSIS Trust Fund – 2022',
  fr: "Invitation à contribuer au Fonds d'affectation spéciale du SMSI – 2022",
  ru: 'Приглашение вносить взносы в Целевой фонд ВВУИО – 2022 год',
  zh: '邀请为信息社会世界峰会（WSIS）信托基金捐款——2022年',
  ar: 'دعوة إلى المساهمة في الصندوق الاستئماني للقمة العالمية لمجتمع المعلومات (WSIS) – 2022',
};

/** The sample letters' date line in each language, as the organisation writes them (shared/docs/LANGUAGES.md). */
export const SAMPLE_DATE_LINE: Record<string, string> = {
  es: 'Ginebra, 3 de septiembre de 2021',
  en: 'Geneva, 3 September 2021',
  fr: 'Genève, le 3 septembre 2021',
  ru: 'Женева, 3 сентября 2021 года',
  zh: '日内瓦，2021年9月3日',
  ar: 'جنيف، 3 سبتمبر 2021',
};
