import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadCampaign } from '../campaign/campaign';
import { localise } from '../campaign/localised';
import type { Campaign } from '../campaign/campaign';
import { DEFAULTS } from '../config';
import { ValueReader, layerMappings } from '../data/mapping';
import type { ListOptions } from '../data/mapping';
import { streamRecipients } from '../data/recipients';
import type { Recipient } from '../data/recipients';
import { LetterMergeError } from '../errors';
import { checkPdfOut, partName, removeStaleParts } from '../files';
import { glyphError } from '../fonts/fonts';
import { GROUPS, fullName, isGroup, language } from '../i18n/languages';
import { GROUP_TABLE } from '../data/words';
import { layoutDocument, layoutLetter } from '../layout/letter';
import type { LetterLayout } from '../layout/letter';
import { parseMarkdown } from '../markup/markdown';
import { problemOf, sourceNote } from '../problems';
import { WORD_JOINER } from '../text/unicode';
import type { Problem } from '../problems';
import { drawLetterPages, proofDocument } from '../render/pdf';
import { Merger, escapeMarkdown, missingColumns } from '../template/merge';
import type { Bookmark } from '../adapter';
import { parseLanguages } from '../i18n/language-list';
import { fileWriteFailure } from './output';
import { ListNotes, lettersFor, problemInScope } from './plan';

export interface ProofOptions extends ListOptions {
  campaign?: string;
  /** Where to write the proof; "proof.pdf" when left out. */
  out?: string;
  /** Only letters in these languages, and to these stakeholder groups. */
  languages?: string[];
  groups?: string[];
  /** Only the first N letters. */
  limit?: number;
  signal?: AbortSignal;
  onProgress?: (event: { done: number; total?: number; id: string; language: string; status: 'ok' | 'failed' }) => void;
}

export interface ProofResult {
  out: string;
  /** Letters in the proof. */
  letters: number;
  /** Letters of the list left out by --lang or --group (a proof of none, from a mistyped scope, says so). */
  skipped: number;
  pages: number;
  byLanguage: Record<string, number>;
  byGroup: Record<string, number>;
  /** Rows and letters that could not be made: listed on the first page, not in the proof. */
  failures: Problem[];
  /** What the user should know of the list (its encoding, hidden rows, shared addresses): on the first page too. */
  notices: string[];
  /** Stopped by the signal: no proof was written. */
  interrupted: boolean;
  elapsedMs: number;
}

const STOPPED = Symbol('stopped');
/** How much of the proof may wait in memory for the file to take it. */
const BACKLOG = 1 << 20;

/** Where each letter starts, for the outline and the page labels. */
interface Placed {
  id: string;
  language: string;
  firstPage: number;
}

function checkGroups(groups: string[] | undefined): string[] | undefined {
  if (!groups) return undefined;
  const list: string[] = [];
  for (const word of groups.flatMap((g) => g.split(',')).map((g) => g.trim()).filter(Boolean)) {
    // As a list's group cell is read: a code, or a group's name in one of the six languages (Gobierno).
    const g = isGroup(word.toLowerCase()) ? word.toLowerCase() : GROUP_TABLE.lookup(word);
    if (g === undefined) {
      const near = GROUP_TABLE.nearest(word);
      throw new LetterMergeError('USAGE', `unknown group "${word}" in --group${near.length ? `; did you mean ${near.join(' or ')}?` : ''}`, { kind: 'usage', hint: `Known groups: ${GROUPS.join(', ')}.` });
    }
    if (!list.includes(g)) list.push(g);
  }
  return list;
}

/** The first pages: what the proof holds, by language and group, and what could not be made. */
function summaryLayout(campaign: Campaign, options: ProofOptions, r: { letters: number; skipped: number; byLanguage: Record<string, number>; byCell: Map<string, number>; byGroup: Record<string, number>; failures: Problem[]; notices: string[] }): LetterLayout {
  const en = language('en');
  const md = (s: string) => escapeMarkdown(s);
  // A name of the list, campaign, group or row, not broken at its hyphens: "wsis-trust-" at a
  // line's end would read as one word with the next line's "fund-2022".
  const name = (s: string) => md(s).replace(/-(?=\S)/g, `-${WORD_JOINER}`);
  const lines: string[] = [];
  const scope = [options.languages?.length ? `languages ${options.languages.join(', ')}` : '', options.groups?.length ? `groups ${options.groups.join(', ')}` : '', options.limit ? (options.limit === 1 ? 'the first letter' : `the first ${options.limit} letters`) : '']
    .filter(Boolean)
    .join('; ');
  lines.push(
    `This proof holds **${r.letters} letter${r.letters === 1 ? '' : 's'}** made from ${name(path.basename(options.csv))}${options.sheet ? ` (sheet ${name(options.sheet)})` : ''} with the campaign ${name(campaign.id)}${scope ? ` (${md(scope)})` : ''}${r.skipped ? `, which leaves out ${r.skipped} letter${r.skipped === 1 ? '' : 's'} of the list` : ''}. Each starts on a new page and is laid out as its own PDF; the bookmarks list them by language.`,
  );
  lines.push('', '## Letters by language and group', '');
  const languages = Object.keys(r.byLanguage).sort((a, b) => campaign.languages.indexOf(a) - campaign.languages.indexOf(b));
  if (languages.length === 0) lines.push('None.');
  for (const code of languages) {
    const groups = GROUPS.filter((g) => r.byCell.has(`${code}\0${g}`)).map((g) => `${name(g)} ${r.byCell.get(`${code}\0${g}`)}`);
    lines.push(`- ${md(language(code).name)} (${code}): ${r.byLanguage[code]} — ${groups.join(', ')}`);
  }
  if (languages.length > 1) lines.push('', `All languages: ${GROUPS.filter((g) => r.byGroup[g]).map((g) => `${name(g)} ${r.byGroup[g]}`).join(', ')}.`);
  lines.push('', `## ${r.failures.length ? `${r.failures.length} failed` : 'No failed'} row${r.failures.length === 1 ? '' : 's'}`, '');
  if (r.failures.length === 0) lines.push('Every row in scope made its letters.');
  for (const p of r.failures) {
    const where = `${p.sheet !== undefined ? `sheet ${p.sheet}, row` : 'line'} ${p.line ?? '?'}${p.id ? `, id ${p.id}` : ''}${p.language ? ` (${p.language})` : ''}${p.field ? `, ${p.field}` : ''}`;
    lines.push(`- ${name(where)}: ${md(p.message + sourceNote(p))}`);
  }
  if (r.notices.length) {
    lines.push('', '## Notes on the list', '');
    for (const n of r.notices) lines.push(`- ${md(n.charAt(0).toUpperCase() + n.slice(1))}.`);
  }
  const title = `Proof of ${campaign.id}`;
  return layoutDocument({ lang: en, labels: en.labels, organization: localise(campaign.letterhead.organization, 'en', campaign.defaultLanguage), footer: '', title, ragged: true }, parseMarkdown(lines.join('\n')));
}

/**
 * One PDF to read (or print) before sending: a first page with counts by language and group and
 * every failed row with its reason, then every letter, each starting on a new page, laid out as its
 * own PDF; bookmarks by language, then "id — full name"; page labels that name each letter. It is
 * written as it goes, one letter at a time: 2,000 letters are never held in memory.
 */
export async function proof(options: ProofOptions): Promise<ProofResult> {
  const started = Date.now();
  const filter = parseLanguages(options.languages);
  const groups = checkGroups(options.groups);
  const campaign = loadCampaign(options.campaign ?? DEFAULTS.campaign);
  const merger = new Merger(campaign);
  const out = path.resolve(options.out ?? 'proof.pdf');
  const dest = checkPdfOut(out, 'the proof file');
  // Written under a temporary name and renamed into place at the end, or into a pipe as it is made.
  const part = dest.whole ? partName(dest.path) : undefined;
  if (dest.whole) removeStaleParts(dest.path);
  const day = new Date(Date.UTC(campaign.date.getFullYear(), campaign.date.getMonth(), campaign.date.getDate()));
  const doc = proofDocument({ title: `Proof of ${campaign.id}`, lang: 'en', date: day });
  const file = createWriteStream(part ?? dest.path);
  const written = new Promise<void>((resolve, reject) => {
    file.on('finish', resolve);
    file.on('error', reject);
    doc.on('error', reject);
  });
  // Awaited at the end; a write error meanwhile (a full disk) must not go unhandled.
  written.catch(() => undefined);
  doc.pipe(file);

  const r = { letters: 0, skipped: 0, byLanguage: {} as Record<string, number>, byGroup: {} as Record<string, number>, byCell: new Map<string, number>(), failures: [] as Problem[], notices: [] as string[] };
  const notes = new ListNotes(campaign);
  const placed: Placed[] = [];
  const outline = new Map<string, Bookmark>();
  let pages = 0;
  let interrupted = false;
  const at = (rec: Recipient) => ({ file: options.csv, line: rec.line, id: rec.id, ...(options.sheet ? { sheet: options.sheet } : {}) });
  try {
    const mapping = layerMappings(campaign.mapping, options.mapping);
    const values = new ValueReader(mapping);
    const scope = { filter, groups };
    outer: for await (const item of streamRecipients(options.csv, { sheet: options.sheet, mapping })) {
      if ('header' in item) {
        notes.header(item.header);
        const missing = missingColumns(campaign, item.header.columns, options.csv);
        if (missing.length) throw new LetterMergeError('TEMPLATE', `the template uses "${missing[0].field}", which is not a column of ${options.csv}`, { location: { file: missing[0].file, line: missing[0].line }, hint: missing[0].hint });
        continue;
      }
      if ('fileProblem' in item) throw item.fileProblem;
      if ('problem' in item) {
        // As generate fails it: a row of a language or group the proof leaves out is not its failure.
        const s = problemInScope(item, scope, values);
        if (s.mine) r.failures.push(item.problem);
        r.skipped += s.skipped;
        continue;
      }
      const rec = item.recipient;
      const { languages: codes, skipped } = lettersFor(rec, scope);
      r.skipped += skipped;
      notes.see(rec, codes);
      for (const code of codes) {
        if (options.limit !== undefined && r.letters >= options.limit) break outer;
        if (options.signal?.aborted) {
          interrupted = true;
          break outer;
        }
        let layout: LetterLayout;
        try {
          const glyphs = glyphError(rec.fields);
          if (glyphs) throw glyphs;
          const merged = merger.merge(rec, code);
          layout = layoutLetter(merged, parseMarkdown(merged.body));
        } catch (err) {
          if (!(err instanceof LetterMergeError)) throw err;
          r.failures.push(problemOf(err, 'row', { ...at(rec), language: code }));
          options.onProgress?.({ done: r.letters + r.failures.length, id: rec.id, language: code, status: 'failed' });
          continue;
        }
        drawLetterPages(doc, layout);
        let parent = outline.get(code);
        if (!parent) {
          parent = doc.bookmark(`${language(code).name} (${code})`, pages);
          outline.set(code, parent);
        }
        // At the letter's first page (the page open now is its last).
        doc.bookmark(`${rec.id} — ${fullName(rec.first_name, rec.last_name) || rec.organization}`, pages, parent);
        placed.push({ id: rec.id, language: code, firstPage: pages });
        pages += layout.pages.length;
        r.letters++;
        r.byLanguage[code] = (r.byLanguage[code] ?? 0) + 1;
        r.byGroup[rec.group] = (r.byGroup[rec.group] ?? 0) + 1;
        r.byCell.set(`${code}\0${rec.group}`, (r.byCell.get(`${code}\0${rec.group}`) ?? 0) + 1);
        options.onProgress?.({ done: r.letters + r.failures.length, id: rec.id, language: code, status: 'ok' });
        // The rows may come without a turn of the event loop, so the file never gets to write
        // and the proof would pile up in memory: let it catch up.
        while (doc.readableLength > BACKLOG) {
          await Promise.race([file.writableNeedDrain ? once(file, 'drain') : new Promise((resolve) => setImmediate(resolve)), written]);
        }
      }
    }
    // Stopped part-way: a proof that stops short would read as complete. Nothing is written.
    if (interrupted) throw STOPPED;
    r.failures.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
    r.notices.push(...notes.notices());
    const summary = summaryLayout(campaign, options, r);
    drawLetterPages(doc, summary);
    doc.movePagesToFront(summary.pages.length);
    doc.firstBookmark('Summary', 0);
    // Page labels: i, ii… for the summary, then each letter's pages as "id language 1", "id language 2"…
    doc.pageLabels([{ from: 0, style: 'r' }, ...placed.map((p) => ({ from: summary.pages.length + p.firstPage, style: 'D' as const, prefix: `${p.id} ${p.language} ` }))]);
    pages += summary.pages.length;
    doc.end();
    await written;
    if (part) renameSync(part, dest.path);
  } catch (err) {
    doc.unpipe(file);
    file.end();
    await written.catch(() => undefined);
    if (part) {
      try {
        rmSync(part, { force: true });
      } catch {
        // Its folder is not one (a file on the path): nothing was made there, and the write's own error says why.
      }
    }
    if (err !== STOPPED) throw fileWriteFailure(err, out, part ? [part, out, dest.path] : [out]);
  }
  return { out, letters: r.letters, skipped: r.skipped, pages, byLanguage: r.byLanguage, byGroup: r.byGroup, failures: r.failures, notices: r.notices, interrupted, elapsedMs: Date.now() - started };
}
