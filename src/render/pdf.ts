import { LetterDocument, fontkitReverses } from '../adapter';
import type { SignatureImage } from '../campaign/signature';
import { fileOfFace, latinFace } from '../fonts/fonts';
import type { Item, LetterLayout, LetterTag, TextItem } from '../layout/letter';
import { isTag } from '../layout/tags';
import type { SigningIdentity } from '../sign/identity';

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
   * drawn by glyph id. false draws the same letter as plain pdfkit would, for comparison.
   */
  reuse?: boolean;
  /** Sign the PDF (PAdES B-B) with this identity, for this reason, at this time. */
  sign?: { identity: SigningIdentity; reason: string; tooltip: string; time: Date };
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
      // Tagged (PDF/UA-1, declared by the adapter) and archival: PDF/A-2, conformance level A.
      tagged: true,
      subset: 'PDF/A-2a',
      // A font of lettermerge's: pdfkit would otherwise load Helvetica as its default. Plain pdfkit
      // reads it from its file, as it reads every font (pdfkit takes a font of the same name it
      // already has for the other).
      font: (reuse ? latinFace('regular').font : fileOfFace(latinFace('regular'))) as unknown as string,
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
  doc.textColor(item.color);
  if (item.flip) {
    // Mirror about the glyph's own box: x becomes (2 * item.x + width) - x.
    doc.save();
    doc.transform(-1, 0, 0, 1, 2 * item.x + (item.width ?? 0), 0);
  }
  // A right-to-left word is written in reading order (fontkit lays it out right to left).
  // A run whose glyphs are not in reading order (Devanagari) carries its text, for extractors and
  // screen readers; left to right only, as poppler turns an ActualText of right-to-left text around.
  doc.glyphRun(item.face, item.size, item.x, item.y, item.text, { wordSpacing: item.wordSpacing, charSpacing: item.charSpacing, logicalOrder: fontkitReverses(item.text), actualText: item.reordered });
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
  // Only the view box shows, as in a browser: a path that reaches out of it is not drawn over the
  // text around the signature.
  doc.rect(vx, vy, vw, vh).clip();
  for (const p of sig.paths) {
    if (p.matrix) doc.save().transform(...p.matrix);
    doc.path(p.d);
    const rule = p.evenOdd ? 'even-odd' : undefined;
    if (p.fill && p.stroke) doc.lineWidth(p.width).lineCap('round').lineJoin('round').fillAndStroke(p.fill, p.stroke, rule);
    else if (p.fill) doc.fill(p.fill, rule);
    // A path with no paint of its own (a hand-written <path d="…">) is stroked in the letter's ink.
    else doc.lineWidth(p.width).lineCap('round').lineJoin('round').strokeColor(p.stroke ?? '#1b2a5c').stroke();
    if (p.matrix) doc.restore();
  }
  doc.restore();
}

function drawItem(doc: LetterDocument, item: Item): void {
  switch (item.kind) {
    case 'text':
      drawText(doc, item);
      break;
    case 'rule':
      doc.save().moveTo(item.x1, item.y1).lineTo(item.x2, item.y2).lineWidth(item.width).strokeColor(item.color).stroke().restore();
      break;
    case 'signature':
      drawSignature(doc, item.image, item);
      break;
    case 'link':
      break; // an annotation, made by Structure.link()
  }
}

/**
 * The letter's structure in the PDF. Its elements are made before the pages are drawn (a link's
 * annotation points at its element as it is made); drawn items are marked content, tagged with
 * the type of the element they belong to, one sequence for the items of one element drawn one
 * after the other (a line, a paragraph on a page); once every page is drawn, the elements get
 * their content in reading order and go into the structure tree.
 */
class Structure {
  private readonly elements = new Map<LetterTag, PDFKit.PDFStructureElement>();
  private readonly owner = new Map<Item, LetterTag>();
  private readonly content = new Map<Item, PDFKit.PDFStructureContent>();
  /** The marked-content sequence open now, and the element it belongs to. */
  private open: { node: LetterTag; content: PDFKit.PDFStructureContent } | undefined;
  /** The signature field's Form element, read after the signature image. */
  private form: PDFKit.PDFStructureElement | undefined;

  constructor(
    private readonly doc: LetterDocument,
    private readonly root: LetterTag,
  ) {
    this.make(root);
  }

  private make(node: LetterTag): void {
    const el = this.doc.struct(node.type, {
      ...(node.lang ? { lang: node.lang } : {}),
      ...(node.alt ? { alt: node.alt } : {}),
      ...(node.actualText ? { actual: node.actualText } : {}),
      ...(node.scope ? { scope: node.scope } : {}),
      ...(node.bbox ? { bbox: node.bbox } : {}),
    });
    this.elements.set(node, el);
    for (const child of node.children) {
      if (isTag(child)) this.make(child);
      else this.owner.set(child, node);
    }
  }

  /** Draws one item: as content of its element, as an artifact, or (a link) as an annotation of its Link element. */
  draw(item: Item): void {
    if (item.kind === 'link') {
      this.close();
      const node = this.owner.get(item);
      this.doc.link(item.x, item.y, item.width, item.height, item.url, {
        ...(node ? { structParent: this.elements.get(node), Contents: new String(node.contents ?? item.url) } : {}),
      } as never);
      return;
    }
    if ('artifact' in item && item.artifact) {
      this.close();
      this.doc.markContent('Artifact', { type: item.artifact });
      drawItem(this.doc, item);
      this.doc.endMarkedContent();
      return;
    }
    const node = this.owner.get(item);
    if (!node) throw new Error(`a ${item.kind} item is neither in the structure tree nor an artifact`);
    if (this.open?.node !== node) {
      this.close();
      this.open = { node, content: this.doc.markStructureContent(node.type) };
    }
    this.content.set(item, this.open.content);
    drawItem(this.doc, item);
  }

  /** Ends the open marked-content sequence: before another element's, an artifact, a link, or the end of a page. */
  close(): void {
    if (!this.open) return;
    this.doc.endMarkedContent();
    this.open = undefined;
  }

  /** A Form element for the signature field, placed after the signature image in reading order. */
  signatureForm(alt: string): PDFKit.PDFStructureElement {
    this.form = this.doc.struct('Form', { alt });
    return this.form;
  }

  /** Gives every element its content and children in reading order, and adds the tree to the document. */
  finish(): void {
    this.close();
    const added = new Set<PDFKit.PDFStructureContent>();
    const fill = (node: LetterTag) => {
      const el = this.elements.get(node)!;
      for (const child of node.children) {
        if (isTag(child)) {
          fill(child);
          el.add(this.elements.get(child)!);
          if (child.type === 'Figure' && this.form) el.add(this.form);
        } else if (child.kind !== 'link') {
          const mc = this.content.get(child);
          if (mc && !added.has(mc)) el.add(mc);
          if (mc) added.add(mc);
        }
      }
    };
    fill(this.root);
    this.doc.addStructure(this.elements.get(this.root)!);
  }
}

/**
 * A document for many letters one after the other (a proof to read before sending): untagged,
 * handed to its stream as it is written, so that it never holds more than the page being drawn.
 */
export function proofDocument(meta: Pick<PdfMeta, 'title' | 'lang' | 'date'>): LetterDocument {
  return new LetterDocument(
    {
      autoFirstPage: false,
      margin: 0,
      pdfVersion: '1.7',
      lang: meta.lang,
      displayTitle: true,
      font: latinFace('regular').font as unknown as string,
      info: { Title: meta.title, Creator: 'lettermerge', Producer: 'lettermerge (pdfkit)', CreationDate: meta.date, ModDate: meta.date },
    } as PDFKit.PDFDocumentOptions,
    { reuse: true, fileOf: fileOfFace, streaming: true },
  );
}

/** Draws a laid-out letter on new pages at the end of `doc`, as its own PDF shows it, untagged. */
export function drawLetterPages(doc: LetterDocument, layout: LetterLayout): void {
  for (const page of layout.pages) {
    doc.addPage({ size: [layout.width, layout.height], margin: 0 });
    for (const item of page.items) {
      if (item.kind === 'link') doc.link(item.x, item.y, item.width, item.height, item.url);
      else drawItem(doc, item);
    }
  }
}

/** Draws a laid-out letter, and signs it when asked. Resolves with the PDF bytes. */
export async function renderPdf(layout: LetterLayout, meta: PdfMeta, options: RenderOptions = {}): Promise<Buffer> {
  const pdf = await drawPdf(layout, meta, options);
  if (!options.sign) return pdf;
  // Loaded only to sign: letters made without --sign never load the signing libraries.
  const { signPdf } = await import('../sign/signing');
  return signPdf(pdf, options.sign.identity);
}

function drawPdf(layout: LetterLayout, meta: PdfMeta, options: RenderOptions): Promise<Buffer> {
  const doc = newDocument(layout, meta, options.reuse !== false);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  // A letter: the text outside its recipient's items is the same in every letter of the campaign.
  if (layout.pages.some((page) => page.variable)) {
    const shared: TextItem[] = [];
    const own = new Map<string, TextItem['face']>();
    for (const page of layout.pages) {
      page.items.forEach((item, i) => {
        if (item.kind !== 'text') return;
        if (page.variable && i >= page.variable.from && i < page.variable.to) own.set(item.face.key, item.face);
        else shared.push(item);
      });
    }
    doc.splitFonts(shared, { faces: own.values(), text: layout.commonCharacters ?? '' });
  }
  let structure: Structure | undefined;
  for (const page of layout.pages) {
    doc.addPage({ size: [layout.width, layout.height], margin: 0 });
    // Made once a page exists: pdfkit turns a Figure's box into page coordinates as it makes it.
    structure ??= new Structure(doc, layout.structure);
    // The items that change with the recipient in a content stream of their own (see PageLayout.variable).
    const breaks = new Set(page.variable ? [page.variable.from, page.variable.to] : []);
    page.items.forEach((item, i) => {
      if (breaks.has(i)) {
        structure!.close();
        // The stream from the start of the recipient's items is theirs alone (see newContentStream).
        doc.newContentStream(i === page.variable!.from && i < page.variable!.to);
      }
      structure!.draw(item);
    });
    structure.close();
  }
  if (structure && options.sign) {
    const { identity, reason, tooltip, time } = options.sign;
    doc.signaturePlaceholder({ name: identity.name, reason, time, tooltip, form: structure.signatureForm(tooltip) });
  }
  structure?.finish();
  doc.declarePdfUa();
  doc.end();
  return done;
}
