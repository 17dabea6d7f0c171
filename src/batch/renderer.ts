import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Campaign } from '../campaign/campaign';
import type { Recipient } from '../data/recipients';
import { LetterMergeError, WorkerFailure } from '../errors';
import type { ErrorCode, ErrorKind, ErrorLocation } from '../errors';
import { OutputFolder } from './output';
import type { OutputFile } from './manifest';
import { problemOf } from '../problems';
import type { Problem } from '../problems';
import { PACKAGE_ROOT } from '../paths';
import { sharedFontFiles } from '../fonts/files';
import { Merger } from '../template/merge';
import { Scheduler, homesFor } from './schedule';
import type * as Produce from './produce';
import type { SigningIdentity, SigningSource } from '../sign/identity';
import type { Envelope } from './produce';

export interface Job {
  seq: number;
  recipient: Recipient;
  language: string;
  /** The output folder (opened by the main thread) the letter's files are written to, by the main thread. */
  out: string;
}

export type JobResult =
  | { seq: number; ok: true; files: { pdf: OutputFile; eml: OutputFile }; pages: number; envelope: Envelope }
  /**
   * The letter cannot be made: a problem of its row (a missing glyph, a block too long, …), or a
   * bug (internal, with its stack for --debug); the batch goes on either way.
   */
  | { seq: number; ok: false; problem: Problem }
  /** Its files cannot be written (a full disk, a folder made unwritable, a link leading outside): the run stops with this error. */
  | { seq: number; ok: false; writeError: WriteError }
  /** Not made: the run stopped before it began (see Renderer.cancel). */
  | { seq: number; ok: false; cancelled: true };

/** An error of writing, as it crosses from a worker thread: what is needed to throw it again. */
export interface WriteError {
  message: string;
  code?: string;
  /** Set for lettermerge's own errors (LetterMergeError): its kind and hint. */
  kind?: ErrorKind;
  hint?: string;
  location?: ErrorLocation;
  stack?: string;
}

function writeErrorOf(err: unknown): WriteError {
  if (err instanceof LetterMergeError) return { message: err.message, code: err.code, kind: err.kind, hint: err.hint, location: err.location, stack: err.stack };
  const e = err instanceof Error ? err : new Error(String(err));
  return { message: e.message, code: (e as NodeJS.ErrnoException).code, stack: e.stack };
}

/** The error a WriteError came from, thrown again in the main thread. */
export function writeErrorToThrow(w: WriteError): Error {
  if (w.kind) return new LetterMergeError(w.code as ErrorCode, w.message, { kind: w.kind, hint: w.hint, location: w.location });
  const e = new Error(w.message) as NodeJS.ErrnoException;
  if (w.code) e.code = w.code;
  if (w.stack) e.stack = w.stack;
  return e;
}

/**
 * The output folders letters are written to, by path: the one a run opened (see
 * useOutputFolder), or one opened here on first use. Only the main thread writes.
 */
const folders = new Map<string, OutputFolder>();

/**
 * Writes the letters of jobs for `folder.out` into `folder`, the handle the run opened: what it
 * knows of the folder (which language folders it checked) is this run's, not an earlier run's in
 * the same process, whose folders may have been removed since.
 */
export function useOutputFolder(folder: OutputFolder): void {
  folders.set(folder.out, folder);
}

/** Renders letters: in this thread, or in a pool of worker threads. */
export interface Renderer {
  render(job: Job): Promise<JobResult>;
  /** No more jobs will come: what waits may go to any thread. */
  noMoreJobs?(): void;
  /** The jobs not started yet are not to be made: each resolves as cancelled. */
  cancel?(): void;
  close(): Promise<void>;
}

/**
 * The rendering code (pdfkit, fontkit, fonts, nodemailer) is loaded on first use, so a main thread
 * that hands all letters to workers never loads it.
 */
let produceModule: typeof Produce | undefined;
/** The renderer, loaded on first use; installing the pdfkit/fontkit adapter checks their internals first. */
export function loadRenderer(): typeof Produce {
  if (!produceModule) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { installAdapter } = require('../adapter') as typeof import('../adapter');
    installAdapter();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    produceModule = require('./produce') as typeof Produce;
  }
  return produceModule;
}

/** A letter made by a worker thread, its files not yet written: the bytes are handed to the main thread (transferred, not copied). */
export interface MadeLetter {
  seq: number;
  made: true;
  pdf: Uint8Array;
  eml: Uint8Array;
  pages: number;
  envelope: Envelope;
}

/** Makes a job's letter; a letter that cannot be made comes back as the JobResult that says why. */
export async function makeLetter(campaign: Campaign, merger: Merger, job: Job, sign?: SigningIdentity): Promise<MadeLetter | JobResult> {
  try {
    const letter = await loadRenderer().produceLetter(campaign, merger, job.recipient, job.language, { sign });
    return { seq: job.seq, made: true, pdf: letter.pdf, eml: letter.eml, pages: letter.pages, envelope: letter.envelope };
  } catch (err) {
    const at = { line: job.recipient.line, id: job.recipient.id, language: job.language };
    if (err instanceof LetterMergeError) return { seq: job.seq, ok: false, problem: problemOf(err, 'row', at) };
    const e = err instanceof Error ? err : new Error(String(err));
    const message = `internal error while making this letter: ${e.message} (a bug in lettermerge: run again with --debug and report it)`;
    return { seq: job.seq, ok: false, problem: { scope: 'row', code: 'INTERNAL', message, ...at, internal: true, detail: e.stack } };
  }
}

/**
 * Writes a made letter's files into the job's output folder. Only the main thread writes: worker
 * threads creating files in one folder at once wait for each other in the file system (two workers
 * writing 1,000 letters each spent 1.35 s each in open(), one thread writing 2,000 spent 0.55 s).
 */
export function writeMadeLetter(job: Job, letter: MadeLetter): JobResult {
  try {
    let folder = folders.get(job.out);
    if (!folder) folders.set(job.out, (folder = new OutputFolder(job.out, true)));
    const files = folder.writeLetter(job.language, job.recipient.id, letter.pdf, letter.eml);
    return { seq: job.seq, ok: true, files, pages: letter.pages, envelope: letter.envelope };
  } catch (err) {
    return { seq: job.seq, ok: false, writeError: writeErrorOf(err) };
  }
}

/** What a worker posts back: a letter made, or a letter that could not be made. */
export type WorkerReply = MadeLetter | JobResult;

/** The buffers of a made letter to transfer rather than copy: each one's whole memory, when it has it alone. */
export function transferable(letter: MadeLetter): ArrayBuffer[] {
  const out: ArrayBuffer[] = [];
  for (const key of ['pdf', 'eml'] as const) {
    const bytes = letter[key];
    if (bytes.byteOffset !== 0 || bytes.byteLength !== bytes.buffer.byteLength || !(bytes.buffer instanceof ArrayBuffer) || out.includes(bytes.buffer)) {
      // A slice of a larger (pooled) buffer: copied into memory of its own.
      letter[key] = new Uint8Array(bytes);
    }
    out.push(letter[key].buffer as ArrayBuffer);
  }
  return out;
}

export class InProcessRenderer implements Renderer {
  private readonly merger: Merger;
  constructor(
    private readonly campaign: Campaign,
    private readonly sign?: SigningIdentity,
  ) {
    this.merger = new Merger(campaign);
  }
  async render(job: Job): Promise<JobResult> {
    // Back to the event loop first: a letter is made without waiting on anything, so a run making
    // letters one after another would otherwise leave everything else waiting until its last
    // (the worker threads' finished letters, to be written and followed by more; Ctrl-C; the
    // progress bar).
    await new Promise<void>((resolve) => setImmediate(resolve));
    const made = await makeLetter(this.campaign, this.merger, job, this.sign);
    return 'made' in made ? writeMadeLetter(job, made) : made;
  }
  async close(): Promise<void> {}
}

/**
 * V8 lets a busy heap grow far past what it holds before collecting; a letter needs a few MB, so a
 * cap on each worker's heap keeps the batch's memory flat.
 *
 * But under a cap below 256 MB, V8 grows the heap by only 1.3 times what survived the last full
 * collection: a worker holding 45 MB of fonts and caches collected fully every 13 MB, 60 times in
 * 3,000 Spanish letters, and its marking threads took the other core from the other worker (two
 * workers made a letter in 5.8 ms each, against 4.0 for one alone). A fixed growing factor of 2
 * (V8's --heap-growing-percent, a flag of the whole process, read at each collection) brings that
 * to 20 collections and each of two workers to about 4.6 ms a letter. (A factor of 3 was a little
 * faster still, and took 80 MB more for 2,000 letters.)
 *
 * Now the main thread makes letters beside one worker, and most of the collector's work is
 * young-generation copying (445 scavenges against 22-39 full collections for 2,000 six-language
 * letters). A factor of 1.5 took 15-45 MB less peak memory for 2,000 such letters and 40-60 MB less
 * for 20,000 (433 against 495 MB, 420 against 460), in the same time within the noise: full
 * collections went from 22 to 39, 0.24 to 0.49 s of some 28 s of work. A factor of 1.3 took
 * another 20-50 MB less and 10% more time.
 */
const HEAP_GROWING_PERCENT = 50;
/**
 * Letters a worker is given at once: enough that it does not wait for this thread to send the
 * next. This thread sends more only between the letters it makes itself, after writing the files
 * of the worker's finished ones; a letter here and its writing can take as long as two of the
 * worker's. With 2, a worker making 2,000 letters beside this thread waited 1.3-2.0 s of its 11-13 s
 * (Chinese most: its files are twice the size), and made 1,050 Chinese letters of 2,000; with 4, it
 * waited 0.3-0.4 s and made 1,200. Run in turns, 2,000 Chinese letters went at 144 letters/s
 * against 131 (seven runs each way), Spanish at 172 against 169 (five), six languages at 134
 * against 125 (two), on a machine whose speed drifted by a third within those runs.
 */
const WORKER_QUEUE = 4;
const WORKER_LIMITS = { maxOldGenerationSizeMb: 192, maxYoungGenerationSizeMb: 16 };

export { WorkerFailure };

/** A job handed to the pool, and what to do with its result. */
interface Entry {
  job: Job;
  resolve: (r: JobResult) => void;
  reject: (e: Error) => void;
}

/** A thread that makes letters: a worker, or this thread (the local renderer). */
interface Slot {
  /** Jobs it may have at once: started, not finished. */
  capacity: number;
  outstanding: number;
  start(entry: Entry): void;
}

/**
 * A pool of worker threads, each with its own parsed fonts and layout caches; results come back
 * in any order, tagged with their sequence number. The workers get the campaign as loaded here,
 * so every letter of a run is made from the same files.
 *
 * With a `local` renderer, this thread makes letters too, one at a time, between writing the
 * workers' letters' files: from the start, while the workers load, and beside them after.
 *
 * Jobs wait here, not in the workers, until a thread can take one (a worker has WORKER_QUEUE
 * letters at most): which thread makes a letter is decided as late as it can be, by its language
 * (see Scheduler). Threads are numbered from 0, this thread first when it makes letters.
 */
export class WorkerPool implements Renderer {
  private readonly workers: Worker[] = [];
  /** Workers first: they are given jobs before this thread takes one. */
  private readonly slots: { slot: Slot; thread: number }[] = [];
  private readonly pending = new Map<number, Entry>();
  private readonly scheduler: Scheduler<Entry>;
  private failure: Error | undefined;
  private closing = false;

  /**
   * Each worker opens the signing identity itself from `signing` (the key cannot be handed
   * over). `script` replaces the worker's code; for tests of a worker that fails. `local`: the
   * renderer of this thread, when it makes letters too. `homes`: the threads each language goes
   * to (see homesFor); without it, every thread makes every language.
   */
  constructor(
    campaign: Campaign,
    size: number,
    script = path.join(PACKAGE_ROOT, 'dist', 'batch', 'worker.js'),
    signing?: SigningSource,
    local?: Renderer,
    homes?: ReadonlyMap<string, readonly number[]>,
  ) {
    const first = local ? 1 : 0;
    this.scheduler = new Scheduler(size + first, homes);
    setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    // The worker is compiled JavaScript, also when the library runs from TypeScript sources.
    for (let i = 0; i < size; i++) {
      const worker = new Worker(script, { workerData: { campaign, signing, fonts: sharedFontFiles() }, resourceLimits: WORKER_LIMITS });
      const slot: Slot = {
        capacity: WORKER_QUEUE,
        outstanding: 0,
        start: (entry) => {
          this.pending.set(entry.job.seq, entry);
          worker.postMessage(entry.job);
        },
      };
      worker.on('message', (r: WorkerReply | { fatal: string; stack?: string }) => {
        if ('fatal' in r) return this.fail(new WorkerFailure(`a worker thread could not start: ${r.fatal}`, r.stack));
        slot.outstanding--;
        const p = this.pending.get(r.seq);
        this.pending.delete(r.seq);
        // The letter's files are written here, while the worker makes its next letter.
        if (p) p.resolve('made' in r ? writeMadeLetter(p.job, r) : r);
        this.pump();
      });
      worker.on('error', (err) => {
        // The worker's own code missing from the installation: said as such where the error is reported.
        if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') return this.fail(err);
        const memory = /heap|memory/i.test(err.message) || (err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY';
        this.fail(
          new WorkerFailure(
            memory
              ? 'a worker thread ran out of memory (each has 192 MB); a very large template or image may need more: run with --jobs 1'
              : `a worker thread stopped: ${err.message}`,
            err.stack,
          ),
        );
      });
      worker.on('exit', (code) => {
        if (code !== 0 && !this.closing) this.fail(new WorkerFailure(`a worker thread stopped with code ${code}`));
      });
      this.workers.push(worker);
      this.slots.push({ slot, thread: first + i });
    }
    if (local) {
      const slot: Slot = {
        capacity: 1,
        outstanding: 0,
        start: ({ job, resolve, reject }) => {
          local.render(job).then(resolve, reject).finally(() => {
            slot.outstanding--;
            this.pump();
          });
        },
      };
      this.slots.push({ slot, thread: 0 });
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const e of this.scheduler.clear()) e.reject(err);
  }

  /** Gives each thread that can take a job its next one. */
  private pump(): void {
    if (this.failure) return;
    for (const { slot, thread } of this.slots) {
      while (slot.outstanding < slot.capacity) {
        const entry = this.scheduler.next(thread, slot.outstanding === 0);
        if (!entry) break;
        slot.outstanding++;
        slot.start(entry);
      }
    }
  }

  render(job: Job): Promise<JobResult> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.scheduler.add({ job, resolve, reject }, job.language);
      this.pump();
    });
  }

  noMoreJobs(): void {
    this.scheduler.noMoreJobs();
    this.pump();
  }

  cancel(): void {
    for (const { job, resolve } of this.scheduler.clear()) resolve({ seq: job.seq, ok: false, cancelled: true });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.cancel();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export interface Signing {
  source: SigningSource;
  identity: SigningIdentity;
}

/**
 * `jobs` threads making letters: this one, and jobs - 1 workers beside it. `weights`: the work in
 * each language (see homesFor), to share the languages out among the threads.
 */
export function createRenderer(campaign: Campaign, jobs: number, signing?: Signing, weights?: ReadonlyMap<string, number>): Renderer {
  const here = new InProcessRenderer(campaign, signing?.identity);
  if (jobs <= 1) return here;
  return new WorkerPool(campaign, jobs - 1, undefined, signing?.source, here, weights && homesFor(weights, jobs));
}
