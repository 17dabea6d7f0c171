import path from 'node:path';
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { LetterMergeError } from '../errors';

/**
 * The bundled font files, and their bytes. Apart from fonts.ts (which parses them, and with it
 * loads pdfkit and fontkit) so that the main thread can hand the bytes to its worker threads
 * without loading either.
 */

/** A face's style; a family without italics draws italic text with its upright face. */
export type FontStyle = 'regular' | 'bold' | 'italic' | 'boldItalic';

/** Where an @embedpdf font package keeps its files (its exports do not list them). */
function packageFonts(pkg: string): string {
  return path.join(path.dirname(require.resolve(pkg)), '..', 'fonts');
}

export type Family = 'latin' | 'arabic' | 'han';

export const FILES: Record<Family, { pkg: string; files: Record<FontStyle, string> }> = {
  latin: {
    pkg: '@embedpdf/fonts-latin',
    files: {
      regular: 'NotoSans-Regular.ttf',
      bold: 'NotoSans-Bold.ttf',
      italic: 'NotoSans-Italic.ttf',
      boldItalic: 'NotoSans-BoldItalic.ttf',
    },
  },
  // No italic in Naskh or Sans SC: italic text uses the upright face of its weight.
  arabic: {
    pkg: '@embedpdf/fonts-arabic',
    files: {
      regular: 'NotoNaskhArabic-Regular.ttf',
      bold: 'NotoNaskhArabic-Bold.ttf',
      italic: 'NotoNaskhArabic-Regular.ttf',
      boldItalic: 'NotoNaskhArabic-Bold.ttf',
    },
  },
  han: {
    pkg: '@embedpdf/fonts-sc',
    files: {
      regular: 'NotoSansHans-Regular.otf',
      bold: 'NotoSansHans-Bold.otf',
      italic: 'NotoSansHans-Regular.otf',
      boldItalic: 'NotoSansHans-Bold.otf',
    },
  },
};

/** The file of a family's face in a style, inside its npm package. */
export function fontFile(family: Family, style: FontStyle): string {
  return path.join(packageFonts(FILES[family].pkg), FILES[family].files[style]);
}

/**
 * The font files' bytes, one copy for all the threads of a process: each file in a
 * SharedArrayBuffer, read by the first thread that needs it. The two Chinese files alone are
 * 16 MB, which every worker thread would otherwise read again. Until a file is read, its buffer is
 * memory reserved, not used. `state`: 0 unread, 1 being read, 2 read, 3 could not be read that way
 * (each thread then reads the file itself).
 */
export type SharedFontFiles = Record<string, { state: Int32Array; bytes: SharedArrayBuffer }>;

const UNREAD = 0;
const READING = 1;
const READ = 2;
const UNSHARED = 3;

let sharedFiles: SharedFontFiles | undefined;

/**
 * The shared buffers of every bundled font file, made on first call (in the main thread, before it
 * reads any font), for the main thread to hand to its worker threads (useSharedFontFiles).
 */
export function sharedFontFiles(): SharedFontFiles {
  if (!sharedFiles) {
    const files: SharedFontFiles = {};
    for (const family of Object.keys(FILES) as Family[]) {
      for (const style of Object.keys(FILES[family].files) as FontStyle[]) {
        const file = fontFile(family, style);
        if (files[file]) continue;
        let size: number;
        try {
          size = statSync(file).size;
        } catch {
          continue; // read, and its error reported, when the font is first asked for
        }
        files[file] = { state: new Int32Array(new SharedArrayBuffer(4)), bytes: new SharedArrayBuffer(size) };
      }
    }
    sharedFiles = files;
  }
  return sharedFiles;
}

/** A worker thread uses the buffers its main thread made (sharedFontFiles). */
export function useSharedFontFiles(files: SharedFontFiles): void {
  sharedFiles = files;
}

/**
 * A bundled font file that cannot be read, or is not a font: the installation is broken (a file
 * deleted or cut short in node_modules), not the letter. The letters that need it fail with this,
 * and those that do not are made.
 */
export function fontFileError(file: string, why: string): LetterMergeError {
  return new LetterMergeError('FONT_FILE', `the bundled font file ${file} ${why}: reinstall lettermerge, then run again with --resume`, {
    kind: 'internal',
    hint: 'npm ci (or npm install) in the folder lettermerge was installed in puts the file back.',
  });
}

/** A font file's bytes: from the process's shared copy when there is one, read into it once. */
export function fontBytes(file: string): Buffer {
  try {
    return sharedOrRead(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw fontFileError(file, `cannot be read (${code === 'ENOENT' ? 'it is missing' : (code ?? String(err))})`);
  }
}

function sharedOrRead(file: string): Buffer {
  const shared = (isMainThread ? sharedFontFiles() : sharedFiles)?.[file];
  if (!shared) return readFileSync(file);
  const { state, bytes } = shared;
  if (Atomics.compareExchange(state, 0, UNREAD, READING) === UNREAD) {
    let done = UNSHARED;
    try {
      done = readWhole(file, Buffer.from(bytes)) ? READ : UNSHARED;
    } finally {
      Atomics.store(state, 0, done);
      Atomics.notify(state, 0);
    }
  } else {
    // Another thread is reading it: a few milliseconds at most. A thread stopped in the middle
    // (terminated: its finally blocks do not run) would leave the file marked as being read for
    // good, so after a while this thread reads the file itself.
    const until = Date.now() + SHARED_READ_WAIT_MS;
    while (Atomics.load(state, 0) === READING && Date.now() < until) Atomics.wait(state, 0, READING, SHARED_READ_WAIT_MS);
  }
  return Atomics.load(state, 0) === READ ? Buffer.from(bytes) : readFileSync(file);
}

/** How long a thread waits for another to read a font file (a few ms) before reading it itself. */
const SHARED_READ_WAIT_MS = 2000;

/** Fills `into` with the file, when the file is still exactly that long. */
function readWhole(file: string, into: Buffer): boolean {
  const fd = openSync(file, 'r');
  try {
    if (fstatSync(fd).size !== into.length) return false;
    let at = 0;
    while (at < into.length) {
      const n = readSync(fd, into, at, into.length - at, at);
      if (n === 0) return false;
      at += n;
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

