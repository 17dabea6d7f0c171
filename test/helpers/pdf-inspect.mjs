// Reads PDFs with pdfjs-dist (a real, independent parser) and prints what the tests check, as JSON.
// It runs as a child process because pdfjs-dist is an ES module and the tests are CommonJS.
import { readFileSync } from 'node:fs';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

async function inspect(file) {
  const bytes = readFileSync(file);
  // pdfjs takes ownership of the array it is given, so keep the raw text first.
  const raw = bytes.toString('latin1');
  const data = new Uint8Array(bytes);
  const doc = await getDocument({ data, verbosity: 0, useSystemFonts: false, disableFontFace: true }).promise;
  const meta = await doc.getMetadata();
  const pages = [];
  const fonts = new Set();
  for (let n = 1; n <= doc.numPages; n++) {
    const page = await doc.getPage(n);
    const content = await page.getTextContent();
    // Items come in content-stream order. Two items of one line are joined with a space when
    // there is a gap between them (on either side: right-to-left words run leftwards).
    let text = '';
    let prev = null;
    for (const item of content.items) {
      if (!('str' in item)) continue;
      if (prev && item.str && !prev.hasEOL && Math.abs(prev.transform[5] - item.transform[5]) < 1) {
        // A mirrored glyph (negative x scale) extends to the left of its origin.
        const left = (i) => (i.transform[0] < 0 ? i.transform[4] - i.width : i.transform[4]);
        const x = left(item);
        const px = left(prev);
        const touching = Math.abs(px + prev.width - x) < 0.6 || Math.abs(x + item.width - px) < 0.6;
        if (!touching && !text.endsWith(' ') && !item.str.startsWith(' ')) text += ' ';
      }
      text += item.str + (item.hasEOL ? '\n' : '');
      if (item.str || item.hasEOL) prev = item;
    }
    const items = content.items
      .filter((i) => 'str' in i && i.str.trim())
      .map((i) => ({ str: i.str, x: i.transform[4], y: i.transform[5], width: i.width, font: i.fontName }));
    const annotations = (await page.getAnnotations()).map((a) => ({
      subtype: a.subtype,
      url: a.url ?? a.unsafeUrl ?? null,
      rect: a.rect,
    }));
    const ops = await page.getOperatorList();
    const structTree = await page.getStructTree();
    await page.cleanup();
    pages.push({ text, items, annotations, view: page.view, ops: ops.fnArray.length, structTree });
  }
  // Font embedding, read from the page resources in the raw file.
  for (const m of raw.matchAll(/\/BaseFont\s*\/([A-Za-z0-9+_-]+)/g)) fonts.add(m[1]);
  const embedded = (raw.match(/\/FontFile2|\/FontFile3|\/FontFile\b/g) ?? []).length;
  // The document's language: the catalog's /Lang, which pdf.js reports as Language.
  const lang = meta.info.Language ?? null;
  const markInfo = await doc.getMarkInfo();
  const result = {
    file,
    numPages: doc.numPages,
    info: meta.info,
    lang,
    markInfo,
    fonts: [...fonts],
    embeddedFontFiles: embedded,
    pages,
  };
  await doc.destroy();
  return result;
}

const files = process.argv.slice(2);
const out = [];
for (const f of files) out.push(await inspect(f));
process.stdout.write(JSON.stringify(out));
