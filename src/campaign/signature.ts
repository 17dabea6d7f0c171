import { deflateSync } from 'node:zlib';
import type * as Jpeg from 'jpeg-js';
import type * as Pngjs from 'pngjs';
import { pathPoints } from '../adapter';
import { LetterMergeError } from '../errors';
import { fileText, readRegularFile } from '../files';
import { SvgProblem, readSvg } from './svg';
import type { SvgDrawing } from './svg';

/** The paths of an SVG in its view box, each with its paint and transform (see readSvg). */
export interface VectorSignature extends SvgDrawing {
  kind: 'vector';
}

/**
 * A PNG or JPEG signature, decoded once when the campaign is loaded: 8-bit RGB samples and, when
 * the image has transparency, an 8-bit alpha plane (a PDF soft mask), both deflated, ready to be
 * embedded in every letter as they are.
 */
export interface RasterSignature {
  kind: 'raster';
  width: number;
  height: number;
  /** Deflated RGB samples, width × height × 3 bytes before compression. */
  rgb: Uint8Array;
  /** Deflated alpha samples, width × height bytes before compression; absent when opaque. */
  alpha?: Uint8Array;
}

export type SignatureImage = VectorSignature | RasterSignature;

/** A signature file larger than this is not a signature. */
export const SIGNATURE_MAX_BYTES = 5 * 1024 * 1024;
/**
 * The signature is printed 150 × 46 pt: 1250 × 380 pixels is 600 dpi. Anything much larger only
 * costs time and memory (a 5000 × 5000 PNG took 1.6 s and 540 MB per letter when it was decoded
 * per letter), so it is refused.
 */
export const SIGNATURE_MAX_SIDE = 4000;
export const SIGNATURE_MAX_PIXELS = 8_000_000;

const HINT = 'Use a PNG or JPEG of at most 4000 pixels a side (about 1250 × 400 is plenty), or an SVG of <path> elements.';

function bad(file: string, message: string): LetterMergeError {
  return new LetterMergeError('SIGNATURE', `the signature image ${message}`, { kind: 'input', location: { file }, hint: HINT });
}

function checkSize(file: string, width: number, height: number): void {
  if (!(width > 0 && height > 0)) throw bad(file, 'has no pixels');
  if (width > SIGNATURE_MAX_SIDE || height > SIGNATURE_MAX_SIDE || width * height > SIGNATURE_MAX_PIXELS) {
    throw bad(file, `is ${width} × ${height} pixels, far more than a printed signature needs (at most ${SIGNATURE_MAX_SIDE} a side)`);
  }
}

/** RGBA pixels to the deflated planes a PDF image needs. */
function planes(width: number, height: number, rgba: Uint8Array): RasterSignature {
  const n = width * height;
  const rgb = Buffer.alloc(n * 3);
  const alpha = Buffer.alloc(n);
  let opaque = true;
  for (let i = 0, p = 0; i < n; i++, p += 4) {
    rgb[i * 3] = rgba[p];
    rgb[i * 3 + 1] = rgba[p + 1];
    rgb[i * 3 + 2] = rgba[p + 2];
    alpha[i] = rgba[p + 3];
    if (rgba[p + 3] !== 255) opaque = false;
  }
  return { kind: 'raster', width, height, rgb: deflateSync(rgb), ...(opaque ? {} : { alpha: deflateSync(alpha) }) };
}

function decodePng(file: string, data: Buffer): RasterSignature {
  // The size is in the IHDR chunk, right after the 8-byte signature: check it before decoding.
  if (data.length < 33 || data.toString('latin1', 12, 16) !== 'IHDR') throw bad(file, 'is not a whole PNG file (its header is missing)');
  checkSize(file, data.readUInt32BE(16), data.readUInt32BE(20));
  // Loaded only for a PNG signature: most campaigns sign with an SVG, and every thread loads the campaign.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { PNG } = require('pngjs') as typeof Pngjs;
  let png: Pngjs.PNG;
  try {
    png = PNG.sync.read(data, { checkCRC: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/finished stream|unexpected end|premature|truncat/i.test(message)) throw bad(file, 'is an incomplete PNG file (it is cut short)');
    throw bad(file, `is a damaged PNG file (${message})`);
  }
  return planes(png.width, png.height, png.data);
}

function decodeJpeg(file: string, data: Buffer): RasterSignature {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jpeg = require('jpeg-js') as typeof Jpeg;
  let img: { width: number; height: number; data: Uint8Array };
  try {
    img = jpeg.decode(data, {
      useTArray: true,
      formatAsRGBA: true,
      tolerantDecoding: false,
      maxResolutionInMP: SIGNATURE_MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: 256,
    });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/maxResolutionInMP|maxMemoryUsage/i.test(message)) throw bad(file, `is larger than a printed signature needs (${message})`);
    throw bad(file, `is a damaged or incomplete JPEG file (${message})`);
  }
  checkSize(file, img.width, img.height);
  // A JPEG cut short decodes without complaint into grey rows: require its end marker.
  let end = data.length;
  while (end > 0 && (data[end - 1] === 0 || data[end - 1] === 0x0a || data[end - 1] === 0x0d || data[end - 1] === 0x20)) end--;
  if (end < 2 || data[end - 2] !== 0xff || data[end - 1] !== 0xd9) throw bad(file, 'is an incomplete JPEG file (it ends before its end marker)');
  return planes(img.width, img.height, img.data);
}

const PATH_TOKEN = /\s*(?:([MmLlHhVvCcSsQqTtAaZz])|([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))\s*,?/y;

/** Whether `d` is SVG path data: commands and numbers only, starting with a move. */
function isPathData(d: string): boolean {
  PATH_TOKEN.lastIndex = 0;
  let first = true;
  while (PATH_TOKEN.lastIndex < d.length) {
    const at = PATH_TOKEN.lastIndex;
    const m = PATH_TOKEN.exec(d);
    if (!m || PATH_TOKEN.lastIndex === at) return /^\s*$/.test(d.slice(at));
    if (first && !/[Mm]/.test(m[1] ?? '')) return false;
    first = false;
  }
  return !first;
}

/**
 * The largest number a signature's paths, transforms and strokes may hold, in their own units: far
 * beyond any drawing, and well within what a PDF writes (pdfkit refuses numbers from 1e21).
 */
const MAX_COORDINATE = 1e7;
/** The least share of its view box's width or height a signature's drawing spans (1% is 1.5 pt of the printed 150). */
const MIN_SHOWN = 0.01;

/**
 * Checks that an SVG's paths are drawn where it shows them: numbers a PDF can write, strokes no
 * wider than the drawing, and something inside the view box (the letter shows the view box only,
 * as a browser does). A signature moved out of its view, or scaled by 1e300, was left out of the
 * letter, or stopped it with "this is a bug", and `validate` saw nothing wrong.
 */
function checkDrawing(drawing: SvgDrawing): void {
  const [vx, vy, vw, vh] = drawing.viewBox;
  // The box around all the paths' points, where the page puts them: a curve lies within its points'.
  const all = [Infinity, Infinity, -Infinity, -Infinity];
  for (const p of drawing.paths) {
    const m = p.matrix ?? [1, 0, 0, 1, 0, 0];
    if (m.some((n) => Math.abs(n) > MAX_COORDINATE)) throw new SvgProblem(`has a transform with a number beyond ${MAX_COORDINATE}, far more than a drawing needs`);
    // The stroke's width where it is drawn: in the path's units, scaled by its transforms.
    const width = p.width * Math.sqrt(Math.abs(m[0] * m[3] - m[1] * m[2]));
    if (width > Math.max(vw, vh)) throw new SvgProblem(`has a stroke ${width} units wide, wider than the whole drawing (${vw} × ${vh})`);
    const points = pathPoints(p.d);
    for (let i = 0; i < points.length; i += 2) {
      const [x, y] = [points[i], points[i + 1]];
      if (!(Math.abs(x) <= MAX_COORDINATE && Math.abs(y) <= MAX_COORDINATE)) throw new SvgProblem(`has a path with a coordinate beyond ${MAX_COORDINATE}, far more than a drawing needs`);
      const [tx, ty] = [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]];
      all[0] = Math.min(all[0], tx);
      all[1] = Math.min(all[1], ty);
      all[2] = Math.max(all[2], tx);
      all[3] = Math.max(all[3], ty);
    }
  }
  // What of it the view box shows, as a share of the box's width and height.
  const across = (Math.min(all[2], vx + vw) - Math.max(all[0], vx)) / vw;
  const down = (Math.min(all[3], vy + vh) - Math.max(all[1], vy)) / vh;
  if (!(across >= 0 && down >= 0)) throw new SvgProblem(`draws nothing inside its view box (${vx} ${vy} ${vw} ${vh}), the part of it a letter shows: check its viewBox, or the transforms that move its paths`);
  if (Math.max(across, down) < MIN_SHOWN) throw new SvgProblem(`draws a speck: what its view box shows of it is less than ${MIN_SHOWN * 100}% of the box's width and height (check the transforms that scale its paths)`);
}

function parseSvg(file: string, data: Buffer): VectorSignature {
  try {
    const drawing = readSvg(fileText(data, file, { what: 'the signature image', hint: HINT }), isPathData);
    checkDrawing(drawing);
    return { kind: 'vector', ...drawing };
  } catch (err) {
    if (err instanceof SvgProblem) throw bad(file, err.message);
    throw err;
  }
}

/**
 * Reads and checks a signature file once, when the campaign is loaded, so that `validate` and
 * `generate` find a broken image before anything is written, and letters embed it without
 * decoding it again. The kind is told by the file's bytes, not its name.
 */
export function loadSignatureImage(file: string): SignatureImage {
  const data = readRegularFile(file, { what: 'the signature image', maxBytes: SIGNATURE_MAX_BYTES, hint: HINT });
  if (data.length >= 8 && data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return decodePng(file, data);
  if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return decodeJpeg(file, data);
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*|<!DOCTYPE[^>]*>\s*)*<svg\b/.test(data.toString('utf8', 0, Math.min(data.length, 4096)))) return parseSvg(file, data);
  if (/\.svg$/i.test(file)) return parseSvg(file, data);
  throw bad(file, data.length === 0 ? 'is an empty file' : 'is not a PNG, JPEG or SVG file');
}
