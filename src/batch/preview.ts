import { loadCampaign } from '../campaign/campaign';
import { streamRecipients } from '../data/recipients';
import type { Recipient, RowResult } from '../data/recipients';
import { layerMappings } from '../data/mapping';
import { languageOf } from '../data/words';
import type { ListMapping, ListOptions } from '../data/mapping';
import { LetterMergeError } from '../errors';
import { parseMarkdown } from '../markup/markdown';
import { DEFAULTS } from '../config';
import { letterText } from '../render/text';
import { Merger, unlistedLanguageHint } from '../template/merge';
import { didYouMean } from '../text/suggest';
import type { ProducedLetter } from './produce';
import { loadRenderer } from './renderer';

export interface PreviewOptions extends ListOptions {
  campaign?: string;
  /** Which recipient: by id, or by row number (1 = the first recipient after the header). */
  id?: string;
  row?: number;
  /** The letter's language; default: the recipient's first. */
  language?: string;
  /** Skip the PDF (text only). */
  textOnly?: boolean;
  /**
   * The file's rows, read already, in order (the preview server keeps them while the file is
   * unchanged): `row` is taken from them rather than by reading the file again.
   */
  rowsRead?: readonly RowResult[];
}

export interface PreviewResult {
  recipient: Recipient;
  language: string;
  text: string;
  letter?: ProducedLetter;
}

/** The recipient of a row, or the row's problem as an error. */
function recipientOf(item: RowResult, csv: string): Recipient {
  if ('problem' in item) {
    const p = item.problem;
    throw new LetterMergeError(p.code, p.message, { kind: 'row', location: { file: csv, line: p.line, field: p.field, ...(p.sheet !== undefined ? { sheet: p.sheet } : {}) }, hint: p.hint });
  }
  return item.recipient;
}

function notFound(csv: string, id: string | undefined, row: number | undefined, rows: number, ids: readonly string[] = []): LetterMergeError {
  // An id with a letter off: the one meant is named.
  const meant = id !== undefined ? didYouMean(id, ids) : undefined;
  return new LetterMergeError('NOT_FOUND', id !== undefined ? `no recipient has the id "${id}"` : `there is no row ${row} (the file has ${rows})`, {
    kind: 'usage',
    location: { file: csv },
    ...(meant ? { hint: `Did you mean --id ${meant}?` } : {}),
  });
}

async function findRecipient(csv: string, id: string | undefined, row: number | undefined, read: { sheet?: string; mapping?: ListMapping }): Promise<Recipient> {
  let n = 0;
  const ids: string[] = [];
  // Ignoring case, as ids are told apart (two that differ only in case are refused as one).
  const wanted = id?.toLowerCase();
  // A row whose letter would lack its city (in a column of its own) is refused as generate refuses the list.
  for await (const item of streamRecipients(csv, { ...read, eachRow: true })) {
    if ('header' in item) continue;
    if ('fileProblem' in item) throw item.fileProblem;
    n++;
    const fields = 'problem' in item ? item.fields : item.recipient.fields;
    if ((wanted !== undefined && fields.id.toLowerCase() === wanted) || row === n) return recipientOf(item, csv);
    if (id !== undefined) ids.push(fields.id);
  }
  throw notFound(csv, id, row, n, ids);
}

/** One letter, fast: for a template author checking a change. */
export async function preview(options: PreviewOptions): Promise<PreviewResult> {
  const campaign = loadCampaign(options.campaign ?? DEFAULTS.campaign);
  const merger = new Merger(campaign);
  const { rowsRead, row } = options;
  let recipient: Recipient;
  if (rowsRead && row !== undefined && options.id === undefined) {
    const item = rowsRead[row - 1];
    if (!item) throw notFound(options.csv, undefined, row, rowsRead.length);
    recipient = recipientOf(item, options.csv);
  } else {
    recipient = await findRecipient(options.csv, options.id, row, { sheet: options.sheet, mapping: layerMappings(campaign.mapping, options.mapping) });
  }
  // --lang as a list's language cell is read: a code, a locale tag or a name (Español).
  const asked = options.language === undefined ? undefined : (languageOf(options.language) ?? options.language);
  const language = asked ?? recipient.languages.find((l) => campaign.languages.includes(l)) ?? recipient.languages[0];
  if (!campaign.languages.includes(language)) {
    throw new LetterMergeError('LANGUAGE_NOT_IN_CAMPAIGN', `the campaign has no "${language}" templates`, {
      kind: 'usage',
      hint: unlistedLanguageHint(campaign, language),
    });
  }
  const merged = merger.merge(recipient, language);
  const text = letterText(merged, parseMarkdown(merged.body));
  if (options.textOnly) return { recipient, language, text };
  const letter = await loadRenderer().produceLetter(campaign, merger, recipient, language);
  return { recipient, language, text, letter };
}
