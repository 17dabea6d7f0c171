import { accessSync, closeSync, constants, fstatSync, openSync, readFileSync, readSync, readdirSync, realpathSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import type { Stats } from 'node:fs';
import { LetterMergeError } from './errors';
import type { ErrorCode, ErrorKind } from './errors';
import { isUtf8 } from 'node:buffer';
import { LEGACY_LABELS, decodeText, detectEncoding, legacyEncoding } from './text/encoding';
import { shortened } from './text/suggest';
import { badNameCharacter } from './text/unicode';

/** What a file is for, in messages: "the signature image", "the template", … */
export interface FileUse {
  what: string;
  /** Refuse files larger than this many bytes. */
  maxBytes?: number;
  /** The error kind for a problem with the file (default: input, exit 3). */
  kind?: ErrorKind;
  /** A hint added to every error about this file. */
  hint?: string;
}

function sizeText(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} bytes`;
}

function problem(file: string, use: FileUse, message: string, code: ErrorCode = 'FILE'): LetterMergeError {
  return new LetterMergeError(code, `${use.what} ${message}`, { kind: use.kind ?? 'input', location: { file }, hint: use.hint });
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Checks that `file` is a regular file lettermerge may read: it exists, is not a folder, a pipe
 * or a device (reading those can hang or never end), and is not larger than `maxBytes`.
 */
export function checkRegularFile(file: string, use: FileUse): Stats {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // A Windows path typed here: "samples\list.csv" names no file.
      if (process.platform !== 'win32' && file.includes('\\')) {
        throw problem(file, { ...use, hint: `Folders are separated by "/" here, not by a backslash: ${file.replace(/\\/g, '/')}` }, 'was not found', 'FILE_NOT_FOUND');
      }
      throw problem(file, use, 'was not found', 'FILE_NOT_FOUND');
    }
    if (code === 'EACCES' || code === 'EPERM') throw problem(file, use, 'cannot be read (permission denied)');
    if (code === 'ELOOP') throw problem(file, use, 'is a symbolic link that leads in a circle');
    throw problem(file, use, `cannot be read (${code ?? String(err)})`);
  }
  if (!st.isFile()) throw problem(file, use, `is ${kindOf(st)}, not a file`, 'NOT_A_FILE');
  if (use.maxBytes !== undefined && st.size > use.maxBytes) {
    throw problem(file, use, `is ${sizeText(st.size)}; at most ${sizeText(use.maxBytes)} is accepted`, 'FILE_TOO_LARGE');
  }
  return st;
}

/**
 * Reads a regular file whole, refusing anything else (see checkRegularFile). The file is opened
 * without blocking, so a named pipe put in its place between the check and the read cannot hang.
 */
export function readRegularFile(file: string, use: FileUse): Buffer {
  checkRegularFile(file, use);
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw problem(file, use, code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)' : `cannot be read (${code ?? String(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw problem(file, use, `is ${kindOf(st)}, not a file`, 'NOT_A_FILE');
    const limit = use.maxBytes ?? Number.MAX_SAFE_INTEGER;
    if (st.size > limit) throw problem(file, use, `is ${sizeText(st.size)}; at most ${sizeText(limit)} is accepted`, 'FILE_TOO_LARGE');
    const buf = Buffer.alloc(st.size);
    let read = 0;
    while (read < st.size) {
      const n = readSync(fd, buf, read, st.size - read, read);
      if (n === 0) break;
      read += n;
    }
    return buf.subarray(0, read);
  } catch (err) {
    if (err instanceof LetterMergeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw problem(file, use, code === 'EISDIR' ? 'is a folder, not a file' : `cannot be read (${code ?? String(err)})`);
  } finally {
    closeSync(fd);
  }
}

/** Reads a regular file as text, without a byte order mark (see fileText). */
export function readTextFile(file: string, use: FileUse): string {
  return fileText(readRegularFile(file, use), file, use);
}

/** What to call the formats a file is given in by mistake, where a template or a list of recipients was meant: one wording for both. */
export const FORMAT_NAMES = {
  zip: 'a zip file (a Word or OpenDocument document, or an Excel workbook)',
  office: 'an older Office file (.xls or .doc)',
  pdf: 'a PDF document',
  rtf: 'rich text (RTF, as WordPad and TextEdit save it)',
  png: 'a PNG image',
  jpeg: 'a JPEG image',
} as const;

/** Formats a template or campaign file is saved in by mistake, by their first bytes, and what to call them. */
const NOT_TEXT_FORMATS: [string, string][] = [
  ['PK\x03\x04', FORMAT_NAMES.zip],
  ['\xd0\xcf\x11\xe0', FORMAT_NAMES.office],
  ['%PDF-', FORMAT_NAMES.pdf],
  ['{\\rtf', FORMAT_NAMES.rtf],
  ['\x89PNG', FORMAT_NAMES.png],
  ['\xff\xd8\xff', FORMAT_NAMES.jpeg],
];

const SAVE_AS_TEXT = 'Save it as plain text in UTF-8 (Notepad: Save As, Encoding UTF-8; TextEdit: Format > Make Plain Text, then Unicode (UTF-8); Word: Plain Text, then Unicode (UTF-8)).';

/**
 * The text of a campaign's own file (a template, campaign.yaml, an annex, the config file): UTF-8,
 * or UTF-16 as Notepad's "Unicode" saves it, without its byte order mark. Anything else is refused
 * with where and why, rather than read as UTF-8 with "�" for every byte that is not: a Spanish
 * template saved as Windows-1252 made letters that print "Invitaci�n", and `validate` found no
 * problems. Unlike a recipients list (see data/recipients.ts), such a file is not decoded from the
 * code page it seems to be in: it is written by the campaign's authors, once, and a wrong guess
 * would print in every letter.
 */
export function fileText(bytes: Buffer, file: string, use: FileUse): string {
  const head = bytes.subarray(0, 8).toString('latin1');
  const format = NOT_TEXT_FORMATS.find(([magic]) => head.startsWith(magic));
  if (format) throw problem(file, { ...use, hint: SAVE_AS_TEXT }, `is ${format[1]}, not plain text`, 'NOT_TEXT');
  const encoding = detectEncoding(bytes.subarray(0, 4096));
  if (encoding === 'utf-16le' || encoding === 'utf-16be') return decodeText(bytes, encoding).replace(/^\uFEFF/, '');
  const controls = bytes.subarray(0, 4096).filter((b) => b === 0 || (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0c && b !== 0x0d) || b === 0x7f).length;
  if (controls > 0 && (bytes.includes(0) || controls > Math.min(bytes.length, 4096) / 200)) {
    throw problem(file, { ...use, hint: SAVE_AS_TEXT }, "is not a text file: it holds control bytes that text does not, as a program's own file format does", 'NOT_TEXT');
  }
  if (!isUtf8(bytes)) throw notUtf8(bytes, file, use);
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** A file that is text but not UTF-8: its first line with a byte that is not, as the code page it seems to be in reads it, and as UTF-8 does. */
function notUtf8(bytes: Buffer, file: string, use: FileUse): LetterMergeError {
  let at = 0;
  // The first byte that does not begin a whole UTF-8 character (at most four bytes long).
  while (at < bytes.length) {
    const next = [1, 2, 3, 4].find((n) => at + n <= bytes.length && isUtf8(bytes.subarray(at, at + n)));
    if (next === undefined) break;
    at += next;
  }
  const lineStart = bytes.lastIndexOf(0x0a, at - 1) + 1;
  const lineEnd = bytes.indexOf(0x0a, at);
  const line = bytes.subarray(lineStart, lineEnd === -1 ? bytes.length : lineEnd);
  const before = bytes.subarray(0, lineStart);
  const lineNo = before.filter((b) => b === 0x0a).length + 1;
  const encoding = legacyEncoding(bytes).encoding;
  // A short line whole; a long one from the word a little before the byte, as far as a message shows.
  const from = line.length <= 60 ? 0 : line.lastIndexOf(0x20, Math.max(0, at - lineStart - 24)) + 1;
  const part = (text: string, skip: string) => `${from > 0 ? '…' : ''}${shortened(text.slice(skip.length).replace(/\r$/, ''), 60)}`;
  const legacy = decodeText(line, encoding);
  const legacySkip = decodeText(line.subarray(0, from), encoding);
  const utf8 = line.toString('utf8');
  const utf8Skip = line.subarray(0, from).toString('utf8');
  return new LetterMergeError(
    'NOT_TEXT',
    `${use.what} is not saved as UTF-8, which lettermerge reads: this line reads "${part(legacy, legacySkip)}" in ${LEGACY_LABELS[encoding]}, the encoding it seems to be saved in, but "${part(utf8, utf8Skip)}" in UTF-8`,
    { kind: use.kind ?? 'input', location: { file, line: lineNo }, hint: SAVE_AS_TEXT },
  );
}

/**
 * Where a PDF the user named (`--out letter.pdf`) is written:
 * - `whole`: a file replaced whole, through a temporary file next to it and a rename, so that a
 *   viewer never reads half a letter and a run stopped part-way leaves the last one in place.
 *   `path` is the file a symbolic link leads to, so the link stays.
 * - otherwise a pipe or a device (`--out /dev/stdout`), written into as it is: renaming a file
 *   onto it would put a file in its place, and whoever reads it would wait for ever. So is a file
 *   in a folder where no file may be made (the file writable, its folder not).
 */
export interface PdfOut {
  path: string;
  whole: boolean;
}

/**
 * Checks that a PDF may be written at `file`, and says how (see PdfOut): a recipients list or a
 * template given as the output by mistake (`proof people.csv --out people.csv`) would be lost.
 * Nothing there, an empty file or a PDF (an earlier preview or proof) may be written over; so may
 * what is not a regular file (a pipe, /dev/stdout). A folder is refused, and so is a new file whose
 * name does not end in .pdf.
 */
export function checkPdfOut(file: string, what: string): PdfOut {
  const isFolder = () => new LetterMergeError('USAGE', `${what} ${file} is a folder`, { kind: 'usage', hint: 'Give the name of a PDF file to write.' });
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR') throw isFolder();
    // A new file, as makeDirs makes a new folder: not with a line break or another control character in its name.
    const control = badNameCharacter(path.basename(file));
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && control) {
      throw new LetterMergeError('USAGE', `${what} ${JSON.stringify(file)} cannot be made: its name holds ${control}`, { kind: 'usage', hint: 'Give the name of a PDF file to write.' });
    }
    // A new file named as no PDF is ("proof --out letters", meant for a folder; "--out people.csv"):
    // a PDF under that name would not open as one, from a folder listing or attached to mail.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !/\.pdf$/i.test(file)) {
      const named = `${path.basename(file).replace(/\.[^.]*$/, '') || 'letter'}.pdf`;
      throw new LetterMergeError('USAGE', `${what} ${file} does not end in .pdf: the PDF written there would not open as one from a folder or an e-mail`, {
        kind: 'usage',
        hint: path.basename(file) === '-' ? 'To write the PDF to standard output, give --out /dev/stdout.' : `Give a name ending in .pdf, e.g. ${path.join(path.dirname(file), named)}.`,
      });
    }
    // Not there (made when written), or not readable: the write says why if it fails.
    return { path: file, whole: true };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw isFolder();
    if (!st.isFile()) return { path: file, whole: false };
    const real = realpathSync(file);
    const whole = { path: real, whole: folderWritable(path.dirname(real)) };
    if (st.size === 0) return whole;
    const head = Buffer.alloc(5);
    const n = readSync(fd, head, 0, 5, 0);
    if (head.subarray(0, n).toString('latin1') !== '%PDF-') {
      throw new LetterMergeError('OUT_NOT_PDF', `${what} ${file} exists and is not a PDF: writing there would destroy it`, {
        kind: 'usage',
        hint: 'Give a new name ending in .pdf, or move the file away first.',
      });
    }
    return whole;
  } finally {
    closeSync(fd);
  }
}

/** The temporary name `file` is written under before it is renamed into place, by this process. */
export function partName(file: string): string {
  return `${file}.partial-${process.pid}`;
}

/** A temporary name made by partName: what it ends with, and the process id in it. */
export const PART_NAME = /\.partial-(\d+)$/;

/**
 * Removes the temporary files (see partName) that runs stopped by force (kill -9, a power cut)
 * left next to `file`; not those of a run still going.
 */
export function removeStaleParts(file: string): void {
  const base = path.basename(file);
  let names: string[];
  try {
    names = readdirSync(path.dirname(file));
  } catch {
    return;
  }
  for (const name of names) {
    const m = PART_NAME.exec(name);
    const pid = m && name.length === base.length + m[0].length && name.startsWith(base) ? Number(m[1]) : NaN;
    if (!Number.isInteger(pid) || pid <= 0 || processRunning(pid)) continue;
    rmSync(path.join(path.dirname(file), name), { force: true });
  }
}

function folderWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether the process `pid` still runs: not when it is gone, nor when it was killed and not yet
 * reaped by its parent (a zombie), nor when `since` (its start time, from processStart) no longer
 * matches (the id now belongs to a later process).
 */
export function processRunning(pid: number, since?: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  const now = processStart(pid);
  if (now && (now.state === 'Z' || now.state === 'X')) return false;
  return !(now && since !== undefined && now.since !== since);
}

/** A process's state and start time from /proc (Linux); undefined elsewhere. */
export function processStart(pid: number): { state: string; since: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // pid (name) state ... : the name may hold spaces and parentheses, so fields count from the last ")".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0], since: fields[19] };
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with a path a user gave (on the command line or in the config file), or
 * undefined: it is empty or only spaces (a folder or file named so is invisible in a listing), or
 * it starts with ~ and a name (~secretariat/letters), which lettermerge does not expand.
 */
export function userPathProblem(p: string): 'empty' | 'tilde' | undefined {
  if (p.trim() === '') return 'empty';
  if (/^~[^/\\]/.test(p)) return 'tilde';
  return undefined;
}

/** What userPathProblem found, said after the setting's or option's name. */
export const USER_PATH_PROBLEMS = {
  empty: 'must be a path, not an empty one',
  tilde: 'starts with ~ and a name, which lettermerge does not expand: write the path in full, or ~/ for your home folder',
} as const;

/**
 * A path a user gave, with a leading ~ or ~/ read as the home folder, as a shell reads it. A
 * shell does not when it is quoted ("~/letters" in a script's variable) and a config file is read
 * by none: a folder named "~" was made instead, which "rm -rf ~" would take for the home folder.
 */
export function userPath(p: string): string {
  return /^~(?=$|[/\\])/.test(p) ? homedir() + p.slice(1) : p;
}
