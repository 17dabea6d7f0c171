// What reading a template's text takes, apart from the rest of a campaign: a worker thread
// renders an annex from its template without loading the campaign's schema (zod), which
// loading campaign.ts would cost it, about 0.1 s of its start.
import { parseDocument, LineCounter } from 'yaml';
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

/** A template's text split into its front matter (YAML) and body. */
export function readTemplateText(text: string, file = ''): TemplateSource {
  text = text.replace(/^\uFEFF/, '');
  const m = FRONT_RE.exec(text);
  if (!m) return { file, body: text, bodyLine: 1, front: {} };
  const lines = new LineCounter();
  const doc = parseDocument(m[1], { lineCounter: lines });
  if (doc.errors[0]) {
    const pos = lines.linePos(doc.errors[0].pos[0]);
    throw new LetterMergeError('TEMPLATE_FRONT_MATTER', `front matter is not valid YAML: ${doc.errors[0].message.split('\n')[0]}`, {
      location: { file, line: pos.line + 1 },
    });
  }
  const data = yamlValue(doc, file, 'the front matter', 2);
  const front: Record<string, string> = {};
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      if (v !== null && v !== undefined) front[k] = String(v);
    }
  }
  const bodyLine = m[0].split('\n').length - (m[0].endsWith('\n') ? 0 : 1);
  return { file, body: text.slice(m[0].length), bodyLine, front };
}
