// What text a file's bytes are: UTF-8, UTF-16, or one of the code pages an older program saves
// text in (Excel's plain "CSV" on Windows or an older Mac). Lists are decoded from any of them;
// a campaign's own files are refused unless they are UTF-8 or UTF-16 (see files.ts, readTextFile).
import type * as Iconv from 'iconv-lite';
import type * as Jschardet from 'jschardet';

/**
 * The code pages a list that is not Unicode may come in: what Excel's plain "CSV" writes on a
 * Windows set up for Western European, Cyrillic, Chinese or Arabic text (and the older Russian
 * and Chinese ones), as iconv-lite names them.
 */
export type LegacyEncoding = 'windows-1252' | 'macintosh' | 'windows-1251' | 'koi8-r' | 'ibm866' | 'gb18030' | 'big5' | 'windows-1256';
export type Encoding = 'utf-8' | 'utf-16le' | 'utf-16be' | LegacyEncoding;

/** What the note calls each legacy encoding. */
export const LEGACY_LABELS: Record<LegacyEncoding, string> = {
  'windows-1252': 'Windows-1252 (Western European)',
  macintosh: 'Mac Roman (Western European, from an older Excel for Mac)',
  'windows-1251': 'Windows-1251 (Cyrillic)',
  'koi8-r': 'KOI8-R (Russian)',
  ibm866: 'IBM866 (Russian DOS)',
  gb18030: 'GB18030 (Chinese)',
  big5: 'Big5 (traditional Chinese)',
  'windows-1256': 'Windows-1256 (Arabic)',
};

/** The legacy encodings jschardet chooses among, by its name for them (Mac Roman is weighed apart: see legacyEncoding). */
const DETECTED: Record<string, LegacyEncoding> = {
  'WINDOWS-1252': 'windows-1252',
  'WINDOWS-1251': 'windows-1251',
  'KOI8-R': 'koi8-r',
  IBM866: 'ibm866',
  GB18030: 'gb18030',
  BIG5: 'big5',
  'WINDOWS-1256': 'windows-1256',
};

/**
 * What the file's bytes are. UTF-8 (with or without a byte order mark) is read as a stream; UTF-16
 * (as Excel's "Unicode text" writes it) and the legacy code pages (an older Excel "CSV": see
 * legacyEncoding) are decoded, and the caller tells the user so.
 */
export function detectEncoding(head: Buffer): Encoding {
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  // UTF-16 without a byte order mark: ASCII text with every other byte zero.
  let zeroOdd = 0;
  let zeroEven = 0;
  const n = Math.min(head.length, 4096);
  for (let i = 0; i < n; i++) if (head[i] === 0) (i % 2 ? zeroOdd++ : zeroEven++);
  if (n >= 4 && zeroOdd > n / 4 && zeroEven === 0) return 'utf-16le';
  if (n >= 4 && zeroEven > n / 4 && zeroOdd === 0) return 'utf-16be';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return 'utf-8';
  } catch {
    const legacy = legacyEncoding(head);
    return legacy.odd > 0 && mostlyUtf8(head, legacy.odd) ? 'utf-8' : legacy.encoding;
  }
}

/**
 * Whether a file that is not all UTF-8 is UTF-8 still, with a few cells in another encoding (one
 * typed in another program, a row pasted from an older list): its bytes that are not UTF-8, and
 * its odd characters read so (see oddInWords), are far fewer than those of the code page's
 * reading. Such a list was read whole in a code page: a Spanish list with one "í" in Latin-1 was
 * read as KOI8-R, every name in it turned to Cyrillic letters, and only three rows failed. Read as
 * UTF-8, the cell with the stray byte fails, saying so, and the other rows are read right.
 */
function mostlyUtf8(head: Buffer, legacyOdd: number): boolean {
  const text = new TextDecoder('utf-8').decode(head, { stream: true });
  let stray = 0;
  for (let i = text.indexOf('\ufffd'); i !== -1; i = text.indexOf('\ufffd', i + 1)) stray++;
  return 4 * (stray + oddInWords(text.replaceAll('\ufffd', ''))) < legacyOdd;
}

/**
 * Which legacy code page a list is in, by jschardet (Mozilla's detector) choosing among those of
 * the letters' languages only, weighed against the others by how their readings look (see
 * below). Every list not in Unicode was once read as Windows-1252: a Russian one in Windows-1251
 * passed `validate` and made letters to "Èâàí Ïåòðîâ". Asked to choose among
 * all it knows, the detector took short Western lists for Mac Roman or Baltic; among these, it
 * read each sample list right. Windows-1252 is what it falls back to.
 */
export function legacyEncoding(head: Buffer): { encoding: LegacyEncoding; odd: number } {
  // Loaded here, for the few lists not in Unicode: it takes 70 ms to load.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const jschardet = require('jschardet') as typeof Jschardet;
  const found = jschardet.detect(head, { detectEncodings: Object.keys(DETECTED) }).encoding;
  const encoding = (found && DETECTED[found.toUpperCase()]) || 'windows-1252';
  // Mac Roman is not among the detector's choices (see oddInWords): the reading it gives is
  // weighed against the detector's. `odd`: the odd characters of the reading taken.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const iconv = require('iconv-lite') as typeof Iconv;
  const asFound = oddInWords(iconv.decode(head, encoding));
  if (asFound === 0) return { encoding, odd: 0 };
  // Another code page whose reading has far fewer odd characters is taken: Mac Roman, which the
  // detector does not choose among, and one it passed over for a few bytes written otherwise (one
  // cell of a Windows-1251 list saved as UTF-8 made it choose IBM866, and every name of the list
  // came out in box-drawing characters; the cell itself then fails, see utf8Misread).
  let best = { encoding, odd: asFound };
  for (const other of LEGACY_CANDIDATES) {
    if (other === encoding) continue;
    const odd = oddInWords(iconv.decode(head, other));
    if (4 * odd <= asFound && odd < best.odd) best = { encoding: other, odd };
  }
  return best;
}

/** Every legacy code page a list may be in: the detector's choices and Mac Roman. */
const LEGACY_CANDIDATES: LegacyEncoding[] = [...new Set(Object.values(DETECTED)), 'macintosh'];

/** An apostrophe, in a word (“O’Brien”, “l’Organisation”): never odd there (see oddInWords). */
const APOSTROPHE = '\u2019';
/** What ends a word in ordinary text (a closing quote, an ellipsis, ™, ®): not odd after a letter, when no letter follows (see oddInWords). */
const ENDS_A_WORD = new Set(['\u201d', '\u2026', '\u2122', '\u00ae']);

/**
 * How many characters past ASCII in `text` could not be where they are in a word. Right after a
 * letter: a character that is no letter (“Jos‡”), a capital after a small letter
 * (“InformaciÛn”), a small letter between capitals (“SUPƒRIEURE”), or a letter of another script
 * (a Mac Roman “Conseillère” read as Big5 is “Conseill蓤e”).
 *
 * Mac Roman (what Excel for Mac saved as "CSV" before it wrote UTF-8) puts the accented letters
 * where Windows-1252 puts punctuation, and where IBM866 puts Cyrillic capitals. jschardet, asked
 * to choose Mac Roman too, took Western lists in Windows-1252 for it; not asked, it took French
 * lists in Mac Roman for Russian (IBM866) or Chinese (Big5), and Spanish ones for Windows-1252.
 * Read the wrong way, a list's accents turn into punctuation or capitals inside its words:
 * "Asociación" in Mac Roman reads "Asociaci—n" as Windows-1252, and the Windows-1252
 * "Asociación" reads "AsociaciÛn" as Mac Roman. So Mac Roman is taken when its reading has far
 * fewer of them. (A Mac Roman list whose only letters past ASCII read as letters both ways, ö
 * among them, is still read as Windows-1252.)
 */
function oddInWords(text: string): number {
  let odd = 0;
  // Each character is judged when the one after it is read: prev, c, then next.
  let prev = '';
  let c = '';
  const judge = (next: string) => {
    if (c === '' || c.charCodeAt(0) < 0x80 || c === APOSTROPHE || !isLetter(prev)) return;
    if (!/[\p{L}\p{M}]/u.test(c)) {
      if (!ENDS_A_WORD.has(c) || isLetter(next)) odd++;
    } else if (/\p{Lu}/u.test(c) ? /\p{Ll}/u.test(prev) : /\p{Ll}/u.test(c) && /\p{Lu}/u.test(prev) && /\p{Lu}/u.test(next)) {
      odd++;
    } else if (/\p{L}/u.test(c) && scriptOf(c) !== scriptOf(prev)) {
      odd++;
    }
  };
  for (const next of text) {
    judge(next);
    prev = c;
    c = next;
  }
  judge('');
  return odd;
}

/** Whether a character is a letter: ASCII ones without a regular expression (most of a list's characters). */
function isLetter(ch: string): boolean {
  const code = ch.charCodeAt(0);
  if (code < 0x80) return (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
  return /\p{L}/u.test(ch);
}

const SCRIPTS = [/\p{Script=Latin}/u, /\p{Script=Cyrillic}/u, /\p{Script=Han}/u, /\p{Script=Arabic}/u, /\p{Script=Greek}/u];
/** The script of a letter, among those the code pages above write; -1 for any other. */
function scriptOf(letter: string): number {
  return SCRIPTS.findIndex((script) => script.test(letter));
}

/**
 * Text of a file that is not UTF-8. The legacy code pages through iconv-lite: Node's TextDecoder
 * (20.x) reads Windows-1252 as Latin-1, so the bytes 0x80-0x9F, where Excel's CSV puts € “ ” ‘ ’
 * – — … œ Œ Š Ž, came out as invisible control characters ("Asociación “Futuro”" failed as a
 * character no font draws; "Œuvre" too).
 */
export function decodeText(bytes: Buffer, encoding: Exclude<Encoding, 'utf-8'>): string {
  if (encoding === 'utf-16le' || encoding === 'utf-16be') return new TextDecoder(encoding).decode(bytes);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const iconv = require('iconv-lite') as typeof Iconv;
  return iconv.decode(bytes, encoding);
}
