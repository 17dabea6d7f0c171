import { LetterDocument } from '../adapter';
import type { SignatureImage } from '../campaign/signature';
import { fileOfFace, latinFace } from '../fonts/fonts';
import type { Item, LetterLayout, TextItem } from '../layout/letter';

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

export interface RenderOptions {
  /**
   * Reuse work across letters (the default): shared shaping, cached subsets and streams, glyphs
   * in canonical order. false draws the same letter as plain pdfkit would, for comparison.
   */
  reuse?: boolean;
}

function newDocument(layout: LetterLayout, meta: PdfMeta, reuse: boolean): LetterDocument {
  return new LetterDocument(
    {
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
    } as PDFKit.PDFDocumentOptions,
    { reuse, fileOf: fileOfFace },
  );
}

function drawText(doc: LetterDocument, item: TextItem): void {
  doc.useFace(item.face, item.size);
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
}

function drawSignature(doc: LetterDocument, sig: SignatureImage, box: { x: number; y: number; width: number; height: number }): void {
  if (sig.kind === 'raster') {
    doc.rgbImage(sig, box.x, box.y, { fit: [box.width, box.height], valign: 'center' });
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

function drawItem(doc: LetterDocument, item: Item): void {
  switch (item.kind) {
    case 'text':
      drawText(doc, item);
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

const RTL_LETTER = /[\p{Script=Arabic}\p{Script=Hebrew}]/u;

/** Draws a laid-out letter. The only module that draws with pdfkit. Resolves with the PDF bytes. */
export function renderPdf(layout: LetterLayout, meta: PdfMeta, options: RenderOptions = {}): Promise<Buffer> {
  const doc = newDocument(layout, meta, options.reuse !== false);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.orderGlyphs(layout.pages.flatMap((page) => page.items.filter((i): i is TextItem => i.kind === 'text')));
  for (const page of layout.pages) {
    doc.addPage({ size: [layout.width, layout.height], margin: 0 });
    for (const item of page.items) drawItem(doc, item);
  }
  doc.reverseRtlLigatures((cp) => RTL_LETTER.test(String.fromCodePoint(cp)));
  doc.end();
  return done;
}
