import Module from 'node:module';
import path from 'node:path';

/**
 * fontkit loads brotli's decoder as it is loaded itself, for WOFF2 fonts only, and the decoder
 * builds its 120 KB dictionary then: some 60 ms of every thread's start (of fontkit's 155), for
 * fonts lettermerge never reads (its fonts are TrueType and OpenType files). This puts a stand-in
 * for the decoder where Node's module cache would keep it, before fontkit is loaded: the real
 * decoder is loaded the first time the stand-in is called, by anyone (a library user's own
 * fontkit reading a WOFF2 font included), and decodes as it would have.
 *
 * Imported for its effect, before fontkit (see index.ts). Does nothing when the decoder is loaded
 * already, or cannot be found where fontkit would find it.
 */
export const BROTLI_DECODER: string | undefined = (() => {
  let file: string;
  try {
    file = require.resolve('brotli/decompress.js', { paths: [path.dirname(require.resolve('fontkit'))] });
  } catch {
    return undefined;
  }
  if (require.cache[file]) return file;
  let decode: ((buffer: Uint8Array, outSize?: number) => Uint8Array) | undefined;
  const standIn = new Module(file);
  standIn.filename = file;
  standIn.loaded = true;
  standIn.exports = (buffer: Uint8Array, outSize?: number): Uint8Array => {
    if (!decode) {
      delete require.cache[file];
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      decode = require(file) as typeof decode & object;
    }
    return decode(buffer, outSize);
  };
  require.cache[file] = standIn;
  return file;
})();
