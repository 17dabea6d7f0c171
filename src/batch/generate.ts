import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { loadCampaign } from '../campaign/campaign';
import type { Campaign } from '../campaign/campaign';
import { readRecipients } from '../data/recipients';
import type { Recipient, RowProblem } from '../data/recipients';
import { LetterMergeError } from '../errors';
import { isSupportedLanguage, supportedLanguages } from '../i18n/languages';
import { DEFAULT_CAMPAIGN } from '../paths';
import { Merger } from '../template/merge';
import { produceLetter } from './produce';

export interface GenerateOptions {
  /** Path of the recipients CSV. */
  csv: string;
  /** Campaign folder; the bundled sample when left out. */
  campaign?: string;
  /** Output folder; "out" when left out. */
  out?: string;
  /** Only produce letters in these languages. */
  languages?: string[];
  onProgress?: (event: ProgressEvent) => void;
}

export interface ProgressEvent {
  done: number;
  total: number;
  id: string;
  language: string;
  status: 'ok' | 'failed';
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
  recipients: number;
  letters: number;
  produced: number;
  failed: number;
  /** Letters not made because of the language filter. */
  skipped: number;
  failures: Failure[];
  manifest: string;
  failedCsv?: string;
  elapsedMs: number;
}

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Writes through a temporary name and renames, so no half-written file is ever left in place. */
async function writeAtomic(file: string, data: Buffer | string): Promise<void> {
  const tmp = `${file}.partial-${process.pid}`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
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

function csvCell(value: string): string {
  return /[",\r\n;]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Checks that every template fills for a real recipient before anything is written: a template
 * that names a column the file does not have is a problem of the whole input, not of one row.
 */
function preflight(campaign: Campaign, merger: Merger, recipients: Recipient[], csv: string): void {
  const sample = recipients[0];
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

/** The library's main entry: a CSV of recipients becomes a PDF and an .eml per recipient and language. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const started = process.hrtime.bigint();
  const filter = parseLanguages(options.languages);
  const campaign = loadCampaign(options.campaign ?? DEFAULT_CAMPAIGN);
  const merger = new Merger(campaign);
  const input = await readRecipients(options.csv);
  preflight(campaign, merger, input.recipients, options.csv);

  const out = path.resolve(options.out ?? 'out');
  const failures: Failure[] = [];
  const failedRows: RowProblem[] = [...input.problems];
  for (const p of input.problems) failures.push({ id: p.id, line: p.line, field: p.field, message: p.message });

  const jobs: { recipient: Recipient; language: string }[] = [];
  let skipped = 0;
  for (const r of input.recipients) {
    if (!SAFE_ID.test(r.id)) {
      const message = `id "${r.id}" cannot name a file: use letters, digits, ".", "_" and "-" (not first)`;
      failures.push({ id: r.id, line: r.line, field: 'id', message });
      failedRows.push({ line: r.line, id: r.id, field: 'id', message, fields: r.fields });
      continue;
    }
    for (const language of r.languages) {
      if (filter && !filter.includes(language)) skipped++;
      else jobs.push({ recipient: r, language });
    }
  }

  await mkdir(out, { recursive: true });
  const manifest: ManifestEntry[] = [];
  const madeDirs = new Set<string>();
  let done = 0;
  for (const { recipient, language } of jobs) {
    const entry: ManifestEntry = { id: recipient.id, language, line: recipient.line, status: 'ok' };
    try {
      if (!campaign.languages.includes(language)) {
        throw new LetterMergeError('LANGUAGE_NOT_IN_CAMPAIGN', `the campaign has no "${language}" templates`, {
          kind: 'row',
          location: { column: 'language' },
          hint: `The campaign's languages are: ${campaign.languages.join(', ')}.`,
        });
      }
      const letter = await produceLetter(campaign, merger, recipient, language);
      const dir = path.join(out, language);
      if (!madeDirs.has(dir)) {
        await mkdir(dir, { recursive: true });
        madeDirs.add(dir);
      }
      const pdfPath = path.join(dir, `${recipient.id}.pdf`);
      const emlPath = path.join(dir, `${recipient.id}.eml`);
      await writeAtomic(pdfPath, letter.pdf);
      await writeAtomic(emlPath, letter.eml);
      entry.pages = letter.pages;
      entry.files = {
        pdf: { path: path.relative(out, pdfPath), bytes: letter.pdf.length, sha256: sha256(letter.pdf) },
        eml: { path: path.relative(out, emlPath), bytes: letter.eml.length, sha256: sha256(letter.eml) },
      };
    } catch (err) {
      if (!(err instanceof LetterMergeError)) throw err;
      const field = typeof err.location.column === 'string' ? err.location.column : undefined;
      entry.status = 'failed';
      entry.error = { field, message: err.message };
      failures.push({ id: recipient.id, line: recipient.line, language, field, message: err.message });
      failedRows.push({ line: recipient.line, id: recipient.id, field: field ?? '', message: err.message, fields: recipient.fields });
    }
    manifest.push(entry);
    done++;
    options.onProgress?.({ done, total: jobs.length, id: recipient.id, language, status: entry.status });
  }

  const manifestPath = path.join(out, 'manifest.jsonl');
  await writeAtomic(manifestPath, manifest.map((m) => JSON.stringify(m)).join('\n') + (manifest.length ? '\n' : ''));

  let failedCsv: string | undefined;
  const failedPath = path.join(out, 'failed.csv');
  if (failedRows.length > 0) {
    failedRows.sort((a, b) => a.line - b.line);
    const header = [...input.columns, 'error'];
    const lines = [header.map(csvCell).join(',')];
    for (const row of failedRows) {
      const reason = `line ${row.line}${row.field ? `, ${row.field}` : ''}: ${row.message}`;
      lines.push([...input.columns.map((c) => row.fields[c] ?? ''), reason].map(csvCell).join(','));
    }
    await writeAtomic(failedPath, lines.join('\r\n') + '\r\n');
    failedCsv = failedPath;
  } else {
    await rm(failedPath, { force: true });
  }

  const produced = manifest.filter((m) => m.status === 'ok').length;
  return {
    campaign: campaign.dir,
    out,
    recipients: input.recipients.length + input.problems.length,
    letters: jobs.length,
    produced,
    failed: failures.length,
    skipped,
    failures,
    manifest: manifestPath,
    failedCsv,
    elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
  };
}
