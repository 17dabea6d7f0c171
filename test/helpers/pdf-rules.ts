/**
 * Checks a PDF against the machine-checkable rules of PDF/A-2 level A (ISO 19005-2) and PDF/UA-1
 * (ISO 14289-1) that apply to a letter, as veraPDF's published validation profiles state them
 * (PDF_A/PDFA-2A.xml and PDF_UA/PDFUA-1.xml; a rule is named "<standard> <clause>-<test>"), and a
 * few conditions of the Matterhorn Protocol that those profiles leave out. veraPDF itself (Java) is
 * not available here: the file is read with qpdf (--json), an independent parser; content streams,
 * the XMP packet (with a real XML parser) and the embedded fonts (with fontkit) are read here.
 *
 * Each check records the rule it stands for, so a test can see that every rule was evaluated and
 * not merely never reached.
 */
import { execFileSync } from 'node:child_process';
import { DOMParser } from '@xmldom/xmldom';
import type { Element } from '@xmldom/xmldom';
import * as fontkit from 'fontkit';

type Value = null | boolean | number | string | Value[] | { [key: string]: Value };
type Dict = { [key: string]: Value };
interface JsonObject {
  value?: Value;
  stream?: { dict: Dict; data?: string };
}

export interface RuleReport {
  /** Every rule evaluated, whether it held or not. */
  checked: Set<string>;
  /** The rules that failed, each with what was found. */
  failures: { rule: string; detail: string }[];
}

const A = 'ISO 19005-2';
const UA = 'ISO 14289-1';

/** The standard structure types of ISO 32000-1, 14.8.4. */
const STANDARD_TYPES = new Set(
  (
    'Document Part Art Sect Div BlockQuote Caption TOC TOCI Index NonStruct Private P H H1 H2 H3 H4 H5 H6 L LI Lbl LBody ' +
    'Table TR TH TD THead TBody TFoot Span Quote Note Reference BibEntry Code Link Annot Ruby RB RT RP Warichu WT WP Figure Formula Form'
  ).split(' '),
);

/** Namespaces whose properties PDF/A-2 predefines (XMP 2005 and ISO 19005); others need an extension schema. */
const PREDEFINED_XMP = new Set([
  'http://purl.org/dc/elements/1.1/',
  'http://ns.adobe.com/xap/1.0/',
  'http://ns.adobe.com/pdf/1.3/',
  'http://ns.adobe.com/xap/1.0/mm/',
  'http://ns.adobe.com/xap/1.0/rights/',
  'http://ns.adobe.com/photoshop/1.0/',
  'http://www.aiim.org/pdfa/ns/id/',
  'http://www.aiim.org/pdfa/ns/extension/',
  'http://www.aiim.org/pdfa/ns/schema#',
  'http://www.aiim.org/pdfa/ns/property#',
  'http://www.aiim.org/pdfa/ns/type#',
  'http://www.aiim.org/pdfa/ns/field#',
]);
const RDF = 'http://www.w3.org/1999/02/22-rdf-syntax-ns#';

class Pdf {
  readonly objects: Record<string, JsonObject>;
  readonly trailer: Dict;

  constructor(readonly file: string) {
    const json = JSON.parse(
      execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', '--decode-level=generalized', file], { maxBuffer: 512 << 20 }).toString(),
    ) as { qpdf: [unknown, Record<string, JsonObject>] };
    this.objects = json.qpdf[1];
    this.trailer = this.objects.trailer.value as Dict;
    // The stream dictionaries as written, filters included (the decoded ones above have none).
    const raw = JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=none', file], { maxBuffer: 512 << 20 }).toString()) as {
      qpdf: [unknown, Record<string, JsonObject>];
    };
    for (const [key, o] of Object.entries(raw.qpdf[1])) if (o.stream) this.written.set(key, o.stream.dict);
  }

  /** Stream dictionaries as written in the file, by object key. */
  readonly written = new Map<string, Dict>();

  static isRef(v: Value | undefined): v is string {
    return typeof v === 'string' && /^\d+ \d+ R$/.test(v);
  }

  /** A value, with an indirect reference followed (a stream gives its dictionary). */
  get(v: Value | undefined): Value | undefined {
    if (!Pdf.isRef(v)) return v;
    const o = this.objects[`obj:${v}`];
    return o?.stream ? o.stream.dict : o?.value;
  }

  dict(v: Value | undefined): Dict | undefined {
    const d = this.get(v);
    return d && typeof d === 'object' && !Array.isArray(d) ? d : undefined;
  }

  array(v: Value | undefined): Value[] {
    const a = this.get(v);
    return Array.isArray(a) ? a : a === undefined || a === null ? [] : [a];
  }

  /** References to streams, from one reference or an array of them (a page's Contents). */
  streamRefs(v: Value | undefined): string[] {
    if (Pdf.isRef(v) && this.objects[`obj:${v}`]?.stream) return [v];
    return this.array(v).filter((x): x is string => Pdf.isRef(x));
  }

  stream(v: Value | undefined): { dict: Dict; data: Buffer } | undefined {
    if (!Pdf.isRef(v)) return undefined;
    const s = this.objects[`obj:${v}`]?.stream;
    return s ? { dict: s.dict, data: Buffer.from(s.data ?? '', 'base64') } : undefined;
  }

  get catalog(): Dict {
    return this.dict(this.trailer['/Root']) as Dict;
  }

  pages(): { ref: string; dict: Dict }[] {
    const out: { ref: string; dict: Dict }[] = [];
    const walk = (ref: Value) => {
      const d = this.dict(ref) as Dict;
      if (d['/Type'] === '/Pages') for (const kid of this.array(d['/Kids'])) walk(kid);
      else out.push({ ref: ref as string, dict: d });
    };
    walk(this.catalog['/Pages']);
    return out;
  }
}

/** The text of a PDF string as qpdf writes it in JSON ("u:" text, "b:" hex bytes). */
function text(v: Value | undefined): string | undefined {
  if (typeof v !== 'string') return undefined;
  if (v.startsWith('u:')) return v.slice(2);
  if (v.startsWith('b:')) return Buffer.from(v.slice(2), 'hex').toString('latin1');
  return undefined;
}

/** How many bytes a string takes in the file: UTF-16 with its byte order mark when not Latin-1. */
function stringBytes(v: string): number {
  if (v.startsWith('b:')) return (v.length - 2) / 2;
  const t = v.slice(2);
  // eslint-disable-next-line no-control-regex
  return /^[\u0000-\u00ff]*$/.test(t) ? t.length : 2 + 2 * t.length;
}

/** Content stream tokens: operands and operators (inline images are not used by lettermerge). */
type Token = { op: string } | { operand: string | number | Token[] | Record<string, unknown> };

function tokenize(content: Buffer): { op: string; operands: unknown[] }[] {
  const s = content.toString('latin1');
  let i = 0;
  const ws = /[\0\t\n\f\r ]/;
  const delim = /[()<>[\]{}/%]/;
  const skip = () => {
    while (i < s.length) {
      if (ws.test(s[i])) i++;
      else if (s[i] === '%') while (i < s.length && s[i] !== '\n' && s[i] !== '\r') i++;
      else break;
    }
  };
  const value = (): unknown => {
    skip();
    const c = s[i];
    if (c === '/') {
      let j = i + 1;
      while (j < s.length && !ws.test(s[j]) && !delim.test(s[j])) j++;
      const name = s.slice(i, j);
      i = j;
      return name;
    }
    if (c === '(') {
      let depth = 0;
      let out = '';
      i++;
      for (; i < s.length; i++) {
        if (s[i] === '\\') {
          out += s[i] + s[i + 1];
          i++;
        } else if (s[i] === '(') {
          depth++;
          out += '(';
        } else if (s[i] === ')') {
          if (depth === 0) break;
          depth--;
          out += ')';
        } else out += s[i];
      }
      i++;
      return { literal: out };
    }
    if (c === '<' && s[i + 1] === '<') {
      i += 2;
      const d: Record<string, unknown> = {};
      for (;;) {
        skip();
        if (s[i] === '>' && s[i + 1] === '>') {
          i += 2;
          return d;
        }
        const k = value() as string;
        d[k] = value();
      }
    }
    if (c === '<') {
      const j = s.indexOf('>', i);
      const hex = s.slice(i + 1, j).replace(/\s+/g, '');
      i = j + 1;
      return { hex };
    }
    if (c === '[') {
      i++;
      const a: unknown[] = [];
      for (;;) {
        skip();
        if (s[i] === ']') {
          i++;
          return a;
        }
        a.push(value());
      }
    }
    let j = i;
    while (j < s.length && !ws.test(s[j]) && !delim.test(s[j])) j++;
    const word = s.slice(i, j);
    i = j;
    const n = Number(word);
    return word !== '' && !Number.isNaN(n) ? n : { op: word };
  };
  const ops: { op: string; operands: unknown[] }[] = [];
  let operands: unknown[] = [];
  for (;;) {
    skip();
    if (i >= s.length) break;
    const v = value();
    if (v && typeof v === 'object' && 'op' in (v as Token)) {
      ops.push({ op: (v as { op: string }).op, operands });
      operands = [];
    } else operands.push(v);
  }
  return ops;
}

/** A ToUnicode CMap's mapping, code → text (bfchar and bfrange entries). */
function toUnicodeMap(cmap: string): Map<number, string> {
  const map = new Map<number, string>();
  const hex = (h: string) => h.replace(/\s+/g, '');
  const utf16 = (h: string) => String.fromCharCode(...(hex(h).match(/.{4}/g) ?? []).map((x) => parseInt(x, 16)));
  for (const block of cmap.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of block[1].matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F\s]*)>/g)) map.set(parseInt(m[1], 16), utf16(m[2]));
  }
  for (const block of cmap.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of block[1].matchAll(/<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*(\[[^\]]*\]|<[0-9a-fA-F\s]*>)/g)) {
      const lo = parseInt(m[1], 16);
      const hi = parseInt(m[2], 16);
      if (m[3].startsWith('[')) {
        const dsts = [...m[3].matchAll(/<([0-9a-fA-F\s]*)>/g)].map((x) => utf16(x[1]));
        for (let c = lo; c <= hi; c++) map.set(c, dsts[c - lo]);
      } else {
        const base = hex(m[3].slice(1, -1));
        const head = base.slice(0, -4);
        const last = parseInt(base.slice(-4), 16);
        for (let c = lo; c <= hi; c++) map.set(c, utf16(head + (last + c - lo).toString(16).padStart(4, '0')));
      }
    }
  }
  return map;
}

/** Widths from a CIDFont's W array: CID → width (thousandths of text space). */
function cidWidths(pdf: Pdf, w: Value | undefined): Map<number, number> {
  const out = new Map<number, number>();
  const a = pdf.array(w);
  for (let k = 0; k < a.length; ) {
    const first = pdf.get(a[k]) as number;
    const next = pdf.get(a[k + 1]);
    if (Array.isArray(next)) {
      next.forEach((v, j) => out.set(first + j, pdf.get(v) as number));
      k += 2;
    } else {
      const last = next as number;
      for (let c = first; c <= last; c++) out.set(c, pdf.get(a[k + 2]) as number);
      k += 3;
    }
  }
  return out;
}

function pdfDate(v: string | undefined): string | undefined {
  const m = v && /^D:(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(Z|[+-]\d{2}'?\d{2}'?)?/.exec(v);
  if (!m) return undefined;
  const zone = !m[7] || m[7] === 'Z' ? 'Z' : `${m[7].slice(0, 3)}:${m[7].replace(/'/g, '').slice(3, 5)}`;
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${zone}`).toISOString();
}

export function checkPdfRules(file: string): RuleReport {
  const pdf = new Pdf(file);
  const report: RuleReport = { checked: new Set(), failures: [] };
  const rule = (ids: string | string[], ok: boolean, detail = '') => {
    for (const id of Array.isArray(ids) ? ids : [ids]) {
      report.checked.add(id);
      if (!ok) report.failures.push({ rule: id, detail });
    }
  };
  fileStructure(pdf, rule);
  const fonts = fontRules(pdf, rule);
  contentRules(pdf, fonts, rule);
  annotationRules(pdf, rule);
  metadataRules(pdf, rule);
  structureRules(pdf, rule);
  return report;
}

type Rule = (ids: string | string[], ok: boolean, detail?: string) => void;

function fileStructure(pdf: Pdf, rule: Rule): void {
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const raw = readFileSync(pdf.file);
  const header = raw.subarray(0, 20).toString('latin1');
  rule(`${A} 6.1.2-1`, /^%PDF-1\.[0-7](\r\n|\n|\r)/.test(header), JSON.stringify(header.slice(0, 10)));
  const second = /^%PDF-1\.[0-7](?:\r\n|\n|\r)%/.exec(header);
  const bin = second ? raw.subarray(second[0].length, second[0].length + 4) : Buffer.alloc(0);
  rule(`${A} 6.1.2-2`, bin.length === 4 && [...bin].every((b) => b > 127), 'binary comment after the header');
  const id = pdf.trailer['/ID'];
  rule(`${A} 6.1.3-1`, Array.isArray(id) && id.length === 2 && id.every((x) => typeof x === 'string' && stringBytes(x) > 0), 'trailer ID');
  rule(`${A} 6.1.3-2`, pdf.trailer['/Encrypt'] === undefined, 'Encrypt in the trailer');
  const tail = raw.subarray(raw.lastIndexOf('%%EOF') + 5).toString('latin1');
  rule(`${A} 6.1.3-3`, /^(\r\n|\n|\r)?$/.test(tail), `${tail.length} bytes after %%EOF`);

  const filters = new Set(['/ASCIIHexDecode', '/ASCII85Decode', '/FlateDecode', '/RunLengthDecode', '/CCITTFaxDecode', '/JBIG2Decode', '/DCTDecode', '/JPXDecode']);
  let objects = 0;
  const visit = (v: Value, where: string) => {
    if (typeof v === 'string') {
      if (v.startsWith('u:') || v.startsWith('b:')) rule(`${A} 6.1.13-3`, stringBytes(v) < 32767, `a string of ${stringBytes(v)} bytes in ${where}`);
      else if (v.startsWith('/')) rule(`${A} 6.1.13-4`, Buffer.byteLength(v.slice(1)) <= 127, `name ${v.slice(0, 40)}… in ${where}`);
    } else if (typeof v === 'number') {
      if (Number.isInteger(v)) rule(`${A} 6.1.13-1`, v <= 2147483647 && v >= -2147483648, `${v} in ${where}`);
    } else if (Array.isArray(v)) v.forEach((x) => visit(x, where));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(k, where), visit(x, where);
  };
  for (const [key, o] of Object.entries(pdf.objects)) {
    if (!key.startsWith('obj:')) continue;
    objects++;
    if (o.stream) {
      const d = o.stream.dict;
      rule(`${A} 6.1.7-3`, d['/F'] === undefined && d['/FFilter'] === undefined && d['/FDecodeParms'] === undefined, key);
      for (const f of pdf.array(pdf.written.get(key)?.['/Filter'])) rule(`${A} 6.1.7-4`, filters.has(f as string), `${String(f)} in ${key}`);
      visit(d, key);
    } else visit(o.value ?? null, key);
  }
  rule(`${A} 6.1.13-7`, objects <= 8388607, `${objects} objects`);
}

interface FontInfo {
  name: string;
  toUnicode: Map<number, string>;
}

function fontRules(pdf: Pdf, rule: Rule): Map<string, FontInfo> {
  const fonts = new Map<string, FontInfo>();
  const seen = new Set<string>();
  for (const page of pdf.pages()) {
    const resources = pdf.dict(page.dict['/Resources']) ?? {};
    const fontDict = pdf.dict(resources['/Font']) ?? {};
    for (const ref of Object.values(fontDict)) {
      if (seen.has(ref as string)) continue;
      seen.add(ref as string);
      const font = pdf.dict(ref) as Dict;
      const name = String(font['/BaseFont']);
      rule(`${A} 6.2.11.2-1`, font['/Type'] === '/Font', name);
      rule(`${A} 6.2.11.2-2`, ['/Type1', '/MMType1', '/TrueType', '/Type3', '/Type0'].includes(font['/Subtype'] as string), `${name}: ${String(font['/Subtype'])}`);
      rule(`${A} 6.2.11.2-3`, typeof font['/BaseFont'] === 'string', name);
      const composite = font['/Subtype'] === '/Type0';
      const descendant = composite ? (pdf.dict(pdf.array(font['/DescendantFonts'])[0]) as Dict) : font;
      if (composite) {
        rule([`${A} 6.2.11.3-1`, `${UA} 7.21.3.1-1`], ['/Identity-H', '/Identity-V'].includes(font['/Encoding'] as string), `${name}: encoding ${String(font['/Encoding'])}`);
        rule(`${A} 6.2.11.2-2`, ['/CIDFontType0', '/CIDFontType2'].includes(descendant['/Subtype'] as string), `${name}: ${String(descendant['/Subtype'])}`);
        if (descendant['/Subtype'] === '/CIDFontType2') rule([`${A} 6.2.11.3-2`, `${UA} 7.21.3.2-1`], descendant['/CIDToGIDMap'] !== undefined, `${name}: no CIDToGIDMap`);
      }
      const descriptor = pdf.dict(descendant['/FontDescriptor']) ?? {};
      const programRef = descriptor['/FontFile2'] ?? descriptor['/FontFile3'] ?? descriptor['/FontFile'];
      rule([`${A} 6.2.11.4-1`, `${UA} 7.21.4.1-1`], programRef !== undefined, `${name} is not embedded`);
      rule(`${A} 6.2.11.4-4`, descriptor['/CIDSet'] === undefined, `${name} has a CIDSet (not checked against the program)`);
      const unicode = pdf.stream(font['/ToUnicode']);
      rule([`${A} 6.2.11.7-1`, `${UA} 7.21.7-1`], unicode !== undefined, `${name} has no ToUnicode`);
      fonts.set(ref as string, { name, toUnicode: toUnicodeMap(unicode?.data.toString('latin1') ?? '') });
      // Widths in the PDF agree with the font program (a TrueType program is read back with
      // fontkit), each character id through the CIDToGIDMap: Identity, or a stream of two-byte
      // glyph ids; and each glyph a character id maps to is in the program.
      if (descriptor['/FontFile2'] && composite && descendant['/CIDToGIDMap'] !== undefined) {
        const program = fontkit.create(pdf.stream(descriptor['/FontFile2'])!.data) as unknown as fontkit.Font;
        const scale = 1000 / program.unitsPerEm;
        const map = descendant['/CIDToGIDMap'] === '/Identity' ? undefined : pdf.stream(descendant['/CIDToGIDMap'])!.data;
        for (const [cid, w] of cidWidths(pdf, descendant['/W'])) {
          const gid = map ? map.readUInt16BE(cid * 2) : cid;
          rule([`${A} 6.2.11.4-1`, `${UA} 7.21.4.1-1`], gid < program.numGlyphs, `${name}: character ${cid} maps to glyph ${gid}, which the font program does not have`);
          if (gid >= program.numGlyphs) continue;
          const expected = program.getGlyph(gid).advanceWidth * scale;
          rule([`${A} 6.2.11.5-1`, `${UA} 7.21.5-1`], Math.abs(expected - w) <= 1, `${name}: glyph ${cid} is ${w} wide in W, ${expected.toFixed(1)} in the font`);
        }
      }
    }
  }
  return fonts;
}

/** The codes of a string shown with a composite font (two bytes each, Identity-H). */
function codesOf(operand: unknown): number[] {
  const strings: unknown[] = Array.isArray(operand) ? operand : [operand];
  const codes: number[] = [];
  for (const s of strings) {
    if (s && typeof s === 'object' && 'hex' in s) {
      const hex = (s as { hex: string }).hex;
      for (let k = 0; k + 4 <= hex.length; k += 4) codes.push(parseInt(hex.slice(k, k + 4), 16));
    } else if (s && typeof s === 'object' && 'literal' in s) {
      const bytes = literalBytes((s as { literal: string }).literal);
      if (bytes.length % 2) throw new Error(`a literal string of ${bytes.length} bytes shown with a two-byte encoding`);
      for (let k = 0; k + 2 <= bytes.length; k += 2) codes.push(bytes[k] * 256 + bytes[k + 1]);
    }
  }
  return codes;
}

/** The bytes of a literal string as written between its parentheses (ISO 32000-1 7.3.4.2): escapes, octal codes and line ends read. */
export function literalBytes(raw: string): number[] {
  const named: Record<string, number> = { n: 0x0a, r: 0x0d, t: 0x09, b: 0x08, f: 0x0c, '(': 0x28, ')': 0x29, '\\': 0x5c };
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\r') {
      // A line end in the string is read as LF, whatever it was.
      if (raw[i + 1] === '\n') i++;
      out.push(0x0a);
    } else if (c !== '\\') out.push(c.charCodeAt(0) & 0xff);
    else {
      const e = raw[++i];
      if (e in named) out.push(named[e]);
      else if (/[0-7]/.test(e)) {
        let octal = e;
        while (octal.length < 3 && /[0-7]/.test(raw[i + 1] ?? '')) octal += raw[++i];
        out.push(parseInt(octal, 8) & 0xff);
      } else if (e === '\r') {
        if (raw[i + 1] === '\n') i++;
      } else if (e !== '\n' && e !== undefined) out.push(e.charCodeAt(0) & 0xff);
    }
  }
  return out;
}

const PAINT = new Set(['Tj', 'TJ', "'", '"', 'Do', 'S', 's', 'f', 'F', 'f*', 'B', 'B*', 'b', 'b*', 'sh']);

function contentRules(pdf: Pdf, fonts: Map<string, FontInfo>, rule: Rule): void {
  const parentTree = parentTreeOf(pdf);
  for (const [pageIndex, page] of pdf.pages().entries()) {
    const where = `page ${pageIndex + 1}`;
    const resources = pdf.dict(page.dict['/Resources']) ?? {};
    const fontDict = pdf.dict(resources['/Font']) ?? {};
    const contents = pdf.streamRefs(page.dict['/Contents']).map((r) => pdf.stream(r)!.data);
    const ops = tokenize(Buffer.concat(contents.flatMap((c) => [c, Buffer.from('\n')])));
    const stack: { tag: string; mcid?: number }[] = [];
    const mcids = new Set<number>();
    let font: FontInfo | undefined;
    let usesRgb = false;
    for (const { op, operands } of ops) {
      if (op === 'BDC' || op === 'BMC') {
        const tag = operands[0] as string;
        const props = op === 'BDC' ? (operands[1] as Record<string, unknown>) : {};
        const mcid = typeof props['/MCID'] === 'number' ? (props['/MCID'] as number) : undefined;
        const insideArtifact = stack.some((m) => m.tag === '/Artifact');
        const insideTagged = stack.some((m) => m.mcid !== undefined);
        if (tag === '/Artifact') rule(`${UA} 7.1-1`, !insideTagged, `${where}: an artifact inside tagged content`);
        if (mcid !== undefined) {
          rule(`${UA} 7.1-2`, !insideArtifact, `${where}: tagged content (MCID ${mcid}) inside an artifact`);
          rule('ISO 32000-1 14.7.4.4 (MCID unique on its page)', !mcids.has(mcid), `${where}: MCID ${mcid} twice`);
          mcids.add(mcid);
        }
        stack.push({ tag, mcid });
      } else if (op === 'EMC') stack.pop();
      else if (op === 'Tf') font = fonts.get(fontDict[operands[0] as string] as string);
      else if (op === 'cs' || op === 'CS') usesRgb ||= operands[0] === '/DeviceRGB';
      else if (op === 'rg' || op === 'RG') usesRgb = true;
      if (PAINT.has(op)) {
        const marked = stack.some((m) => m.tag === '/Artifact' || m.mcid !== undefined);
        rule('Matterhorn 01-005 (content is tagged or an artifact)', marked, `${where}: ${op} outside any marked content`);
      }
      if (['Tj', 'TJ', "'", '"'].includes(op) && font) {
        for (const code of codesOf(operands[operands.length - 1])) {
          rule([`${A} 6.2.11.8-1`, `${UA} 7.21.8-1`], code !== 0, `${where}: ${font.name} shows .notdef`);
          const u = font.toUnicode.get(code);
          rule([`${A} 6.2.11.7-1`, `${UA} 7.21.7-1`], u !== undefined && u.length > 0, `${where}: ${font.name} code ${code} has no Unicode`);
          rule([`${A} 6.2.11.7-1`, `${UA} 7.21.7-2`], u !== undefined && !/[\u0000\ufeff\ufffe]/.test(u), `${where}: ${font.name} code ${code} maps to ${JSON.stringify(u)}`);
        }
      }
    }
    rule('ISO 32000-1 8.4.4 (marked content balanced)', stack.length === 0, `${where}: ${stack.length} marked sequences left open`);
    // Every marked-content sequence belongs to the element the parent tree names for it.
    const owners = parentTree.get(page.dict['/StructParents'] as number);
    for (const mcid of mcids) {
      const owner = Array.isArray(owners) ? owners[mcid] : undefined;
      const el = pdf.dict(owner);
      const holds = (el ? pdf.array(el['/K']) : []).some((k) => {
        if (k === mcid) return el?.['/Pg'] === page.ref;
        const mcr = pdf.dict(k);
        return mcr?.['/Type'] === '/MCR' && mcr['/MCID'] === mcid && (mcr['/Pg'] ?? el?.['/Pg']) === page.ref;
      });
      rule('ISO 32000-1 14.7.4.4 (parent tree agrees with the content)', holds, `${where}: MCID ${mcid}`);
    }
    if (usesRgb) {
      const intents = pdf.array(pdf.catalog['/OutputIntents']).map((i) => pdf.dict(i) as Dict);
      const rgb = intents.some((i) => i['/S'] === '/GTS_PDFA1' && pdf.stream(i['/DestOutputProfile'])?.data.subarray(16, 20).toString('latin1') === 'RGB ');
      rule(`${A} 6.2.4.3-2`, rgb, `${where} paints in DeviceRGB without an RGB output intent`);
    }
    // Images and graphics states the page uses.
    for (const x of Object.values(pdf.dict(resources['/XObject']) ?? {})) {
      const d = pdf.dict(x) as Dict;
      rule(`${A} 6.2.8-3`, d['/Interpolate'] !== true, `${where}: an image with Interpolate`);
      rule(`${A} 6.2.8-1`, d['/Alternates'] === undefined, `${where}: Alternates`);
      rule(`${A} 6.2.8-2`, d['/OPI'] === undefined, `${where}: OPI`);
    }
    for (const g of Object.values(pdf.dict(resources['/ExtGState']) ?? {})) {
      const d = pdf.dict(g) as Dict;
      rule(`${A} 6.2.5-1`, d['/TR'] === undefined, `${where}: TR`);
      rule(`${A} 6.2.5-2`, d['/TR2'] === undefined || d['/TR2'] === '/Default', `${where}: TR2`);
      rule(`${A} 6.2.10-1`, d['/BM'] === undefined || ['/Normal', '/Compatible', '/Multiply'].includes(d['/BM'] as string), `${where}: blend mode ${String(d['/BM'])}`);
    }
  }
  const intents = pdf.array(pdf.catalog['/OutputIntents']).map((i) => pdf.dict(i) as Dict);
  for (const intent of intents.filter((i) => i['/S'] === '/GTS_PDFA1')) {
    const icc = pdf.stream(intent['/DestOutputProfile'])?.data ?? Buffer.alloc(0);
    const cls = icc.subarray(12, 16).toString('latin1');
    const space = icc.subarray(16, 20).toString('latin1');
    rule(`${A} 6.2.3-1`, (cls === 'mntr' || cls === 'prtr') && ['RGB ', 'CMYK', 'GRAY'].includes(space) && icc[8] < 5, `output intent profile: ${cls}/${space} v${icc[8]}`);
  }
}

/** The parent tree: StructParents key → element (annotation) or array of elements by MCID. */
function parentTreeOf(pdf: Pdf): Map<number, Value> {
  const out = new Map<number, Value>();
  const root = pdf.dict(pdf.catalog['/StructTreeRoot']);
  const walk = (node: Dict | undefined) => {
    if (!node) return;
    const nums = pdf.array(node['/Nums']);
    for (let k = 0; k + 1 < nums.length; k += 2) out.set(nums[k] as number, pdf.get(nums[k + 1]) as Value);
    for (const kid of pdf.array(node['/Kids'])) walk(pdf.dict(kid));
  };
  walk(pdf.dict(root?.['/ParentTree']));
  return out;
}

function annotationRules(pdf: Pdf, rule: Rule): void {
  const parentTree = parentTreeOf(pdf);
  const allowed = ['Text', 'Link', 'FreeText', 'Line', 'Square', 'Circle', 'Polygon', 'PolyLine', 'Highlight', 'Underline', 'Squiggly', 'StrikeOut', 'Stamp', 'Caret', 'Ink', 'Popup', 'FileAttachment', 'Widget', 'PrinterMark', 'TrapNet', 'Watermark', 'Redact'];
  for (const [pageIndex, page] of pdf.pages().entries()) {
    const annots = pdf.array(page.dict['/Annots']);
    const where = `page ${pageIndex + 1}`;
    if (annots.length) rule(`${UA} 7.18.3-1`, page.dict['/Tabs'] === '/S', `${where}: Tabs ${String(page.dict['/Tabs'])}`);
    rule(`${A} 6.5.2-2`, page.dict['/AA'] === undefined, `${where}: AA`);
    for (const a of annots) {
      const d = pdf.dict(a) as Dict;
      const subtype = String(d['/Subtype']).slice(1);
      rule(`${A} 6.3.1-1`, allowed.includes(subtype), `${where}: a ${subtype} annotation`);
      const f = d['/F'] as number | undefined;
      rule(`${A} 6.3.2-1`, subtype === 'Popup' || f !== undefined, `${where}: ${subtype} without F`);
      rule(`${A} 6.3.2-2`, f === undefined || ((f & 1) === 0 && (f & 2) === 0 && (f & 4) === 4 && (f & 32) === 0 && (f & 256) === 0), `${where}: ${subtype} flags ${f}`);
      const rect = pdf.array(d['/Rect']).map((n) => pdf.get(n) as number);
      const zero = rect[0] === rect[2] && rect[1] === rect[3];
      rule(`${A} 6.3.3-1`, zero || subtype === 'Popup' || subtype === 'Link' || d['/AP'] !== undefined, `${where}: ${subtype} without an appearance`);
      const ap = pdf.dict(d['/AP']);
      if (ap) rule(`${A} 6.3.3-2`, Object.keys(ap).join() === '/N' && pdf.stream(ap['/N']) !== undefined, `${where}: appearance keys ${Object.keys(ap).join()}`);
      const action = pdf.dict(d['/A']);
      if (action) rule(`${A} 6.5.1-1`, ['/GoTo', '/GoToR', '/GoToE', '/Thread', '/URI', '/Named', '/SubmitForm'].includes(action['/S'] as string), `${where}: action ${String(action['/S'])}`);
      // Tagging: the annotation's element, found through its StructParent.
      const owner = pdf.dict(parentTree.get(d['/StructParent'] as number));
      const ownerType = owner?.['/S'];
      const objr = owner && pdf.array(owner['/K']).some((k) => pdf.dict(k)?.['/Type'] === '/OBJR' && pdf.dict(k)?.['/Obj'] === a && pdf.dict(k)?.['/Pg'] === page.ref);
      rule('ISO 32000-1 14.7.4.3 (annotation referenced from its element, on its page)', !!objr, `${where}: ${subtype} ${String(a)}`);
      if (subtype === 'Widget') {
        rule(`${UA} 7.18.4-1`, ownerType === '/Form', `${where}: widget in ${String(ownerType)}`);
        rule(`${A} 6.4.1-1`, d['/A'] === undefined && d['/AA'] === undefined, `${where}: widget with actions`);
      } else if (subtype === 'Link') {
        rule(`${UA} 7.18.5-1`, ownerType === '/Link', `${where}: link in ${String(ownerType)}`);
        rule(`${UA} 7.18.5-2`, (text(d['/Contents']) ?? '') !== '', `${where}: link without Contents`);
      } else if (subtype !== 'Popup') rule(`${UA} 7.18.1-1`, ownerType === '/Annot', `${where}: ${subtype} in ${String(ownerType)}`);
    }
  }
  const form = pdf.dict(pdf.catalog['/AcroForm']);
  if (form) {
    rule(`${A} 6.4.1-3`, form['/NeedAppearances'] !== true, 'NeedAppearances');
    rule(`${A} 6.4.2-1`, form['/XFA'] === undefined, 'XFA');
    for (const field of pdf.array(form['/Fields'])) rule(`${A} 6.4.1-2`, pdf.dict(field)?.['/AA'] === undefined, 'field with AA');
  }
  rule(`${A} 6.4.2-2`, pdf.catalog['/NeedsRendering'] !== true, 'NeedsRendering');
  rule(`${A} 6.5.2-1`, pdf.catalog['/AA'] === undefined, 'catalog AA');
  rule(`${A} 6.11-1`, pdf.catalog['/Requirements'] === undefined, 'Requirements');
}

function metadataRules(pdf: Pdf, rule: Rule): void {
  const meta = pdf.stream(pdf.catalog['/Metadata']);
  rule([`${A} 6.6.2.1-1`, `${UA} 7.1-8`], meta !== undefined && meta.dict['/Type'] === '/Metadata' && meta.dict['/Subtype'] === '/XML', 'catalog Metadata');
  if (!meta) return;
  const xml = meta.data.toString('utf8');
  const begin = /<\?xpacket begin=[^?]*\?>/.exec(xml)?.[0] ?? '';
  rule(`${A} 6.6.2.1-2`, begin !== '' && !/\bbytes=/.test(begin), begin);
  rule(`${A} 6.6.2.1-3`, begin !== '' && !/\bencoding=/.test(begin), begin);
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level: string, message: string) => {
      if (level !== 'warning') errors.push(message);
    },
  }).parseFromString(xml, 'text/xml');
  rule(`${A} 6.6.2.1-4`, errors.length === 0, errors.join('; '));
  if (errors.length) return;

  // Properties by namespace and name, attribute or element form.
  const props = new Map<string, string>();
  const described = new Set<string>();
  const descriptions = doc.getElementsByTagNameNS(RDF, 'Description');
  const used = new Set<string>();
  for (let k = 0; k < descriptions.length; k++) {
    const d = descriptions[k];
    for (let j = 0; j < d.attributes.length; j++) {
      const at = d.attributes[j];
      if (at.namespaceURI && at.namespaceURI !== RDF && at.namespaceURI !== 'http://www.w3.org/2000/xmlns/') {
        used.add(at.namespaceURI);
        props.set(`${at.namespaceURI}${at.localName}`, at.value);
      }
    }
    for (let c = d.firstChild; c; c = c.nextSibling) {
      if (c.nodeType !== 1) continue;
      const el = c as unknown as Element;
      if (el.namespaceURI) used.add(el.namespaceURI);
      const li = el.getElementsByTagNameNS(RDF, 'li');
      props.set(`${el.namespaceURI}${el.localName}`, (li.length ? li[0].textContent : el.textContent) ?? '');
    }
  }
  const uris = doc.getElementsByTagNameNS('http://www.aiim.org/pdfa/ns/schema#', 'namespaceURI');
  for (let k = 0; k < uris.length; k++) described.add((uris[k].textContent ?? '').trim());
  for (const ns of used) rule(`${A} 6.6.2.3-7`, PREDEFINED_XMP.has(ns) || described.has(ns), `properties in ${ns} without an extension schema`);

  const pdfa = 'http://www.aiim.org/pdfa/ns/id/';
  rule(`${A} 6.6.4-1`, props.has(`${pdfa}part`), 'no pdfaid:part');
  rule(`${A} 6.6.4-2`, props.get(`${pdfa}part`) === '2', `pdfaid:part ${props.get(`${pdfa}part`)}`);
  rule(`${A} 6.6.4-3`, props.get(`${pdfa}conformance`) === 'A', `pdfaid:conformance ${props.get(`${pdfa}conformance`)}`);
  const pdfua = 'http://www.aiim.org/pdfua/ns/id/';
  rule(`${UA} 5-1`, props.has(`${pdfua}part`), 'no pdfuaid:part');
  rule(`${UA} 5-2`, props.get(`${pdfua}part`) === '1', `pdfuaid:part ${props.get(`${pdfua}part`)}`);
  const dc = 'http://purl.org/dc/elements/1.1/';
  const title = props.get(`${dc}title`);
  rule(`${UA} 7.1-9`, !!title && title.trim() !== '', 'dc:title');

  // The document information and the XMP say the same (PDF/A-1 requires it, 6.7.3; PDF/A-2 readers still compare them).
  const info = pdf.dict(pdf.trailer['/Info']) ?? {};
  const pairs: [string, string | undefined, string | undefined][] = [
    ['Title', text(pdf.get(info['/Title'])), title],
    ['Author', text(pdf.get(info['/Author'])), props.get(`${dc}creator`)],
    ['Subject', text(pdf.get(info['/Subject'])), props.get(`${dc}description`)],
    ['Keywords', text(pdf.get(info['/Keywords'])), props.get('http://ns.adobe.com/pdf/1.3/Keywords')],
    ['Creator', text(pdf.get(info['/Creator'])), props.get('http://ns.adobe.com/xap/1.0/CreatorTool')],
    ['Producer', text(pdf.get(info['/Producer'])), props.get('http://ns.adobe.com/pdf/1.3/Producer')],
  ];
  for (const [key, inInfo, inXmp] of pairs) if (inInfo !== undefined) rule('Info and XMP agree', inInfo === inXmp, `${key}: ${JSON.stringify(inInfo)} / ${JSON.stringify(inXmp)}`);
  const dates: [string, string | undefined, string | undefined][] = [
    ['CreationDate', text(pdf.get(info['/CreationDate'])), props.get('http://ns.adobe.com/xap/1.0/CreateDate')],
    ['ModDate', text(pdf.get(info['/ModDate'])), props.get('http://ns.adobe.com/xap/1.0/ModifyDate')],
  ];
  for (const [key, inInfo, inXmp] of dates) {
    if (inInfo === undefined) continue;
    rule('Info and XMP agree', !!inXmp && pdfDate(inInfo) === new Date(inXmp).toISOString(), `${key}: ${inInfo} / ${inXmp}`);
  }
}

function structureRules(pdf: Pdf, rule: Rule): void {
  const cat = pdf.catalog;
  const mark = pdf.dict(cat['/MarkInfo']);
  rule(`${A} 6.7.2-1`, mark?.['/Marked'] === true, 'MarkInfo Marked');
  rule(`${UA} 7.1-4`, mark?.['/Suspects'] !== true, 'Suspects');
  const viewer = pdf.dict(cat['/ViewerPreferences']);
  rule(`${UA} 7.1-10`, viewer?.['/DisplayDocTitle'] === true, 'DisplayDocTitle');
  const lang = text(pdf.get(cat['/Lang']));
  rule(`${UA} 7.2-33`, !!lang, 'no /Lang in the catalog');
  const langTag = /^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$/;
  if (lang) rule(`${UA} 7.2-29`, langTag.test(lang), `catalog Lang ${lang}`);
  const root = pdf.dict(cat['/StructTreeRoot']);
  rule(`${A} 6.7.3-1`, root !== undefined, 'no StructTreeRoot');
  if (!root) return;
  const roles = pdf.dict(root['/RoleMap']) ?? {};
  for (const [from] of Object.entries(roles)) rule(`${UA} 7.1-7`, !STANDARD_TYPES.has(from.slice(1)), `standard type ${from} remapped`);

  const headings: number[] = [];
  let usesH = false;
  const walk = (ref: Value, parentType: string) => {
    const el = pdf.dict(ref);
    if (!el || el['/Type'] === '/MCR' || el['/Type'] === '/OBJR') return;
    const type = String(el['/S']).slice(1);
    rule(`${A} 6.7.3-2`, el['/Type'] === '/StructElem', `${type} without Type StructElem`);
    const standard = STANDARD_TYPES.has(type) ? type : String(roles[`/${type}`] ?? '').slice(1);
    rule(`${UA} 7.1-5`, STANDARD_TYPES.has(standard), `non-standard type ${type}`);
    const kids = pdf.array(el['/K']);
    const kidTypes = kids.map((k) => pdf.dict(k)).filter((k): k is Dict => !!k && k['/Type'] !== '/MCR' && k['/Type'] !== '/OBJR').map((k) => String(k['/S']).slice(1));
    const kidsJoined = kidTypes.join('&');
    if (standard === 'Table') rule(`${UA} 7.2-3`, /^(Caption&)?(TR|THead|TBody|TFoot)(&(TR|THead|TBody|TFoot))*(&Caption)?$/.test(kidsJoined) || kidsJoined === '', `Table holds ${kidsJoined}`);
    if (standard === 'TR') {
      rule(`${UA} 7.2-4`, /^(Table|THead|TBody|TFoot)$/.test(parentType), `TR in ${parentType}`);
      rule(`${UA} 7.2-10`, /^(TH|TD)(&(TH|TD))*$/.test(kidsJoined) || kidsJoined === '', `TR holds ${kidsJoined}`);
    }
    if (standard === 'TH') rule(`${UA} 7.2-8`, parentType === 'TR', `TH in ${parentType}`);
    if (standard === 'TD') rule(`${UA} 7.2-9`, parentType === 'TR', `TD in ${parentType}`);
    if (standard === 'L') rule(`${UA} 7.2-19`, /^(Caption&)?(L|LI)(&(L|LI))*$/.test(kidsJoined) || kidsJoined === '', `L holds ${kidsJoined}`);
    if (standard === 'LI') {
      rule(`${UA} 7.2-17`, parentType === 'L', `LI in ${parentType}`);
      rule(`${UA} 7.2-20`, /^(Lbl|LBody)(&(Lbl|LBody))*$/.test(kidsJoined) || kidsJoined === '', `LI holds ${kidsJoined}`);
    }
    if (standard === 'LBody') rule(`${UA} 7.2-18`, parentType === 'LI', `LBody in ${parentType}`);
    if (standard === 'Figure') {
      const alt = text(pdf.get(el['/Alt'])) ?? text(pdf.get(el['/ActualText'])) ?? '';
      rule(`${UA} 7.3-1`, alt.trim() !== '', 'Figure without Alt');
    }
    if (standard === 'H') usesH = true;
    const h = /^H([1-6])$/.exec(standard);
    if (h) headings.push(Number(h[1]));
    const elLang = text(pdf.get(el['/Lang']));
    if (elLang !== undefined) rule(`${UA} 7.2-29`, langTag.test(elLang), `${type} Lang ${elLang}`);
    // A text alternative needs a known language: the element's or the document's.
    if (el['/ActualText'] !== undefined) rule(`${UA} 7.2-21`, !!elLang || !!lang, `${type} ActualText`);
    if (el['/Alt'] !== undefined) rule(`${UA} 7.2-22`, !!elLang || !!lang, `${type} Alt`);
    rule(`${UA} 7.4.4-1`, kidTypes.filter((t) => t === 'H').length <= 1, `${type} holds several H`);
    for (const k of kids) walk(k, standard);
  };
  for (const k of pdf.array(root['/K'])) walk(k, 'StructTreeRoot');
  rule([`${UA} 7.4.4-2`, `${UA} 7.4.4-3`], !(usesH && headings.length > 0), 'both H and H1–H6');
  let ok = headings.length === 0 || headings[0] === 1;
  for (let k = 1; k < headings.length; k++) if (headings[k] > headings[k - 1] + 1) ok = false;
  rule(`${UA} 7.4.2-1`, ok, `headings ${headings.map((n) => `H${n}`).join(' ')}`);
}
