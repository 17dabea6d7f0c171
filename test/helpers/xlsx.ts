import { deflateRawSync, crc32 } from 'node:zlib';

/**
 * Excel workbooks written by hand for the tests: the ZIP (deflated entries, CRC-32 and directory
 * by Node's zlib) and the SpreadsheetML parts as text, in the order Excel writes them (sheets
 * before styles and shared strings). Nothing here uses the reader under test.
 */

export type XCell =
  | string
  | number
  | boolean
  | null
  /** A number shown with a number format: a date format, "00000", or another code. */
  | { n: number; format: string }
  /** An inline string, in rich text runs when given several. */
  | { inline: string[] }
  /** A shared string in rich text runs. */
  | { rich: string[] }
  /**
   * A formula and the result Excel saved with it (none: never calculated; null: never calculated,
   * with the empty value openpyxl writes).
   */
  | { formula: string; result?: string | number | boolean | null }
  /** A formula that failed, with the error Excel saved for it ("#N/A"). */
  | { formula: string; error: string };

export interface XSheet {
  name: string;
  /** Rows from row 1 (a null row is left out of the file: an empty row). */
  rows: (XCell[] | null)[];
  merges?: string[];
  /** Rows (1-based) hidden, as a filter or "Hide" leaves them. */
  hiddenRows?: number[];
  /** Ranges of columns (1-based, first and last) hidden, as "Hide" leaves them. */
  hiddenColumns?: [number, number][];
  /** The sheet's tab is hidden ("hidden") or can only be shown by a macro ("veryHidden"). */
  state?: 'hidden' | 'veryHidden';
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function colName(n: number): string {
  let s = '';
  for (let c = n; c > 0; c = Math.floor((c - 1) / 26)) s = String.fromCharCode(65 + ((c - 1) % 26)) + s;
  return s;
}

/** A ZIP file of the given entries, each deflated. */
export function zip(entries: [string, string | Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
    const packed = deflateRawSync(data);
    const crc = crc32(data) >>> 0;
    const fname = Buffer.from(name, 'utf8');
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(0x0800, 6); // UTF-8 names
    head.writeUInt16LE(8, 8); // deflate
    head.writeUInt32LE(0, 10); // time, date
    head.writeUInt32LE(crc, 14);
    head.writeUInt32LE(packed.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(fname.length, 26);
    head.writeUInt16LE(0, 28);
    locals.push(head, fname, packed);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt16LE(8, 10);
    dir.writeUInt32LE(0, 12);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(packed.length, 20);
    dir.writeUInt32LE(data.length, 24);
    dir.writeUInt16LE(fname.length, 28);
    dir.writeUInt32LE(offset, 42);
    central.push(dir, fname);
    offset += head.length + fname.length + packed.length;
  }
  const dirBytes = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dirBytes.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, dirBytes, end]);
}

/** An .xlsx workbook of the given sheets. */
export function makeXlsx(sheets: XSheet[], options: { date1904?: boolean } = {}): Buffer {
  const shared: string[] = [];
  const sharedIndex = new Map<string, number>();
  const share = (xml: string) => {
    let i = sharedIndex.get(xml);
    if (i === undefined) {
      i = shared.length;
      shared.push(xml);
      sharedIndex.set(xml, i);
    }
    return i;
  };
  // Styles: 0 is General; one more per number format used.
  const formats: string[] = [];
  const styleOf = (code: string) => {
    let i = formats.indexOf(code);
    if (i < 0) i = formats.push(code) - 1;
    return i + 1;
  };
  const sheetXml = (sheet: XSheet) => {
    const rows: string[] = [];
    sheet.rows.forEach((cells, r) => {
      if (!cells) return;
      const cs = cells.map((cell, c) => {
        const ref = `${colName(c + 1)}${r + 1}`;
        if (cell === null || cell === undefined) return '';
        if (typeof cell === 'string') return `<c r="${ref}" t="s"><v>${share(`<t xml:space="preserve">${esc(cell)}</t>`)}</v></c>`;
        if (typeof cell === 'number') return `<c r="${ref}"><v>${cell}</v></c>`;
        if (typeof cell === 'boolean') return `<c r="${ref}" t="b"><v>${cell ? 1 : 0}</v></c>`;
        if ('n' in cell) return `<c r="${ref}" s="${styleOf(cell.format)}"><v>${cell.n}</v></c>`;
        if ('inline' in cell) return `<c r="${ref}" t="inlineStr"><is>${cell.inline.map((t) => `<r><rPr><b/></rPr><t xml:space="preserve">${esc(t)}</t></r>`).join('')}</is></c>`;
        if ('rich' in cell) return `<c r="${ref}" t="s"><v>${share(cell.rich.map((t) => `<r><rPr><i/></rPr><t xml:space="preserve">${esc(t)}</t></r>`).join('') + '<rPh sb="0" eb="1"><t>ignored</t></rPh>')}</v></c>`;
        if ('error' in cell) return `<c r="${ref}" t="e"><f>${esc(cell.formula)}</f><v>${esc(cell.error)}</v></c>`;
        const result = cell.result;
        if (result === undefined) return `<c r="${ref}"><f>${esc(cell.formula)}</f></c>`;
        if (result === null) return `<c r="${ref}"><f>${esc(cell.formula)}</f><v></v></c>`;
        if (typeof result === 'string') return `<c r="${ref}" t="str"><f>${esc(cell.formula)}</f><v>${esc(result)}</v></c>`;
        if (typeof result === 'boolean') return `<c r="${ref}" t="b"><f>${esc(cell.formula)}</f><v>${result ? 1 : 0}</v></c>`;
        return `<c r="${ref}"><f>${esc(cell.formula)}</f><v>${result}</v></c>`;
      });
      rows.push(`<row r="${r + 1}"${sheet.hiddenRows?.includes(r + 1) ? ' hidden="1"' : ''}>${cs.join('')}</row>`);
    });
    const merges = sheet.merges?.length ? `<mergeCells count="${sheet.merges.length}">${sheet.merges.map((m) => `<mergeCell ref="${m}"/>`).join('')}</mergeCells>` : '';
    const cols = sheet.hiddenColumns?.length ? `<cols>${sheet.hiddenColumns.map(([min, max]) => `<col min="${min}" max="${max}" width="9" hidden="1" customWidth="1"/>`).join('')}</cols>` : '';
    return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">${cols}<sheetData>${rows.join('')}</sheetData>${merges}</worksheet>`;
  };
  const sheetParts = sheets.map((s) => sheetXml(s));
  const ns = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const workbook = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="${ns}" xmlns:r="${rel}"><workbookPr${options.date1904 ? ' date1904="1"' : ''}/><sheets>${sheets
    .map((s, i) => `<sheet name="${esc(s.name)}" sheetId="${i + 1}"${s.state ? ` state="${s.state}"` : ''} r:id="rId${i + 1}"/>`)
    .join('')}</sheets></workbook>`;
  const rels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${sheets
    .map((_, i) => `<Relationship Id="rId${i + 1}" Type="${rel}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
    .join('')}<Relationship Id="rId${sheets.length + 1}" Type="${rel}/styles" Target="styles.xml"/><Relationship Id="rId${sheets.length + 2}" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`;
  const styles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="${ns}"><numFmts count="${formats.length}">${formats
    .map((f, i) => `<numFmt numFmtId="${164 + i}" formatCode="${esc(f)}"/>`)
    .join('')}</numFmts><cellXfs count="${formats.length + 1}"><xf numFmtId="0"/>${formats.map((_, i) => `<xf numFmtId="${164 + i}" applyNumberFormat="1"/>`).join('')}</cellXfs></styleSheet>`;
  const sst = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="${ns}" count="${shared.length}" uniqueCount="${shared.length}">${shared.map((x) => `<si>${x}</si>`).join('')}</sst>`;
  const types = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>`;
  const root = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`;
  return zip([
    ['[Content_Types].xml', types],
    ['_rels/.rels', root],
    ['xl/workbook.xml', workbook],
    ['xl/_rels/workbook.xml.rels', rels],
    ...sheetParts.map((x, i): [string, string] => [`xl/worksheets/sheet${i + 1}.xml`, x]),
    ['xl/styles.xml', styles],
    ['xl/sharedStrings.xml', sst],
  ]);
}
