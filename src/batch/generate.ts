import { availableParallelism } from 'node:os';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { loadCampaign } from '../campaign/campaign';
import type { Campaign } from '../campaign/campaign';
import { problemsOf, streamRecipients } from '../data/recipients';
import { guardFormula } from '../data/formula';
import type { Recipient, RowProblem, StreamItem } from '../data/recipients';
import { layerMappings } from '../data/mapping';
import type { ListMapping, ListOptions } from '../data/mapping';
import { sourceNote } from '../problems';
import type { Problem } from '../problems';
import { LetterMergeError } from '../errors';
import { language as languageInfo } from '../i18n/languages';
import { parseLanguages } from '../i18n/language-list';
import { DEFAULTS } from '../config';
import { Merger, missingColumns, templateFailure } from '../template/merge';
import { campaignOfMessageId, messageIdCampaign } from '../render/message-id';
import { MANIFEST, letterId, readManifest, unreadableNote } from './manifest';
import type { ManifestEntry, OutputFile } from './manifest';
import { FAILED_CSV, ManifestWriter, OutputFolder, REMOVED_DIR, writeAtomic } from './output';
import { lettersFor, plan, shardOf } from './plan';
import { letterKey } from './keys';
import type { Plan, Scope } from './plan';
import { createRenderer, useOutputFolder, writeErrorToThrow } from './renderer';
import { letterCost } from './schedule';
import type { JobResult, Renderer, Signing } from './renderer';
import { identityProblems, readSigningSource } from '../sign/identity';

export { shardOf };
export type { ManifestEntry, OutputFile };

export interface GenerateOptions extends ListOptions {
  /** Campaign folder; the bundled sample when left out. */
  campaign?: string;
  /** Output folder; "out" when left out. */
  out?: string;
  /** Only produce letters in these languages. */
  languages?: string[];
  /**
   * Threads making letters: this one and jobs - 1 worker threads (1: this thread alone). Default:
   * this thread alone below 1,000 letters, and one more thread per 1,000. At most the number of cores.
   */
  jobs?: number;
  /** Only the first N letters (after --lang and --shard). */
  limit?: number;
  /** This run's share of the rows: shard K of N (1-based), stable for a given id. */
  shard?: { index: number; count: number };
  /** Keep letters whose files exist, match the manifest and were made from the same input; make the rest. */
  resume?: boolean;
  /** Sign every PDF (PAdES B-B) with the key and certificate of this PKCS#12 file. */
  sign?: { file: string; password: string };
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

/** A row or letter that was not made: its problem (file, line, id, language, field, message). */
export type Failure = Problem;

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
  /**
   * Letters an earlier run had made that --resume made again: `changed`, their row, the campaign,
   * the signing or lettermerge is not what they were made from; `altered`, for each of those whose
   * files were missing or not the bytes the manifest records, the first such file (its path in
   * `out`).
   */
  remade: { changed: number; altered: string[] };
  failed: number;
  /** Letters not made because of the language filter. */
  skipped: number;
  /** Letters of earlier runs whose recipient (or that language of the recipient) is no longer in the input: taken out of the manifest, their files moved to <out>/removed/. */
  removed: number;
  /** Letters outside this run's scope made from an earlier version of their input: marked stale in the manifest, not sendable until made again. */
  stale: number;
  /** True when the run was stopped before the end; run again with --resume to finish. */
  interrupted: boolean;
  failures: Failure[];
  /** Letters this run made or kept, by language and by stakeholder group. */
  byLanguage: Record<string, number>;
  byGroup: Record<string, number>;
  /** Things the user should know that are not failures (e.g. the file was decoded from Windows-1252). */
  notices: string[];
  manifest: string;
  failedCsv?: string;
  /** Where the files of removed letters went; undefined when none were in the folder to move (deleted by hand, say). */
  removedDir?: string;
  /** The threads that made letters (see GenerateOptions.jobs). */
  jobs: number;
  elapsedMs: number;
}

/** Counts with their keys in order, so that a JSON summary is the same from run to run. */
function sortedCounts(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** A cell of failed.csv: quoted when it must be, and guarded from spreadsheets (see formula.ts). */
function csvCell(cell: string): string {
  const value = guardFormula(cell);
  return /[",\r\n;]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Checks that every template fills for a real recipient before anything is written: a template
 * that names a column the file does not have is a problem of the whole input, not of one row.
 */
function preflight(campaign: Campaign, merger: Merger, p: Plan, csv: string): void {
  const missing = missingColumns(campaign, p.columns, csv);
  if (missing.length > 0) {
    const names = missing.map((m) => `"${m.field}"`);
    throw new LetterMergeError('TEMPLATE', `the template uses ${names.join(', ')}, which ${names.length > 1 ? 'are not columns' : 'is not a column'} of ${csv}`, {
      location: { file: missing[0].file, line: missing[0].line },
      hint: missing[0].hint,
    });
  }
  const failure = p.sample && templateFailure(merger, p.sample, csv);
  if (failure) throw failure;
}

/**
 * Threads making letters: the main thread, which also writes every letter's files, and worker
 * threads beside it. A worker starts by loading the code, the fonts and the campaign, and its code
 * is compiled and optimised afresh (each thread has its own): about 1 s before its first letter,
 * and its first thousand letters take half as long again as the next. The main thread has done
 * that already (it checked the templates against the first row), so it makes letters from the
 * start and the workers join when they are ready.
 *
 * Measured on 2 cores, Spanish letters, the main thread alone against the main thread and a worker:
 * - 300 letters: 3.5 s against 4.2 (the worker's start-up takes the core the collector used);
 * - 600 letters: 6.0 to 7.8 s against 6.4 to 6.7;
 * - 1,000 letters: 8.0 to 8.4 s against 7.4 to 7.6;
 * - 2,000 letters: 12.7 to 12.8 s against 10.5 to 10.7.
 * (Two workers and an idle main thread, as before: 10.7 to 11.3 s for 2,000.)
 * So by default: the main thread alone below this many letters, and one more thread per as many.
 */
const LETTERS_PER_THREAD = 1000;

/** Threads: at most one per core and one per letter; says so when more were asked for. */
function threadCount(requested: number | undefined, letters: number, notices: string[]): number {
  const cores = availableParallelism();
  const wanted = requested ?? 1 + Math.floor(letters / LETTERS_PER_THREAD);
  const jobs = Math.max(1, Math.min(wanted, cores, Math.max(1, letters)));
  if (requested !== undefined && requested > jobs) {
    notices.push(
      `--jobs ${requested}: ${jobs} thread${jobs === 1 ? '' : 's'} used, at most one per core (this machine has ${cores}) and one per letter (${letters} to make)`,
    );
  }
  return jobs;
}

/**
 * Letters handed to the threads and not yet finished, when there are several threads: letters
 * wait in the pool until a thread of their language can take one (see Scheduler), so there must
 * be room for those of several languages at once. A letter waiting holds only its row. (2,000
 * six-language letters: 96 and 512 made no difference through the noise; 8, the window before,
 * would leave a thread waiting whenever the next few letters were all in another's languages.)
 */
const THREADS_WINDOW = 128;

/**
 * The letters this run is expected to make: those in scope, but for those a resumed run keeps
 * (recorded whole with the same key: a file found damaged then is made after all), at most
 * --limit. A run that keeps every letter starts no worker thread.
 */
function lettersToMake(run: RunState): number {
  if (!run.options.resume) return run.total;
  let n = 0;
  for (const [id, planned] of run.plan.index) {
    if (!planned.inScope) continue;
    const earlier = run.earlier.get(id);
    if (earlier?.status === 'ok' && earlier.key === planned.key) continue;
    if (++n >= run.total) break;
  }
  return n;
}

/**
 * The work in each language this run makes: its letters (those a resumed run keeps aside) times
 * what a letter in its script costs.
 */
function languageWeights(run: RunState): Map<string, number> {
  const weights = new Map<string, number>();
  for (const [id, planned] of run.plan.index) {
    if (!planned.inScope) continue;
    const earlier = run.options.resume ? run.earlier.get(id) : undefined;
    if (earlier?.status === 'ok' && earlier.key === planned.key) continue;
    const lang = planned.language;
    weights.set(lang, (weights.get(lang) ?? 0) + letterCost(languageInfo(lang).script));
  }
  return weights;
}

/**
 * What the earlier manifest says, reconciled with the current input:
 * - letters no longer in the input (the row was removed, failed, or dropped that language) are
 *   taken out, and their files moved to removed/;
 * - letters this run does not cover keep their record; one made from another version of its input
 *   is marked stale;
 * - letters this run covers keep their record until the run replaces it.
 */
function reconcile(earlier: Map<string, ManifestEntry>, p: Plan, corrections: boolean): { kept: ManifestEntry[]; gone: ManifestEntry[]; stale: number } {
  const kept: ManifestEntry[] = [];
  const gone: ManifestEntry[] = [];
  let stale = 0;
  for (const [k, e] of earlier) {
    const planned = p.index.get(k);
    if (!planned) {
      // A list of corrections (see isCorrections) holds only the rows that failed: the others stay as they are.
      if (corrections) kept.push(e);
      else gone.push(e);
      continue;
    }
    const current = { ...e, line: planned.line };
    if (!planned.inScope && e.status === 'ok' && e.key !== planned.key) {
      current.status = 'stale';
      stale++;
    } else if (!planned.inScope && e.status === 'stale') {
      stale++;
    }
    kept.push(current);
  }
  return { kept, gone, stale };
}

/** The header of the column failed.csv adds after the file's own. */
const ERROR_COLUMN = 'error';

/**
 * Whether the list is a failed.csv (its last column is the one failed.csv adds), fixed to be made
 * again: it holds only the rows that failed, so the letters of the rows it lacks are kept, not
 * taken out as recipients who left the list.
 */
function isCorrections(p: Plan): boolean {
  return p.headers.length > 1 && p.headers[p.headers.length - 1] === ERROR_COLUMN;
}

/** failed.csv: the rows that failed, as read, plus an "error" column; ready to fix and run again. */
function writeFailedCsv(file: string, plan: Plan, rows: RowProblem[]): void {
  rows.sort((a, b) => (a.problem.line ?? 0) - (b.problem.line ?? 0));
  // Under the file's own headers: failed.csv is read again with the same mapping. A failed.csv
  // made again gives its rows that still fail a new reason, in place of the old one.
  const own = isCorrections(plan) ? plan.headers.length - 1 : plan.headers.length;
  const lines = [[...plan.headers.slice(0, own), ERROR_COLUMN].map(csvCell).join(',')];
  for (const row of rows) {
    const { problem: p, fields } = row;
    // The row's other problems after its first, each with its column: all to mend at once.
    const others = problemsOf(row)
      .slice(1)
      .map((q) => `; ${q.field ? `${q.field}: ` : ''}${q.message}`)
      .join('');
    const reason = `line ${p.line}${p.language ? ` (${p.language})` : ''}${p.field ? `, ${p.field}` : ''}: ${p.message}${sourceNote(p)}${others}`;
    lines.push([...plan.columns.slice(0, own).map((c) => fields[c] ?? ''), reason].map(csvCell).join(','));
  }
  writeAtomic(file, lines.join('\r\n') + '\r\n');
}

/** What the second pass needs: the input, its plan, the output, and what the run has done so far. */
interface RunState {
  options: GenerateOptions;
  campaign: Campaign;
  mapping: ListMapping;
  signing?: Signing;
  scope: Scope;
  plan: Plan;
  total: number;
  folder: OutputFolder;
  manifest: ManifestWriter;
  earlier: Map<string, ManifestEntry>;
  failedRows: RowProblem[];
  done: number;
  made: number;
  kept: number;
  remade: GenerateResult['remade'];
  /** Letters made or kept, by language and by group. */
  byLanguage: Record<string, number>;
  byGroup: Record<string, number>;
  interrupted: boolean;
}

function count(run: RunState, language: string, group: string): void {
  run.byLanguage[language] = (run.byLanguage[language] ?? 0) + 1;
  run.byGroup[group] = (run.byGroup[group] ?? 0) + 1;
}

/** Records one letter the renderer finished: its files and manifest line, or its failure. */
function finishLetter(run: RunState, recipient: Recipient, language: string, key: string, result: JobResult): void {
  if ('cancelled' in result) return;
  const entry: ManifestEntry = { id: recipient.id, language, line: recipient.line, status: 'ok', key };
  if ('writeError' in result) throw writeErrorToThrow(result.writeError);
  if (result.ok) {
    entry.files = result.files;
    entry.pages = result.pages;
    entry.envelope = result.envelope;
    run.made++;
    count(run, language, recipient.group);
  } else {
    entry.status = 'failed';
    entry.error = { field: result.problem.field, message: result.problem.message };
    run.failedRows.push({ problem: { ...result.problem, file: run.options.csv }, fields: recipient.fields });
  }
  run.manifest.append(entry);
  run.done++;
  run.options.onProgress?.({ done: run.done, total: run.total, id: recipient.id, language, status: entry.status === 'ok' ? 'ok' : 'failed' });
}

/** Keeps a letter of an earlier run when resuming: same key, files whole. */
function keepEarlier(run: RunState, r: Recipient, language: string, key: string): boolean {
  const previous = run.earlier.get(letterId({ language, id: r.id }));
  if (!run.options.resume || previous?.status !== 'ok') return false;
  if (previous.key !== key) {
    run.remade.changed++;
    return false;
  }
  const altered = run.folder.notWhole(previous);
  if (altered) {
    run.remade.altered.push(altered);
    return false;
  }
  run.kept++;
  run.done++;
  count(run, language, r.group);
  run.manifest.append({ ...previous, line: r.line });
  run.options.onProgress?.({ done: run.done, total: run.total, id: r.id, language, status: 'kept' });
  return true;
}

/**
 * The recipients read a second time, to make their letters. The first pass read the whole file
 * without a problem, so a file that cannot be read now has changed since.
 */
async function* rowsAgain(run: RunState): AsyncGenerator<StreamItem> {
  try {
    yield* streamRecipients(run.options.csv, { sheet: run.options.sheet, mapping: run.mapping });
  } catch (err) {
    if (err instanceof LetterMergeError && err.kind === 'input') throw inputChanged(run, `it cannot be read now (${err.message})`);
    throw err;
  }
}

/** The recipients file is not what the first pass checked: the run stops, keeping what it made. */
function inputChanged(run: RunState, what: string): LetterMergeError {
  return new LetterMergeError('INPUT_CHANGED', `the recipients file changed while its letters were being made: ${what}`, {
    kind: 'input',
    location: { file: run.options.csv },
    hint: 'The letters made before are kept and recorded in manifest.jsonl. Let the file be saved, then run the same command again with --resume.',
  });
}

/**
 * The second pass: streams the rows again and keeps the renderer busy, never more than a few
 * letters per worker ahead, until every letter in scope is made, --limit is reached or the run is
 * stopped.
 */
async function makeLetters(run: RunState, renderer: Renderer, window: number): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  // The first error that stops the run (a worker thread that stopped, a file that cannot be
  // written), kept as it happens: a letter that fails while no one waits on it leaves the set at
  // once, and its error would otherwise be lost with it, the run ending as if that letter and
  // those after it had never been asked for.
  let stop: { error: unknown } | undefined;
  let seq = 0;
  // The loop's wait for room in the window, woken by the next letter to finish. (Not
  // Promise.race over the letters in flight: each race adds a reaction to every one of them, which
  // with hundreds in flight cost more time and memory than the letters.)
  let room: (() => void) | undefined;
  const finished = (task: Promise<void>) => {
    inFlight.delete(task);
    room?.();
  };
  // A run that stops (Ctrl-C, an error) makes none of the letters still waiting for a thread.
  const halt = () => renderer.cancel?.();
  run.options.signal?.addEventListener('abort', halt);
  try {
    outer: for await (const item of rowsAgain(run)) {
      if (!('recipient' in item)) continue;
      const r = item.recipient;
      for (const language of lettersFor(r, run.scope).languages) {
        if (stop || seq >= run.total) break outer;
        if (run.options.signal?.aborted) {
          run.interrupted = true;
          break outer;
        }
        seq++;
        // The row as it was checked: the file may have been saved over since (a spreadsheet, an
        // export run again), and a letter is made only from a row the first pass checked.
        const key = run.plan.index.get(letterId({ language, id: r.id }))?.key;
        if (key === undefined || key !== letterKey(run.campaign, r.fields, language, run.plan.keyOptions)) {
          throw inputChanged(run, `the row of id ${r.id} (line ${r.line}) is not as it was when the file was checked`);
        }
        if (keepEarlier(run, r, language, key)) continue;
        const task = renderer.render({ seq, recipient: r, language, out: run.folder.out }).then((result) => finishLetter(run, r, language, key, result));
        inFlight.add(task);
        task.then(
          () => finished(task),
          (error: unknown) => {
            stop ??= { error };
            halt();
            finished(task);
          },
        );
        if (inFlight.size >= window) {
          await new Promise<void>((resolve) => (room = resolve));
          room = undefined;
        }
      }
    }
    if (!stop && !run.interrupted && !run.options.signal?.aborted && seq < run.total) {
      throw inputChanged(run, `it ends after ${seq} of the ${run.total} letters it held when it was checked`);
    }
    renderer.noMoreJobs?.();
  } catch (err) {
    stop ??= { error: err };
  } finally {
    if (stop || run.interrupted) halt();
    await Promise.allSettled(inFlight);
    run.options.signal?.removeEventListener('abort', halt);
  }
  if (stop) throw stop.error;
  if (!run.interrupted && run.options.signal?.aborted && run.done < run.total) run.interrupted = true;
}

/** Opens the signing certificate once, here, so that a wrong password or an expired certificate stops the run before anything is written. */
async function openSigning(sign: { file: string; password: string }, notices: string[]): Promise<Signing> {
  const source = readSigningSource(sign.file, sign.password);
  const { openSigningIdentity } = await import('../sign/signing');
  const identity = await openSigningIdentity(source);
  const { error, warning } = identityProblems(identity, new Date());
  if (error) throw new LetterMergeError('SIGNING', error, { kind: 'input', location: { file: sign.file } });
  if (warning) notices.push(warning);
  return { source, identity };
}

/** Checks the input, reconciles the output folder with it, and opens the manifest: everything before the letters. */
async function prepare(options: GenerateOptions): Promise<{ run: RunState; gone: ManifestEntry[]; moved: number; stale: number; notices: string[] }> {
  const filter = parseLanguages(options.languages);
  const shard = options.shard;
  if (shard && !(Number.isInteger(shard.count) && shard.count >= 1 && Number.isInteger(shard.index) && shard.index >= 1 && shard.index <= shard.count)) {
    throw new LetterMergeError('SHARD', 'a shard is K/N with 1 ≤ K ≤ N, e.g. 2/3', { kind: 'usage' });
  }
  const scope: Scope = { filter, shard };
  const campaign = loadCampaign(options.campaign ?? DEFAULTS.campaign);
  const notices: string[] = [];
  const signing = options.sign ? await openSigning(options.sign, notices) : undefined;
  // Pass 1: the whole file is checked before anything is written. Signing is part of what a
  // letter is made from: a signed run does not keep unsigned letters, nor the reverse.
  // So is how the list is read (see readingKey): a mapping that reads it otherwise makes the letters again.
  const mapping = layerMappings(campaign.mapping, options.mapping);
  const p = await plan(options.csv, campaign, scope, { signedBy: signing?.identity.fingerprint }, { sheet: options.sheet, mapping });
  preflight(campaign, new Merger(campaign), p, options.csv);
  notices.unshift(...p.listNotes);
  if (shard && p.rows > 0 && p.letters === 0 && p.skipped === 0 && p.problems.length === 0) {
    notices.push(`shard ${shard.index}/${shard.count} has none of the list's ${p.rows} ${p.rows === 1 ? 'row' : 'rows'}: each row goes to one shard, by its id, and with ${shard.count} shards for ${p.rows} ${p.rows === 1 ? 'row' : 'rows'} some get none`);
  }
  const total = options.limit !== undefined ? Math.min(options.limit, p.letters) : p.letters;

  const out = path.resolve(options.out ?? DEFAULTS.out);
  const folder = new OutputFolder(out);
  try {
    const manifestPath = path.join(out, MANIFEST);
    const unreadable: number[] = [];
    const earlier = readManifest(manifestPath, unreadable);
    const skippedLines = unreadableNote(unreadable, 'a letter recorded there is made again when this run covers it');
    if (skippedLines) notices.push(skippedLines);
    refuseOtherCampaign(earlier, campaign.id, out);
    const corrections = isCorrections(p);
    if (corrections && earlier.size > 0) {
      notices.push(`${path.basename(options.csv)} is a failed.csv (its last column is "${ERROR_COLUMN}"): its rows are made as the failed rows, fixed, and the other letters of the output folder are kept as they are`);
    }
    const { kept: carried, gone, stale } = reconcile(earlier, p, corrections);
    // The manifest is rewritten without the letters that left the input before their files move,
    // so that a run stopped in between never leaves a sendable record of a removed letter.
    const manifest = new ManifestWriter(manifestPath, carried);
    let moved = 0;
    for (const e of gone) moved += folder.moveAside(e).length;
    const run: RunState = { options, campaign, mapping, signing, scope, plan: p, total, folder, manifest, earlier, failedRows: [...p.problems], done: 0, made: 0, kept: 0, remade: { changed: 0, altered: [] }, byLanguage: {}, byGroup: {}, interrupted: false };
    return { run, gone, moved, stale, notices };
  } catch (err) {
    folder.close();
    throw err;
  }
}

/**
 * An output folder holds one campaign's letters. Made into a folder of another campaign (the
 * default "out" used again for the next one), a run replaced the letters of the recipients both
 * lists have and moved the others aside, without a word: the letters of a campaign not yet sent
 * were gone. The campaign of a letter is in its Message-ID.
 */
function refuseOtherCampaign(earlier: Map<string, ManifestEntry>, campaignId: string, out: string): void {
  const own = messageIdCampaign(campaignId);
  for (const e of earlier.values()) {
    const other = e.envelope && campaignOfMessageId(e.envelope.messageId);
    if (!other || other === own) continue;
    throw new LetterMergeError('OUT_FOLDER', `the output folder ${out} holds the letters of another campaign (${other}), and this run is of ${campaignId}: they would be replaced, or moved aside`, {
      kind: 'input',
      location: { file: out },
      hint: `Choose a folder for this campaign (--out ${campaignId}), or, when the other campaign's letters are no longer wanted, delete ${out} first.`,
    });
  }
}

/** The library's main entry: a CSV of recipients becomes a PDF and an .eml per recipient and language. */
export async function generate(options: GenerateOptions): Promise<GenerateResult> {
  const started = process.hrtime.bigint();
  const { run, gone, moved, stale, notices } = await prepare(options);
  const jobs = threadCount(options.jobs, lettersToMake(run), notices);
  try {
    useOutputFolder(run.folder);
    const renderer = createRenderer(run.campaign, jobs, run.signing, jobs > 1 ? languageWeights(run) : undefined);
    try {
      await makeLetters(run, renderer, jobs > 1 ? THREADS_WINDOW : 4);
    } finally {
      await renderer.close();
      run.manifest.close();
    }
    // The final manifest: one line per letter, in input order.
    if (!run.interrupted) run.manifest.finish((k) => run.plan.index.get(k)?.order);

    const out = run.folder.out;
    const failedPath = path.join(out, FAILED_CSV);
    if (run.failedRows.length > 0) writeFailedCsv(failedPath, run.plan, run.failedRows);
    else rmSync(failedPath, { force: true });
    const failures = run.failedRows
      .map((f) => {
        const [first, ...others] = problemsOf(f);
        return others.length ? { ...first, also: others } : first;
      })
      .sort((a, b) => (a.line ?? 0) - (b.line ?? 0));

    return {
      campaign: run.campaign.dir,
      out,
      recipients: run.plan.rows,
      letters: run.total,
      produced: run.made,
      kept: run.kept,
      remade: run.remade,
      failed: failures.length,
      skipped: run.plan.skipped,
      removed: gone.length,
      stale,
      interrupted: run.interrupted,
      failures,
      byLanguage: sortedCounts(run.byLanguage),
      byGroup: sortedCounts(run.byGroup),
      notices,
      manifest: run.manifest.file,
      failedCsv: run.failedRows.length > 0 ? failedPath : undefined,
      removedDir: moved > 0 ? path.join(out, REMOVED_DIR) : undefined,
      jobs,
      elapsedMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
  } finally {
    // The folder is let go of last, after the final manifest and failed.csv.
    run.folder.close();
  }
}
