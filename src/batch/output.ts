import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { LetterMergeError } from '../errors';
import { PART_NAME, partName, processRunning, processStart } from '../files';
import { badNameCharacter } from '../text/unicode';
import { MANIFEST, letterId, readManifest } from './manifest';
import { jsonLines, readJsonLinesFile } from './jsonl';
import type { JsonLine } from './jsonl';
import type { ManifestEntry, OutputFile } from './manifest';

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** What a file system's refusal to write means to the user, by error code. */
const WRITE_PROBLEMS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'the disk reported an input/output error',
  EFBIG: 'the file is larger than the file system allows',
  // A folder was put where the file goes (an edited output folder).
  EISDIR: 'a folder is in its place',
  // The folder was changed while the run went on: someone removed or moved it, or put a file in its place.
  ENOENT: 'its folder is gone (removed or moved while the run was writing to it)',
  ENOTDIR: 'a folder on its path is no longer a folder',
};

/**
 * A file of the output that the file system would not write (a full disk, a folder made
 * read-only midway), as an error the user can act on rather than an internal one; other errors
 * as they are.
 */
export function writeFailure(
  err: unknown,
  file: string,
  hint = 'The letters already written and recorded in manifest.jsonl are kept: make room or mend the folder, then run the same command again with --resume.',
): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (!code || !Object.hasOwn(WRITE_PROBLEMS, code)) return err;
  return new LetterMergeError('OUT_FOLDER', `${file} could not be written: ${WRITE_PROBLEMS[code]} (${code})`, { kind: 'input', hint });
}

/**
 * Writes through a temporary name and renames, so no half-written file is ever left in place.
 * Synchronous on purpose: small writes to the page cache cost less than the promise round trips,
 * and the rendering happens in worker threads meanwhile.
 */
export function writeAtomic(file: string, data: FileData): void {
  try {
    replaceFile(file, data);
  } catch (err) {
    throw writeFailure(err, file);
  }
}

/** What a file is written from: its bytes, its text, or its parts in order (not joined first). */
export type FileData = Uint8Array | string | readonly (Uint8Array | string)[];

/** Writes a new file (flag 'wx') from its data. */
function writeNewFile(file: string, data: FileData): void {
  if (typeof data === 'string' || data instanceof Uint8Array) {
    writeFileSync(file, data, { flag: 'wx' });
    return;
  }
  const fd = openSync(file, 'wx');
  try {
    // Parts gathered into writes of about a megabyte each.
    for (let i = 0; i < data.length; ) {
      const batch: Buffer[] = [];
      let size = 0;
      for (; i < data.length && size < 1 << 20; i++) {
        const part = data[i];
        const b = typeof part === 'string' ? Buffer.from(part) : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
        batch.push(b);
        size += b.length;
      }
      const chunk = Buffer.concat(batch, size);
      for (let written = 0; written < chunk.length; ) written += writeSync(fd, chunk, written);
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes `file` through a temporary name (see partName) and a rename; the file system's errors as they are. */
export function replaceFile(file: string, data: FileData): void {
  const tmp = partName(file);
  try {
    // 'wx' creates a new file and never follows a link someone left under the temporary name; a
    // file left there (by a run stopped under the same process id) is removed and the write tried
    // again.
    try {
      writeNewFile(tmp, data);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      rmSync(tmp, { force: true });
      writeNewFile(tmp, data);
    }
    renameSync(tmp, file);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // Its folder is gone or is no longer a folder: there is nothing to remove, and the write's own error says why.
    }
    throw err;
  }
}

/**
 * A single file written where the user said (a preview, a proof) that could not be written, as
 * an error to act on; anything else as it is. `paths`: the names the write used (the file, its
 * temporary name), to tell its errors from others.
 */
export function fileWriteFailure(err: unknown, file: string, paths: string[] = [file]): unknown {
  const e = err as NodeJS.ErrnoException | undefined;
  // Only the file can be a pipe here (a named pipe, /dev/stdout into "| head"): its reader went away.
  if (e?.code === 'EPIPE') {
    return new LetterMergeError('OUT_FOLDER', `${file} could not be written whole: the program reading it stopped before the end (EPIPE), so it got part of a PDF`, {
      kind: 'usage',
      hint: 'Give --out a file, or a program that reads the whole PDF.',
    });
  }
  if (!e?.path || !paths.includes(e.path)) return err;
  if (e.code === 'ENOENT') {
    return new LetterMergeError('OUT_FOLDER', `${file} could not be written: its folder does not exist`, { kind: 'usage', hint: 'Make the folder first, or choose another --out file.' });
  }
  if (e.code === 'ENOTDIR') {
    return new LetterMergeError('OUT_FOLDER', `${file} could not be written: a part of its path is a file, not a folder`, { kind: 'usage', hint: 'Choose another --out file.' });
  }
  return writeFailure(err, file, 'Choose another --out file.');
}

function outError(message: string, hint: string): LetterMergeError {
  return new LetterMergeError('OUT_FOLDER', message, { kind: 'usage', hint });
}

/**
 * Makes `dir` and any missing parents, one level at a time. (Node's recursive mkdir loops for
 * ever under /proc; this stops at the first level that cannot be made and says why.)
 */
export function makeDirs(dir: string, what: string, hint = 'Choose another folder.'): void {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  for (;;) {
    let st;
    try {
      st = statSync(cur);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // ENOTDIR: a file on the path, which the level above finds and names.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw outError(`${what} ${dir} cannot be used: ${cur} cannot be read (${code})`, hint);
      let link = false;
      try {
        link = lstatSync(cur).isSymbolicLink();
      } catch {
        // not there at all
      }
      if (link) throw outError(`${what} ${dir} cannot be used: ${cur} is a symbolic link to ${readlinkSync(cur)}, which does not exist`, hint);
      missing.unshift(cur);
      const parent = path.dirname(cur);
      if (parent === cur) break;
      cur = parent;
      continue;
    }
    if (!st.isDirectory()) throw outError(`${what} ${dir} cannot be used: ${cur} is a file, not a folder`, hint);
    break;
  }
  for (const d of missing) {
    const name = path.basename(d);
    const control = badNameCharacter(name);
    if (control) throw outError(`${what} ${JSON.stringify(dir)} cannot be made: the name ${JSON.stringify(name)} holds ${control}`, hint);
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST' && statSync(d).isDirectory()) continue;
      const why = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'the file system is read-only' : code === 'ENOENT' ? 'folders cannot be made there' : code;
      throw outError(`${what} ${dir} cannot be made: ${d}: ${why}`, hint);
    }
  }
}

/** The rows that failed, in the output folder (see generate's writeFailedCsv). */
export const FAILED_CSV = 'failed.csv';

/** Checks or makes the output folder; returns its real path. */
const OUT_HINT = 'Choose another --out folder.';

export function prepareOutputFolder(out: string): string {
  makeDirs(out, 'the output folder', OUT_HINT);
  const real = realpathSync(out);
  refuseForeignFolder(out);
  // failed.csv is written (or removed) at the end of a run: a folder put in its place would stop
  // the run there, after its letters, as an internal error.
  const failed = lstatSync(path.join(real, FAILED_CSV), { throwIfNoEntry: false });
  if (failed && !failed.isFile() && !failed.isSymbolicLink()) {
    throw outError(`${path.join(out, FAILED_CSV)} is ${failed.isDirectory() ? 'a folder' : 'not a regular file'}: lettermerge writes the rows that fail to a file of that name`, 'Move it out of the output folder, or rename it, then run again.');
  }
  const probe = path.join(real, `.lettermerge-write-test-${process.pid}`);
  try {
    writeFileSync(probe, '', { flag: 'wx' });
    rmSync(probe, { force: true });
  } catch (err) {
    rmSync(probe, { force: true });
    throw outError(`the output folder ${out} cannot be written to (${(err as NodeJS.ErrnoException).code ?? String(err)})`, OUT_HINT);
  }
  return real;
}

/**
 * Refuses a folder that holds files and no manifest: not the output folder of an earlier run (a
 * home or documents folder given by mistake), where letters would be written over files of the
 * same name and a run's leftovers removed. Hidden files (a desktop's .DS_Store) do not count.
 */
function refuseForeignFolder(out: string): void {
  if (existsSync(path.join(out, MANIFEST))) return;
  // What a first run stopped by force can leave: temporary files, in folders of their own.
  const leftover = (name: string) => PART_NAME.test(name);
  const onlyLeftovers = (dir: string) => {
    try {
      return statSync(dir).isDirectory() && readdirSync(dir).every(leftover);
    } catch {
      return false;
    }
  };
  let names: string[];
  try {
    names = readdirSync(out);
  } catch (err) {
    throw outError(`the output folder ${out} cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, OUT_HINT);
  }
  const held = names.filter((name) => !name.startsWith('.') && !leftover(name) && !onlyLeftovers(path.join(out, name)));
  if (held.length === 0) return;
  const shown = held.sort().slice(0, 3).join(', ') + (held.length > 3 ? `, … (${held.length} in all)` : '');
  throw outError(
    `the output folder ${out} already holds files (${shown}) and no ${MANIFEST}: it is not the output folder of an earlier run, and letters would be written over files of the same name`,
    'Choose a new or empty folder with --out, or empty this one.',
  );
}

/** The file that says a run is using an output folder (see FolderLock). Hidden: it is not one of the letters. */
export const LOCK_FILE = '.lettermerge-lock';

interface LockHolder {
  pid: number;
  /** When the process started, where the system says (Linux): a later process given the same id is not the holder. */
  since?: string;
  host: string;
  command: string;
  started: string;
  /** Tells this run's lock from one another run took after it (the same process id on another day). */
  token: string;
}

/**
 * One run at a time in an output folder. Two generate runs each rewrote the manifest from what
 * they had made (one of them dropped 145 of 600 letters from it, which send would then have left
 * out), and one removed the other's files in progress as leftovers; two send runs sent every
 * message twice. The lock is a file, made only where there is none (see makeLock), that names the
 * process holding it. A run killed with -9 leaves it behind: the next run finds that process
 * gone, and takes the lock over (see takeOverStale).
 */
export class FolderLock {
  private constructor(
    private readonly file: string,
    private readonly token: string,
  ) {}

  /**
   * Takes the lock of `out` (a folder that exists) for `command`, or says which run holds it. A
   * dry run of send takes it too (it would count messages another run is changing), but uses a
   * folder that cannot be written to (a read-only copy to look at) without one.
   */
  static take(out: string, command: 'generate' | 'send', dryRun = false): FolderLock | undefined {
    const file = path.join(out, LOCK_FILE);
    const holder: LockHolder = {
      pid: process.pid,
      since: processStart(process.pid)?.since,
      host: hostname(),
      command,
      started: new Date().toISOString(),
      token: randomBytes(8).toString('hex'),
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        makeLock(file, `${JSON.stringify(holder)}\n`);
        const lock = new FolderLock(file, holder.token);
        heldHere.add(holder.token);
        // Let go of at exit too: a second Ctrl-C or an uncaught error ends the process without the run's own release.
        process.once('exit', lock.releaseAtExit);
        return lock;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          if (dryRun && (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')) return undefined;
          throw outError(
            `the output folder ${out} cannot be written to (${code ?? String(err)})`,
            command === 'send' ? `send records each message in ${path.join(out, 'sent.jsonl')} as it goes: run it where the folder can be written to (without --confirm, a dry run needs no writing).` : OUT_HINT,
          );
        }
      }
      const seen = readLock(file);
      if (seen === undefined) continue; // gone again: try to make it once more
      const other = holderOf(seen);
      if (other && isRunning(other)) {
        const what = dryRun
          ? `and this dry run would count letters and messages that the ${other.command} is changing`
          : command === 'send' && other.command === 'send'
            ? 'and a message sent by both would reach its recipient twice'
            : command === 'generate' && other.command === 'generate'
              ? 'and each would rewrite the manifest with its own letters'
              : 'and send would read letters and a manifest that generate is writing';
        throw outError(
          `the output folder ${out} is in use by another run of lettermerge ${other.command} (process ${other.pid}${other.host !== hostname() ? ` on ${other.host}` : ''}, started ${other.started}): two runs in one folder would get in each other's way, ${what}`,
          `Wait for that run to end, or stop it. If no such run is going on, remove ${file}.`,
        );
      }
      // Left by a run that was killed, or not a lock lettermerge can read: taken over.
      takeOverStale(file, seen);
    }
    throw outError(`the output folder ${out} is being locked and unlocked by other runs of lettermerge`, `Wait for them to end. If none is going on, remove ${file}.`);
  }

  /** Lets go of the folder, unless the lock is no longer this run's. */
  release(): void {
    process.removeListener('exit', this.releaseAtExit);
    this.releaseAtExit();
  }

  private readonly releaseAtExit = (): void => {
    heldHere.delete(this.token);
    try {
      if (readHolder(this.file)?.token === this.token) rmSync(this.file, { force: true });
    } catch {
      // The folder is gone or unreadable: there is no lock left to take away.
    }
  };
}

/** The locks this process holds (a library's user may run two at once): its own process id does not tell them from a lock left by a run before. */
const heldHere = new Set<string>();

/**
 * Removes a lock file found stale, whose bytes were `seen`, unless it has changed since. Two runs
 * that found the same stale lock at once each removed "it": the second removed the lock the first
 * had just made in its place, and both went on. Here the file is first moved aside, which only
 * one run can do to it; the run that moved it checks that it is the stale lock it saw, and puts a
 * newer one (another run's) back. Returns whether the stale lock was removed. (Should a third run
 * make a lock in the instant the newer one is aside, the newer one stays aside: its run's folder
 * is then held by the third run's lock.)
 */
export function takeOverStale(file: string, seen: Buffer): boolean {
  const aside = partName(file);
  try {
    renameSync(file, aside);
  } catch {
    return false; // taken over by another run already, or removed
  }
  let moved: Buffer;
  try {
    moved = readFileSync(aside);
  } catch {
    return false; // gone already
  }
  if (moved.equals(seen)) {
    rmSync(aside, { force: true });
    return true;
  }
  try {
    putInPlace(aside, file, moved);
  } catch {
    // Another lock is in place already.
  }
  rmSync(aside, { force: true });
  return false;
}

/**
 * Makes the lock file, whole, where there is none (EEXIST where there is). It is written under a
 * temporary name and linked into place, so that another run never reads it half-written, takes
 * it for one left by a killed run, and removes it.
 */
function makeLock(file: string, text: string): void {
  const temporary = partName(`${file}.new`);
  writeFileSync(temporary, text);
  try {
    putInPlace(temporary, file, text);
  } finally {
    rmSync(temporary, { force: true });
  }
}

/** Links `from` to `to` where nothing is (EEXIST otherwise); on a file system without links (exFAT, some network shares), writes `content` there with O_EXCL. */
function putInPlace(from: string, to: string, content: string | Buffer): void {
  try {
    linkSync(from, to);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw err;
    writeFileSync(to, content, { flag: 'wx' });
  }
}

/** A lock file's bytes; undefined when there is none. */
function readLock(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw outError(`the output folder's lock file ${file} cannot be read (${code ?? String(err)})`, `It is not one lettermerge made: remove it.`);
  }
}

function holderOf(bytes: Buffer): LockHolder | undefined {
  try {
    const h = JSON.parse(bytes.toString('utf8')) as Partial<LockHolder>;
    if (typeof h.pid === 'number' && typeof h.host === 'string' && typeof h.token === 'string') {
      return { pid: h.pid, since: typeof h.since === 'string' ? h.since : undefined, host: h.host, command: String(h.command), started: String(h.started), token: h.token };
    }
  } catch {
    // Half-written or not ours: no holder.
  }
  return undefined;
}

function readHolder(file: string): LockHolder | undefined {
  const bytes = readLock(file);
  return bytes === undefined ? undefined : holderOf(bytes);
}

/** Whether the process holding a lock still runs. One on another machine (a shared folder) cannot be checked, and is taken to run. */
function isRunning(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true;
  if (holder.pid === process.pid) return heldHere.has(holder.token);
  return processRunning(holder.pid, holder.since);
}

/** Removes temporary files that a run stopped by force may have left. */
export function removeLeftovers(out: string): void {
  const dirs = [out, ...readdirSync(out, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => path.join(out, d.name))];
  for (const dir of dirs) {
    for (const f of readdirSync(dir)) {
      const part = PART_NAME.exec(f);
      if (!part) continue;
      // A lock file on its way in or out belongs to a run that is taking or leaving the lock now, not to this one.
      if (dir === out && f.startsWith(LOCK_FILE) && processRunning(Number(part[1]))) continue;
      rmSync(path.join(dir, f), { force: true });
    }
  }
}

/** Where letters taken out of the manifest go: kept, never deleted, but not sendable. */
export const REMOVED_DIR = 'removed';

/** The output folder of a run: letters by language, written atomically and never outside it. */
export class OutputFolder {
  readonly real: string;
  private readonly dirs = new Set<string>();
  /** This run's hold on the folder (not a worker thread's: the run's main thread holds it). */
  private readonly lock?: FolderLock;

  /**
   * Checks or makes the folder and removes what a run stopped by force left there; `opened`: the
   * folder as another thread of this run already opened it (a worker thread writes its letters
   * there itself).
   */
  constructor(
    readonly out: string,
    opened = false,
  ) {
    if (opened) {
      this.real = realpathSync(out);
      return;
    }
    this.real = prepareOutputFolder(out);
    // Before anything in it is read or removed: another run's temporary files are not leftovers.
    this.lock = FolderLock.take(out, 'generate');
    removeLeftovers(out);
  }

  /** Lets go of the folder: the run is over. */
  close(): void {
    this.lock?.release();
  }

  /** Makes a folder under the output folder, refusing one that leads outside it (a symbolic link). */
  private dir(rel: string): string {
    const dir = path.join(this.out, rel);
    if (this.dirs.has(dir)) return dir;
    makeDirs(dir, 'the folder', `It is a folder lettermerge makes in the output folder ${this.out}: move away the file in its way, or choose another --out folder.`);
    const real = realpathSync(dir);
    if (!real.startsWith(this.real + path.sep)) {
      throw new LetterMergeError('OUTSIDE_OUT', `${dir} leads outside the output folder (to ${real}); nothing was written there`, {
        kind: 'input',
        hint: 'Remove the symbolic link, or choose another --out folder.',
      });
    }
    this.dirs.add(dir);
    return dir;
  }

  writeLetter(language: string, id: string, pdf: Uint8Array, eml: Uint8Array): { pdf: OutputFile; eml: OutputFile } {
    const dir = this.dir(language);
    const pdfPath = path.join(dir, `${id}.pdf`);
    const emlPath = path.join(dir, `${id}.eml`);
    writeAtomic(pdfPath, pdf);
    writeAtomic(emlPath, eml);
    return {
      pdf: { path: path.relative(this.out, pdfPath), bytes: pdf.length, sha256: sha256(pdf) },
      eml: { path: path.relative(this.out, emlPath), bytes: eml.length, sha256: sha256(eml) },
    };
  }

  /**
   * The first of a letter's files that is not in the folder as the manifest records it (missing,
   * other bytes, or outside the folder), as the manifest names it; undefined when both are whole.
   */
  notWhole(e: ManifestEntry): string | undefined {
    if (!e.files) return `${e.language}/${e.id}.pdf`;
    for (const f of [e.files.pdf, e.files.eml]) {
      try {
        const file = path.resolve(this.out, f.path);
        if (!file.startsWith(path.resolve(this.out) + path.sep)) return f.path;
        const data = readFileSync(file);
        if (data.length !== f.bytes || sha256(data) !== f.sha256) return f.path;
      } catch {
        return f.path;
      }
    }
    return undefined;
  }

  /** Moves a letter's files to removed/<language>/ (never over another file); returns where they went. */
  moveAside(e: ManifestEntry): string[] {
    const moved: string[] = [];
    for (const f of e.files ? [e.files.pdf, e.files.eml] : []) {
      const from = path.resolve(this.out, f.path);
      if (!from.startsWith(path.resolve(this.out) + path.sep) || !existsSync(from)) continue;
      const dir = this.dir(path.join(REMOVED_DIR, e.language));
      const ext = path.extname(from);
      const base = path.basename(from, ext);
      let to = path.join(dir, `${base}${ext}`);
      for (let n = 2; existsSync(to); n++) to = path.join(dir, `${base}-${n}${ext}`);
      renameSync(from, to);
      moved.push(path.relative(this.out, to));
    }
    return moved;
  }
}

/**
 * manifest.jsonl, kept accurate through a run: it starts as the records kept from earlier runs,
 * grows a line as each letter finishes (so a run stopped midway, even by kill -9, leaves a true
 * record; readers take the last record of each letter), and is rewritten in input order, one
 * line per letter, at the end.
 */
export class ManifestWriter {
  private fd: number | undefined;

  constructor(
    readonly file: string,
    initial: ManifestEntry[],
  ) {
    writeAtomic(file, initial.map((e) => `${JSON.stringify(e)}\n`));
    this.fd = openSync(file, 'a');
  }

  append(entry: ManifestEntry): void {
    if (this.fd === undefined) throw new Error('the manifest is closed');
    try {
      writeSync(this.fd, `${JSON.stringify(entry)}\n`);
    } catch (err) {
      throw writeFailure(err, this.file);
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      fsyncSync(fd);
    } catch (err) {
      throw writeFailure(err, this.file);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Rewrites the manifest with one record per letter (its latest), ordered by `order` (letters it
   * does not know last, as they were recorded). Line by line from the file's bytes: read as
   * records and written as one text, a 20,000-letter manifest took 38 MB more at the end of a run,
   * and ten times that for ten times the letters.
   */
  finish(order: (letter: string) => number | undefined): void {
    this.close();
    const bytes = readJsonLinesFile(this.file) ?? Buffer.alloc(0);
    const known = new Map<number, JsonLine<ManifestEntry>>();
    const unknown = new Map<string, JsonLine<ManifestEntry>>();
    for (const l of jsonLines<ManifestEntry>(bytes)) {
      const e = l.record;
      if (!e || typeof e.id !== 'string' || typeof e.language !== 'string') continue;
      // A line as JSON.stringify writes it is copied from the file; one edited by hand is written again.
      const json = JSON.stringify(e);
      const kept = { ...l, record: undefined, text: json === l.text && l.ended ? '' : json };
      const k = letterId(e);
      const rank = order(k);
      if (rank !== undefined) known.set(rank, kept);
      else {
        unknown.delete(k);
        unknown.set(k, kept);
      }
    }
    const lines = [...[...known].sort((a, b) => a[0] - b[0]).map(([, l]) => l), ...unknown.values()];
    writeAtomic(
      this.file,
      lines.map((l) => (l.text ? `${l.text}\n` : bytes.subarray(l.start, l.end + 1))),
    );
  }

}
