import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadCampaign } from '../campaign/campaign';
import type { Campaign } from '../campaign/campaign';
import { ENCODING_NOTICE, streamRecipients } from '../data/recipients';
import type { Encoding, Recipient, RowProblem } from '../data/recipients';
import { LetterMergeError } from '../errors';
import { isSupportedLanguage, supportedLanguages } from '../i18n/languages';
import { DEFAULT_CAMPAIGN } from '../paths';
import { Merger, templateFields } from '../template/merge';
import { readJsonLines } from './jsonl';
import { createRenderer } from './renderer';
import type { JobResult } from './renderer';

export interface GenerateOptions {
  /** Path of the recipients CSV. */
  csv: string;
  /** Campaign folder; the bundled sample when left out. */
  campaign?: string;
  /** Output folder; "out" when left out. */
  out?: string;
  /** Only produce letters in these languages. */
  languages?: string[];
  /** Worker threads; default: the number of cores. 1 renders in this thread. */
  jobs?: number;
  /** Only the first N letters (after --lang and --shard). */
  limit?: number;
  /** This run's share of the rows: shard K of N (1-based), stable for a given id. */
  shard?: { index: number; count: number };
  /** Keep letters whose files exist and match the manifest of an earlier run; make the rest. */
  resume?: boolean;
  /** Stops the run cleanly: letters under way are finished and written, the manifest flushed. */
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
}

export interface ProgressEvent {
  done: number;
  total: number;
  id: string;
  language: string;
  status: 'ok' | 'failed' | 'kept';
}

export interface OutputFile {
  path: string;
  bytes: number;
  sha256: string;
}

export interface ManifestEntry {
  id: string;
  language: string;
  line: number;
  status: 'ok' | 'failed';
  files?: { pdf: OutputFile; eml: OutputFile };
  pages?: number;
  /** The e-mail's envelope and Message-ID, for `lettermerge send`. */
  envelope?: { from: string; to: string; messageId: string };
  error?: { field?: string; message: string };
}

export interface Failure {
  id: string;
  line: number;
  language?: string;
  field?: string;
  message: string;
}

export interface GenerateResult {
  campaign: string;
  out: string;
  /** Rows in the file. */
  recipients: number;
  /** Letters this run was asked for (after --lang, --shard and --limit). */
  letters: number;
  produced: number;
  /** Letters kept from an earlier run by --resume. */
  kept: number;
  failed: number;
  /** Letters not made because of the language filter. */
  skipped: number;
  /** True when the run was stopped before the end; run again with --resume to finish. */
  interrupted: boolean;
  failures: Failure[];
  /** Things the user should know that are not failures (e.g. the file was decoded from Windows-1252). */
  notices: string[];
  manifest: string;
  failedCsv?: string;
  jobs: number;
  elapsedMs: number;
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Writes through a temporary name and renames, so no half-written file is ever left in place.
 * Synchronous on purpose: small writes to the page cache cost less than the promise round trips,
 * and the rendering happens in worker threads meanwhile.
 */
function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.partial-${process.pid}`;
  try {
    // 'wx' creates a new file and never follows a link someone left under the temporary name.
    rmSync(tmp, { force: true });
    writeFileSync(tmp, data, { flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function parseLanguages(list: string[] | undefined): string[] | undefined {
  if (!list || list.length === 0) return undefined;
  const codes = list.flatMap((l) => l.split(',')).map((l) => l.trim().toLowerCase()).filter(Boolean);
  for (const c of codes) {
    if (!isSupportedLanguage(c)) {
      throw new LetterMergeError('UNKNOWN_LANGUAGE', `unknown language "${c}" in --lang`, {
        kind: 'usage',
        hint: `Known languages: ${supportedLanguages().join(', ')}.`,
      });
    }
  }
  return codes;
}

/** FNV-1a of the id: which shard a recipient belongs to, the same on every machine and run. */
export function shardOf(id: string, count: number): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(id, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h % count) + 1;
}

function csvCell(value: string): string {
  return /[",\r\n;]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Checks that every template fills for a real recipient before anything is written: a template
 * that names a column the file does not have is a problem of the whole input, not of one row.
 */
function preflight(campaign: Campaign, merger: Merger, sample: Recipient | undefined, csv: string): void {
  if (!sample) return;
  for (const code of campaign.languages) {
    try {
      merger.merge(sample, code);
    } catch (err) {
      if (err instanceof LetterMergeError && err.code === 'TEMPLATE') {
        throw new LetterMergeError(err.code, err.message, {
          kind: 'input',
          location: err.location,
          hint: err.hint ?? `Checked against ${csv}, line ${sample.line}.`,
        });
      }
      throw err;
    }
  }
}

interface Plan {
  columns: string[];
  encoding?: Encoding;
  rows: number;
  letters: number;
  skipped: number;
  problems: RowProblem[];
  sample?: Recipient;
}

/** The letters a recipient gets in this run (by shard and language filter). */
function lettersFor(
  r: Recipient,
  options: { filter?: string[]; shard?: { index: number; count: number } },
): { languages: string[]; skipped: number } {
  if (options.shard && shardOf(r.id, options.shard.count) !== options.shard.index) return { languages: [], skipped: 0 };
  const languages = options.filter ? r.languages.filter((l) => options.filter!.includes(l)) : r.languages;
  return { languages, skipped: r.languages.length - languages.length };
}

/** First pass: checks the whole file and counts the letters, holding no rows in memory. */
async function plan(csv: string, options: { filter?: string[]; shard?: { index: number; count: number } }): Promise<Plan> {
  const p: Plan = { columns: [], rows: 0, letters: 0, skipped: 0, problems: [] };
  for await (const item of streamRecipients(csv)) {
    if ('fileProblem' in item) throw item.fileProblem;
    if ('header' in item) {
      p.columns = item.header.columns;
      p.encoding = item.header.encoding;
      continue;
    }
    p.rows++;
    if ('problem' in item) {
      // A bad row is reported by the shard its id belongs to (shard 1 when it has no id), once.
      const shard = options.shard;
      const mine = !shard || (item.problem.id ? shardOf(item.problem.id, shard.count) : 1) === shard.index;
      if (mine) p.problems.push(item.problem);
      continue;
    }
    const r = item.recipient;
    p.sample ??= r;
    const l = lettersFor(r, options);
    p.letters += l.languages.length;
    p.skipped += l.skipped;
  }
  return p;
}

/** Reads the manifest of an earlier run: what was made, keyed by language and id. */
function readManifest(file: string): Map<string, ManifestEntry> {
  const made = readJsonLines<ManifestEntry>(file).filter((e) => e.status === 'ok' && e.files);
  return new Map(made.map((e) => [`${e.language}/${e.id}`, e]));
}

async function stillWhole(out: string, e: ManifestEntry): Promise<boolean> {
  for (const f of [e.files!.pdf, e.files!.eml]) {
    try {
      const data = await readFile(path.join(out, f.path));
      if (data.length !== f.bytes || sha256(data) !== f.sha256) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Removes temporary files that a run stopped by force may have left. */
async function removeLeftovers(out: string): Promise<void> {
  for (const dir of await readdir(out, { withFileTypes: true }).catch(() => [])) {
    if (!dir.isDirectory()) continue;
    for (const f of await readdir(path.join(out, dir.name))) {
      if (/\.partial-\d+$/.test(f)) await rm(path.join(out, dir.name, f), { force: true });
    }
  }
}

/** The library's main entry: a CSV of recipients becomes a PDF and an .eml per recipient and language. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const started = process.hrtime.bigint();
  const filter = parseLanguages(options.languages);
  const shard = options.shard;
  if (shard && !(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 1 && shard.index <= shard.count)) {
    throw new LetterMergeError('SHARD', 'a shard is K/N with 1 ≤ K ≤ N, e.g. 2/3', { kind: 'usage' });
  }
  const campaign = loadCampaign(options.campaign ?? DEFAULT_CAMPAIGN);
  const merger = new Merger(campaign);
  const csv = options.csv;

  // Pass 1: the whole file is checked before anything is written.
  const p = await plan(csv, { filter, shard });
  const missing = [...templateFields(campaign)].filter(([name]) => !p.columns.includes(name));
  if (missing.length > 0) {
    const [name, where] = missing[0];
    throw new LetterMergeError(
      'TEMPLATE',
      `the template uses ${missing.map(([n]) => `"${n}"`).join(', ')}, which ${missing.length > 1 ? 'are not columns' : 'is not a column'} of ${csv}`,
      { location: { file: where.file, line: where.line }, hint: `Add a "${name}" column to the CSV, or correct the name in the template.` },
    );
  }
  preflight(campaign, merger, p.sample, csv);
  const notices = p.encoding && p.encoding !== 'utf-8' ? [ENCODING_NOTICE[p.encoding]] : [];
  const total = options.limit !== undefined ? Math.min(options.limit, p.letters) : p.letters;

  const out = path.resolve(options.out ?? 'out');
  await mkdir(out, { recursive: true });
  const realOut = realpathSync(out);
  await removeLeftovers(out);
  const manifestPath = path.join(out, 'manifest.jsonl');
  const earlier = options.resume ? readManifest(manifestPath) : new Map<string, ManifestEntry>();

  // The manifest grows line by line as letters are written (in the order they finish), so a
  // stopped run leaves an accurate record; at the end it is rewritten in input order.
  const manifestFd = openSync(manifestPath, options.resume ? 'a' : 'w');
  let startOffset = fstatSync(manifestFd).size;
  if (startOffset > 0 && readFileSync(manifestPath).at(-1) !== 0x0a) {
    // The last line of a run stopped by force may be cut short: start on a line of our own.
    writeSync(manifestFd, '\n');
    startOffset++;
  }
  // Where each line this run writes belongs in input order; the lines themselves stay on disk.
  const completion: number[] = [];
  let ok = 0;
  const failures: Failure[] = p.problems.map((x) => ({ id: x.id, line: x.line, field: x.field, message: x.message }));
  const failedRows: RowProblem[] = [...p.problems];
  const madeDirs = new Set<string>();
  const jobs = Math.max(1, Math.min(options.jobs ?? availableParallelism(), 64));
  const renderer = createRenderer(campaign, jobs);
  const inFlight = new Set<Promise<void>>();
  const window = jobs * 4;
  let done = 0;
  let kept = 0;
  let seq = 0;
  let interrupted = false;

  const record = async (entry: ManifestEntry, order: number) => {
    completion.push(order);
    if (entry.status === 'ok') ok++;
    writeSync(manifestFd, `${JSON.stringify(entry)}\n`);
  };

  const finish = async (recipient: Recipient, language: string, result: JobResult, order: number) => {
    const entry: ManifestEntry = { id: recipient.id, language, line: recipient.line, status: 'ok' };
    if (result.ok) {
      const dir = path.join(out, language);
      if (!madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        // Nothing is written outside --out, through a symbolic link or otherwise.
        const real = realpathSync(dir);
        if (!real.startsWith(realOut + path.sep)) {
          throw new LetterMergeError('OUTSIDE_OUT', `${dir} leads outside the output folder (to ${real}); nothing was written there`, {
            kind: 'input',
            hint: 'Remove the symbolic link, or choose another --out folder.',
          });
        }
        madeDirs.add(dir);
      }
      const pdfPath = path.join(dir, `${recipient.id}.pdf`);
      const emlPath = path.join(dir, `${recipient.id}.eml`);
      writeAtomic(pdfPath, result.pdf);
      writeAtomic(emlPath, result.eml);
      entry.pages = result.pages;
      entry.envelope = result.envelope;
      entry.files = {
        pdf: { path: path.relative(out, pdfPath), bytes: result.pdf.length, sha256: sha256(result.pdf) },
        eml: { path: path.relative(out, emlPath), bytes: result.eml.length, sha256: sha256(result.eml) },
      };
    } else {
      entry.status = 'failed';
      entry.error = { field: result.field, message: result.message };
      failures.push({ id: recipient.id, line: recipient.line, language, field: result.field, message: result.message });
      failedRows.push({ line: recipient.line, id: recipient.id, field: result.field ?? '', message: result.message, fields: recipient.fields });
    }
    await record(entry, order);
    done++;
    options.onProgress?.({ done, total, id: recipient.id, language, status: entry.status });
  };

  try {
    // Pass 2: stream the rows again and keep the workers busy, never more than `window` ahead.
    outer: for await (const item of streamRecipients(csv)) {
      if ('header' in item || 'problem' in item || 'fileProblem' in item) continue;
      const r = item.recipient;
      const l = lettersFor(r, { filter, shard });
      for (const language of l.languages) {
        if (seq >= total) break outer;
        if (options.signal?.aborted) {
          interrupted = true;
          break outer;
        }
        const order = seq++;
        const previous = earlier.get(`${language}/${r.id}`);
        if (previous && (await stillWhole(out, previous))) {
          kept++;
          done++;
          await record({ ...previous, line: r.line }, order);
          options.onProgress?.({ done, total, id: r.id, language, status: 'kept' });
          continue;
        }
        const task = renderer
          .render({ seq: order, recipient: r, language })
          .then((result) => finish(r, language, result, order));
        inFlight.add(task);
        void task.finally(() => inFlight.delete(task)).catch(() => undefined);
        if (inFlight.size >= window) await Promise.race(inFlight);
      }
    }
    await Promise.all(inFlight);
  } finally {
    await Promise.allSettled(inFlight);
    await renderer.close();
    closeSync(manifestFd);
  }
  if (!interrupted && options.signal?.aborted && done < total) interrupted = true;

  // The final manifest: one line per letter, in input order.
  if (!interrupted) {
    const written = readFileSync(manifestPath).subarray(startOffset).toString('utf8').split('\n');
    const ordered: string[] = [];
    completion.forEach((order, i) => (ordered[order] = written[i]));
    const finished = ordered.filter((l) => l !== undefined);
    writeAtomic(manifestPath, finished.join('\n') + (finished.length ? '\n' : ''));
  }

  let failedCsv: string | undefined;
  const failedPath = path.join(out, 'failed.csv');
  if (failedRows.length > 0) {
    failedRows.sort((a, b) => a.line - b.line);
    const header = [...p.columns, 'error'];
    const lines = [header.map(csvCell).join(',')];
    for (const row of failedRows) {
      const reason = `line ${row.line}${row.field ? `, ${row.field}` : ''}: ${row.message}`;
      lines.push([...p.columns.map((c) => row.fields[c] ?? ''), reason].map(csvCell).join(','));
    }
    writeAtomic(failedPath, lines.join('\r\n') + '\r\n');
    failedCsv = failedPath;
  } else {
    await rm(failedPath, { force: true });
  }
  failures.sort((a, b) => a.line - b.line);

  const produced = ok - kept;
  return {
    campaign: campaign.dir,
    out,
    recipients: p.rows,
    letters: total,
    produced,
    kept,
    failed: failures.length,
    skipped: p.skipped,
    interrupted,
    failures,
    notices,
    manifest: manifestPath,
    failedCsv,
    jobs,
    elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
  };
}
