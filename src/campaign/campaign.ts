import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseDocument, LineCounter, isMap, isScalar } from 'yaml';
import type { Node as YamlNode } from 'yaml';
import { LetterMergeError } from '../errors';
import { isSupportedLanguage, language, supportedLanguages } from '../i18n/languages';
import type { Labels } from '../i18n/languages';

/** A value that may differ by language: a plain string, or a map from language code to string. */
export type Localised = string | Record<string, string>;

export interface TemplateSource {
  file: string;
  /** Template text after the front matter. */
  body: string;
  /** Line in `file` where `body` starts, so errors can point at the right line. */
  bodyLine: number;
  /** Front matter values (strings; they may hold Handlebars too). */
  front: Record<string, string>;
}

export interface CampaignLanguage {
  code: string;
  letter: TemplateSource;
  email: TemplateSource;
}

export interface Campaign {
  dir: string;
  file: string;
  id: string;
  /** The date printed on every letter, at midnight local time of that calendar day. */
  date: Date;
  place: string;
  defaultLanguage: string;
  languages: string[];
  reference: Localised;
  letterhead: { organization: Localised; footer: Localised };
  sender: { office: Localised; name: Localised; title: Localised; signature?: string };
  contact: { name: Localised; telephone: string; fax: string; email: string };
  email: { from?: string };
  labels: Record<string, Partial<Labels>>;
  templates: Record<string, CampaignLanguage>;
}

export function localise(value: Localised | undefined, lang: string, fallback: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return value[lang] ?? value[fallback] ?? '';
}

/** A date from SOURCE_DATE_EPOCH (seconds, UTC), as a local calendar day. */
export function dateFromEpoch(epoch: string): Date | undefined {
  if (!/^\d+$/.test(epoch)) return undefined;
  const d = new Date(Number(epoch) * 1000);
  return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

class YamlReader {
  private readonly lines = new LineCounter();
  readonly doc;
  constructor(
    readonly file: string,
    text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false });
    const err = this.doc.errors[0];
    if (err) {
      const pos = this.lines.linePos(err.pos[0]);
      throw new LetterMergeError('CAMPAIGN_YAML', `campaign.yaml is not valid YAML: ${err.message.split('\n')[0]}`, {
        location: { file, line: pos.line, column: pos.col },
      });
    }
    if (!isMap(this.doc.contents)) {
      throw new LetterMergeError('CAMPAIGN_YAML', 'campaign.yaml must be a mapping of keys to values', {
        location: { file, line: 1 },
      });
    }
  }

  lineOf(keyPath: string[]): number | undefined {
    for (let n = keyPath.length; n > 0; n--) {
      const node = this.doc.getIn(keyPath.slice(0, n), true) as YamlNode | undefined;
      if (node && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }

  fail(keyPath: string[], message: string, hint?: string): never {
    throw new LetterMergeError('CAMPAIGN', message, {
      location: { file: this.file, line: this.lineOf(keyPath), column: keyPath.join('.') },
      hint,
    });
  }

  raw(keyPath: string[]): unknown {
    const node = this.doc.getIn(keyPath, true);
    if (node === undefined || node === null) return undefined;
    if (isScalar(node)) return node.value;
    return (node as { toJSON(): unknown }).toJSON();
  }

  string(keyPath: string[], required: boolean): string {
    const v = this.raw(keyPath);
    if (v === undefined || v === null || v === '') {
      if (required) this.fail(keyPath, `${keyPath.join('.')} is required`);
      return '';
    }
    if (typeof v !== 'string' && typeof v !== 'number') this.fail(keyPath, `${keyPath.join('.')} must be text`);
    return String(v);
  }

  localised(keyPath: string[], required: boolean): Localised {
    const v = this.raw(keyPath);
    if (v === undefined || v === null || v === '') {
      if (required) this.fail(keyPath, `${keyPath.join('.')} is required`);
      return '';
    }
    if (typeof v === 'string' || typeof v === 'number') return String(v);
    if (typeof v === 'object' && !Array.isArray(v)) {
      const out: Record<string, string> = {};
      for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
        if (typeof val !== 'string' && typeof val !== 'number') {
          this.fail([...keyPath, k], `${[...keyPath, k].join('.')} must be text`);
        }
        out[k] = String(val);
      }
      return out;
    }
    return this.fail(keyPath, `${keyPath.join('.')} must be text, or a map from language code to text`);
  }
}

const FRONT_RE = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

export function readTemplate(file: string): TemplateSource {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
  } catch {
    throw new LetterMergeError('TEMPLATE_MISSING', 'template file not found', {
      location: { file },
      hint: 'Each campaign language needs <lang>/letter.md and <lang>/email.txt, or paths under templates: in campaign.yaml.',
    });
  }
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
  const data = doc.toJSON() as unknown;
  const front: Record<string, string> = {};
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    for (const [k, v] of Object.entries(data as Record<string, unknown>)) {
      if (v !== null && v !== undefined) front[k] = String(v);
    }
  }
  const bodyLine = m[0].split('\n').length - (m[0].endsWith('\n') ? 0 : 1);
  return { file, body: text.slice(m[0].length), bodyLine, front };
}

function parseDate(reader: YamlReader): Date {
  const fromEnv = process.env.SOURCE_DATE_EPOCH ? dateFromEpoch(process.env.SOURCE_DATE_EPOCH) : undefined;
  const raw = reader.raw(['date']);
  if (raw === undefined || raw === null || raw === '') {
    if (fromEnv) return fromEnv;
    return reader.fail(['date'], 'date is required', 'Write the letter date as YYYY-MM-DD, e.g. date: 2021-09-03.');
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(raw));
  if (!m) return reader.fail(['date'], `date "${String(raw)}" is not YYYY-MM-DD`);
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (d.getMonth() !== Number(m[2]) - 1) return reader.fail(['date'], `date "${String(raw)}" is not a calendar day`);
  return d;
}

/** Loads and checks a campaign folder once; everything after this can trust its shape. */
export function loadCampaign(dir: string): Campaign {
  const absDir = path.resolve(dir);
  const file = path.join(absDir, 'campaign.yaml');
  if (!existsSync(absDir) || !statSync(absDir).isDirectory()) {
    throw new LetterMergeError('CAMPAIGN_NOT_FOUND', `campaign folder not found: ${dir}`, {
      kind: 'usage',
      hint: 'Pass --campaign with a folder that holds campaign.yaml, or leave it out to use the built-in sample.',
    });
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new LetterMergeError('CAMPAIGN_NOT_FOUND', 'campaign.yaml not found in the campaign folder', {
      location: { file },
    });
  }
  const r = new YamlReader(file, text);

  const languagesRaw = r.raw(['languages']);
  if (!Array.isArray(languagesRaw) || languagesRaw.length === 0) {
    r.fail(['languages'], 'languages must be a list of language codes', 'For example: languages: [es, en]');
  }
  const languages = (languagesRaw as unknown[]).map((l) => String(l).toLowerCase());
  for (const [i, l] of languages.entries()) {
    if (!isSupportedLanguage(l)) {
      r.fail(['languages', String(i)], `unknown language "${l}" (known: ${supportedLanguages().join(', ')})`);
    }
  }
  const defaultLanguage = (r.string(['default_language'], false) || languages[0]).toLowerCase();
  if (!languages.includes(defaultLanguage)) {
    r.fail(['default_language'], `default_language "${defaultLanguage}" is not one of the campaign's languages`);
  }

  const signature = r.string(['sender', 'signature'], false);
  let signaturePath: string | undefined;
  if (signature) {
    signaturePath = path.resolve(absDir, signature);
    if (!existsSync(signaturePath)) r.fail(['sender', 'signature'], `signature file not found: ${signature}`);
    if (!/\.(png|jpe?g|svg)$/i.test(signaturePath)) {
      r.fail(['sender', 'signature'], 'the signature must be a PNG, JPEG or SVG file');
    }
  }

  const labels: Record<string, Partial<Labels>> = {};
  const labelsRaw = r.raw(['labels']);
  if (labelsRaw !== undefined) {
    if (typeof labelsRaw !== 'object' || labelsRaw === null || Array.isArray(labelsRaw)) {
      r.fail(['labels'], 'labels must map language codes to label overrides');
    }
    const known = Object.keys(language('en').labels);
    for (const [lang, map] of Object.entries(labelsRaw as Record<string, unknown>)) {
      if (!map || typeof map !== 'object') r.fail(['labels', lang], `labels.${lang} must map label names to text`);
      labels[lang] = {};
      for (const [k, v] of Object.entries(map as Record<string, unknown>)) {
        if (!known.includes(k)) r.fail(['labels', lang, k], `unknown label "${k}" (known: ${known.join(', ')})`);
        (labels[lang] as Record<string, string>)[k] = String(v);
      }
    }
  }

  const templates: Record<string, CampaignLanguage> = {};
  for (const code of languages) {
    const letterRel = r.string(['templates', code, 'letter'], false) || `${code}/letter.md`;
    const emailRel = r.string(['templates', code, 'email'], false) || `${code}/email.txt`;
    const letter = readTemplate(path.resolve(absDir, letterRel));
    if (!letter.front.subject) {
      throw new LetterMergeError('TEMPLATE_SUBJECT', 'the letter template has no subject in its front matter', {
        location: { file: letter.file, line: 1 },
        hint: 'Start the file with:\n---\nsubject: The subject line\n---',
      });
    }
    templates[code] = { code, letter, email: readTemplate(path.resolve(absDir, emailRel)) };
  }

  return {
    dir: absDir,
    file,
    id: r.string(['id'], true),
    date: parseDate(r),
    place: r.string(['place'], false) || 'Geneva',
    defaultLanguage,
    languages,
    reference: r.localised(['reference'], false),
    letterhead: {
      organization: r.localised(['letterhead', 'organization'], true),
      footer: r.localised(['letterhead', 'footer'], false),
    },
    sender: {
      office: r.localised(['sender', 'office'], false),
      name: r.localised(['sender', 'name'], true),
      title: r.localised(['sender', 'title'], false),
      signature: signaturePath,
    },
    contact: {
      name: r.localised(['contact', 'name'], false),
      telephone: r.string(['contact', 'telephone'], false),
      fax: r.string(['contact', 'fax'], false),
      email: r.string(['contact', 'email'], true),
    },
    email: { from: r.string(['email', 'from'], false) || undefined },
    labels,
    templates,
  };
}
