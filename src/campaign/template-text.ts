// What reading a template's text takes, apart from the rest of a campaign: a worker thread
// renders an annex from its template without loading the campaign's schema (zod), which
// loading campaign.ts would cost it, about 0.1 s of its start.
import { isMap, isScalar, parseDocument, LineCounter } from 'yaml';
import type { Document } from 'yaml';
import { LetterMergeError } from '../errors';

export interface TemplateSource {
  file: string;
  /** Template text after the front matter. */
  body: string;
  /** Line in `file` where `body` starts, so errors can point at the right line. */
  bodyLine: number;
  /** Front matter values (strings; they may hold Handlebars too). */
  front: Record<string, string>;
  /** The line in `file` of each front matter value, so errors in it point at its line. */
  frontLines?: Record<string, number>;
}

/**
 * The value of a parsed YAML document. Building it can still fail (the yaml package refuses an
 * "alias bomb", a few lines that would expand to millions of values): that is a problem of the
 * file, not a crash.
 */
export function yamlValue(doc: Document, file: string, what: string, line = 1): unknown {
  try {
    return doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw new LetterMergeError('CAMPAIGN_YAML', `${what} cannot be read: ${err instanceof Error ? err.message : String(err)}`, {
      location: { file, line },
      hint: 'Anchors and aliases (&name, *name) may be used, but not nested to expand into huge values.',
    });
  }
}

const FRONT_RE = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

/**
 * A template's text split into its front matter (YAML) and body. An e-mail template (`plain`)
 * needs no front matter: its text may begin with a line of "---" (a rule drawn in the message),
 * and only a closed block of settings is taken for front matter.
 */
export function readTemplateText(text: string, file = '', plain = false): TemplateSource {
  text = text.replace(/^\uFEFF/, '');
  if (plain) {
    try {
      const read = readTemplateText(text, file);
      if (Object.keys(read.frontLines ?? {}).length > 0) return read;
    } catch {
      // Not front matter: text of the message.
    }
    return { file, body: text, bodyLine: 1, front: {} };
  }
  const m = FRONT_RE.exec(text);
  if (!m) {
    if (/^---\r?\n/.test(text)) {
      throw new LetterMergeError('TEMPLATE_FRONT_MATTER', 'the front matter opened by "---" on line 1 is never closed', {
        location: { file, line: 1 },
        hint: 'End it with a line holding only "---", before the text.',
      });
    }
    return { file, body: text, bodyLine: 1, front: {} };
  }
  const lines = new LineCounter();
  const doc = parseDocument(m[1], { lineCounter: lines, prettyErrors: false });
  if (doc.errors[0]) {
    const pos = lines.linePos(doc.errors[0].pos[0]);
    throw new LetterMergeError('TEMPLATE_FRONT_MATTER', `front matter is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`, {
      location: { file, line: pos.line + 1, column: pos.col },
    });
  }
  const data = yamlValue(doc, file, 'the front matter', 2);
  const front: Record<string, string> = {};
  const frontLines: Record<string, number> = {};
  if (data !== null && data !== undefined && (typeof data !== 'object' || Array.isArray(data))) {
    throw new LetterMergeError('TEMPLATE_FRONT_MATTER', `the front matter holds ${Array.isArray(data) ? 'a list' : 'a single value'}, not settings`, {
      location: { file, line: 2 },
      hint: 'Write one setting a line: its name, a colon and its value ("subject: The subject line").',
    });
  }
  const pairs = isMap(doc.contents) ? doc.contents.items : [];
  for (const [k, v] of Object.entries((data ?? {}) as Record<string, unknown>)) {
    const pair = pairs.find((p) => isScalar(p.key) && String(p.key.value) === k);
    const range = (pair?.value as { range?: number[] } | null)?.range ?? (pair?.key as { range?: number[] } | null)?.range;
    const line = range ? lines.linePos(range[0]).line + 1 : 2;
    if (v !== null && typeof v === 'object') {
      throw new LetterMergeError('TEMPLATE_FRONT_MATTER', `"${k}" in the front matter is ${Array.isArray(v) ? 'a list' : 'a set of settings'}, not text`, {
        location: { file, line },
        hint: `Write it as one line of text: ${k}: …${Array.isArray(v) ? ' (a comma between square brackets makes a list: put the text in quotes)' : ''}`,
      });
    }
    frontLines[k] = line;
    if (v !== null && v !== undefined) front[k] = String(v);
  }
  const bodyLine = m[0].split('\n').length - (m[0].endsWith('\n') ? 0 : 1);
  return { file, body: text.slice(m[0].length), bodyLine, front, frontLines };
}
