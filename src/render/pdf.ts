import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import type { RasterSignature, SignatureImage } from '../campaign/signature';
import type { FontFace } from '../fonts/fonts';
import { latinFace } from '../fonts/fonts';
import type { LetterLayout } from '../layout/letter';

export interface PdfMeta {
  title: string;
  author: string;
  subject: string;
  keywords?: string;
  /** BCP 47 language tag, written as the document's /Lang. */
  lang: string;
  /** Fixed date for CreationDate/ModDate, which also seeds the file ID: same input, same bytes. */
  date: Date;
}

/**
 * pdfkit keeps, per document and font, a cache from each word to its shaped glyphs; shaping
 * (fontkit's GSUB/GPOS) is most of the cost of a letter. The letters of a batch repeat the same
 * words, so the cache is kept per font for the whole process instead. Safe because pdfkit reads
 * the cached runs and never changes them (word spacing copies the one position it alters); the
 * tests check that output is byte-identical with and without sharing.
 */
const layoutCaches = new WeakMap<object, Record<string, unknown>>();

function shareLayoutCache(doc: PDFKit.PDFDocument, face: FontFace): void {
  const embedded = (doc as unknown as { _font: { layoutCache?: Record<string, unknown> } })._font;
  if (!embedded.layoutCache) return;
  let shared = layoutCaches.get(face.font);
  if (!shared) {
    shared = Object.create(null) as Record<string, unknown>;
    layoutCaches.set(face.font, shared);
  }
  embedded.layoutCache = shared;
}

export interface RenderOptions {
  /** Share glyph layout across documents (default true); false renders as plain pdfkit would. */
  shareLayout?: boolean;
}

interface GlyphLike {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}
interface EmbeddedFontLike {
  layout(text: string): { glyphs: GlyphLike[] };
  subset: { includeGlyph(id: number): number };
  widths: number[];
  unicode: number[][];
  scale: number;
}

/**
 * pdfkit deflates every stream of every document. Font subsets and their ToUnicode maps repeat
 * from letter to letter (same glyphs, same bytes: see the canonical glyph order in renderPdf), so
 * compressed streams are kept by content hash. zlib is deterministic: the bytes are what pdfkit
 * would have written.
 */
const deflated = new Map<string, Buffer>();
const DEFLATED_MAX = 64;
let streamsPatched = false;

function patchStreamCompression(): void {
  if (streamsPatched) return;
  streamsPatched = true;
  const probe = new PDFDocument({ autoFirstPage: false });
  const proto = Object.getPrototypeOf(probe.ref({})) as {
    finalize(this: StreamRef): void;
  };
  interface StreamRef {
    compress: boolean;
    buffer: Uint8Array[];
    document: { _security?: unknown };
  }
  const finalize = proto.finalize;
  proto.finalize = function (this: StreamRef) {
    if (this.compress && !this.document._security && this.buffer.length > 0) {
      const data = Buffer.concat(this.buffer);
      if (data.length >= 2048) {
        const key = `${data.length}:${createHash('sha1').update(data).digest('base64')}`;
        let z = deflated.get(key);
        if (!z) {
          z = deflateSync(data);
          if (deflated.size >= DEFLATED_MAX) deflated.delete(deflated.keys().next().value as string);
          deflated.set(key, z);
        }
        this.buffer = [z];
        this.compress = false; // already compressed; the stream keeps its /Filter /FlateDecode
      }
    }
    finalize.call(this);
  };
}

/** Draws a laid-out letter. The only module that knows pdfkit. Resolves with the PDF bytes. */
export function renderPdf(layout: LetterLayout, meta: PdfMeta, options: RenderOptions = {}): Promise<Buffer> {
  patchStreamCompression();
  const doc = new PDFDocument({
    autoFirstPage: false,
    size: [layout.width, layout.height],
    margin: 0,
    pdfVersion: '1.7',
    lang: meta.lang,
    displayTitle: true,
    // A parsed font object: pdfkit would otherwise load Helvetica as its default.
    font: latinFace('regular').font as unknown as string,
    info: {
      Title: meta.title,
      Author: meta.author,
      Subject: meta.subject,
      Keywords: meta.keywords,
      Creator: 'lettermerge',
      Producer: 'lettermerge (pdfkit)',
      CreationDate: meta.date,
      ModDate: meta.date,
    },
  } as PDFKit.PDFDocumentOptions);

  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  // pdfkit's font object for each face, made on first use.
  const embedded = new Map<string, EmbeddedFontLike>();
  const embed = (face: FontFace): EmbeddedFontLike => {
    let font = embedded.get(face.key);
    if (!font) {
      doc.registerFont(face.key, face.font as unknown as string);
      doc.font(face.key);
      if (options.shareLayout !== false) shareLayoutCache(doc, face);
      font = (doc as unknown as { _font: EmbeddedFontLike })._font;
      embedded.set(face.key, font);
    }
    return font;
  };
  const useFont = (face: FontFace, size: number) => {
    embed(face);
    doc.font(face.key).fontSize(size);
  };

  // Give each font's subset its glyphs in one canonical order (by glyph id) before drawing, so
  // that letters using the same glyphs embed byte-identical font subsets, which are then built
  // and compressed once (see fonts.ts and patchStreamCompression).
  const glyphsByFont = new Map<EmbeddedFontLike, Map<number, GlyphLike>>();
  for (const page of layout.pages) {
    for (const item of page.items) {
      if (item.kind !== 'text') continue;
      const font = embed(item.face);
      let glyphs = glyphsByFont.get(font);
      if (!glyphs) glyphsByFont.set(font, (glyphs = new Map()));
      // The first use of a glyph in the letter decides the text it maps to, as in pdfkit's own encode().
      for (const g of font.layout(item.text).glyphs) if (!glyphs.has(g.id)) glyphs.set(g.id, g);
    }
  }
  for (const [font, glyphs] of glyphsByFont) {
    for (const id of [...glyphs.keys()].sort((a, b) => a - b)) {
      // As pdfkit's own encode() does for each glyph it draws.
      const g = glyphs.get(id) as GlyphLike;
      const gid = font.subset.includeGlyph(id);
      if (font.widths[gid] == null) font.widths[gid] = g.advanceWidth * font.scale;
      if (font.unicode[gid] == null) font.unicode[gid] = g.codePoints;
    }
  }

  for (const page of layout.pages) {
    doc.addPage({ size: [layout.width, layout.height], margin: 0 });
    for (const item of page.items) {
      switch (item.kind) {
        case 'text':
          useFont(item.face, item.size);
          doc.fillColor(item.color);
          if (item.flip) {
            // Mirror about the glyph's own box: x becomes (2 * item.x + width) - x.
            doc.save();
            doc.transform(-1, 0, 0, 1, 2 * item.x + (item.width ?? 0), 0);
          }
          doc.text(item.text, item.x, item.y, {
            lineBreak: false,
            baseline: 'alphabetic',
            wordSpacing: item.wordSpacing || undefined,
            characterSpacing: item.charSpacing || undefined,
          });
          if (item.flip) doc.restore();
          break;
        case 'link':
          doc.link(item.x, item.y, item.width, item.height, item.url);
          break;
        case 'rule':
          doc.save().moveTo(item.x1, item.y1).lineTo(item.x2, item.y2).lineWidth(item.width).strokeColor(item.color).stroke().restore();
          break;
        case 'signature':
          drawSignature(doc, item.image, item);
          break;
      }
    }
  }
  fixRtlLigatureUnicode(doc);
  doc.end();
  return done;
}

const RTL_LETTER = /[\p{Script=Arabic}\p{Script=Hebrew}]/u;

/**
 * Right-to-left words are drawn in visual order, and text extractors (poppler, pdf.js) put them
 * back in reading order by reversing the characters. A ligature glyph (lam-alef) maps to two
 * characters, which that reversal would swap: map it to them reversed, so the words read right.
 * Runs before doc.end(), when pdfkit writes each font's ToUnicode map.
 */
function fixRtlLigatureUnicode(doc: PDFKit.PDFDocument): void {
  const families = (doc as unknown as { _fontFamilies: Record<string, { unicode?: number[][] }> })._fontFamilies;
  // A font is listed under more than one key; fix each once.
  for (const font of new Set(Object.values(families))) {
    if (!font.unicode) continue;
    for (let gid = 0; gid < font.unicode.length; gid++) {
      const cps = font.unicode[gid];
      if (cps && cps.length > 1 && cps.every((cp) => RTL_LETTER.test(String.fromCodePoint(cp)))) {
        font.unicode[gid] = [...cps].reverse();
      }
    }
  }
}

interface PdfRef {
  data: Record<string, unknown>;
  end(chunk?: Buffer): void;
}

/**
 * pdfkit draws an image it has already opened: an object with a size, a resource label and an
 * embed() that makes its XObject. The signature was decoded and compressed once, when the campaign
 * was loaded; each letter only writes those bytes (an RGB image, with a soft mask when it has
 * transparency).
 */
function signatureXObject(sig: RasterSignature) {
  return {
    width: sig.width,
    height: sig.height,
    label: 'Sig1',
    obj: null as PdfRef | null,
    embed(document: { ref(data: Record<string, unknown>): PdfRef }) {
      const size = { Width: sig.width, Height: sig.height, BitsPerComponent: 8, Filter: 'FlateDecode' };
      const obj = document.ref({ Type: 'XObject', Subtype: 'Image', ...size, ColorSpace: 'DeviceRGB' });
      if (sig.alpha) {
        const mask = document.ref({ Type: 'XObject', Subtype: 'Image', ...size, ColorSpace: 'DeviceGray', Decode: [0, 1] });
        mask.end(Buffer.from(sig.alpha));
        obj.data.SMask = mask;
      }
      obj.end(Buffer.from(sig.rgb));
      this.obj = obj;
    },
  };
}

function drawSignature(
  doc: PDFKit.PDFDocument,
  sig: SignatureImage,
  box: { x: number; y: number; width: number; height: number },
): void {
  if (sig.kind === 'raster') {
    doc.image(signatureXObject(sig) as unknown as Buffer, box.x, box.y, { fit: [box.width, box.height], valign: 'center' });
    return;
  }
  const [vx, vy, vw, vh] = sig.viewBox;
  const scale = Math.min(box.width / vw, box.height / vh);
  doc.save();
  doc.translate(box.x, box.y + (box.height - vh * scale) / 2);
  doc.scale(scale);
  doc.translate(-vx, -vy);
  for (const p of sig.paths) {
    doc.path(p.d).lineWidth(p.width).lineCap('round').lineJoin('round').strokeColor('#1b2a5c').stroke();
  }
  doc.restore();
}
