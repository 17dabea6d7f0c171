/**
 * The letter's logical structure, for tagged PDF (PDF/UA): a tree of standard structure types in
 * reading order, whose leaves are the items drawn on the pages. Layout builds it while it places
 * the items; the renderer turns it into the PDF's structure tree. Items that are not content
 * (footer, page numbers, rules) are artifacts instead, and are not in the tree.
 */
export type TagType =
  | 'Document'
  | 'Div'
  | 'P'
  | 'H1'
  | 'H2'
  | 'H3'
  | 'H4'
  | 'H5'
  | 'H6'
  | 'Table'
  | 'TR'
  | 'TH'
  | 'TD'
  | 'L'
  | 'LI'
  | 'Lbl'
  | 'LBody'
  | 'BlockQuote'
  | 'Link'
  | 'Span'
  | 'Figure';

export interface TagNode<I = unknown> {
  type: TagType;
  /** Natural language of the element, when it differs from the document's (BCP 47). */
  lang?: string;
  /** Alternate description (a Figure's). */
  alt?: string;
  /** The text the element's content stands for, in reading order (a right-to-left line drawn in visual order). */
  actualText?: string;
  /** A table header cell's scope. */
  scope?: 'Row' | 'Column';
  /** A link's description, for its annotation's /Contents. */
  contents?: string;
  /** A Figure's box on the page, in points from the top-left corner: [x1, y1, x2, y2]. */
  bbox?: [number, number, number, number];
  children: (TagNode<I> | I)[];
}

export function isTag<I>(x: TagNode<I> | I): x is TagNode<I> {
  return typeof x === 'object' && x !== null && 'children' in x && 'type' in x;
}

/** Why a drawn item is not content: the kinds of artifact in PDF. */
export type Artifact = 'Pagination' | 'Layout';

const SCRIPTS: [RegExp, string][] = [
  [/\p{Script=Han}/u, 'zh'],
  [/\p{Script=Arabic}/u, 'ar'],
  [/\p{Script=Cyrillic}/u, 'ru'],
  [/\p{Script=Greek}/u, 'el'],
];

/**
 * The language of a piece of text in a letter, when its script says it is not the letter's: a
 * Chinese name in an English letter (zh), an Arabic organisation in a French one (ar). Latin text
 * in another letter is left to the letter's language: the script does not tell which language it is.
 */
export function foreignLanguage(text: string, letterLang: string): string | undefined {
  const base = letterLang.split('-')[0];
  for (const [re, lang] of SCRIPTS) if (re.test(text)) return lang === base ? undefined : lang;
  return undefined;
}
